//! Proofs for `validate`: what the witness engine shows can never happen in a compiled set. A
//! case that is never chosen, a `when` that never holds, a rule that never fails or never
//! passes, an exception that waives nothing: each a warning with a one-line reason, given
//! only where the search finished without cutting anything (an "unknown" proves nothing and
//! says nothing).

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{LoaderOptions, Node};

use super::{Budget, Engine, Goal, RuleGoals};
use crate::diagnostic::{Diagnostic, Level, Location};
use crate::policy::CompiledPolicySet;
use crate::source::SourceMap;

/// What a proof found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Proof {
    #[error("this case can never be chosen: {reason}")]
    CaseNeverChosen { reason: String },
    #[error("this `when` can never hold: {reason}")]
    WhenNeverHolds { reason: String },
    #[error("rule `{rule}` can never fail: {reason}")]
    NeverFails { rule: String, reason: String },
    #[error("rule `{rule}` can never pass: {reason}")]
    NeverPasses { rule: String, reason: String },
    #[error("exception `{id}` waives nothing: {reason}")]
    WaivesNothing { id: String, reason: String },
}

impl Proof {
    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        Some(
            match self {
                Self::CaseNeverChosen { .. } => {
                    "the first case whose `when` holds is chosen: put narrower cases before wider ones, or remove this one"
                }
                Self::WhenNeverHolds { .. } => {
                    "the conditions it joins exclude each other; check the values and operators"
                }
                Self::NeverFails { .. } => {
                    "it reports nothing: check that `require` says what must hold, not what is wrong"
                }
                Self::NeverPasses { .. } => {
                    "every session it applies to breaks it: check `require` against its `when`"
                }
                Self::WaivesNothing { .. } => {
                    "check its `when` and `rules` against the violations it is meant to waive, or remove it"
                }
            }
            .to_owned(),
        )
    }
}

/// Proves what can be proved about every rule, case and exception of a set, as warnings
/// located in the sources the set was compiled from.
pub fn prove(set: &CompiledPolicySet, sources: &SourceMap, budget: Budget) -> Vec<Diagnostic> {
    let mut prover = Prover {
        engine: Engine::new(set).with_budget(budget),
        locator: Locator::new(sources),
        found: Vec::new(),
    };
    for index in 0..set.rules.len() {
        prover.rule(index);
    }
    for (policy_index, policy) in set.policies.iter().enumerate() {
        for exception in 0..policy.exceptions.len() {
            prover.exception(policy_index, exception);
        }
    }
    let mut found = prover.found;
    found.sort_by_key(|d| d.location.map(|at| (at.source, at.line, at.column)));
    found
}

struct Prover<'p, 's> {
    engine: Engine<'p>,
    locator: Locator<'s>,
    found: Vec<Diagnostic>,
}

