//! The condition operators: each one's argument, the fields it applies to, how it is judged,
//! and how a failure is explained. One exhaustive enum, so adding an operator is a guided edit.

mod compare;
mod during;
mod membership;
mod pattern;
mod presence;
mod sequence;

use marked_yaml::Node;

use crate::compile::Compiler;
use crate::model::{Field, FieldKind, Read, Session, Timestamp, UnreadableOperand};

pub(crate) use compare::{Comparison, TimeBound};
pub(crate) use during::{DAYS, Window};
pub(crate) use membership::Membership;
pub(crate) use pattern::{Globs, Pattern};

/// Every operator name, for suggestions.
pub const NAMES: &[&str] = &[
    "exists",
    "present",
    "equals",
    "not_equals",
    "in",
    "not_in",
    "glob",
    "not_glob",
    "matches",
    "not_matches",
    "min_length",
    "max_length",
    "lt",
    "lte",
    "gt",
    "gte",
    "before",
    "after",
    "type",
    "during",
];

/// A compiled operator with its argument, ready to judge one field of a record.
#[derive(Debug, Clone)]
pub(crate) enum Operator {
    /// `exists`: the field is (or, with `false`, is not) absent.
    Exists(bool),
    /// `present`: the field exists and, if a string, is not blank.
    Present(bool),
    /// `type`: the JSON type of the record's value.
    Type(crate::model::JsonType),
    /// `equals`, `not_equals`, `in`, `not_in`.
    Membership(Membership),
    /// `glob`, `not_glob`.
    Glob(Globs),
    /// `matches`, `not_matches`.
    Pattern(Pattern),
    /// `min_length`, `max_length`.
    Length { bound: usize, max: bool },
    /// `lt`, `lte`, `gt`, `gte`.
    Compare(Comparison),
    /// `before`, `after`.
    Time(TimeBound),
    /// `during`.
    During(Window),
}

impl Operator {
    /// Compiles operator `name` with argument `arg` for `field`; reports problems to `cx`.
    pub(crate) fn compile(
        cx: &mut Compiler<'_>,
        name: &marked_yaml::types::MarkedScalarNode,
        arg: &Node,
        field: Field,
    ) -> Option<Operator> {
        let name_str = name.as_str();
        let Some(&op) = NAMES.iter().find(|n| **n == name_str) else {
            cx.error_at_key(
                name,
                crate::LoadError::UnknownOperator {
                    name: name_str.to_owned(),
                    suggestion: crate::diagnostic::closest(name_str, NAMES.iter().copied()),
                },
            );
            return None;
        };
        if !applies(op, field.kind()) {
            cx.error_at_key(
                name,
                crate::LoadError::OperatorOnWrongType {
                    operator: op,
                    field: field.name(),
                    kind: field.kind().noun(),
                    help: wrong_type_help(field.kind()),
                },
            );
            return None;
        }
        match op {
            "exists" => cx.boolean(arg, op).map(Operator::Exists),
            "present" => cx.boolean(arg, op).map(Operator::Present),
            "type" => presence::compile_type(cx, arg),
            "equals" | "not_equals" | "in" | "not_in" => {
                Membership::compile(cx, op, arg, field).map(Operator::Membership)
            }
            "glob" | "not_glob" => Globs::compile(cx, op, arg).map(Operator::Glob),
            "matches" | "not_matches" => Pattern::compile(cx, op, arg).map(Operator::Pattern),
            "min_length" | "max_length" => cx.integer(arg, op).map(|bound| Operator::Length {
                bound,
                max: op == "max_length",
            }),
            "lt" | "lte" | "gt" | "gte" => Comparison::compile(cx, op, arg).map(Operator::Compare),
            "before" | "after" => TimeBound::compile(cx, op, arg).map(Operator::Time),
            "during" => Window::compile(cx, arg).map(Operator::During),
            _ => None,
        }
    }

