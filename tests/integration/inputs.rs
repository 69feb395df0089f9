//! Every input shape, read through the command line: which records each gives, with their
//! source, record number and line, what was read from them, and what happens to input that
//! cannot be read.
//!
//! The `echo` policy fails once on every record, with a message naming the fields read:
//! `SessionId | Target | DocumentName | Status | StartDate | EndDate | Duration | Owner |
//! OwnerRole | Reason | MaxSessionDuration | AccessType | OutputUrl.S3OutputUrl`.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::support::{NOW, Run, root, run, run_with_stdin, scratch_dir};

const ECHO: &str = "tests/fixtures/policies/echo.yaml";

/// `check --format json` of `inputs` with the echo policy.
fn echo(inputs: &[&str]) -> Run {
    let mut args = vec!["check", "--now", NOW, "--format", "json", "-p", ECHO];
    args.extend_from_slice(inputs);
    run(&args)
}

/// Each result's source, record number, line and echoed fields.
fn rows(report: &Value) -> Vec<(String, u64, u64, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_owned(),
                r["record"].as_u64().unwrap(),
                r["line"].as_u64().unwrap(),
                r["violations"][0]["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn row(source: &str, record: u64, line: u64, fields: &str) -> (String, u64, u64, String) {
    (source.to_owned(), record, line, fields.to_owned())
}

/// Each result's session id.
fn session_ids(report: &Value) -> Vec<&str> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap_or("<none>"))
        .collect()
}

