//! The condition operators: each one's name, the fields it applies to and its documentation in
//! one typed table ([`OperatorName`]), and the compiled [`Operator`] that judges a field of a
//! record. Both are exhaustive enums, so adding an operator is a compiler-guided edit.

mod compare;
mod during;
mod literal;
mod membership;
mod pattern;
mod presence;
mod same;
mod sequence;

use std::fmt;

use marked_yaml::Node;
use marked_yaml::types::MarkedScalarNode;

use crate::compile::{CompileError, Compiler, Compiles};
use crate::diagnostic::closest;
use crate::model::{Field, FieldKind, Read, Session, Timestamp, UnreadableOperand};

pub(crate) use compare::{Comparison, Operand, Order, TimeBound};
pub(crate) use during::{DAYS, Window};
pub(crate) use membership::Membership;
pub(crate) use pattern::{Globs, Pattern};
pub(crate) use same::SameAs;

/// The fields an operator applies to, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applies {
    /// Every field.
    Any,
    /// Every field but the `OutputUrl` object.
    Scalars,
    /// Text, and `MaxSessionDuration`'s text.
    Textual,
    /// Numbers, and `MaxSessionDuration`'s minutes.
    Numeric,
    /// Timestamps.
    Timestamps,
}

impl Applies {
    fn to(self, kind: FieldKind) -> bool {
        match self {
            Self::Any => true,
            Self::Scalars => kind != FieldKind::Object,
            Self::Textual => kind.is_textual(),
            Self::Numeric => kind.is_numeric(),
            Self::Timestamps => kind == FieldKind::Timestamp,
        }
    }
}

/// What the table says of one operator.
struct Spec {
    name: &'static str,
    /// Whether it holds where its positive form does not, absent fields included.
    negated: bool,
    applies: Applies,
    /// Its argument, as the language reference's table writes it.
    argument: &'static str,
    /// When it holds: the hover text of the editor schema.
    doc: &'static str,
}

/// An operator of the policy language, by name: the one typed table of operators, from which
/// the compiler, diagnostics, the editor schema and the language reference's table are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperatorName {
    Exists,
    Present,
    Equals,
    NotEquals,
    In,
    NotIn,
    Glob,
    NotGlob,
    Matches,
    NotMatches,
    MinLength,
    MaxLength,
    Lt,
    Lte,
    Gt,
    Gte,
    Before,
    After,
    Type,
    During,
}

impl OperatorName {
    /// Every operator, in the order the language reference lists them.
    pub const ALL: [OperatorName; 20] = [
        Self::Exists,
        Self::Present,
        Self::Equals,
        Self::NotEquals,
        Self::In,
        Self::NotIn,
        Self::Glob,
        Self::NotGlob,
        Self::Matches,
        Self::NotMatches,
        Self::MinLength,
        Self::MaxLength,
        Self::Lt,
        Self::Lte,
        Self::Gt,
        Self::Gte,
        Self::Before,
        Self::After,
        Self::Type,
        Self::During,
    ];

