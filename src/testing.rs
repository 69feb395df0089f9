//! Policy tests (`*.test.yaml`): loading them beside the policies they test, running them, and
//! measuring which rules the tests made fail and saw pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::compile;
use crate::diagnostic::{Diagnostic, Level, closest};
use crate::model::{ParsedRecord, Session, SessionTags, TagSet, Tags, Timestamp, parse_record};
use crate::policy::{CompiledPolicySet, Decision, Rule};
use crate::source::{SourceMap, is_test_file};

mod file;
pub mod suggest;
mod yaml;

pub use file::{Located, SessionDoc, TestDoc, TestFile, read as read_test_file};

/// A problem in a test file, or in finding one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TestFileError {
    #[error("cannot read `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("invalid test file: {message}")]
    Invalid { message: String },
    #[error("test expects unknown rule `{id}`")]
    UnknownExpectedRule {
        id: String,
        suggestion: Option<String>,
    },
    #[error("`{text}` is not an RFC 3339 timestamp or a date")]
    InvalidNow { text: String },
    #[error("cannot read the session of test `{test}`: {message}")]
    InvalidSession { test: String, message: String },
}

impl TestFileError {
    /// The fix, or the closest valid name, when there is one.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::UnknownExpectedRule { suggestion, .. } => suggestion
                .as_ref()
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some("expectations name rules as `policy/rule`".to_owned())),
            Self::InvalidNow { .. } => Some(
                "write e.g. `2026-12-31T18:00:00Z`, `2026-12-31T19:00:00+01:00` or `2026-12-31`"
                    .to_owned(),
            ),
            Self::Io { .. } | Self::Invalid { .. } | Self::InvalidSession { .. } => None,
        }
    }
}

/// An expected violation: its `policy/rule` id, and optionally what it must say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    pub rule: String,
    pub field: Option<String>,
    pub message_contains: Option<String>,
}

/// One test, ready to run.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub file: String,
    pub name: String,
    pub session: Session<'static>,
    pub now: Option<Timestamp>,
    pub decision: Option<Decision>,
    pub violations: Option<Vec<Expected>>,
    pub waived: Option<Vec<Expected>>,
}

/// The policies of one folder and the tests beside them.
#[derive(Debug)]
pub struct Suite {
    pub folder: PathBuf,
    pub sources: SourceMap,
    pub set: CompiledPolicySet,
    pub tests: Vec<TestCase>,
    pub warnings: Vec<Diagnostic>,
}

/// What a test run found.
#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    pub file: String,
    pub name: String,
    pub passed: bool,
    /// What did not match, one line each.
    pub mismatches: Vec<String>,
    /// The violations the policies gave, not waived: `(id, message)`.
    pub actual: Vec<(String, String)>,
    /// The waived ones.
    pub actual_waived: Vec<(String, String)>,
    pub decision: Decision,
    /// Expected no violations while no rule applied: the test proves nothing.
    pub vacuous: bool,
}

/// How the tests exercised one rule.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleCoverage {
    pub rule: String,
    /// Tests whose session the rule applied to.
    pub applied: u64,
    /// Of those, tests in which it held.
    pub passed: u64,
    /// Of those, tests in which it gave a violation (waived or not).
    pub failed: u64,
}

impl RuleCoverage {
    /// Covered means some test made the rule fail and some saw it pass.
    pub fn is_covered(&self) -> bool {
        self.passed > 0 && self.failed > 0
    }

    /// Why the rule is not covered, in words; `None` when it is.
    pub fn gap(&self) -> Option<&'static str> {
        match (self.failed, self.passed) {
            _ if self.is_covered() => None,
            (0, 0) => Some("no test applied to it"),
            (0, _) => Some("no test made it fail"),
            _ => Some("no test saw it pass"),
        }
    }
}

