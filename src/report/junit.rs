//! `--format junit`: JUnit XML, a test suite per policy and a test case per session and rule.
//!
//! Suites group by policy, so cases are kept until the end, but only for violations: a record
//! without any adds to counters, never to memory. A case is kept as its XML, rendered where its
//! record was evaluated when this is the only output; the writer files it under its rule with
//! the record number written in, and writes the document, whose counts come first, at the end. Each rule also gets one passing case that
//! stands for the sessions it did not fail ("other sessions (N)"), so a dashboard counts passes.
//! Unwaived violations are failures (their action is the failure's `type`), waived ones are
//! skipped with the exception's reason, and input errors are errors in a suite of their own.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::finding::{Finding, Subject, each_breach};
use super::jsonl::Scratch;
use super::{message_with_reason, xml};
use crate::check::{InputError, RecordResult, Rendering, Reporter, Summary};
use crate::model::{Session, Timestamp};
use crate::policy::CompiledPolicySet;

/// Gathers failing cases per policy, then writes the document.
#[derive(Debug)]
pub struct JunitReporter<'p, W: Write> {
    out: W,
    set: &'p CompiledPolicySet,
    /// Per rule of the set: its failing and skipped cases, in input order.
    cases: Vec<RuleCases>,
    errors: Vec<InputError>,
    /// A record's cases, when they were not rendered where it was evaluated.
    line: Vec<u8>,
    splices: Vec<usize>,
    value: Vec<u8>,
}

/// The sessions that broke one rule: their cases' XML, record numbers written in, and counts.
#[derive(Debug, Default)]
struct RuleCases {
    text: Vec<u8>,
    failures: u64,
    skipped: u64,
}

impl RuleCases {
    fn count(&self) -> u64 {
        self.failures + self.skipped
    }
}

/// How every case ends: the writer finds where each of a record's cases ends by it, since no
/// `<` is left unescaped inside one.
const CASE_END: &[u8] = b"</testcase>\n";

