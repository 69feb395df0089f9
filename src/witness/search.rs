//! The search over a goal: depth first through `all`, `any` and `not` (negations pushed down
//! to the checks), collecting on each branch the literals that must hold, and solving the group
//! of each literal as it is added, so that a branch whose literals cannot all hold is left at
//! once. A branch that reaches its end with every group solved is a witness, once the real
//! engine agrees.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::Context;
use super::goal::Goal;
use super::literal::{Atom, Group, Literal};
use super::solve::{self, GroupCache, GroupValue, Solution};
use crate::condition::Condition;
use crate::model::{Session, Timestamp};

/// One branch that holds: its literals and a record (with its evaluation time) on which the
/// goal holds.
#[derive(Debug, Clone)]
pub(crate) struct Branch<'p> {
    pub literals: Vec<Literal<'p>>,
    pub record: Map<String, Json>,
    pub now: Timestamp,
}

/// What a search ended with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome<'p> {
    pub branches: Vec<Branch<'p>>,
    /// Some branch was left undecided (the budget ran out, or a group could only say
    /// "unknown"): without branches, the answer is "unknown", not "impossible".
    pub undecided: bool,
    /// The first few sets of literals (of one group each) that ended a branch: why the
    /// goal cannot hold, where it cannot.
    pub conflicts: Vec<Vec<Literal<'p>>>,
}

/// How many conflicts a search keeps.
const MAX_CONFLICTS: usize = 4;

fn same_keys(a: &[Literal<'_>], b: &[Literal<'_>]) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|x| b.iter().any(|y| x.key == y.key && x.want == y.want))
}

#[derive(Clone, Copy)]
enum Item<'g, 'p> {
    Goal(&'g Goal<'p>, bool),
    Cond(&'p Condition, bool),
}

enum Expansion<'g, 'p> {
    /// Nothing to do: true as it stands.
    Nothing,
    /// False on this branch.
    Fail,
    Atom(Literal<'p>),
    All(Vec<Item<'g, 'p>>),
    Any(Vec<Item<'g, 'p>>),
}

fn expand<'g, 'p>(item: Item<'g, 'p>) -> Expansion<'g, 'p> {
    let goals = |list: &'g [Goal<'p>], polarity: bool| -> Vec<Item<'g, 'p>> {
        list.iter().map(|g| Item::Goal(g, polarity)).collect()
    };
    let conditions = |list: &'p [Condition], polarity: bool| -> Vec<Item<'g, 'p>> {
        list.iter().map(|c| Item::Cond(c, polarity)).collect()
    };
    match item {
        Item::Goal(goal, polarity) => match goal {
            Goal::True if polarity => Expansion::Nothing,
            Goal::False if !polarity => Expansion::Nothing,
            Goal::True | Goal::False => Expansion::Fail,
            Goal::Cond(condition) => Expansion::All(vec![Item::Cond(condition, polarity)]),
            Goal::StartedBefore(at) => {
                Expansion::Atom(Literal::new(Atom::StartedBefore(*at), polarity))
            }
            Goal::Literal(literal) => {
                let mut literal = literal.clone();
                literal.want = literal.want == polarity;
                Expansion::Atom(literal)
            }
            Goal::All(list) if polarity => Expansion::All(goals(list, true)),
            Goal::All(list) => Expansion::Any(goals(list, false)),
            Goal::Any(list) if polarity => Expansion::Any(goals(list, true)),
            Goal::Any(list) => Expansion::All(goals(list, false)),
            Goal::Not(inner) => Expansion::All(vec![Item::Goal(inner, !polarity)]),
        },
        Item::Cond(condition, polarity) => match condition {
            Condition::All(list) if polarity => Expansion::All(conditions(list, true)),
            Condition::All(list) => Expansion::Any(conditions(list, false)),
            Condition::Any(list, _) if polarity => Expansion::Any(conditions(list, true)),
            Condition::Any(list, _) => Expansion::All(conditions(list, false)),
            Condition::Not(inner, _) => Expansion::All(vec![Item::Cond(inner, !polarity)]),
            Condition::Check {
                field, operator, ..
            } => Expansion::Atom(Literal::new(
                Atom::Check {
                    field: *field,
                    operator,
                },
                polarity,
            )),
        },
    }
}

/// How a subtree of the search ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Flow {
    /// Stop searching: enough branches found, or the budget is spent.
    Stop,
    /// Every branch failed because of the choices at these levels (a nogood): choices made
    /// deeper cannot help, so the search jumps back to the deepest of them.
    Failed(BTreeSet<usize>),
    /// Done without such a reason: a branch held, or was undecided.
    Done,
}