    /// Whether the operator holds for `field` of `session`.
    pub(crate) fn holds(&self, field: Field, session: &Session<'_>, now: Timestamp) -> bool {
        match self {
            Self::Exists(expected) => session.exists(field, now) == *expected,
            Self::Present(expected) => presence::is_present(field, session, now) == *expected,
            Self::Type(expected) => session.json_type(field, now) == Some(*expected),
            Self::Membership(set) => set.holds(field, session, now),
            Self::Glob(globs) => judge(session.text(field), globs.negated, |t| globs.is_match(t)),
            Self::Pattern(pattern) => judge(session.text(field), pattern.negated, |t| {
                pattern.is_match(t)
            }),
            Self::Length { bound, max } => judge(session.text(field), false, |text| {
                let length = text.chars().count();
                if *max {
                    length <= *bound
                } else {
                    length >= *bound
                }
            }),
            Self::Compare(comparison) => comparison.holds(field, session, now),
            Self::Time(bound) => bound.holds(field, session),
            Self::During(window) => judge(session.instant(field), false, |t| window.contains(t)),
        }
    }

    /// The expectation in a few words, as violations and messages show it: `<= 60`, `one of [..]`.
    pub(crate) fn expected(&self) -> String {
        match self {
            Self::Exists(true) => "to exist".to_owned(),
            Self::Exists(false) => "absent".to_owned(),
            Self::Present(true) => "present".to_owned(),
            Self::Present(false) => "not present".to_owned(),
            Self::Type(t) => format!("of type {t}"),
            Self::Membership(set) => set.expected(),
            Self::Glob(globs) => globs.expected(),
            Self::Pattern(pattern) => pattern.expected(),
            Self::Length { bound, max: true } => format!("at most {bound} characters"),
            Self::Length { bound, max: false } => format!("at least {bound} characters"),
            Self::Compare(comparison) => comparison.expected(),
            Self::Time(bound) => bound.expected(),
            Self::During(window) => window.expected(),
        }
    }

    /// Why the operator could not judge the field, when the value was unreadable for it.
    pub(crate) fn unreadable(
        &self,
        field: Field,
        session: &Session<'_>,
        now: Timestamp,
    ) -> Option<UnreadableOperand> {
        match self {
            Self::Exists(_) | Self::Present(_) | Self::Type(_) => None,
            Self::Membership(set) => set.unreadable(field, session, now),
            Self::Glob(_) | Self::Pattern(_) | Self::Length { .. } => reason(session.text(field)),
            Self::Compare(comparison) => comparison.unreadable(field, session, now),
            Self::Time(bound) => bound.unreadable(field, session),
            Self::During(_) => reason(session.instant(field)),
        }
    }
}

/// Judges a read: absent fields satisfy only negated operators, unreadable ones none.
pub(crate) fn judge<T>(read: Read<T>, negated: bool, test: impl FnOnce(T) -> bool) -> bool {
    match read {
        Read::Absent => negated,
        Read::Unreadable(_) => false,
        Read::Value(value) => test(value) != negated,
    }
}

fn reason<T>(read: Read<T>) -> Option<UnreadableOperand> {
    match read {
        Read::Unreadable(why) => Some(UnreadableOperand::Field(why)),
        _ => None,
    }
}

/// Whether an operator applies to fields of a kind (the editor schema offers the same).
pub(crate) fn applies(operator: &str, kind: FieldKind) -> bool {
    match operator {
        "exists" | "present" | "type" => true,
        "equals" | "not_equals" | "in" | "not_in" => kind != FieldKind::Object,
        "glob" | "not_glob" | "matches" | "not_matches" | "min_length" | "max_length" => {
            kind.is_textual()
        }
        "lt" | "lte" | "gt" | "gte" => kind.is_numeric(),
        "before" | "after" | "during" => kind == FieldKind::Timestamp,
        _ => false,
    }
}

fn wrong_type_help(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => {
            "string fields take `equals`, `in`, `glob`, `matches`, `min_length`, `max_length`, `exists`, `present`, `type`"
        }
        FieldKind::Timestamp => {
            "timestamp fields take `before`, `after`, `during`, `equals`, `in`, `exists`, `type`"
        }
        FieldKind::Minutes => "`MaxSessionDuration` takes numeric and string operators",
        FieldKind::Number => {
            "number fields take `lt`, `lte`, `gt`, `gte`, `equals`, `in`, `exists`"
        }
        FieldKind::Object => {
            "`OutputUrl` takes `exists`, `present` and `type`; name its members as `OutputUrl.S3OutputUrl`"
        }
    }
}
