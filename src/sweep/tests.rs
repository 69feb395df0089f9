#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Mutex;

use serde_json::json;

use super::*;
use crate::aws::{ApiError, ApiErrorKind, Page};
use crate::input::Filter;
use crate::{SourceMap, compile};

/// Lists its sessions in pages of two; fails the terminations of `stuck`.
#[derive(Debug, Default)]
struct FakeSsm {
    sessions: Vec<Value>,
    stuck: Vec<&'static str>,
    unreadable: bool,
    terminated: Mutex<Vec<String>>,
}

impl SessionApi for FakeSsm {
    async fn describe_page(
        &self,
        _state: SessionState,
        _filters: &[Filter],
        next_token: Option<String>,
    ) -> Result<Page, ApiError> {
        if self.unreadable {
            return Err(ApiError::new(ApiErrorKind::AccessDenied, "AWS denied it"));
        }
        let start: usize = next_token.map_or(0, |t| t.parse().unwrap());
        let end = (start + 2).min(self.sessions.len());
        Ok(Page {
            sessions: self.sessions[start..end].to_vec(),
            next_token: (end < self.sessions.len()).then(|| end.to_string()),
        })
    }

    async fn terminate(&self, session_id: &str) -> Result<(), ApiError> {
        self.terminated.lock().unwrap().push(session_id.to_owned());
        if self.stuck.contains(&session_id) {
            return Err(ApiError::new(ApiErrorKind::Service, "it would not end"));
        }
        Ok(())
    }
}

fn now() -> Timestamp {
    Timestamp::parse("2026-03-10T14:00:00Z").unwrap()
}

/// Caps `MaxSessionDuration` at 60 and the running time at 120 minutes.
fn gate(mode: Mode) -> Gate {
    let mut sources = SourceMap::new();
    sources.add(
        "caps.yaml",
        "policy: caps\nrules:\n  - id: max\n    require: { MaxSessionDuration: { lte: 60 } }\n  - id: running\n    require: { Duration: { lte: 120 } }\n",
    );
    Gate::new(compile(&sources, now()).unwrap().set, mode)
}

fn session(id: &str, max: &str, status: &str) -> Value {
    json!({"SessionId": id, "Target": "i-0123456789abcdef0", "Status": status,
        "StartDate": 1_773_147_600, "MaxSessionDuration": max})
}

fn fake(sessions: Vec<Value>) -> FakeSsm {
    FakeSsm {
        sessions,
        ..FakeSsm::default()
    }
}