/// The results of running every suite.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TestReport {
    pub outcomes: Vec<TestOutcome>,
    pub coverage: Vec<RuleCoverage>,
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    pub fn uncovered(&self) -> impl Iterator<Item = &RuleCoverage> {
        self.coverage.iter().filter(|c| !c.is_covered())
    }

    pub fn vacuous(&self) -> impl Iterator<Item = &TestOutcome> {
        self.outcomes.iter().filter(|o| o.vacuous)
    }

    /// Whether the run passes: every test passed and, with `strict` (`test --strict`), every
    /// rule is covered and no test is vacuous.
    pub fn passes(&self, strict: bool) -> bool {
        self.problems(strict).is_empty()
    }

    /// What fails the run, one line each: every failed test with what did not match and, with
    /// `strict`, every uncovered rule and every vacuous test.
    pub fn problems(&self, strict: bool) -> Vec<String> {
        let mut problems = Vec::new();
        for outcome in self.outcomes.iter().filter(|o| !o.passed) {
            problems.push(format!(
                "test failed: {}: {}: {}",
                outcome.file,
                outcome.name,
                outcome.mismatches.join("; ")
            ));
        }
        if strict {
            for rule in &self.coverage {
                if let Some(gap) = rule.gap() {
                    problems.push(format!("rule uncovered: {}: {gap}", rule.rule));
                }
            }
            for outcome in self.vacuous() {
                problems.push(format!(
                    "test vacuous: {}: {}: it expects no violations, but no rule applied",
                    outcome.file, outcome.name
                ));
            }
        }
        problems
    }
}

/// Finds test files under the paths and loads each folder's suite: its policies (the folder's
/// policy files, recursively) compiled once, and its tests checked against them.
/// Returns every diagnostic on failure, with the source map to render them.
pub fn load_suites(
    paths: &[PathBuf],
    now: Timestamp,
) -> Result<Vec<Suite>, (SourceMap, Vec<Diagnostic>)> {
    let mut files = Vec::new();
    for path in paths {
        if let Err(error) = collect_test_files(path, &mut files) {
            let problem = TestFileError::Io {
                path: path.display().to_string(),
                message: error.to_string(),
            };
            return Err((
                SourceMap::new(),
                vec![Diagnostic {
                    level: Level::Error,
                    location: None,
                    problem: problem.into(),
                }],
            ));
        }
    }
    files.sort();
    files.dedup();
    let mut by_folder: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        let folder = file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        by_folder.entry(folder).or_default().push(file);
    }
    let mut suites = Vec::new();
    for (folder, files) in by_folder {
        suites.push(load_suite(&folder, &files, now)?);
    }
    Ok(suites)
}

/// Loads one folder's suite: its policies (recursively) and the test files directly in it,
/// which may be none: what a test file written into the folder would run against. An empty
/// test file is passed over: it is what `test --suggest DIR > DIR/x.test.yaml` creates before
/// the command runs.
pub fn load_folder(folder: &Path, now: Timestamp) -> Result<Suite, (SourceMap, Vec<Diagnostic>)> {
    let listed = std::fs::read_dir(folder).and_then(|entries| {
        entries
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<PathBuf>, _>>()
    });
    let mut files: Vec<PathBuf> = match listed {
        Ok(entries) => entries
            .into_iter()
            .filter(|p| p.is_file() && is_test_file(p))
            .filter(|p| std::fs::read(p).map_or(true, |b| !b.trim_ascii().is_empty()))
            .collect(),
        Err(error) => {
            let problem = TestFileError::Io {
                path: folder.display().to_string(),
                message: error.to_string(),
            };
            return Err((
                SourceMap::new(),
                vec![Diagnostic {
                    level: Level::Error,
                    location: None,
                    problem: problem.into(),
                }],
            ));
        }
    };
    files.sort();
    load_suite(folder, &files, now)
}