    /// The table.
    const fn spec(self) -> Spec {
        const fn spec(
            name: &'static str,
            negated: bool,
            applies: Applies,
            argument: &'static str,
            doc: &'static str,
        ) -> Spec {
            Spec {
                name,
                negated,
                applies,
                argument,
                doc,
            }
        }
        use Applies::*;
        match self {
            Self::Exists => spec(
                "exists",
                false,
                Any,
                "bool",
                "`true`: the field is not absent (an empty string exists). `false`: it is absent.",
            ),
            Self::Present => spec(
                "present",
                false,
                Any,
                "bool",
                "`true`: the field exists and, if a string, has a non-whitespace character. `false`: the opposite.",
            ),
            Self::Equals => spec(
                "equals",
                false,
                Scalars,
                "scalar, or `{ field: Name }`",
                "The field equals the value (case-sensitive for text; numeric or temporal for numbers and timestamps), or the text of another field (`{ field: Name }`).",
            ),
            Self::NotEquals => spec(
                "not_equals",
                true,
                Scalars,
                "scalar, or `{ field: Name }`",
                "The field does not equal the value (or the text of another field); true where either is absent.",
            ),
            Self::In => spec(
                "in",
                false,
                Scalars,
                "list of scalars",
                "The field is one of the values.",
            ),
            Self::NotIn => spec(
                "not_in",
                true,
                Scalars,
                "list of scalars",
                "The field is none of the values; true where it is absent.",
            ),
            Self::Glob => spec(
                "glob",
                false,
                Textual,
                "pattern or list of patterns",
                "The whole value matches a glob (or one of a list).",
            ),
            Self::NotGlob => spec(
                "not_glob",
                true,
                Textual,
                "pattern or list of patterns",
                "The value matches none of the globs; true where it is absent.",
            ),
            Self::Matches => spec(
                "matches",
                false,
                Textual,
                "regex (Rust `regex` syntax)",
                "The regex (Rust `regex` syntax) finds a match anywhere in the value; anchor with `^...$` for a whole match.",
            ),
            Self::NotMatches => spec(
                "not_matches",
                true,
                Textual,
                "regex (Rust `regex` syntax)",
                "The regex finds no match; true where the field is absent.",
            ),
            Self::MinLength => spec(
                "min_length",
                false,
                Textual,
                "integer",
                "The value has at least this many Unicode characters.",
            ),
            Self::MaxLength => spec(
                "max_length",
                false,
                Textual,
                "integer",
                "The value has at most this many Unicode characters.",
            ),
            Self::Lt => spec(
                "lt",
                false,
                Numeric,
                "number, or `{ field: Name }`",
                "Less than a number or `{ field: Name }`.",
            ),
            Self::Lte => spec(
                "lte",
                false,
                Numeric,
                "number, or `{ field: Name }`",
                "At most a number or `{ field: Name }`.",
            ),
            Self::Gt => spec(
                "gt",
                false,
                Numeric,
                "number, or `{ field: Name }`",
                "Greater than a number or `{ field: Name }`.",
            ),
            Self::Gte => spec(
                "gte",
                false,
                Numeric,
                "number, or `{ field: Name }`",
                "At least a number or `{ field: Name }`.",
            ),
            Self::Before => spec(
                "before",
                false,
                Timestamps,
                "RFC 3339 timestamp, or `{ field: Name }`",
                "Earlier than an RFC 3339 timestamp (or date) or `{ field: Name }`.",
            ),
            Self::After => spec(
                "after",
                false,
                Timestamps,
                "RFC 3339 timestamp, or `{ field: Name }`",
                "Later than an RFC 3339 timestamp (or date) or `{ field: Name }`.",
            ),
            Self::Type => spec(
                "type",
                false,
                Any,
                "`string`, `number`, `boolean`, `object`, `array`",
                "The record's JSON value has this type.",
            ),
            Self::During => spec(
                "during",
                false,
                Timestamps,
                "`{ days: [mon..sun], from: \"HH:MM\", to: \"HH:MM\", offset: \"+HH:MM\" }`",
                "The instant, seen at `offset`, falls on one of `days`, at or after `from` and before `to`.",
            ),
        }
    }

    /// The name policies write.
    pub const fn name(self) -> &'static str {
        self.spec().name
    }

    /// Resolves a name as written; exact and case-sensitive.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether it is the negated form (`not_equals`, `not_in`, `not_glob`, `not_matches`),
    /// which holds where the field is absent.
    pub const fn is_negated(self) -> bool {
        self.spec().negated
    }

    /// Whether it applies to fields of `kind`.
    pub fn applies_to(self, kind: FieldKind) -> bool {
        self.spec().applies.to(kind)
    }

    /// Its argument, as the language reference's table writes it.
    pub const fn argument(self) -> &'static str {
        self.spec().argument
    }

    /// When it holds, in a sentence: the editor schema's hover text.
    pub const fn doc(self) -> &'static str {
        self.spec().doc
    }

    /// The operators a field of `kind` takes, for the help of a diagnostic; negated forms are
    /// named once for all.
    pub fn help_for(kind: FieldKind) -> String {
        let applies: Vec<OperatorName> = Self::ALL
            .into_iter()
            .filter(|op| op.applies_to(kind))
            .collect();
        let names: Vec<String> = applies
            .iter()
            .filter(|op| !op.is_negated())
            .map(|op| format!("`{op}`"))
            .collect();
        let negated = match applies.iter().any(|op| op.is_negated()) {
            true => " and their `not_` forms",
            false => "",
        };
        let members = match kind {
            FieldKind::Object => "; name its members as `OutputUrl.S3OutputUrl`",
            _ => "",
        };
        format!(
            "a field that is {} takes {}{negated}{members}",
            kind.noun(),
            names.join(", ")
        )
    }
}

