//! `ssm-guard hook`: one event in, one decision out, failing closed, with exit codes 0/1/2.

#![allow(clippy::indexing_slicing)]

use serde_json::{Value, json};

use crate::support::{Run, run_with_stdin, scratch_dir};

const SAMPLE: &str = "tests/fixtures/samples/eventbridge-startsession.json";

/// A policy folder whose one rule allows two documents.
fn policies() -> String {
    let dir = scratch_dir("hook-policies");
    std::fs::write(
        dir.join("gate.yaml"),
        "policy: gate-test\nrules:\n  - id: approved-documents\n    require:\n      DocumentName: [SSM-SessionManagerRunShell, AWS-StartPortForwardingSession]\n",
    )
    .unwrap();
    dir.display().to_string()
}

fn sample() -> Value {
    serde_json::from_str(&std::fs::read_to_string(crate::support::root().join(SAMPLE)).unwrap())
        .unwrap()
}

/// The sample event, started with `document` as session `id`.
fn start_session(id: &str, document: &str) -> Value {
    let mut event = sample();
    event["detail"]["requestParameters"]["documentName"] = json!(document);
    event["detail"]["responseElements"]["sessionId"] = json!(id);
    event
}

/// Another Session Manager call on a session.
fn other_call(name: &str) -> Value {
    let mut event = sample();
    event["detail"]["eventName"] = json!(name);
    event["detail"]["requestParameters"] = json!({"sessionId": "s-1"});
    event["detail"]["responseElements"] = json!({"sessionId": "s-1"});
    event
}

/// Runs `hook` with the test policies and `args` on `event`.
fn hook(args: &[&str], event: &[u8]) -> Run {
    let policies = policies();
    let mut all = vec!["hook", "-p", policies.as_str()];
    all.extend_from_slice(args);
    run_with_stdin(&all, Some(event))
}

fn hook_json(args: &[&str], event: &Value) -> Run {
    hook(args, &serde_json::to_vec(event).unwrap())
}

#[test]
fn an_allowed_start_exits_0() {
    let run = hook_json(&[], &sample());
    assert_eq!(run.code, 0, "{run:?}");
    let decision = run.json();
    assert_eq!(decision["decision"], "allow");
    assert_eq!(decision["allowed"], true);
    assert_eq!(decision["mode"], "enforce");
    assert_eq!(
        decision["session"]["SessionId"],
        "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6"
    );
    assert_eq!(decision["session"]["Target"], "i-0c9e2f7a1b3d5e7f9");
    assert_eq!(decision["violations"], json!([]));
}

#[test]
fn the_embedded_policies_allow_the_sample() {
    let run = run_with_stdin(
        &["hook"],
        Some(&std::fs::read(crate::support::root().join(SAMPLE)).unwrap()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["decision"], "allow");
}

#[test]
fn a_denied_start_exits_1_with_its_violations() {
    let run = hook_json(&[], &start_session("s-bad", "Evil-Document"));
    assert_eq!(run.code, 1, "{run:?}");
    let decision = run.json();
    assert_eq!(decision["decision"], "deny");
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["session"]["SessionId"], "s-bad");
    assert_eq!(decision["violations"][0]["rule"], "approved-documents");
    assert_eq!(decision["violations"][0]["actual"], "Evil-Document");
}

#[test]
fn a_cloudtrail_record_and_a_session_object_are_judged_too() {
    let record = start_session("s-bad", "Evil-Document")["detail"].clone();
    assert_eq!(hook_json(&[], &record).json()["decision"], "deny");
    let session = json!({"SessionId": "s-2", "Target": "i-0123456789abcdef0", "DocumentName": "AWS-StartPortForwardingSession"});
    let run = hook_json(&[], &session);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["session"]["SessionId"], "s-2");
}

