//! Comparing two policy sets on the same records: which records' decisions or broken rules
//! change when the policies go from OLD to NEW, for previewing a policy change before rollout.
//!
//! The records are read once, by [`check`](crate::check)'s pipeline with a baseline set
//! ([`Checker::with_baseline`](crate::check::Checker::with_baseline)): each session is parsed once
//! and evaluated under both sets, and [`DiffReporter`] keeps the records that changed.
//!
//! Rules are compared by their `policy/rule` id: a rule renamed in NEW is one id removed and
//! one added. Only violations that no exception waives count, so removing a waiver shows as
//! the rule added on the records it used to waive.

mod git;
mod report;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

pub use git::GitError;
pub use report::{DiffFormat, DiffReporter};

use crate::check::{RecordResult, Summary};
use crate::diagnostic::Diagnostic;
use crate::policy::{Action, Decision, Evaluation};
use crate::source::SourceMap;

/// Which way a record's decision moved from OLD to NEW.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    /// A stricter decision: allow → warn, allow → deny, warn → deny.
    Tighten,
    /// A laxer one: the reverse.
    Loosen,
    /// The same decision, with other rules broken.
    Same,
}

impl Transition {
    /// The transition between two decisions.
    pub fn between(from: Decision, to: Decision) -> Self {
        match from.cmp(&to) {
            std::cmp::Ordering::Less => Self::Tighten,
            std::cmp::Ordering::Greater => Self::Loosen,
            std::cmp::Ordering::Equal => Self::Same,
        }
    }

    /// The name outputs use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tighten => "tighten",
            Self::Loosen => "loosen",
            Self::Same => "same",
        }
    }
}

/// One record whose decision, or set of broken rules, differs between OLD and NEW.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub source: Arc<str>,
    pub record: u64,
    pub line: u64,
    pub session_id: Option<String>,
    pub target: Option<String>,
    pub owner: Option<String>,
    pub from: Decision,
    pub to: Decision,
    pub transition: Transition,
    /// `policy/rule` ids broken (unwaived) under NEW and not under OLD, sorted.
    pub added: Vec<String>,
    /// Broken under OLD and not under NEW, sorted.
    pub removed: Vec<String>,
    /// Broken under both, with another action (warn ↔ deny), sorted.
    pub changed: Vec<String>,
}

/// A rule an evaluation broke, unwaived. Rules of two sets are matched by id, since a rule's
/// index means nothing in the other set; the order is by policy id, then rule id.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Broken<'a> {
    policy: &'a str,
    rule: &'a str,
    action: Action,
    /// `policy/rule`.
    id: &'a str,
}

/// The unwaived rules an evaluation broke, sorted.
fn broken<'a>(evaluation: &'a Evaluation<'_>) -> Vec<Broken<'a>> {
    let mut rules: Vec<_> = evaluation
        .violations
        .iter()
        .filter(|v| !v.is_waived())
        .map(|v| Broken {
            policy: v.policy.id(),
            rule: v.rule.id(),
            action: v.action(),
            id: v.id(),
        })
        .collect();
    rules.sort_unstable();
    rules.dedup();
    rules
}

/// How one record's evaluation differs between OLD and NEW.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChanges {
    pub from: Decision,
    pub to: Decision,
    pub transition: Transition,
    /// `policy/rule` ids broken (unwaived) under NEW and not under OLD, sorted.
    pub added: Vec<String>,
    /// Broken under OLD and not under NEW, sorted.
    pub removed: Vec<String>,
    /// Broken under both, with another action (warn ↔ deny), sorted.
    pub changed: Vec<String>,
}

