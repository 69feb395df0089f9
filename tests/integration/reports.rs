//! The CI and audit formats: SARIF validated against the official schema with its locations
//! and fingerprints checked, JUnit read by a real XML parser, GitHub commands unescaped as the
//! runner does, the HTML report's content (and, opt-in, in headless Chromium), `--output`
//! writing several formats in one pass, and the text summary's rankings.

// Tests index into the JSON and XML they read: a missing part fails the test, as it should.
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};
use ssm_guard::Timestamp;

use crate::support::{NOW, Run, root, run, run_with_stdin, scratch_dir};

const EXAMPLES: [&str; 3] = [
    "examples/sessions.json",
    "examples/sessions.jsonl",
    "examples/cloudtrail.json",
];

/// `check --now NOW` with `args`.
fn check(args: &[&str]) -> Run {
    let mut all = vec!["check", "--now", NOW];
    all.extend_from_slice(args);
    run(&all)
}

fn sarif_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let text =
            std::fs::read_to_string(root().join("tests/fixtures/sarif-schema-2.1.0.json")).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    })
}

/// Parses SARIF output and fails the test with every schema error if it is not valid.
fn valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("SARIF output is not JSON ({e}):\n{text}"));
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF is invalid:\n{}",
        errors.join("\n")
    );
    log
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

/// A scratch file with `text`.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The sessions of the pretty-printed example export.
fn example_sessions() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("examples/sessions.json")).unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    export["Sessions"].as_array().unwrap().clone()
}

/// A policy with a deny rule, a warn rule, an info rule and a waiver, for the level mapping.
const POLICY: &str = r#"
policy: t
description: test policy
rules:
  - id: needs-reason
    description: Sessions carry a Reason. Always.
    severity: high
    require: { Reason: { present: true } }
  - id: short
    action: warn
    severity: medium
    require: { MaxSessionDuration: { lte: 60 } }
  - id: note
    severity: info
    require: { DocumentName: SSM-SessionManagerRunShell }
    message: "document {DocumentName}"
exceptions:
  - id: robots
    rules: [needs-reason]
    when: { Target: { glob: "mi-*" } }
    expires: 2030-01-01
    reason: "robots \"never\" explain, 100% sure"
    approved_by: sec
"#;

// ---------------------------------------------------------------- SARIF

#[test]
fn the_schema_check_rejects_what_is_not_sarif() {
    let wrong = json!({ "version": "2.0.0", "runs": [{ "results": [] }] });
    assert!(!sarif_validator().is_valid(&wrong));
    let bad_level = json!({ "version": "2.1.0", "runs": [{
        "tool": { "driver": { "name": "x" } },
        "results": [{ "message": { "text": "m" }, "level": "fatal" }]
    }] });
    assert!(!sarif_validator().is_valid(&bad_level));
}

