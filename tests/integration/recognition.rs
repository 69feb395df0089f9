//! Only Sessions are judged as Sessions: the shapes AWS and other tools publish are read,
//! what is easily mixed up with them is an input error that says what it probably is, other
//! services' CloudTrail events are passed over and counted, and `check` and `hook` agree.

use serde_json::{Value, json};

use crate::support::{NOW, run, run_with_stdin};

const FIXTURES: &str = "tests/fixtures/inputs/recognition";

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// `check --format json` with the embedded default set.
fn check(inputs: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--now", NOW, "--format", "json"];
    args.extend(inputs);
    let run = run(&args);
    (run.code, run.json())
}

fn error_messages(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

fn session_ids(report: &Value) -> Vec<&str> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap_or("<none>"))
        .collect()
}

#[test]
fn files_that_are_not_session_exports_are_input_errors_that_say_what_they_are() {
    for (file, says) in [
        (
            "describe-instance-information.json",
            "`aws ssm describe-instance-information`",
        ),
        ("sdk-recorded-response.json", "sessions at `data.Sessions`"),
        ("start-session-response.json", "`aws ssm start-session`"),
    ] {
        let (code, report) = check(&[&fixture(file)]);
        assert_eq!(code, 3, "{file}: {report}");
        assert_eq!(report["summary"]["evaluated"], 0, "{file}");
        let messages = error_messages(&report);
        assert_eq!(messages.len(), 1, "{file}: {messages:?}");
        assert!(messages[0].contains(says), "{file}: {}", messages[0]);
        assert!(
            messages[0].starts_with("not a Session record"),
            "{}",
            messages[0]
        );
    }
}

#[test]
fn rows_keyed_another_way_are_errors_naming_the_members_they_resemble() {
    let (code, report) = check(&[&fixture("camel-case-rows.jsonl")]);
    assert_eq!(code, 3);
    assert_eq!(report["summary"]["evaluated"], 0);
    let messages = error_messages(&report);
    assert!(
        messages[0].contains("did you mean `Owner` for `owner`, `SessionId` for `sessionId`, `StartDate` for `startDate`, `Target` for `target`?"),
        "{}",
        messages[0]
    );
    // snake_case beside a key that is no CloudQuery column: not a CloudQuery row either.
    assert!(
        messages[1].contains("`SessionId` for `session_id`"),
        "{}",
        messages[1]
    );
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2]);
}

#[test]
fn an_error_record_does_not_stop_the_others() {
    let mixed = b"{\"SessionId\":\"a\",\"Target\":\"i-1\"}\n{\"InstanceInformationList\":[]}\n{\"SessionId\":\"b\",\"Target\":\"i-2\"}\n";
    let run = run_with_stdin(&["check", "--now", NOW, "--format", "json"], Some(mixed));
    assert_eq!(run.code, 3);
    let report = run.json();
    assert_eq!(session_ids(&report), ["a", "b"]);
    assert_eq!(report["summary"]["records"], 3);
    assert_eq!(report["errors"][0]["record"], 2);
}

#[test]
fn other_services_events_are_passed_over_and_counted_by_source() {
    let (code, report) = check(&[&fixture("cloudtrail-mixed-sources.json")]);
    assert_eq!(
        session_ids(&report),
        ["alex.kim@example.org-0f3a9c21d7e4b8a60"]
    );
    assert_eq!(
        report["summary"]["skipped_events"],
        json!({"athena.amazonaws.com": 2, "ssm.amazonaws.com": 2})
    );
    assert_eq!(report["errors"], json!([]));
    assert_ne!(code, 3);
    let text = run(&[
        "check",
        "--now",
        NOW,
        &fixture("cloudtrail-mixed-sources.json"),
    ]);
    assert!(
        text.stdout.contains("4 events that started no Session Manager session passed over (2 athena.amazonaws.com, 2 ssm.amazonaws.com)"),
        "{}",
        text.stdout
    );
}

