//! The commands that call Session Manager (`check ssm:...`, `sweep`, `hook --describe`), run
//! against a local SSM endpoint speaking JSON 1.1 (`AWS_ENDPOINT_URL_SSM`) with dummy
//! credentials; every server stops by itself and every run is bounded in time.

#![cfg(feature = "aws")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod loopback;

use std::process::Output;

use serde_json::{Value, json};

use loopback::events::{active_session, api_record, bytes, policies, seconds_ago, start_session};
use loopback::function::{scratch_dir, ssm_guard};
use loopback::ssm::{Deny, FakeSsm, SsmSetup};

const CAPS: &str = r#"policy: caps
rules:
  - id: max-session-duration
    when: { MaxSessionDuration: { exists: true } }
    require: { MaxSessionDuration: { lte: 60 } }
  - id: running-too-long
    when: { Status: [Connected, Connecting, Disconnected] }
    require: { Duration: { lte: 60 } }
"#;

fn caps() -> String {
    policies("caps.yaml", CAPS).display().to_string()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ------------------------------------------------------------------ check ssm:...

/// Ended sessions as the API returns them: every member, fractions of seconds, both kinds of
/// access, output locations set and not.
fn history() -> Vec<Value> {
    let owner = |name: &str| {
        format!(
            "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/{name}@example.org"
        )
    };
    (0..7)
        .map(|n| {
            let start = 1_772_380_800.0 + f64::from(n) * 86_400.0 + 0.125;
            let caps = ["60", "240", "30"];
            let mut session = json!({
                "SessionId": format!("h-{n}"),
                "Target": if n % 2 == 0 { "i-0e330ccb17b3f6f8b" } else { "mi-0cdcf1ba1cde11df5" },
                "Status": "Terminated",
                "StartDate": start,
                "EndDate": start + 60.0 * f64::from(20 + n * 15) + 0.5,
                "DocumentName": if n == 3 { "Evil-Document" } else { "SSM-SessionManagerRunShell" },
                "Owner": owner(if n < 4 { "ana" } else { "ben" }),
                "Details": "",
                "OutputUrl": {"S3OutputUrl": if n % 3 == 0 { "" } else { "https://s3.amazonaws.com/session-logs-210987654321/x.log" }, "CloudWatchOutputUrl": ""},
                "MaxSessionDuration": caps[n as usize % 3],
                "AccessType": if n == 5 { "JustInTime" } else { "Standard" },
            });
            if n != 5 {
                session["Reason"] = json!(format!("CHG-10{n}0 maintenance"));
            }
            session
        })
        .collect()
}

/// The pages the stand-in gives for `sessions` in pages of two, one line each, as a file.
fn saved_pages(sessions: &[Value]) -> String {
    let dir = scratch_dir("saved");
    let path = dir.join("pages.json");
    let mut text = String::new();
    let pages: Vec<&[Value]> = sessions.chunks(2).collect();
    for (n, page) in pages.iter().enumerate() {
        let mut page = json!({"Sessions": page});
        if n + 1 < pages.len() {
            page["NextToken"] = json!(format!("page-at-{}", (n + 1) * 2));
        }
        text.push_str(&serde_json::to_string(&page).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A `check --format json` report with each result's source replaced, to compare runs.
fn without_sources(mut report: Value) -> Value {
    for result in report["results"].as_array_mut().unwrap() {
        result["source"] = json!("-");
    }
    report
}

#[test]
fn check_ssm_history_gives_what_check_gives_on_the_same_sessions_saved_to_a_file() {
    let ssm = FakeSsm::start(SsmSetup {
        history: history(),
        page_size: 2,
        ..SsmSetup::default()
    });
    let file = saved_pages(&history());
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let run = |input: &str| {
        let args = [
            "check",
            "-p",
            policies,
            "--now",
            "2026-03-13T21:30:00Z",
            "--format",
            "json",
            input,
        ];
        ssm_guard(&ssm, &args, &[], b"")
    };
    let from_api = run("ssm:history");
    let from_file = run(&file);
    assert_eq!(from_api.status.code(), from_file.status.code());
    let api = json_of(&from_api);
    let saved = json_of(&from_file);
    assert_eq!(api["results"][0]["source"], "ssm:history");
    assert_eq!(api["summary"]["records"], 7, "{api}");
    assert!(api["summary"]["violations"].as_u64().unwrap() > 0, "{api}");
    assert_eq!(without_sources(api), without_sources(saved));
    // Every page was read, 200 at most per call, for the state asked.
    let calls = ssm.calls_of("DescribeSessions");
    assert_eq!(calls.len(), 4);
    assert!(
        calls
            .iter()
            .all(|c| c.body["State"] == "History" && c.body["MaxResults"] == 200)
    );
    // With filters: the API's filters, and the same sessions as the file holding only those.
    let query = "ssm:history?owner=arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/ana@example.org&after=2026-03-02";
    let filtered = json_of(&run(query));
    let expected: Vec<Value> = history()[1..4].to_vec();
    let saved = json_of(&run(&saved_pages(&expected)));
    assert_eq!(filtered["results"][0]["source"], query);
    assert_eq!(without_sources(filtered), without_sources(saved));
    let last = ssm.calls_of("DescribeSessions").pop().unwrap();
    assert_eq!(
        last.body["Filters"],
        json!([
            {"key": "Owner", "value": "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/ana@example.org"},
            {"key": "InvokedAfter", "value": "2026-03-02T00:00:00Z"}
        ])
    );
}

#[test]
fn check_ssm_active_reads_the_open_sessions_through_throttling() {
    let recent = seconds_ago(60);
    let ssm = FakeSsm::start(SsmSetup {
        active: vec![
            active_session("a-1", "i-0e330ccb17b3f6f8b", "60", recent),
            active_session("a-2", "i-0e330ccb17b3f6f8b", "240", recent),
            active_session("a-3", "i-0e330ccb17b3f6f8b", "30", recent),
        ],
        page_size: 1,
        throttle: vec![2],
        ..SsmSetup::default()
    });
    let policies = caps();
    let output = ssm_guard(
        &ssm,
        &["check", "-p", &policies, "--format", "json", "ssm:active"],
        &[],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json_of(&output);
    let ids: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a-1", "a-2", "a-3"]);
    assert_eq!(report["summary"]["decisions"]["deny"], 1);
    // Three pages and one throttled call, asked again.
    assert_eq!(ssm.calls_of("DescribeSessions").len(), 4);
}

/// Runs `check ssm:active` with `vars` over the environment; the exit code and the input error.
fn check_error(setup: SsmSetup, vars: &[(&str, &str)], extra: &[&str]) -> (Option<i32>, String) {
    let ssm = FakeSsm::start(setup);
    let policies = caps();
    let mut args = vec!["check", "-p", policies.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    args.push("ssm:active");
    let output = ssm_guard(&ssm, &args, vars, b"");
    let report = json_of(&output);
    let message = report["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    (output.status.code(), message)
}

#[test]
fn what_keeps_the_sessions_from_being_read_is_one_clear_error_and_exit_3() {
    let (code, message) = check_error(
        SsmSetup {
            deny: Deny::Describe,
            ..SsmSetup::default()
        },
        &[],
        &[],
    );
    assert_eq!(code, Some(3));
    assert!(
        message.contains("AWS denied ssm:DescribeSessions")
            && message.contains("allow the action `ssm:DescribeSessions`"),
        "{message}"
    );
    let (code, message) = check_error(
        SsmSetup::default(),
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        &[],
    );
    assert_eq!(code, Some(3));
    assert!(message.contains("no AWS credentials"), "{message}");
    assert!(message.contains("AWS_PROFILE"), "{message}");
    let (code, message) = check_error(SsmSetup::default(), &[("AWS_REGION", "")], &[]);
    assert_eq!(code, Some(3));
    assert!(message.contains("no AWS region is set"), "{message}");
    // A profile that does not exist has no region either, and says so.
    let (code, message) = check_error(
        SsmSetup::default(),
        &[("AWS_REGION", "")],
        &["--profile", "nosuch"],
    );
    assert_eq!(code, Some(3));
    assert!(message.contains("`nosuch`"), "{message}");
    // --region reaches the signature.
    let ssm = FakeSsm::start(SsmSetup::default());
    let output = ssm_guard(
        &ssm,
        &["check", "--region", "ap-southeast-2", "ssm:active"],
        &[],
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let call = &ssm.calls_of("DescribeSessions")[0];
    assert!(
        call.authorization
            .as_deref()
            .unwrap()
            .contains("/ap-southeast-2/ssm/aws4_request")
    );
}

#[test]
fn a_query_that_cannot_be_read_is_a_usage_error_before_any_call() {
    let ssm = FakeSsm::start(SsmSetup::default());
    let output = ssm_guard(&ssm, &["check", "ssm:history?onwer=ana"], &[], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unknown filter `onwer`"));
    assert!(ssm.calls().is_empty());
}

// ------------------------------------------------------------------ sweep

fn sweep_sessions() -> Vec<Value> {
    let recent = seconds_ago(60);
    let mut ending = active_session("s-ending", "i-1", "240", recent);
    ending["Status"] = json!("Terminating");
    vec![
        active_session("s-ok", "i-1", "60", recent),
        active_session("s-cap-1", "i-2", "240", recent),
        active_session("s-cap-2", "i-3", "120", recent),
        ending,
        active_session("s-long", "i-4", "60", seconds_ago(90 * 60)),
    ]
}

fn sweep(args: &[&str], vars: &[(&str, &str)]) -> (FakeSsm, Output) {
    let ssm = FakeSsm::start(SsmSetup {
        active: sweep_sessions(),
        page_size: 2,
        ..SsmSetup::default()
    });
    let policies = caps();
    let mut all = vec!["sweep", "-p", policies.as_str()];
    all.extend_from_slice(args);
    let output = ssm_guard(&ssm, &all, vars, b"");
    (ssm, output)
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn sweep_in_enforce_mode_terminates_the_denied_sessions_and_says_what_it_did() {
    let (ssm, output) = sweep(&["--mode", "enforce", "--format", "json"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        sorted(ssm.terminated_ids()),
        ["s-cap-1", "s-cap-2", "s-long"]
    );
    let report = json_of(&output);
    assert_eq!(report["version"], 1);
    assert_eq!(report["mode"], "enforce");
    assert_eq!(report["summary"]["read"], 5);
    assert_eq!(report["summary"]["terminated"], 3);
    assert_eq!(report["summary"]["already_ending"], 1);
    assert_eq!(report["summary"]["describe_calls"], 3);
    let actions: Vec<(&str, &str)> = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["session"]["SessionId"].as_str().unwrap(),
                s["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("s-ok", "none"),
            ("s-cap-1", "terminated"),
            ("s-cap-2", "terminated"),
            ("s-ending", "already-ending"),
            ("s-long", "terminated")
        ]
    );
    assert_eq!(
        report["sessions"][4]["violations"][0]["rule"],
        "running-too-long"
    );
    // The text form: a line per session, its rules under it, and the summary.
    let (_, output) = sweep(&["--mode", "enforce"], &[]);
    let out = text(&output.stdout);
    assert!(
        out.contains("deny   terminated      s-cap-1 on i-2 by arn:aws:sts::"),
        "{out}"
    );
    assert!(
        out.contains("caps/max-session-duration: MaxSessionDuration is 240"),
        "{out}"
    );
    assert!(
        out.contains("swept 5 active sessions in enforce mode"),
        "{out}"
    );
    assert!(
        out.contains("3 terminated, 0 failed, 0 left alone by the limit of 20"),
        "{out}"
    );
}

#[test]
fn sweep_stops_at_the_limit_names_the_sessions_left_alone_and_exits_1() {
    let (ssm, output) = sweep(
        &[
            "--mode",
            "enforce",
            "--max-terminations",
            "1",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(ssm.terminated_ids(), ["s-cap-1"]);
    let report = json_of(&output);
    assert_eq!(report["left_alone"], json!(["s-cap-2", "s-long"]));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("limit of 1 termination per sweep"),
        "{stderr}"
    );
    assert!(stderr.contains("s-cap-2, s-long"), "{stderr}");
    // The limit from the environment, and 0: nothing is terminated.
    let (ssm, output) = sweep(
        &["--mode", "enforce"],
        &[("SSM_GUARD_MAX_TERMINATIONS", "0")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(ssm.terminated_ids().is_empty());
    let (_, output) = sweep(&[], &[("SSM_GUARD_MAX_TERMINATIONS", "many")]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn sweep_audits_by_default_and_judges_at_the_time_given() {
    let (ssm, output) = sweep(&["--format", "json"], &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(ssm.terminated_ids().is_empty());
    let report = json_of(&output);
    assert_eq!(report["mode"], "audit");
    assert_eq!(report["summary"]["denied"], 0);
    assert_eq!(
        report["sessions"][1]["violations"][0]["rule"],
        "max-session-duration"
    );
    // Two hours on, every open session has been running too long.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2 * 3600);
    let later = later
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let later = time_text(later);
    let (ssm, output) = sweep(
        &["--mode", "enforce", "--now", &later, "--format", "json"],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        sorted(ssm.terminated_ids()),
        ["s-cap-1", "s-cap-2", "s-long", "s-ok"]
    );
    assert_eq!(json_of(&output)["now"].as_str().unwrap(), later);
}

#[test]
fn sweep_exits_3_when_it_cannot_read_the_sessions() {
    let (ssm, output) = sweep(
        &["--mode", "enforce"],
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    );
    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("no AWS credentials"));
    assert!(ssm.calls().is_empty());
}

/// RFC 3339 of epoch seconds, in UTC.
fn time_text(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

// ------------------------------------------------------------------ hook --describe

#[test]
fn hook_describe_judges_the_api_record_and_says_when_it_could_not() {
    let event = start_session("s-over", "SSM-SessionManagerRunShell");
    let policies = caps();
    let setup = SsmSetup {
        active: vec![api_record(&event, "240")],
        ..SsmSetup::default()
    };
    let ssm = FakeSsm::start(setup.clone());
    let output = ssm_guard(
        &ssm,
        &["hook", "-p", &policies, "--describe"],
        &[],
        &bytes(&event),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let answer = json_of(&output);
    assert_eq!(answer["described"], true);
    assert_eq!(answer["violations"][0]["rule"], "max-session-duration");
    // Without --describe: the event alone, and no call.
    let ssm = FakeSsm::start(setup);
    let output = ssm_guard(&ssm, &["hook", "-p", &policies], &[], &bytes(&event));
    assert_eq!(output.status.code(), Some(0));
    assert!(json_of(&output).get("described").is_none());
    assert!(ssm.calls().is_empty());
    // Describe denied: the event alone, and why.
    let ssm = FakeSsm::start(SsmSetup {
        deny: Deny::Describe,
        ..SsmSetup::default()
    });
    let output = ssm_guard(
        &ssm,
        &["hook", "-p", &policies, "--describe"],
        &[],
        &bytes(&event),
    );
    assert_eq!(output.status.code(), Some(0));
    let answer = json_of(&output);
    assert_eq!(answer["described"], false);
    assert!(
        answer["describe_error"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException")
    );
}

// ------------------------------------------------------------------ diff ssm:...

#[test]
fn diff_previews_a_policy_change_on_the_open_sessions() {
    let ssm = FakeSsm::start(SsmSetup {
        active: sweep_sessions(),
        page_size: 2,
        ..SsmSetup::default()
    });
    let loose = policies(
        "loose.yaml",
        "policy: caps\nrules:\n  - id: max-session-duration\n    require: { MaxSessionDuration: { lte: 480 } }\n",
    );
    let strict = caps();
    let loose = loose.display().to_string();
    let output = ssm_guard(
        &ssm,
        &[
            "diff",
            "--from",
            &loose,
            "--to",
            &strict,
            "--format",
            "json",
            "ssm:active",
        ],
        &[],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json_of(&output);
    let changed: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            assert_eq!(change["source"], "ssm:active");
            change["session_id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(changed, ["s-cap-1", "s-cap-2", "s-ending", "s-long"]);
}

/// The moto harness the S3 and tag tests stand on: it starts, answers boto3, and stops.
#[test]
fn moto_server_starts_on_loopback_and_answers_boto3() {
    let moto = loopback::moto::Moto::start();
    let printed = moto.python(
        "s3 = client('s3')\ns3.create_bucket(Bucket='probe')\n\
         print([b['Name'] for b in s3.list_buckets()['Buckets']])\n",
    );
    assert_eq!(printed.trim(), "['probe']");
}
