//! The witness engine: for a rule (or one of its cases, or an exception) of a compiled set and
//! an outcome (it fails, it passes, it is waived), a concrete session that has that outcome, a
//! proof that no session has it, or "unknown" when the budget ran out first.
//!
//! No solver: the language is decidable piece by piece. String conditions are regular
//! languages, walked as automata ([`automaton`]); `Owner` is parsed into its parts as the
//! engine parses it ([`owner`]); instants and numbers are cut into pieces at their constants
//! and window edges, one candidate per piece ([`time`]). A goal's `all`, `any` and `not` are
//! searched depth first ([`search`]), each branch's literals solved group by group
//! ([`solve`]) from a realistic seed ([`seed`]). Every witness is read back as an input is read
//! and judged by the real engine before it is returned, and "impossible" is only said when the
//! search finished without cutting anything.

mod automaton;
mod describe;
mod goal;
mod literal;
mod owner;
pub mod proof;
mod search;
mod seed;
mod solve;
pub mod synthesize;
mod text;
mod time;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};

pub(crate) use goal::{Goal, RuleGoals};
pub(crate) use literal::Literal;

use automaton::Lang;
use seed::Hints;
use solve::GroupCache;

use crate::model::Timestamp;
use crate::policy::CompiledPolicySet;

/// How much one query may cost before it answers "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Steps: branches of the search, states of automata, candidate values tried.
    pub steps: u64,
    /// Wall time.
    pub time: Duration,
}

impl Default for Budget {
    /// Enough for every query on the shipped policies many times over. Steps are the limit
    /// that binds (so that answers do not depend on the machine's load); the time is a
    /// safety net.
    fn default() -> Self {
        Self {
            steps: 200_000,
            time: Duration::from_secs(2),
        }
    }
}

/// Counts a query's steps against its budget.
#[derive(Debug, Clone)]
pub(crate) struct Meter {
    steps: u64,
    limit: u64,
    deadline: Option<Instant>,
    exhausted: bool,
}

impl Meter {
    fn new(budget: Budget) -> Self {
        Self {
            steps: 0,
            limit: budget.steps,
            deadline: Instant::now().checked_add(budget.time),
            exhausted: false,
        }
    }

    #[cfg(test)]
    pub(crate) fn unlimited() -> Self {
        Self {
            steps: 0,
            limit: u64::MAX,
            deadline: None,
            exhausted: false,
        }
    }

    /// Counts `n` steps; false once the budget is spent.
    pub(crate) fn tick(&mut self, n: u64) -> bool {
        if self.exhausted {
            return false;
        }
        self.steps = self.steps.saturating_add(n);
        // The clock is read every 1024 steps: reading it costs more than a step.
        let clock_due = self.steps % 1024 < n;
        if self.steps > self.limit
            || (clock_due && self.deadline.is_some_and(|d| Instant::now() >= d))
        {
            self.exhausted = true;
        }
        !self.exhausted
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted
    }
}

/// What the groups' solvers share within one engine: the seed, hints, compiled automata and
/// the current query's meter.
#[derive(Debug)]
pub(crate) struct Context {
    pub meter: Meter,
    /// The seed's evaluation time (or the pinned one).
    pub now: Timestamp,
    pub pinned_now: Option<Timestamp>,
    pub seed: Map<String, Json>,
    pub hints: Hints,
    langs: HashMap<String, Option<Arc<Lang>>>,
}

impl Context {
    /// The automaton of a regex, compiled once; `None` when it cannot be built.
    pub(crate) fn lang(&mut self, pattern: &str) -> Option<Arc<Lang>> {
        if let Some(known) = self.langs.get(pattern) {
            return known.clone();
        }
        let lang = Lang::compile(pattern).ok().map(Arc::new);
        self.langs.insert(pattern.to_owned(), lang.clone());
        lang
    }
}