impl fmt::Display for OperatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
    /// `equals: { field: Name }`, `not_equals: { field: Name }`.
    SameAs(SameAs),
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
    /// Compiles the operator named by `key` with argument `arg` for `field`.
    pub(crate) fn compile(
        cx: &mut Compiler<'_>,
        key: &MarkedScalarNode,
        arg: &Node,
        field: Field,
    ) -> Compiles<Operator> {
        let written = key.as_str();
        let Some(name) = OperatorName::from_name(written) else {
            let names = OperatorName::ALL.map(OperatorName::name);
            let problem = CompileError::UnknownOperator {
                name: written.to_owned(),
                suggestion: closest(written, names),
            };
            return Err(cx.error_at_key(key, problem));
        };
        if !name.applies_to(field.kind()) {
            let problem = CompileError::OperatorOnWrongType {
                operator: name,
                field: field.name(),
                kind: field.kind(),
            };
            return Err(cx.error_at_key(key, problem));
        }
        use OperatorName as Op;
        Ok(match name {
            Op::Exists => Operator::Exists(cx.boolean(arg, name)?),
            Op::Present => Operator::Present(cx.boolean(arg, name)?),
            Op::Type => Operator::Type(presence::compile_type(cx, arg)?),
            Op::Equals | Op::NotEquals if matches!(arg, Node::Mapping(_)) => {
                if !field.kind().is_textual() {
                    let problem = CompileError::OperatorOnWrongType {
                        operator: name,
                        field: field.name(),
                        kind: field.kind(),
                    };
                    return Err(cx.error_at_key(key, problem));
                }
                Operator::SameAs(SameAs::compile(cx, name, arg)?)
            }
            Op::Equals | Op::NotEquals | Op::In | Op::NotIn => {
                Operator::Membership(Membership::compile(cx, name, arg, field)?)
            }
            Op::Glob | Op::NotGlob => Operator::Glob(Globs::compile(cx, name, arg)?),
            Op::Matches | Op::NotMatches => Operator::Pattern(Pattern::compile(cx, name, arg)?),
            Op::MinLength => Operator::Length {
                bound: cx.integer(arg, name)?,
                max: false,
            },
            Op::MaxLength => Operator::Length {
                bound: cx.integer(arg, name)?,
                max: true,
            },
            Op::Lt => Operator::Compare(Comparison::compile(cx, name, Order::Lt, arg)?),
            Op::Lte => Operator::Compare(Comparison::compile(cx, name, Order::Lte, arg)?),
            Op::Gt => Operator::Compare(Comparison::compile(cx, name, Order::Gt, arg)?),
            Op::Gte => Operator::Compare(Comparison::compile(cx, name, Order::Gte, arg)?),
            Op::Before => Operator::Time(TimeBound::compile(cx, name, false, arg)?),
            Op::After => Operator::Time(TimeBound::compile(cx, name, true, arg)?),
            Op::During => Operator::During(Window::compile(cx, arg)?),
        })
    }

    /// Whether the operator holds for `field` of `session`.
    ///
    /// Inlined where conditions are judged, so that a check costs one call, of the function
    /// that judges its kind of operator, not a frame of this dispatch too.
    #[inline(always)]
    pub(crate) fn holds(&self, field: Field, session: &Session<'_>, now: Timestamp) -> bool {
        match self {
            Self::Membership(set) => set.holds(field, session, now),
            Self::Compare(comparison) => comparison.holds(field, session, now),
            Self::Pattern(pattern) => pattern_holds(pattern, field, session),
            Self::Glob(globs) => glob_holds(globs, field, session),
            other => other.other_holds(field, session, now),
        }
    }

    /// The operators that [`Operator::holds`] does not hand to their own function (every
    /// kind is matched, so that the match stays whole).
    #[inline(never)]
    fn other_holds(&self, field: Field, session: &Session<'_>, now: Timestamp) -> bool {
        match self {
            Self::Exists(expected) => session.exists(field, now) == *expected,
            Self::Present(expected) => presence::is_present(field, session, now) == *expected,
            Self::Type(expected) => session.json_type(field, now) == Some(*expected),
            Self::Membership(set) => set.holds(field, session, now),
            Self::SameAs(same) => same.holds(field, session),
            Self::Glob(globs) => glob_holds(globs, field, session),
            Self::Pattern(pattern) => pattern_holds(pattern, field, session),
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
            Self::SameAs(same) => same.expected(),
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
            Self::SameAs(same) => same.unreadable(field, session),
            Self::Glob(_) | Self::Pattern(_) | Self::Length { .. } => reason(session.text(field)),
            Self::Compare(comparison) => comparison.unreadable(field, session, now),
            Self::Time(bound) => bound.unreadable(field, session),
            Self::During(_) => reason(session.instant(field)),
        }
    }
}