fn run(gate: &Gate, api: &FakeSsm, max_terminations: usize) -> SweepReport {
    let options = SweepOptions {
        max_terminations,
        deadline: None,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(sweep(gate, api, now(), options))
}

fn actions(report: &SweepReport) -> Vec<(&str, SweepAction)> {
    report
        .sessions
        .iter()
        .map(|s| (s.decision.session.session_id.as_deref().unwrap(), s.action))
        .collect()
}

#[test]
fn every_page_is_read_and_exactly_the_denied_sessions_are_terminated() {
    let api = fake(vec![
        session("s-1", "60", "Connected"),
        session("s-2", "240", "Connected"),
        session("s-3", "30", "Disconnected"),
        session("s-4", "480", "Connecting"),
        session("s-5", "480", "Terminating"),
    ]);
    let report = run(&gate(Mode::Enforce), &api, 20);
    assert_eq!(*api.terminated.lock().unwrap(), ["s-2", "s-4"]);
    assert_eq!(
        actions(&report),
        [
            ("s-1", SweepAction::None),
            ("s-2", SweepAction::Terminated),
            ("s-3", SweepAction::None),
            ("s-4", SweepAction::Terminated),
            ("s-5", SweepAction::AlreadyEnding),
        ]
    );
    let summary = &report.summary;
    assert_eq!(
        (
            summary.read,
            summary.denied,
            summary.terminated,
            summary.already_ending
        ),
        (5, 3, 2, 1)
    );
    assert_eq!((summary.describe_calls, summary.terminate_calls), (3, 2));
    assert_eq!(report.error, None);
    assert_eq!(report.session_lines().count(), 5);
    assert_eq!(report.summary_line()["level"], "info");
    assert_eq!(report.sessions[1].decision.rule_ids(), ["caps/max"]);
}

#[test]
fn past_the_limit_no_more_are_terminated_and_each_left_alone_is_named() {
    let api = fake(
        (1..=5)
            .map(|n| session(&format!("s-{n}"), "240", "Connected"))
            .collect(),
    );
    let report = run(&gate(Mode::Enforce), &api, 2);
    assert_eq!(*api.terminated.lock().unwrap(), ["s-1", "s-2"]);
    assert_eq!(report.left_alone, ["s-3", "s-4", "s-5"]);
    assert_eq!(report.summary.left_alone, 3);
    assert_eq!(report.failure, Some(SweepFailure::NotAllEnded));
    let error = report.error.as_deref().unwrap();
    assert!(error.contains("limit of 2 terminations"), "{error}");
    assert!(error.contains("s-3, s-4, s-5"), "{error}");
    let line = report.summary_line();
    assert_eq!(line["level"], "error");
    assert_eq!(line["left_alone_sessions"], json!(["s-3", "s-4", "s-5"]));
    let zero = run(&gate(Mode::Enforce), &api, 0);
    assert_eq!(zero.summary.left_alone, 5);
}

#[test]
fn audit_terminates_nothing_and_failures_are_reported() {
    let api = fake(vec![session("s-1", "240", "Connected")]);
    let report = run(&gate(Mode::Audit), &api, 20);
    assert!(api.terminated.lock().unwrap().is_empty());
    assert_eq!(report.sessions[0].decision.violations.len(), 1);
    assert_eq!(report.error, None);
    let api = FakeSsm {
        stuck: vec!["s-1"],
        ..fake(vec![session("s-1", "240", "Connected")])
    };
    let report = run(&gate(Mode::Enforce), &api, 20);
    assert_eq!(report.sessions[0].action, SweepAction::Failed);
    assert_eq!(
        report.sessions[0].termination_error.as_deref(),
        Some("it would not end")
    );
    assert_eq!(report.failure, Some(SweepFailure::NotAllEnded));
}

#[test]
fn a_running_session_past_its_cap_is_terminated() {
    // Started at 12:40 with a cap of 60: allowed at 13:00, past 120 minutes of running at 14:41.
    let api = fake(vec![json!({"SessionId": "s-long", "Status": "Connected",
        "StartDate": "2026-03-10T12:40:00Z", "MaxSessionDuration": "60"})]);
    let report = run(&gate(Mode::Enforce), &api, 20);
    assert_eq!(report.sessions[0].action, SweepAction::None);
    let later = Timestamp::parse("2026-03-10T14:41:00Z").unwrap();
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(sweep(
            &gate(Mode::Enforce),
            &api,
            later,
            SweepOptions::default(),
        ));
    assert_eq!(report.sessions[0].action, SweepAction::Terminated);
    assert_eq!(report.sessions[0].decision.rule_ids(), ["caps/running"]);
}

#[test]
fn unreadable_sessions_and_broken_policies_terminate_nothing() {
    let api = FakeSsm {
        unreadable: true,
        ..FakeSsm::default()
    };
    let report = run(&gate(Mode::Enforce), &api, 20);
    assert_eq!(report.failure, Some(SweepFailure::Read));
    assert!(report.error.unwrap().contains("AWS denied it"));
    let api = fake(vec![session("s-1", "240", "Connected")]);
    let report = run(&Gate::broken("boom", Mode::Enforce), &api, 20);
    assert_eq!(report.failure, Some(SweepFailure::Policies));
    assert!(api.terminated.lock().unwrap().is_empty());
    assert!(report.error.unwrap().contains("boom"));
}

/// Lists the instance as `Environment` of each answer in turn, the last one repeating.
#[derive(Debug)]
struct ChangingTags(Mutex<Vec<&'static str>>);

impl crate::tags::TagApi for ChangingTags {
    async fn list_tagged(
        &self,
        _kind: crate::tags::ListedType,
    ) -> Result<std::collections::HashMap<String, crate::model::Tags>, crate::tags::LookupError>
    {
        let mut answers = self.0.lock().unwrap();
        let environment = if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers[0]
        };
        Ok(std::collections::HashMap::from([(
            "i-0123456789abcdef0".to_owned(),
            [("Environment", environment)].into_iter().collect(),
        )]))
    }

    async fn node_tags(&self, _node: &str) -> Result<crate::model::Tags, crate::tags::LookupError> {
        unreachable!("no managed node here")
    }

    async fn owner_tags(
        &self,
        _owner: &crate::tags::OwnerRef,
    ) -> Result<crate::model::Tags, crate::tags::LookupError> {
        unreachable!("no owner tag is read")
    }
}

fn tagged_gate() -> Gate {
    let mut sources = SourceMap::new();
    sources.add(
        "prod.yaml",
        "policy: prod\nrules:\n  - id: cap\n    when: { TargetTags.Environment: prod }\n    require: { MaxSessionDuration: { lte: 60 } }\n",
    );
    Gate::new(compile(&sources, now()).unwrap().set, Mode::Enforce)
}

fn run_tagged(api: &FakeSsm, tags: &crate::tags::LiveTags<ChangingTags>) -> SweepReport {
    let options = SweepOptions {
        max_terminations: 5,
        deadline: None,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(sweep_with_tags(
            &tagged_gate(),
            api,
            Some(tags),
            now(),
            options,
        ))
}

#[test]
fn a_session_denied_by_cached_tags_is_terminated_only_if_a_fresh_read_still_denies_it() {
    let api = fake(vec![session("s-1", "240", "Connected")]);
    let moved = crate::tags::LiveTags::new(ChangingTags(Mutex::new(vec!["prod", "dev"])));
    let report = run_tagged(&api, &moved);
    assert_eq!(actions(&report), [("s-1", SweepAction::None)]);
    assert!(api.terminated.lock().unwrap().is_empty());
    assert_eq!(moved.calls(), 2, "the cached read, then the fresh one");

    let api = fake(vec![session("s-1", "240", "Connected")]);
    let still = crate::tags::LiveTags::new(ChangingTags(Mutex::new(vec!["prod"])));
    let report = run_tagged(&api, &still);
    assert_eq!(actions(&report), [("s-1", SweepAction::Terminated)]);
    assert_eq!(*api.terminated.lock().unwrap(), ["s-1"]);
}
