#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Mutex;

use serde_json::json;

use super::*;
use crate::SourceMap;
use crate::aws::{ApiError, ApiErrorKind, Page};
use crate::hook::Mode;
use crate::input::{Filter, SessionState};

/// Records the sessions it is asked to terminate; lists `listed` (in one page), or refuses to
/// list anything when it has none, so that the gate falls back to the event at once.
#[derive(Debug, Default)]
struct Recorder {
    listed: Vec<Value>,
    terminated: Mutex<Vec<String>>,
}

impl SessionApi for Recorder {
    async fn describe_page(
        &self,
        _state: SessionState,
        filters: &[Filter],
        _next_token: Option<String>,
    ) -> Result<Page, ApiError> {
        if self.listed.is_empty() {
            return Err(ApiError::new(
                ApiErrorKind::AccessDenied,
                "not allowed to describe",
            ));
        }
        let wanted = filters.first().map(|filter| filter.value.as_str());
        Ok(Page {
            sessions: self
                .listed
                .iter()
                .filter(|s| wanted.is_none_or(|id| s["SessionId"] == id))
                .cloned()
                .collect(),
            next_token: None,
        })
    }

    async fn terminate(&self, session_id: &str) -> Result<(), ApiError> {
        self.terminated.lock().unwrap().push(session_id.to_owned());
        Ok(())
    }
}

const EVENT: &[u8] = br#"{"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail",
    "detail": {"eventSource": "ssm.amazonaws.com", "eventName": "StartSession",
    "requestParameters": {"target": "i-0123456789abcdef0", "reason": "see wss://stream/s-1"},
    "responseElements": {"sessionId": "s-1", "tokenValue": "tok-1", "streamUrl": "wss://stream/s-1"}}}"#;

const SCHEDULE: &[u8] =
    br#"{"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}"#;

fn now() -> Timestamp {
    Timestamp::parse("2026-03-10T13:20:00Z").unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn handle_with(gate: Gate, api: Recorder, event: &[u8]) -> (Vec<Value>, Value, Vec<String>) {
    let handler = Handler::new(gate, api);
    let (logs, answer) = runtime().block_on(handler.handle(event, now()));
    let terminated = handler.api.terminated.lock().unwrap().clone();
    (logs, answer, terminated)
}

fn handle(gate: Gate) -> (Value, Value, Vec<String>) {
    let (mut logs, answer, terminated) = handle_with(gate, Recorder::default(), EVENT);
    assert_eq!(logs.len(), 1);
    (logs.remove(0), answer, terminated)
}

fn gate(policy: &str, mode: Mode) -> Gate {
    let mut sources = SourceMap::new();
    sources.add("p.yaml", policy);
    Gate::new(crate::compile(&sources, now()).unwrap().set, mode)
}

#[test]
fn the_mode_defaults_to_audit_and_an_unknown_one_is_kept_for_the_error() {
    assert_eq!(Settings::new(None, None).mode, Ok(Mode::Audit));
    assert_eq!(Settings::new(None, Some(" ".into())).mode, Ok(Mode::Audit));
    assert_eq!(
        Settings::new(None, Some("ENFORCE".into())).mode,
        Ok(Mode::Enforce)
    );
    assert_eq!(
        Settings::new(None, Some("block".into())).mode,
        Err("block".into())
    );
    let gate = Settings::new(None, Some("block".into())).gate(now());
    assert!(!gate.is_ready());
    assert_eq!(gate.mode(), Mode::Enforce);
}

#[test]
fn the_limit_defaults_to_twenty_and_a_bad_one_is_kept_for_the_error() {
    let settings = |text: Option<&str>| {
        Settings::new(None, None)
            .with_max_terminations(text.map(str::to_owned))
            .max_terminations
    };
    assert_eq!(settings(None), Ok(20));
    assert_eq!(settings(Some("")), Ok(20));
    assert_eq!(settings(Some(" 3 ")), Ok(3));
    assert_eq!(settings(Some("0")), Ok(0));
    assert!(settings(Some("-1")).unwrap_err().contains("`-1`"));
    assert!(settings(Some("ten")).is_err());
}

/// Never answers, like an SSM endpoint that hangs.
#[derive(Debug)]
struct Hanging;

impl SessionApi for Hanging {
    async fn describe_page(
        &self,
        _state: SessionState,
        _filters: &[Filter],
        _next_token: Option<String>,
    ) -> Result<Page, ApiError> {
        std::future::pending::<()>().await;
        Ok(Page::default())
    }

    async fn terminate(&self, _session_id: &str) -> Result<(), ApiError> {
        std::future::pending::<()>().await;
        Ok(())
    }
}

#[test]
fn an_exhausted_time_budget_still_answers_deny() {
    let handler = Handler::new(Gate::broken("boom", Mode::Enforce), Hanging);
    let deadline = Some(Instant::now() + Duration::from_millis(20));
    let (logs, answer) = runtime().block_on(handler.handle_within(EVENT, now(), deadline));
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["allowed"], false);
    assert_eq!(logs[0]["termination_sent"], true);
    assert_eq!(logs[0]["terminated"], false);
    let error = logs[0]["termination_error"].as_str().unwrap();
    assert!(error.contains("time budget"), "{error}");
}