impl<'p> Prover<'p, '_> {
    /// Why a goal can never hold, or `None` where it can or where that is not known.
    fn never(&mut self, goal: &Goal<'p>) -> Option<String> {
        let outcome = self.engine.search(goal, 1);
        if !outcome.branches.is_empty() || outcome.undecided {
            return None;
        }
        let mut reasons: Vec<String> = Vec::new();
        for conflict in &outcome.conflicts {
            let smallest = self.engine.minimize(conflict);
            let parts: Vec<String> = smallest
                .iter()
                .map(|l| format!("`{}`", l.describe()))
                .collect();
            let reason = match parts.as_slice() {
                [] => continue,
                [one] => format!("{one} never holds"),
                [init @ .., last] => format!("{} and {last} never hold together", init.join(", ")),
            };
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        reasons.truncate(2);
        Some(if reasons.is_empty() {
            "no session meets it".to_owned()
        } else {
            reasons.join("; ")
        })
    }

    fn report(&mut self, location: Option<Location>, proof: Proof) {
        self.found.push(Diagnostic {
            level: Level::Warning,
            location,
            problem: proof.into(),
        });
    }

    fn rule(&mut self, index: usize) {
        let set = self.engine.set();
        let Some(goals) = RuleGoals::new(set, index) else {
            return;
        };
        let Some(rule) = set.rules.get(index) else {
            return;
        };
        let at = self.locator.rule(set, index);
        if rule.when.is_some()
            && let Some(reason) = self.never(&goals.when())
        {
            let location = self.locator.key(at.as_ref(), &["when"]);
            self.report(location, Proof::WhenNeverHolds { reason });
            return;
        }
        let mut chosen_cases = 0;
        for case in 0..goals.cases() {
            if self.case(&goals, at.as_ref(), case) {
                chosen_cases += 1;
            }
        }
        if goals.cases() > 0 && chosen_cases == 0 {
            return;
        }
        let name = rule.id.clone();
        if let Some(reason) = self.never(&goals.fails(None)) {
            let location = self.locator.key(at.as_ref(), &["require", "cases", "id"]);
            let reason = format!("wherever it applies, its `require` holds: {reason}");
            self.report(location, Proof::NeverFails { rule: name, reason });
        } else if let Some(reason) = self.never(&goals.passes(None)) {
            let location = self.locator.key(at.as_ref(), &["require", "cases", "id"]);
            let reason = format!("wherever it applies, its `require` fails: {reason}");
            self.report(location, Proof::NeverPasses { rule: name, reason });
        }
    }

    /// Proves a case never chosen, if it is; true when it may be chosen.
    fn case(&mut self, goals: &RuleGoals<'p>, rule: Option<&Node>, case: usize) -> bool {
        if self.never(&goals.chosen(case, None)).is_none() {
            return true;
        }
        let node = rule
            .and_then(|r| r.as_mapping())
            .and_then(|m| m.get_node("cases"))
            .and_then(Node::as_sequence)
            .and_then(|cases| cases.get(case));
        let location = self.locator.key(node, &["when", "require"]);
        if let Some(reason) = self.never(&goals.case_when(case)) {
            self.report(location, Proof::WhenNeverHolds { reason });
            return false;
        }
        let alone = Goal::all(vec![goals.when(), goals.case_when(case)]);
        if let Some(reason) = self.never(&alone) {
            let reason = format!("its `when` contradicts the rule's `when`: {reason}");
            self.report(location, Proof::CaseNeverChosen { reason });
            return false;
        }
        // The earlier cases that take its sessions: drop each that is not needed.
        let mut needed: Vec<usize> = (0..case).collect();
        let mut at = 0;
        while at < needed.len() {
            let mut fewer = needed.clone();
            fewer.remove(at);
            if self.never(&goals.chosen(case, Some(&fewer))).is_some() {
                needed = fewer;
            } else {
                at += 1;
            }
        }
        let cases = rule
            .and_then(|r| r.as_mapping())
            .and_then(|m| m.get_node("cases"))
            .and_then(Node::as_sequence);
        let lines: Vec<String> = needed
            .iter()
            .filter_map(|index| cases.and_then(|c| c.get(*index)))
            .filter_map(|node| self.locator.line(node))
            .map(|line| line.to_string())
            .collect();
        let reason = match lines.as_slice() {
            [] => "earlier cases match every session it matches".to_owned(),
            [one] => format!("every session it matches, the case at line {one} matches first"),
            [init @ .., last] => format!(
                "every session it matches, the cases at lines {} and {last} match first",
                init.join(", ")
            ),
        };
        self.report(location, Proof::CaseNeverChosen { reason });
        false
    }

    fn exception(&mut self, policy_index: usize, exception: usize) {
        let set = self.engine.set();
        let Some(policy) = set.policies.get(policy_index) else {
            return;
        };
        let Some(waiver) = policy.exceptions.get(exception) else {
            return;
        };
        let rules: Vec<usize> = match &waiver.rules {
            Some(rules) => rules.clone(),
            None => (0..set.rules.len())
                .filter(|r| {
                    set.rules
                        .get(*r)
                        .is_some_and(|rule| rule.policy == policy_index)
                })
                .collect(),
        };
        let node = self.locator.exception(set, policy_index, exception);
        let location = self.locator.key(node.as_ref(), &["id"]);
        let id = waiver.id.clone();
        if rules.is_empty() {
            let reason = "it names no rule".to_owned();
            self.report(location, Proof::WaivesNothing { id, reason });
            return;
        }
        let mut all_goals = Vec::new();
        for &rule in &rules {
            let Some(goals) = RuleGoals::new(set, rule) else {
                continue;
            };
            if self.never(&goals.waived_by(exception, None)).is_none() {
                return;
            }
            all_goals.push(goals);
        }
        let reason = if let Some(when) = &waiver.when
            && let Some(reason) = self.never(&Goal::Cond(when))
        {
            format!("its `when` can never hold: {reason}")
        } else {
            let mut unmatched = true;
            for goals in &all_goals {
                let waivable = Goal::all(vec![goals.fails(None), goals.waiver(waiver)]);
                if self.never(&waivable).is_none() {
                    unmatched = false;
                    break;
                }
            }
            if unmatched {
                "no violation of a rule it names matches its `when` before it expires".to_owned()
            } else {
                "the exceptions before it waive every violation it would".to_owned()
            }
        };
        self.report(location, Proof::WaivesNothing { id, reason });
    }
}

