//! The command line: golden outputs of `check` on the shipped export, exit codes, policy
//! selection, `--jobs`, and `validate`.

use std::fmt::Write as _;

use serde_json::Value;

use crate::support::{NOW, Run, root, run, scratch_dir, settings};

const EXPORT: &str = "examples/sessions.json";

/// `check --now NOW` with `args`.
fn check(args: &[&str]) -> Run {
    let mut all = vec!["check", "--now", NOW];
    all.extend_from_slice(args);
    run(&all)
}

// ------------------------------------------------------------------ golden outputs

#[test]
fn check_text_on_the_shipped_export() {
    let run = check(&[EXPORT]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    settings().bind(|| insta::assert_snapshot!("check_text", run.stdout));
}

#[test]
fn check_json_on_the_shipped_export() {
    let run = check(&["--format", "json", EXPORT]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    // The document as written, a result a line, and its structure pretty-printed.
    settings().bind(|| insta::assert_snapshot!("check_json", run.stdout));
}

#[test]
fn check_jsonl_on_the_shipped_export() {
    let run = check(&["--format", "jsonl", EXPORT]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    settings().bind(|| insta::assert_snapshot!("check_jsonl", run.stdout));
}

#[test]
fn check_json_has_a_result_for_every_record_in_input_order() {
    let report = check(&["--format", "json", EXPORT]).json();
    assert_eq!(report["version"], 1);
    let results = report["results"].as_array().unwrap();
    let text = std::fs::read_to_string(root().join(EXPORT)).unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    let sessions = export["Sessions"].as_array().unwrap();
    assert_eq!(results.len(), sessions.len());
    for (index, (result, session)) in results.iter().zip(sessions).enumerate() {
        assert_eq!(result["record"], index as u64 + 1);
        assert_eq!(result["session_id"], session["SessionId"]);
        assert_eq!(result["target"], session["Target"]);
        assert_eq!(result["source"], EXPORT);
        let violations = result["violations"].as_array().unwrap();
        let counted = violations.iter().filter(|v| v.get("waived_by").is_none());
        let worst = counted.fold("allow", |worst, v| {
            match (worst, v["action"].as_str().unwrap()) {
                (_, "deny") | ("deny", _) => "deny",
                _ => "warn",
            }
        });
        assert_eq!(result["decision"], worst, "record {}", index + 1);
    }
    let summary = &report["summary"];
    let decisions = &summary["decisions"];
    let total: u64 = ["deny", "warn", "allow"]
        .iter()
        .map(|d| decisions[d].as_u64().unwrap())
        .sum();
    assert_eq!(total, results.len() as u64);
    assert_eq!(summary["records"], results.len() as u64);
    assert_eq!(summary["evaluated"], results.len() as u64);
}

#[test]
fn every_violation_in_json_carries_the_fields_of_the_contract() {
    let report = check(&["--format", "json", EXPORT]).json();
    let mut seen_waived = false;
    for result in report["results"].as_array().unwrap() {
        for violation in result["violations"].as_array().unwrap() {
            for key in [
                "policy", "rule", "severity", "action", "message", "field", "actual", "expected",
            ] {
                assert!(violation.get(key).is_some(), "{key} missing in {violation}");
            }
            if let Some(exception) = violation.get("waived_by") {
                assert!(exception.is_string());
                seen_waived = true;
            }
        }
    }
    assert!(seen_waived, "the export has waived violations");
}

#[test]
fn jsonl_lines_are_the_json_violations_with_their_record() {
    let json = check(&["--format", "json", EXPORT]).json();
    let lines = check(&["--format", "jsonl", EXPORT]).json_lines();
    let mut expected = Vec::new();
    for result in json["results"].as_array().unwrap() {
        for violation in result["violations"].as_array().unwrap() {
            let mut line = violation.as_object().unwrap().clone();
            for key in [
                "source",
                "record",
                "line",
                "session_id",
                "target",
                "decision",
            ] {
                line.insert(key.to_owned(), result[key].clone());
            }
            expected.push(Value::Object(line));
        }
    }
    assert_eq!(lines, expected);
}

#[test]
fn escaped_ids_targets_and_input_names_are_written_as_the_values_they_are() {
    // Text with escapes goes through the general reader, text without them is copied as read:
    // both, and an input named with a quote and a backslash, come out as the same values.
    let dir = scratch_dir("escapes");
    let path = dir.join("odd \"name\\.jsonl");
    let records = [
        r#"{"SessionId":"a\"b\\c\u0001\t","Target":"i-\"x","Status":"Connected","StartDate":"2026-02-15T11:31:25Z","DocumentName":"Bad"}"#,
        r#"{"SessionId":"plain-1","Target":"i-0123","Status":"Connected","StartDate":"2026-02-15T11:31:25Z","DocumentName":"Bad"}"#,
    ];
    std::fs::write(&path, records.join("\n")).unwrap();
    let path = path.to_str().unwrap();
    for jobs in ["1", "2"] {
        let lines = check(&["--format", "jsonl", "--jobs", jobs, path]).json_lines();
        let ids: Vec<(&str, &str, &str)> = lines
            .iter()
            .map(|l| {
                let text = |key: &str| l[key].as_str().unwrap();
                (text("session_id"), text("target"), text("source"))
            })
            .collect();
        assert!(ids.contains(&("a\"b\\c\u{1}\t", "i-\"x", path)), "{ids:?}");
        assert!(ids.contains(&("plain-1", "i-0123", path)), "{ids:?}");
        let json = check(&["--format", "json", "--jobs", jobs, path]).json();
        assert_eq!(json["results"][0]["session_id"], "a\"b\\c\u{1}\t");
        assert_eq!(json["results"][0]["source"], path);
    }
}

// ------------------------------------------------------------------ exit codes

#[test]
fn exit_code_is_1_when_a_record_is_denied_and_0_with_fail_on_never() {
    assert_eq!(check(&[EXPORT]).code, 1);
    assert_eq!(check(&["--fail-on", "deny", EXPORT]).code, 1);
    assert_eq!(check(&["--fail-on", "warn", EXPORT]).code, 1);
    assert_eq!(check(&["--fail-on", "never", EXPORT]).code, 0);
}

#[test]
fn fail_on_decides_whether_warnings_fail() {
    // The echo policy warns on every record and denies none.
    let warn_only = [
        "-p",
        "tests/fixtures/policies/echo.yaml",
        "tests/fixtures/inputs/single.json",
    ];
    let with = |fail_on: &str| {
        let mut args = vec!["--fail-on", fail_on];
        args.extend_from_slice(&warn_only);
        check(&args).code
    };
    assert_eq!(check(&warn_only).code, 0, "--fail-on defaults to deny");
    assert_eq!(with("deny"), 0);
    assert_eq!(with("warn"), 1);
    assert_eq!(with("never"), 0);
}

#[test]
fn exit_code_is_0_when_every_record_is_allowed() {
    let run = check(&["tests/fixtures/samples/eventbridge-startsession.json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        check(&[
            "--fail-on",
            "warn",
            "tests/fixtures/samples/eventbridge-startsession.json"
        ])
        .code,
        0
    );
}

#[test]
fn exit_code_is_2_for_usage_errors_and_nothing_is_evaluated() {
    for args in [
        vec!["check", "--format", "yaml", EXPORT],
        vec!["check", "--fail-on", "sometimes", EXPORT],
        vec!["check", "--now", "yesterday", EXPORT],
        vec!["check", "--no-such-flag", EXPORT],
        vec!["frobnicate"],
        vec![],
    ] {
        let run = run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn exit_code_is_2_when_the_policies_do_not_compile_and_nothing_is_evaluated() {
    let run = check(&["-p", "tests/fixtures/broken/typos.yaml", EXPORT]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("error: unknown key `requir` in a rule"),
        "{}",
        run.stderr
    );
    let missing = check(&["-p", "tests/fixtures/no-such-policy.yaml", EXPORT]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read `tests/fixtures/no-such-policy.yaml`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn exit_code_is_3_when_an_input_cannot_be_read_even_with_denials() {
    let run = check(&[EXPORT, "tests/fixtures/no-such-export.json"]);
    assert_eq!(run.code, 3);
    assert!(
        run.stdout
            .contains("input error tests/fixtures/no-such-export.json: cannot read input"),
        "{}",
        run.stdout
    );
    assert_eq!(
        check(&["--fail-on", "never", "tests/fixtures/no-such-export.json"]).code,
        3
    );
}

#[test]
fn help_and_version_exit_0() {
    let help = run(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("check"));
    let version = run(&["--version"]);
    assert_eq!(version.code, 0);
    assert!(version.stdout.starts_with("ssm-guard "));
}

// ------------------------------------------------------------------ choosing policies

fn rule_ids(report: &Value) -> Vec<String> {
    report["summary"]["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn policy_ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = rule_ids(report)
        .iter()
        .map(|r| r.split('/').next().unwrap().to_owned())
        .collect();
    ids.dedup();
    ids
}

#[test]
fn without_p_the_embedded_default_set_is_aws_api_and_org_baseline() {
    let report = check(&["--format", "json", EXPORT]).json();
    assert_eq!(policy_ids(&report), ["aws-api", "org-baseline"]);
}

#[test]
fn a_policy_folder_is_searched_recursively_and_its_test_files_are_not_policies() {
    // Each folder of policies/ holds a policy and a *.test.yaml beside it.
    let from_folders = check(&[
        "--format",
        "json",
        "-p",
        "policies/aws-api",
        "-p",
        "policies/org-baseline",
        EXPORT,
    ]);
    assert_eq!(from_folders.code, 1, "{}", from_folders.stderr);
    let report = from_folders.json();
    assert_eq!(policy_ids(&report), ["aws-api", "org-baseline"]);
    // The same set as the embedded one, so the same verdicts.
    let embedded = check(&["--format", "json", EXPORT]).json();
    assert_eq!(report["results"], embedded["results"]);
    // The whole folder: every policy file below it, in path order.
    let all = check(&["--format", "json", "-p", "policies", EXPORT]).json();
    assert_eq!(policy_ids(&all), shipped_policy_ids());
}

/// The ids of the policies under `policies/`, in path order, read from their files.
fn shipped_policy_ids() -> Vec<String> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                walk(&path, found);
            } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
                && !name.contains(".test.")
            {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("policies"), &mut files);
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            let line = text.lines().find(|l| l.starts_with("policy:")).unwrap();
            line.trim_start_matches("policy:")
                .split('#')
                .next()
                .unwrap()
                .trim()
                .to_owned()
        })
        .collect()
}

#[test]
fn a_policy_folder_takes_yaml_and_yml_files_at_any_depth_and_nothing_else() {
    // tests/fixtures/policy-folder also holds *.test.yaml, *.test.yml and a text file.
    let run = check(&[
        "--format",
        "json",
        "-p",
        "tests/fixtures/policy-folder",
        "tests/fixtures/inputs/single.json",
    ]);
    assert_eq!(run.stderr, "");
    assert_eq!(
        rule_ids(&run.json()),
        ["folder-a/reason", "folder-b/target", "folder-c/document"]
    );
}

#[test]
fn with_p_the_set_is_exactly_what_is_named() {
    let report = check(&[
        "--format",
        "json",
        "-p",
        "tests/fixtures/policies/echo.yaml",
        EXPORT,
    ])
    .json();
    assert_eq!(rule_ids(&report), ["echo/fields"]);
}

#[test]
fn builtin_adds_an_embedded_pack_to_an_explicit_set() {
    let report = check(&[
        "--format",
        "json",
        "-p",
        "tests/fixtures/policies/echo.yaml",
        "--builtin",
        "aws-api",
        EXPORT,
    ])
    .json();
    assert_eq!(policy_ids(&report), ["echo", "aws-api"]);
    let only = check(&["--format", "json", "--builtin", "org-baseline", EXPORT]).json();
    assert_eq!(policy_ids(&only), ["org-baseline"]);
}

#[test]
fn an_unknown_builtin_is_a_usage_error_with_a_suggestion() {
    let run = check(&["--builtin", "aws_api", EXPORT]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no embedded policy pack is named `aws_api`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `aws-api`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_same_policy_loaded_twice_is_a_duplicate() {
    let run = check(&[
        "-p",
        "policies/org-baseline/org-baseline.yaml",
        "--builtin",
        "org-baseline",
        EXPORT,
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("policy `org-baseline` is defined twice"),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------------ --jobs

/// A few thousand varied records, enough that evaluation runs on several threads.
fn many_records() -> std::path::PathBuf {
    let dir = scratch_dir("jobs");
    let path = dir.join("many.jsonl");
    let text = std::fs::read_to_string(root().join(EXPORT)).unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    let sessions = export["Sessions"].as_array().unwrap();
    let mut out = String::new();
    for i in 0..5000 {
        let mut session = sessions[i % sessions.len()].clone();
        session["SessionId"] = Value::from(format!("s-{i}"));
        if i % 97 == 50 {
            // Broken lines among the good ones keep their place too.
            out.push_str("{\"SessionId\": \"broken\",\n");
            continue;
        }
        writeln!(out, "{session}").unwrap();
    }
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn output_is_byte_identical_for_every_number_of_jobs() {
    let many = many_records();
    let many = many.to_str().unwrap();
    for format in ["json", "jsonl", "text"] {
        let one = check(&["--format", format, "--jobs", "1", EXPORT, many]);
        let four = check(&["--format", format, "--jobs", "4", EXPORT, many]);
        assert_eq!(one.code, 3);
        assert_eq!(four.code, one.code);
        assert!(
            one.stdout == four.stdout,
            "--format {format}: --jobs 1 and --jobs 4 differ"
        );
        assert_eq!(one.stderr, four.stderr);
    }
    let report = check(&["--format", "json", "--jobs", "3", many]).json();
    assert_eq!(report["summary"]["records"], 5000);
    assert_eq!(report["summary"]["errors"], 52);
    let records: Vec<u64> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"].as_u64().unwrap())
        .collect();
    assert!(
        records.windows(2).all(|w| w[0] < w[1]),
        "results keep input order"
    );
}

// ------------------------------------------------------------------ validate

/// At `NOW`: the shipped waivers expire in 2027, and an expired one is a warning.
#[test]
fn validate_exits_0_on_the_shipped_policies() {
    let run = run(&["validate", "-p", "policies", "--now", NOW]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let policies = shipped_policy_ids().len();
    assert!(
        run.stdout
            .starts_with(&format!("ok: {policies} policies with ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("compiled, 0 warnings\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn validate_exits_0_on_the_embedded_default_set_and_the_specs_example() {
    assert_eq!(run(&["validate"]).code, 0);
    let spec = run(&[
        "validate",
        "-p",
        "tests/fixtures/spec-example",
        "--now",
        NOW,
    ]);
    assert_eq!(spec.code, 0, "{}", spec.stdout);
    assert_eq!(
        spec.stdout,
        "ok: 1 policy with 5 rules compiled, 0 warnings\n"
    );
}

/// `--now` is the day expiry is judged on, whatever the clock says: the spec's example waiver
/// (`expires: 2026-12-31`) is in force on its last day and expired the next, still exit 0.
#[test]
fn validate_judges_expiry_at_now() {
    let at = |now: &str| {
        run(&[
            "validate",
            "-p",
            "tests/fixtures/spec-example",
            "--now",
            now,
        ])
    };
    let last_day = at("2026-12-31T23:59:59Z");
    assert!(
        last_day.stdout.ends_with("0 warnings\n"),
        "{}",
        last_day.stdout
    );
    let after = at("2027-01-01T00:00:00Z");
    assert_eq!(after.code, 0, "{}", after.stdout);
    assert!(
        after.stdout.contains("expired on 2026-12-31"),
        "{}",
        after.stdout
    );
    assert!(after.stdout.ends_with("1 warning\n"), "{}", after.stdout);
}

#[test]
fn validate_exits_2_on_broken_policies() {
    for path in [
        "tests/fixtures/broken/typos.yaml",
        "tests/fixtures/broken/patterns.yaml",
        "tests/fixtures/broken",
    ] {
        let run = run(&["validate", "-p", path]);
        assert_eq!(run.code, 2, "{path}: {}", run.stdout);
        assert!(run.stdout.contains("error: "), "{path}");
        assert!(!run.stdout.contains("ok: "), "{path}");
    }
}

#[test]
fn validate_exits_0_with_warnings_only() {
    let run = run(&["validate", "-p", "tests/fixtures/broken/warnings-only.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with("ok: 1 policy with 1 rule compiled, 2 warnings\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_shipped_policy_tests_pass() {
    let run = run(&["test", "policies"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// A build without the AWS SDK knows the commands and inputs that need it, and says how to get
/// them (exit 2, nothing evaluated; the hook still answers deny).
#[cfg(not(feature = "aws"))]
#[test]
fn what_needs_the_aws_sdk_says_so_in_a_build_without_it() {
    for args in [
        &["check", "ssm:active"][..],
        &[
            "diff",
            "--from",
            "builtin",
            "--to",
            "builtin",
            "ssm:history",
        ],
        &["sweep"],
    ] {
        let run = crate::support::run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("--features aws"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = crate::support::run_with_stdin(&["hook", "--describe"], Some(b"{}"));
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["decision"], "deny");
    assert!(run.stderr.contains("--features aws"), "{}", run.stderr);
    // A query that cannot be read is a usage error in any build.
    let run = crate::support::run(&["check", "ssm:histroy"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("write `ssm:active`"), "{}", run.stderr);
}
