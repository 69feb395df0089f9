//! A scheduled invocation (an EventBridge schedule's `"source": "aws.events"`, `"detail-type":
//! "Scheduled Event"`) runs the sweep: every active session judged now, the denied ones
//! terminated in enforce mode up to the limit, one log line per session and one for the run.
//!
//! A sweep that ends in error (the limit reached, terminations that failed) says so in its
//! summary line (level `error`) and its answer, but the invocation itself succeeds: Lambda
//! retries a failed asynchronous invocation up to twice, and each retry would terminate up to
//! the limit again.

use std::borrow::Cow;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{Value, json};

use super::Handler;
use crate::Timestamp;
use crate::aws::SessionApi;
use crate::sweep::{SweepOptions, SweepReport, sweep_with_tags};

/// An EventBridge schedule's `source` and `detail-type`.
const SCHEDULE_SOURCE: &str = "aws.events";
const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";

/// Whether the event is an EventBridge schedule's.
pub(super) fn is_scheduled_event(event: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        source: Option<Cow<'a, str>>,
        #[serde(borrow, rename = "detail-type")]
        detail_type: Option<Cow<'a, str>>,
    }
    serde_json::from_slice::<Envelope<'_>>(event).is_ok_and(|envelope| {
        envelope.source.as_deref() == Some(SCHEDULE_SOURCE)
            && envelope.detail_type.as_deref() == Some(SCHEDULE_DETAIL_TYPE)
    })
}

impl<A: SessionApi> Handler<A> {
    /// Sweeps, and gives the log lines (one per session, then the summary) and the answer.
    pub(super) async fn handle_schedule(
        &self,
        now: Timestamp,
        deadline: Option<Instant>,
    ) -> (Vec<Value>, Value) {
        let max_terminations = match &self.max_terminations {
            Ok(limit) => *limit,
            Err(why) => {
                let error = format!("{why}: the sweep terminates nothing until it is fixed");
                let line = json!({"level": "error", "message": "ssm-guard sweep", "mode": self.gate.mode(), "error": error});
                let answer = json!({"mode": self.gate.mode(), "error": error});
                return (vec![line], answer);
            }
        };
        let options = SweepOptions {
            max_terminations,
            deadline,
        };
        let tags = self.tags.as_deref();
        let report = sweep_with_tags(&self.gate, &self.api, tags, now, options).await;
        let mut lines: Vec<Value> = report.session_lines().collect();
        lines.push(report.summary_line());
        (lines, answer(&report))
    }
}

/// The answer of a sweep: the summary, and per session its decision and what was done (the
/// rules and messages are in the log lines).
fn answer(report: &SweepReport) -> Value {
    let sessions: Vec<Value> = report
        .sessions
        .iter()
        .map(|swept| {
            json!({
                "SessionId": swept.decision.session.session_id,
                "decision": swept.decision.decision,
                "action": swept.action,
            })
        })
        .collect();
    let mut answer = json!({
        "mode": report.mode,
        "now": report.now,
        "summary": report.summary,
        "left_alone": report.left_alone,
        "sessions": sessions,
    });
    if let (Some(map), Some(error)) = (answer.as_object_mut(), &report.error) {
        map.insert("error".to_owned(), json!(error));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_schedules_event_is_one() {
        let scheduled = br#"{"version": "0", "id": "53dc4d37", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "210987654321", "time": "2026-03-10T14:00:00Z",
            "region": "eu-west-1", "resources": ["arn:aws:events:eu-west-1:210987654321:rule/sweep"],
            "detail": {}}"#;
        assert!(is_scheduled_event(scheduled));
        assert!(!is_scheduled_event(
            br#"{"source": "aws.ssm", "detail-type": "Scheduled Event"}"#
        ));
        assert!(!is_scheduled_event(
            br#"{"source": "aws.events", "detail-type": "AWS API Call via CloudTrail"}"#
        ));
        assert!(!is_scheduled_event(b"[1]"));
        assert!(!is_scheduled_event(b"not json"));
    }
}
