//! `ssm-guard diff --synthesize`: the regions of sessions whose decision or broken rules differ
//! between two policy sets, found without an export. For each `policy/rule` id, the engine
//! searches the sessions where it is broken under one set and not the other (and, where its
//! action changed, where that changes the decision); each branch it finds is a region, described
//! by its literals and shown with a session, evaluated under both sets as `diff` evaluates a
//! record. "Equivalent" is said only when every search finished without finding one.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::{Budget, Engine, Goal, RuleGoals, describe, solve};
use crate::diff::{RuleChanges, rule_changes};
use crate::model::Timestamp;
use crate::policy::{Action, CompiledPolicySet};

/// How many regions one search may give, and how many all of them together.
const REGIONS_PER_SEARCH: usize = 8;
const MAX_REGIONS: usize = 200;

/// The comparison's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Some session is judged differently (each region has one).
    Different,
    /// Every session is judged alike: every search finished without finding one.
    Equivalent,
    /// No difference was found, but some search could not finish.
    Unknown,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Self::Different => "different",
            Self::Equivalent => "equivalent",
            Self::Unknown => "unknown",
        }
    }
}

/// Sessions judged differently, described in words, with one of them.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// The region in words: `Target glob "mi-*" and 60 < MaxSessionDuration <= 90`.
    pub description: String,
    /// How the example session is judged under each set.
    #[serde(flatten)]
    pub changes: RuleChanges,
    /// The evaluation time the example assumes.
    pub now: String,
    /// The example, a record every input reader takes.
    pub session: Map<String, Json>,
}

/// What a synthesized comparison found.
#[derive(Debug, Clone, Serialize)]
pub struct Synthesis {
    pub outcome: Verdict,
    pub regions: Vec<Region>,
    /// The searches that could not finish (`+policy/rule`: where it would be added).
    pub undecided: Vec<String>,
}

/// The rule ids of two sets, each with its index in OLD and in NEW.
fn ids(old: &CompiledPolicySet, new: &CompiledPolicySet) -> BTreeMap<String, [Option<usize>; 2]> {
    let mut ids: BTreeMap<String, [Option<usize>; 2]> = BTreeMap::new();
    for (side, set) in [old, new].into_iter().enumerate() {
        for (index, rule) in set.rules().iter().enumerate() {
            let id = format!(
                "{}/{}",
                set.policy_of(rule).map_or("", |p| p.id()),
                rule.id()
            );
            if let Some(slot) = ids.entry(id).or_default().get_mut(side) {
                *slot = Some(index);
            }
        }
    }
    ids
}

/// Compares two sets without inputs; `now`, if given, is the evaluation time every example
/// assumes.
pub fn synthesize<'p>(
    old: &'p CompiledPolicySet,
    new: &'p CompiledPolicySet,
    now: Option<Timestamp>,
    budget: Budget,
) -> Synthesis {
    let ids = ids(old, new);
    let broken = |set: &'p CompiledPolicySet, index: Option<usize>| -> Goal<'p> {
        index
            .and_then(|i| RuleGoals::new(set, i))
            .map_or(Goal::False, |rule| rule.broken(None))
    };
    let action = |set: &CompiledPolicySet, index: Option<usize>| {
        index.and_then(|i| set.rules().get(i)).map(|r| r.action())
    };
    let mut engine = Engine::new(new).with_budget(budget).with_hints_of(old);
    if let Some(now) = now {
        engine = engine.with_now(now);
    }
    // Start from a session that breaks nothing under either set, so that each example shows
    // its own difference.
    let quiet: Vec<Goal<'p>> = ids
        .values()
        .flat_map(|[o, n]| [Goal::not(broken(old, *o)), Goal::not(broken(new, *n))])
        .collect();
    if let super::Answer::Found(clean) = engine.solve(&Goal::all(quiet)) {
        engine = engine.with_seed(&clean);
    }
    let mut regions: Vec<Region> = Vec::new();
    let mut undecided = Vec::new();
    // Nothing broken under either set but the rule in question: what examples prefer.
    let quiet_except = |id: &str| -> Vec<Goal<'p>> {
        ids.iter()
            .filter(|(other, _)| other.as_str() != id)
            .flat_map(|(_, [o, n])| [Goal::not(broken(old, *o)), Goal::not(broken(new, *n))])
            .collect()
    };
    for (id, [o, n]) in &ids {
        let (before, after) = (broken(old, *o), broken(new, *n));
        // Each search: its label, the region's goal, and what an example must also meet
        // (`true`) or should (`false`).
        let mut searches = vec![
            (
                format!("+{id}"),
                Goal::all(vec![Goal::not(before.clone()), after.clone()]),
                quiet_except(id),
                false,
            ),
            (
                format!("-{id}"),
                Goal::all(vec![before.clone(), Goal::not(after.clone())]),
                quiet_except(id),
                false,
            ),
        ];
        // A changed action changes the decision where no other rule decides it.
        let deciding = |set: &'p CompiledPolicySet, side: usize| -> Vec<Goal<'p>> {
            ids.iter()
                .filter(|(other, _)| *other != id)
                .filter_map(|(_, indices)| {
                    let index = *indices.get(side)?;
                    (action(set, index) == Some(Action::Deny))
                        .then(|| Goal::not(broken(set, index)))
                })
                .collect()
        };
        let both = Goal::all(vec![before.clone(), after.clone()]);
        match (action(old, *o), action(new, *n)) {
            (Some(Action::Deny), Some(Action::Warn)) => {
                searches.push((format!("~{id}"), both, deciding(new, 1), true));
            }
            (Some(Action::Warn), Some(Action::Deny)) => {
                searches.push((format!("~{id}"), both, deciding(old, 0), true));
            }
            _ => {}
        }
        for (label, goal, example, required) in searches {
            if regions.len() >= MAX_REGIONS {
                undecided.push(format!("{label}: more regions than are shown"));
                continue;
            }
            let outcome = engine.search(&goal, REGIONS_PER_SEARCH);
            if outcome.branches.is_empty() && outcome.undecided {
                undecided.push(label.clone());
            }
            let mut found_one = false;
            for branch in outcome.branches {
                let literals = engine.simplify(&branch.literals);
                let mut parts = vec![goal.clone()];
                parts.extend(branch.literals.iter().cloned().map(Goal::Literal));
                parts.extend(example.iter().cloned());
                let witness = match engine.solve_within(&Goal::all(parts), required) {
                    super::Answer::Found(witness) => witness,
                    _ if required => continue,
                    _ => super::Witness {
                        record: branch.record,
                        now: branch.now,
                    },
                };
                let Some(session) = solve::read_back(&witness.record) else {
                    continue;
                };
                let (before, after) = (
                    old.evaluate(&session, witness.now),
                    new.evaluate(&session, witness.now),
                );
                let Some(changes) = rule_changes(&before, &after) else {
                    continue;
                };
                found_one = true;
                let region = Region {
                    description: describe::region(&literals),
                    changes,
                    now: witness.now.to_string(),
                    session: witness.record,
                };
                let repeated = regions
                    .iter()
                    .any(|r| r.description == region.description && r.changes == region.changes);
                if !repeated {
                    regions.push(region);
                }
            }
            if required && !found_one && outcome.undecided {
                undecided.push(label);
            }
        }
    }
    let outcome = match (regions.is_empty(), undecided.is_empty()) {
        (false, _) => Verdict::Different,
        (true, true) => Verdict::Equivalent,
        (true, false) => Verdict::Unknown,
    };
    Synthesis {
        outcome,
        regions,
        undecided,
    }
}
