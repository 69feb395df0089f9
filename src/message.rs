//! Violation messages: the `message` templates of rules, and the default message written from
//! the condition that failed.

use std::fmt;

use crate::compile::CompileError;
use crate::condition::Failure;
use crate::model::{Actual, Field, Session, Timestamp, is_blank};

/// A compiled `message` template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Field(Field),
    Rule,
    Policy,
    Severity,
}

/// The placeholders that are not fields.
const META: &[&str] = &["rule", "policy", "severity"];

/// Why a template does not parse: at least one problem, each at its character offset.
#[derive(Debug)]
pub(crate) struct TemplateErrors {
    pub first: (usize, CompileError),
    pub rest: Vec<(usize, CompileError)>,
}

/// What a template renders besides record values.
pub(crate) struct MessageContext<'a> {
    pub rule: &'a str,
    pub policy: &'a str,
    pub severity: &'a str,
}

impl Template {
    /// Parses a template; errors carry the character offset of the placeholder in the text.
    pub(crate) fn parse(text: &str) -> Result<Template, TemplateErrors> {
        let mut parts = Vec::new();
        let mut errors = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        let mut position = 0usize;
        while let Some((_, c)) = chars.next() {
            let here = position;
            position += 1;
            match c {
                '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                    chars.next();
                    position += 1;
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                    chars.next();
                    position += 1;
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        position += 1;
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        errors.push((here, CompileError::UnclosedPlaceholder));
                        break;
                    }
                    let part = match name.as_str() {
                        "rule" => Some(Part::Rule),
                        "policy" => Some(Part::Policy),
                        "severity" => Some(Part::Severity),
                        _ => Field::from_name(&name).map(Part::Field),
                    };
                    match part {
                        Some(part) => {
                            if !literal.is_empty() {
                                parts.push(Part::Text(std::mem::take(&mut literal)));
                            }
                            parts.push(part);
                        }
                        None => {
                            let names = Field::ALL
                                .iter()
                                .map(|f| f.name())
                                .chain(META.iter().copied());
                            errors.push((
                                here,
                                CompileError::UnknownPlaceholder {
                                    suggestion: crate::diagnostic::closest(&name, names),
                                    name,
                                },
                            ));
                        }
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        let mut errors = errors.into_iter();
        match errors.next() {
            None => Ok(Template { parts }),
            Some(first) => Err(TemplateErrors {
                first,
                rest: errors.collect(),
            }),
        }
    }

    /// Renders the template for a record into `out`; absent values show as `-`.
    pub(crate) fn render_into(
        &self,
        session: &Session<'_>,
        now: Timestamp,
        context: &MessageContext<'_>,
        out: &mut impl fmt::Write,
    ) {
        // The sinks messages are written to (a String, JSON text) cannot fail.
        for part in &self.parts {
            let _ = match part {
                Part::Text(text) => out.write_str(text),
                Part::Field(field) => {
                    session.write_display(*field, now, out);
                    Ok(())
                }
                Part::Rule => out.write_str(context.rule),
                Part::Policy => out.write_str(context.policy),
                Part::Severity => out.write_str(context.severity),
            };
        }
    }
}

/// Writes the message of a rule without a template into `out`: field, actual value,
/// expectation, and why (`Reason is absent, expected present (case Target glob "mi-*")`).
pub(crate) fn write_default_message(
    failure: &Failure<'_>,
    actual: &Actual<'_>,
    case: Option<&str>,
    out: &mut impl fmt::Write,
) {
    // The sinks messages are written to (a String, JSON text) cannot fail: results are ignored.
    let _ = out.write_str(failure.field.name());
    let _ = out.write_str(" is ");
    let _ = match actual {
        Actual::Json(serde_json::Value::Null) => out.write_str("absent"),
        // Blank or multi-line text is quoted, so that the message shows where it ends.
        Actual::Text(text)
            if is_blank(text) || memchr::memchr(b'\n', text.as_bytes()).is_some() =>
        {
            write!(out, "{}", serde_json::Value::String((*text).to_owned()))
        }
        Actual::Text(text) => out.write_str(text),
        Actual::Json(other) => write!(out, "{other}"),
    };
    let _ = out.write_str(", expected ");
    let _ = out.write_str(failure.expected);
    let mut notes = failure
        .reason
        .iter()
        .map(Note::Reason)
        .chain(case.map(Note::Case))
        .peekable();
    if notes.peek().is_some() {
        let _ = out.write_str(" (");
        for (n, note) in notes.enumerate() {
            if n > 0 {
                let _ = out.write_str("; ");
            }
            let _ = match note {
                Note::Reason(reason) => write!(out, "{reason}"),
                Note::Case(case) => write!(out, "case {case}"),
            };
        }
        let _ = out.write_char(')');
    }
}

/// What a default message adds in parentheses.
enum Note<'a> {
    Reason(&'a crate::model::UnreadableOperand),
    Case(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_name_fields_and_rule_metadata() {
        let t =
            Template::parse("{rule}: {SessionId} on {Target} ({OwnerRole}) {{literal}}").unwrap();
        let s = Session::with([(Field::SessionId, crate::model::Value::String("s-1".into()))]);
        let context = MessageContext {
            rule: "r",
            policy: "p",
            severity: "high",
        };
        let mut message = String::new();
        t.render_into(&s, Timestamp::now(), &context, &mut message);
        assert_eq!(message, "r: s-1 on - (-) {literal}");
    }

    #[test]
    fn unknown_placeholders_are_errors_with_a_suggestion() {
        let errors = Template::parse("{SesionId} and {nope} {Target}").unwrap_err();
        assert_eq!(errors.rest.len(), 1);
        assert_eq!(errors.first.0, 0);
        assert!(matches!(
            &errors.first.1,
            CompileError::UnknownPlaceholder {
                suggestion: Some("SessionId"),
                ..
            }
        ));
    }

    #[test]
    fn an_unclosed_brace_is_an_error() {
        assert!(Template::parse("oops {Target").is_err());
    }
}
