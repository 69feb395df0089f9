//! Literals: one check of one field (or the start of a session against an exception's expiry)
//! that must hold or must fail, the unit the search collects on each branch, and the groups of
//! fields whose values depend on each other.

use crate::model::{Field, Session, Timestamp};
use crate::operator::Operator;

/// What a literal judges.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Atom<'p> {
    /// One operator on one field.
    Check {
        field: Field,
        operator: &'p Operator,
    },
    /// The session started before the instant (a session without a readable start is judged
    /// at the evaluation time): how an exception's `expires` is read.
    StartedBefore(Timestamp),
}

/// An atom and whether it must hold (`want`) or fail.
#[derive(Debug, Clone)]
pub(crate) struct Literal<'p> {
    pub atom: Atom<'p>,
    pub want: bool,
    /// Identifies the atom: equal keys judge alike on every record.
    pub key: String,
}

impl<'p> Literal<'p> {
    pub(crate) fn new(atom: Atom<'p>, want: bool) -> Self {
        let key = match atom {
            Atom::Check { field, operator } => {
                format!(
                    "{}\u{1f}{}\u{1f}{}",
                    field.name(),
                    kind(operator),
                    operator.expected()
                )
            }
            Atom::StartedBefore(at) => format!("\u{1f}started-before\u{1f}{}", at.as_micros()),
        };
        Self { atom, want, key }
    }

    /// Whether the literal holds on a record at `now`.
    pub(crate) fn holds(&self, session: &Session<'_>, now: Timestamp) -> bool {
        let value = match self.atom {
            Atom::Check { field, operator } => operator.holds(field, session, now),
            Atom::StartedBefore(at) => session.started_at_or(now) < at,
        };
        value == self.want
    }

    /// The field a check is about; `StartDate` for the expiry.
    pub(crate) fn field(&self) -> Field {
        match self.atom {
            Atom::Check { field, .. } => field,
            Atom::StartedBefore(_) => Field::StartDate,
        }
    }

    /// The operator of a check.
    pub(crate) fn operator(&self) -> Option<&'p Operator> {
        match self.atom {
            Atom::Check { operator, .. } => Some(operator),
            Atom::StartedBefore(_) => None,
        }
    }

    /// The literal in words, as regions and proofs show it: `Target glob "mi-*"`,
    /// `not (MaxSessionDuration <= 60)`.
    pub(crate) fn describe(&self) -> String {
        let text = match self.atom {
            Atom::Check { field, operator } => match (operator, self.want) {
                (Operator::Exists(exists), want) => {
                    return if *exists == want {
                        format!("{field} exists")
                    } else {
                        format!("{field} is absent")
                    };
                }
                (Operator::Present(present), want) => {
                    return if *present == want {
                        format!("{field} is present")
                    } else {
                        format!("{field} is not present")
                    };
                }
                (Operator::Type(kind), _) => format!("{field} is of type {kind}"),
                _ => format!("{field} {}", operator.expected()),
            },
            Atom::StartedBefore(at) => format!("the session started before {at}"),
        };
        if self.want {
            text
        } else {
            format!("not ({text})")
        }
    }
}

impl Literal<'_> {
    /// Whether it compares the texts of two fields.
    pub(crate) fn compares_texts(&self) -> bool {
        matches!(
            self.atom,
            Atom::Check {
                operator: Operator::SameAs(_),
                ..
            }
        )
    }
}

/// The operator's kind, so that keys of different operators with the same wording differ.
fn kind(operator: &Operator) -> &'static str {
    match operator {
        Operator::Exists(_) => "exists",
        Operator::Present(_) => "present",
        Operator::Type(_) => "type",
        Operator::Membership(_) => "membership",
        Operator::SameAs(_) => "same-as",
        Operator::Glob(_) => "glob",
        Operator::Pattern(_) => "pattern",
        Operator::Length { .. } => "length",
        Operator::Compare(_) => "compare",
        Operator::Time(_) => "time",
        Operator::During(_) => "during",
    }
}

/// Fields whose values are chosen together: a derived field with the fields it is derived
/// from, and fields that a `{ field: X }` comparison can link. Groups are independent, so a
/// conjunction holds on some record exactly when each group's part of it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Group {
    /// A string field on its own.
    Text(Field),
    /// `Owner` and the parts of its ARN.
    Owner,
    /// `OutputUrl` and its members.
    Output,
    /// `StartDate`, `EndDate`, `Duration`, `MaxSessionDuration`, the evaluation time and
    /// exceptions' expiry.
    Time,
}

impl Group {
    /// The group of a literal.
    pub(crate) fn of(literal: &Literal<'_>) -> Self {
        match literal.atom {
            Atom::StartedBefore(_) => Self::Time,
            Atom::Check { field, .. } => Self::of_field(field),
        }
    }

    /// The group of a field.
    pub(crate) fn of_field(field: Field) -> Self {
        match field {
            Field::Owner | Field::OwnerAccount | Field::OwnerName | Field::OwnerRole => Self::Owner,
            Field::OutputUrl | Field::S3OutputUrl | Field::CloudWatchOutputUrl => Self::Output,
            Field::StartDate | Field::EndDate | Field::Duration | Field::MaxSessionDuration => {
                Self::Time
            }
            other => Self::Text(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_group_and_derived_fields_share_their_sources_group() {
        assert_eq!(
            Group::of_field(Field::OwnerRole),
            Group::of_field(Field::Owner)
        );
        assert_eq!(
            Group::of_field(Field::Duration),
            Group::of_field(Field::EndDate)
        );
        assert_eq!(
            Group::of_field(Field::S3OutputUrl),
            Group::of_field(Field::OutputUrl)
        );
        assert_eq!(Group::of_field(Field::Target), Group::Text(Field::Target));
    }
}