/// Checks tests written as text (a test file's content) against a suite's policies, as if
/// the file were in the suite's folder: the report, or the first problems reading it.
pub(crate) fn run_text(
    suite: &Suite,
    name: &str,
    text: &str,
    clock: Timestamp,
) -> Result<TestReport, Vec<Diagnostic>> {
    let mut sources = SourceMap::new();
    let source = sources.add(name.to_owned(), text.to_owned());
    let mut tests = Vec::new();
    let mut diagnostics = Vec::new();
    let file = suite.folder.join(name);
    load_tests(
        &suite.set,
        &file,
        source,
        text,
        &mut tests,
        &mut diagnostics,
    );
    if diagnostics.iter().any(|d| d.level == Level::Error) {
        return Err(diagnostics);
    }
    let checked = Suite {
        folder: suite.folder.clone(),
        sources,
        set: suite.set.clone(),
        tests,
        warnings: Vec::new(),
    };
    Ok(run(std::slice::from_ref(&checked), clock))
}

fn load_suite(
    folder: &Path,
    files: &[PathBuf],
    now: Timestamp,
) -> Result<Suite, (SourceMap, Vec<Diagnostic>)> {
    let mut sources = SourceMap::new();
    let folder_for_load = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    if let Err(problem) = sources.add_path(folder_for_load) {
        return Err((sources, vec![problem]));
    }
    let compiled = match compile(&sources, now) {
        Ok(compiled) => compiled,
        Err(diagnostics) => return Err((sources, diagnostics)),
    };
    let set = compiled.set;
    let mut diagnostics = Vec::new();
    let mut tests = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(error) => {
                let problem = TestFileError::Io {
                    path: file.display().to_string(),
                    message: error.to_string(),
                };
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    location: None,
                    problem: problem.into(),
                });
                continue;
            }
        };
        let source = sources.add(file.display().to_string(), text.clone());
        load_tests(&set, file, source, &text, &mut tests, &mut diagnostics);
    }
    if diagnostics.iter().any(|d| d.level == Level::Error) {
        return Err((sources, diagnostics));
    }
    let mut warnings = compiled.warnings;
    warnings.extend(diagnostics);
    Ok(Suite {
        folder: folder.to_path_buf(),
        sources,
        set,
        tests,
        warnings,
    })
}

