//! An event that may have started a session: decided on the API's record (or the event alone,
//! saying why), the session terminated when denied in enforce mode, one log line and the answer.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Handler;
use super::redact::{redact, secrets_of};
use crate::Timestamp;
use crate::aws::SessionApi;
use crate::described::{DESCRIBE_WAIT, Described, decide_described_with_tags};
use crate::hook::{HookDecision, Mode, SessionRef};
use crate::model::{Field, ParsedRecord, Read, parse_event};

/// Time kept for `TerminateSession` when deciding how long to wait for the API's record.
/// The SDK's own bound on a call with its retries is 12 s; a denied session whose termination
/// does not finish in the time left stays a deny, reported as not terminated.
const TERMINATION_RESERVE: Duration = Duration::from_secs(4);

/// What was done about terminating the session of a decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Termination {
    /// Whether `TerminateSession` was called.
    pub sent: bool,
    /// Whether it succeeded.
    pub terminated: bool,
    /// Why it failed.
    pub error: Option<String>,
}

impl<A: SessionApi> Handler<A> {
    /// Decides one event that is not a schedule, terminates its session if it must, sends the
    /// findings of a denied session to Security Hub when that is on, and gives the log lines
    /// (the decision's, then one per finding Security Hub rejected) and the answer, none
    /// holding the event's secrets.
    pub(super) async fn handle_event(
        &self,
        event: &[u8],
        now: Timestamp,
        deadline: Option<Instant>,
    ) -> (Vec<Value>, Value) {
        let (decision, described) = self.decide(event, now, deadline).await;
        let termination = match self.session_to_terminate(&decision) {
            Some(session_id) => self.terminate(session_id, deadline).await,
            None => Termination::default(),
        };
        let secrets = secrets_of(event);
        let import = match &self.security_hub {
            Some(hub) => {
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                hub.report(&self.gate, &decision, event, now, &secrets, left)
                    .await
            }
            None => None,
        };
        let mut log = log_line(&decision, &termination, described.as_ref());
        let mut answer = answer(&decision, &termination, described.as_ref());
        let mut rejected = match &import {
            Some(import) => super::security_hub::annotate(&mut log, import),
            None => Vec::new(),
        };
        redact(&mut log, &secrets);
        redact(&mut answer, &secrets);
        for line in &mut rejected {
            redact(line, &secrets);
        }
        rejected.insert(0, log);
        (rejected, answer)
    }

    /// The gate's decision, on the API's record where it can be read in the time there is. When
    /// the gate is broken it did not read the event, so the session a start event started is
    /// read here, to be terminated in enforce mode like any other denied session (failing closed
    /// means the session does not go on unjudged).
    async fn decide(
        &self,
        event: &[u8],
        now: Timestamp,
        deadline: Option<Instant>,
    ) -> (HookDecision, Option<Described>) {
        if !self.gate.is_ready() {
            let mut decision = self.gate.decide(event, now);
            if let Some(session) = started_session(event) {
                decision.session = session;
                decision.start_session_event = true;
            }
            return (decision, None);
        }
        let wait = match deadline {
            Some(deadline) => describe_wait(deadline.saturating_duration_since(Instant::now())),
            None => DESCRIBE_WAIT,
        };
        let tags = self.tags.as_deref();
        decide_described_with_tags(&self.gate, &self.api, event, now, wait, tags).await
    }

    /// Calls `TerminateSession` until the deadline: when the time runs out, the decision still
    /// stands (a deny stays a deny) and the termination is reported as not done, rather than
    /// the invocation being killed at its deadline with no answer.
    async fn terminate(&self, session_id: &str, deadline: Option<Instant>) -> Termination {
        let call = self.api.terminate(session_id);
        let outcome = match deadline {
            Some(deadline) => {
                let budget = deadline.saturating_duration_since(Instant::now());
                tokio::time::timeout(budget, call).await.unwrap_or_else(|_| {
                    Err(crate::aws::ApiError::new(
                        crate::aws::ApiErrorKind::Timeout,
                        format!(
                            "the invocation's time budget ({} ms) ran out before TerminateSession answered",
                            budget.as_millis()
                        ),
                    ))
                })
            }
            None => call.await,
        };
        match outcome {
            Ok(()) => Termination {
                sent: true,
                terminated: true,
                error: None,
            },
            Err(error) => Termination {
                sent: true,
                terminated: false,
                error: Some(error.message),
            },
        }
    }

