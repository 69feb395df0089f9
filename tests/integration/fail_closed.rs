//! The hook fails closed, proven path by path, through the library and the command line:
//! policies that do not load, an event that cannot be read (broken, not JSON, over the size
//! cap, or a read that fails), each answered `deny` with an `error`, in both modes.
//!
//! Not covered here: a panic inside evaluation. `Gate::decide` turns one into a deny with
//! `catch_unwind`, but no input provokes a panic (the fuzzers found none), and the crate has no
//! hook to inject one, so that path is untested. The Lambda form's time budget for
//! `TerminateSession` is tested in `src/lambda.rs` (a hanging terminator still answers deny).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use ssm_guard::hook::{Gate, MAX_EVENT_BYTES, Mode};
use ssm_guard::{Decision, SourceMap, compile};

use crate::support::{now, root, run_with_stdin, scratch_dir};

const SAMPLE: &str = "tests/fixtures/samples/eventbridge-startsession.json";

fn sample() -> Vec<u8> {
    std::fs::read(root().join(SAMPLE)).unwrap()
}

fn gate(mode: Mode) -> Gate {
    Gate::new(compile(&SourceMap::defaults(), now()).unwrap().set, mode)
}

/// A sample event padded with spaces to `size` bytes: still valid JSON.
fn padded(size: usize) -> Vec<u8> {
    let mut event = sample();
    event.resize(size, b' ');
    event
}

#[test]
fn the_library_gate_denies_every_failure_in_both_modes() {
    for mode in [Mode::Enforce, Mode::Audit] {
        // The sample itself is allowed: the denials below are the failures', not the event's.
        assert_eq!(
            gate(mode).decide(&sample(), now()).decision,
            Decision::Allow
        );

        let broken = Gate::broken("`policies/` does not exist", mode);
        assert!(!broken.is_ready());
        let decision = broken.decide(&sample(), now());
        assert_eq!(decision.decision, Decision::Deny);
        assert!(!decision.allowed && !decision.evaluated);
        assert_eq!(
            decision.error.as_deref(),
            Some("policies did not load: `policies/` does not exist")
        );

        let gate = gate(mode);
        let cut = sample();
        for event in [
            &cut[..cut.len() / 2],
            b"",
            b"\xff\xfe{}",
            b"[]",
            b"42",
            br#"{"SessionId":"s-1","Target":"a","Target":"b"}"#,
            br#"{"Sessions":[{"SessionId":"s-1"}]}"#,
        ] {
            let decision = gate.decide(event, now());
            assert_eq!(decision.decision, Decision::Deny, "{event:?}");
            assert!(!decision.allowed);
            assert!(decision.error.is_some(), "{event:?}");
        }

        let at_cap = gate.decide(&padded(MAX_EVENT_BYTES), now());
        assert_eq!(at_cap.decision, Decision::Allow, "{at_cap:?}");
        let over = gate.decide(&padded(MAX_EVENT_BYTES + 1), now());
        assert_eq!(over.decision, Decision::Deny);
        assert_eq!(
            over.error.as_deref(),
            Some("the event is 1048577 bytes, more than the 1048576 an event may have")
        );
    }
}

/// A `StartSession` named again as another call must not pass as that call, unjudged.
#[test]
fn an_event_naming_its_call_twice_is_denied() {
    let mut event: Value = serde_json::from_slice(&sample()).unwrap();
    event["detail"]["requestParameters"]["documentName"] = json!("Evil-Document");
    let text = serde_json::to_string(&event).unwrap();
    let twice = text.replacen(
        "\"eventName\":\"StartSession\"",
        "\"eventName\":\"StartSession\",\"eventName\":\"TerminateSession\"",
        1,
    );
    assert_ne!(twice, text);
    for mode in [Mode::Enforce, Mode::Audit] {
        let decision = gate(mode).decide(twice.as_bytes(), now());
        assert_eq!(decision.decision, Decision::Deny, "{decision:?}");
        assert!(
            decision
                .error
                .as_deref()
                .unwrap()
                .contains("duplicate field `eventName`"),
            "{decision:?}"
        );
    }
}