/// The order a record's fields are shown in: as exports and the shipped tests write them.
pub const FIELD_ORDER: [&str; 12] = [
    "SessionId",
    "Target",
    "Status",
    "StartDate",
    "EndDate",
    "DocumentName",
    "Owner",
    "Reason",
    "MaxSessionDuration",
    "AccessType",
    "Details",
    "OutputUrl",
];

/// A record's keys in [`FIELD_ORDER`], others after them.
pub fn ordered_keys(record: &Map<String, Json>) -> Vec<&String> {
    let mut keys: Vec<&String> = record.keys().collect();
    keys.sort_by_key(|k| {
        FIELD_ORDER
            .iter()
            .position(|f| *f == k.as_str())
            .unwrap_or(FIELD_ORDER.len())
    });
    keys
}

/// A record as one line of JSON, its fields in [`FIELD_ORDER`].
pub fn record_line(record: &Map<String, Json>) -> String {
    let members: Vec<String> = ordered_keys(record)
        .into_iter()
        .filter_map(|key| {
            let value = record.get(key)?;
            Some(format!("{}: {value}", Json::String(key.clone())))
        })
        .collect();
    format!("{{{}}}", members.join(", "))
}

/// Reads a witness's record as an input is read (`None` for an object no input can hold).
pub fn read_record(record: &Map<String, Json>) -> Option<crate::model::Session<'static>> {
    solve::read_back(record)
}

/// A session and the evaluation time it assumes.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    /// The record, as JSON that every input reader takes.
    pub record: Map<String, Json>,
    pub now: Timestamp,
}

/// The answer to a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A session with the outcome, checked by the real engine.
    Found(Witness),
    /// No session has the outcome: the search finished without cutting anything.
    Impossible,
    /// The budget ran out, or the outcome is beyond what the engine decides.
    Unknown,
}

/// What is wanted of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It gives a violation that no exception waives.
    Fails,
    /// It applies, and its requirement holds.
    Passes,
    /// It gives a violation and the exception at this index of its policy's exceptions is
    /// the one that waives it.
    Waived(usize),
}

/// A rule (by index in the set's rules), optionally one of its cases, and an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub rule: usize,
    pub case: Option<usize>,
    pub outcome: Outcome,
}

/// One failing and one passing session for a rule, or for one of its cases.
#[derive(Debug, Clone)]
pub struct Example {
    /// The case (by index), or `None` for the rule as a whole.
    pub case: Option<usize>,
    /// The case's `when` in words (`None` for the default case and for the rule).
    pub when: Option<String>,
    pub fails: Answer,
    pub passes: Answer,
}

/// Examples for the rule at `rule` (index in the set's rules): the rule, then each case.
pub fn examples(set: &CompiledPolicySet, rule: usize, budget: Budget) -> Vec<Example> {
    let mut engine = Engine::new(set).with_budget(budget);
    if let Some(clean) = engine.clean_session() {
        engine = engine.with_seed(&clean);
    }
    let cases = RuleGoals::new(set, rule).map_or(0, |goals| goals.cases());
    let mut examples = Vec::new();
    let targets = std::iter::once(None).chain((0..cases).map(Some));
    for case in targets {
        let mut ask = |outcome| {
            engine.find(&Query {
                rule,
                case,
                outcome,
            })
        };
        let fails = ask(Outcome::Fails);
        let passes = ask(Outcome::Passes);
        let when = case.and_then(|case| match set.rules.get(rule).map(|r| &r.body) {
            Some(crate::policy::Body::Cases(cases)) => {
                cases.get(case)?.when.as_ref().map(|w| w.describe())
            }
            _ => None,
        });
        examples.push(Example {
            case,
            when,
            fails,
            passes,
        });
    }
    examples
}

/// Finds witnesses for queries on one compiled set; caches what its queries share.
#[derive(Debug)]
pub struct Engine<'p> {
    set: &'p CompiledPolicySet,
    budget: Budget,
    cx: Context,
    cache: GroupCache,
}