/// How a record's evaluations under OLD and NEW differ: `None` when its decision and the
/// rules it breaks are the same.
pub fn rule_changes(old: &Evaluation<'_>, new: &Evaluation<'_>) -> Option<RuleChanges> {
    // Most records break nothing under either set: decide those without allocating.
    if old.violations.is_empty() && new.violations.is_empty() {
        return None;
    }
    let (before, after) = (broken(old), broken(new));
    let same_rules =
        before.len() == after.len() && before.iter().zip(&after).all(|(a, b)| a.id == b.id);
    if old.decision == new.decision && same_rules {
        return None;
    }
    let id = |broken: &Broken<'_>| broken.id.to_owned();
    let find = |list: &[Broken<'_>], key: &Broken<'_>| {
        list.iter()
            .find(|item| item.id == key.id)
            .map(|item| item.action)
    };
    let added = after
        .iter()
        .filter(|r| find(&before, r).is_none())
        .map(id)
        .collect();
    let removed = before
        .iter()
        .filter(|r| find(&after, r).is_none())
        .map(id)
        .collect();
    let changed = after
        .iter()
        .filter(|r| find(&before, r).is_some_and(|action| action != r.action))
        .map(id)
        .collect();
    Some(RuleChanges {
        from: old.decision,
        to: new.decision,
        transition: Transition::between(old.decision, new.decision),
        added,
        removed,
        changed,
    })
}

/// The change a record shows between its baseline (OLD) and main (NEW) evaluations; `None`
/// when it has none, or was evaluated without a baseline.
pub fn compare(result: &RecordResult<'_>) -> Option<Change> {
    let old = result.baseline.as_ref()?;
    let changes = rule_changes(old, &result.evaluation)?;
    Some(Change {
        source: result.source.clone(),
        record: result.record,
        line: result.line,
        session_id: result.session_id.clone(),
        target: result.target.clone(),
        owner: result.owner.clone(),
        from: changes.from,
        to: changes.to,
        transition: changes.transition,
        added: changes.added,
        removed: changes.removed,
        changed: changes.changed,
    })
}

/// Where a policy set comes from, as `--from` and `--to` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyRef {
    /// The embedded default set (`builtin` or `default`).
    Builtin,
    /// A policy file, or a folder searched recursively.
    Path(PathBuf),
    /// A folder or file at a git revision of the repository of the current directory, read
    /// through git without a checkout (`REV:PATH`).
    Git { rev: String, path: String },
}

/// A policy set that could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum PolicyRefError {
    /// A file or folder that could not be read, located for rendering.
    #[error("{}", .0.problem)]
    Load(Box<Diagnostic>),
    #[error(transparent)]
    Git(#[from] GitError),
}

impl PolicyRef {
    /// Reads a `--from`/`--to` value. An existing path is always a path, so that a folder
    /// named `default` or a file name with a colon keeps its meaning; otherwise `builtin` and
    /// `default` name the embedded set, and a value with a `:` is `REV:PATH`.
    pub fn parse(text: &str) -> Self {
        if Path::new(text).exists() {
            return Self::Path(PathBuf::from(text));
        }
        if matches!(text, "builtin" | "default") {
            return Self::Builtin;
        }
        match text.split_once(':') {
            Some((rev, path)) => Self::Git {
                rev: rev.to_owned(),
                path: path.to_owned(),
            },
            None => Self::Path(PathBuf::from(text)),
        }
    }

    /// The policy texts it names.
    pub fn sources(&self) -> Result<SourceMap, PolicyRefError> {
        match self {
            Self::Builtin => Ok(SourceMap::defaults()),
            Self::Path(path) => {
                let mut sources = SourceMap::new();
                sources
                    .add_path(path)
                    .map_err(|d| PolicyRefError::Load(Box::new(d)))?;
                Ok(sources)
            }
            Self::Git { rev, path } => Ok(git::sources(rev, path)?),
        }
    }
}

/// How many targets and owners the summary ranks.
const TOP: usize = 10;
/// How many distinct targets (and owners) are counted; past that, new ones are only summed,
/// so that memory stays bounded on exports with millions of distinct values.
const MAX_TALLIED: usize = 100_000;

/// Counts over a whole comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    /// Records read: evaluated plus those in error.
    pub records: u64,
    pub evaluated: u64,
    /// Input errors.
    pub errors: u64,
    /// Records that changed.
    pub changed: u64,
    pub tighten: u64,
    pub loosen: u64,
    pub same: u64,
    /// Changed records per decision pair, those with any, stricter first.
    pub transitions: Vec<TransitionCount>,
    /// Per rule, the changed records where it was added, removed or changed action; most first.
    pub rules: Vec<RuleDelta>,
    /// The targets with the most changed records.
    pub top_targets: Vec<Affected>,
    /// The owners with the most changed records.
    pub top_owners: Vec<Affected>,
}

/// Changed records from one decision to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionCount {
    pub from: Decision,
    pub to: Decision,
    pub transition: Transition,
    pub records: u64,
}

/// What changed for one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleDelta {
    pub rule: String,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

/// A target or owner and its changed records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Affected {
    pub name: String,
    pub records: u64,
    pub tighten: u64,
    pub loosen: u64,
}

/// Running counts of changes, turned into a [`DiffSummary`] at the end.
#[derive(Debug, Default)]
pub struct DiffTally {
    /// Changed records by `[from][to]` decision.
    pairs: [[u64; 3]; 3],
    rules: BTreeMap<String, RuleDelta>,
    targets: Ranking,
    owners: Ranking,
}

#[derive(Debug, Default)]
struct Ranking {
    counts: HashMap<String, Affected>,
}

