//! `--format asff` and `asff-batches`: every finding of the examples, of the policy library and
//! of waived and owner-less sessions validated against the Security Hub API model by botocore
//! (`tests/asff/validate.py`, offline), and the choices of region, account and identity.

#![allow(clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{NOW, Run, root, run, scratch_dir};

/// `check --now NOW --region eu-west-1` with `args`.
fn check(args: &[&str]) -> Run {
    let mut all = vec!["check", "--now", NOW, "--region", "eu-west-1"];
    all.extend_from_slice(args);
    run(&all)
}

/// A policy with a deny rule, a warn rule, an info rule and a waiver.
const POLICY: &str = r#"
policy: t
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
    message: "document {DocumentName}\nwith a line break"
exceptions:
  - id: robots
    rules: [needs-reason]
    when: { Target: { glob: "mi-*" } }
    expires: 2030-01-01
    reason: "robots \"never\" explain, 100% sure"
    approved_by: sec
"#;

/// Sessions of every target form, one without an owner, one without an id, and values that
/// are long or hold line breaks.
fn sessions() -> String {
    let long = "x".repeat(3000);
    let lines = [
        serde_json::json!({"SessionId": "s-ec2", "Target": "i-0123456789abcdef0", "Owner": "arn:aws:sts::111122223333:assumed-role/Dev/ana", "MaxSessionDuration": "90", "DocumentName": "SSM-SessionManagerRunShell", "StartDate": "2026-03-01T10:00:00Z"}),
        serde_json::json!({"SessionId": "s-node", "Target": "mi-0a1b2c3d4e5f60718", "Owner": "arn:aws:iam::111122223333:user/bob", "MaxSessionDuration": "30", "DocumentName": "SSM-SessionManagerRunShell"}),
        serde_json::json!({"SessionId": "s-ecs", "Target": "ecs:checkout-prod_8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f_8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f-3391045521", "Owner": "arn:aws:sts::111122223333:assumed-role/Ops/lee", "Reason": format!("line one\nline two {long}"), "MaxSessionDuration": "600"}),
        serde_json::json!({"Target": "i-0fedcba9876543210", "Owner": "arn:aws:iam::111122223333:user/sam", "StartDate": 1772366400}),
        serde_json::json!({"SessionId": "s-orphan", "Target": "host.example.org"}),
    ];
    lines.iter().map(|line| format!("{line}\n")).collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the botocore validator on `files`: `None` when python3 or botocore is missing (and
/// not in CI, where that fails the test), else its output, having asserted that it passed.
fn validate(files: &[&Path]) -> Option<String> {
    let script = root().join("tests/asff/validate.py");
    let output = match Command::new("python3")
        .arg(&script)
        .args(files)
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(error) => return skipped(&format!("python3 cannot be run ({error})")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => Some(stdout),
        Some(3) => skipped(stderr.trim()),
        _ => panic!("the findings are not valid for Security Hub:\n{stdout}\n{stderr}"),
    }
}

fn skipped(why: &str) -> Option<String> {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must validate ASFF with botocore, but {why}"
    );
    eprintln!(
        "SKIPPED: ASFF validation against the Security Hub model: {why} (pip install botocore)"
    );
    None
}

#[test]
fn findings_of_every_kind_of_session_are_valid_for_security_hub() {
    let dir = scratch_dir("asff-valid");
    let policy = write(&dir, "policy.yaml", POLICY);
    let input = write(&dir, "sessions.jsonl", &sessions());
    let (policy, input) = (policy.to_str().unwrap(), input.to_str().unwrap());
    let array = check(&[
        "-p",
        policy,
        "--format",
        "asff",
        "--account",
        "444455556666",
        input,
    ]);
    assert_eq!(array.code, 1, "{}", array.stderr);
    let findings: Vec<Value> = serde_json::from_str(&array.stdout).unwrap();
    // Three rules on five sessions, less the rules that hold.
    assert!(findings.len() >= 10, "{}", findings.len());
    let file = write(&dir, "findings.json", &array.stdout);
    let batches = check(&["-p", policy, "--format", "asff-batches", input]);
    let batch_file = write(&dir, "findings.jsonl", &batches.stdout);
    if let Some(report) = validate(&[&file, &batch_file]) {
        assert!(report.contains("0 problems"), "{report}");
    }
    // The session without an owner takes --account; without --account it is left out, and
    // standard error says how many were.
    let orphan: Vec<&Value> = findings
        .iter()
        .filter(|f| f["ProductFields"]["ssm-guard/SessionId"] == "s-orphan")
        .collect();
    assert!(!orphan.is_empty());
    assert!(orphan.iter().all(|f| f["AwsAccountId"] == "444455556666"));
    let batched: Vec<Value> = batches
        .stdout
        .lines()
        .flat_map(|line| serde_json::from_str::<Vec<Value>>(line).unwrap())
        .collect();
    assert_eq!(batched.len(), findings.len() - orphan.len());
    assert!(
        batches.stderr.contains(&format!(
            "{} violations are not in the ASFF findings",
            orphan.len()
        )),
        "{}",
        batches.stderr
    );
    // Waived: suppressed with the reason; the rest new.
    let waived: Vec<&Value> = findings
        .iter()
        .filter(|f| f["Workflow"]["Status"] == "SUPPRESSED")
        .collect();
    assert_eq!(waived.len(), 1);
    assert!(
        waived[0]["Note"]["Text"]
            .as_str()
            .unwrap()
            .contains("robots \"never\" explain")
    );
    let kinds: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["Resources"][0]["Type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["AwsEc2Instance", "AwsEcsTask", "Other"])
    );
    assert!(findings.iter().any(|f| f["Resources"][0]["Id"]
        == "arn:aws:ecs:eu-west-1:111122223333:task/checkout-prod/8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"));
}

#[test]
fn findings_of_the_examples_and_the_policy_library_are_valid_for_security_hub() {
    let dir = scratch_dir("asff-examples");
    let mut files = Vec::new();
    for (n, input) in ["examples/sessions.json", "examples/cloudtrail.json"]
        .iter()
        .enumerate()
    {
        for policies in [None, Some("policies")] {
            let mut args = vec!["--format", "asff"];
            if let Some(policies) = policies {
                args.extend(["-p", policies]);
            }
            args.push(input);
            let output = check(&args);
            assert!(output.code <= 1, "{input}: {}", output.stderr);
            let findings: Vec<Value> = serde_json::from_str(&output.stdout).unwrap();
            assert!(!findings.is_empty(), "{input}");
            files.push(write(
                &dir,
                &format!("{n}-{}.json", files.len()),
                &output.stdout,
            ));
        }
    }
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    if let Some(report) = validate(&paths) {
        assert!(report.contains("0 problems"), "{report}");
    }
}

/// Ids are the SARIF fingerprints, so code scanning and Security Hub name a finding alike,
/// and a re-run updates the same findings.
#[test]
fn ids_are_the_sarif_fingerprints() {
    let sarif: Value =
        serde_json::from_str(&check(&["--format", "sarif", "examples/sessions.json"]).stdout)
            .unwrap();
    let fingerprints: BTreeSet<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["ssmGuardFinding/v1"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let asff: Vec<Value> =
        serde_json::from_str(&check(&["--format", "asff", "examples/sessions.json"]).stdout)
            .unwrap();
    let ids: BTreeSet<String> = asff
        .iter()
        .map(|f| f["Id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, fingerprints);
}

/// Runs `check --format asff` on the example with only `env` of the AWS variables set.
fn asff_with_env(extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssm-guard"));
    command
        .args(["check", "--now", NOW, "--format", "asff"])
        .args(extra)
        .arg("examples/sessions.json")
        .current_dir(root())
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ACCOUNT_ID")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let output = command.output().unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn regions(run: &Run) -> BTreeSet<String> {
    let findings: Vec<Value> = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    findings
        .iter()
        .map(|f| f["Region"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_region_comes_from_the_flag_then_the_environment_then_a_warned_default() {
    let flag = asff_with_env(&["--region", "ap-south-2"], &[("AWS_REGION", "eu-west-3")]);
    assert_eq!(regions(&flag), BTreeSet::from(["ap-south-2".to_owned()]));
    let env = asff_with_env(
        &[],
        &[("AWS_REGION", "eu-west-3"), ("AWS_DEFAULT_REGION", "x")],
    );
    assert_eq!(regions(&env), BTreeSet::from(["eu-west-3".to_owned()]));
    let default_env = asff_with_env(&[], &[("AWS_DEFAULT_REGION", "us-gov-west-1")]);
    let findings: Vec<Value> = serde_json::from_str(&default_env.stdout).unwrap();
    assert!(
        findings[0]["ProductArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws-us-gov:securityhub:us-gov-west-1:")
    );
    let none = asff_with_env(&[], &[]);
    assert_eq!(regions(&none), BTreeSet::from(["us-east-1".to_owned()]));
    assert!(
        none.stderr
            .contains("warning: ASFF findings name the region us-east-1")
    );
    // Nothing is said when the format is not ASFF.
    let text = asff_with_env(&["--format", "json"], &[]);
    assert!(!text.stderr.contains("region"), "{}", text.stderr);
}

#[test]
fn a_malformed_region_or_account_is_a_usage_error() {
    let bad_region = asff_with_env(&["--region", "Europe"], &[]);
    assert_eq!(bad_region.code, 2);
    assert!(
        bad_region.stderr.contains("--region is `Europe`"),
        "{}",
        bad_region.stderr
    );
    let bad_env = asff_with_env(&[], &[("AWS_REGION", "eu west 1")]);
    assert_eq!(bad_env.code, 2);
    assert!(
        bad_env.stderr.contains("AWS_REGION is `eu west 1`"),
        "{}",
        bad_env.stderr
    );
    let bad_account = asff_with_env(&["--region", "eu-west-1", "--account", "12345"], &[]);
    assert_eq!(bad_account.code, 2);
    assert!(
        bad_account.stderr.contains("12-digit"),
        "{}",
        bad_account.stderr
    );
    assert!(bad_account.stdout.is_empty());
    let bad_env = asff_with_env(&["--region", "eu-west-1"], &[("AWS_ACCOUNT_ID", "me")]);
    assert_eq!(bad_env.code, 2);
    assert!(
        bad_env.stderr.contains("AWS_ACCOUNT_ID is `me`"),
        "{}",
        bad_env.stderr
    );
}

/// A session whose owner names no account takes `--account`, else `AWS_ACCOUNT_ID`; an owner's
/// account is never replaced.
#[test]
fn the_fallback_account_comes_from_the_flag_then_the_environment() {
    let dir = scratch_dir("asff-account");
    let policy = write(&dir, "policy.yaml", POLICY);
    let input = write(
        &dir,
        "sessions.jsonl",
        "{\"SessionId\": \"s-1\", \"Target\": \"i-1\"}\n{\"SessionId\": \"s-2\", \"Target\": \"i-2\", \"Owner\": \"arn:aws:iam::111122223333:user/bob\"}\n",
    );
    let accounts = |extra: &[&str], env: &[(&str, &str)]| -> BTreeSet<String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ssm-guard"));
        command
            .args([
                "check",
                "--now",
                NOW,
                "--format",
                "asff",
                "--region",
                "eu-west-1",
            ])
            .arg("-p")
            .arg(&policy)
            .args(extra)
            .arg(&input)
            .env_remove("AWS_ACCOUNT_ID")
            .envs(env.iter().copied());
        let output = command.output().unwrap();
        let findings: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        findings
            .iter()
            .map(|f| f["AwsAccountId"].as_str().unwrap().to_owned())
            .collect()
    };
    let set = |items: &[&str]| {
        items
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(accounts(&[], &[]), set(&["111122223333"]));
    assert_eq!(
        accounts(&[], &[("AWS_ACCOUNT_ID", "444455556666")]),
        set(&["111122223333", "444455556666"])
    );
    assert_eq!(
        accounts(
            &["--account", "777788889999"],
            &[("AWS_ACCOUNT_ID", "444455556666")]
        ),
        set(&["111122223333", "777788889999"])
    );
}

#[test]
fn asff_is_written_by_output_beside_other_reports() {
    let dir = scratch_dir("asff-output");
    let asff = dir.join("findings.json");
    let batches = dir.join("findings.jsonl");
    let output = check(&[
        "--format",
        "json",
        "--output",
        &format!("asff={}", asff.display()),
        "--output",
        &format!("asff-batches={}", batches.display()),
        "examples/sessions.json",
    ]);
    assert!(output.code <= 1, "{}", output.stderr);
    let findings: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&asff).unwrap()).unwrap();
    let batched: Vec<Value> = std::fs::read_to_string(&batches)
        .unwrap()
        .lines()
        .flat_map(|line| serde_json::from_str::<Vec<Value>>(line).unwrap())
        .collect();
    assert_eq!(findings, batched);
    let violations: usize = output.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["violations"].as_array().unwrap().len())
        .sum();
    assert_eq!(findings.len(), violations);
}