#[test]
fn check_and_hook_agree_that_athenas_start_session_is_no_session() {
    let event = fixture("athena-start-session-eventbridge.json");
    let (code, report) = check(&[&event]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["evaluated"], 0);
    assert_eq!(
        report["summary"]["skipped_events"],
        json!({"athena.amazonaws.com": 1})
    );
    let bytes = std::fs::read(&event).unwrap();
    let hook = run_with_stdin(&["hook", "--now", NOW], Some(&bytes));
    assert_eq!(hook.code, 1, "{hook:?}");
    let decision: Value = serde_json::from_str(&hook.stdout).unwrap();
    assert_eq!(decision["evaluated"], false);
    assert!(
        decision["error"]
            .as_str()
            .unwrap()
            .contains("athena.amazonaws.com"),
        "{decision}"
    );
}

#[test]
fn cloudquery_rows_are_judged_like_the_same_sessions_from_the_api() {
    let (code, report) = check(&[&fixture("cloudquery-sessions.jsonl")]);
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(code, 1, "the IAM user's SSH session is denied: {report}");
    assert_eq!(
        session_ids(&report),
        [
            "alex.kim@example.org-0f3a9c21d7e4b8a60",
            "legacy-admin-0a1b2c3d4e5f6a7b8"
        ]
    );
    assert_eq!(report["summary"].get("warnings"), None, "{report}");
    // The same sessions as DescribeSessions gives them.
    let api = json!({"Sessions": [
        {"SessionId": "alex.kim@example.org-0f3a9c21d7e4b8a60", "Target": "i-0c9e2f7a1b3d5e7f9",
         "Status": "Connected", "StartDate": "2026-03-10T13:15:30.204Z",
         "DocumentName": "SSM-SessionManagerRunShell",
         "Owner": "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/alex.kim@example.org",
         "Reason": "CHG-2231 rotate certificates", "Details": "", "MaxSessionDuration": "60",
         "AccessType": "Standard", "OutputUrl": {"S3OutputUrl": "", "CloudWatchOutputUrl": ""}},
        {"SessionId": "legacy-admin-0a1b2c3d4e5f6a7b8", "Target": "i-0c9e2f7a1b3d5e7f9",
         "Status": "Connected", "StartDate": "2026-03-10T14:40:12.5Z", "DocumentName": "AWS-StartSSHSession",
         "Owner": "arn:aws:iam::210987654321:user/legacy-admin",
         "OutputUrl": {"S3OutputUrl": "", "CloudWatchOutputUrl": ""}}
    ]});
    let bytes = serde_json::to_vec(&api).unwrap();
    let from_api =
        run_with_stdin(&["check", "--now", NOW, "--format", "json"], Some(&bytes)).json();
    let judged = |report: &Value| -> Vec<Value> {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!([r["decision"], r["violations"]]))
            .collect()
    };
    assert_eq!(judged(&report), judged(&from_api));
}

#[test]
fn keys_that_are_not_members_are_reported_once_per_input_with_their_counts() {
    let (code, report) = check(&[&fixture("misspelt-column.jsonl")]);
    assert_ne!(code, 3, "unknown keys are allowed: {report}");
    assert_eq!(report["summary"]["evaluated"], 3);
    let warnings = report["summary"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0]["unknown_keys"],
        json!([
            {"key": "Region", "records": 3},
            {"key": "Tagret", "records": 2, "did_you_mean": "Target"}
        ])
    );
    let text = run(&["check", "--now", NOW, &fixture("misspelt-column.jsonl")]);
    assert!(
        text.stdout
            .contains("`Tagret` (2 records; did you mean `Target`?)"),
        "{}",
        text.stdout
    );
    let sarif = run(&[
        "check",
        "--now",
        NOW,
        "--format",
        "sarif",
        &fixture("misspelt-column.jsonl"),
    ]);
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["level"], "warning", "{notes}");
}

#[test]
fn the_api_pack_accepts_the_empty_strings_describe_sessions_returns() {
    let run = run(&[
        "check",
        "--now",
        NOW,
        "--format",
        "json",
        "--builtin",
        "aws-api",
        "tests/fixtures/inputs/aws-cli-describe-sessions.json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["summary"]["violations"], 0, "{report}");
    assert_eq!(report["summary"]["evaluated"], 3);
}
