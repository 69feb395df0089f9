//! Compiled conditions: checks of one field combined with `all`, `any` and `not`, judged
//! without allocating, and explained (which check failed, and why) only when they fail.

use crate::model::{Field, Session, Timestamp, UnreadableOperand};
use crate::operator::Operator;

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
