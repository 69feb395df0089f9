//! Compiling conditions: field entries, list shorthand, operator mappings and the combinators.

use marked_yaml::Node;

use super::{Compiler, LoadError};
use crate::condition::Condition;
use crate::diagnostic::closest;
use crate::model::{Field, FieldKind};
use crate::operator::{Membership, Operator};

const COMBINATORS: &[&str] = &["all", "any", "not"];

impl Compiler<'_> {
    /// Compiles a condition mapping; `None` if it had errors (all of them reported).
    pub(crate) fn condition(&mut self, node: &Node, what: &str) -> Option<Condition> {
        let map = self.mapping(node, what)?;
        if map.is_empty() {
            self.error_at(
                node,
                LoadError::Empty {
                    what: "a condition",
                },
            );
            return None;
        }
        let mut entries = Vec::new();
        let mut ok = true;
        for (key, value) in map.iter() {
            let entry = match key.as_str() {
                combinator @ ("all" | "any") => self.combination(combinator, value),
                "not" => self
                    .condition(value, "`not`")
                    .map(|c| Condition::Not(Box::new(c))),
                name => match Field::from_name(name) {
                    Some(field) => self.field_condition(field, value),
                    None => {
                        let names = Field::ALL
                            .iter()
                            .map(|f| f.name())
                            .chain(COMBINATORS.iter().copied());
                        self.error_at_key(
                            key,
                            LoadError::UnknownField {
                                name: name.to_owned(),
                                suggestion: closest(name, names),
                            },
                        );
                        None
                    }
                },
            };
            match entry {
                Some(condition) => entries.push(condition),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        Some(if entries.len() == 1 {
            entries.remove(0)
        } else {
            Condition::All(entries)
        })
    }

    fn combination(&mut self, combinator: &str, value: &Node) -> Option<Condition> {
        let list = self.sequence(value, &format!("`{combinator}`"))?;
        if list.is_empty() {
            self.error_at(
                value,
                LoadError::Empty {
                    what: "a list of conditions",
                },
            );
            return None;
        }
        let mut conditions = Vec::new();
        let mut ok = true;
        for item in list.iter() {
            match self.condition(item, "a condition") {
                Some(c) => conditions.push(c),
                None => ok = false,
            }
        }
        ok.then(|| {
            if combinator == "all" {
                Condition::All(conditions)
            } else {
                Condition::Any(conditions)
            }
        })
    }

    /// `Field: scalar` (equals), `Field: [..]` (in), or `Field: { op: arg, .. }` (every op holds).
    fn field_condition(&mut self, field: Field, value: &Node) -> Option<Condition> {
        match value {
            Node::Scalar(_) | Node::Sequence(_) if field.kind() == FieldKind::Object => {
                self.error_at(value, LoadError::OperatorOnWrongType {
                    operator: "equals",
                    field: field.name(),
                    kind: field.kind().noun(),
                    help: "`OutputUrl` takes `exists`, `present` and `type`; name its members as `OutputUrl.S3OutputUrl`",
                });
                None
            }
            Node::Scalar(_) => {
                Membership::from_items(self, "equals", value, &[value], field).map(|set| {
                    Condition::Check {
                        field,
                        operator: Operator::Membership(set),
                    }
                })
            }
            Node::Sequence(list) => {
                let items: Vec<&Node> = list.iter().collect();
                Membership::from_items(self, "in", value, &items, field).map(|set| {
                    Condition::Check {
                        field,
                        operator: Operator::Membership(set),
                    }
                })
            }
            Node::Mapping(map) => {
                if map.is_empty() {
                    self.error_at(
                        value,
                        LoadError::Empty {
                            what: "an operator mapping",
                        },
                    );
                    return None;
                }
                let mut checks = Vec::new();
                let mut ok = true;
                for (name, arg) in map.iter() {
                    match Operator::compile(self, name, arg, field) {
                        Some(operator) => checks.push(Condition::Check { field, operator }),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Some(if checks.len() == 1 {
                    checks.remove(0)
                } else {
                    Condition::All(checks)
                })
            }
        }
    }
}