/// Found by the `hook` fuzzer: a number beyond a double's range is valid JSON. Under a key the
/// hook does not read it is skipped and the event judged; in a field it cannot be read, and the
/// event is denied.
#[test]
fn an_out_of_range_number_is_skipped_where_unread_and_denied_in_a_field() {
    let gate = gate(Mode::Enforce);
    let skipped = br#"{"Se3sionId": "s-1", "Target": "i-01ssion", "StartDat ":1e77314}"#;
    let decision = gate.decide(skipped, now());
    assert!(
        decision.evaluated && decision.error.is_none(),
        "{decision:?}"
    );
    assert_eq!(decision.session.target.as_deref(), Some("i-01ssion"));
    let in_field = br#"{"SessionId": "s-1", "Target": "i-1", "StartDate": 1e77314}"#;
    let decision = gate.decide(in_field, now());
    assert_eq!(decision.decision, Decision::Deny);
    assert!(
        decision
            .error
            .as_deref()
            .unwrap()
            .contains("number out of range"),
        "{decision:?}"
    );
}

fn hook(mode: &str, event: &[u8]) -> (i32, Value) {
    let run = run_with_stdin(&["hook", "--mode", mode], Some(event));
    (run.code, run.json())
}

#[test]
fn the_hook_command_denies_every_failure_in_both_modes() {
    let broken = scratch_dir("fail-closed-broken");
    std::fs::write(broken.join("big.yaml"), " ".repeat(2 << 20)).unwrap();
    for mode in ["enforce", "audit"] {
        // Policies that do not load: exit 2, a deny on stdout all the same.
        let run = run_with_stdin(
            &["hook", "--mode", mode, "-p", broken.to_str().unwrap()],
            Some(&sample()),
        );
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(run.json()["decision"], "deny");
        assert!(
            run.stderr.contains("more than the limit of 1048576"),
            "{}",
            run.stderr
        );

        for event in [&b"{\"SessionId\": "[..], b"\xff", b"[1]"] {
            let (code, decision) = hook(mode, event);
            assert_eq!(code, 1, "{event:?}");
            assert_eq!(decision["decision"], "deny");
            assert!(decision["error"].is_string());
        }

        // Over the cap: the command reads one byte more than an event may have, and stops.
        let (code, decision) = hook_unread(mode, &padded(8 << 20));
        assert_eq!(code, 1);
        assert_eq!(decision["decision"], "deny");
        assert!(
            decision["error"]
                .as_str()
                .unwrap()
                .starts_with("the event is 1048577 bytes"),
            "{decision}"
        );
    }
}

/// Runs `hook` on `event`, which it may stop reading before the end: the write's error is
/// expected then, and ignored.
fn hook_unread(mode: &str, event: &[u8]) -> (i32, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ssm-guard"))
        .args(["hook", "--mode", mode])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(event);
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let decision = serde_json::from_slice(&output.stdout).unwrap();
    (output.status.code().unwrap(), decision)
}

/// Standard input that fails to read (a directory): an unreadable event, denied.
#[test]
fn a_failing_read_of_the_event_is_denied() {
    let dir = scratch_dir("fail-closed-stdin");
    let output = Command::new(env!("CARGO_BIN_EXE_ssm-guard"))
        .args(["hook", "--mode", "audit"])
        .current_dir(root())
        .stdin(Stdio::from(std::fs::File::open(&dir).unwrap()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let decision: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decision["decision"], "deny");
    assert!(
        decision["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot read the event"),
        "{decision}"
    );
}

#[test]
fn an_event_whose_fields_have_the_wrong_types_or_name_no_session_is_denied() {
    let events = [
        (
            json!({"SessionId": 5, "Target": "i-1"}),
            "`SessionId` is a number, not a string",
        ),
        (
            json!({"SessionId": "s", "Target": ["i-1"]}),
            "`Target` is an array, not a string",
        ),
        (
            json!({"SessionId": "s", "StartDate": "soon"}),
            "`StartDate` is not a timestamp",
        ),
        (
            json!({"SessionId": "s", "OutputUrl": "x"}),
            "`OutputUrl` is a string, not an object",
        ),
        (
            json!({"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail",
                   "detail": {"eventName": "StartSession", "eventSource": "ssm.amazonaws.com"}}),
            "names no session",
        ),
    ];
    for mode in [Mode::Enforce, Mode::Audit] {
        let gate = gate(mode);
        for (event, why) in &events {
            let decision = gate.decide(event.to_string().as_bytes(), now());
            assert_eq!(decision.decision, Decision::Deny, "{event}");
            assert!(!decision.evaluated, "{event}");
            let error = decision.error.unwrap_or_default();
            assert!(error.contains(why), "{event}: {error}");
        }
    }
}
