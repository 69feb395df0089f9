//! Compiled conditions: checks of one field combined with `all`, `any` and `not`, judged
//! without allocating, and explained (which check failed, and why) only when they fail.

use crate::model::{Field, Session, TagFamilies, TagRead, Timestamp, UnreadableOperand};
use crate::operator::Operator;

/// A condition's value where tags may be unknown: true, false, or neither (Kleene's logic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    /// It depends on tags that could not be learned.
    Unknown,
}

impl Truth {
    fn from_bool(holds: bool) -> Self {
        if holds { Self::True } else { Self::False }
    }

    fn not(self) -> Self {
        match self {
            Self::True => Self::False,
            Self::False => Self::True,
            Self::Unknown => Self::Unknown,
        }
    }
}

/// A compiled condition. What a failing node says it expected is written once, when it is
/// compiled, so that explaining a failure on the hot path borrows it instead of formatting it.
#[derive(Debug, Clone)]
pub(crate) enum Condition {
    /// Every condition holds: a mapping's entries, an operator mapping, or `all`.
    All(Vec<Condition>),
    /// At least one holds; the text is `any of (a; b)`.
    Any(Vec<Condition>, Box<str>),
    /// The condition does not hold; the text is `not (a)`.
    Not(Box<Condition>, Box<str>),
    /// One operator on one field, and what it expects (`glob "i-*"`).
    Check {
        field: Field,
        operator: Operator,
        expected: Box<str>,
    },
}

/// What a failed condition says: the field whose check failed, what was expected, and why a
/// value could not be judged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure<'c> {
    pub field: Field,
    pub expected: &'c str,
    pub reason: Option<UnreadableOperand>,
}

impl Condition {
    /// `any` of conditions.
    pub(crate) fn any(conditions: Vec<Condition>) -> Self {
        let parts: Vec<String> = conditions.iter().map(Condition::describe).collect();
        let expected = format!("any of ({})", parts.join("; ")).into_boxed_str();
        Self::Any(conditions, expected)
    }

    /// `not` a condition.
    pub(crate) fn not(condition: Condition) -> Self {
        let expected = format!("not ({})", condition.describe()).into_boxed_str();
        Self::Not(Box::new(condition), expected)
    }

    /// One operator on one field.
    pub(crate) fn check(field: Field, operator: Operator) -> Self {
        let expected = operator.expected().into_boxed_str();
        Self::Check {
            field,
            operator,
            expected,
        }
    }

    /// Whether the condition holds for the record.
    ///
    /// Inlined where it is called, so that a rule's single check, the common case, costs the
    /// call of its operator and not a frame of this function too; combinations are judged by
    /// [`Condition::combination_holds`].
    #[inline(always)]
    pub(crate) fn holds(&self, session: &Session<'_>, now: Timestamp) -> bool {
        match self {
            Self::Check {
                field, operator, ..
            } => operator.holds(*field, session, now),
            combination => combination.combination_holds(session, now),
        }
    }

    #[inline(never)]
    fn combination_holds(&self, session: &Session<'_>, now: Timestamp) -> bool {
        match self {
            Self::All(conditions) => conditions.iter().all(|c| c.holds(session, now)),
            Self::Any(conditions, _) => conditions.iter().any(|c| c.holds(session, now)),
            Self::Not(condition, _) => !condition.holds(session, now),
            Self::Check {
                field, operator, ..
            } => operator.holds(*field, session, now),
        }
    }

    /// Whether the condition holds, where tag fields may be unknown. Only conditions that name
    /// a tag field need it; for the others it is [`Condition::holds`].
    pub(crate) fn judge(&self, session: &Session<'_>, now: Timestamp) -> Truth {
        match self {
            Self::All(conditions) => {
                let mut truth = Truth::True;
                for condition in conditions {
                    match condition.judge(session, now) {
                        Truth::False => return Truth::False,
                        Truth::Unknown => truth = Truth::Unknown,
                        Truth::True => {}
                    }
                }
                truth
            }
            Self::Any(conditions, _) => {
                let mut truth = Truth::False;
                for condition in conditions {
                    match condition.judge(session, now) {
                        Truth::True => return Truth::True,
                        Truth::Unknown => truth = Truth::Unknown,
                        Truth::False => {}
                    }
                }
                truth
            }
            Self::Not(condition, _) => condition.judge(session, now).not(),
            Self::Check {
                field, operator, ..
            } => {
                let fields = std::iter::once(*field).chain(operator.operand_field());
                for field in fields {
                    if let Some(TagRead::Unknown(_)) = session.tag(field) {
                        return Truth::Unknown;
                    }
                }
                Truth::from_bool(operator.holds(*field, session, now))
            }
        }
    }

