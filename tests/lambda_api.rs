//! The Lambda form with Session Manager's API, on loopback: a start event judged on the API's
//! record (listed at once, listed late, not readable, throttled), ECS Exec, and the sweep of a
//! scheduled invocation (pages, the limit, audit). The `bootstrap` binary runs against a local
//! Lambda Runtime API and a local SSM endpoint speaking JSON 1.1; every server stops by itself.

#![cfg(feature = "lambda")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod loopback;

use serde_json::{Value, json};

use loopback::events::{
    active_session, api_record, bytes, execute_command, policies, scheduled_event, seconds_ago,
    secrets, start_session,
};
use loopback::function::{Binary, LambdaRun, run_lambda};
use loopback::ssm::{Deny, SsmSetup};

/// Caps by target, as the shipped duration-caps policy does: production ECS tasks 30 minutes,
/// anything else 60; both for the cap in force and for how long a session has been running.
const CAPS: &str = r#"policy: caps
rules:
  - id: max-session-duration
    when: { MaxSessionDuration: { exists: true } }
    cases:
      - when: { Target: { glob: "ecs:*-prod_*" } }
        require: { MaxSessionDuration: { lte: 30 } }
      - require: { MaxSessionDuration: { lte: 60 } }
  - id: running-too-long
    when: { Status: [Connected, Connecting, Disconnected] }
    require: { Duration: { lte: 60 } }
"#;

fn caps() -> String {
    policies("caps.yaml", CAPS).display().to_string()
}

fn run_function(mode: &str, extra: &[(&str, &str)], events: &[Value], ssm: SsmSetup) -> LambdaRun {
    let policies = caps();
    let mut settings = vec![
        ("SSM_GUARD_POLICIES", policies.as_str()),
        ("SSM_GUARD_MODE", mode),
    ];
    settings.extend_from_slice(extra);
    let events: Vec<Vec<u8>> = events.iter().map(bytes).collect();
    let run = run_lambda(Binary::Bootstrap, &settings, &events, ssm);
    let secrets = secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    run.assert_no_secrets(&secrets);
    for n in 0..run.outcomes.len() {
        let answer = run.answer(n).to_string();
        for secret in &secrets {
            assert!(!answer.contains(secret), "answer {n} leaks `{secret}`");
        }
    }
    run
}

fn active(sessions: Vec<Value>) -> SsmSetup {
    SsmSetup {
        active: sessions,
        ..SsmSetup::default()
    }
}

// ------------------------------------------------------------------ StartSession and ECS Exec

#[test]
fn a_start_whose_api_record_breaks_a_cap_is_denied_and_terminated() {
    let over = start_session("s-over", "SSM-SessionManagerRunShell");
    let within = start_session("s-within", "SSM-SessionManagerRunShell");
    let ssm = active(vec![api_record(&over, "240"), api_record(&within, "60")]);
    let run = run_function("enforce", &[], &[over, within], ssm);
    assert_eq!(run.decisions(), ["deny", "allow"]);
    let answer = run.answer(0);
    assert_eq!(answer["described"], true, "{answer}");
    assert_eq!(answer["describe_calls"], 1);
    assert_eq!(answer["violations"][0]["rule"], "max-session-duration");
    assert_eq!(answer["violations"][0]["actual"], "240");
    assert_eq!(answer["termination"]["terminated"], true);
    assert_eq!(run.terminations, ["s-over"]);
    let logs = run.decision_logs();
    assert_eq!(logs[0]["described"], true);
    assert_eq!(logs[0]["rule_ids"], json!(["caps/max-session-duration"]));
    assert!(logs[0]["describe_ms"].as_u64().is_some());
    // The same events judged alone (no record readable) break no cap: the event has none.
    let over = start_session("s-over", "SSM-SessionManagerRunShell");
    let alone = run_function(
        "enforce",
        &[],
        &[over],
        SsmSetup {
            deny: Deny::Describe,
            ..SsmSetup::default()
        },
    );
    assert_eq!(alone.decisions(), ["allow"]);
    assert!(alone.terminations.is_empty());
}