fn load_tests(
    set: &CompiledPolicySet,
    file: &Path,
    source: usize,
    text: &str,
    tests: &mut Vec<TestCase>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let error = |location, problem: TestFileError| Diagnostic {
        level: Level::Error,
        location,
        problem: problem.into(),
    };
    let document = match read_test_file(source, text) {
        Ok(document) => document,
        Err(problem) => {
            diagnostics.push(*problem);
            return;
        }
    };
    let folder = file.parent().unwrap_or(Path::new("."));
    let rule_ids: Vec<&str> = set.rules().iter().map(Rule::qualified_id).collect();
    for test in document.tests {
        let mut ok = true;
        let mut check_list = |list: Option<Vec<Located<Expected>>>| -> Option<Vec<Expected>> {
            let mut out = Vec::new();
            for entry in list? {
                if !rule_ids.contains(&entry.value.rule.as_str()) {
                    diagnostics.push(error(
                        entry.at,
                        TestFileError::UnknownExpectedRule {
                            suggestion: closest(&entry.value.rule, rule_ids.iter().copied())
                                .map(str::to_owned),
                            id: entry.value.rule.clone(),
                        },
                    ));
                    ok = false;
                }
                out.push(entry.value);
            }
            Some(out)
        };
        let violations = check_list(test.violations);
        let waived = check_list(test.waived);
        let now = match test.now {
            None => None,
            Some(now) => match Timestamp::parse_instant_or_date(&now.value) {
                Ok(instant) => Some(instant),
                Err(_) => {
                    diagnostics.push(error(now.at, TestFileError::InvalidNow { text: now.value }));
                    ok = false;
                    None
                }
            },
        };
        let target = match &test.session.value {
            SessionDoc::Inline(Ok(record)) => record.get("Target").and_then(|t| t.as_str()),
            _ => None,
        };
        let ecs = target.is_some_and(|target| target.starts_with("ecs:"));
        let tags = match test.tags {
            Some(tags) => match tags.value.and_then(|json| test_tags(&json, ecs)) {
                Ok(tags) => Some(tags),
                Err(message) => {
                    diagnostics.push(error(
                        tags.at,
                        TestFileError::InvalidSession {
                            test: test.name.value.clone(),
                            message: format!("`tags`: {message}"),
                        },
                    ));
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let session = match read_session(test.session.value, folder) {
            Ok(mut session) => {
                if let Some(tags) = tags {
                    session.set_tags(std::sync::Arc::new(tags));
                }
                Some(session)
            }
            Err(message) => {
                diagnostics.push(error(
                    test.session.at,
                    TestFileError::InvalidSession {
                        test: test.name.value.clone(),
                        message,
                    },
                ));
                ok = false;
                None
            }
        };
        if let (true, Some(session)) = (ok, session) {
            tests.push(TestCase {
                file: file.display().to_string(),
                name: test.name.value,
                session,
                now,
                decision: test.decision,
                violations,
                waived,
            });
        }
    }
}

/// A test's `tags`: per family a map of keys and values, or `unknown`; a family not given is
/// unknown, but for the cluster of a target that is no ECS task, which has none (as lookups
/// and inventories say).
fn test_tags(json: &serde_json::Value, ecs: bool) -> Result<SessionTags, String> {
    let map = json
        .as_object()
        .ok_or("expected a mapping of `target`, `cluster` and `owner`")?;
    if let Some(key) = map
        .keys()
        .find(|key| !["target", "cluster", "owner"].contains(&key.as_str()))
    {
        return Err(format!(
            "`{key}` is no family of tags; the families are `target`, `cluster` and `owner`"
        ));
    }
    let family = |name: &str| -> Result<TagSet, String> {
        match map.get(name) {
            None if name == "cluster" && !ecs => Ok(TagSet::empty()),
            None => Ok(TagSet::Unknown(format!("the test gives no {name} tags"))),
            Some(serde_json::Value::String(word)) if word == "unknown" => Ok(TagSet::Unknown(
                format!("the test makes the {name} tags unknown"),
            )),
            Some(serde_json::Value::Object(tags)) => {
                let mut known = Tags::default();
                for (key, value) in tags {
                    let text = match value {
                        serde_json::Value::String(text) => text.clone(),
                        serde_json::Value::Number(n) => n.to_string(),
                        serde_json::Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(format!("the {name} tag `{key}` is {other}, not a string"));
                        }
                    };
                    known.insert(key.as_str(), text);
                }
                Ok(TagSet::Known(known))
            }
            Some(other) => Err(format!(
                "`{name}` is {other}: give a mapping of tags, or `unknown`"
            )),
        }
    };
    Ok(SessionTags {
        target: family("target")?,
        cluster: family("cluster")?,
        owner: family("owner")?,
    })
}

/// A test's session: an inline record, or `file:` naming a record file beside the test.
fn read_session(session: SessionDoc, folder: &Path) -> Result<Session<'static>, String> {
    let bytes = match session {
        SessionDoc::File(name) => {
            let path = folder.join(name);
            std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        }
        SessionDoc::Inline(json) => serde_json::to_vec(&json?).map_err(|e| e.to_string())?,
    };
    match parse_record(&bytes).map_err(|e| e.to_string())? {
        ParsedRecord::Session(session) => Ok(session.into_owned()),
        ParsedRecord::Sessions(mut sessions) if sessions.len() == 1 => {
            Ok(sessions.remove(0).into_owned())
        }
        ParsedRecord::Sessions(sessions) => Err(format!(
            "the file holds {} sessions, not one",
            sessions.len()
        )),
        ParsedRecord::OtherEvent(event) => Err(format!(
            "the event `{}` of `{}` starts no Session Manager session",
            event.name, event.source
        )),
    }
}

fn collect_test_files(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        std::fs::metadata(path)?;
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_test_files(&entry, files)?;
        } else if is_test_file(&entry) {
            files.push(entry);
        }
    }
    Ok(())
}