impl<'p, W: Write> JunitReporter<'p, W> {
    pub fn new(out: W, set: &'p CompiledPolicySet) -> Self {
        Self {
            out,
            set,
            cases: set.rules().iter().map(|_| RuleCases::default()).collect(),
            errors: Vec::new(),
            line: Vec::new(),
            splices: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Files a record's cases, rendered in the order of its violations, under their rules, with
    /// the record's number written in.
    fn file_cases(&mut self, result: &RecordResult<'p>, text: &[u8], splices: &[usize]) {
        let mut number = itoa::Buffer::new();
        let number = number.format(result.record).as_bytes();
        let (mut at, mut splices) = (0, splices.iter().copied().peekable());
        for violation in &result.evaluation.violations {
            let rest = text.get(at..).unwrap_or_default();
            let end = memchr::memmem::find(rest, CASE_END)
                .map_or(text.len(), |found| at + found + CASE_END.len());
            // A rule of another set has nowhere to go: its case is passed over.
            let mut rule = self.cases.get_mut(violation.rule.index().index());
            let mut written = at;
            while let Some(splice) = splices.next_if(|&splice| splice < end) {
                if let Some(rule) = rule.as_deref_mut() {
                    rule.text
                        .extend_from_slice(text.get(written..splice).unwrap_or_default());
                    rule.text.extend_from_slice(number);
                }
                written = splice;
            }
            if let Some(rule) = rule {
                rule.text
                    .extend_from_slice(text.get(written..end).unwrap_or_default());
                if violation.is_waived() {
                    rule.skipped += 1;
                } else {
                    rule.failures += 1;
                }
            }
            at = end;
        }
    }
}

/// Renders a record's cases where the record is, from what evaluation found, as
/// [`write_case`] writes them; `value` is a buffer the caller reuses.
pub(crate) fn render_breaches(
    out: &mut Scratch<'_>,
    value: &mut Vec<u8>,
    subject: &Subject<'_>,
    session: &Session<'_>,
    now: Timestamp,
) {
    each_breach(out, session, now, true, |text, splices, finding| {
        write_case(text, splices, value, subject, finding);
    });
}

/// Writes one session's case for one rule, as the `xml` elements write it, with the record
/// number left out: its offsets go to `splices`. An unwaived violation is a failure whose
/// details say what was found where; a waived one is skipped with the exception's reason.
fn write_case(
    text: &mut Vec<u8>,
    splices: &mut Vec<usize>,
    value: &mut Vec<u8>,
    subject: &Subject<'_>,
    finding: &Finding<'_>,
) {
    let attr = |text: &mut Vec<u8>, value: &str| xml::escape_bytes(text, value, true);
    let content = |text: &mut Vec<u8>, value: &str| xml::escape_bytes(text, value, false);
    let rule = finding.rule;
    text.extend_from_slice(b"    <testcase classname=\"");
    attr(text, finding.policy.id());
    text.push(b'.');
    attr(text, rule.id());
    text.extend_from_slice(b"\" name=\"");
    match subject.session_id {
        Some(session) => attr(text, session),
        None => {
            text.extend_from_slice(b"record ");
            splices.push(text.len());
            text.extend_from_slice(b" of ");
            attr(text, subject.source);
        }
    }
    text.extend_from_slice(b"\" file=\"");
    attr(text, subject.source);
    text.extend_from_slice(b"\" line=\"");
    text.extend_from_slice(itoa::Buffer::new().format(subject.line).as_bytes());
    text.extend_from_slice(b"\" time=\"0\">");
    match finding.waived_by {
        Some(exception) => {
            text.extend_from_slice(b"<skipped message=\"waived by ");
            attr(text, exception.id());
            text.extend_from_slice(b": ");
            attr(text, exception.reason());
            text.extend_from_slice(b"\"/>");
        }
        None => {
            text.extend_from_slice(b"<failure message=\"");
            attr(text, finding.message);
            text.extend_from_slice(b"\" type=\"");
            attr(text, rule.action().name());
            text.extend_from_slice(b"\">");
            content(text, finding.message);
            text.extend_from_slice(b"\nrule: ");
            content(text, finding.id());
            text.extend_from_slice(b" (severity ");
            text.extend_from_slice(rule.severity().name().as_bytes());
            text.extend_from_slice(b", action ");
            text.extend_from_slice(rule.action().name().as_bytes());
            text.extend_from_slice(b")\nfield: ");
            text.extend_from_slice(finding.field.name().as_bytes());
            text.extend_from_slice(b", actual: ");
            value.clear();
            finding.actual.write(value);
            content(text, &String::from_utf8_lossy(value));
            text.extend_from_slice(b", expected: ");
            content(text, finding.expected);
            text.extend_from_slice(b"\nsession: ");
            content(text, subject.session_id.unwrap_or("-"));
            text.extend_from_slice(b" on ");
            content(text, subject.target.unwrap_or("-"));
            text.extend_from_slice(b" by ");
            content(text, subject.owner.unwrap_or("-"));
            text.extend_from_slice(b", decision ");
            text.extend_from_slice(subject.decision.name().as_bytes());
            text.extend_from_slice(b"\nat: ");
            content(text, subject.source);
            text.push(b':');
            text.extend_from_slice(itoa::Buffer::new().format(subject.line).as_bytes());
            text.extend_from_slice(b" (record ");
            splices.push(text.len());
            text.extend_from_slice(b")</failure>");
        }
    }
    text.extend_from_slice(CASE_END);
}

impl<'p, W: Write> Reporter<'p> for JunitReporter<'p, W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        let mut text = std::mem::take(&mut self.line);
        let mut splices = std::mem::take(&mut self.splices);
        text.clear();
        splices.clear();
        let subject = Subject::of(result);
        for violation in &result.evaluation.violations {
            let said = message_with_reason(violation);
            let finding = Finding::of(violation, &said);
            write_case(&mut text, &mut splices, &mut self.value, &subject, &finding);
        }
        self.file_cases(result, &text, &splices);
        self.line = text;
        self.splices = splices;
        Ok(())
    }

