//! `--format junit`: JUnit XML, a test suite per policy and a test case per session and rule.
//!
//! Suites group by policy, so cases are kept until the end, but only for violations: a record
//! without any adds to counters, never to memory. Each rule also gets one passing case that
//! stands for the sessions it did not fail ("other sessions (N)"), so a dashboard counts passes.
//! Unwaived violations are failures (their action is the failure's `type`), waived ones are
//! skipped with the exception's reason, and input errors are errors in a suite of their own.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{message_with_reason, xml};
use crate::check::{InputError, RecordResult, Reporter, Summary};
use crate::policy::CompiledPolicySet;

/// Gathers failing cases per policy, then writes the document.
#[derive(Debug)]
pub struct JunitReporter<'p, W: Write> {
    out: W,
    set: &'p CompiledPolicySet,
    /// Per rule of the set: its failing and skipped cases, in input order.
    cases: Vec<Vec<Case>>,
    errors: Vec<InputError>,
}

/// One session that broke one rule.
#[derive(Debug)]
struct Case {
    name: String,
    file: String,
    line: u64,
    outcome: Outcome,
}

#[derive(Debug)]
enum Outcome {
    Failure {
        kind: &'static str,
        message: String,
        details: String,
    },
    Skipped {
        message: String,
    },
}

impl<'p, W: Write> JunitReporter<'p, W> {
    pub fn new(out: W, set: &'p CompiledPolicySet) -> Self {
        Self {
            out,
            set,
            cases: set.rules().iter().map(|_| Vec::new()).collect(),
            errors: Vec::new(),
        }
    }
}

