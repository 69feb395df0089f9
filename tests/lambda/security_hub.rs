//! `SSM_GUARD_SECURITY_HUB=on`: the function sends the findings of denied sessions to a
//! loopback stand-in speaking Security Hub's REST-JSON protocol (`POST /findings/import`),
//! in calls of at most 100, and the decision is the same whatever Security Hub answers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use super::*;
use crate::loopback::{Handle, Response, Server};

/// One `BatchImportFindings` call the stand-in received.
#[derive(Debug, Clone)]
struct ImportCall {
    method: String,
    path: String,
    authorization: Option<String>,
    findings: Vec<Value>,
}

/// How the stand-in answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    /// Every finding imported.
    Import,
    /// The first finding of each call rejected, the rest imported.
    RejectFirst,
    /// `AccessDeniedException` for the whole call.
    Deny,
}

struct FakeSecurityHub {
    server: Server,
    calls: Arc<Mutex<Vec<ImportCall>>>,
}

impl FakeSecurityHub {
    fn start(answer: Answer) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let handle: Handle = {
            let calls = Arc::clone(&calls);
            Arc::new(move |request, _stop| {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let findings = body["Findings"].as_array().cloned().unwrap_or_default();
                calls.lock().unwrap().push(ImportCall {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    authorization: request.header("authorization").map(str::to_owned),
                    findings: findings.clone(),
                });
                Some(match answer {
                    Answer::Import => Response::json(
                        200,
                        "application/json",
                        &json!({"FailedCount": 0, "SuccessCount": findings.len(), "FailedFindings": []}),
                    ),
                    Answer::RejectFirst => Response::json(
                        200,
                        "application/json",
                        &json!({
                            "FailedCount": 1,
                            "SuccessCount": findings.len() - 1,
                            "FailedFindings": [{
                                "Id": findings[0]["Id"],
                                "ErrorCode": "InvalidInput",
                                "ErrorMessage": "Finding does not adhere to Amazon Security Finding Format",
                            }],
                        }),
                    ),
                    Answer::Deny => {
                        let mut response = Response::json(
                            403,
                            "application/json",
                            &json!({"Message": "not allowed to import findings"}),
                        );
                        response
                            .headers
                            .push(("x-amzn-ErrorType".into(), "AccessDeniedException".into()));
                        response
                    }
                })
            })
        };
        Self {
            server: Server::start(handle),
            calls,
        }
    }

    fn calls(&self) -> Vec<ImportCall> {
        self.calls.lock().unwrap().clone()
    }
}

/// A policy folder of `rules` rules that every session breaks, each quoting the Reason (where
/// a smuggled secret would show), and one the allowed document passes.
fn many_rules(rules: usize) -> PathBuf {
    let dir = scratch_dir("many-rules");
    let mut policy = String::from("policy: many\nrules:\n");
    policy.push_str("  - id: approved-documents\n    require:\n      DocumentName: [SSM-SessionManagerRunShell]\n    message: \"Session {SessionId} used {DocumentName}; Reason was {Reason}\"\n");
    for n in 1..rules {
        policy.push_str(&format!(
            "  - id: r{n}\n    when: {{ DocumentName: Evil-Document }}\n    require: {{ Reason: {{ equals: never }} }}\n    message: \"rule {n}: {{Reason}}\"\n"
        ));
    }
    std::fs::write(dir.join("many.yaml"), policy).unwrap();
    dir
}

/// Runs the function with Security Hub at a stand-in answering `answer`.
fn run_with_hub(
    mode: &str,
    setting: &str,
    policies: &Path,
    events: &[Vec<u8>],
    answer: Answer,
) -> (LambdaRun, Vec<ImportCall>) {
    let hub = FakeSecurityHub::start(answer);
    let endpoint = format!("http://{}", hub.server.addr);
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", mode),
            ("SSM_GUARD_SECURITY_HUB", setting),
            ("AWS_ENDPOINT_URL_SECURITYHUB", &endpoint),
        ],
        events,
        listed(events),
    );
    let calls = hub.calls();
    (run, calls)
}

/// Session Manager's records of the sessions the start events started, as DescribeSessions
/// lists them, so that the function judges them without waiting.
fn listed(events: &[Vec<u8>]) -> SsmSetup {
    let active = events
        .iter()
        .filter_map(|event| serde_json::from_slice::<Value>(event).ok())
        .filter(|event| event["detail"]["eventName"] == "StartSession")
        .map(|event| crate::loopback::events::api_record(&event, "60"))
        .collect();
    SsmSetup {
        active,
        ..SsmSetup::default()
    }
}