#[test]
fn a_session_not_yet_listed_is_asked_for_again_and_judged_when_listed() {
    let late = start_session("s-late", "SSM-SessionManagerRunShell");
    let ssm = SsmSetup {
        active: vec![api_record(&late, "240")],
        late: vec![("s-late".into(), 1)],
        ..SsmSetup::default()
    };
    let run = run_function("enforce", &[], &[late], ssm);
    let answer = run.answer(0);
    assert_eq!(answer["decision"], "deny", "{answer}");
    assert_eq!(answer["described"], true);
    assert_eq!(answer["describe_calls"], 2);
    // The second call came after the first wait (250 ms).
    assert!(answer["describe_ms"].as_u64().unwrap() >= 250, "{answer}");
    assert_eq!(run.calls_of("DescribeSessions").len(), 2);
    assert_eq!(run.terminations, ["s-late"]);
}

#[test]
fn a_session_that_is_never_listed_is_judged_on_the_event_alone_within_the_wait() {
    let missing = start_session("s-missing", "Evil-Document");
    let run = run_function("enforce", &[], &[missing], SsmSetup::default());
    let answer = run.answer(0);
    assert_eq!(answer["described"], false);
    let why = answer["describe_error"].as_str().unwrap();
    assert!(why.contains("did not list the session"), "{why}");
    // 250 + 500 + 1000 + 2000 ms of waits fit in the 5 s; the next would not.
    assert_eq!(answer["describe_calls"], 5, "{answer}");
    assert!(answer["describe_ms"].as_u64().unwrap() < 5_000);
    assert_eq!(answer["evaluated"], true);
    let log = &run.decision_logs()[0];
    assert_eq!(log["described"], false);
    assert_eq!(log["describe_error"], why);
}

#[test]
fn when_describe_is_denied_the_event_is_judged_alone_and_the_answer_says_why() {
    let over = start_session("s-denied-describe", "SSM-SessionManagerRunShell");
    let ssm = SsmSetup {
        active: vec![api_record(&over, "240")],
        deny: Deny::Describe,
        ..SsmSetup::default()
    };
    let run = run_function("enforce", &[], &[over], ssm);
    let answer = run.answer(0);
    assert_eq!(answer["decision"], "allow");
    assert_eq!(answer["described"], false);
    let why = answer["describe_error"].as_str().unwrap();
    assert!(
        why.contains("AccessDeniedException") && why.contains("ssm:DescribeSessions"),
        "{why}"
    );
    // Access denied is not retried.
    assert_eq!(run.calls_of("DescribeSessions").len(), 1);
    assert_eq!(run.decision_logs()[0]["describe_error"], why);
}

#[test]
fn a_throttled_describe_is_retried() {
    let over = start_session("s-throttled", "SSM-SessionManagerRunShell");
    let ssm = SsmSetup {
        active: vec![api_record(&over, "240")],
        throttle: vec![1],
        ..SsmSetup::default()
    };
    let run = run_function("enforce", &[], &[over], ssm);
    let answer = run.answer(0);
    assert_eq!(answer["decision"], "deny", "{answer}");
    assert_eq!(answer["described"], true);
    let calls = run.calls_of("DescribeSessions");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].status, 400);
    assert_eq!(calls[1].status, 200);
    assert_eq!(run.terminations, ["s-throttled"]);
}