impl<'p> Engine<'p> {
    /// An engine over a set, with the default budget per query.
    pub fn new(set: &'p CompiledPolicySet) -> Self {
        Self {
            set,
            budget: Budget::default(),
            cx: Context {
                meter: Meter::new(Budget::default()),
                now: seed::now(),
                pinned_now: None,
                seed: seed::record(),
                hints: Hints::of_set(set),
                langs: HashMap::new(),
            },
            cache: GroupCache::new(),
        }
    }

    /// Sets the budget of each query.
    pub fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Fixes the evaluation time: witnesses then all assume it.
    pub fn with_now(mut self, now: Timestamp) -> Self {
        self.cx.now = now;
        self.cx.pinned_now = Some(now);
        self.cache.clear();
        self
    }

    /// Starts witnesses from another record (and evaluation time, unless one is pinned).
    pub fn with_seed(mut self, witness: &Witness) -> Self {
        self.cx.seed = witness.record.clone();
        if self.cx.pinned_now.is_none() {
            self.cx.now = witness.now;
        }
        self.cache.clear();
        self
    }

    /// A session that breaks no rule of the set (no violation that counts in the decision),
    /// found within the budget, to start other witnesses from: they then break only what
    /// their query needs.
    pub fn clean_session(&mut self) -> Option<Witness> {
        // Rules that compare two texts are left out: the engine does not link fields.
        let goals: Vec<Goal<'p>> = (0..self.set.rules.len())
            .filter(|index| {
                self.set
                    .rules
                    .get(*index)
                    .is_some_and(|r| !r.compares_texts())
            })
            .filter_map(|index| RuleGoals::new(self.set, index))
            .map(|rule| Goal::not(rule.broken(None)))
            .collect();
        match self.solve(&Goal::all(goals)) {
            Answer::Found(witness) => Some(witness),
            Answer::Impossible | Answer::Unknown => None,
        }
    }

    /// Adds hints (values to try first) from another set, so that witnesses of comparisons
    /// between two sets read like both.
    pub(crate) fn with_hints_of(mut self, other: &CompiledPolicySet) -> Self {
        self.cx.hints.merge(Hints::of_set(other));
        self
    }