/// A piece of the goal still to satisfy, and the level of the choice that put it there.
#[derive(Clone, Copy)]
struct Pending<'g, 'p> {
    item: Item<'g, 'p>,
    origin: usize,
}

/// A depth-first search for branches of one goal, with conflict-directed backjumping: each
/// choice of an `any` branch is a level, each literal remembers the level that brought it,
/// and a branch that fails for literals brought by earlier levels skips the later choices.
pub(crate) struct Search<'c, 'g, 'p> {
    cx: &'c mut Context,
    cache: &'c mut GroupCache,
    goal: &'g Goal<'p>,
    /// How many branches to find before stopping.
    wanted: usize,
    outcome: Outcome<'p>,
    /// The seed as a record, to try first the branches that hold on it.
    seed: Option<Session<'static>>,
    /// The solved value of each group on the current branch.
    values: BTreeMap<Group, Option<GroupValue>>,
    /// The levels of the literals on the branch.
    levels: Vec<usize>,
    /// For each open choice level, the level of the choice that brought its `any`.
    parents: Vec<usize>,
}

impl<'c, 'g, 'p> Search<'c, 'g, 'p> {
    pub(crate) fn new(
        cx: &'c mut Context,
        cache: &'c mut GroupCache,
        goal: &'g Goal<'p>,
        wanted: usize,
    ) -> Self {
        let seed = solve::read_back(&cx.seed);
        Self {
            cx,
            cache,
            goal,
            wanted,
            outcome: Outcome::default(),
            seed,
            values: BTreeMap::new(),
            levels: Vec::new(),
            parents: vec![0],
        }
    }

