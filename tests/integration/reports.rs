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

mod github;
mod html;
mod junit;
mod outputs;
mod sarif;