/// Finds the YAML of rules, cases and exceptions, for the place a warning points at.
struct Locator<'s> {
    sources: &'s SourceMap,
    documents: Vec<Option<Node>>,
}

impl<'s> Locator<'s> {
    fn new(sources: &'s SourceMap) -> Self {
        let documents = sources
            .indices()
            .map(|index| {
                let options = LoaderOptions::default().error_on_duplicate_keys(true);
                marked_yaml::parse_yaml_with_options(index, sources.text(index), options).ok()
            })
            .collect();
        Self { sources, documents }
    }

    fn document(&self, source: usize) -> Option<&MarkedMappingNode> {
        self.documents.get(source)?.as_ref()?.as_mapping()
    }

    /// A rule's YAML mapping: the rules of its policy are compiled in document order.
    fn rule(&self, set: &CompiledPolicySet, index: usize) -> Option<Node> {
        let rule = set.rules.get(index)?;
        let policy = set.policies.get(rule.policy)?;
        let position = set
            .rules
            .iter()
            .take(index)
            .filter(|r| r.policy == rule.policy)
            .count();
        let rules = self
            .document(policy.source)?
            .get_node("rules")?
            .as_sequence()?;
        rules.get(position).cloned()
    }

    fn exception(&self, set: &CompiledPolicySet, policy: usize, index: usize) -> Option<Node> {
        let policy = set.policies.get(policy)?;
        let list = self
            .document(policy.source)?
            .get_node("exceptions")?
            .as_sequence()?;
        list.get(index).cloned()
    }

    /// The first of `keys` that the mapping has, as a location.
    fn key(&self, node: Option<&Node>, keys: &[&str]) -> Option<Location> {
        let map = node?.as_mapping()?;
        let key = keys
            .iter()
            .find_map(|name| map.keys().find(|k| k.as_str() == *name))?;
        let start = key.span().start()?;
        Some(Location {
            source: self.source_of(start)?,
            line: start.line(),
            column: start.column(),
            length: key.as_str().chars().count(),
        })
    }

    /// The line a mapping starts on (its first key's).
    fn line(&self, node: &Node) -> Option<usize> {
        let first = node.as_mapping()?.keys().next()?;
        first.span().start().map(marked_yaml::Marker::line)
    }

    fn source_of(&self, marker: &marked_yaml::Marker) -> Option<usize> {
        let source = marker.source();
        self.sources
            .indices()
            .any(|i| i == source)
            .then_some(source)
    }
}
