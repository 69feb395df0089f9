//! A rule a record broke, as evaluation finds it: borrowed from the compiled set, with its
//! message and value written only when a report asks, into a buffer the caller reuses.

use super::{Case, Exception, Policy, Rule, Violation};
use crate::condition::Failure;
use crate::message::{MessageContext, write_default_message};
use crate::model::{Session, Timestamp};

/// A broken rule of one record, before its words are written.
#[derive(Debug, Clone)]
pub(crate) struct Breach<'p> {
    pub(crate) policy: &'p Policy,
    pub(crate) rule: &'p Rule,
    pub(crate) failure: Failure<'p>,
    pub(crate) case: Option<&'p Case>,
    pub(crate) waived_by: Option<&'p Exception>,
}

impl<'p> Breach<'p> {
    /// Appends the violation's message to `out`: the rule's template, or the default message.
    pub(crate) fn write_message(&self, session: &Session<'_>, now: Timestamp, out: &mut String) {
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
                write_default_message(&self.failure, session, now, case, out);
            }
        }
    }

    /// The violation with its words, owning what it took from the record.
    pub(crate) fn violation(self, session: &Session<'_>, now: Timestamp) -> Violation<'p> {
        let mut message = String::new();
        self.write_message(session, now, &mut message);
        let actual = session.actual(self.failure.field, now);
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
        }
    }
}