/// Runs every test of the suites; `clock` is the evaluation time of tests without `now`.
pub fn run(suites: &[Suite], clock: Timestamp) -> TestReport {
    let mut report = TestReport::default();
    for suite in suites {
        let set = &suite.set;
        let mut coverage: Vec<RuleCoverage> = set
            .rules()
            .iter()
            .map(|r| RuleCoverage {
                rule: r.qualified_id().to_owned(),
                ..RuleCoverage::default()
            })
            .collect();
        for test in &suite.tests {
            let now = test.now.unwrap_or(clock);
            let evaluation = set.evaluate(&test.session, now);
            let mut applied_any = false;
            for (rule, entry) in set.rules().iter().zip(coverage.iter_mut()) {
                if !set.applies(rule, &test.session, now) {
                    continue;
                }
                applied_any = true;
                entry.applied += 1;
                if evaluation
                    .violations
                    .iter()
                    .any(|v| v.rule.index() == rule.index())
                {
                    entry.failed += 1;
                } else {
                    entry.passed += 1;
                }
            }
            let (waived, active): (Vec<_>, Vec<_>) =
                evaluation.violations.iter().partition(|v| v.is_waived());
            let mut mismatches = Vec::new();
            if let Some(expected) = &test.violations {
                compare(expected, &active, "violations", &mut mismatches);
            }
            if let Some(expected) = &test.waived {
                compare(expected, &waived, "waived", &mut mismatches);
            }
            if let Some(decision) = test.decision
                && decision != evaluation.decision
            {
                mismatches.push(format!(
                    "decision: expected {decision}, got {}",
                    evaluation.decision
                ));
            }
            let vacuous = !applied_any && test.violations.as_ref().is_some_and(Vec::is_empty);
            let pairs = |list: &[&crate::policy::Violation<'_>]| {
                list.iter()
                    .map(|v| (v.id().to_owned(), v.message.clone()))
                    .collect()
            };
            report.outcomes.push(TestOutcome {
                file: test.file.clone(),
                name: test.name.clone(),
                passed: mismatches.is_empty(),
                mismatches,
                actual: pairs(&active),
                actual_waived: pairs(&waived),
                decision: evaluation.decision,
                vacuous,
            });
        }
        report.coverage.extend(coverage);
    }
    report
}

/// Compares expected entries with actual violations exactly: the same set of ids, and each
/// detailed entry matched by a violation of its rule that says what it pins.
fn compare(
    expected: &[Expected],
    actual: &[&crate::policy::Violation<'_>],
    what: &str,
    out: &mut Vec<String>,
) {
    let mut expected_ids: Vec<&str> = expected.iter().map(|e| e.rule.as_str()).collect();
    expected_ids.sort_unstable();
    expected_ids.dedup();
    let mut actual_ids: Vec<&str> = actual.iter().map(|v| v.id()).collect();
    actual_ids.sort_unstable();
    actual_ids.dedup();
    let missing: Vec<&str> = expected_ids
        .iter()
        .copied()
        .filter(|id| !actual_ids.iter().any(|a| a == id))
        .collect();
    let unexpected: Vec<&str> = actual_ids
        .iter()
        .copied()
        .filter(|id| !expected_ids.contains(id))
        .collect();
    if !missing.is_empty() {
        out.push(format!(
            "{what}: expected but not given: {}",
            missing.join(", ")
        ));
    }
    if !unexpected.is_empty() {
        out.push(format!(
            "{what}: given but not expected: {}",
            unexpected.join(", ")
        ));
    }
    for entry in expected
        .iter()
        .filter(|e| e.field.is_some() || e.message_contains.is_some())
    {
        let matched = actual.iter().any(|v| {
            v.id() == entry.rule
                && entry.field.as_deref().is_none_or(|f| v.field.name() == f)
                && entry
                    .message_contains
                    .as_deref()
                    .is_none_or(|m| v.message.contains(m))
        });
        if !matched && actual_ids.contains(&entry.rule.as_str()) {
            let mut pins = Vec::new();
            if let Some(field) = &entry.field {
                pins.push(format!("field {field}"));
            }
            if let Some(text) = &entry.message_contains {
                pins.push(format!("a message containing {text:?}"));
            }
            out.push(format!(
                "{what}: {} was given, but not with {}",
                entry.rule,
                pins.join(" and ")
            ));
        }
    }
}
