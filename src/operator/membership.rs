//! `equals`, `not_equals`, `in` and `not_in`: a value compared with a set, by the field's kind
//! (text for strings, numbers for minutes and durations, instants for timestamps).

use std::collections::HashSet;

use marked_yaml::Node;

use super::{OperatorName, literal};
use crate::compile::{CompileError, Compiler, Compiles, Failures};
use crate::model::{Field, FieldKind, Read, Session, Timestamp, UnreadableOperand};

/// Past this many strings a hash set beats a linear scan.
const LINEAR_LIMIT: usize = 8;

/// The set a value is compared with, split by how the record's value is read.
#[derive(Debug, Clone)]
pub(crate) struct Membership {
    texts: Texts,
    numbers: Vec<f64>,
    instants: Vec<Timestamp>,
    /// `not_equals` / `not_in`.
    negated: bool,
    /// `equals` / `not_equals`: one value, shown without brackets.
    single: bool,
    shown: Vec<String>,
}

#[derive(Debug, Clone)]
enum Texts {
    Few(Vec<Box<str>>),
    Many(HashSet<Box<str>>),
}

impl Texts {
    fn contains(&self, text: &str) -> bool {
        match self {
            Self::Few(list) => list
                .iter()
                .any(|t| literal::same(t.as_bytes(), text.as_bytes())),
            Self::Many(set) => set.contains(text),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Few(list) => list.is_empty(),
            Self::Many(set) => set.is_empty(),
        }
    }
}

/// What YAML reads an unquoted scalar as, where it is not text: a tag value written so is
/// compared as its text, which may not be what was meant (`01` is `1` to YAML).
fn yaml_non_text(text: &str) -> Option<&'static str> {
    match text {
        "true" | "false" | "True" | "False" | "TRUE" | "FALSE" => Some("a boolean"),
        _ if text.parse::<f64>().is_ok() => Some("a number"),
        _ => None,
    }
}

impl Membership {
    pub(super) fn compile(
        cx: &mut Compiler<'_>,
        op: OperatorName,
        arg: &Node,
        field: Field,
    ) -> Compiles<Self> {
        let single = matches!(op, OperatorName::Equals | OperatorName::NotEquals);
        let items: Vec<&Node> = match arg {
            Node::Sequence(list) if !single => list.iter().collect(),
            Node::Scalar(_) => vec![arg],
            _ => {
                let expected = if single {
                    "a scalar"
                } else {
                    "a list of scalars"
                };
                return Err(cx.wrong_shape(arg, &format!("the argument of `{op}`"), expected));
            }
        };
        Self::from_items(cx, op, arg, &items, field)
    }

    /// Builds the set from the scalars of `Field: scalar` or `Field: [..]` shorthand too.
    pub(crate) fn from_items(
        cx: &mut Compiler<'_>,
        op: OperatorName,
        at: &Node,
        items: &[&Node],
        field: Field,
    ) -> Compiles<Self> {
        let mut texts = Vec::new();
        let mut numbers = Vec::new();
        let mut instants = Vec::new();
        let mut shown = Vec::new();
        let mut failures = Failures::default();
        for item in items {
            let Some(scalar) = failures.note(cx.scalar(item, &format!("a value of `{op}`"))) else {
                continue;
            };
            let text = scalar.as_str();
            if scalar.may_coerce() && matches!(text, "~" | "null" | "Null" | "NULL") {
                failures.add(cx.error_at(
                    item,
                    CompileError::InvalidArgument {
                        operator: op,
                        expected: "a value (write `exists: false` to require an absent field)",
                        found: "null".to_owned(),
                    },
                ));
                continue;
            }
            if field.tag().is_some()
                && scalar.may_coerce()
                && let Some(read_as) = yaml_non_text(text)
            {
                let length = text.chars().count();
                cx.warn(
                    item.span(),
                    length,
                    CompileError::TagValueNotText {
                        field: field.name(),
                        value: text.to_owned(),
                        read_as,
                    },
                );
            }
            match field.kind() {
                FieldKind::Text | FieldKind::Object => {
                    shown.push(quote(text));
                    texts.push(Box::from(text));
                }
                FieldKind::Minutes => match number(text) {
                    // A number compares numerically, so `60` matches both "60" and 60.
                    Some(n) => {
                        shown.push(text.to_owned());
                        numbers.push(n);
                    }
                    None => {
                        shown.push(quote(text));
                        texts.push(Box::from(text));
                    }
                },
                FieldKind::Number => match number(text) {
                    Some(n) => {
                        shown.push(text.to_owned());
                        numbers.push(n);
                    }
                    None => failures.add(cx.error_at(
                        item,
                        CompileError::InvalidArgument {
                            operator: op,
                            expected: "a number",
                            found: format!("`{text}`"),
                        },
                    )),
                },
                FieldKind::Timestamp => match Timestamp::parse_instant_or_date(text) {
                    Ok(instant) => {
                        shown.push(instant.to_string());
                        instants.push(instant);
                    }
                    Err(_) => failures.add(cx.error_at(
                        item,
                        CompileError::InvalidTimestamp {
                            text: text.to_owned(),
                        },
                    )),
                },
            }
        }
        if items.is_empty() {
            failures.add(cx.error_at(
                at,
                CompileError::Empty {
                    what: "the list of values",
                },
            ));
        }
        let texts = if texts.len() > LINEAR_LIMIT {
            Texts::Many(texts.into_iter().collect())
        } else {
            Texts::Few(texts)
        };
        let negated = op.is_negated();
        let single = matches!(op, OperatorName::Equals | OperatorName::NotEquals);
        failures.finish(|| Self {
            texts,
            numbers,
            instants,
            negated,
            single,
            shown,
        })
    }

