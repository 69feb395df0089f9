//! Compiling conditions: field entries, list shorthand, operator mappings and the combinators.

use marked_yaml::Node;

use super::{CompileError, Compiler, Compiles, Failures};
use crate::condition::Condition;
use crate::diagnostic::closest;
use crate::model::{Field, FieldKind};
use crate::operator::{Membership, Operator, OperatorName};

const COMBINATORS: &[&str] = &["all", "any", "not"];

impl Compiler<'_> {
    /// Compiles a condition mapping; every problem of it is reported.
    pub(crate) fn condition(&mut self, node: &Node, what: &str) -> Compiles<Condition> {
        let map = self.mapping(node, what)?;
        if map.is_empty() {
            return Err(self.error_at(
                node,
                CompileError::Empty {
                    what: "a condition",
                },
            ));
        }
        let mut entries = Vec::new();
        let mut failures = Failures::default();
        for (key, value) in map.iter() {
            let entry = match key.as_str() {
                combinator @ ("all" | "any") => self.combination(combinator, value),
                "not" => self.condition(value, "`not`").map(Condition::not),
                name => match Field::from_name(name) {
                    Some(field) => self.field_condition(field, value),
                    None => {
                        let names = Field::ALL
                            .iter()
                            .map(|f| f.name())
                            .chain(COMBINATORS.iter().copied());
                        Err(self.error_at_key(
                            key,
                            CompileError::UnknownField {
                                name: name.to_owned(),
                                suggestion: closest(name, names),
                            },
                        ))
                    }
                },
            };
            if let Some(condition) = failures.note(entry) {
                entries.push(condition);
            }
        }
        failures.finish(|| {
            if entries.len() == 1 {
                entries.remove(0)
            } else {
                Condition::All(entries)
            }
        })
    }

    fn combination(&mut self, combinator: &str, value: &Node) -> Compiles<Condition> {
        let list = self.sequence(value, &format!("`{combinator}`"))?;
        if list.is_empty() {
            return Err(self.error_at(
                value,
                CompileError::Empty {
                    what: "a list of conditions",
                },
            ));
        }
        let mut conditions = Vec::new();
        let mut failures = Failures::default();
        for item in list.iter() {
            if let Some(condition) = failures.note(self.condition(item, "a condition")) {
                conditions.push(condition);
            }
        }
        failures.finish(|| {
            if combinator == "all" {
                Condition::All(conditions)
            } else {
                Condition::any(conditions)
            }
        })
    }

    /// `Field: scalar` (equals), `Field: [..]` (in), or `Field: { op: arg, .. }` (every op holds).
    fn field_condition(&mut self, field: Field, value: &Node) -> Compiles<Condition> {
        let check = |set| Condition::check(field, Operator::Membership(set));
        match value {
            Node::Scalar(_) | Node::Sequence(_) if field.kind() == FieldKind::Object => Err(self
                .error_at(
                    value,
                    CompileError::OperatorOnWrongType {
                        operator: OperatorName::Equals,
                        field: field.name(),
                        kind: field.kind(),
                    },
                )),
            Node::Scalar(_) => {
                Membership::from_items(self, OperatorName::Equals, value, &[value], field)
                    .map(check)
            }
            Node::Sequence(list) => {
                let items: Vec<&Node> = list.iter().collect();
                Membership::from_items(self, OperatorName::In, value, &items, field).map(check)
            }
            Node::Mapping(map) => {
                if map.is_empty() {
                    return Err(self.error_at(
                        value,
                        CompileError::Empty {
                            what: "an operator mapping",
                        },
                    ));
                }
                let mut checks = Vec::new();
                let mut failures = Failures::default();
                for (name, arg) in map.iter() {
                    if let Some(operator) = failures.note(Operator::compile(self, name, arg, field))
                    {
                        checks.push(Condition::check(field, operator));
                    }
                }
                failures.finish(|| {
                    if checks.len() == 1 {
                        checks.remove(0)
                    } else {
                        Condition::All(checks)
                    }
                })
            }
        }
    }
}
