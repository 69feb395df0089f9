//! Several outputs in one pass, the text summary, and snapshots of the CI formats.

use super::*;

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

/// The CI formats are rendered where records are evaluated when they are the only output, and
/// on the writer from owned violations when there are several: both ways must write the same
/// bytes, for any number of jobs, whatever the values hold.
#[test]
fn ci_formats_write_the_same_alone_as_together_for_any_jobs() {
    let dir = scratch_dir("ci-alone-together");
    let policy = write(
        &dir,
        "odd.yaml",
        r#"
policy: odd
rules:
  - id: needs-reason
    require: { Reason: { present: true } }
  - id: short
    action: warn
    message: "duration {MaxSessionDuration} <too> long & 50% of \"it\", ok: y"
    require: { MaxSessionDuration: { lte: 60 } }
  - id: note
    severity: info
    message: "document {DocumentName}\nline two\r\n"
    require: { DocumentName: SSM-SessionManagerRunShell }
exceptions:
  - id: robots
    rules: [needs-reason]
    when: { Target: { glob: "mi-*" } }
    expires: 2030-01-01
    reason: "robots \"never\" explain, 100% sure: <yes> & \n more"
    approved_by: "sec & <ops>"
"#,
    );
    let sessions = [
        json!({"SessionId": "s-1 \"q\" <x> & 50%, a:b\nc", "Target": "mi-2", "Owner": "o,1",
               "MaxSessionDuration": "abc", "DocumentName": "SSM-SessionManagerRunShell",
               "StartDate": 1772366400.123456}),
        json!({"Target": "i-3", "Owner": "arn:aws:iam::111122223333:user/bob",
               "MaxSessionDuration": "61", "StartDate": "2026-03-02T08:00:00.5-05:00"}),
        json!({"SessionId": "", "Target": "x-\u{1}\u{ffff}é", "MaxSessionDuration": 120}),
        json!({"SessionId": "s-4", "Reason": "r", "MaxSessionDuration": "30"}),
    ];
    let mut export = String::new();
    for session in sessions.iter().cycle().take(3000) {
        export.push_str(&session.to_string());
        export.push('\n');
    }
    let input = write(&dir, "odd 100%: <export>.jsonl", &export);
    let (policy, input) = (policy.to_str().unwrap(), input.to_str().unwrap());
    for format in ["sarif", "github", "junit"] {
        let alone = check(&["-p", policy, "--format", format, "--jobs", "1", input]).stdout;
        assert!(alone.len() > 100_000, "{format}: {}", alone.len());
        for jobs in ["1", "2", "4"] {
            let again = check(&["-p", policy, "--format", format, "--jobs", jobs, input]);
            assert!(again.stdout == alone, "{format} alone, --jobs {jobs}");
            let file = dir.join(format!("together.{format}"));
            let output = format!("{format}={}", file.display());
            let args = ["-p", policy, "--format", "jsonl", "--output", &output];
            check(&[&args[..], &["--jobs", jobs, input]].concat());
            let together = std::fs::read_to_string(&file).unwrap();
            assert!(together == alone, "{format} together, --jobs {jobs}");
        }
    }
}