    pub(crate) fn run(mut self) -> Outcome<'p> {
        let mut todo = vec![Pending {
            item: Item::Goal(self.goal, true),
            origin: 0,
        }];
        let mut literals = Vec::new();
        self.dfs(&mut todo, &mut literals);
        self.outcome
    }

    /// The level and every level above it that it depends on.
    fn chain(&self, mut level: usize, into: &mut BTreeSet<usize>) {
        while level > 0 && into.insert(level) {
            level = self.parents.get(level).copied().unwrap_or(0);
        }
    }

    fn dfs(&mut self, todo: &mut Vec<Pending<'g, 'p>>, literals: &mut Vec<Literal<'p>>) -> Flow {
        if !self.cx.meter.tick(1) {
            self.outcome.undecided = true;
            return Flow::Stop;
        }
        let Some(pending) = todo.pop() else {
            return self.leaf(literals);
        };
        let origin = pending.origin;
        let flow = match expand(pending.item) {
            Expansion::Nothing => self.dfs(todo, literals),
            Expansion::Fail => {
                let mut reason = BTreeSet::new();
                self.chain(origin, &mut reason);
                Flow::Failed(reason)
            }
            Expansion::Atom(literal) => self.with_literal(literal, origin, todo, literals),
            Expansion::All(items) => {
                let depth = todo.len();
                // Document order: the stack pops the last first.
                todo.extend(items.into_iter().rev().map(|item| Pending { item, origin }));
                let flow = self.dfs(todo, literals);
                todo.truncate(depth);
                flow
            }
            Expansion::Any(items) => self.choose(items, origin, todo, literals),
        };
        todo.push(pending);
        flow
    }

    /// Tries each branch of an `any` as a new level.
    fn choose(
        &mut self,
        items: Vec<Item<'g, 'p>>,
        origin: usize,
        todo: &mut Vec<Pending<'g, 'p>>,
        literals: &mut Vec<Literal<'p>>,
    ) -> Flow {
        let level = self.parents.len();
        self.parents.push(origin);
        let mut reason = Some(BTreeSet::new());
        let mut flow = Flow::Done;
        for item in self.order(items) {
            todo.push(Pending {
                item,
                origin: level,
            });
            let outcome = self.dfs(todo, literals);
            todo.pop();
            match outcome {
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
                Flow::Done => reason = None,
                Flow::Failed(why) if !why.contains(&level) => {
                    // This choice plays no part: the other branches fail alike.
                    flow = Flow::Failed(why);
                    break;
                }
                Flow::Failed(mut why) => {
                    why.remove(&level);
                    if let Some(reason) = &mut reason {
                        reason.append(&mut why);
                    }
                }
            }
        }
        self.parents.pop();
        match (flow, reason) {
            (Flow::Done, Some(reason)) => Flow::Failed(reason),
            (flow, _) => flow,
        }
    }

    /// Branches that hold on the seed first: the witness then keeps more of the seed.
    fn order(&self, items: Vec<Item<'g, 'p>>) -> Vec<Item<'g, 'p>> {
        let Some(seed) = &self.seed else {
            return items;
        };
        let now = self.cx.now;
        let (mut first, rest): (Vec<_>, Vec<_>) = items.into_iter().partition(|item| match item {
            Item::Goal(goal, polarity) => goal.holds(seed, now) == *polarity,
            Item::Cond(condition, polarity) => condition.holds(seed, now) == *polarity,
        });
        first.extend(rest);
        first
    }

    fn with_literal(
        &mut self,
        literal: Literal<'p>,
        level: usize,
        todo: &mut Vec<Pending<'g, 'p>>,
        literals: &mut Vec<Literal<'p>>,
    ) -> Flow {
        if let Some(at) = literals
            .iter()
            .position(|l| l.key == literal.key && l.want != literal.want)
        {
            let mut reason = BTreeSet::new();
            self.chain(level, &mut reason);
            self.chain(self.levels.get(at).copied().unwrap_or(0), &mut reason);
            if let Some(earlier) = literals.get(at) {
                let conflict = vec![earlier.clone(), literal];
                self.conflict(conflict);
            }
            return Flow::Failed(reason);
        }
        if literals
            .iter()
            .any(|l| l.key == literal.key && l.want == literal.want)
        {
            return self.dfs(todo, literals);
        }
        let group = Group::of(&literal);
        literals.push(literal);
        self.levels.push(level);
        let flow = match self.solve(group, literals) {
            Solution::Unsat => {
                let mut reason = BTreeSet::new();
                let mut mine = Vec::new();
                for (l, at) in literals.iter().zip(&self.levels) {
                    if Group::of(l) == group {
                        mine.push(l.clone());
                        self.chain(*at, &mut reason);
                    }
                }
                self.conflict(mine);
                Flow::Failed(reason)
            }
            // An undecided group does not end the branch: a later literal may still rule it
            // out (a contradiction decides what the group could not), and only a branch whose
            // groups are all solved gives a witness.
            solution => {
                let value = match solution {
                    Solution::Sat(value) => Some(value),
                    _ => None,
                };
                let previous = self.values.insert(group, value);
                let flow = self.dfs(todo, literals);
                match previous {
                    Some(previous) => self.values.insert(group, previous),
                    None => self.values.remove(&group),
                };
                flow
            }
        };
        literals.pop();
        self.levels.pop();
        flow
    }

    fn conflict(&mut self, literals: Vec<Literal<'p>>) {
        let conflicts = &mut self.outcome.conflicts;
        if conflicts.len() < MAX_CONFLICTS && !conflicts.iter().any(|c| same_keys(c, &literals)) {
            conflicts.push(literals);
        }
    }

    fn solve(&mut self, group: Group, literals: &[Literal<'p>]) -> Solution<GroupValue> {
        let mine: Vec<&Literal<'p>> = literals.iter().filter(|l| Group::of(l) == group).collect();
        let key = solve::group_key(group, &mine);
        if let Some(known) = self.cache.get(&key) {
            return known.clone();
        }
        let solution = solve::solve_group(group, &mine, self.cx);
        // "Unknown" is kept where the solver finished (what it cannot decide, it never will),
        // not where the budget stopped it.
        if solution != Solution::Unknown || !self.cx.meter.exhausted() {
            self.cache.insert(key, solution.clone());
        }
        solution
    }

    fn leaf(&mut self, literals: &[Literal<'p>]) -> Flow {
        if self.values.values().any(Option::is_none) {
            self.outcome.undecided = true;
            return Flow::Done;
        }
        let (record, now) =
            solve::assemble(&self.cx.seed, self.cx.now, self.values.values().flatten());
        if solve::verify(self.goal, &record, now) {
            self.outcome.branches.push(Branch {
                literals: literals.to_vec(),
                record,
                now,
            });
            if self.outcome.branches.len() >= self.wanted {
                return Flow::Stop;
            }
        } else {
            // The groups' values meet every literal, yet the record does not hold: it could
            // not be read back (it names no field), or the engine's reading of some operator
            // is off. Either way this branch proves nothing.
            self.outcome.undecided = true;
        }
        Flow::Done
    }
}
