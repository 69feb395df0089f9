//! Policy tests (`*.test.yaml`): loading them beside the policies they test, running them, and
//! measuring which rules the tests made fail and saw pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Level, Location, closest};
use crate::model::{ParsedRecord, Session, Timestamp, parse_record};
use crate::policy::{CompiledPolicySet, Decision};
use crate::source::{SourceMap, is_test_file};
use crate::{LoadError, compile};

/// A test file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFileDoc {
    tests: Vec<TestDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestDoc {
    name: String,
    session: serde_yaml::Value,
    #[serde(default)]
    now: Option<String>,
    expect: ExpectDoc,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectDoc {
    #[serde(default)]
    decision: Option<Decision>,
    #[serde(default)]
    violations: Option<Vec<ExpectedDoc>>,
    #[serde(default)]
    waived: Option<Vec<ExpectedDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ExpectedDoc {
    Id(String),
    Detailed(DetailedDoc),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailedDoc {
    rule: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    message_contains: Option<String>,
}

impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "allow" => Ok(Decision::Allow),
            "warn" => Ok(Decision::Warn),
            "deny" => Ok(Decision::Deny),
            other => Err(serde::de::Error::custom(format_args!(
                "unknown decision `{other}`, expected `allow`, `warn` or `deny`"
            ))),
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
            let problem = LoadError::Io {
                path: path.display().to_string(),
                message: error.to_string(),
            };
            return Err((
                SourceMap::new(),
                vec![Diagnostic {
                    level: Level::Error,
                    location: None,
                    problem,
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
                let problem = LoadError::Io {
                    path: file.display().to_string(),
                    message: error.to_string(),
                };
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    location: None,
                    problem,
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
    let error = |location: Option<Location>, problem: LoadError| Diagnostic {
        level: Level::Error,
        location,
        problem,
    };
    let document: TestFileDoc = match serde_yaml::from_str(text) {
        Ok(document) => document,
        Err(e) => {
            let location = e.location().map(|l| Location {
                source,
                line: l.line(),
                column: l.column(),
                length: 1,
            });
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            diagnostics.push(error(location, LoadError::InvalidTestFile { message }));
            return;
        }
    };
    // serde_yaml keeps scalar types (a quoted "60" is a string, 60 a number), which test
    // sessions need; marked_yaml gives the positions of expectations for diagnostics.
    let marked = marked_yaml::parse_yaml(source, text).ok();
    let locate = |path: &[Step<'_>]| marked.as_ref().and_then(|root| locate(root, path, source));
    let folder = file.parent().unwrap_or(Path::new("."));
    let rule_ids: Vec<String> = set
        .rules()
        .iter()
        .map(|r| format!("{}/{}", set.policy_of(r).map_or("", |p| p.id()), r.id()))
        .collect();
    for (index, test) in document.tests.into_iter().enumerate() {
        let here = [Step::Key("tests"), Step::Index(index)];
        let mut ok = true;
        let mut check_list =
            |list: &Option<Vec<ExpectedDoc>>, key: &'static str| -> Option<Vec<Expected>> {
                let list = list.as_ref()?;
                let mut out = Vec::new();
                for (i, entry) in list.iter().enumerate() {
                    let expected = match entry {
                        ExpectedDoc::Id(id) => Expected {
                            rule: id.clone(),
                            field: None,
                            message_contains: None,
                        },
                        ExpectedDoc::Detailed(d) => Expected {
                            rule: d.rule.clone(),
                            field: d.field.clone(),
                            message_contains: d.message_contains.clone(),
                        },
                    };
                    if !rule_ids.contains(&expected.rule) {
                        let mut path = here.to_vec();
                        path.extend([Step::Key("expect"), Step::Key(key), Step::Index(i)]);
                        if matches!(entry, ExpectedDoc::Detailed(_)) {
                            path.push(Step::Key("rule"));
                        }
                        diagnostics.push(error(
                            locate(&path),
                            LoadError::UnknownExpectedRule {
                                suggestion: closest(
                                    &expected.rule,
                                    rule_ids.iter().map(String::as_str),
                                )
                                .map(str::to_owned),
                                id: expected.rule.clone(),
                            },
                        ));
                        ok = false;
                    }
                    out.push(expected);
                }
                Some(out)
            };
        let violations = check_list(&test.expect.violations, "violations");
        let waived = check_list(&test.expect.waived, "waived");
        let now = match &test.now {
            None => None,
            Some(text) => match Timestamp::parse_instant_or_date(text) {
                Ok(now) => Some(now),
                Err(_) => {
                    let mut path = here.to_vec();
                    path.push(Step::Key("now"));
                    diagnostics.push(error(
                        locate(&path),
                        LoadError::InvalidTimestamp { text: text.clone() },
                    ));
                    ok = false;
                    None
                }
            },
        };
        let session = match read_session(&test.session, folder) {
            Ok(session) => Some(session),
            Err(message) => {
                let mut path = here.to_vec();
                path.push(Step::Key("session"));
                diagnostics.push(error(
                    locate(&path),
                    LoadError::InvalidTestSession {
                        test: test.name.clone(),
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
                name: test.name,
                session,
                now,
                decision: test.expect.decision,
                violations,
                waived,
            });
        }
    }
}

/// A test's session: an inline record, or `file:` naming a record file beside the test.
fn read_session(value: &serde_yaml::Value, folder: &Path) -> Result<Session<'static>, String> {
    let bytes = match value.get("file").and_then(serde_yaml::Value::as_str) {
        Some(name) if value.as_mapping().is_some_and(|m| m.len() == 1) => {
            let path = folder.join(name);
            std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        }
        _ => {
            let json = serde_json::to_value(value).map_err(|e| e.to_string())?;
            serde_json::to_vec(&json).map_err(|e| e.to_string())?
        }
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

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn locate(root: &marked_yaml::Node, path: &[Step<'_>], source: usize) -> Option<Location> {
    let mut node = root;
    for step in path {
        node = match step {
            Step::Key(key) => node.as_mapping()?.get_node(key)?,
            Step::Index(index) => node.as_sequence()?.get(*index)?,
        };
    }
    let start = node.span().start()?;
    let length = node.as_scalar().map_or(1, |s| s.as_str().chars().count());
    Some(Location {
        source,
        line: start.line(),
        column: start.column(),
        length,
    })
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
                rule: format!("{}/{}", set.policy_of(r).map_or("", |p| p.id()), r.id()),
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
                    .any(|v| std::ptr::eq(v.rule, rule))
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
                list.iter().map(|v| (v.id(), v.message.clone())).collect()
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
    let mut actual_ids: Vec<String> = actual.iter().map(|v| v.id()).collect();
    actual_ids.sort_unstable();
    actual_ids.dedup();
    let missing: Vec<&str> = expected_ids
        .iter()
        .copied()
        .filter(|id| !actual_ids.iter().any(|a| a == id))
        .collect();
    let unexpected: Vec<&str> = actual_ids
        .iter()
        .map(String::as_str)
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
        if !matched && actual_ids.contains(&entry.rule) {
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
