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
    // Read a byte at a time: every character escaped is ASCII or starts with 0xEF (U+FFFE,
    // U+FFFF), so each stop is at a character's start, and runs that need nothing are
    // written whole.
    let bytes = value.as_bytes();
    let (mut plain, mut at) = (0, 0);
    loop {
        at += plain_length(bytes.get(at..).unwrap_or_default());
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        // What the character becomes (`None`: written as `\u{..}`), and its length.
        let (escaped, len) = match byte {
            b'&' => (Some("&amp;"), 1),
            b'<' => (Some("&lt;"), 1),
            b'>' => (Some("&gt;"), 1),
            b'"' if attribute => (Some("&quot;"), 1),
            b'\n' if attribute => (Some("&#10;"), 1),
            // A parser reads a raw carriage return as a line feed, even in content.
            b'\r' => (Some("&#13;"), 1),
            b'\t' if attribute => (Some("&#9;"), 1),
            b'\t' | b'\n' => {
                at += 1;
                continue;
            }
            0..0x20 => (None, 1),
            0xef if matches!(bytes.get(at + 1..at + 3), Some([0xbf, 0xbe | 0xbf])) => (None, 3),
            _ => {
                at += 1;
                continue;
            }
        };
        let _ = out.write_str(value.get(plain..at).unwrap_or_default());
        let character = value.get(at..at + len).unwrap_or_default();
        let _ = match escaped {
            Some(escaped) => out.write_str(escaped),
            None => character
                .chars()
                .try_for_each(|c| write!(out, "\\u{{{:x}}}", u32::from(c))),
        };
        at += len;
        plain = at;
    }
    let _ = out.write_str(value.get(plain..).unwrap_or_default());
}

/// How many bytes start `bytes` before the first that may need escaping: a control character,
/// `&`, `<`, `>`, `"`, or 0xEF, which starts U+FFFE and U+FFFF (or its length if there is none).
///
/// Eight bytes at a time, as `json_text::plain_length` reads JSON strings: a byte of a word is
/// flagged when it equals one of those or is below 0x20, and the lowest flag is the first such
/// byte (a flag can be wrong only above a byte that is rightly flagged).
fn plain_length(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let equal = |word: u64, byte: u8| zero_bytes(word ^ (ONES * u64::from(byte)));
    let mut rest = bytes;
    while let Some((word, after)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*word);
        let flags = equal(word, b'&')
            | equal(word, b'<')
            | equal(word, b'>')
            | equal(word, b'"')
            | equal(word, 0xef)
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if flags != 0 {
            return bytes.len() - rest.len() + flags.trailing_zeros() as usize / 8;
        }
        rest = after;
    }
    let tail = rest
        .iter()
        .take_while(|b| !matches!(b, b'&' | b'<' | b'>' | b'"' | 0xef | 0..0x20));
    bytes.len() - rest.len() + tail.count()
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
    fn every_character_is_escaped_by_its_own_rule_as_text_or_bytes() {
        let mut all = String::new();
        all.extend(
            (0u32..0x300)
                .chain(0xfff0..0x10010)
                .filter_map(char::from_u32),
        );
        for value in [
            "a<b & \"c\"\nd\u{1}\te'\r",
            "",
            "plain é",
            "\u{fffe}x\u{ffff}\u{fffd}\u{efbf}",
            &all,
        ] {
            for attribute in [true, false] {
                let mut bytes = b"head ".to_vec();
                escape_bytes(&mut bytes, value, attribute);
                let expected: String = value
                    .chars()
                    .map(|c| match (c, attribute) {
                        ('&', _) => "&amp;".to_owned(),
                        ('<', _) => "&lt;".to_owned(),
                        ('>', _) => "&gt;".to_owned(),
                        ('"', true) => "&quot;".to_owned(),
                        ('\n', true) => "&#10;".to_owned(),
                        ('\r', _) => "&#13;".to_owned(),
                        ('\t', true) => "&#9;".to_owned(),
                        ('\t' | '\n', false) => c.to_string(),
                        ('\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}', _) => {
                            format!("\\u{{{:x}}}", u32::from(c))
                        }
                        _ => c.to_string(),
                    })
                    .collect();
                assert_eq!(if attribute { attr(value) } else { text(value) }, expected);
                assert_eq!(bytes, format!("head {expected}").into_bytes());
            }
        }
    }

    #[test]
    fn plain_length_stops_at_the_first_byte_that_may_need_escaping() {
        for stop in [b'&', b'<', b'>', b'"', 0xef, 0x00, 0x1f, b'\n'] {
            for at in 0..20 {
                let mut bytes = vec![b'a'; 24];
                bytes.extend_from_slice("é\u{7f}".as_bytes());
                if let Some(byte) = bytes.get_mut(at) {
                    *byte = stop;
                }
                // Later stops of every kind must not hide the first one.
                bytes.extend_from_slice(b"&\x01\xef");
                assert_eq!(plain_length(&bytes), at, "{stop:#x} at {at}");
            }
        }
        let plain = "plain text, \u{20} and above: \u{7f} é".as_bytes();
        assert_eq!(plain_length(plain), plain.len());
        assert_eq!(plain_length(b""), 0);
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
