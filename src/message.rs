//! Violation messages: the `message` templates of rules, and the default message written from
//! the condition that failed.

use crate::compile::CompileError;
use crate::condition::Failure;
use crate::model::{Field, Session, Timestamp};

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

    /// Renders the template for a record; absent values show as `-`.
    pub(crate) fn render(
        &self,
        session: &Session<'_>,
        now: Timestamp,
        context: &MessageContext<'_>,
    ) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field(field) => out.push_str(&session.display(*field, now)),
                Part::Rule => out.push_str(context.rule),
                Part::Policy => out.push_str(context.policy),
                Part::Severity => out.push_str(context.severity),
            }
        }
        out
    }
}

/// The message written when a rule has no template: field, actual value, expectation, and why.
pub(crate) fn default_message(
    failure: &Failure,
    session: &Session<'_>,
    now: Timestamp,
    case: Option<&str>,
) -> String {
    let actual = match session.actual(failure.field, now) {
        serde_json::Value::Null => "absent".to_owned(),
        serde_json::Value::String(text) if text.trim().is_empty() || text.contains('\n') => {
            serde_json::Value::String(text).to_string()
        }
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    };
    let mut message = format!(
        "{} is {actual}, expected {}",
        failure.field, failure.expected
    );
    let notes: Vec<String> = failure
        .reason
        .iter()
        .map(ToString::to_string)
        .chain(case.map(|case| format!("case {case}")))
        .collect();
    if !notes.is_empty() {
        message.push_str(&format!(" ({})", notes.join("; ")));
    }
    message
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
        assert_eq!(
            t.render(&s, Timestamp::now(), &context),
            "r: s-1 on - (-) {literal}"
        );
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
