//! Hostile input through `ssm-guard check`: broken encodings, truncated and oversized input,
//! deep nesting, impossible timestamps, repeated keys, byte order marks, CRLF, empty files and
//! directories. Each gives a clear error or a correct result, never a crash, and the records
//! around a bad one are still checked and counted. Also: the output does not depend on the
//! number of threads.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::support::{NOW, Run, run, run_with_stdin, scratch_dir};

/// Writes `bytes` to `name` in `dir`; returns the path as the binary is given it.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `check --format json` of `inputs` against the embedded default set at [`NOW`].
fn check(inputs: &[&str]) -> (Run, Value) {
    let mut args = vec!["check", "--format", "json", "--now", NOW];
    args.extend_from_slice(inputs);
    let run = run(&args);
    let document = run.json();
    (run, document)
}

/// The session ids of the results, in order.
fn ids(document: &Value) -> Vec<&str> {
    document["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap_or("-"))
        .collect()
}

/// `(record, line, message)` of each input error.
fn errors(document: &Value) -> Vec<(Option<u64>, Option<u64>, String)> {
    document["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["record"].as_u64(),
                e["line"].as_u64(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Summary counts `(records, evaluated, errors)`.
fn counts(document: &Value) -> (u64, u64, u64) {
    let summary = &document["summary"];
    (
        summary["records"].as_u64().unwrap(),
        summary["evaluated"].as_u64().unwrap(),
        summary["errors"].as_u64().unwrap(),
    )
}

fn record(id: &str) -> String {
    json!({"SessionId": id, "Target": "i-0123456789abcdef0", "Status": "Terminated"}).to_string()
}

#[test]
fn invalid_utf8_fails_its_record_alone() {
    let dir = scratch_dir("hostile-utf8");
    let mut lines = format!("{}\n", record("s-1")).into_bytes();
    lines.extend_from_slice(b"{\"SessionId\": \"s-\xff\xfe\", \"Target\": \"i-2\"}\n");
    lines.extend_from_slice(format!("{}\n", record("s-3")).as_bytes());
    let mut document = format!("[\n  {},\n  ", record("s-1")).into_bytes();
    document.extend_from_slice(b"{\"SessionId\": \"s-\xc3\x28\"},\n  ");
    document.extend_from_slice(format!("{}\n]\n", record("s-3")).as_bytes());
    for (name, bytes, line) in [("lines.jsonl", lines, 2), ("document.json", document, 3)] {
        let path = write(&dir, name, &bytes);
        let (run, output) = check(&[&path]);
        assert_eq!(run.code, 3, "{run:?}");
        assert_eq!(ids(&output), ["s-1", "s-3"], "{name}");
        let errors = errors(&output);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, Some(2));
        assert_eq!(errors[0].1, Some(line));
        assert!(errors[0].2.starts_with("invalid UTF-8"), "{errors:?}");
        assert_eq!(counts(&output), (3, 2, 1));
    }
    // A stray byte between records is an error of its own, not the loss of the next record.
    let path = write(
        &dir,
        "stray.jsonl",
        b"{\"SessionId\":\"s-1\"}\n\xff\n{\"SessionId\":\"s-3\"}\n",
    );
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-3"]);
    assert!(errors(&output)[0].2.contains("byte 0xff"), "{output}");
}

#[test]
fn truncated_gzip_keeps_what_came_before_and_the_next_input() {
    let dir = scratch_dir("hostile-gzip");
    let all: String = (1..=2000)
        .map(|n| record(&format!("s-{n}")) + "\n")
        .collect();
    let compressed = gzip(all.as_bytes());
    let truncated = write(&dir, "cut.json.gz", &compressed[..compressed.len() / 2]);
    let header_only = write(&dir, "header.json.gz", &compressed[..4]);
    let good = write(
        &dir,
        "good.jsonl",
        format!("{}\n", record("g-1")).as_bytes(),
    );
    let (run, output) = check(&[&truncated, &header_only, &good]);
    assert_eq!(run.code, 3, "{run:?}");
    let results = output["results"].as_array().unwrap();
    let from_cut: Vec<&Value> = results
        .iter()
        .filter(|r| r["source"] == truncated.as_str())
        .collect();
    assert!(
        !from_cut.is_empty() && from_cut.len() < 2000,
        "{}",
        from_cut.len()
    );
    for (n, result) in from_cut.iter().enumerate() {
        assert_eq!(result["record"], n as u64 + 1);
        assert_eq!(result["session_id"], format!("s-{}", n + 1));
    }
    assert_eq!(ids(&output).last(), Some(&"g-1"));
    let errors = errors(&output);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0]
            .2
            .starts_with(&format!("reading stopped after record {}", from_cut.len())),
        "{errors:?}"
    );
    assert!(errors.iter().all(|(record, ..)| record.is_none()));
}

/// A record far beyond the record size limit is skipped as too large, without being buffered
/// (the run stays fast and small), in JSON Lines and inside a `DescribeSessions` response.
#[test]
fn a_100_mb_line_is_an_error_and_the_records_around_it_are_checked() {
    let dir = scratch_dir("hostile-huge");
    let huge = format!(
        "{{\"SessionId\":\"s-2\",\"Reason\":\"{}\"}}",
        "x".repeat(100 << 20)
    );
    let lines = format!("{}\n{huge}\n{}\n", record("s-1"), record("s-3"));
    let document = format!(
        "{{\"Sessions\": [{},\n{huge},\n{}]}}",
        record("s-1"),
        record("s-3")
    );
    drop(huge);
    for (name, text) in [("huge.jsonl", lines), ("huge.json", document)] {
        let path = write(&dir, name, text.as_bytes());
        drop(text);
        let (run, output) = check(&[&path]);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(run.code, 3, "{run:?}");
        assert_eq!(ids(&output), ["s-1", "s-3"], "{name}");
        let errors = errors(&output);
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].0, errors[0].1), (Some(2), Some(2)));
        assert_eq!(
            errors[0].2,
            format!(
                "record of {} bytes exceeds the maximum record size of 16777216 bytes",
                (100 << 20) + 31
            )
        );
        assert_eq!(counts(&output), (3, 2, 1));
    }
}

