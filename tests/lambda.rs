//! The Lambda form over its real protocols, on loopback: the `bootstrap` binary (and
//! `ssm-guard lambda`) against a local server speaking the Lambda Runtime API, with a local
//! endpoint standing in for SSM (JSON 1.1) that lists sessions (`DescribeSessions`) and records
//! `TerminateSession` calls. Every server here stops by itself: each loop and wait is bounded in
//! time.

#![cfg(feature = "lambda")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod loopback;

use std::process::Stdio;

use serde_json::{Value, json};

use loopback::events::{
    api_record, bytes, other_call, policy_dir, sample, secrets, start_session, stream_url,
};
use loopback::function::{ACCESS_KEY_ID, Binary, LambdaRun, bootstrap, run_lambda, scratch_dir};
use loopback::runtime_api::request_id;
use loopback::ssm::{Deny, SsmSetup};

/// What each event should give, and whether its session is terminated in enforce mode.
struct Case {
    name: &'static str,
    event: Vec<u8>,
    /// The decision in enforce mode; in audit mode evaluated denies become allows.
    enforce: &'static str,
    /// Whether the deny comes from evaluating policies (audit turns it into allow).
    evaluated_deny: bool,
}

/// Every kind of event: allowed and denied starts, other calls, and what cannot be read.
fn cases() -> Vec<Case> {
    let sample = sample();
    let mut failed_start = start_session("s-failed", "Evil-Document");
    failed_start["detail"]["errorCode"] = json!("AccessDenied");
    failed_start["detail"]["errorMessage"] = json!("User is not authorized");
    failed_start["detail"]["responseElements"] = Value::Null;
    let mut other_service = start_session("s-ec2", "Evil-Document");
    other_service["source"] = json!("aws.ec2");
    other_service["detail"]["eventSource"] = json!("ec2.amazonaws.com");
    other_service["detail"]["eventName"] = json!("RunInstances");
    // A Reason that quotes the stream URL: the violation message carries it, the log must not.
    let mut smuggled = start_session("s-denied-3", "Evil-Document");
    smuggled["detail"]["requestParameters"]["reason"] =
        json!(format!("CHG-1 see {}", stream_url("s-denied-3")));
    let truncated = bytes(&start_session("s-truncated", "Evil-Document"));
    let truncated = truncated[..truncated.len() / 2].to_vec();
    let case = |name, event, enforce, evaluated_deny| Case {
        name,
        event,
        enforce,
        evaluated_deny,
    };
    vec![
        case("sample, allowed", bytes(&sample), "allow", false),
        case(
            "allowed start",
            bytes(&start_session(
                "s-allowed",
                "AWS-StartPortForwardingSession",
            )),
            "allow",
            false,
        ),
        case(
            "denied start (EventBridge)",
            bytes(&start_session("s-denied-1", "Evil-Document")),
            "deny",
            true,
        ),
        case(
            "denied start (CloudTrail record)",
            bytes(&start_session("s-denied-2", "Evil-Document")["detail"]),
            "deny",
            true,
        ),
        case(
            "denied start, secret in Reason",
            bytes(&smuggled),
            "deny",
            true,
        ),
        case(
            "denied Session object",
            bytes(
                &json!({"SessionId": "s-plain", "Target": "i-0123456789abcdef0", "DocumentName": "Evil-Document"}),
            ),
            "deny",
            true,
        ),
        case(
            "TerminateSession",
            bytes(&other_call("TerminateSession", "s-denied-1")),
            "allow",
            false,
        ),
        case(
            "ResumeSession",
            bytes(&other_call("ResumeSession", "s-denied-1")),
            "allow",
            false,
        ),
        case("failed StartSession", bytes(&failed_start), "allow", false),
        case("another service", bytes(&other_service), "deny", false),
        case("not JSON", b"this is not an event".to_vec(), "deny", false),
        case("truncated JSON", truncated, "deny", false),
        case("not UTF-8", vec![0xff, 0xfe, b'{', b'}'], "deny", false),
        case("empty body", Vec::new(), "deny", false),
        case("empty object", b"{}".to_vec(), "deny", false),
        case("array", b"[1, 2, 3]".to_vec(), "deny", false),
        case("string", b"\"StartSession\"".to_vec(), "deny", false),
        case("null", b"null".to_vec(), "deny", false),
        case(
            "EventBridge without detail",
            bytes(&json!({"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail"})),
            "deny",
            false,
        ),
    ]
}

/// The sessions enforce mode terminates among [`cases`]: denied `StartSession` events only.
const TERMINATED: [&str; 3] = ["s-denied-1", "s-denied-2", "s-denied-3"];