#[test]
fn a_hanging_describe_is_bounded_by_the_budget_and_the_event_is_judged_alone() {
    let policy = "policy: p\nrules:\n  - id: r\n    require: { Reason: { equals: x } }\n";
    let handler = Handler::new(gate(policy, Mode::Audit), Hanging);
    // A short invocation: half of its time goes to the record, and the wait ends there.
    let deadline = Some(Instant::now() + Duration::from_millis(400));
    let started = Instant::now();
    let (_, answer) = runtime().block_on(handler.handle_within(EVENT, now(), deadline));
    assert!(started.elapsed() < Duration::from_millis(350));
    assert_eq!(answer["described"], false);
    assert_eq!(answer["evaluated"], true);
    assert!(
        answer["describe_error"]
            .as_str()
            .unwrap()
            .contains("did not answer"),
        "{answer}"
    );
}

#[test]
fn the_budget_is_the_time_to_the_deadline_less_the_margin() {
    assert_eq!(time_budget(0), Duration::ZERO);
    let in_ten_seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 10_000;
    let budget = time_budget(in_ten_seconds);
    assert!(budget <= Duration::from_millis(9_700) && budget > Duration::from_millis(9_000));
}

#[test]
fn a_broken_gate_in_enforce_mode_terminates_the_started_session() {
    let (log, answer, terminated) = handle(Gate::broken("boom", Mode::Enforce));
    assert_eq!(terminated, ["s-1"]);
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["session"]["SessionId"], "s-1");
    assert_eq!(log["terminated"], true);
    // The broken gate denies without looking: there is no record to read.
    assert!(answer.get("described").is_none(), "{answer}");
    let (_, answer, terminated) = handle(Gate::broken("boom", Mode::Audit));
    assert!(terminated.is_empty());
    assert_eq!(answer["decision"], "deny");
}

#[test]
fn the_api_record_is_judged_and_its_cap_denies() {
    let policy = "policy: p\nrules:\n  - id: cap\n    when: { MaxSessionDuration: { exists: true } }\n    require: { MaxSessionDuration: { lte: 60 } }\n";
    let api = Recorder {
        listed: vec![json!({"SessionId": "s-1", "Target": "i-0123456789abcdef0",
            "Status": "Connected", "MaxSessionDuration": "240"})],
        ..Recorder::default()
    };
    let (logs, answer, terminated) = handle_with(gate(policy, Mode::Enforce), api, EVENT);
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["described"], true);
    assert_eq!(answer["describe_calls"], 1);
    assert_eq!(answer["violations"][0]["rule"], "cap");
    assert_eq!(terminated, ["s-1"]);
    assert_eq!(logs[0]["described"], true);
    // The event alone has no MaxSessionDuration: the same policy lets it pass.
    let (_, answer, terminated) =
        handle_with(gate(policy, Mode::Enforce), Recorder::default(), EVENT);
    assert_eq!(answer["decision"], "allow");
    assert_eq!(answer["described"], false);
    assert_eq!(answer["describe_error"], "not allowed to describe");
    assert!(terminated.is_empty());
}

#[test]
fn a_schedule_sweeps_and_logs_a_line_per_session_and_one_for_the_run() {
    let policy =
        "policy: p\nrules:\n  - id: cap\n    require: { MaxSessionDuration: { lte: 60 } }\n";
    let api = Recorder {
        listed: vec![
            json!({"SessionId": "s-1", "Status": "Connected", "MaxSessionDuration": "240"}),
            json!({"SessionId": "s-2", "Status": "Connected", "MaxSessionDuration": "30"}),
        ],
        ..Recorder::default()
    };
    let (logs, answer, terminated) = handle_with(gate(policy, Mode::Enforce), api, SCHEDULE);
    assert_eq!(terminated, ["s-1"]);
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[0]["message"], "ssm-guard sweep decision");
    assert_eq!(logs[0]["action"], "terminated");
    assert_eq!(logs[2]["message"], "ssm-guard sweep");
    assert_eq!(logs[2]["terminated"], 1);
    assert_eq!(answer["summary"]["read"], 2);
    assert_eq!(answer["sessions"][1]["action"], "none");
    // A limit that is not a number terminates nothing, and says why.
    let api = Recorder {
        listed: vec![json!({"SessionId": "s-1", "MaxSessionDuration": "240"})],
        ..Recorder::default()
    };
    let handler = Handler::new(gate(policy, Mode::Enforce), api)
        .with_max_terminations(Err("`SSM_GUARD_MAX_TERMINATIONS` is `x`".into()));
    let (logs, answer) = runtime().block_on(handler.handle(SCHEDULE, now()));
    assert!(handler.api.terminated.lock().unwrap().is_empty());
    assert_eq!(logs[0]["level"], "error");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("terminates nothing")
    );
}

#[test]
fn secrets_are_redacted_wherever_they_would_appear() {
    let policy = "policy: p\nrules:\n  - id: r\n    require: { Reason: { equals: x } }\n    message: \"{Reason}\"\n";
    let (log, answer, terminated) = handle(gate(policy, Mode::Enforce));
    assert_eq!(terminated, ["s-1"]);
    for text in [log.to_string(), answer.to_string()] {
        assert!(
            !text.contains("wss://stream/s-1") && !text.contains("tok-1"),
            "{text}"
        );
    }
    assert_eq!(answer["violations"][0]["message"], "see [redacted]");
}