impl Operator {
    /// The field named as its operand (`{ field: Name }`), if any.
    pub(crate) fn operand_field(&self) -> Option<Field> {
        match self {
            Self::SameAs(same) => Some(same.other()),
            Self::Compare(comparison) => match comparison.operand() {
                Operand::Field(field) => Some(field),
                Operand::Value(_) => None,
            },
            Self::Time(bound) => match bound.operand() {
                Operand::Field(field) => Some(field),
                Operand::Value(_) => None,
            },
            _ => None,
        }
    }
}

/// Whether a text field matches (or, negated, does not match) one of `globs`.
#[inline(never)]
fn glob_holds(globs: &Globs, field: Field, session: &Session<'_>) -> bool {
    judge(session.text(field), globs.negated, |t| globs.is_match(t))
}

/// Whether a text field matches (or, negated, does not match) `pattern`.
#[inline(never)]
fn pattern_holds(pattern: &Pattern, field: Field, session: &Session<'_>) -> bool {
    judge(session.text(field), pattern.negated, |t| {
        pattern.is_match(t)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_resolves_from_its_own_name() {
        for op in OperatorName::ALL {
            assert_eq!(OperatorName::from_name(op.name()), Some(op));
            assert_eq!(op.is_negated(), op.name().starts_with("not_"), "{op}");
        }
        assert_eq!(OperatorName::from_name("Equals"), None);
    }

    #[test]
    fn the_help_lists_what_applies_to_the_kind() {
        assert_eq!(
            OperatorName::help_for(FieldKind::Object),
            "a field that is an object takes `exists`, `present`, `type`; name its members as `OutputUrl.S3OutputUrl`"
        );
        let timestamp = OperatorName::help_for(FieldKind::Timestamp);
        for op in [
            "`before`",
            "`after`",
            "`during`",
            "`equals`",
            "`type`",
            "`present`",
        ] {
            assert!(timestamp.contains(op), "{timestamp}");
        }
        assert!(!timestamp.contains("`glob`"), "{timestamp}");
    }

    #[test]
    fn the_language_reference_table_lists_every_operator_with_its_argument() {
        let reference = include_str!("../docs/policy-language.md");
        let table = reference
            .lines()
            .skip_while(|line| !line.starts_with("| operator | argument |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'));
        let mut listed = Vec::new();
        for row in table {
            let cells: Vec<&str> = row
                .split(" | ")
                .map(|c| c.trim_matches(['|', ' ']))
                .collect();
            let (names, argument) = (cells[0], cells[1]);
            for name in names.split(", ") {
                let op = OperatorName::from_name(name.trim_matches('`')).unwrap_or_else(|| {
                    panic!("the reference lists `{name}`, which is no operator")
                });
                assert_eq!(op.argument(), argument, "{op}");
                listed.push(op);
            }
        }
        listed.sort();
        let mut all = OperatorName::ALL.to_vec();
        all.sort();
        assert_eq!(listed, all);
    }
}