/// The summary's counts of inputs, records, evaluated, errors and skipped events (of every
/// source).
fn counts(report: &Value) -> [u64; 5] {
    let s = &report["summary"];
    let skipped = s["skipped_events"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    ["inputs", "records", "evaluated", "errors"]
        .map(|k| s[k].as_u64().unwrap())
        .into_iter()
        .chain([skipped])
        .collect::<Vec<_>>()
        .try_into()
        .unwrap()
}

// ------------------------------------------------------------------ the shared samples

#[test]
fn a_cli_v2_describe_sessions_response_gives_its_sessions_with_their_lines() {
    let source = "tests/fixtures/samples/describe-sessions-cli-v2.json";
    let run = echo(&[source]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        rows(&report),
        [
            row(
                source,
                1,
                3,
                "alex.kim-0f3a9c21d7e4b8a60 | i-0c9e2f7a1b3d5e7f9 | SSM-SessionManagerRunShell | Terminated | 2026-03-08T01:52:10.204000-05:00 | 2026-03-08T03:05:44.918000-04:00 | 13.57857 | arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/alex.kim@example.org | AWSReservedSSO_Developer_5f1c2e9a0b7d3c41 | INC-4410 disk pressure on build agent | 60 | JustInTime | https://s3.amazonaws.com/session-logs-210987654321/alex.kim-0f3a9c21d7e4b8a60.log"
            ),
            row(
                source,
                2,
                19,
                "ci-runner-2m8q5x7z1c4v6b9n3k0p2r5t8w | mi-0a1b2c3d4e5f60718 | AWS-StartPortForwardingSession | Terminated | 2026-03-09T14:00:00-04:00 | 2026-03-09T14:07:12.500000-04:00 | 7.20833 | arn:aws:sts::210987654321:assumed-role/CiRunner/ci-runner | CiRunner | - | 20 | Standard | -"
            ),
            row(
                source,
                3,
                31,
                "sam.oduya-0b6d4f2e8a1c3957e | i-0f1e2d3c4b5a69788 | AWS-StartSSHSession | Connected | 2026-03-10T09:15:30.010000-04:00 | - | 4814.49983 | arn:aws:iam::210987654321:user/sam.oduya | - | - | - | - | -"
            ),
        ]
    );
    assert_eq!(counts(&report), [1, 3, 3, 0, 0]);
    assert_eq!(report["errors"], json!([]));
}

#[test]
fn a_raw_api_response_reads_epoch_seconds_and_ignores_next_token() {
    let source = "tests/fixtures/samples/describe-sessions-api.json";
    let run = echo(&[source]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        rows(&report),
        [
            row(
                source,
                1,
                1,
                "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6 | i-0c9e2f7a1b3d5e7f9 | SSM-SessionManagerRunShell | Connected | 1773148530.01 | - | 4814.49983 | arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/alex.kim@example.org | AWSReservedSSO_Developer_5f1c2e9a0b7d3c41 | CHG-90211 deploy hotfix | 60 | JustInTime | -"
            ),
            row(
                source,
                2,
                1,
                "ecs-execute-command-9z8y7x6w5v4u3t2s1r0q9p8o7n | ecs:checkout-staging_5b2f9e1c7a3d4e6f8091a2b3c4d5e6f7_5b2f9e1c7a3d4e6f8091a2b3c4d5e6f7-1187203344 | AmazonECS-ExecuteInteractiveCommand | Disconnected | 1773150011 | - | 4789.81667 | arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/lee.ng@example.org | AWSReservedSSO_Developer_5f1c2e9a0b7d3c41 | - | - | - | -"
            ),
        ]
    );
    assert_eq!(counts(&report), [1, 2, 2, 0, 0]);
}

#[test]
fn an_eventbridge_event_gives_the_session_its_cloudtrail_record_started() {
    let source = "tests/fixtures/samples/eventbridge-startsession.json";
    let run = echo(&[source]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        rows(&run.json()),
        [row(
            source,
            1,
            1,
            "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6 | i-0c9e2f7a1b3d5e7f9 | SSM-SessionManagerRunShell | - | 2026-03-10T13:15:30Z | - | 4814.5 | arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/alex.kim@example.org | AWSReservedSSO_Developer_5f1c2e9a0b7d3c41 | CHG-90211 deploy hotfix | - | - | -"
        )]
    );
}

#[test]
fn the_same_session_read_from_the_api_and_from_eventbridge_is_judged_alike_by_the_default_set() {
    // Both samples describe the session alex.kim-q8w7...; StartDate 1773148530.01 and
    // eventTime 2026-03-10T13:15:30Z are 10ms apart, so Duration and hours agree.
    let run = run(&[
        "check",
        "--now",
        NOW,
        "--format",
        "json",
        "tests/fixtures/samples/describe-sessions-api.json",
        "tests/fixtures/samples/eventbridge-startsession.json",
    ]);
    let report = run.json();
    let api = &report["results"][0];
    let cloudtrail = &report["results"][2];
    assert_eq!(api["session_id"], cloudtrail["session_id"]);
    // The API record is Connected, so its age is judged; the CloudTrail one has no Status.
    let rules = |r: &Value| -> Vec<String> {
        r["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(rules(api), ["long-running-active-session"]);
    assert!(rules(cloudtrail).is_empty());
}

// ------------------------------------------------------------------ the other shapes

#[test]
fn several_responses_one_after_another_give_every_page_in_order() {
    let source = "tests/fixtures/inputs/paginated.json";
    let run = echo(&[source]);
    let report = run.json();
    assert_eq!(session_ids(&report), ["page1-a", "page1-b", "page2-a"]);
    let places: Vec<(u64, u64)> = rows(&report).iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(places, [(1, 3), (2, 17), (3, 32)]);
    assert!(
        rows(&report)[2].3.contains("| 1773432000.5 |"),
        "{:?}",
        rows(&report)[2]
    );
    assert_eq!(counts(&report), [1, 3, 3, 0, 0]);
}

#[test]
fn an_array_of_sessions_gives_one_record_per_element() {
    let run = echo(&["tests/fixtures/inputs/array.json"]);
    let report = run.json();
    assert_eq!(session_ids(&report), ["array-1", "array-2"]);
    let places: Vec<(u64, u64)> = rows(&report).iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(places, [(1, 2), (2, 3)]);
}

#[test]
fn a_single_session_object_is_one_record() {
    let source = "tests/fixtures/inputs/single.json";
    let run = echo(&[source]);
    assert_eq!(
        rows(&run.json()),
        [row(
            source,
            1,
            1,
            "single-1 | mi-0c000000000000001 | AWS-StartPortForwardingSession | Connected | 2026-03-13T20:00:00Z | - | 90 | arn:aws:sts::210987654321:assumed-role/DeployAutomation/release | DeployAutomation | - | 30 | Standard | -"
        )]
    );
}

#[test]
fn json_lines_with_crlf_endings_give_a_record_per_session_with_its_line() {
    let source = "tests/fixtures/inputs/crlf.jsonl";
    let run = echo(&[source]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        rows(&report),
        [
            row(
                source,
                1,
                1,
                "lines-1 | i-0d000000000000001 | AWS-StartSSHSession | Connected | 1773432000 | - | 90 | arn:aws:iam::210987654321:user/sam | - | - | 60 | - | -"
            ),
            // A line holding a whole response gives one record per session, all on that line.
            row(
                source,
                2,
                3,
                "lines-2 | i-0d000000000000002 | - | - | - | - | - | - | - | - | - | - | -"
            ),
            row(
                source,
                3,
                3,
                "lines-3 | i-0d000000000000003 | - | - | - | - | - | - | - | - | - | - | -"
            ),
            // The carriage return is a line ending, not part of the value.
            row(
                source,
                4,
                4,
                "lines-4 | i-0d000000000000004 | - | - | - | - | - | - | - | CHG-1234 line ends are CRLF | - | - | -"
            ),
        ]
    );
    assert_eq!(counts(&report), [1, 4, 4, 0, 0]);
}

#[test]
fn a_cloudtrail_log_file_gives_only_its_start_session_events() {
    let source = "tests/fixtures/inputs/cloudtrail-log.json";
    let run = echo(&[source]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        rows(&report),
        [
            row(
                source,
                1,
                2,
                "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6 | i-0c9e2f7a1b3d5e7f9 | SSM-SessionManagerRunShell | - | 2026-03-10T13:15:30Z | - | 4814.5 | arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/alex.kim@example.org | AWSReservedSSO_Developer_5f1c2e9a0b7d3c41 | CHG-90211 deploy hotfix | - | - | -"
            ),
            // No documentName in the request: Session Manager ran its default shell document.
            row(
                source,
                2,
                5,
                "ci-runner-0default0document0 | i-0a9b8c7d6e5f40312 | SSM-SessionManagerRunShell | - | 2026-03-10T14:00:00Z | - | 4770 | arn:aws:sts::210987654321:assumed-role/CiRunner/ci-runner | CiRunner | - | - | - | -"
            ),
            row(
                source,
                3,
                7,
                "ci-runner-1port1forward1 | i-0a9b8c7d6e5f40312 | AWS-StartPortForwardingSession | - | 2026-03-10T14:10:00Z | - | 4760 | arn:aws:sts::210987654321:assumed-role/CiRunner/ci-runner | CiRunner | - | - | - | -"
            ),
        ]
    );
    // TerminateSession, DescribeInstances and ResumeSession are passed over and counted.
    assert_eq!(counts(&report), [1, 3, 3, 0, 3]);
    assert_eq!(report["errors"], json!([]));
}

#[test]
fn the_shipped_cloudtrail_example_gives_only_the_events_that_start_sessions() {
    let text = std::fs::read_to_string(root().join("examples/cloudtrail.json")).unwrap();
    let events: Value = serde_json::from_str(&text).unwrap();
    let events = events["Records"].as_array().unwrap();
    let starts = events
        .iter()
        .filter(|e| {
            (e["eventSource"] == "ssm.amazonaws.com" && e["eventName"] == "StartSession")
                || (e["eventSource"] == "ecs.amazonaws.com" && e["eventName"] == "ExecuteCommand")
        })
        .count() as u64;
    let report = echo(&["examples/cloudtrail.json"]).json();
    assert_eq!(
        counts(&report),
        [1, starts, starts, 0, events.len() as u64 - starts]
    );
    // ECS Exec's ExecuteCommand is a Session Manager session: its id, ECS Exec's document, and
    // the target as far as the event knows it (no container runtime id).
    let source = "examples/cloudtrail.json";
    assert!(rows(&report).contains(&row(
        source,
        2,
        1,
        "ecs-execute-command-ny1o8x2bg468ahjt6p01gzjl5f | ecs:checkout-prod_e2a7c4f19b3d4c6a8e5f7a9b1c3d5e7f_ | AmazonECS-ExecuteInteractiveCommand | - | 2026-03-11T13:15:39Z | - | 3374.35 | arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_PlatformEngineer_8d2e41f0c7a9b365/tomasz.wojcik@example.org | AWSReservedSSO_PlatformEngineer_8d2e41f0c7a9b365 | - | - | - | -"
    )), "{:#?}", rows(&report));
}

#[test]
fn gzip_is_read_whatever_the_file_is_called() {
    let dir = scratch_dir("gzip");
    let plain = std::fs::read(root().join("tests/fixtures/inputs/crlf.jsonl")).unwrap();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&plain).unwrap();
    let gz = encoder.finish().unwrap();
    let named = dir.join("sessions.jsonl.gz");
    let unnamed = dir.join("sessions.jsonl");
    std::fs::write(&named, &gz).unwrap();
    std::fs::write(&unnamed, &gz).unwrap();
    let expected = rows(&echo(&["tests/fixtures/inputs/crlf.jsonl"]).json());
    for path in [&named, &unnamed] {
        let source = path.to_str().unwrap();
        let run = echo(&[source]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let got = rows(&run.json());
        assert_eq!(got.len(), expected.len());
        for (got, want) in got.iter().zip(&expected) {
            assert_eq!(
                (got.0.as_str(), got.1, got.2, &got.3),
                (source, want.1, want.2, &want.3)
            );
        }
    }
}

#[test]
fn gzip_of_a_pretty_printed_response_keeps_its_lines() {
    let dir = scratch_dir("gzip-pretty");
    let plain =
        std::fs::read(root().join("tests/fixtures/samples/describe-sessions-cli-v2.json")).unwrap();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&plain).unwrap();
    let path = dir.join("cli-v2.json.gz");
    std::fs::write(&path, encoder.finish().unwrap()).unwrap();
    let report = echo(&[path.to_str().unwrap()]).json();
    let places: Vec<(u64, u64)> = rows(&report).iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(places, [(1, 3), (2, 19), (3, 31)]);
}

#[test]
fn standard_input_is_read_with_no_input_or_a_dash() {
    let bytes = std::fs::read(root().join("tests/fixtures/inputs/array.json")).unwrap();
    for args in [vec![], vec!["-"]] {
        let mut all = vec!["check", "--now", NOW, "--format", "json", "-p", ECHO];
        all.extend(args);
        let run = run_with_stdin(&all, Some(&bytes));
        let report = run.json();
        let sources: Vec<(String, u64, u64)> =
            rows(&report).into_iter().map(|r| (r.0, r.1, r.2)).collect();
        assert_eq!(
            sources,
            [("<stdin>".to_owned(), 1, 2), ("<stdin>".to_owned(), 2, 3)]
        );
    }
}

// ------------------------------------------------------------------ input errors

#[test]
fn a_broken_record_in_json_lines_is_an_error_with_its_line_and_the_others_are_still_checked() {
    let source = "tests/fixtures/inputs/broken-middle.jsonl";
    let run = echo(&[source]);
    assert_eq!(run.code, 3, "input errors exit 3: {}", run.stderr);
    let report = run.json();
    assert_eq!(session_ids(&report), ["ok-1", "ok-3", "ok-6"]);
    let places: Vec<(u64, u64)> = rows(&report).iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(places, [(1, 1), (3, 3), (8, 6)]);
    let errors: Vec<(u64, u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["source"], source);
            (
                e["record"].as_u64().unwrap(),
                e["line"].as_u64().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, 2, "value is not closed before the end of its line"),
            // A line holding an array is an array of records, each of them not an object.
            (
                4,
                4,
                "unexpected `\"` where a JSON object or array was expected"
            ),
            (
                5,
                4,
                "unexpected `\"` where a JSON object or array was expected"
            ),
            (
                6,
                4,
                "unexpected `\"` where a JSON object or array was expected"
            ),
            (
                7,
                5,
                "duplicate field `Target` (at character 60 of the record)"
            ),
        ]
    );
    assert_eq!(counts(&report), [1, 8, 3, 5, 0]);
}