    fn rendering(&self) -> Option<Rendering> {
        Some(Rendering::Junit)
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        self.file_cases(result, text, splices);
        Ok(())
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.errors.push(error.clone());
        Ok(())
    }

    /// Writes the document. Its counts come first, so they are counted before anything is
    /// written; the cases, which are most of it, are written from where they were filed.
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let rules = || self.set.rules().iter().zip(&self.cases);
        // Per policy: its tests (every case, and a passing one per rule), failures and skips.
        let counts: Vec<(u64, u64, u64)> = (0..self.set.policies().len())
            .map(|policy| {
                rules().filter(|(rule, _)| rule.policy == policy).fold(
                    (0, 0, 0),
                    |(tests, failures, skipped), (_, cases)| {
                        (
                            tests + cases.count() + 1,
                            failures + cases.failures,
                            skipped + cases.skipped,
                        )
                    },
                )
            })
            .collect();
        let errors = self.errors.len() as u64;
        let (all_tests, all_failures, all_skipped) =
            counts
                .iter()
                .fold((0, 0, 0), |(tests, failures, skipped), count| {
                    (tests + count.0, failures + count.1, skipped + count.2)
                });
        let mut head = String::from(xml::DECLARATION);
        xml::testsuites(
            &mut head,
            &[
                ("name", &"ssm-guard"),
                ("tests", &(all_tests + errors)),
                ("failures", &all_failures),
                ("errors", &errors),
                ("skipped", &all_skipped),
                ("time", &0),
            ],
        );
        head.push('\n');
        self.out.write_all(head.as_bytes())?;
        for (policy_index, (policy, &(tests, failures, skipped))) in
            self.set.policies().iter().zip(&counts).enumerate()
        {
            let mut suite = String::from("  ");
            xml::testsuite(
                &mut suite,
                &[
                    ("name", &policy.id()),
                    ("tests", &tests),
                    ("failures", &failures),
                    ("errors", &0),
                    ("skipped", &skipped),
                    ("time", &0),
                ],
            );
            suite.push('\n');
            if let Some(description) = policy.description() {
                suite.push_str("    ");
                xml::start(&mut suite, "properties", &[]);
                xml::empty(
                    &mut suite,
                    "property",
                    &[("name", &"description"), ("value", &description)],
                );
                xml::end(&mut suite, "properties");
                suite.push('\n');
            }
            self.out.write_all(suite.as_bytes())?;
            for (rule, cases) in rules() {
                if rule.policy != policy_index {
                    continue;
                }
                self.out.write_all(&cases.text)?;
                // One passing case for every session the rule did not fail.
                let others = summary.evaluated.saturating_sub(cases.count());
                let classname = format!("{}.{}", policy.id(), rule.id());
                let mut passing = String::from("    ");
                xml::testcase(
                    &mut passing,
                    &[
                        ("classname", &classname),
                        ("name", &format_args!("other sessions ({others})")),
                        ("time", &0),
                    ],
                );
                xml::element(
                    &mut passing,
                    "system-out",
                    &[],
                    &format!(
                        "{} of {} sessions checked pass {}",
                        others,
                        summary.evaluated,
                        rule.qualified_id()
                    ),
                );
                xml::end(&mut passing, "testcase");
                passing.push('\n');
                self.out.write_all(passing.as_bytes())?;
            }
            let mut end = String::from("  ");
            xml::end(&mut end, "testsuite");
            end.push('\n');
            self.out.write_all(end.as_bytes())?;
        }
        let mut suites = String::new();
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
        xml::end(&mut suites, "testsuites");
        suites.push('\n');
        self.out.write_all(suites.as_bytes())?;
        self.out.flush()
    }
}