impl Ranking {
    fn add(&mut self, key: Option<&str>, transition: Transition) {
        let key = key.unwrap_or("-");
        let bump = |entry: &mut Affected| {
            entry.records += 1;
            match transition {
                Transition::Tighten => entry.tighten += 1,
                Transition::Loosen => entry.loosen += 1,
                Transition::Same => {}
            }
        };
        if let Some(entry) = self.counts.get_mut(key) {
            bump(entry);
        } else if self.counts.len() < MAX_TALLIED {
            let entry = self
                .counts
                .entry(key.to_owned())
                .or_insert_with(|| Affected {
                    name: key.to_owned(),
                    records: 0,
                    tighten: 0,
                    loosen: 0,
                });
            bump(entry);
        }
    }

    /// The most changed records first, ties by name.
    fn top(&self) -> Vec<Affected> {
        let mut all: Vec<&Affected> = self.counts.values().collect();
        all.sort_by(|a, b| b.records.cmp(&a.records).then(a.name.cmp(&b.name)));
        all.into_iter().take(TOP).cloned().collect()
    }
}

fn decision_index(decision: Decision) -> usize {
    match decision {
        Decision::Allow => 0,
        Decision::Warn => 1,
        Decision::Deny => 2,
    }
}

const DECISIONS: [Decision; 3] = [Decision::Allow, Decision::Warn, Decision::Deny];

impl DiffTally {
    /// Counts one change.
    pub fn add(&mut self, change: &Change) {
        if let Some(cell) = self
            .pairs
            .get_mut(decision_index(change.from))
            .and_then(|row| row.get_mut(decision_index(change.to)))
        {
            *cell += 1;
        }
        let mut rule = |id: &String, bump: fn(&mut RuleDelta)| {
            let entry = self.rules.entry(id.clone()).or_insert_with(|| RuleDelta {
                rule: id.clone(),
                ..RuleDelta::default()
            });
            bump(entry);
        };
        for id in &change.added {
            rule(id, |d| d.added += 1);
        }
        for id in &change.removed {
            rule(id, |d| d.removed += 1);
        }
        for id in &change.changed {
            rule(id, |d| d.changed += 1);
        }
        self.targets
            .add(change.target.as_deref(), change.transition);
        self.owners.add(change.owner.as_deref(), change.transition);
    }

    /// The summary, with the run's record and error counts.
    pub fn summary(&self, run: &Summary) -> DiffSummary {
        let mut summary = DiffSummary {
            records: run.records,
            evaluated: run.evaluated,
            errors: run.errors,
            ..DiffSummary::default()
        };
        for from in DECISIONS {
            for to in DECISIONS {
                let records = self
                    .pairs
                    .get(decision_index(from))
                    .and_then(|row| row.get(decision_index(to)))
                    .copied()
                    .unwrap_or(0);
                if records == 0 {
                    continue;
                }
                let transition = Transition::between(from, to);
                summary.changed += records;
                match transition {
                    Transition::Tighten => summary.tighten += records,
                    Transition::Loosen => summary.loosen += records,
                    Transition::Same => summary.same += records,
                }
                summary.transitions.push(TransitionCount {
                    from,
                    to,
                    transition,
                    records,
                });
            }
        }
        // Stricter first, then by how far the decision moved, then by decision.
        summary
            .transitions
            .sort_by_key(|t| (t.transition, std::cmp::Reverse(t.to), t.from));
        summary.rules = self.rules.values().cloned().collect();
        summary.rules.sort_by(|a, b| {
            (b.added + b.removed + b.changed)
                .cmp(&(a.added + a.removed + a.changed))
                .then(a.rule.cmp(&b.rule))
        });
        summary.top_targets = self.targets.top();
        summary.top_owners = self.owners.top();
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_order_of_decisions() {
        use Decision::*;
        assert_eq!(Transition::between(Allow, Warn), Transition::Tighten);
        assert_eq!(Transition::between(Allow, Deny), Transition::Tighten);
        assert_eq!(Transition::between(Warn, Deny), Transition::Tighten);
        assert_eq!(Transition::between(Deny, Warn), Transition::Loosen);
        assert_eq!(Transition::between(Warn, Allow), Transition::Loosen);
        assert_eq!(Transition::between(Deny, Deny), Transition::Same);
    }

    #[test]
    fn a_value_is_a_git_revision_only_when_it_is_not_a_path_and_has_a_colon() {
        assert_eq!(PolicyRef::parse("builtin"), PolicyRef::Builtin);
        assert_eq!(PolicyRef::parse("default"), PolicyRef::Builtin);
        assert_eq!(
            PolicyRef::parse("HEAD~1:policies"),
            PolicyRef::Git {
                rev: "HEAD~1".to_owned(),
                path: "policies".to_owned()
            }
        );
        assert_eq!(
            PolicyRef::parse("no/such/folder"),
            PolicyRef::Path(PathBuf::from("no/such/folder"))
        );
        assert_eq!(
            PolicyRef::parse("src"),
            PolicyRef::Path(PathBuf::from("src"))
        );
    }
}