    /// The first tag field the condition reads whose tags could not be learned, and why.
    pub(crate) fn unknown_tag(&self, session: &Session<'_>) -> Option<UnreadableOperand> {
        match self {
            Self::All(c) | Self::Any(c, _) => c.iter().find_map(|c| c.unknown_tag(session)),
            Self::Not(c, _) => c.unknown_tag(session),
            Self::Check {
                field, operator, ..
            } => std::iter::once(*field)
                .chain(operator.operand_field())
                .find_map(|field| match session.tag(field) {
                    Some(TagRead::Unknown(reason)) => Some(UnreadableOperand::UnknownTags {
                        field,
                        reason: reason.to_owned(),
                    }),
                    _ => None,
                }),
        }
    }

    /// Whether the condition compares the text of two fields (`equals: { field: Name }`).
    pub(crate) fn compares_texts(&self) -> bool {
        match self {
            Self::All(c) | Self::Any(c, _) => c.iter().any(Condition::compares_texts),
            Self::Not(c, _) => c.compares_texts(),
            Self::Check { operator, .. } => matches!(operator, Operator::SameAs(_)),
        }
    }

    /// The tag families the condition reads.
    pub(crate) fn tag_families(&self) -> TagFamilies {
        match self {
            Self::All(c) | Self::Any(c, _) => c
                .iter()
                .fold(TagFamilies::NONE, |all, c| all.union(c.tag_families())),
            Self::Not(c, _) => c.tag_families(),
            Self::Check {
                field, operator, ..
            } => {
                let mut families = TagFamilies::NONE;
                for field in std::iter::once(*field).chain(operator.operand_field()) {
                    if let Some(tag) = field.tag() {
                        families.insert(tag.family());
                    }
                }
                families
            }
        }
    }

    /// Explains a condition that does not hold. The first failing entry, in document order,
    /// is the one reported; of an `any`, the first entry names the field, and the whole
    /// `any` is what was expected.
    pub(crate) fn explain(&self, session: &Session<'_>, now: Timestamp) -> Failure<'_> {
        match self {
            Self::All(conditions) => conditions
                .iter()
                .find(|c| !c.holds(session, now))
                .or(conditions.first())
                .map_or_else(
                    || Failure {
                        field: Field::SessionId,
                        expected: "",
                        reason: None,
                    },
                    |c| c.explain(session, now),
                ),
            Self::Any(conditions, expected) => {
                let first = conditions.first().map(|c| c.explain(session, now));
                Failure {
                    field: first.as_ref().map_or(Field::SessionId, |f| f.field),
                    expected,
                    reason: first.and_then(|f| f.reason),
                }
            }
            Self::Not(inner, expected) => Failure {
                field: inner.first_field().unwrap_or(Field::SessionId),
                expected,
                reason: None,
            },
            Self::Check {
                field,
                operator,
                expected,
            } => Failure {
                field: *field,
                expected,
                reason: operator.unreadable(*field, session, now),
            },
        }
    }

    /// The first field the condition names.
    pub(crate) fn first_field(&self) -> Option<Field> {
        match self {
            Self::All(c) | Self::Any(c, _) => c.iter().find_map(Condition::first_field),
            Self::Not(c, _) => c.first_field(),
            Self::Check { field, .. } => Some(*field),
        }
    }

    /// The condition in words: `Target glob "i-0prod*"`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::All(conditions) => conditions
                .iter()
                .map(Condition::describe)
                .collect::<Vec<_>>()
                .join(" and "),
            Self::Any(_, expected) | Self::Not(_, expected) => expected.to_string(),
            Self::Check {
                field, expected, ..
            } => format!("{field} {expected}"),
        }
    }
}
