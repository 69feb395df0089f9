//! `equals: { field: Name }` and `not_equals: { field: Name }`: the text of one field compared
//! with the text of another of the same record (`OwnerTags.team: { equals: { field:
//! TargetTags.team } }`), case-sensitively as `equals` compares text.

use marked_yaml::Node;

use super::OperatorName;
use super::compare::field_operand;
use crate::compile::{Compiler, Compiles};
use crate::model::{Field, FieldKind, Read, Session, UnreadableOperand};

/// A text comparison with another field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SameAs {
    other: Field,
    /// `not_equals`.
    negated: bool,
}

impl SameAs {
    pub(super) fn compile(cx: &mut Compiler<'_>, op: OperatorName, arg: &Node) -> Compiles<Self> {
        let other = field_operand(cx, op, arg, FieldKind::is_textual, "a text field")?;
        Ok(Self {
            other,
            negated: op == OperatorName::NotEquals,
        })
    }

    /// The field compared with.
    pub(crate) fn other(self) -> Field {
        self.other
    }

    /// Equal texts make `equals` hold; an absent side makes only `not_equals` hold, as absent
    /// fields do for every negated operator; an unreadable side makes neither hold.
    pub(super) fn holds(self, field: Field, session: &Session<'_>) -> bool {
        match (session.text(field), session.text(self.other)) {
            (Read::Value(lhs), Read::Value(rhs)) => (lhs == rhs) != self.negated,
            (Read::Unreadable(_), _) | (_, Read::Unreadable(_)) => false,
            _ => self.negated,
        }
    }

    pub(super) fn unreadable(
        self,
        field: Field,
        session: &Session<'_>,
    ) -> Option<UnreadableOperand> {
        match (session.text(field), session.text(self.other)) {
            (Read::Unreadable(why), _) => Some(UnreadableOperand::Field(why)),
            (_, Read::Unreadable(reason)) => Some(UnreadableOperand::Operand {
                field: self.other,
                reason,
            }),
            (Read::Value(_), Read::Absent) if !self.negated => {
                Some(UnreadableOperand::AbsentOperand { field: self.other })
            }
            _ => None,
        }
    }

    pub(super) fn expected(self) -> String {
        match self.negated {
            true => format!("not equal to {}", self.other),
            false => format!("equal to {}", self.other),
        }
    }
}