#[test]
fn audit_mode_allows_and_still_reports() {
    let run = hook_json(
        &["--mode", "audit"],
        &start_session("s-bad", "Evil-Document"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let decision = run.json();
    assert_eq!(decision["decision"], "allow");
    assert_eq!(decision["mode"], "audit");
    assert_eq!(decision["violations"][0]["rule"], "approved-documents");
}

#[test]
fn unreadable_events_are_denied_with_an_error() {
    let truncated = serde_json::to_vec(&sample()).unwrap();
    let events: [&[u8]; 8] = [
        b"not json",
        &truncated[..truncated.len() / 2],
        b"",
        &[0xff, 0xfe],
        b"{}",
        b"[1, 2]",
        b"null",
        br#"{"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail"}"#,
    ];
    for event in events {
        for mode in ["enforce", "audit"] {
            let run = hook(&["--mode", mode], event);
            assert_eq!(run.code, 1, "{event:?} in {mode}: {run:?}");
            let decision = run.json();
            assert_eq!(decision["decision"], "deny", "{event:?}");
            assert_eq!(decision["evaluated"], false);
            assert!(decision["error"].is_string(), "{decision}");
        }
    }
}

#[test]
fn calls_that_start_no_session_are_allowed_with_a_note() {
    let mut failed = start_session("s-failed", "Evil-Document");
    failed["detail"]["errorCode"] = json!("AccessDenied");
    for event in [
        other_call("TerminateSession"),
        other_call("ResumeSession"),
        failed,
    ] {
        let run = hook_json(&[], &event);
        assert_eq!(run.code, 0, "{run:?}");
        let decision = run.json();
        assert_eq!(decision["decision"], "allow");
        assert_eq!(decision["evaluated"], false);
        assert!(
            decision["note"]
                .as_str()
                .unwrap()
                .contains("nothing was evaluated"),
            "{decision}"
        );
    }
}

#[test]
fn another_services_event_is_denied() {
    let mut event = sample();
    event["source"] = json!("aws.ec2");
    event["detail"]["eventSource"] = json!("ec2.amazonaws.com");
    event["detail"]["eventName"] = json!("RunInstances");
    let run = hook_json(&[], &event);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.json()["error"]
            .as_str()
            .unwrap()
            .contains("not a Session Manager event")
    );
}

#[test]
fn broken_policies_exit_2_with_a_deny() {
    let broken = scratch_dir("hook-broken");
    std::fs::write(
        broken.join("broken.yaml"),
        "policy: broken\nrules:\n  - id: r\n    require: { DocumentName: { no_such_operator: 1 } }\n",
    )
    .unwrap();
    let missing = broken.join("missing");
    let event = std::fs::read(crate::support::root().join(SAMPLE)).unwrap();
    for path in [&broken, &missing] {
        for mode in ["enforce", "audit"] {
            let run = run_with_stdin(
                &["hook", "-p", path.to_str().unwrap(), "--mode", mode],
                Some(&event),
            );
            assert_eq!(run.code, 2, "{run:?}");
            let decision = run.json();
            assert_eq!(decision["decision"], "deny");
            assert_eq!(decision["allowed"], false);
            assert!(
                decision["error"]
                    .as_str()
                    .unwrap()
                    .starts_with("policies did not load")
            );
            assert!(!run.stderr.is_empty(), "the diagnostics go to stderr");
        }
    }
}

/// ECS Exec's `ExecuteCommand` for session `id`, as the sample's caller.
fn execute_command(id: &str) -> Value {
    let mut event = sample();
    event["source"] = json!("aws.ecs");
    let detail = &mut event["detail"];
    detail["eventSource"] = json!("ecs.amazonaws.com");
    detail["eventName"] = json!("ExecuteCommand");
    detail["requestParameters"] = json!({"cluster": "checkout-prod", "container": "payments",
        "command": "/bin/sh", "interactive": true, "task": "e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f"});
    detail["responseElements"] = json!({
        "clusterArn": "arn:aws:ecs:eu-west-1:210987654321:cluster/checkout-prod",
        "containerName": "payments",
        "taskArn": "arn:aws:ecs:eu-west-1:210987654321:task/checkout-prod/e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f",
        "interactive": true,
        "session": {"sessionId": id, "streamUrl": "wss://ssmmessages/x", "tokenValue": "tok"},
    });
    event
}

#[test]
fn an_ecs_exec_session_is_judged_like_a_start_session() {
    // The test policies approve two documents, not ECS Exec's: the session is denied.
    let run = hook_json(&[], &execute_command("ecs-execute-command-1"));
    assert_eq!(run.code, 1, "{run:?}");
    let decision = run.json();
    assert_eq!(decision["decision"], "deny");
    assert_eq!(decision["evaluated"], true);
    assert_eq!(decision["session"]["SessionId"], "ecs-execute-command-1");
    assert_eq!(
        decision["session"]["Target"],
        "ecs:checkout-prod_e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f_"
    );
    assert_eq!(decision["violations"][0]["rule"], "approved-documents");
    let note = decision["note"].as_str().unwrap();
    assert!(note.contains("runtime id"), "{note}");
    // A failed ExecuteCommand started nothing; ECS's other calls are not Session Manager's.
    let mut failed = execute_command("ecs-execute-command-2");
    failed["detail"]["errorCode"] = json!("TargetNotConnectedException");
    failed["detail"]["responseElements"] = Value::Null;
    let decision = hook_json(&[], &failed).json();
    assert_eq!(decision["decision"], "allow");
    assert!(
        decision["note"]
            .as_str()
            .unwrap()
            .starts_with("ExecuteCommand failed with `TargetNotConnectedException`")
    );
    let mut run_task = execute_command("ecs-execute-command-3");
    run_task["detail"]["eventName"] = json!("RunTask");
    let decision = hook_json(&[], &run_task).json();
    assert_eq!(decision["decision"], "deny");
    assert!(
        decision["error"]
            .as_str()
            .unwrap()
            .contains("not a Session Manager event")
    );
}