    /// The session id to terminate: only a denied session that a start event reported (or the
    /// API's record of it), and only in enforce mode.
    fn session_to_terminate<'d>(&self, decision: &'d HookDecision) -> Option<&'d str> {
        if decision.mode != Mode::Enforce || decision.allowed || !decision.start_session_event {
            return None;
        }
        decision
            .session
            .session_id
            .as_deref()
            .filter(|id| !id.is_empty())
    }
}

/// How long to wait for the API's record with `left` before the deadline: up to
/// [`DESCRIBE_WAIT`], keeping [`TERMINATION_RESERVE`] for `TerminateSession`; with less time than
/// that reserve, half of what is left, so that a short invocation still reads the record.
fn describe_wait(left: Duration) -> Duration {
    if left >= TERMINATION_RESERVE.saturating_mul(2) {
        (left - TERMINATION_RESERVE).min(DESCRIBE_WAIT)
    } else {
        left / 2
    }
}

/// The session a successful start event (`StartSession`, ECS Exec) started.
fn started_session(event: &[u8]) -> Option<SessionRef> {
    let (info, record) = parse_event(event).ok()?;
    if !info?.starts_a_session() {
        return None;
    }
    let ParsedRecord::Session(session) = record else {
        return None;
    };
    let text = |field| match session.text(field) {
        Read::Value(text) => Some(text.to_owned()),
        _ => None,
    };
    Some(SessionRef {
        session_id: text(Field::SessionId),
        target: text(Field::Target),
        owner: text(Field::Owner),
    })
}

/// The one log line of a decision.
fn log_line(
    decision: &HookDecision,
    termination: &Termination,
    described: Option<&Described>,
) -> Value {
    let level = if termination.error.is_some() || decision.error.is_some() {
        "error"
    } else if decision.allowed {
        "info"
    } else {
        "warn"
    };
    let mut line = json!({
        "level": level,
        "message": "ssm-guard decision",
        "decision": decision.decision,
        "allowed": decision.allowed,
        "mode": decision.mode,
        "evaluated": decision.evaluated,
        "session_id": decision.session.session_id,
        "target": decision.session.target,
        "owner": decision.session.owner,
        "rule_ids": decision.rule_ids(),
        "termination_sent": termination.sent,
        "terminated": termination.terminated,
        "termination_error": termination.error,
    });
    if let Some(map) = line.as_object_mut() {
        if let Some(described) = described {
            described.add_to(map);
        }
        if let Some(error) = &decision.error {
            map.insert("error".to_owned(), json!(error));
        }
        if let Some(note) = &decision.note {
            map.insert("note".to_owned(), json!(note));
        }
    }
    line
}

/// The invocation's answer: the decision as `ssm-guard hook` writes it, with whether the API's
/// record was read and the termination.
fn answer(
    decision: &HookDecision,
    termination: &Termination,
    described: Option<&Described>,
) -> Value {
    let mut answer = serde_json::to_value(decision).unwrap_or_else(|error| {
        // Not expected (the decision is plain data), but an answer must still say deny.
        json!({"decision": "deny", "allowed": false, "error": format!("cannot write the decision: {error}")})
    });
    if let Some(map) = answer.as_object_mut() {
        if let Some(described) = described {
            described.add_to(map);
        }
        let mut value = Map::new();
        value.insert("sent".to_owned(), json!(termination.sent));
        value.insert("terminated".to_owned(), json!(termination.terminated));
        if let Some(error) = &termination.error {
            value.insert("error".to_owned(), json!(error));
        }
        map.insert("termination".to_owned(), Value::Object(value));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_for_the_record_leaves_time_to_terminate() {
        let ms = Duration::from_millis;
        assert_eq!(describe_wait(ms(29_700)), DESCRIBE_WAIT);
        assert_eq!(describe_wait(ms(8_000)), ms(4_000));
        assert_eq!(describe_wait(ms(6_000)), ms(3_000));
        assert_eq!(describe_wait(ms(2_000)), ms(1_000));
        assert_eq!(describe_wait(Duration::ZERO), Duration::ZERO);
    }
}