#[test]
fn a_large_record_under_the_limit_is_evaluated() {
    let dir = scratch_dir("hostile-large");
    let large = json!({"SessionId": "s-2", "Reason": "y".repeat(4 << 20)}).to_string();
    let path = write(
        &dir,
        "large.jsonl",
        format!("{}\n{large}\n{}\n", record("s-1"), record("s-3")).as_bytes(),
    );
    let (run, output) = check(&[&path]);
    assert_eq!(ids(&output), ["s-1", "s-2", "s-3"], "{run:?}");
    // The API caps `Reason` at 256 characters.
    let fields: Vec<&Value> = output["results"][1]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["field"])
        .collect();
    assert!(fields.contains(&&json!("Reason")), "{fields:?}");
}

/// A record whose `key` holds arrays `levels` deep.
fn nested_in(id: &str, key: &str, levels: usize) -> String {
    format!(
        "{{\"SessionId\":\"{id}\",\"{key}\":{}{}}}",
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

/// A record whose field `Details` holds arrays `levels` deep.
fn nested(id: &str, levels: usize) -> String {
    nested_in(id, "Details", levels)
}

#[test]
fn deep_nesting_is_bounded_per_record() {
    let dir = scratch_dir("hostile-deep");
    // A field's value is kept for reports, which must stay readable: 64 levels. Keys the
    // reader does not use are skipped by serde_json without recursion, whatever their depth.
    let lines = [
        record("s-1"),
        nested("s-2", 64),
        nested("s-3", 65),
        nested_in("s-4", "Other", 126),
        nested_in("s-5", "Other", 100_000),
        nested("s-6", 100_000),
        record("s-7"),
    ]
    .join("\n");
    let document = format!(
        "{{\"Sessions\": [{}, {}, {}]}}",
        record("s-1"),
        nested("s-2", 100_000),
        record("s-3")
    );
    let path = write(&dir, "deep.jsonl", lines.as_bytes());
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-2", "s-4", "s-5", "s-7"]);
    let errors: Vec<(Option<u64>, String)> =
        errors(&output).into_iter().map(|e| (e.0, e.2)).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, Some(3));
    let field_limit = "a field's value nested deeper than 64 levels";
    assert!(errors[0].1.starts_with(field_limit), "{errors:?}");
    assert_eq!(errors[1].0, Some(6));
    // Deeper still, serde_json's own limit stops the reading first.
    assert!(
        errors[1]
            .1
            .starts_with("JSON nested deeper than 127 levels"),
        "{errors:?}"
    );
    let path = write(&dir, "deep.json", document.as_bytes());
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-3"]);
    // Deep opening brackets never closed: the framer counts, it does not recurse.
    let path = write(
        &dir,
        "open.jsonl",
        format!("{}\n{}", record("s-1"), "[".repeat(1_000_000)).as_bytes(),
    );
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1"]);
    assert_eq!(counts(&output), (2, 1, 1));
}

#[test]
fn impossible_timestamps_are_unreadable_values_not_crashes() {
    let dir = scratch_dir("hostile-time");
    let policy = write(
        &dir,
        "times.yaml",
        br#"policy: times
rules:
  - id: readable-start
    require: { StartDate: { after: "0001-01-01" } }
  - id: short
    action: warn
    require: { Duration: { lte: 60 } }
  - id: office-hours
    action: warn
    require: { StartDate: { during: { days: [mon, tue, wed, thu, fri], from: "07:00", to: "19:00", offset: "-12:00" } } }
"#,
    );
    let cases: [(&str, Value, bool); 16] = [
        ("year-10000", json!("10000-01-01T00:00:00Z"), false),
        ("year-0", json!("0000-01-01T00:00:00Z"), false),
        (
            "offset-below-year-1",
            json!("0001-01-01T00:00:00+00:01"),
            false,
        ),
        (
            "offset-past-9999",
            json!("9999-12-31T23:59:59-00:01"),
            false,
        ),
        ("last-instant", json!("9999-12-31T23:59:59.999999Z"), true),
        ("february-30", json!("2026-02-30T10:00:00Z"), false),
        ("nan-text", json!("NaN"), false),
        ("infinity-text", json!("Infinity"), false),
        ("negative-epoch", json!(-1), true),
        ("before-year-1", json!(-62_135_596_801_i64), false),
        ("huge-negative", json!(-1e300), false),
        ("huge", json!(1e300), false),
        ("year-10000-epoch", json!(253_402_300_800_i64), false),
        ("max-u64", json!(u64::MAX), false),
        ("min-i64", json!(i64::MIN), false),
        ("tiny", json!(5e-324), true),
    ];
    let mut lines: String = cases
        .iter()
        .map(|(id, start, _)| {
            json!({"SessionId": id, "StartDate": start, "EndDate": "0001-01-01T00:00:00Z"})
                .to_string()
                + "\n"
        })
        .collect();
    // Beyond what a double holds: serde_json rejects the number, so the record is an input error.
    lines.push_str("{\"SessionId\":\"overflow\",\"StartDate\":1e400}\n");
    lines.push_str(&(record("last") + "\n"));
    let path = write(&dir, "times.jsonl", lines.as_bytes());
    let run = run(&[
        "check", "--format", "json", "--now", NOW, "-p", &policy, &path,
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    let output = run.json();
    let results = output["results"].as_array().unwrap();
    assert_eq!(results.len(), cases.len() + 1);
    for ((id, start, readable), result) in cases.iter().zip(results) {
        assert_eq!(result["session_id"], *id);
        let rules: Vec<&str> = result["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["rule"].as_str().unwrap())
            .collect();
        assert_eq!(
            !rules.contains(&"readable-start"),
            *readable,
            "{id} ({start}): {result}"
        );
    }
    let errors = errors(&output);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, Some(cases.len() as u64 + 1));
    assert!(errors[0].2.starts_with("number out of range"), "{errors:?}");
    assert_eq!(ids(&output).last(), Some(&"last"));
}

#[test]
fn a_field_named_twice_is_an_error_for_its_record() {
    let dir = scratch_dir("hostile-dup");
    let lines = [
        record("s-1"),
        r#"{"SessionId":"s-2","Target":"i-1","Target":"i-2"}"#.to_owned(),
        r#"{"SessionId":"s-3","OutputUrl":{"S3OutputUrl":"s3://a","S3OutputUrl":"s3://b"}}"#
            .to_owned(),
        // A response whose second `Sessions` would hide the first.
        r#"{"Sessions":[{"SessionId":"s-4"}],"Sessions":[{"SessionId":"s-5"}]}"#.to_owned(),
        r#"{"SessionId":"s-6","Extra":1,"Extra":2}"#.to_owned(),
        record("s-7"),
    ]
    .join("\r\n");
    // At the top level the framer takes both `Sessions` arrays apart: nothing is hidden.
    let path = write(&dir, "dup.jsonl", lines.as_bytes());
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-4", "s-5", "s-6", "s-7"]);
    let messages: Vec<String> = errors(&output).into_iter().map(|e| e.2).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("duplicate field `Target`"));
    assert!(messages[1].starts_with("duplicate field `OutputUrl.S3OutputUrl`"));

    // Inside an array the response is one record for the parser, which refuses to pick one.
    let nested = write(
        &dir,
        "nested.json",
        br#"[{"SessionId":"s-1"}, {"Sessions":[{"SessionId":"s-2"}],"Sessions":[{"SessionId":"s-3"}]}, {"SessionId":"s-4"}]"#,
    );
    let (run, output) = check(&[&nested]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-4"]);
    assert!(errors(&output)[0].2.starts_with("duplicate key `Sessions`"));
}

#[test]
fn byte_order_marks_are_skipped_at_the_start_only() {
    let dir = scratch_dir("hostile-bom");
    let bom = b"\xef\xbb\xbf";
    let document = [
        &bom[..],
        format!("[{}, {}]", record("s-1"), record("s-2")).as_bytes(),
    ]
    .concat();
    let lines = [
        &bom[..],
        format!("{}\r\n", record("s-1")).as_bytes(),
        bom,
        format!("{}\r\n{}\r\n", record("s-2"), record("s-3")).as_bytes(),
    ]
    .concat();
    let plain = write(&dir, "bom.json", &document);
    let zipped = write(&dir, "bom.json.gz", &gzip(&document));
    let (run, output) = check(&[&plain, &zipped]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-2", "s-1", "s-2"]);
    let stdin = run_with_stdin(
        &["check", "--format", "json", "--now", NOW],
        Some(&document),
    );
    assert_eq!(ids(&stdin.json()), ["s-1", "s-2"], "{stdin:?}");
    // A mark inside the stream is not a record: an error on its line, the rest checked.
    let path = write(&dir, "bom-inside.jsonl", &lines);
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-3"]);
    assert_eq!(errors(&output)[0].0, Some(2));
    assert_eq!(errors(&output)[0].1, Some(2));
}

#[test]
fn crlf_json_lines_and_documents_read_as_lf() {
    let dir = scratch_dir("hostile-crlf");
    let lines = format!(
        "{}\r\n\r\n{}\r\n{{\"SessionId\":\r\n{}\r\n",
        record("s-1"),
        record("s-2"),
        record("s-4")
    );
    let path = write(&dir, "crlf.jsonl", lines.as_bytes());
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-2", "s-4"]);
    let lines_of: Vec<u64> = output["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines_of, [1, 3, 5]);
    assert_eq!(errors(&output)[0].1, Some(4));

    let pretty = serde_json::to_string_pretty(&json!({"Sessions": [
        {"SessionId": "s-1", "Reason": "a\r\nb"}, {"SessionId": "s-2"}
    ]}))
    .unwrap()
    .replace('\n', "\r\n");
    let path = write(&dir, "crlf.json", pretty.as_bytes());
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ids(&output), ["s-1", "s-2"]);
    assert_eq!(output["results"][1]["line"], 7);
}

#[test]
fn an_empty_input_is_an_error_naming_it_and_the_others_are_still_checked() {
    let dir = scratch_dir("hostile-empty");
    let empty = write(&dir, "empty.json", b"");
    let blank = write(&dir, "blank.jsonl", b" \r\n\t\n\n");
    let empty_gzip = write(&dir, "empty.json.gz", &gzip(b""));
    let bom_only = write(&dir, "bom-only.json", b"\xef\xbb\xbf");
    let good = write(&dir, "good.jsonl", record("s-1").as_bytes());
    let (run, output) = check(&[&empty, &blank, &empty_gzip, &bom_only, &good]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1"]);
    let named: Vec<&str> = output["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(named, [&empty, &blank, &empty_gzip, &bom_only]);
    let errors = errors(&output);
    assert!(
        errors.iter().all(|e| e.2.contains("the input is empty")),
        "{errors:?}"
    );
    assert_eq!(output["summary"]["inputs"], 5);
    let stdin = run_with_stdin(&["check", "--format", "json", "--now", NOW], Some(b""));
    assert_eq!(stdin.code, 3, "{stdin:?}");
    assert_eq!(stdin.json()["errors"][0]["source"], "<stdin>");
}

#[test]
fn a_directory_or_missing_file_as_input_is_an_error_naming_it() {
    let dir = scratch_dir("hostile-dir");
    let good = write(&dir, "good.jsonl", record("s-1").as_bytes());
    let missing = dir.join("missing.json").display().to_string();
    let folder = dir.display().to_string();
    let (run, output) = check(&[&folder, &good, &missing]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(ids(&output), ["s-1"]);
    let errors = errors(&output);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].2.contains(&format!("{folder} is a directory")),
        "{errors:?}"
    );
    assert!(errors[1].2.starts_with("cannot read input"), "{errors:?}");
    let text = run_text(&[&folder, &good]);
    assert_eq!(text.code, 3);
    assert!(text.stdout.contains("is a directory"), "{text:?}");
}

fn run_text(inputs: &[&str]) -> Run {
    let mut args = vec!["check", "--format", "text", "--now", NOW];
    args.extend_from_slice(inputs);
    run(&args)
}

/// Records of every kind, good and bad, one per line: `(line, whether it is readable)`.
fn mixed_lines() -> Vec<(Vec<u8>, bool)> {
    let mut lines: Vec<(Vec<u8>, bool)> = Vec::new();
    for n in 0..40 {
        let good = json!({
            "SessionId": format!("s-{n}"),
            "Target": format!("i-{:017x}", n),
            "Status": "Terminated",
            "DocumentName": if n % 3 == 0 { "AWS-StartSSHSession" } else { "SSM-SessionManagerRunShell" },
            "StartDate": 1_773_148_530 + n * 3600,
            "Owner": "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/ana",
        });
        lines.push((good.to_string().into_bytes(), true));
        let bad: &[u8] = match n % 8 {
            0 => b"{\"SessionId\": \"broken\", ",
            1 => b"[1]",
            2 => b"{\"SessionId\":\"dup\",\"Owner\":\"a\",\"Owner\":\"b\"}",
            3 => b"{\"SessionId\":\"\xff\"}",
            4 => b"oops",
            5 => b"{\"SessionId\":\"n\",\"StartDate\":1e999}",
            6 => b"\"just a string\"",
            _ => continue,
        };
        lines.push((bad.to_vec(), false));
    }
    lines.push((nested("deep", 200).into_bytes(), false));
    lines
}

/// Records read, evaluated and in error equal what the input holds, in every report.
#[test]
fn nothing_is_lost_in_a_mixed_file() {
    let dir = scratch_dir("hostile-mixed");
    let lines = mixed_lines();
    let total = lines.len() as u64;
    let good = lines.iter().filter(|(_, ok)| *ok).count() as u64;
    let bytes: Vec<u8> = lines
        .iter()
        .flat_map(|(line, _)| line.iter().copied().chain([b'\n']))
        .collect();
    let path = write(&dir, "mixed.jsonl", &bytes);
    let (run, output) = check(&[&path]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(counts(&output), (total, good, total - good));
    assert_eq!(output["results"].as_array().unwrap().len() as u64, good);
    assert_eq!(
        output["errors"].as_array().unwrap().len() as u64,
        total - good
    );
    // Every record number of the input appears once, as a result or as an error.
    let mut numbers: Vec<u64> = output["results"]
        .as_array()
        .unwrap()
        .iter()
        .chain(output["errors"].as_array().unwrap())
        .map(|item| item["record"].as_u64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=total).collect::<Vec<_>>());

    let text = run_text(&[&path]);
    assert_eq!(text.code, 3);
    let summary = format!(
        "{total} records read from 1 input: {good} evaluated, {} input errors",
        total - good
    );
    assert!(text.stdout.contains(&summary), "{}", text.stdout);

    let sarif = crate::support::run(&["check", "--format", "sarif", "--now", NOW, &path]);
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(
        invocation["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .len() as u64,
        total - good
    );
    assert_eq!(sarif["runs"][0]["properties"]["summary"]["records"], total);
}

/// A few thousand records (three batches of the linter's) of many shapes, bad ones among them.
fn generated_input(dir: &Path) -> PathBuf {
    let mut out = Vec::new();
    let mut state = 0x5eed_u64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    const DOCUMENTS: [&str; 4] = [
        "SSM-SessionManagerRunShell",
        "AWS-StartSSHSession",
        "AWS-StartPortForwardingSession",
        "Custom-Doc",
    ];
    const ROLES: [&str; 4] = [
        "AWSReservedSSO_Developer_5f1c2e9a0b7d3c41",
        "CiRunner",
        "BreakGlass",
        "Intern",
    ];
    for n in 0..2500 {
        if next(50) == 0 {
            out.extend_from_slice(b"{\"SessionId\": broken}\n");
            continue;
        }
        let start = 1_773_000_000 + next(900_000) as i64;
        let record = json!({
            "SessionId": format!("user-{n:05}"),
            "Target": format!("i-0{:016x}", next(40)),
            "Status": if next(4) == 0 { "Connected" } else { "Terminated" },
            "StartDate": start,
            "EndDate": start + next(20_000) as i64,
            "DocumentName": DOCUMENTS[next(4) as usize],
            "Owner": format!("arn:aws:sts::210987654321:assumed-role/{}/u{}", ROLES[next(4) as usize], next(9)),
            "Reason": if next(3) == 0 { "INC-42 disk".to_owned() } else { "x".repeat(next(300) as usize) },
            "MaxSessionDuration": format!("{}", 10 + next(600)),
            "OutputUrl": {"S3OutputUrl": "", "CloudWatchOutputUrl": ""},
        });
        out.extend_from_slice(record.to_string().as_bytes());
        out.push(b'\n');
    }
    let path = dir.join("generated.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    let dir = scratch_dir("hostile-jobs");
    let input = generated_input(&dir);
    let input = input.to_str().unwrap();
    for format in ["json", "sarif"] {
        let outputs: Vec<Run> = ["1", "2", "4"]
            .iter()
            .map(|jobs| {
                run(&[
                    "check", "--format", format, "--now", NOW, "--jobs", jobs, input,
                ])
            })
            .collect();
        assert_eq!(outputs[0].code, 3, "{:?}", outputs[0].stderr);
        assert!(outputs[0].stdout.len() > 100_000);
        for other in &outputs[1..] {
            assert_eq!(other.code, outputs[0].code);
            assert!(other.stdout == outputs[0].stdout, "{format} differs");
        }
    }
}

/// `validate -p` on one policy text: its exit code and diagnostics.
fn validate(name: &str, text: &str) -> (i32, String) {
    let dir = scratch_dir("hostile-policy");
    let path = write(&dir, name, text.as_bytes());
    let run = run(&["validate", "-p", &path]);
    (run.code, run.stdout + &run.stderr)
}

#[test]
fn policy_limits_give_errors_that_name_the_file_and_place() {
    let huge = format!("policy: p\n# {}\n", "x".repeat(1 << 20));
    let (code, out) = validate("huge.yaml", &huge);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("huge.yaml` is 1048589 bytes, more than the limit of 1048576"));
    // Texts given to the library directly are held to the same limit.
    let mut sources = ssm_guard::SourceMap::new();
    sources.add("direct.yaml", huge);
    let diagnostics = ssm_guard::compile(&sources, crate::support::now()).unwrap_err();
    assert_eq!(
        diagnostics[0].message(),
        "policy file `direct.yaml` is 1048589 bytes, more than the limit of 1048576"
    );

    let rules: String = (0..1001)
        .map(|n| format!("  - {{ id: r{n}, require: {{ Target: i-{n} }} }}\n"))
        .collect();
    let (code, out) = validate("rules.yaml", &format!("policy: p\nrules:\n{rules}"));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("error: 1001 rules in one policy, more than the limit of 1000"),
        "{out}"
    );
    assert!(out.contains("rules.yaml:3:3"), "{out}");

    let globs: Vec<String> = (0..4097).map(|n| format!("\"i-{n}?\"")).collect();
    let (code, out) = validate(
        "globs.yaml",
        &format!(
            "policy: p\nrules:\n  - id: r\n    require: {{ Target: {{ glob: [{}] }} }}\n",
            globs.join(", ")
        ),
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("4097 patterns in one `glob`, more than the limit of 4096"),
        "{out}"
    );
    assert!(out.contains("globs.yaml:4:"), "{out}");

    let (code, out) = validate(
        "regex.yaml",
        "policy: p\nrules:\n  - id: r\n    require: { Reason: { matches: '\\w{1000}\\w{1000}' } }\n",
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("regex.yaml:4:"), "{out}");
    assert!(out.contains("exceeds size limit"), "{out}");

    // An alias bomb never expands: anchors are refused where they stand.
    let bomb =
        "policy: p\nrules:\n  - id: r\n    require: &a { Target: x }\n  - id: s\n    require: *a\n";
    let (code, out) = validate("bomb.yaml", bomb);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("YAML anchors and aliases are not supported"),
        "{out}"
    );
    assert!(out.contains("bomb.yaml:4:"), "{out}");

    let deep = format!(
        "policy: p\nrules:\n  - id: r\n    require: {}{{ Target: x }}{}\n",
        "{ not: ".repeat(5000),
        " }".repeat(5000)
    );
    let (code, out) = validate("deep.yaml", &deep);
    assert_eq!(code, 2);
    assert!(out.contains("recursion limit exceeded"), "{}", &out[..200]);
}
