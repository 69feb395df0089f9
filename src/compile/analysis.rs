//! Warnings about rules that compile but cannot mean what they say, cheap enough for every
//! command that loads policies: a comparison of `AccessType` or `Status` with a value the API
//! never gives (`AccessType: Jit`), which makes a `when` that can never hold on a record the
//! API returns.
//!
//! The analysis reads the rule's YAML, not its compiled form, so that each warning points at
//! the value that causes it. What holds for every record, not only the API's (a case that
//! earlier cases always take first, a `when` whose checks exclude each other), is proved by the
//! witness engine in `validate` ([`crate::witness::proof`]).

use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};

use super::{CompileError, Compiler};
use crate::diagnostic::closest;
use crate::model::Field;

/// `AccessType`'s valid values, as the API reference lists them.
pub(crate) const ACCESS_TYPES: &[&str] = &["Standard", "JustInTime"];
/// `Status`'s valid values, as the API reference lists them.
pub(crate) const STATUSES: &[&str] = &[
    "Connected",
    "Connecting",
    "Disconnected",
    "Terminated",
    "Terminating",
    "Failed",
];

/// The values the API can give a field, for the fields that the API defines as an enum.
pub(crate) fn api_values(field: Field) -> Option<&'static [&'static str]> {
    match field {
        Field::AccessType => Some(ACCESS_TYPES),
        Field::Status => Some(STATUSES),
        _ => None,
    }
}

impl Compiler<'_> {
    /// Analyses one rule's YAML (`map`). Runs whether or not the rule had errors: every
    /// reading below gives up quietly on a shape it does not expect, which the compiler has
    /// already reported.
    pub(super) fn analyze_rule(&mut self, map: &MarkedMappingNode) {
        if let Some(when) = map.get_node("when") {
            self.check_enum_values(when, true);
        }
        if let Some(require) = map.get_node("require") {
            self.check_enum_values(require, false);
        }
        if let Some(Node::Sequence(cases)) = map.get_node("cases") {
            for case in cases.iter() {
                let Node::Mapping(case) = case else { continue };
                if let Some(when) = case.get_node("when") {
                    self.check_enum_values(when, true);
                }
                if let Some(require) = case.get_node("require") {
                    self.check_enum_values(require, false);
                }
            }
        }
    }

    /// Analyses an exception's `when`: one that can never hold waives nothing.
    pub(super) fn analyze_exception(&mut self, map: &MarkedMappingNode) {
        if let Some(when) = map.get_node("when") {
            self.check_enum_values(when, true);
        }
    }

    /// Warns about `AccessType`/`Status` values outside the API's enum. In a `when` (`gate`)
    /// that such values make impossible, the warning says the `when` never holds.
    fn check_enum_values(&mut self, node: &Node, gate: bool) {
        let mut dead = Vec::new();
        let truth = truth_of_condition(node, &mut dead);
        for value in dead {
            let (field, text) = (value.field.name(), value.node.as_str().to_owned());
            let allowed = api_values(value.field).unwrap_or(&[]);
            let suggestion = suggest(&text, allowed);
            let problem = if gate && truth == Truth::Never && value.decisive {
                CompileError::WhenNeverHolds {
                    field,
                    value: text,
                    allowed,
                    suggestion,
                }
            } else {
                CompileError::ValueNeverGiven {
                    field,
                    value: text,
                    allowed,
                    suggestion,
                }
            };
            let location = self.scalar_location(value.node);
            self.warn_at_location(location, problem);
        }
    }
}

/// Whether a condition can hold on a record that the API returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    /// Holds on no such record.
    Never,
    /// Holds on every such record.
    Always,
    /// Not known here.
    Maybe,
}

impl Truth {
    fn not(self) -> Self {
        match self {
            Self::Never => Self::Always,
            Self::Always => Self::Never,
            Self::Maybe => Self::Maybe,
        }
    }

    fn all(parts: impl IntoIterator<Item = Truth>) -> Self {
        let mut result = Self::Always;
        for part in parts {
            match part {
                Self::Never => return Self::Never,
                Self::Maybe => result = Self::Maybe,
                Self::Always => {}
            }
        }
        result
    }

