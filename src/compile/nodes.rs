//! Reading YAML nodes for the compiler and the operators: each reader either gives the value
//! it was asked for or reports, at the node, what it found instead.

use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};

use super::{CompileError, Compiler, Compiles, Failures, Reported};
use crate::diagnostic::closest;
use crate::model::Field;
use crate::operator::OperatorName;

impl Compiler<'_> {
    pub(crate) fn mapping<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Compiles<&'n MarkedMappingNode> {
        match node {
            Node::Mapping(map) => Ok(map),
            _ => Err(self.wrong_shape(node, what, "a mapping")),
        }
    }

    pub(crate) fn sequence<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Compiles<&'n MarkedSequenceNode> {
        match node {
            Node::Sequence(list) => Ok(list),
            _ => Err(self.wrong_shape(node, what, "a list")),
        }
    }

    pub(crate) fn scalar<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Compiles<&'n MarkedScalarNode> {
        match node {
            Node::Scalar(scalar) => Ok(scalar),
            _ => Err(self.wrong_shape(node, what, "a scalar")),
        }
    }

    pub(crate) fn string<'n>(&mut self, node: &'n Node, what: &str) -> Compiles<&'n str> {
        self.scalar(node, what).map(|s| s.as_str())
    }

    pub(crate) fn boolean(&mut self, node: &Node, operator: OperatorName) -> Compiles<bool> {
        let found = self.scalar(node, &format!("the argument of `{operator}`"))?;
        found.as_bool().ok_or_else(|| {
            self.error_at(
                node,
                CompileError::InvalidArgument {
                    operator,
                    expected: "`true` or `false`",
                    found: format!("`{}`", found.as_str()),
                },
            )
        })
    }

    pub(crate) fn integer(&mut self, node: &Node, operator: OperatorName) -> Compiles<usize> {
        let found = self.scalar(node, &format!("the argument of `{operator}`"))?;
        found.as_str().parse::<usize>().map_err(|_| {
            self.error_at(
                node,
                CompileError::InvalidArgument {
                    operator,
                    expected: "a whole number",
                    found: format!("`{}`", found.as_str()),
                },
            )
        })
    }

    pub(crate) fn number(&mut self, node: &Node, operator: OperatorName) -> Compiles<f64> {
        let found = self.scalar(node, &format!("the argument of `{operator}`"))?;
        let value = found.as_str().parse::<f64>().ok().filter(|n| n.is_finite());
        value.ok_or_else(|| {
            self.error_at(
                node,
                CompileError::InvalidArgument {
                    operator,
                    expected: "a number or `{ field: Name }`",
                    found: format!("`{}`", found.as_str()),
                },
            )
        })
    }

    /// Resolves a field name written as a scalar value (`{ field: MaxSessionDuration }`).
    pub(crate) fn field(&mut self, node: &Node) -> Compiles<Field> {
        let name = self.string(node, "a field name")?;
        Field::from_name(name).ok_or_else(|| {
            self.error_at(
                node,
                CompileError::UnknownField {
                    name: name.to_owned(),
                    suggestion: closest(name, Field::ALL.iter().map(|f| f.name())),
                },
            )
        })
    }

    pub(crate) fn required<'n>(
        &mut self,
        map: &'n MarkedMappingNode,
        key: &'static str,
        context: &'static str,
    ) -> Compiles<&'n Node> {
        if let Some(node) = map.get_node(key) {
            return Ok(node);
        }
        // A misspelling of the key is reported where it stands (by `check_keys`), with the key
        // as its suggestion; saying that the key is missing too would only repeat it.
        let misspelt = map
            .keys()
            .filter(|k| k.as_str() != key && closest(k.as_str(), [key]).is_some())
            .find_map(|k| self.reported_unknown_key(k.as_str()));
        Err(match misspelt {
            Some(reported) => reported,
            None => self.error_at_map(map, CompileError::MissingKey { key, context }),
        })
    }

    /// Reports every key of `map` that is not `allowed`.
    pub(crate) fn check_keys(
        &mut self,
        map: &MarkedMappingNode,
        allowed: &[&'static str],
        context: &'static str,
    ) -> Compiles<()> {
        let mut failures = Failures::default();
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                failures.add(self.error_at_key(
                    key,
                    CompileError::UnknownKey {
                        key: key.as_str().to_owned(),
                        context,
                        suggestion: closest(key.as_str(), allowed.iter().copied()),
                    },
                ));
            }
        }
        failures.finish(|| ())
    }

    pub(crate) fn wrong_shape(
        &mut self,
        node: &Node,
        what: &str,
        expected: &'static str,
    ) -> Reported {
        let found = match node {
            Node::Scalar(s)
                if s.as_str().is_empty() || s.as_str() == "~" || s.as_str() == "null" =>
            {
                "nothing"
            }
            Node::Scalar(_) => "a scalar",
            Node::Mapping(_) => "a mapping",
            Node::Sequence(_) => "a list",
        };
        self.error_at(
            node,
            CompileError::WrongShape {
                what: what.to_owned(),
                expected,
                found,
            },
        )
    }
}