#[test]
fn an_ecs_exec_session_is_judged_on_its_record_and_terminated_like_a_start() {
    let prod = execute_command(
        "ecs-execute-command-prod",
        "checkout-prod",
        "e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f",
    );
    let staging = execute_command(
        "ecs-execute-command-staging",
        "checkout-staging",
        "0b1c2d3e4f5061728394a5b6c7d8e9f0",
    );
    // 60 minutes: over the production ECS cap of 30, within the cap of other tasks.
    let ssm = active(vec![api_record(&prod, "60"), api_record(&staging, "60")]);
    let run = run_function("enforce", &[], &[prod, staging], ssm);
    assert_eq!(run.decisions(), ["deny", "allow"]);
    let answer = run.answer(0);
    assert_eq!(answer["described"], true);
    // The API's record has the whole target, runtime id included.
    assert_eq!(
        answer["session"]["Target"],
        "ecs:checkout-prod_e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f_4d1c9e0a7b3f4a52-3251467380"
    );
    assert_eq!(run.terminations, ["ecs-execute-command-prod"]);
    // Judged alone, the event's partial target still matches the production glob.
    let prod = execute_command(
        "ecs-execute-command-prod",
        "checkout-prod",
        "e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f",
    );
    let alone = run_function(
        "enforce",
        &[],
        &[prod],
        SsmSetup {
            deny: Deny::Describe,
            ..SsmSetup::default()
        },
    );
    let answer = alone.answer(0);
    assert_eq!(answer["described"], false);
    assert_eq!(
        answer["session"]["Target"],
        "ecs:checkout-prod_e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f_"
    );
    assert!(answer["note"].as_str().unwrap().contains("runtime id"));
}

// ------------------------------------------------------------------ the sweep

/// Seven active sessions over pages of two (four pages): three over a cap, one running too long,
/// one over a cap but already terminating, two within every cap.
fn swept_sessions() -> Vec<Value> {
    let recent = seconds_ago(60);
    let mut terminating = active_session("s-ending", "i-0e330ccb17b3f6f8b", "240", recent);
    terminating["Status"] = json!("Terminating");
    vec![
        active_session("s-ok-1", "i-0e330ccb17b3f6f8b", "60", recent),
        active_session("s-cap-1", "i-0137ddda52a76d045", "240", recent),
        active_session(
            "s-cap-ecs",
            "ecs:checkout-prod_e2a7_4d1c9e0a-325",
            "60",
            recent,
        ),
        active_session("s-ok-2", "ecs:checkout-staging_0b1c_99", "60", recent),
        // Within its cap, but opened 90 minutes ago.
        active_session("s-long", "mi-0cdcf1ba1cde11df5", "60", seconds_ago(90 * 60)),
        terminating,
        active_session("s-cap-2", "i-0cc89778fb6167222", "120", recent),
    ]
}

const DENIED: [&str; 4] = ["s-cap-1", "s-cap-ecs", "s-long", "s-cap-2"];

fn paged(throttle: Vec<usize>) -> SsmSetup {
    SsmSetup {
        active: swept_sessions(),
        page_size: 2,
        throttle,
        ..SsmSetup::default()
    }
}

fn sorted<S: AsRef<str>>(ids: &[S]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| id.as_ref().to_owned()).collect();
    ids.sort();
    ids
}

fn sweep_answer(run: &LambdaRun) -> &Value {
    run.answer(0)
}

