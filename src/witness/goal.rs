//! Goals: what a witness must satisfy, built from a compiled set's rules, cases and exceptions
//! exactly as [`CompiledPolicySet::evaluate`] reads them (the first case whose `when` holds is
//! chosen; the first exception that waives a violation is named).

use super::Literal;
use crate::condition::Condition;
use crate::model::{Session, Timestamp};
use crate::policy::{Body, CompiledPolicySet, Exception, Rule};

/// A condition over a record and the evaluation time.
#[derive(Debug, Clone)]
pub(crate) enum Goal<'p> {
    True,
    False,
    /// A condition of a policy.
    Cond(&'p Condition),
    /// The session started before the instant (judged at `now` without a readable start).
    StartedBefore(Timestamp),
    /// One literal, as a branch of an earlier search found it.
    Literal(Literal<'p>),
    All(Vec<Goal<'p>>),
    Any(Vec<Goal<'p>>),
    Not(Box<Goal<'p>>),
}

impl<'p> Goal<'p> {
    /// Whether the goal holds on a record at `now`: the re-evaluation every witness passes.
    pub(crate) fn holds(&self, session: &Session<'_>, now: Timestamp) -> bool {
        match self {
            Self::True => true,
            Self::False => false,
            Self::Cond(condition) => condition.holds(session, now),
            Self::StartedBefore(at) => session.started_at_or(now) < *at,
            Self::Literal(literal) => literal.holds(session, now),
            Self::All(goals) => goals.iter().all(|g| g.holds(session, now)),
            Self::Any(goals) => goals.iter().any(|g| g.holds(session, now)),
            Self::Not(goal) => !goal.holds(session, now),
        }
    }

    pub(crate) fn not(goal: Goal<'p>) -> Self {
        match goal {
            Self::True => Self::False,
            Self::False => Self::True,
            Self::Not(inner) => *inner,
            other => Self::Not(Box::new(other)),
        }
    }

    pub(crate) fn all(goals: Vec<Goal<'p>>) -> Self {
        let mut kept = Vec::new();
        for goal in goals {
            match goal {
                Self::True => {}
                Self::False => return Self::False,
                other => kept.push(other),
            }
        }
        match kept.len() {
            0 => Self::True,
            1 => kept.pop().unwrap_or(Self::True),
            _ => Self::All(kept),
        }
    }

    pub(crate) fn any(goals: Vec<Goal<'p>>) -> Self {
        let mut kept = Vec::new();
        for goal in goals {
            match goal {
                Self::False => {}
                Self::True => return Self::True,
                other => kept.push(other),
            }
        }
        match kept.len() {
            0 => Self::False,
            1 => kept.pop().unwrap_or(Self::False),
            _ => Self::Any(kept),
        }
    }

    /// Whether the goal compares the texts of two fields (`equals: { field: Name }`). The
    /// engine searches each text field on its own, so such a goal is answered "unknown", never
    /// "impossible".
    pub(crate) fn compares_texts(&self) -> bool {
        match self {
            Self::True | Self::False | Self::StartedBefore(_) => false,
            Self::Cond(condition) => condition.compares_texts(),
            Self::Literal(literal) => literal.compares_texts(),
            Self::All(goals) | Self::Any(goals) => goals.iter().any(Goal::compares_texts),
            Self::Not(goal) => goal.compares_texts(),
        }
    }

    fn optional(condition: Option<&'p Condition>) -> Self {
        condition.map_or(Self::True, Self::Cond)
    }
}

/// The goals of one rule of a set: when it applies, which case is chosen, when it fails, and
/// when an exception waives it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleGoals<'p> {
    set: &'p CompiledPolicySet,
    index: usize,
    rule: &'p Rule,
}

impl<'p> RuleGoals<'p> {
    /// The goals of the rule at `index` of the set's rules.
    pub(crate) fn new(set: &'p CompiledPolicySet, index: usize) -> Option<Self> {
        let rule = set.rules.get(index)?;
        Some(Self { set, index, rule })
    }

    /// The number of cases; 0 for a rule with `require`.
    pub(crate) fn cases(&self) -> usize {
        match &self.rule.body {
            Body::Require(_) => 0,
            Body::Cases(cases) => cases.len(),
        }
    }

    /// The rule's own `when`.
    pub(crate) fn when(&self) -> Goal<'p> {
        Goal::optional(self.rule.when.as_ref())
    }

    /// A case's `when` on its own.
    pub(crate) fn case_when(&self, case: usize) -> Goal<'p> {
        match &self.rule.body {
            Body::Cases(cases) => cases
                .get(case)
                .map_or(Goal::False, |c| Goal::optional(c.when.as_ref())),
            Body::Require(_) => Goal::False,
        }
    }

    /// The rule's `when` holds and case `case` is the first whose `when` holds; with
    /// `skipping`, only the earlier cases it names must not hold (for finding which of them
    /// take the case's records).
    pub(crate) fn chosen(&self, case: usize, skipping: Option<&[usize]>) -> Goal<'p> {
        let Body::Cases(cases) = &self.rule.body else {
            return Goal::False;
        };
        let mut parts = vec![self.when()];
        for (index, earlier) in cases.iter().enumerate().take(case) {
            if skipping.is_none_or(|named| named.contains(&index)) {
                parts.push(Goal::not(Goal::optional(earlier.when.as_ref())));
            }
        }
        parts.push(self.case_when(case));
        Goal::all(parts)
    }

    /// The requirement of a case (or of the rule, for `case` `None`) holds or fails, where the
    /// rule applies with that case chosen.
    fn judged(&self, case: Option<usize>, holds: bool) -> Goal<'p> {
        let outcome = |require: &'p Condition| {
            if holds {
                Goal::Cond(require)
            } else {
                Goal::not(Goal::Cond(require))
            }
        };
        match (&self.rule.body, case) {
            (Body::Require(require), _) => Goal::all(vec![self.when(), outcome(require)]),
            (Body::Cases(cases), Some(case)) => match cases.get(case) {
                Some(chosen) => Goal::all(vec![self.chosen(case, None), outcome(&chosen.require)]),
                None => Goal::False,
            },
            (Body::Cases(cases), None) => Goal::any(
                cases
                    .iter()
                    .enumerate()
                    .map(|(index, c)| {
                        Goal::all(vec![self.chosen(index, None), outcome(&c.require)])
                    })
                    .collect(),
            ),
        }
    }

    /// The rule gives a violation (waived or not), in case `case` if given.
    pub(crate) fn fails(&self, case: Option<usize>) -> Goal<'p> {
        self.judged(case, false)
    }

    /// The rule applies and its requirement holds, in case `case` if given.
    pub(crate) fn passes(&self, case: Option<usize>) -> Goal<'p> {
        self.judged(case, true)
    }

    /// The exceptions that can waive the rule, in document order, with their index in the policy.
    pub(crate) fn exceptions(&self) -> Vec<(usize, &'p Exception)> {
        let Some(policy) = self.set.policies.get(self.rule.policy) else {
            return Vec::new();
        };
        policy
            .exceptions
            .iter()
            .enumerate()
            .filter(|(_, e)| e.rules.as_ref().is_none_or(|r| r.contains(&self.index)))
            .collect()
    }

    /// Exception `exception` (by index in the policy) waives a violation of the rule: its
    /// `when` holds and the session started before it expires.
    pub(crate) fn waiver(&self, exception: &'p Exception) -> Goal<'p> {
        Goal::all(vec![
            exception.expires.map_or(Goal::True, Goal::StartedBefore),
            Goal::optional(exception.when.as_ref()),
        ])
    }

    /// Some exception waives a violation of the rule.
    pub(crate) fn waived(&self) -> Goal<'p> {
        Goal::any(
            self.exceptions()
                .into_iter()
                .map(|(_, e)| self.waiver(e))
                .collect(),
        )
    }

    /// The rule gives a violation that no exception waives: it counts in the decision.
    pub(crate) fn broken(&self, case: Option<usize>) -> Goal<'p> {
        Goal::all(vec![self.fails(case), Goal::not(self.waived())])
    }

    /// The rule gives a violation and `exception` (index in the policy) is the exception that
    /// waives it: it waives, and no earlier one does.
    pub(crate) fn waived_by(&self, exception: usize, case: Option<usize>) -> Goal<'p> {
        let mut parts = vec![self.fails(case)];
        let mut found = false;
        for (index, e) in self.exceptions() {
            if index == exception {
                parts.push(self.waiver(e));
                found = true;
                break;
            }
            parts.push(Goal::not(self.waiver(e)));
        }
        if found { Goal::all(parts) } else { Goal::False }
    }
}