fn events(cases: &[Case]) -> Vec<Vec<u8>> {
    cases.iter().map(|case| case.event.clone()).collect()
}

/// The stand-in as it is when these events arrive: each session they started is active, under
/// preferences that cap sessions at 60 minutes.
fn listing(events: &[Vec<u8>]) -> SsmSetup {
    let active = events
        .iter()
        .filter_map(|event| serde_json::from_slice::<Value>(event).ok())
        // A CloudTrail record alone, or wrapped by EventBridge.
        .map(|event| match event.get("detail") {
            Some(_) => event,
            None => json!({ "detail": event }),
        })
        .filter(|event| {
            event["detail"]["eventName"] == "StartSession"
                && event["detail"]["eventSource"] == "ssm.amazonaws.com"
                && event["detail"]["errorCode"].is_null()
                && event["detail"]["responseElements"]["sessionId"].is_string()
        })
        .map(|event| api_record(&event, "60"))
        .collect();
    SsmSetup {
        active,
        ..SsmSetup::default()
    }
}

/// A stand-in that denies every call.
fn denying() -> SsmSetup {
    SsmSetup {
        deny: Deny::Everything,
        ..SsmSetup::default()
    }
}

fn assert_no_secrets(run: &LambdaRun) {
    let secrets = secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    run.assert_no_secrets(&secrets);
    // The answers do not carry them either.
    for n in 0..run.outcomes.len() {
        let answer = run.answer(n).to_string();
        for secret in &secrets {
            assert!(
                !answer.contains(secret),
                "answer {n} leaks `{secret}`: {answer}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sending findings to Security Hub: tests/lambda/security_hub.rs.

#[path = "lambda/security_hub.rs"]
mod security_hub;

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn enforce_mode_denies_and_terminates_only_denied_starts() {
    let cases = cases();
    let policies = policy_dir();
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforce"),
        ],
        &events(&cases),
        listing(&events(&cases)),
    );
    for (n, case) in cases.iter().enumerate() {
        let answer = run.answer(n);
        assert_eq!(answer["decision"], case.enforce, "{}: {answer}", case.name);
        assert_eq!(answer["allowed"], case.enforce == "allow", "{}", case.name);
        assert_eq!(answer["mode"], "enforce", "{}", case.name);
        let terminated = answer["session"]["SessionId"]
            .as_str()
            .is_some_and(|id| TERMINATED.contains(&id))
            && case.enforce == "deny";
        assert_eq!(
            answer["termination"]["sent"], terminated,
            "{}: {answer}",
            case.name
        );
        assert_eq!(
            answer["termination"]["terminated"], terminated,
            "{}",
            case.name
        );
        if case.enforce == "deny" && !case.evaluated_deny {
            assert!(
                answer["error"].is_string(),
                "{}: a deny without evaluation says why: {answer}",
                case.name
            );
        }
    }
    // Notes for the calls that start no session.
    for n in [6, 7, 8] {
        assert!(
            run.answer(n)["note"]
                .as_str()
                .unwrap()
                .contains("nothing was evaluated")
        );
    }
    assert_eq!(run.answer(2)["violations"][0]["rule"], "approved-documents");
    // Exactly one TerminateSession per denied start, in order; one DescribeSessions per start
    // (each session is listed at once), all over JSON 1.1, signed for the region.
    assert_eq!(run.terminations, TERMINATED);
    let described: Vec<&str> = run
        .calls_of("DescribeSessions")
        .iter()
        .map(|call| {
            assert_eq!(call.body["State"], "Active");
            assert_eq!(call.body["MaxResults"], 200);
            assert_eq!(call.body["Filters"][0]["key"], "SessionId");
            call.body["Filters"][0]["value"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        described,
        [
            "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6",
            "s-allowed",
            "s-denied-1",
            "s-denied-2",
            "s-denied-3"
        ]
    );
    for call in &run.ssm_calls {
        assert!(
            ["DescribeSessions", "TerminateSession"].contains(&call.operation()),
            "{call:?}"
        );
        assert_eq!(
            call.content_type.as_deref(),
            Some("application/x-amz-json-1.1")
        );
        let authorization = call.authorization.as_deref().unwrap();
        assert!(
            authorization.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/"))
                && authorization.contains("/eu-west-1/ssm/aws4_request"),
            "{authorization}"
        );
    }
    // The starts were judged on the API's record; the other events had none to read.
    for (n, case) in cases.iter().enumerate() {
        let answer = run.answer(n);
        let expected = if n < 5 { json!(true) } else { Value::Null };
        assert_eq!(answer["described"], expected, "{}: {answer}", case.name);
    }
    // One decision line per event, saying what was decided and done.
    let logs = run.decision_logs();
    assert_eq!(logs.len(), cases.len(), "{}", run.stdout);
    assert_eq!(logs[2]["decision"], "deny");
    assert_eq!(logs[2]["session_id"], "s-denied-1");
    assert_eq!(logs[2]["target"], "i-0c9e2f7a1b3d5e7f9");
    assert!(
        logs[2]["owner"]
            .as_str()
            .unwrap()
            .contains("AWSReservedSSO_Developer")
    );
    assert_eq!(logs[2]["rule_ids"], json!(["gate-test/approved-documents"]));
    assert_eq!(logs[2]["termination_sent"], true);
    assert_eq!(logs[2]["terminated"], true);
    assert_eq!(logs[2]["termination_error"], Value::Null);
    assert_eq!(logs[2]["request_id"], request_id(2));
    assert_eq!(logs[0]["decision"], "allow");
    assert_eq!(logs[0]["termination_sent"], false);
    assert_eq!(logs[5]["session_id"], "s-plain");
    assert_eq!(logs[5]["termination_sent"], false);
    assert_eq!(run.cold_start_log()["ready"], true);
    assert!(run.init_errors.is_empty());
    assert_no_secrets(&run);
    // The smuggled secret was redacted, not dropped with its message.
    let smuggled = run.answer(4)["violations"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(smuggled.contains("[redacted]"), "{smuggled}");
}

#[test]
fn audit_mode_allows_what_it_evaluated_and_terminates_nothing() {
    let cases = cases();
    let policies = policy_dir();
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "audit"),
        ],
        &events(&cases),
        listing(&events(&cases)),
    );
    for (n, case) in cases.iter().enumerate() {
        let expected = if case.evaluated_deny {
            "allow"
        } else {
            case.enforce
        };
        let answer = run.answer(n);
        assert_eq!(answer["decision"], expected, "{}: {answer}", case.name);
        assert_eq!(answer["mode"], "audit");
        assert_eq!(answer["termination"]["sent"], false, "{}", case.name);
    }
    // Violations are still reported.
    assert_eq!(run.answer(2)["violations"][0]["rule"], "approved-documents");
    assert!(run.terminations.is_empty(), "{:?}", run.terminations);
    assert_no_secrets(&run);
}

#[test]
fn the_default_mode_is_audit_and_the_default_policies_are_embedded() {
    let events = [
        bytes(&sample()),
        bytes(&start_session("s-embedded", "Evil-Document")),
    ];
    let run = run_lambda(Binary::Bootstrap, &[], &events, listing(&events));
    assert_eq!(run.decisions(), ["allow", "allow"]);
    assert_eq!(run.answer(1)["mode"], "audit");
    let rules: Vec<&str> = run.answer(1)["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"approved-documents"), "{rules:?}");
    assert!(run.terminations.is_empty());
    let cold = run.cold_start_log();
    assert_eq!(cold["policies"], "<embedded defaults>");
    assert_eq!(cold["mode"], "audit");
    assert_no_secrets(&run);
}

#[test]
fn the_embedded_policies_in_enforce_mode() {
    let events = [
        bytes(&sample()),
        bytes(&start_session("s-embedded", "Evil-Document")),
    ];
    let run = run_lambda(
        Binary::Bootstrap,
        &[("SSM_GUARD_MODE", "enforce")],
        &events,
        listing(&events),
    );
    assert_eq!(run.decisions()[1], "deny");
    assert_eq!(run.terminations, ["s-embedded"]);
    // The API lists the sample's session as started seconds ago, so the embedded baseline's
    // office-hours rule warns (never denies) when the suite runs at night or at the weekend.
    let first = run.answer(0);
    assert_eq!(first["allowed"], true, "{first}");
    assert_eq!(first["violations"], json!([]), "{first}");
    let warnings = first["warnings"].as_array().unwrap();
    let expected = if warnings.is_empty() { "allow" } else { "warn" };
    assert_eq!(first["decision"], expected, "{first}");
    for warning in warnings {
        assert_eq!(warning["rule"], "after-hours-standard-access", "{first}");
        let started = warning["actual"].as_f64().unwrap();
        assert!(!in_office_hours(started), "{first}");
    }
    assert_no_secrets(&run);
}

/// Whether epoch second `at` falls Monday to Friday, 07:00 to 20:00 at UTC-05:00: the embedded
/// baseline's office hours.
fn in_office_hours(at: f64) -> bool {
    use time::{OffsetDateTime, UtcOffset, Weekday};
    let offset = UtcOffset::from_hms(-5, 0, 0).unwrap();
    let local = OffsetDateTime::from_unix_timestamp(at as i64)
        .unwrap()
        .to_offset(offset);
    let weekday = !matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
    weekday && (7..20).contains(&local.hour())
}

#[test]
fn ssm_guard_lambda_runs_the_same_function() {
    let policies = policy_dir();
    let events = [
        bytes(&start_session("s-ok", "SSM-SessionManagerRunShell")),
        bytes(&start_session("s-bad", "Evil-Document")),
        b"not json".to_vec(),
    ];
    let run = run_lambda(
        Binary::SubCommand,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforce"),
        ],
        &events,
        listing(&events),
    );
    assert_eq!(run.decisions(), ["allow", "deny", "deny"]);
    assert_eq!(run.terminations, ["s-bad"]);
    assert_no_secrets(&run);
}

/// Policies that do not load: the function still starts, says why, and denies every event. In
/// enforce mode the sessions that started are terminated: they would otherwise go on unjudged.
#[test]
fn broken_policies_deny_every_event() {
    let broken = scratch_dir("broken");
    std::fs::write(
        broken.join("broken.yaml"),
        "policy: broken\nrules:\n  - id: r\n    require: { DocumentName: { no_such_operator: 1 } }\n",
    )
    .unwrap();
    let empty = scratch_dir("empty");
    let missing = scratch_dir("gone").join("missing");
    let cases = cases();
    for folder in [&broken, &empty, &missing] {
        for mode in ["enforce", "audit"] {
            let run = run_lambda(
                Binary::Bootstrap,
                &[
                    ("SSM_GUARD_POLICIES", folder.to_str().unwrap()),
                    ("SSM_GUARD_MODE", mode),
                ],
                &events(&cases),
                listing(&events(&cases)),
            );
            let context = format!("{} in {mode} mode", folder.display());
            for (n, case) in cases.iter().enumerate() {
                let answer = run.answer(n);
                assert_eq!(
                    answer["decision"], "deny",
                    "{context}, {}: {answer}",
                    case.name
                );
                assert!(
                    answer["error"]
                        .as_str()
                        .unwrap()
                        .starts_with("policies did not load"),
                    "{context}: {answer}"
                );
            }
            let cold = run.cold_start_log();
            assert_eq!(cold["ready"], false, "{context}");
            let why = cold["error"].as_str().unwrap();
            assert!(why.contains(folder.to_str().unwrap()), "{context}: {cold}");
            // Only starts of sessions are terminated, and only in enforce mode.
            let expected: Vec<&str> = if mode == "enforce" {
                vec![
                    "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6",
                    "s-allowed",
                    "s-denied-1",
                    "s-denied-2",
                    "s-denied-3",
                ]
            } else {
                Vec::new()
            };
            assert_eq!(run.terminations, expected, "{context}");
            assert_no_secrets(&run);
        }
    }
}

#[test]
fn an_unknown_mode_denies_every_event() {
    let policies = policy_dir();
    let events = [bytes(&sample()), b"{}".to_vec()];
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforcing"),
        ],
        &events,
        listing(&events),
    );
    assert_eq!(run.decisions(), ["deny", "deny"]);
    let error = run.answer(0)["error"].as_str().unwrap().to_owned();
    assert!(error.contains("`SSM_GUARD_MODE` is `enforcing`"), "{error}");
    assert_eq!(run.cold_start_log()["mode"], "enforce");
}

/// A termination that fails leaves the answer a deny, and the log says it failed.
#[test]
fn a_failed_termination_is_still_a_deny_and_is_logged() {
    let policies = policy_dir();
    let events = [bytes(&start_session("s-stuck", "Evil-Document"))];
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforce"),
        ],
        &events,
        denying(),
    );
    let answer = run.answer(0);
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["termination"]["sent"], true);
    assert_eq!(answer["termination"]["terminated"], false);
    assert!(
        answer["termination"]["error"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{answer}"
    );
    // AccessDenied is not retried: one call.
    assert_eq!(run.terminations, ["s-stuck"]);
    let log = &run.decision_logs()[0];
    assert_eq!(log["level"], "error");
    assert_eq!(log["terminated"], false);
    assert!(
        log["termination_error"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{log}"
    );
    assert_no_secrets(&run);
}

#[test]
fn outside_lambda_it_says_what_is_missing() {
    let output = bootstrap()
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let line: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("AWS_LAMBDA_RUNTIME_API"),
        "{line}"
    );
}