#[test]
fn sarif_of_every_example_is_valid_and_complete() {
    for input in EXAMPLES {
        let output = check(&["--format", "sarif", input]);
        assert!(output.code <= 1, "{input}: {}", output.stderr);
        let log = valid_sarif(&output.stdout);
        assert_eq!(log["version"], "2.1.0");
        let runs = log["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1);
        let driver = &runs[0]["tool"]["driver"];
        assert_eq!(driver["name"], "ssm-guard");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let rules = driver["rules"].as_array().unwrap();
        // Every loaded rule is described, whether or not it fired.
        let json_run = check(&["--format", "json", input]);
        let by_rule = json_run.json()["summary"]["by_rule"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(rules.len(), by_rule.len());
        for rule in rules {
            assert!(rule["id"].as_str().unwrap().contains('/'));
            assert!(
                !rule["shortDescription"]["text"]
                    .as_str()
                    .unwrap()
                    .is_empty()
            );
            assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
            assert!(
                ["error", "warning", "note"]
                    .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap())
            );
        }
        // One result per violation, waived ones included, each pointing at its rule.
        let violations: usize = json_run.json()["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["violations"].as_array().unwrap().len())
            .sum();
        let results = results(&log);
        assert_eq!(results.len(), violations, "{input}");
        for result in results {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            let location = &result["locations"][0];
            assert_eq!(
                location["physicalLocation"]["artifactLocation"]["uri"],
                input
            );
            assert!(
                location["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
                    >= 1
            );
            let logical = &location["logicalLocations"][0];
            let field = logical["name"].as_str().unwrap();
            let session = result["properties"]["sessionId"].as_str().unwrap();
            assert_eq!(logical["fullyQualifiedName"], format!("{session}/{field}"));
            let fingerprint = result["partialFingerprints"]["ssmGuardFinding/v1"]
                .as_str()
                .unwrap();
            assert_eq!(fingerprint.len(), 64);
        }
    }
}

/// The line a result names is where its record starts: in the pretty-printed export, the `{`
/// that opens the object holding the session's id; in JSON Lines, the line holding it.
#[test]
fn sarif_locations_point_at_the_line_where_the_record_starts() {
    for input in ["examples/sessions.json", "examples/sessions.jsonl"] {
        let text = std::fs::read_to_string(root().join(input)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let log = valid_sarif(&check(&["--format", "sarif", input]).stdout);
        assert!(!results(&log).is_empty());
        for result in results(&log) {
            let session = result["properties"]["sessionId"].as_str().unwrap();
            let line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap() as usize;
            let id_line = lines
                .iter()
                .position(|l| l.contains(&format!("\"{session}\"")))
                .unwrap()
                + 1;
            if input.ends_with(".jsonl") {
                assert_eq!(line, id_line, "{session}");
            } else {
                let open = (1..=id_line)
                    .rev()
                    .find(|&n| lines[n - 1].trim() == "{")
                    .unwrap();
                assert_eq!(line, open, "{session}");
            }
        }
    }
}

fn fingerprints(log: &Value) -> BTreeSet<(String, String)> {
    results(log)
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["partialFingerprints"]["ssmGuardFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

/// Two exports of the same sessions, in another order, another shape and another timestamp
/// form, give the same findings: same rules, same fingerprints, one per finding.
#[test]
fn sarif_fingerprints_are_stable_across_re_exports() {
    let dir = scratch_dir("fingerprints");
    let mut sessions = example_sessions();
    // Two sessions without an id fall back to target, owner and start.
    sessions.push(json!({
        "Target": "i-0aaaaaaaaaaaaaaaa",
        "Owner": "arn:aws:iam::210987654321:user/nobody",
        "StartDate": "2026-03-12T09:15:00.250000-05:00",
        "DocumentName": "AWS-PasswordReset"
    }));
    sessions.push(json!({
        "Target": "i-0bbbbbbbbbbbbbbbb",
        "Owner": "arn:aws:iam::210987654321:user/nobody",
        "StartDate": "2026-03-12T09:15:00.250000-05:00",
        "DocumentName": "AWS-PasswordReset"
    }));
    let first = write(
        &dir,
        "day1.json",
        &serde_json::to_string_pretty(&json!({ "Sessions": sessions })).unwrap(),
    );
    // The next day's export: reversed, as JSON Lines, start dates as epoch seconds.
    let mut lines = String::new();
    for mut session in sessions.iter().cloned().rev() {
        if let Some(start) = session["StartDate"].as_str() {
            let micros = Timestamp::parse(start).unwrap().as_micros();
            session["StartDate"] = json!(micros as f64 / 1e6);
        }
        lines.push_str(&serde_json::to_string(&session).unwrap());
        lines.push('\n');
    }
    let second = write(&dir, "day2.jsonl", &lines);
    let a = valid_sarif(&check(&["--format", "sarif", first.to_str().unwrap()]).stdout);
    let b = valid_sarif(&check(&["--format", "sarif", second.to_str().unwrap()]).stdout);
    assert_eq!(results(&a).len(), results(&b).len());
    let (fa, fb) = (fingerprints(&a), fingerprints(&b));
    assert_eq!(fa, fb);
    // Distinct findings, distinct fingerprints: the two id-less sessions do not collide.
    assert_eq!(fa.len(), results(&a).len());
    // The line differs between the exports; the fingerprint does not depend on it.
    assert_ne!(
        results(&a)[0]["locations"][0]["physicalLocation"]["region"],
        results(&b)[0]["locations"][0]["physicalLocation"]["region"]
    );
}

#[test]
fn sarif_levels_suppressions_and_properties() {
    let dir = scratch_dir("sarif-levels");
    let policy = write(&dir, "t.yaml", POLICY);
    let input = write(
        &dir,
        "in.jsonl",
        concat!(
            r#"{"SessionId":"s-1","Target":"i-1","MaxSessionDuration":"90","DocumentName":"AWS-StartSSHSession","StartDate":"2026-03-01T10:00:00Z"}"#,
            "\n",
            r#"{"SessionId":"s-2","Target":"mi-2","MaxSessionDuration":"30","DocumentName":"SSM-SessionManagerRunShell","StartDate":"2026-03-01T10:00:00Z"}"#,
            "\n"
        ),
    );
    let output = check(&[
        "-p",
        policy.to_str().unwrap(),
        "--format",
        "sarif",
        input.to_str().unwrap(),
    ]);
    let log = valid_sarif(&output.stdout);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let levels: Vec<&str> = rules
        .iter()
        .map(|r| r["defaultConfiguration"]["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "warning", "note"]);
    assert_eq!(
        rules[0]["shortDescription"]["text"],
        "Sessions carry a Reason"
    );
    assert_eq!(rules[0]["properties"]["security-severity"], "8.0");
    let results = results(&log);
    let by = |session: &str, rule: &str| {
        results
            .iter()
            .find(|r| r["properties"]["sessionId"] == session && r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("no {rule} for {session}"))
    };
    let deny = by("s-1", "t/needs-reason");
    assert_eq!(deny["level"], "error");
    assert_eq!(deny["properties"]["severity"], "high");
    assert_eq!(deny["properties"]["action"], "deny");
    assert_eq!(deny["properties"]["decision"], "deny");
    assert!(deny.get("suppressions").is_none());
    assert_eq!(by("s-1", "t/short")["level"], "warning");
    assert_eq!(by("s-1", "t/note")["level"], "note");
    let waived = by("s-2", "t/needs-reason");
    assert_eq!(waived["level"], "error");
    assert_eq!(
        waived["suppressions"],
        json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "robots \"never\" explain, 100% sure",
            "properties": { "exception": "robots", "approvedBy": "sec", "expires": "2030-01-02T00:00:00Z" }
        }])
    );
    assert_eq!(waived["properties"]["decision"], "allow");
}

#[test]
fn sarif_of_stdin_odd_paths_and_input_errors_is_valid() {
    let dir = scratch_dir("sarif-odd");
    let record = r#"{"SessionId":"s-1","Target":"i-1","Owner":"arn:aws:iam::1:user/x"}"#;
    // Standard input has no file to point at: results keep their logical location.
    let output = run_with_stdin(
        &["check", "--now", NOW, "--format", "sarif"],
        Some(format!("{record}\n").as_bytes()),
    );
    let log = valid_sarif(&output.stdout);
    for result in results(&log) {
        assert!(result["locations"][0].get("physicalLocation").is_none());
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .split('/')
                .next(),
            Some("s-1")
        );
    }
    // A path with spaces and `%` is percent-encoded into a valid URI reference; a broken
    // record becomes a tool execution notification and the run is marked unsuccessful.
    let odd = write(
        &dir,
        "my export 100%.jsonl",
        &format!("{record}\n{{not json\n{record}\n"),
    );
    let output = check(&["--format", "sarif", odd.to_str().unwrap()]);
    assert_eq!(output.code, 3);
    let log = valid_sarif(&output.stdout);
    let uri = results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(uri.ends_with("/my%20export%20100%25.jsonl"), "{uri}");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(
        notification["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    // No record at all: still one valid run with every rule and no results.
    let empty = write(&dir, "empty.json", "[]");
    let log = valid_sarif(&check(&["--format", "sarif", empty.to_str().unwrap()]).stdout);
    assert!(results(&log).is_empty());
}

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_parses_with_a_suite_per_policy_and_counts_that_add_up() {
    let dir = scratch_dir("junit");
    let policy = write(&dir, "t.yaml", POLICY);
    // Markup, quotes, a CDATA end, a control character and a newline in what is reported.
    let hostile = json!({
        "SessionId": "s-<&>\"'",
        "Target": "i-1",
        "MaxSessionDuration": "90",
        "DocumentName": "]]><x>\u{1}\nevil",
        "StartDate": "2026-03-01T10:00:00Z"
    });
    let input = write(
        &dir,
        "in.jsonl",
        &format!(
            "{hostile}\n{}\n",
            r#"{"SessionId":"s-2","Target":"mi-2","MaxSessionDuration":"30","DocumentName":"SSM-SessionManagerRunShell"}"#
        ),
    );
    let output = check(&[
        "-p",
        policy.to_str().unwrap(),
        "--format",
        "junit",
        input.to_str().unwrap(),
    ]);
    assert_eq!(output.code, 1);
    let document = roxmltree::Document::parse(&output.stdout)
        .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{}", output.stdout));
    let root_element = document.root_element();
    assert_eq!(root_element.tag_name().name(), "testsuites");
    let suites: Vec<_> = root_element
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("t"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .count()
            .to_string()
    };
    assert_eq!(
        suite.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    assert_eq!(suite.attribute("failures"), Some(count("failure").as_str()));
    assert_eq!(suite.attribute("skipped"), Some(count("skipped").as_str()));
    // s-1 breaks all three rules; s-2's needs-reason is waived.
    assert_eq!(count("failure"), "3");
    assert_eq!(count("skipped"), "1");
    let failure = cases
        .iter()
        .find(|c| c.attribute("classname") == Some("t.note"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
        .unwrap();
    assert_eq!(
        cases[0].attribute("name"),
        Some("s-<&>\"'"),
        "the session id survives escaping"
    );
    let message = failure.attribute("message").unwrap();
    assert_eq!(message, "document ]]><x>\\u{1}\nevil");
    let skipped = cases
        .iter()
        .find_map(|c| c.children().find(|n| n.has_tag_name("skipped")))
        .unwrap();
    assert_eq!(
        skipped.attribute("message"),
        Some("waived by robots: robots \"never\" explain, 100% sure")
    );
    assert_eq!(
        root_element.attribute("failures"),
        suite.attribute("failures")
    );
}

#[test]
fn junit_of_the_examples_and_of_input_errors_parses() {
    for input in EXAMPLES {
        let output = check(&["--format", "junit", input]);
        let document = roxmltree::Document::parse(&output.stdout).unwrap();
        let names: Vec<&str> = document
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .filter_map(|n| n.attribute("name"))
            .collect();
        // One suite per loaded policy, in load order.
        let log = valid_sarif(&check(&["--format", "sarif", input]).stdout);
        let mut policies: Vec<String> = Vec::new();
        for rule in log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
        {
            let policy = rule["properties"]["policy"].as_str().unwrap().to_owned();
            if !policies.contains(&policy) {
                policies.push(policy);
            }
        }
        assert_eq!(names, policies, "{input}");
    }
    let dir = scratch_dir("junit-errors");
    let input = write(&dir, "bad.jsonl", "{\"SessionId\":\"a\"}\n{oops\n");
    let output = check(&["--format", "junit", input.to_str().unwrap()]);
    assert_eq!(output.code, 3);
    let document = roxmltree::Document::parse(&output.stdout).unwrap();
    let errors = document
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .count();
    assert_eq!(errors, 1);
    assert_eq!(document.root_element().attribute("errors"), Some("1"));
}

// ---------------------------------------------------------------- GitHub

/// What the runner makes of a workflow command line: its name, properties and message.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    fn unescape(text: &str) -> String {
        text.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    }
    let rest = line.strip_prefix("::").unwrap();
    let (head, message) = rest.split_once("::").unwrap();
    let (name, properties) = head.split_once(' ').unwrap_or((head, ""));
    let properties = properties
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_owned(), unescape(v))
        })
        .collect();
    (name.to_owned(), properties, unescape(message))
}

#[test]
fn github_commands_are_escaped_and_located() {
    let dir = scratch_dir("github, odd: dir");
    let policy = write(
        &dir,
        "t.yaml",
        "policy: t\nrules:\n  - id: r\n    require: { Reason: { present: true } }\n    message: \"no reason: {SessionId} 100%\"\n",
    );
    let input = write(
        &dir,
        "a,b.jsonl",
        "{\"SessionId\":\"s-1\\r\\nx\"}\n{\"SessionId\":\"s-2\",\"Reason\":\"ok\"}\n{\"SessionId\":\"s-3\"}\n",
    );
    let output = check(&[
        "-p",
        policy.to_str().unwrap(),
        "--format",
        "github",
        input.to_str().unwrap(),
    ]);
    assert_eq!(output.code, 1);
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", output.stdout);
    let (name, properties, message) = parse_command(lines[0]);
    assert_eq!(name, "error");
    assert_eq!(
        properties,
        [
            ("file".to_owned(), input.to_str().unwrap().to_owned()),
            ("line".to_owned(), "1".to_owned()),
            ("title".to_owned(), "t/r (medium deny)".to_owned()),
        ]
    );
    assert_eq!(message, "no reason: s-1\r\nx 100% [session s-1\r\nx]");
    let (_, properties, _) = parse_command(lines[1]);
    assert_eq!(properties[1], ("line".to_owned(), "3".to_owned()));
    let (name, _, message) = parse_command(lines[2]);
    assert_eq!(name, "notice");
    assert!(
        message.starts_with("3 records checked: 2 deny"),
        "{message}"
    );
}

#[test]
fn github_levels_follow_the_mapping() {
    let dir = scratch_dir("github-levels");
    let policy = write(&dir, "t.yaml", POLICY);
    let input = write(
        &dir,
        "in.jsonl",
        "{\"SessionId\":\"s-1\",\"Target\":\"i-1\",\"MaxSessionDuration\":\"90\"}\n{\"SessionId\":\"s-2\",\"Target\":\"mi-2\",\"MaxSessionDuration\":\"30\",\"DocumentName\":\"SSM-SessionManagerRunShell\"}\n",
    );
    let output = check(&[
        "-p",
        policy.to_str().unwrap(),
        "--format",
        "github",
        input.to_str().unwrap(),
    ]);
    let names: Vec<String> = output.stdout.lines().map(|l| parse_command(l).0).collect();
    assert_eq!(names, ["error", "warning", "notice", "notice", "notice"]);
    assert!(
        output
            .stdout
            .lines()
            .nth(3)
            .unwrap()
            .contains("waived by robots")
    );
}

// ---------------------------------------------------------------- HTML

fn html_report(args: &[&str]) -> String {
    let mut all = vec!["--format", "html"];
    all.extend_from_slice(args);
    check(&all).stdout
}

/// The embedded violations, as the page's script reads them.
fn html_data(page: &str) -> Value {
    let start = page.find("id=\"violations-data\">").unwrap() + "id=\"violations-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

#[test]
fn html_is_self_contained_with_totals_charts_and_waivers() {
    let page = html_report(&EXAMPLES);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched at view time.
    for needle in [
        "<link",
        " src=",
        "href=\"http",
        "@import",
        "url(",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!page.contains(needle), "the page contains {needle}");
    }
    assert!(page.contains("default-src 'none'"));
    let json = check(
        &["--format", "json"]
            .iter()
            .chain(EXAMPLES.iter())
            .copied()
            .collect::<Vec<_>>(),
    )
    .json();
    let summary = &json["summary"];
    for (total, key) in [("deny", "deny"), ("warn", "warn"), ("allow", "allow")] {
        let card = format!(
            "data-total=\"{total}\"><div class=\"value\">{}</div>",
            summary["decisions"][key]
        );
        assert!(page.contains(&card), "{card}");
    }
    for chart in ["chart-rule", "chart-target", "chart-owner", "chart-time"] {
        let at = page.find(&format!("id=\"{chart}\"")).unwrap();
        let figure = &page[at..at + page[at..].find("</figure>").unwrap()];
        assert!(figure.contains("class=\"bar"), "{chart} has no bars");
    }
    let data = html_data(&page);
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len() as u64, summary["violations"].as_u64().unwrap());
    // Waived findings stand apart, with the exception and its reason.
    let waived = &page[page.find("id=\"waived\"").unwrap()..];
    assert!(waived.contains(&format!("Waived findings ({})", summary["waived"])));
    let first_waived = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["violations"].as_array().unwrap())
        .find(|v| v.get("waived_by").is_some())
        .expect("the examples have a waived violation");
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    assert!(waived.contains(&escape(first_waived["waived_by"].as_str().unwrap())));
    assert!(waived.contains(&escape(first_waived["waiver_reason"].as_str().unwrap())));
}

#[test]
fn html_cannot_be_broken_out_of_by_record_values() {
    let dir = scratch_dir("html-inject");
    let input = write(
        &dir,
        "in.jsonl",
        "{\"SessionId\":\"s-1\",\"Target\":\"i-</script><script>alert(1)</script>\",\"Reason\":\"<img src=x onerror=alert(1)>\",\"AccessType\":\"JustInTime\"}\n",
    );
    let page = html_report(&[input.to_str().unwrap()]);
    assert_eq!(
        page.matches("<script").count(),
        2,
        "only the page's own scripts"
    );
    assert!(!page.contains("<img"));
    let data = html_data(&page);
    assert!(
        data["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r[5] == "i-</script><script>alert(1)</script>")
    );
}

#[test]
fn html_report_is_the_same_for_the_same_input() {
    assert_eq!(html_report(&EXAMPLES), html_report(&EXAMPLES));
}

/// Finds Chromium, or says why the browser test is skipped.
fn chromium() -> Option<PathBuf> {
    let candidates = ["chromium", "chromium-browser", "google-chrome"];
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        candidates.iter().find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|p| p.is_file())
            })
        })
    });
    if found.is_none() {
        eprintln!("skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM)");
    }
    found
}

