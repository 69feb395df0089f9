//! A rule a record broke, as evaluation finds it: borrowed from the compiled set, with its
//! message and value written only when a report asks, into a buffer the caller reuses.

use std::fmt;

use super::{Action, Case, Exception, Policy, Rule, Violation};
use crate::condition::Failure;
use crate::message::{MessageContext, write_default_message};
use crate::model::{Actual, Session, Timestamp};

/// A broken rule of one record, before its words are written.
#[derive(Debug, Clone)]
pub(crate) struct Breach<'p> {
    pub(crate) policy: &'p Policy,
    pub(crate) rule: &'p Rule,
    pub(crate) failure: Failure<'p>,
    pub(crate) case: Option<&'p Case>,
    pub(crate) waived_by: Option<&'p Exception>,
    /// Where the rule could not be judged (tags it reads could not be learned): the action
    /// it acts with, after the rule's `on_unknown`; the failure's reason says which tag.
    pub(crate) unjudged: Option<Action>,
}

impl<'p> Breach<'p> {
    /// What it does to the decision: the rule's action, or where the rule could not be
    /// judged, the action its `on_unknown` gives.
    pub(crate) fn action(&self) -> Action {
        self.unjudged.unwrap_or(self.rule.action)
    }

    /// The value reports show: the failing field's, or nothing where the rule could not be
    /// judged.
    pub(crate) fn actual<'s>(&self, session: &'s Session<'_>, now: Timestamp) -> Actual<'s> {
        match self.unjudged {
            Some(_) => Actual::Json(serde_json::Value::Null),
            None => session.actual_ref(self.failure.field, now),
        }
    }

    /// Appends the violation's message to `out` (a String, or JSON text that escapes what it
    /// is given): the rule's template, or the default message; where the rule could not be
    /// judged, why. `actual` is [`Breach::actual`], which the caller has at hand.
    pub(crate) fn write_message(
        &self,
        session: &Session<'_>,
        now: Timestamp,
        actual: &Actual<'_>,
        out: &mut impl fmt::Write,
    ) {
        if self.unjudged.is_some() {
            // The sinks messages are written to cannot fail.
            let _ = out.write_str(&self.rule.qualified_id);
            let _ = out.write_str(" could not be judged: ");
            if let Some(reason) = &self.failure.reason {
                let _ = write!(out, "{reason}");
            }
            return;
        }
        match &self.rule.message {
            Some(template) => template.render_into(
                session,
                now,
                &MessageContext {
                    rule: &self.rule.id,
                    policy: &self.policy.id,
                    severity: self.rule.severity.name(),
                },
                out,
            ),
            None => {
                let case = self.case.and_then(Case::described);
                write_default_message(&self.failure, actual, case, out);
            }
        }
    }

    /// The violation with its words, owning what it took from the record.
    pub(crate) fn violation(self, session: &Session<'_>, now: Timestamp) -> Violation<'p> {
        let mut message = String::new();
        let actual = self.actual(session, now);
        self.write_message(session, now, &actual, &mut message);
        let actual = match actual {
            Actual::Text(text) => serde_json::Value::String(text.to_owned()),
            Actual::Json(value) => value,
        };
        Violation {
            message,
            actual,
            ..self.counted()
        }
    }

    /// The violation without its words (an empty message, `null` actual value), for a run
    /// whose report already wrote them: what counts it, and nothing on the allocator.
    pub(crate) fn counted(self) -> Violation<'p> {
        Violation {
            policy: self.policy,
            rule: self.rule,
            message: String::new(),
            field: self.failure.field,
            actual: serde_json::Value::Null,
            expected: std::borrow::Cow::Borrowed(self.failure.expected),
            unreadable: self.failure.reason,
            waived_by: self.waived_by,
            unjudged: self.unjudged,
        }
    }
}
