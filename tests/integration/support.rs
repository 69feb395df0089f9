//! Helpers that make each test one line: compile a policy, read a record, evaluate at a fixed
//! time, and run the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use ssm_guard::model::{ParsedRecord, parse_record};
use ssm_guard::{Compiled, Evaluation, Session, SourceMap, Timestamp, compile};

/// The evaluation time of every test that does not choose its own: a Friday evening (UTC).
pub const NOW: &str = "2026-03-13T21:30:00Z";

/// [`NOW`] as an instant.
pub fn now() -> Timestamp {
    at(NOW)
}

/// An RFC 3339 instant.
pub fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// Compiles one policy text, failing the test with every diagnostic if it does not compile.
pub fn compile_policy(yaml: &str) -> Compiled {
    let mut sources = SourceMap::new();
    sources.add("policy.yaml", yaml);
    match compile(&sources, now()) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            let rendered: Vec<String> = diagnostics
                .iter()
                .map(|d| d.render(&sources, false))
                .collect();
            panic!("the policy does not compile:\n{}", rendered.join("\n"))
        }
    }
}

/// Compiles several policy files, named as given, into one set at [`NOW`].
pub fn compile_files(files: &[(&str, &str)]) -> Compiled {
    let mut sources = SourceMap::new();
    for (name, text) in files {
        sources.add(*name, *text);
    }
    compile(&sources, now()).unwrap_or_else(|diagnostics| {
        let rendered: Vec<String> = diagnostics
            .iter()
            .map(|d| d.render(&sources, false))
            .collect();
        panic!("the policies do not compile:\n{}", rendered.join("\n"))
    })
}

/// Reads one Session record from JSON. `{}` is the record with no fields, which operator
/// tests judge; as input it would be an error, since it names no member of Session.
pub fn session(record: &serde_json::Value) -> Session<'static> {
    if record.as_object().is_some_and(|o| o.is_empty()) {
        return Session::default();
    }
    let bytes = serde_json::to_vec(record).unwrap();
    match parse_record(&bytes).unwrap() {
        ParsedRecord::Session(session) => session.into_owned(),
        other => panic!("not a single session: {other:?}"),
    }
}

/// A policy with one rule `t/r` requiring `condition` (YAML, block or flow).
pub fn requiring(condition: &str) -> String {
    let body: String = condition
        .lines()
        .map(|line| format!("      {line}\n"))
        .collect();
    format!("policy: t\nrules:\n  - id: r\n    require:\n{body}")
}

/// The messages of the violations `record` gets from the policy, at [`NOW`].
pub fn violations(record: serde_json::Value, policy_yaml: &str) -> Vec<String> {
    violations_at(record, policy_yaml, now())
}

/// The messages of the violations `record` gets from the policy, at `now`.
pub fn violations_at(record: serde_json::Value, policy_yaml: &str, now: Timestamp) -> Vec<String> {
    let compiled = compile_policy(policy_yaml);
    let evaluation = compiled.set.evaluate(&session(&record), now);
    evaluation
        .violations
        .iter()
        .map(|v| v.message.clone())
        .collect()
}

/// `None` when `condition` holds for `record`, else the message of the violation it gives.
pub fn check(record: serde_json::Value, condition: &str) -> Option<String> {
    check_at(record, condition, now())
}

/// [`check`] at the evaluation time `now`.
pub fn check_at(record: serde_json::Value, condition: &str, now: Timestamp) -> Option<String> {
    let mut messages = violations_at(record, &requiring(condition), now);
    assert!(messages.len() <= 1, "one rule gave {messages:?}");
    messages.pop()
}

/// Whether `condition` holds for `record` at [`NOW`].
pub fn holds(record: serde_json::Value, condition: &str) -> bool {
    check(record, condition).is_none()
}

/// Evaluates `record` against a compiled set, keeping the set alive for the result.
pub fn evaluate<'p>(
    compiled: &'p Compiled,
    record: serde_json::Value,
    now: Timestamp,
) -> Evaluation<'p> {
    compiled.set.evaluate(&session(&record), now)
}

/// The crate's root, where the binary is run so that paths in its output are relative.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for files a test writes.
pub fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("integration-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Each line of stdout as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

/// Runs `ssm-guard` with `args` from the crate's root, without colour.
pub fn run(args: &[&str]) -> Run {
    run_with_stdin(args, None)
}

/// Runs `ssm-guard` with `args`, feeding `stdin`.
pub fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssm-guard"));
    command
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        // A command may answer without reading its input (a usage error): a closed pipe then
        // is its right, not the test's failure.
        if let Err(error) = pipe.write_all(bytes) {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
        }
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Insta settings whose filters make output independent of where the crate and its scratch
/// files are.
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(env!("CARGO_TARGET_TMPDIR")), "[TMP]");
    settings.add_filter(&regex::escape(env!("CARGO_MANIFEST_DIR")), "[ROOT]");
    settings.set_prepend_module_to_snapshot(true);
    settings
}