    fn any(parts: impl IntoIterator<Item = Truth>) -> Self {
        let mut result = Self::Never;
        for part in parts {
            match part {
                Self::Always => return Self::Always,
                Self::Maybe => result = Self::Maybe,
                Self::Never => {}
            }
        }
        result
    }
}

/// A value that the API never gives its field.
struct DeadValue<'n> {
    field: Field,
    node: &'n MarkedScalarNode,
    /// Every value of its comparison is dead, so the comparison alone decides its truth.
    decisive: bool,
}

/// The truth of a condition mapping, collecting the dead values it compares with. Evaluation
/// treats an absent field as failing `equals`/`in` and passing `not_equals`/`not_in`, and so
/// does this: a comparison whose values are all dead is `Never` (or, negated, `Always`)
/// whether the field is absent or holds one of the API's values.
fn truth_of_condition<'n>(node: &'n Node, dead: &mut Vec<DeadValue<'n>>) -> Truth {
    let Node::Mapping(map) = node else {
        return Truth::Maybe;
    };
    let mut parts = Vec::new();
    for (key, value) in map.iter() {
        let part = match key.as_str() {
            "all" | "any" => {
                let Node::Sequence(list) = value else {
                    parts.push(Truth::Maybe);
                    continue;
                };
                let inner: Vec<Truth> = list.iter().map(|c| truth_of_condition(c, dead)).collect();
                if key.as_str() == "all" {
                    Truth::all(inner)
                } else {
                    Truth::any(inner)
                }
            }
            "not" => truth_of_condition(value, dead).not(),
            name => match Field::from_name(name).filter(|f| api_values(*f).is_some()) {
                Some(field) => truth_of_field(field, value, dead),
                None => Truth::Maybe,
            },
        };
        parts.push(part);
    }
    Truth::all(parts)
}

/// `Field: scalar`, `Field: [..]` or `Field: { op: arg, .. }` for an enum field.
fn truth_of_field<'n>(field: Field, value: &'n Node, dead: &mut Vec<DeadValue<'n>>) -> Truth {
    match value {
        Node::Scalar(_) | Node::Sequence(_) => membership(field, value, false, dead),
        Node::Mapping(ops) => Truth::all(ops.iter().map(|(op, arg)| match op.as_str() {
            "equals" | "in" => membership(field, arg, false, dead),
            "not_equals" | "not_in" => membership(field, arg, true, dead),
            _ => Truth::Maybe,
        })),
    }
}

fn membership<'n>(
    field: Field,
    arg: &'n Node,
    negated: bool,
    dead: &mut Vec<DeadValue<'n>>,
) -> Truth {
    let allowed = api_values(field).unwrap_or(&[]);
    let items: Vec<&MarkedScalarNode> = match arg {
        Node::Scalar(scalar) => vec![scalar],
        Node::Sequence(list) => list.iter().filter_map(Node::as_scalar).collect(),
        Node::Mapping(_) => return Truth::Maybe,
    };
    let outside: Vec<&MarkedScalarNode> = items
        .iter()
        .copied()
        .filter(|s| !allowed.contains(&s.as_str()))
        .collect();
    let decisive = !items.is_empty() && outside.len() == items.len();
    dead.extend(outside.into_iter().map(|node| DeadValue {
        field,
        node,
        decisive,
    }));
    match (decisive, negated) {
        (true, false) => Truth::Never,
        (true, true) => Truth::Always,
        (false, _) => Truth::Maybe,
    }
}