/// The page's DOM after its scripts ran, in headless Chromium, at `fragment`.
fn rendered_dom(browser: &Path, page: &Path, fragment: &str) -> String {
    let profile = scratch_dir("chromium-profile");
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn table_rows(dom: &str) -> Vec<&str> {
    let body = &dom[dom.find("<tbody>").unwrap()..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split("<tr ").skip(1).collect()
}

fn matching(dom: &str) -> usize {
    let at = dom.find("id=\"count\"").unwrap();
    let tag = &dom[at..at + dom[at..].find('>').unwrap()];
    let value = tag.split("data-matching=\"").nth(1).unwrap();
    value[..value.find('"').unwrap()].parse().unwrap()
}

#[test]
#[ignore = "opt-in: needs Debian's chromium (apt-get install chromium); run with --ignored"]
fn html_renders_and_filters_in_headless_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = scratch_dir("html-browser");
    let page = dir.join("report.html");
    let mut args = vec!["check", "--now", NOW, "--output"];
    let output_arg = format!("html={}", page.display());
    args.push(&output_arg);
    args.extend_from_slice(&EXAMPLES);
    run(&args);
    let data = html_data(&std::fs::read_to_string(&page).unwrap());
    let rows: Vec<Value> = data["rows"].as_array().unwrap().clone();
    assert!(!rows.is_empty());

    let dom = rendered_dom(&browser, &page, "");
    assert!(
        dom.contains("Session Manager sessions: policy report"),
        "{dom}"
    );
    assert_eq!(table_rows(&dom).len(), rows.len());
    assert_eq!(matching(&dom), rows.len());
    assert!(
        dom.matches("class=\"bar").count() > 4,
        "the charts have bars"
    );

    // Filter by rule, as the select does (the filter lives in the URL's fragment): the rule
    // with the most violations.
    let count_of = |rule: &str| rows.iter().filter(|r| r[3] == rule).count();
    let rule = rows
        .iter()
        .map(|r| r[3].as_str().unwrap())
        .max_by_key(|rule| (count_of(rule), std::cmp::Reverse(*rule)))
        .unwrap();
    let expected = count_of(rule);
    assert!(expected > 1 && expected < rows.len());
    let dom = rendered_dom(
        &browser,
        &page,
        &format!("#rule={}", rule.replace('/', "%2F")),
    );
    let shown = table_rows(&dom);
    assert_eq!(shown.len(), expected);
    assert!(
        shown
            .iter()
            .all(|r| r.contains(&format!("data-rule=\"{rule}\"")))
    );

    // Free text and decision together.
    let needle = rows
        .iter()
        .find(|r| r[0] == "warn")
        .map(|r| r[4].as_str().unwrap().to_lowercase())
        .unwrap();
    let expected = rows
        .iter()
        .filter(|r| r[0] == "warn" && r.to_string().to_lowercase().contains(&needle))
        .count();
    assert!(expected >= 1);
    let fragment = format!("#q={}&decision=warn", needle.to_uppercase());
    let dom = rendered_dom(&browser, &page, &fragment);
    assert_eq!(matching(&dom), expected);
    assert_eq!(table_rows(&dom).len(), expected);
}

/// The page's DOM after its scripts ran and then clicked, in order, the violations' headers
/// titled `titles`.
fn clicked_dom(browser: &Path, page: &Path, titles: &[&str]) -> String {
    let clicks: String = titles
        .iter()
        .map(|title| {
            format!("document.querySelector('#violations th[title=\"{title}\"]').click();")
        })
        .collect();
    let text = std::fs::read_to_string(page).unwrap();
    let at = text.rfind("</body>").unwrap();
    let copy = page.with_file_name("clicked.html");
    let clicked = format!("{}<script>{clicks}</script>{}", &text[..at], &text[at..]);
    std::fs::write(&copy, clicked).unwrap();
    rendered_dom(browser, &copy, "")
}

/// The text of the `index`-th badge of each shown row: 0 the decision, 1 the severity.
fn badges(dom: &str, index: usize) -> Vec<String> {
    table_rows(dom)
        .iter()
        .map(|row| {
            let badge = row.split("class=\"badge ").nth(index + 1).unwrap();
            badge[..badge.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The value of attribute `data-{name}` of each shown row.
fn row_data(dom: &str, name: &str) -> Vec<String> {
    let needle = format!("data-{name}=\"");
    table_rows(dom)
        .iter()
        .map(|row| {
            let value = &row[row.find(&needle).unwrap() + needle.len()..];
            value[..value.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The text of each shown row's cell of class `class`.
fn cells(dom: &str, class: &str) -> Vec<String> {
    let needle = format!("<td class=\"{class}\">");
    table_rows(dom)
        .iter()
        .map(|row| {
            let value = &row[row.find(&needle).unwrap() + needle.len()..];
            value[..value.find('<').unwrap()].to_owned()
        })
        .collect()
}

#[test]
#[ignore = "opt-in: needs Debian's chromium (apt-get install chromium); run with --ignored"]
fn html_sorts_by_the_clicked_header_in_headless_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = scratch_dir("html-sort");
    let page = dir.join("report.html");
    let mut args = vec!["check", "--now", NOW, "--output"];
    let output_arg = format!("html={}", page.display());
    args.push(&output_arg);
    args.extend_from_slice(&EXAMPLES);
    run(&args);
    let data = html_data(&std::fs::read_to_string(&page).unwrap());
    let rows: Vec<Value> = data["rows"].as_array().unwrap().clone();
    let column = |name: &str| {
        data["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == name)
            .unwrap()
    };
    let text = |row: &Value, name: &str| row[column(name)].as_str().unwrap().to_owned();
    // Ties keep the rows' order in the data, whichever the direction.
    let sorted = |key: &dyn Fn(&Value) -> (i64, String), descending: bool| {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| {
            let by_key = key(&rows[a]).cmp(&key(&rows[b]));
            (if descending { by_key.reverse() } else { by_key }).then(a.cmp(&b))
        });
        order
    };
    let rank = |severity: &str| match severity {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        _ => 1,
    };

    // A ranked column sorts the most serious first on the first click.
    let dom = clicked_dom(&browser, &page, &["Sort by Severity"]);
    let expected: Vec<String> = sorted(&|r| (rank(&text(r, "severity")), String::new()), true)
        .iter()
        .map(|&i| text(&rows[i], "severity"))
        .collect();
    assert!(expected.first() != expected.last(), "severities differ");
    assert_eq!(badges(&dom, 1), expected);
    assert!(dom.contains("aria-sort=\"descending\""));

    // Text sorts ascending first.
    let dom = clicked_dom(&browser, &page, &["Sort by Rule"]);
    let by_rule = sorted(&|r| (0, text(r, "rule")), false);
    let expected: Vec<String> = by_rule.iter().map(|&i| text(&rows[i], "rule")).collect();
    assert_eq!(row_data(&dom, "rule"), expected);
    let decisions: Vec<String> = by_rule
        .iter()
        .map(|&i| text(&rows[i], "decision"))
        .collect();
    assert_eq!(badges(&dom, 0), decisions);

    // A second click reverses; the location sorts by source, then line as a number.
    let dom = clicked_dom(&browser, &page, &["Sort by Location", "Sort by Location"]);
    let location = |r: &Value| {
        let line = r[column("line")].as_i64().unwrap();
        (0, format!("{}:{line:012}", text(r, "source")))
    };
    let expected: Vec<String> = sorted(&location, true)
        .iter()
        .map(|&i| format!("{}:{}", text(&rows[i], "source"), rows[i][column("line")]))
        .collect();
    assert_eq!(cells(&dom, "loc"), expected);
    assert!(dom.contains("aria-sort=\"descending\""));
}

// ---------------------------------------------------------------- --output and text

#[test]
fn outputs_write_several_formats_in_one_pass() {
    let dir = scratch_dir("outputs");
    let formats = ["sarif", "junit", "github", "html", "json", "jsonl", "text"];
    let mut args: Vec<String> = ["check", "--now", NOW, "--format", "text"]
        .map(String::from)
        .to_vec();
    for format in formats {
        args.push("--output".into());
        args.push(format!(
            "{format}={}",
            dir.join(format!("out.{format}")).display()
        ));
    }
    args.extend(EXAMPLES.map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let together = run(&args);
    let alone = check(&[&["--format", "text"][..], &EXAMPLES].concat());
    assert_eq!(together.code, alone.code);
    assert_eq!(together.stdout, alone.stdout);
    for format in formats {
        let written = std::fs::read_to_string(dir.join(format!("out.{format}"))).unwrap();
        let separate = check(&[&["--format", format][..], &EXAMPLES].concat());
        assert_eq!(written, separate.stdout, "{format}");
    }
    valid_sarif(&std::fs::read_to_string(dir.join("out.sarif")).unwrap());
}

#[test]
fn outputs_are_checked_before_anything_is_evaluated() {
    let bad = check(&["--output", "pdf=x.pdf", "examples/sessions.json"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("unknown format `pdf`"),
        "{}",
        bad.stderr
    );
    let bad = check(&["--output", "sarif", "examples/sessions.json"]);
    assert_eq!(bad.code, 2);
    let bad = check(&[
        "--output",
        "sarif=/nonexistent-dir/x.sarif",
        "examples/sessions.json",
    ]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("cannot create"), "{}", bad.stderr);
    assert!(bad.stdout.is_empty());
}

#[test]
fn text_summary_ranks_targets_and_owners() {
    let output = check(&["examples/sessions.json"]);
    let summary = &output.stdout[output.stdout.find("records read from").unwrap()..];
    let targets =
        &summary[summary.find("top targets").unwrap()..summary.find("top owners").unwrap()];
    let owners = &summary[summary.find("top owners").unwrap()..];
    assert!(targets.lines().count() > 2, "{summary}");
    assert!(owners.lines().count() > 2, "{summary}");
    assert!(owners.contains("arn:aws:"), "{summary}");
    // Ranked most first.
    let counts: Vec<u64> = targets
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{targets}");
}

#[test]
fn no_progress_when_standard_error_is_not_a_terminal() {
    let output = check(&["examples/sessions.json"]);
    assert!(!output.stderr.contains("records/s"), "{}", output.stderr);
}

// ---------------------------------------------------------------- snapshots

const FIXTURE_POLICY: &str = "tests/fixtures/reports/policy.yaml";
const FIXTURE_INPUT: &str = "tests/fixtures/reports/sessions.jsonl";

/// What people and CI read, for a small policy and three sessions: a denied one, one whose
/// deny is waived, and one without a `SessionId` (its fingerprint falls back).
#[test]
fn ci_formats_snapshots() {
    let mut settings = crate::support::settings();
    settings.add_filter(&regex::escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
    settings.bind(|| {
        for format in ["sarif", "junit", "github"] {
            let output = check(&["-p", FIXTURE_POLICY, "--format", format, FIXTURE_INPUT]);
            assert_eq!(output.code, 1, "{}", output.stderr);
            let text = if format == "sarif" {
                let log = valid_sarif(&output.stdout);
                serde_json::to_string_pretty(&log).unwrap()
            } else {
                output.stdout
            };
            insta::assert_snapshot!(format!("ci_formats_{format}"), text);
        }
    });
}

#[test]
fn jsonl_and_json_outputs_agree_with_the_violations_in_sarif() {
    let dir = scratch_dir("agree");
    let jsonl = dir.join("out.jsonl");
    let output = check(&[
        "-p",
        FIXTURE_POLICY,
        "--format",
        "sarif",
        "--output",
        &format!("jsonl={}", jsonl.display()),
        FIXTURE_INPUT,
    ]);
    let log = valid_sarif(&output.stdout);
    let lines = Run {
        code: 0,
        stdout: std::fs::read_to_string(&jsonl).unwrap(),
        stderr: String::new(),
    }
    .json_lines();
    assert_eq!(lines.len(), results(&log).len());
    for (line, result) in lines.iter().zip(results(&log)) {
        assert_eq!(
            format!(
                "{}/{}",
                line["policy"].as_str().unwrap(),
                line["rule"].as_str().unwrap()
            ),
            result["ruleId"]
        );
        assert_eq!(line["message"], result["message"]["text"]);
        assert_eq!(
            line["line"],
            result["locations"][0]["physicalLocation"]["region"]["startLine"]
        );
    }
}