    /// The set the engine answers for.
    pub fn set(&self) -> &'p CompiledPolicySet {
        self.set
    }

    /// Answers a query.
    pub fn find(&mut self, query: &Query) -> Answer {
        match self.goal(query) {
            Some(goal) => self.solve(&goal),
            None => Answer::Impossible,
        }
    }

    /// Answers a query with a session that breaks no other rule where there is one (an
    /// example that shows one thing), else as [`Engine::find`] does.
    pub fn find_quiet(&mut self, query: &Query) -> Answer {
        let Some(goal) = self.goal(query) else {
            return Answer::Impossible;
        };
        let mut parts = vec![goal.clone()];
        for index in (0..self.set.rules.len()).filter(|i| *i != query.rule) {
            if let Some(other) = RuleGoals::new(self.set, index) {
                parts.push(Goal::not(other.broken(None)));
            }
        }
        // A quiet example is a nicety: it gets a tenth of the budget.
        match self.solve_within(&Goal::all(parts), false) {
            Answer::Found(witness) => Answer::Found(witness),
            Answer::Impossible | Answer::Unknown => self.solve(&goal),
        }
    }

    /// Solves a goal with the whole budget where `needed`, else with a tenth of it (for a
    /// nicer example that may not exist).
    pub(crate) fn solve_within(&mut self, goal: &Goal<'p>, needed: bool) -> Answer {
        if needed {
            return self.solve(goal);
        }
        let budget = self.budget;
        self.budget = Budget {
            steps: budget.steps / 10,
            time: budget.time / 10,
        };
        let answer = self.solve(goal);
        self.budget = budget;
        answer
    }

    fn goal(&self, query: &Query) -> Option<Goal<'p>> {
        let rule = RuleGoals::new(self.set, query.rule)?;
        Some(match query.outcome {
            Outcome::Fails => rule.broken(query.case),
            Outcome::Passes => rule.passes(query.case),
            Outcome::Waived(exception) => rule.waived_by(exception, query.case),
        })
    }

    /// Answers whether a goal can hold, with a witness where it can.
    pub(crate) fn solve(&mut self, goal: &Goal<'p>) -> Answer {
        let outcome = self.search(goal, 1);
        match outcome.branches.into_iter().next() {
            Some(branch) => Answer::Found(Witness {
                record: branch.record,
                now: branch.now,
            }),
            None if outcome.undecided => Answer::Unknown,
            None => Answer::Impossible,
        }
    }

    /// Up to `wanted` branches of a goal that hold, each with a witness; whether some branch
    /// was left undecided; and, where branches ended, the literals that ended them.
    pub(crate) fn search(&mut self, goal: &Goal<'p>, wanted: usize) -> search::Outcome<'p> {
        if goal.compares_texts() {
            return search::Outcome {
                branches: Vec::new(),
                undecided: true,
                conflicts: Vec::new(),
            };
        }
        self.cx.meter = Meter::new(self.budget);
        search::Search::new(&mut self.cx, &mut self.cache, goal, wanted).run()
    }

    /// A smallest part of a conflict (literals of one group that cannot all hold) that still
    /// cannot: what a proof names as its reason.
    pub(crate) fn minimize(&mut self, conflict: &[Literal<'p>]) -> Vec<Literal<'p>> {
        let mut kept: Vec<Literal<'p>> = conflict.to_vec();
        let mut index = 0;
        while index < kept.len() && kept.len() > 1 {
            let mut fewer = kept.clone();
            fewer.remove(index);
            if self.impossible_together(&fewer) {
                kept = fewer;
            } else {
                index += 1;
            }
        }
        kept
    }

    /// The literals without those that the others of their group imply: what a region is
    /// described by.
    pub(crate) fn simplify(&mut self, literals: &[Literal<'p>]) -> Vec<Literal<'p>> {
        let mut kept: Vec<Literal<'p>> = Vec::new();
        for literal in literals {
            if !kept
                .iter()
                .any(|k| k.key == literal.key && k.want == literal.want)
            {
                kept.push(literal.clone());
            }
        }
        let mut index = 0;
        while index < kept.len() {
            let Some(literal) = kept.get(index) else {
                break;
            };
            let group = literal::Group::of(literal);
            let mut test: Vec<Literal<'p>> = kept
                .iter()
                .enumerate()
                .filter(|(i, l)| *i != index && literal::Group::of(l) == group)
                .map(|(_, l)| l.clone())
                .collect();
            let mut negated = literal.clone();
            negated.want = !negated.want;
            test.push(negated);
            if test.len() > 1 && self.impossible_together(&test) {
                kept.remove(index);
            } else {
                index += 1;
            }
        }
        kept
    }

    /// Whether literals (of one group) are proved never to hold together.
    fn impossible_together(&mut self, literals: &[Literal<'p>]) -> bool {
        let Some(first) = literals.first() else {
            return false;
        };
        let contradictory = literals
            .iter()
            .any(|a| literals.iter().any(|b| a.key == b.key && a.want != b.want));
        if contradictory {
            return true;
        }
        let group = literal::Group::of(first);
        let refs: Vec<&Literal<'p>> = literals.iter().collect();
        let key = solve::group_key(group, &refs);
        if let Some(known) = self.cache.get(&key) {
            return *known == solve::Solution::Unsat;
        }
        self.cx.meter = Meter::new(self.budget);
        let solution = solve::solve_group(group, &refs, &mut self.cx);
        let impossible = solution == solve::Solution::Unsat;
        if solution != solve::Solution::Unknown || !self.cx.meter.exhausted() {
            self.cache.insert(key, solution);
        }
        impossible
    }
}