/// The closest valid value: a likely typo (`Conected`), the initials of a PascalCase value
/// (`Jit`, `JIT` for `JustInTime`), or an abbreviation that only one value contains in order
/// (`Std` for `Standard`).
fn suggest(value: &str, allowed: &'static [&'static str]) -> Option<&'static str> {
    if let Some(close) = closest(value, allowed.iter().copied()) {
        return Some(close);
    }
    let initials =
        |name: &str| -> String { name.chars().filter(char::is_ascii_uppercase).collect() };
    if let Some(found) = allowed
        .iter()
        .copied()
        .find(|a| initials(a).len() > 1 && initials(a).eq_ignore_ascii_case(value))
    {
        return Some(found);
    }
    let lowered = value.to_lowercase();
    let mut abbreviates = allowed.iter().copied().filter(|candidate| {
        let candidate = candidate.to_lowercase();
        lowered.chars().count() >= 2
            && lowered.chars().next() == candidate.chars().next()
            && is_subsequence(&lowered, &candidate)
    });
    let first = abbreviates.next();
    if abbreviates.next().is_some() {
        None
    } else {
        first
    }
}

fn is_subsequence(short: &str, long: &str) -> bool {
    let mut rest = long.chars();
    short.chars().all(|c| rest.any(|l| l == c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, Level, Problem};
    use crate::{SourceMap, Timestamp, compile};

    fn warnings(policy: &str) -> Vec<Diagnostic> {
        let mut sources = SourceMap::new();
        sources.add("p.yaml", policy);
        let compiled = compile(&sources, Timestamp::from_micros(0)).unwrap();
        compiled.warnings
    }

    #[test]
    fn abbreviations_and_typos_of_enum_values_are_suggested() {
        assert_eq!(suggest("Jit", ACCESS_TYPES), Some("JustInTime"));
        assert_eq!(suggest("JIT", ACCESS_TYPES), Some("JustInTime"));
        assert_eq!(suggest("justintime", ACCESS_TYPES), Some("JustInTime"));
        assert_eq!(suggest("Std", ACCESS_TYPES), Some("Standard"));
        assert_eq!(suggest("Conected", STATUSES), Some("Connected"));
        assert_eq!(suggest("Running", STATUSES), None);
    }

    #[test]
    fn a_when_with_a_value_the_api_never_gives_never_holds() {
        let found = warnings(
            "policy: p\nrules:\n  - id: jit\n    when: { AccessType: Jit }\n    require: { Reason: { present: true } }\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.level, Level::Warning);
        assert_eq!(
            d.message(),
            "this `when` can never hold: the API never gives `AccessType` the value `Jit`"
        );
        assert_eq!(
            d.help().unwrap(),
            "did you mean `JustInTime`? the API's values of `AccessType` are `Standard`, `JustInTime`"
        );
        let at = d.location.unwrap();
        assert_eq!((at.line, at.column, at.length), (4, 25, 3));
    }

    #[test]
    fn dead_values_that_do_not_make_a_when_impossible_get_the_milder_warning() {
        let found = warnings(
            "policy: p\nrules:\n  - id: active\n    when: { Status: [Connected, Active], AccessType: { not_in: [Jit] } }\n    require: { Duration: { lte: 60 } }\n  - id: cases\n    cases:\n      - when: { any: [{ Status: Terminatd }, { Status: { equals: Failed } }] }\n        require: { AccessType: { equals: Standrd } }\n",
        );
        let messages: Vec<String> = found.iter().map(Diagnostic::message).collect();
        assert_eq!(
            messages,
            [
                "the API never gives `Status` the value `Active`, so this comparison never matches it",
                "the API never gives `AccessType` the value `Jit`, so this comparison never matches it",
                "the API never gives `Status` the value `Terminatd`, so this comparison never matches it",
                "the API never gives `AccessType` the value `Standrd`, so this comparison never matches it",
            ]
        );
    }

    #[test]
    fn impossible_branches_combine_through_all_any_and_not() {
        let found = warnings(
            "policy: p\nrules:\n  - id: r\n    when: { any: [{ Status: Active }, { not: { Status: { not_in: [Running] } } }] }\n    require: { Reason: { present: true } }\nexceptions:\n  - id: e\n    when: { AccessType: [Jit, JIT] }\n    reason: test\n    expires: 2999-01-01\n",
        );
        let problems: Vec<&Problem> = found.iter().map(|d| &d.problem).collect();
        assert!(
            problems
                .iter()
                .all(|p| matches!(p, Problem::Compile(CompileError::WhenNeverHolds { .. }))),
            "{problems:?}"
        );
        assert_eq!(problems.len(), 4);
    }
}
