//! `lt`, `lte`, `gt`, `gte` on numbers and `before`, `after` on instants, each against a
//! constant or against another field of the same record (`{ field: Name }`).

use marked_yaml::Node;

use super::OperatorName;
use crate::compile::{CompileError, Compiler, Compiles};
use crate::model::{Field, FieldKind, Read, Session, Timestamp, UnreadableOperand};

/// What the record's value is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Operand<T> {
    Value(T),
    Field(Field),
}

/// Reads `{ field: Name }` and resolves the name, requiring a field of the kind `wanted` accepts.
pub(super) fn field_operand(
    cx: &mut Compiler<'_>,
    op: OperatorName,
    arg: &Node,
    wanted: fn(FieldKind) -> bool,
    noun: &'static str,
) -> Compiles<Field> {
    let map = cx.mapping(arg, &format!("the argument of `{op}`"))?;
    let keys = cx.check_keys(map, &["field"], "a field reference");
    let node = cx.required(map, "field", "a field reference")?;
    let field = cx.field(node)?;
    keys?;
    if !wanted(field.kind()) {
        return Err(cx.error_at(
            node,
            CompileError::InvalidArgument {
                operator: op,
                expected: noun,
                found: format!("`{field}`, which is {}", field.kind().noun()),
            },
        ));
    }
    Ok(field)
}

/// Why a field named as the operand could not be compared with.
fn unreadable_operand<T>(operand: Operand<T>, read: Read<T>) -> Option<UnreadableOperand> {
    match (operand, read) {
        (Operand::Field(field), Read::Unreadable(reason)) => {
            Some(UnreadableOperand::Operand { field, reason })
        }
        (Operand::Field(field), Read::Absent) => Some(UnreadableOperand::AbsentOperand { field }),
        _ => None,
    }
}

/// Which way a numeric comparison goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A numeric comparison.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    order: Order,
    rhs: Operand<f64>,
}

impl Comparison {
    pub(super) fn compile(
        cx: &mut Compiler<'_>,
        op: OperatorName,
        order: Order,
        arg: &Node,
    ) -> Compiles<Self> {
        let rhs = match arg {
            Node::Mapping(_) => Operand::Field(field_operand(
                cx,
                op,
                arg,
                FieldKind::is_numeric,
                "a numeric field",
            )?),
            _ => Operand::Value(cx.number(arg, op)?),
        };
        Ok(Self { order, rhs })
    }

    fn rhs(&self, session: &Session<'_>, now: Timestamp) -> Read<f64> {
        match self.rhs {
            Operand::Value(n) => Read::Value(n),
            Operand::Field(field) => session.number(field, now),
        }
    }

    /// Which way it compares.
    pub(crate) fn order(&self) -> Order {
        self.order
    }

    /// What it compares with.
    pub(crate) fn operand(&self) -> Operand<f64> {
        self.rhs
    }

    #[inline(never)]
    pub(super) fn holds(&self, field: Field, session: &Session<'_>, now: Timestamp) -> bool {
        let rhs = match self.rhs {
            Operand::Value(n) => Some(n),
            Operand::Field(field) => session.number_value(field, now),
        };
        let (Some(lhs), Some(rhs)) = (session.number_value(field, now), rhs) else {
            return false;
        };
        match self.order {
            Order::Lt => lhs < rhs,
            Order::Lte => lhs <= rhs,
            Order::Gt => lhs > rhs,
            Order::Gte => lhs >= rhs,
        }
    }

    pub(super) fn unreadable(
        &self,
        field: Field,
        session: &Session<'_>,
        now: Timestamp,
    ) -> Option<UnreadableOperand> {
        if let Read::Unreadable(why) = session.number(field, now) {
            return Some(UnreadableOperand::Field(why));
        }
        unreadable_operand(self.rhs, self.rhs(session, now))
    }

    pub(super) fn expected(&self) -> String {
        let symbol = match self.order {
            Order::Lt => "<",
            Order::Lte => "<=",
            Order::Gt => ">",
            Order::Gte => ">=",
        };
        match self.rhs {
            Operand::Value(n) => format!("{symbol} {n}"),
            Operand::Field(field) => format!("{symbol} {field}"),
        }
    }
}

/// A temporal comparison.
#[derive(Debug, Clone)]
pub(crate) struct TimeBound {
    after: bool,
    rhs: Operand<Timestamp>,
}

impl TimeBound {
    pub(super) fn compile(
        cx: &mut Compiler<'_>,
        op: OperatorName,
        after: bool,
        arg: &Node,
    ) -> Compiles<Self> {
        let rhs = match arg {
            Node::Mapping(_) => Operand::Field(field_operand(
                cx,
                op,
                arg,
                |kind| kind == FieldKind::Timestamp,
                "a timestamp field",
            )?),
            _ => {
                let text = cx.string(arg, &format!("the argument of `{op}`"))?;
                match Timestamp::parse_instant_or_date(text) {
                    Ok(instant) => Operand::Value(instant),
                    Err(_) => {
                        return Err(cx.error_at(
                            arg,
                            CompileError::InvalidTimestamp {
                                text: text.to_owned(),
                            },
                        ));
                    }
                }
            }
        };
        Ok(Self { after, rhs })
    }

    fn rhs(&self, session: &Session<'_>) -> Read<Timestamp> {
        match self.rhs {
            Operand::Value(t) => Read::Value(t),
            Operand::Field(field) => session.instant(field),
        }
    }

    /// Whether it is `after` (else `before`).
    pub(crate) fn is_after(&self) -> bool {
        self.after
    }

    /// What it compares with.
    pub(crate) fn operand(&self) -> Operand<Timestamp> {
        self.rhs
    }

    pub(super) fn holds(&self, field: Field, session: &Session<'_>) -> bool {
        let (Read::Value(lhs), Read::Value(rhs)) = (session.instant(field), self.rhs(session))
        else {
            return false;
        };
        if self.after { lhs > rhs } else { lhs < rhs }
    }

    pub(super) fn unreadable(
        &self,
        field: Field,
        session: &Session<'_>,
    ) -> Option<UnreadableOperand> {
        if let Read::Unreadable(why) = session.instant(field) {
            return Some(UnreadableOperand::Field(why));
        }
        unreadable_operand(self.rhs, self.rhs(session))
    }

    pub(super) fn expected(&self) -> String {
        let word = if self.after { "after" } else { "before" };
        match self.rhs {
            Operand::Value(t) => format!("{word} {t}"),
            Operand::Field(field) => format!("{word} {field}"),
        }
    }
}
