//! The XML of the JUnit reports, `check --format junit` and `test --format junit`: one escaping
//! that keeps every document well-formed whatever the text, and the elements both write.
//!
//! Each function appends to a `String`; where line breaks and indentation go is left to the
//! caller, since the two reports lay out their documents differently.

use std::fmt::{Display, Write};

/// The XML declaration that starts a document, with its line break.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// An attribute: its name, and its value, escaped when written.
pub type Attr<'a> = (&'a str, &'a dyn Display);

/// Text for an attribute value in double quotes: markup escaped, and line breaks, carriage
/// returns and tabs as character references, which a parser would otherwise turn into spaces.
pub fn attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value, true);
    out
}

/// Text for element content: markup escaped; line breaks and tabs kept as they are.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value, false);
    out
}

/// Escapes XML markup, and writes the characters that XML 1.0 cannot hold at all (control
/// characters other than tab, line feed and carriage return; U+FFFE; U+FFFF) as `\u{..}`,
/// so that the document stays well-formed and the character stays visible.
fn escape_into(out: &mut impl Write, value: &str, attribute: bool) {
    // Runs of characters that need nothing are written whole: most text is such a run.
    let mut plain = 0;
    for (at, c) in value.char_indices() {
        // `None` for a character written as `\u{..}`.
        let escaped = match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '"' if attribute => Some("&quot;"),
            '\n' if attribute => Some("&#10;"),
            // A parser reads a raw carriage return as a line feed, even in content.
            '\r' => Some("&#13;"),
            '\t' if attribute => Some("&#9;"),
            '\t' | '\n' => continue,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => None,
            _ => continue,
        };
        let _ = out.write_str(value.get(plain..at).unwrap_or_default());
        plain = at + c.len_utf8();
        let _ = match escaped {
            Some(escaped) => out.write_str(escaped),
            None => write!(out, "\\u{{{:x}}}", u32::from(c)),
        };
    }
    let _ = out.write_str(value.get(plain..).unwrap_or_default());
}

/// Appends `value` escaped as [`attr`] does (`attribute`) or as [`text`] does, to bytes: for
/// reports rendered into byte buffers where records are evaluated.
pub(crate) fn escape_bytes(out: &mut Vec<u8>, value: &str, attribute: bool) {
    escape_into(&mut Bytes(out), value, attribute);
}

/// Text written to a byte buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl Write for Bytes<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

fn attributes(out: &mut String, attrs: &[Attr<'_>]) {
    let mut value = String::new();
    for (name, display) in attrs {
        value.clear();
        let _ = write!(value, "{display}");
        let _ = write!(out, " {name}=\"");
        escape_into(out, &value, true);
        out.push('"');
    }
}

/// `<name a="v">`
pub fn start(out: &mut String, name: &str, attrs: &[Attr<'_>]) {
    out.push('<');
    out.push_str(name);
    attributes(out, attrs);
    out.push('>');
}

/// `<name a="v"/>`
pub fn empty(out: &mut String, name: &str, attrs: &[Attr<'_>]) {
    out.push('<');
    out.push_str(name);
    attributes(out, attrs);
    out.push_str("/>");
}

/// `</name>`
pub fn end(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `<name a="v">content</name>`, the content escaped.
pub fn element(out: &mut String, name: &str, attrs: &[Attr<'_>], content: &str) {
    start(out, name, attrs);
    escape_into(out, content, false);
    end(out, name);
}

/// `<testsuites ...>`, closed with [`end`].
pub fn testsuites(out: &mut String, attrs: &[Attr<'_>]) {
    start(out, "testsuites", attrs);
}

/// `<testsuite ...>`, closed with [`end`].
pub fn testsuite(out: &mut String, attrs: &[Attr<'_>]) {
    start(out, "testsuite", attrs);
}

/// `<testcase ...>`, closed with [`end`]; a case with nothing inside is [`empty`].
pub fn testcase(out: &mut String, attrs: &[Attr<'_>]) {
    start(out, "testcase", attrs);
}

/// `<failure message=".." type="..">details</failure>`; without `kind`, no `type`.
pub fn failure(out: &mut String, message: &str, kind: Option<&str>, details: &str) {
    outcome(out, "failure", message, kind, details);
}

/// `<error message=".." type="..">details</error>`; without `kind`, no `type`.
pub fn error(out: &mut String, message: &str, kind: Option<&str>, details: &str) {
    outcome(out, "error", message, kind, details);
}

/// `<skipped message=".."/>`
pub fn skipped(out: &mut String, message: &str) {
    empty(out, "skipped", &[("message", &message)]);
}

fn outcome(out: &mut String, name: &str, message: &str, kind: Option<&str>, details: &str) {
    match kind {
        Some(kind) => element(
            out,
            name,
            &[("message", &message), ("type", &kind)],
            details,
        ),
        None => element(out, name, &[("message", &message)], details),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_characters_xml_cannot_hold() {
        assert_eq!(
            attr("a<b & \"c\"\nd\u{1}\te'"),
            "a&lt;b &amp; &quot;c&quot;&#10;d\\u{1}&#9;e'"
        );
        assert_eq!(text("x\ny\u{ffff}>\r\"\t"), "x\ny\\u{ffff}&gt;&#13;\"\t");
        assert_eq!(text("\u{b}\u{c}\u{fffe}é"), "\\u{b}\\u{c}\\u{fffe}é");
    }

    #[test]
    fn bytes_are_escaped_as_text_is() {
        for value in [
            "a<b & \"c\"\nd\u{1}\te'\r",
            "",
            "plain é",
            "\u{fffe}x\u{ffff}",
        ] {
            for attribute in [true, false] {
                let mut bytes = b"head ".to_vec();
                escape_bytes(&mut bytes, value, attribute);
                let expected = if attribute { attr(value) } else { text(value) };
                assert_eq!(bytes, format!("head {expected}").into_bytes());
            }
        }
    }

    #[test]
    fn elements_escape_their_attributes_and_content() {
        let mut out = String::new();
        testcase(&mut out, &[("name", &"a\"b"), ("line", &7)]);
        failure(&mut out, "m<", Some("deny"), "d&\n");
        skipped(&mut out, "s\n");
        error(&mut out, "e", None, "x");
        end(&mut out, "testcase");
        empty(&mut out, "testcase", &[("name", &"ok")]);
        assert_eq!(
            out,
            "<testcase name=\"a&quot;b\" line=\"7\"><failure message=\"m&lt;\" type=\"deny\">\
             d&amp;\n</failure><skipped message=\"s&#10;\"/><error message=\"e\">x</error>\
             </testcase><testcase name=\"ok\"/>"
        );
    }

    #[test]
    fn every_escaped_text_parses_back_to_itself() {
        let nasty = "a<b>&c\"d'e\n\tf\r g";
        let mut out = String::from(DECLARATION);
        element(&mut out, "t", &[("v", &nasty)], nasty);
        let document = roxmltree::Document::parse(&out).unwrap();
        let root = document.root_element();
        assert_eq!(root.attribute("v"), Some(nasty));
        assert_eq!(root.text(), Some(nasty));
    }
}
