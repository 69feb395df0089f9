//! Judging rules whose conditions read tags, which may be unknown: a rule then passes, fails,
//! or could not be judged, and says which tag it could not learn.

use super::{Body, Breach, Case, CompiledPolicySet, Exception, Rule, RuleId};
use crate::condition::{Condition, Failure, Truth};
use crate::model::{Field, Session, Timestamp, UnreadableOperand};

/// A rule's outcome for one record, where tags may be unknown.
#[derive(Debug)]
pub(crate) enum Judged<'r> {
    /// It does not apply, or its requirement holds, whatever the unknown tags are.
    Passes,
    /// Its requirement (of this case) does not hold.
    Fails(&'r Condition, Option<&'r Case>),
    /// It depends on tags that could not be learned.
    Unknown(UnreadableOperand),
}

/// The reason of the first unknown tag among `conditions`.
fn reason<'c>(
    conditions: impl IntoIterator<Item = &'c Condition>,
    session: &Session<'_>,
) -> UnreadableOperand {
    conditions
        .into_iter()
        .find_map(|c| c.unknown_tag(session))
        .unwrap_or_else(|| UnreadableOperand::UnknownTags {
            field: Field::Target,
            reason: "tags could not be learned".to_owned(),
        })
}

impl Rule {
    /// Whether a condition of the rule compares the texts of two fields.
    pub(crate) fn compares_texts(&self) -> bool {
        self.when
            .iter()
            .chain(self.body.conditions())
            .any(Condition::compares_texts)
    }

    /// The rule's outcome: the first case whose `when` holds is chosen, and where a `when`
    /// before it is unknown, every case it might be must agree for the rule to be judged.
    pub(crate) fn judge(&self, session: &Session<'_>, now: Timestamp) -> Judged<'_> {
        // The conditions that made the outcome uncertain, for the reason.
        let mut uncertain: Vec<&Condition> = Vec::new();
        if let Some(when) = &self.when {
            match when.judge(session, now) {
                Truth::False => return Judged::Passes,
                Truth::Unknown => uncertain.push(when),
                Truth::True => {}
            }
        }
        match &self.body {
            Body::Require(require) => match require.judge(session, now) {
                Truth::True => Judged::Passes,
                Truth::False if uncertain.is_empty() => Judged::Fails(require, None),
                Truth::False => Judged::Unknown(reason(uncertain, session)),
                Truth::Unknown => {
                    uncertain.push(require);
                    Judged::Unknown(reason(uncertain, session))
                }
            },
            Body::Cases(cases) => {
                // Whether every case the record might take so far has a requirement that holds.
                let mut all_hold = true;
                for case in cases {
                    let when = case
                        .when
                        .as_ref()
                        .map_or(Truth::True, |w| w.judge(session, now));
                    if when == Truth::False {
                        continue;
                    }
                    let holds = case.require.judge(session, now);
                    if holds != Truth::True {
                        all_hold = false;
                        if holds == Truth::Unknown {
                            uncertain.push(&case.require);
                        }
                    }
                    if when == Truth::Unknown {
                        uncertain.extend(case.when.as_ref());
                        continue;
                    }
                    return match (uncertain.is_empty(), holds) {
                        (_, Truth::True) if all_hold => Judged::Passes,
                        (true, Truth::False) => Judged::Fails(&case.require, Some(case)),
                        _ => Judged::Unknown(reason(uncertain, session)),
                    };
                }
                // No case's `when` surely holds: taking none gives no violation.
                match all_hold || uncertain.is_empty() {
                    true => Judged::Passes,
                    false => Judged::Unknown(reason(uncertain, session)),
                }
            }
        }
    }
}

impl Exception {
    /// Whether it waives the rule's violation: `None` where its `when` reads tags that could
    /// not be learned, so that nobody can say.
    pub(crate) fn judge_waiver(
        &self,
        rule: RuleId,
        session: &Session<'_>,
        now: Timestamp,
    ) -> Option<bool> {
        if !self.names(rule)
            || self
                .expires
                .is_some_and(|expires| session.started_at_or(now) >= expires)
        {
            return Some(false);
        }
        match self
            .when
            .as_ref()
            .map_or(Truth::True, |w| w.judge(session, now))
        {
            Truth::True => Some(true),
            Truth::False => Some(false),
            Truth::Unknown => None,
        }
    }

    /// Why its `when` could not be judged.
    pub(crate) fn unknown_tag(&self, session: &Session<'_>) -> Option<UnreadableOperand> {
        self.when.as_ref().and_then(|w| w.unknown_tag(session))
    }
}

impl CompiledPolicySet {
    /// The violation a rule that reads tags gives the record, if any: as a rule without tags
    /// gives it where every tag it reads is known, and where one is not, a violation that says
    /// the rule could not be judged and acts as the rule's `on_unknown` says.
    pub(super) fn judge_tagged<'p>(
        &'p self,
        rule: &'p Rule,
        session: &Session<'_>,
        now: Timestamp,
    ) -> Option<Breach<'p>> {
        let policy = self.policies.get(rule.policy)?;
        let (judged, mut unknown) = match rule.judge(session, now) {
            Judged::Passes => return None,
            Judged::Fails(require, case) => (Some((require, case)), None),
            Judged::Unknown(reason) => (None, Some(reason)),
        };
        let mut waived_by = None;
        for exception in &policy.exceptions {
            match exception.judge_waiver(rule.index, session, now) {
                Some(true) => {
                    waived_by = Some(exception);
                    break;
                }
                Some(false) => {}
                // A waiver that might apply: the rule is not judged unless a later one surely
                // waives it.
                None => {
                    unknown = unknown.or_else(|| exception.unknown_tag(session));
                }
            }
        }
        if waived_by.is_some() {
            unknown = None;
        }
        let Some(reason) = unknown else {
            let (require, case) = judged?;
            return Some(Breach {
                policy,
                rule,
                failure: require.explain(session, now),
                case,
                waived_by,
                unjudged: None,
            });
        };
        let action = rule.on_unknown.action(rule.action)?;
        let field = match &reason {
            UnreadableOperand::UnknownTags { field, .. } => *field,
            _ => Field::Target,
        };
        Some(Breach {
            policy,
            rule,
            failure: Failure {
                field,
                expected: "known tags",
                reason: Some(reason),
            },
            case: None,
            waived_by: None,
            unjudged: Some(action),
        })
    }
}

#[cfg(test)]
mod tests;
