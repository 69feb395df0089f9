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

/// A compiled condition.
#[derive(Debug, Clone)]
pub(crate) enum Condition {
    /// Every condition holds: a mapping's entries, an operator mapping, or `all`.
    All(Vec<Condition>),
    /// At least one holds.
    Any(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
    /// One operator on one field.
    Check { field: Field, operator: Operator },
}

/// What a failed condition says: the field whose check failed, what was expected, and why a
/// value could not be judged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub field: Field,
    pub expected: String,
    pub reason: Option<UnreadableOperand>,
}

impl Condition {
    /// Whether the condition holds for the record.
    pub(crate) fn holds(&self, session: &Session<'_>, now: Timestamp) -> bool {
        match self {
            Self::All(conditions) => conditions.iter().all(|c| c.holds(session, now)),
            Self::Any(conditions) => conditions.iter().any(|c| c.holds(session, now)),
            Self::Not(condition) => !condition.holds(session, now),
            Self::Check { field, operator } => operator.holds(*field, session, now),
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
            Self::Any(conditions) => {
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
            Self::Not(condition) => condition.judge(session, now).not(),
            Self::Check { field, operator } => {
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
            Self::All(c) | Self::Any(c) => c.iter().find_map(|c| c.unknown_tag(session)),
            Self::Not(c) => c.unknown_tag(session),
            Self::Check { field, operator } => std::iter::once(*field)
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
            Self::All(c) | Self::Any(c) => c.iter().any(Condition::compares_texts),
            Self::Not(c) => c.compares_texts(),
            Self::Check { operator, .. } => matches!(operator, Operator::SameAs(_)),
        }
    }

    /// The tag families the condition reads.
    pub(crate) fn tag_families(&self) -> TagFamilies {
        match self {
            Self::All(c) | Self::Any(c) => c
                .iter()
                .fold(TagFamilies::NONE, |all, c| all.union(c.tag_families())),
            Self::Not(c) => c.tag_families(),
            Self::Check { field, operator } => {
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
    /// is the one reported.
    pub(crate) fn explain(&self, session: &Session<'_>, now: Timestamp) -> Failure {
        match self {
            Self::All(conditions) => conditions
                .iter()
                .find(|c| !c.holds(session, now))
                .or(conditions.first())
                .map_or_else(|| self.failure_without_check(), |c| c.explain(session, now)),
            Self::Any(conditions) => {
                let failures: Vec<Failure> =
                    conditions.iter().map(|c| c.explain(session, now)).collect();
                let expected: Vec<String> = conditions.iter().map(Condition::describe).collect();
                match failures.into_iter().next() {
                    Some(first) => Failure {
                        field: first.field,
                        expected: format!("any of ({})", expected.join("; ")),
                        reason: first.reason,
                    },
                    None => self.failure_without_check(),
                }
            }
            Self::Not(inner) => Failure {
                field: inner.first_field().unwrap_or(Field::SessionId),
                expected: format!("not ({})", inner.describe()),
                reason: None,
            },
            Self::Check { field, operator } => Failure {
                field: *field,
                expected: operator.expected(),
                reason: operator.unreadable(*field, session, now),
            },
        }
    }

    fn failure_without_check(&self) -> Failure {
        Failure {
            field: self.first_field().unwrap_or(Field::SessionId),
            expected: self.describe(),
            reason: None,
        }
    }

    /// The first field the condition names.
    pub(crate) fn first_field(&self) -> Option<Field> {
        match self {
            Self::All(c) | Self::Any(c) => c.iter().find_map(Condition::first_field),
            Self::Not(c) => c.first_field(),
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
            Self::Any(conditions) => {
                let parts: Vec<String> = conditions.iter().map(Condition::describe).collect();
                format!("any of ({})", parts.join("; "))
            }
            Self::Not(condition) => format!("not ({})", condition.describe()),
            Self::Check { field, operator } => format!("{field} {}", operator.expected()),
        }
    }
}