    #[inline(never)]
    pub(super) fn holds(&self, field: Field, session: &Session<'_>, now: Timestamp) -> bool {
        let (readable, found) = self.lookup(field, session, now);
        match readable {
            Read::Absent => self.negated,
            Read::Unreadable(_) => false,
            Read::Value(()) => found != self.negated,
        }
    }

    /// Reads the field every way the set needs; readable if any read succeeds.
    #[inline(always)]
    fn lookup(&self, field: Field, session: &Session<'_>, now: Timestamp) -> (Read<()>, bool) {
        match field.kind() {
            FieldKind::Timestamp => match session.instant(field) {
                Read::Value(t) => (Read::Value(()), self.instants.contains(&t)),
                other => (strip(other), false),
            },
            FieldKind::Number => match session.number(field, now) {
                Read::Value(n) => (Read::Value(()), self.numbers.contains(&n)),
                other => (strip(other), false),
            },
            FieldKind::Minutes => {
                let mut outcome = (Read::Absent, false);
                if !self.numbers.is_empty() {
                    match session.number(field, now) {
                        Read::Value(n) if self.numbers.contains(&n) => {
                            return (Read::Value(()), true);
                        }
                        other => outcome = (strip(other), false),
                    }
                }
                if !self.texts.is_empty() {
                    match session.text(field) {
                        Read::Value(t) => return (Read::Value(()), self.texts.contains(t)),
                        other if !matches!(outcome.0, Read::Value(())) => {
                            outcome = (strip(other), false)
                        }
                        _ => {}
                    }
                }
                outcome
            }
            FieldKind::Text | FieldKind::Object => match session.text(field) {
                Read::Value(t) => (Read::Value(()), self.texts.contains(t)),
                other => (strip(other), false),
            },
        }
    }

    pub(super) fn unreadable(
        &self,
        field: Field,
        session: &Session<'_>,
        now: Timestamp,
    ) -> Option<UnreadableOperand> {
        match self.lookup(field, session, now).0 {
            Read::Unreadable(why) => Some(UnreadableOperand::Field(why)),
            _ => None,
        }
    }

    /// The texts of the set, for analysis of the languages conditions accept.
    pub(crate) fn texts(&self) -> Vec<&str> {
        match &self.texts {
            Texts::Few(list) => list.iter().map(|t| &**t).collect(),
            Texts::Many(set) => {
                let mut texts: Vec<&str> = set.iter().map(|t| &**t).collect();
                texts.sort_unstable();
                texts
            }
        }
    }

    /// The numbers of the set.
    pub(crate) fn numbers(&self) -> &[f64] {
        &self.numbers
    }

    /// The instants of the set.
    pub(crate) fn instants(&self) -> &[Timestamp] {
        &self.instants
    }

    /// Whether it is `not_equals` or `not_in`.
    pub(crate) fn is_negated(&self) -> bool {
        self.negated
    }

    pub(super) fn expected(&self) -> String {
        let list = self.shown.join(", ");
        match (self.single, self.negated) {
            (true, false) => list,
            (true, true) => format!("not {list}"),
            (false, false) => format!("one of [{list}]"),
            (false, true) => format!("none of [{list}]"),
        }
    }
}

fn strip<T>(read: Read<T>) -> Read<()> {
    match read {
        Read::Absent => Read::Absent,
        Read::Value(_) => Read::Value(()),
        Read::Unreadable(why) => Read::Unreadable(why),
    }
}

/// A plain decimal number as policies write them.
fn number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    if valid { text.parse().ok() } else { None }
}

fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}