#[test]
fn a_missing_file_and_a_directory_are_input_errors_and_the_other_inputs_are_still_checked() {
    let run = echo(&[
        "tests/fixtures/inputs/single.json",
        "tests/fixtures/inputs/no-such-file.json",
        "tests/fixtures/inputs",
        "tests/fixtures/inputs/array.json",
    ]);
    assert_eq!(run.code, 3);
    let report = run.json();
    assert_eq!(session_ids(&report), ["single-1", "array-1", "array-2"]);
    assert_eq!(
        report["errors"],
        json!([
            {"source": "tests/fixtures/inputs/no-such-file.json", "record": null, "line": null, "column": null,
             "message": "cannot read input: No such file or directory (os error 2)"},
            {"source": "tests/fixtures/inputs", "record": null, "line": null, "column": null,
             "message": "cannot read input: tests/fixtures/inputs is a directory, not a file"},
        ])
    );
    assert_eq!(counts(&report), [4, 3, 3, 2, 0]);
}

#[test]
fn an_input_error_outranks_violations_in_the_exit_code() {
    // The echo policy warns on every record; with --fail-on warn that alone would exit 1.
    let run = run(&[
        "check",
        "--now",
        NOW,
        "--format",
        "json",
        "--fail-on",
        "warn",
        "-p",
        ECHO,
        "tests/fixtures/inputs/single.json",
        "tests/fixtures/inputs/no-such-file.json",
    ]);
    assert_eq!(run.code, 3);
    let run = crate::support::run(&[
        "check",
        "--now",
        NOW,
        "--format",
        "json",
        "--fail-on",
        "warn",
        "-p",
        ECHO,
        "tests/fixtures/inputs/single.json",
    ]);
    assert_eq!(run.code, 1);
}

