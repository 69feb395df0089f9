//! A branch's literals in words, as a region of sessions: the checks of each field together,
//! comparisons of one number merged into an interval (`60 < MaxSessionDuration <= 90`), and
//! what the others imply left out (`exists` beside a check that needs the value).

use std::collections::BTreeMap;

use super::Literal;
use crate::model::Field;
use crate::operator::{Operand, Operator, Order};

/// The region a branch's literals describe, in words; "every session" for none.
pub(crate) fn region(literals: &[Literal<'_>]) -> String {
    let mut by_field: BTreeMap<Field, Vec<&Literal<'_>>> = BTreeMap::new();
    let mut others = Vec::new();
    for literal in literals {
        match literal.operator() {
            Some(_) => by_field.entry(literal.field()).or_default().push(literal),
            None => others.push(literal.describe()),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    for (field, literals) in &by_field {
        parts.extend(field_parts(*field, literals));
    }
    parts.extend(others);
    let mut seen = Vec::new();
    parts.retain(|p| {
        let new = !seen.contains(p);
        seen.push(p.clone());
        new
    });
    if parts.is_empty() {
        "every session".to_owned()
    } else {
        parts.join(" and ")
    }
}

/// Whether a literal needs the field's value to be there and readable to hold.
fn needs_value(literal: &Literal<'_>) -> bool {
    let Some(operator) = literal.operator() else {
        return false;
    };
    let negated = match operator {
        Operator::Exists(expected) | Operator::Present(expected) => !expected,
        Operator::Membership(set) => set.is_negated(),
        Operator::Glob(globs) => globs.is_negated(),
        Operator::Pattern(pattern) => pattern.is_negated(),
        _ => false,
    };
    literal.want && !negated && !matches!(operator, Operator::Exists(_) | Operator::Type(_))
}

fn field_parts(field: Field, literals: &[&Literal<'_>]) -> Vec<String> {
    let readable = literals.iter().any(|l| needs_value(l));
    // Bounds of the number, where its value is known to be there: `not (<= 60)` is `> 60`.
    let mut lower: Option<(f64, bool)> = None;
    let mut upper: Option<(f64, bool)> = None;
    let mut parts = Vec::new();
    for literal in literals {
        if let Some(Operator::Compare(comparison)) = literal.operator()
            && let Operand::Value(bound) = comparison.operand()
            && (literal.want || readable)
        {
            let order = if literal.want {
                comparison.order()
            } else {
                match comparison.order() {
                    Order::Lt => Order::Gte,
                    Order::Lte => Order::Gt,
                    Order::Gt => Order::Lte,
                    Order::Gte => Order::Lt,
                }
            };
            match order {
                Order::Gt | Order::Gte => {
                    let strict = order == Order::Gt;
                    let tighter =
                        lower.is_none_or(|(b, s)| bound > b || (bound == b && strict && !s));
                    if tighter {
                        lower = Some((bound, strict));
                    }
                }
                Order::Lt | Order::Lte => {
                    let strict = order == Order::Lt;
                    let tighter =
                        upper.is_none_or(|(b, s)| bound < b || (bound == b && strict && !s));
                    if tighter {
                        upper = Some((bound, strict));
                    }
                }
            }
            continue;
        }
        if readable && literal.want && matches!(literal.operator(), Some(Operator::Exists(true))) {
            continue;
        }
        parts.push(literal.describe());
    }
    let symbol = |strict: bool, below: bool| match (strict, below) {
        (true, true) => "<",
        (false, true) => "<=",
        (true, false) => ">",
        (false, false) => ">=",
    };
    let interval = match (lower, upper) {
        (Some((lo, ls)), Some((hi, hs))) => Some(format!(
            "{lo} {} {field} {} {hi}",
            symbol(ls, true),
            symbol(hs, true)
        )),
        (Some((lo, ls)), None) => Some(format!("{field} {} {lo}", symbol(ls, false))),
        (None, Some((hi, hs))) => Some(format!("{field} {} {hi}", symbol(hs, true))),
        (None, None) => None,
    };
    if let Some(interval) = interval {
        parts.insert(0, interval);
    }
    parts
}
