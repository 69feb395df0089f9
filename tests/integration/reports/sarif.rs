//! SARIF: valid against the OASIS schema, complete, located, with stable fingerprints.

use super::*;

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