impl<'p, W: Write> Reporter<'p> for JunitReporter<'p, W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        for violation in &result.evaluation.violations {
            let Some(cases) = self.cases.get_mut(violation.rule.index().index()) else {
                continue;
            };
            let name = match &result.session_id {
                Some(id) => id.clone(),
                None => format!("record {} of {}", result.record, result.source),
            };
            let outcome = match violation.waived_by {
                Some(exception) => Outcome::Skipped {
                    message: format!("waived by {}: {}", exception.id(), exception.reason()),
                },
                None => {
                    let message = message_with_reason(violation);
                    let mut details = String::new();
                    let _ = writeln!(details, "{message}");
                    let _ = writeln!(
                        details,
                        "rule: {} (severity {}, action {})",
                        violation.id(),
                        violation.rule.severity(),
                        violation.rule.action()
                    );
                    let _ = writeln!(
                        details,
                        "field: {}, actual: {}, expected: {}",
                        violation.field.name(),
                        violation.actual,
                        violation.expected
                    );
                    let _ = writeln!(
                        details,
                        "session: {} on {} by {}, decision {}",
                        result.session_id.as_deref().unwrap_or("-"),
                        result.target.as_deref().unwrap_or("-"),
                        result.owner.as_deref().unwrap_or("-"),
                        result.evaluation.decision
                    );
                    let _ = write!(
                        details,
                        "at: {}:{} (record {})",
                        result.source, result.line, result.record
                    );
                    Outcome::Failure {
                        kind: violation.rule.action().name(),
                        message: message.into_owned(),
                        details,
                    }
                }
            };
            cases.push(Case {
                name,
                file: result.source.to_string(),
                line: result.line,
                outcome,
            });
        }
        Ok(())
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.errors.push(error.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let mut suites = String::new();
        let (mut all_tests, mut all_failures, mut all_skipped) = (0u64, 0u64, 0u64);
        for (policy_index, policy) in self.set.policies().iter().enumerate() {
            let mut body = String::new();
            let (mut tests, mut failures, mut skipped) = (0u64, 0u64, 0u64);
            for (rule, cases) in self.set.rules().iter().zip(&self.cases) {
                if rule.policy != policy_index {
                    continue;
                }
                let classname = format!("{}.{}", policy.id(), rule.id());
                for case in cases {
                    tests += 1;
                    body.push_str("    ");
                    xml::testcase(
                        &mut body,
                        &[
                            ("classname", &classname),
                            ("name", &case.name),
                            ("file", &case.file),
                            ("line", &case.line),
                            ("time", &0),
                        ],
                    );
                    match &case.outcome {
                        Outcome::Failure {
                            kind,
                            message,
                            details,
                        } => {
                            failures += 1;
                            xml::failure(&mut body, message, Some(*kind), details);
                        }
                        Outcome::Skipped { message } => {
                            skipped += 1;
                            xml::skipped(&mut body, message);
                        }
                    }
                    xml::end(&mut body, "testcase");
                    body.push('\n');
                }
                // One passing case for every session the rule did not fail.
                let others = summary.evaluated.saturating_sub(cases.len() as u64);
                tests += 1;
                body.push_str("    ");
                xml::testcase(
                    &mut body,
                    &[
                        ("classname", &classname),
                        ("name", &format_args!("other sessions ({others})")),
                        ("time", &0),
                    ],
                );
                xml::element(
                    &mut body,
                    "system-out",
                    &[],
                    &format!(
                        "{} of {} sessions checked pass {}",
                        others,
                        summary.evaluated,
                        rule.qualified_id()
                    ),
                );
                xml::end(&mut body, "testcase");
                body.push('\n');
            }
            all_tests += tests;
            all_failures += failures;
            all_skipped += skipped;
            suites.push_str("  ");
            xml::testsuite(
                &mut suites,
                &[
                    ("name", &policy.id()),
                    ("tests", &tests),
                    ("failures", &failures),
                    ("errors", &0),
                    ("skipped", &skipped),
                    ("time", &0),
                ],
            );
            suites.push('\n');
            if let Some(description) = policy.description() {
                suites.push_str("    ");
                xml::start(&mut suites, "properties", &[]);
                xml::empty(
                    &mut suites,
                    "property",
                    &[("name", &"description"), ("value", &description)],
                );
                xml::end(&mut suites, "properties");
                suites.push('\n');
            }
            suites.push_str(&body);
            suites.push_str("  ");
            xml::end(&mut suites, "testsuite");
            suites.push('\n');
        }
        let errors = self.errors.len() as u64;
        if errors > 0 {
            suites.push_str("  ");
            xml::testsuite(
                &mut suites,
                &[
                    ("name", &"input"),
                    ("tests", &errors),
                    ("failures", &0),
                    ("errors", &errors),
                    ("skipped", &0),
                    ("time", &0),
                ],
            );
            suites.push('\n');
            for error in &self.errors {
                let mut name = error.source.to_string();
                if let Some(record) = error.record {
                    let _ = write!(name, " record {record}");
                }
                let mut place = error.source.to_string();
                if let Some(line) = error.line {
                    let _ = write!(place, ":{line}");
                    if let Some(column) = error.column {
                        let _ = write!(place, ":{column}");
                    }
                }
                suites.push_str("    ");
                xml::testcase(
                    &mut suites,
                    &[
                        ("classname", &"input"),
                        ("name", &name),
                        ("file", &error.source),
                        ("time", &0),
                    ],
                );
                let message = error.problem.to_string();
                xml::error(
                    &mut suites,
                    &message,
                    Some("input-error"),
                    &format!("{place}: {message}"),
                );
                xml::end(&mut suites, "testcase");
                suites.push('\n');
            }
            suites.push_str("  ");
            xml::end(&mut suites, "testsuite");
            suites.push('\n');
        }
        let mut document = String::from(xml::DECLARATION);
        xml::testsuites(
            &mut document,
            &[
                ("name", &"ssm-guard"),
                ("tests", &(all_tests + errors)),
                ("failures", &all_failures),
                ("errors", &errors),
                ("skipped", &all_skipped),
                ("time", &0),
            ],
        );
        document.push('\n');
        document.push_str(&suites);
        xml::end(&mut document, "testsuites");
        document.push('\n');
        self.out.write_all(document.as_bytes())?;
        self.out.flush()
    }
}