/// Validates what the SDK sent with the same botocore check as `--format asff` output.
fn validate_sent(calls: &[ImportCall]) {
    let dir = scratch_dir("sent-findings");
    let mut files = Vec::new();
    for (n, call) in calls.iter().enumerate() {
        let path = dir.join(format!("call-{n}.json"));
        std::fs::write(&path, serde_json::to_vec(&call.findings).unwrap()).unwrap();
        files.push(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/asff/validate.py");
    let Ok(output) = Command::new("python3").arg(script).args(&files).output() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have python3");
        eprintln!("SKIPPED: validating the sent findings needs python3 and botocore");
        return;
    };
    match output.status.code() {
        Some(0) => {}
        Some(3) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: validating the sent findings needs botocore");
        }
        _ => panic!(
            "the sent findings are not valid:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

#[test]
fn findings_of_denied_sessions_go_to_security_hub_in_calls_of_at_most_100() {
    let policies = many_rules(120);
    let mut smuggled = start_session("s-denied-3", "Evil-Document");
    smuggled["detail"]["requestParameters"]["reason"] =
        json!(format!("CHG-1 see {}", stream_url("s-denied-3")));
    let events = [
        bytes(&start_session("s-allowed", "SSM-SessionManagerRunShell")),
        bytes(&start_session("s-denied-1", "Evil-Document")),
        bytes(&smuggled),
        b"not json".to_vec(),
    ];
    let (run, calls) = run_with_hub("enforce", "on", &policies, &events, Answer::Import);
    assert_eq!(run.decisions(), ["allow", "deny", "deny", "deny"]);
    assert_eq!(run.terminations, ["s-denied-1", "s-denied-3"]);
    assert_eq!(run.cold_start_log()["security_hub"], true);
    // 120 findings per denied session: 100 and 20; nothing for the allowed start or the
    // unreadable event.
    let sizes: Vec<usize> = calls.iter().map(|c| c.findings.len()).collect();
    assert_eq!(sizes, [100, 20, 100, 20], "{}", run.stdout);
    for call in &calls {
        assert_eq!(
            (call.method.as_str(), call.path.as_str()),
            ("POST", "/findings/import")
        );
        let authorization = call.authorization.as_deref().unwrap();
        assert!(
            authorization.contains("/eu-west-1/securityhub/aws4_request"),
            "{authorization}"
        );
    }
    let first = &calls[0].findings[0];
    assert_eq!(first["SchemaVersion"], "2018-10-08");
    assert_eq!(first["AwsAccountId"], "210987654321");
    assert_eq!(
        first["ProductArn"],
        "arn:aws:securityhub:eu-west-1:210987654321:product/210987654321/default"
    );
    assert_eq!(first["GeneratorId"], "many/approved-documents");
    assert_eq!(
        first["Resources"][1]["Id"],
        "arn:aws:ssm:eu-west-1:210987654321:session/s-denied-1"
    );
    // The decision line says what was sent; no secret reached Security Hub or the log.
    let logs = run.decision_logs();
    assert_eq!(
        logs[1]["security_hub"],
        json!({"findings": 120, "imported": 120, "rejected": 0})
    );
    assert!(logs[0].get("security_hub").is_none());
    let sent =
        serde_json::to_string(&calls.iter().map(|c| &c.findings).collect::<Vec<_>>()).unwrap();
    for secret in secrets() {
        assert!(!sent.contains(&secret), "a finding leaks `{secret}`");
    }
    assert!(sent.contains("[redacted]"));
    assert_no_secrets(&run);
    validate_sent(&calls);
}

#[test]
fn audit_mode_sends_the_findings_of_sessions_the_policies_deny() {
    let events = [bytes(&start_session("s-audited", "Evil-Document"))];
    let (run, calls) = run_with_hub("audit", "on", &policy_dir(), &events, Answer::Import);
    assert_eq!(run.decisions(), ["allow"]);
    assert!(run.terminations.is_empty());
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].findings.len(), 1);
    assert_eq!(calls[0].findings[0]["Workflow"]["Status"], "NEW");
}

#[test]
fn rejected_findings_are_logged_one_by_one_and_change_no_decision() {
    let events = [bytes(&start_session("s-rejected", "Evil-Document"))];
    let (run, calls) = run_with_hub(
        "enforce",
        "on",
        &many_rules(3),
        &events,
        Answer::RejectFirst,
    );
    assert_eq!(run.decisions(), ["deny"]);
    assert_eq!(run.terminations, ["s-rejected"]);
    assert_eq!(calls.len(), 1);
    let rejected: Vec<Value> = run
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == "Security Hub rejected a finding")
        .collect();
    assert_eq!(rejected.len(), 1, "{}", run.stdout);
    assert_eq!(rejected[0]["level"], "error");
    assert_eq!(rejected[0]["finding_id"], calls[0].findings[0]["Id"]);
    assert_eq!(rejected[0]["error_code"], "InvalidInput");
    let log = &run.decision_logs()[0];
    assert_eq!(
        log["security_hub"],
        json!({"findings": 3, "imported": 2, "rejected": 1})
    );
}

#[test]
fn a_security_hub_error_changes_no_decision() {
    let events = [
        bytes(&start_session("s-1", "Evil-Document")),
        bytes(&start_session("s-2", "SSM-SessionManagerRunShell")),
    ];
    let (run, calls) = run_with_hub("enforce", "on", &policy_dir(), &events, Answer::Deny);
    assert_eq!(run.decisions(), ["deny", "allow"]);
    assert_eq!(run.terminations, ["s-1"]);
    // AccessDenied is not retried.
    assert_eq!(calls.len(), 1);
    let log = &run.decision_logs()[0];
    let error = log["security_hub"]["error"].as_str().unwrap();
    assert!(error.contains("AccessDenied"), "{error}");
    assert_eq!(log["security_hub"]["imported"], 0);
    assert_eq!(run.answer(0)["termination"]["terminated"], true);
    assert!(
        run.answer(0).get("security_hub").is_none(),
        "the answer is the decision's"
    );
}

#[test]
fn off_by_default_and_an_unknown_setting_is_reported_and_sends_nothing() {
    let events = [bytes(&start_session("s-1", "Evil-Document"))];
    for setting in ["", "off", "perhaps"] {
        let (run, calls) = run_with_hub("enforce", setting, &policy_dir(), &events, Answer::Import);
        assert_eq!(run.decisions(), ["deny"], "{setting}");
        assert!(calls.is_empty(), "{setting}");
        assert_eq!(run.cold_start_log()["security_hub"], false);
        let complaint = run
            .stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line["message"] == "ssm-guard sends no findings to Security Hub");
        assert_eq!(
            complaint.is_some(),
            setting == "perhaps",
            "{setting}: {}",
            run.stdout
        );
    }
}