#[test]
fn a_sweep_over_several_pages_terminates_exactly_the_denied_sessions() {
    // The second page is throttled once: the SDK asks again.
    let run = run_function("enforce", &[], &[scheduled_event()], paged(vec![2]));
    // Terminations run a few at a time: they may arrive in any order.
    assert_eq!(sorted(&run.terminations), sorted(&DENIED));
    let describes = run.calls_of("DescribeSessions");
    assert_eq!(describes.len(), 5, "four pages and one throttled call");
    let tokens: Vec<Value> = describes
        .iter()
        .map(|call| {
            assert_eq!(call.body["State"], "Active");
            assert_eq!(call.body["MaxResults"], 200);
            assert!(call.body.get("Filters").is_none());
            call.body["NextToken"].clone()
        })
        .collect();
    assert_eq!(
        tokens,
        [
            Value::Null,
            json!("page-at-2"),
            json!("page-at-2"),
            json!("page-at-4"),
            json!("page-at-6")
        ]
    );
    assert_eq!(describes[1].status, 400);
    let answer = sweep_answer(&run);
    let summary = &answer["summary"];
    assert_eq!(summary["read"], 7, "{answer}");
    assert_eq!(summary["denied"], 5);
    assert_eq!(summary["terminated"], 4);
    assert_eq!(summary["already_ending"], 1);
    assert_eq!(summary["left_alone"], 0);
    assert_eq!(summary["describe_calls"], 4);
    assert_eq!(summary["terminate_calls"], 4);
    assert!(answer.get("error").is_none(), "{answer}");
    // One line per session, then one for the sweep.
    let lines = run.logs_of("ssm-guard sweep decision");
    assert_eq!(lines.len(), 7);
    let long = lines.iter().find(|l| l["session_id"] == "s-long").unwrap();
    assert_eq!(long["rule_ids"], json!(["caps/running-too-long"]));
    assert_eq!(long["action"], "terminated");
    let ending = lines
        .iter()
        .find(|l| l["session_id"] == "s-ending")
        .unwrap();
    assert_eq!(ending["action"], "already-ending");
    let sweep = &run.logs_of("ssm-guard sweep")[0];
    assert_eq!(sweep["level"], "info");
    assert_eq!(sweep["terminated"], 4);
    assert!(sweep["request_id"].is_string());
}

#[test]
fn the_termination_limit_holds_and_names_every_session_left_alone() {
    let run = run_function(
        "enforce",
        &[("SSM_GUARD_MAX_TERMINATIONS", "2")],
        &[scheduled_event()],
        paged(Vec::new()),
    );
    assert_eq!(sorted(&run.terminations), sorted(&DENIED[..2]));
    let answer = sweep_answer(&run);
    assert_eq!(answer["summary"]["terminated"], 2);
    assert_eq!(answer["summary"]["left_alone"], 2);
    assert_eq!(answer["left_alone"], json!(DENIED[2..]));
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("limit of 2 terminations"), "{error}");
    let sweep = &run.logs_of("ssm-guard sweep")[0];
    assert_eq!(sweep["level"], "error");
    assert_eq!(sweep["left_alone_sessions"], json!(DENIED[2..]));
    let left: Vec<Value> = run
        .logs_of("ssm-guard sweep decision")
        .into_iter()
        .filter(|line| line["action"] == "left-alone")
        .map(|line| line["session_id"].clone())
        .collect();
    assert_eq!(left, json!(DENIED[2..]).as_array().unwrap().clone());
    assert_eq!(run.cold_start_log()["max_terminations"], 2);
}

#[test]
fn audit_terminates_nothing_whether_swept_or_started() {
    let over = start_session("s-over", "SSM-SessionManagerRunShell");
    let mut ssm = paged(Vec::new());
    ssm.active.push(api_record(&over, "240"));
    let run = run_function("audit", &[], &[scheduled_event(), over], ssm);
    assert!(run.terminations.is_empty(), "{:?}", run.terminations);
    assert_eq!(sweep_answer(&run)["summary"]["denied"], 0);
    assert_eq!(sweep_answer(&run)["summary"]["terminated"], 0);
    // The violations are still logged.
    let lines = run.logs_of("ssm-guard sweep decision");
    let cap = lines.iter().find(|l| l["session_id"] == "s-cap-1").unwrap();
    assert_eq!(cap["rule_ids"], json!(["caps/max-session-duration"]));
    assert_eq!(cap["action"], "none");
    let answer = run.answer(1);
    assert_eq!(answer["decision"], "allow");
    assert_eq!(answer["described"], true);
    assert_eq!(answer["violations"][0]["rule"], "max-session-duration");
}