#[test]
fn input_errors_go_to_standard_error_in_jsonl_so_every_output_line_is_a_violation() {
    let run = run(&[
        "check",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "-p",
        ECHO,
        "tests/fixtures/inputs/broken-middle.jsonl",
    ]);
    assert_eq!(run.code, 3);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["rule"] == "fields"));
    let errors: Vec<Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(errors.len(), 5, "{}", run.stderr);
    assert_eq!(errors[0]["error"]["line"], 2);
}

#[test]
fn an_empty_input_is_an_error_and_a_response_without_sessions_is_not() {
    let run = run_with_stdin(
        &["check", "--now", NOW, "--format", "json", "-p", ECHO],
        Some(b""),
    );
    assert_eq!(run.code, 3);
    let report = run.json();
    assert_eq!(report["results"], json!([]));
    assert_eq!(counts(&report), [1, 0, 0, 1, 0]);
    assert_eq!(
        report["errors"][0]["message"],
        "the input is empty: it holds no JSON value (no bytes, or only whitespace)"
    );
    let none = run_with_stdin(
        &["check", "--now", NOW, "-p", ECHO],
        Some(br#"{"Sessions": [], "NextToken": null}"#),
    );
    assert_eq!(none.code, 0, "{none:?}");
    assert!(
        none.stdout
            .contains("no sessions: the inputs hold no Session records"),
        "{}",
        none.stdout
    );
}

#[test]
fn a_json_lines_value_that_is_not_an_object_is_an_input_error_in_its_place() {
    let lines = b"{\"SessionId\":\"a\"}\n42\nnull\n\"x\"\ntrue\n{\"SessionId\":\"b\"}\n";
    let run = run_with_stdin(
        &["check", "--now", NOW, "--format", "json", "-p", ECHO],
        Some(lines),
    );
    assert_eq!(run.code, 3);
    let report = run.json();
    assert_eq!(session_ids(&report), ["a", "b"]);
    let places: Vec<(u64, u64)> = rows(&report).iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(places, [(1, 1), (6, 6)]);
    let errors: Vec<(u64, u64)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["record"].as_u64().unwrap(), e["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(errors, [(2, 2), (3, 3), (4, 4), (5, 5)]);
    assert_eq!(counts(&report), [1, 6, 2, 4, 0]);
}

#[test]
fn an_element_of_sessions_that_is_not_an_object_is_an_input_error_and_its_neighbours_are_checked() {
    let response = br#"{"Sessions":[{"SessionId":"a"},5,{"SessionId":"c"}],"NextToken":null}"#;
    let run = run_with_stdin(
        &["check", "--now", NOW, "--format", "json", "-p", ECHO],
        Some(response),
    );
    assert_eq!(run.code, 3);
    let report = run.json();
    assert_eq!(session_ids(&report), ["a", "c"]);
    let records: Vec<u64> = rows(&report).iter().map(|r| r.1).collect();
    assert_eq!(records, [1, 3]);
    assert_eq!(report["errors"][0]["record"], 2);
    assert_eq!(report["errors"][0]["column"], 32);
}

#[test]
fn record_numbers_count_from_1_within_each_input() {
    let report = echo(&[
        "tests/fixtures/inputs/array.json",
        "tests/fixtures/inputs/single.json",
        "tests/fixtures/inputs/paginated.json",
    ])
    .json();
    let numbered: Vec<(String, u64)> = rows(&report).into_iter().map(|r| (r.0, r.1)).collect();
    let expect = |source: &str, record| (format!("tests/fixtures/inputs/{source}"), record);
    assert_eq!(
        numbered,
        [
            expect("array.json", 1),
            expect("array.json", 2),
            expect("single.json", 1),
            expect("paginated.json", 1),
            expect("paginated.json", 2),
            expect("paginated.json", 3),
        ]
    );
    assert_eq!(counts(&report), [3, 6, 6, 0, 0]);
}
