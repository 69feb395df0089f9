//! Sessions judged with their tags in a sweep: looked up (through the cache) for every
//! session, and read again, past the cache, for each session about to be terminated, so that
//! a tag changed since the cache was filled cannot end a session it no longer denies.

use std::sync::Arc;

use serde_json::Value;

use super::{SweepAction, SweepOptions, SweepReport, SweptSession};
use crate::hook::{Gate, HookDecision};
use crate::model::{ParsedRecord, Timestamp, parse_record};
use crate::tags::{LiveTags, TagApi, TagSubject};

/// The gate's decision on one listed session, with its tags.
pub(super) async fn judge<T: TagApi>(
    gate: &Gate,
    record: &Value,
    now: Timestamp,
    tags: &LiveTags<T>,
    fresh: bool,
) -> SweptSession {
    let status = record
        .get("Status")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    let families = gate
        .policies()
        .map(|set| set.tag_families())
        .unwrap_or_default();
    let decision = match parse_record(&bytes) {
        Ok(ParsedRecord::Session(mut session)) => {
            if !families.is_empty() {
                let subject = TagSubject::of(&session);
                let found = tags.lookup(&subject, families, fresh).await;
                session.set_tags(Arc::new(found));
            }
            gate.decide_record(&session, now)
        }
        Ok(_) => HookDecision::fail_closed(gate.mode(), "the API's record is not one session"),
        Err(error) => HookDecision::fail_closed(
            gate.mode(),
            format!("unreadable session record: {}", error.problem()),
        ),
    };
    SweptSession {
        decision,
        status,
        action: SweepAction::None,
        termination_error: None,
    }
}

/// Judges again, with tags read afresh, the denied sessions the sweep would terminate, in
/// order, until as many are still denied as it may terminate: only those are terminated.
pub(super) async fn read_again_before_terminating<T: TagApi>(
    gate: &Gate,
    records: &[Value],
    report: &mut SweepReport,
    tags: &LiveTags<T>,
    now: Timestamp,
    options: SweepOptions,
) {
    let reads_tags = gate
        .policies()
        .is_some_and(|set| !set.tag_families().is_empty());
    if !reads_tags {
        return;
    }
    let mut still_denied = 0;
    for (swept, record) in report.sessions.iter_mut().zip(records) {
        if still_denied >= options.max_terminations {
            return;
        }
        let ending = matches!(swept.status.as_deref(), Some("Terminating" | "Terminated"));
        if swept.decision.allowed || ending || swept.decision.session.session_id.is_none() {
            continue;
        }
        *swept = judge(gate, record, now, tags, true).await;
        if !swept.decision.allowed {
            still_denied += 1;
        }
    }
}