#[test]
fn a_sweep_that_cannot_read_the_sessions_terminates_nothing_and_says_why() {
    let ssm = SsmSetup {
        deny: Deny::Describe,
        ..paged(Vec::new())
    };
    let run = run_function("enforce", &[], &[scheduled_event()], ssm);
    assert!(run.terminations.is_empty());
    let error = sweep_answer(&run)["error"].as_str().unwrap().to_owned();
    assert!(error.contains("ssm:DescribeSessions"), "{error}");
    assert_eq!(run.logs_of("ssm-guard sweep")[0]["level"], "error");
}

// ------------------------------------------------------------------ costs

/// What a decision and a sweep cost in calls and time, on loopback: run with
/// `cargo test --release --features lambda --test lambda_api -- --ignored --nocapture` (and
/// `SSM_GUARD_TEST_BOOTSTRAP=target/release/bootstrap` for the release binary). The figures in
/// the README come from it.
#[test]
#[ignore = "prints figures; run on demand"]
fn costs_on_loopback() {
    fn median(mut values: Vec<std::time::Duration>) -> std::time::Duration {
        values.sort();
        values[values.len() / 2]
    }
    let report = |name: &str, run: &LambdaRun, events: usize| {
        let times: Vec<_> = run.durations.iter().map(|d| d.unwrap()).collect();
        let describes = run.calls_of("DescribeSessions").len();
        let terminates = run.calls_of("TerminateSession").len();
        let served: std::time::Duration = run.ssm_calls.iter().map(|call| call.served_in).sum();
        eprintln!(
            "{name}: {events} invocation(s); per invocation {:.1} DescribeSessions, {:.1} TerminateSession; median {:?}, max {:?}; the stand-in took {:?} in all",
            describes as f64 / events as f64,
            terminates as f64 / events as f64,
            median(times.clone()),
            times.iter().max().unwrap(),
            served
        );
    };
    // StartSession events whose sessions are listed at once: allowed, then denied.
    let allowed: Vec<Value> = (0..20)
        .map(|n| start_session(&format!("s-ok-{n}"), "SSM-SessionManagerRunShell"))
        .collect();
    let ssm = active(allowed.iter().map(|e| api_record(e, "60")).collect());
    let run = run_function("enforce", &[], &allowed, ssm);
    report("StartSession, allowed", &run, 20);
    let denied: Vec<Value> = (0..20)
        .map(|n| start_session(&format!("s-deny-{n}"), "SSM-SessionManagerRunShell"))
        .collect();
    let ssm = active(denied.iter().map(|e| api_record(e, "240")).collect());
    let run = run_function("enforce", &[], &denied, ssm);
    report("StartSession, denied and terminated", &run, 20);
    // Listed from the second call on.
    let late: Vec<Value> = (0..5)
        .map(|n| start_session(&format!("s-late-{n}"), "SSM-SessionManagerRunShell"))
        .collect();
    let ssm = SsmSetup {
        active: late.iter().map(|e| api_record(e, "60")).collect(),
        late: (0..5).map(|n| (format!("s-late-{n}"), 1)).collect(),
        ..SsmSetup::default()
    };
    let run = run_function("enforce", &[], &late, ssm);
    report("StartSession, listed on the second call", &run, 5);
    // Sweeps of 1,000 and 5,000 open sessions, 20 of them past a cap.
    for count in [1_000, 5_000] {
        let recent = seconds_ago(60);
        let sessions: Vec<Value> = (0..count)
            .map(|n| {
                let cap = if n % (count / 20) == 0 { "240" } else { "60" };
                active_session(&format!("s-{n}"), "i-0e330ccb17b3f6f8b", cap, recent)
            })
            .collect();
        let run = run_function("enforce", &[], &[scheduled_event()], active(sessions));
        report(
            &format!("sweep of {count} open sessions, 20 denied"),
            &run,
            1,
        );
        eprintln!("  summary: {}", sweep_answer(&run)["summary"]);
    }
}
