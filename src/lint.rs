//! Linting exports: every record of every input read as a stream, evaluated on worker
//! threads, and handed to a reporter in input order.

use std::io::{self, BufRead};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::input::{Batch, Frame, FrameError, Framer, InputSource, open_input};
use crate::model::{Field, ParsedRecord, Read, Session, Timestamp, parse_record};
use crate::policy::{CompiledPolicySet, Decision, Evaluation, Severity};

/// How many records a batch holds: large enough to amortise handing work to threads, small
/// enough that memory stays flat.
const BATCH_RECORDS: usize = 4096;

/// One record's evaluation, with where it came from.
#[derive(Debug, Clone)]
pub struct RecordResult<'p> {
    /// The input's name: a path, or `<stdin>`.
    pub source: Arc<str>,
    /// 1-based number of the record within its input (input errors count too).
    pub record: u64,
    /// The line where the record starts.
    pub line: u64,
    pub session_id: Option<String>,
    pub target: Option<String>,
    pub owner: Option<String>,
    pub start: Option<Timestamp>,
    pub evaluation: Evaluation<'p>,
}

/// A record, or a whole input, that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    pub source: Arc<str>,
    /// The record number it took, `None` when the input could not be opened or read on.
    pub record: Option<u64>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

/// What a reporter is handed, in input order.
pub trait Reporter<'p> {
    /// One evaluated record.
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()>;
    /// One input error.
    fn input_error(&mut self, error: &InputError) -> io::Result<()>;
    /// The end of the run.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// Counts over a whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub inputs: u64,
    /// Records read: evaluated plus those in error.
    pub records: u64,
    pub evaluated: u64,
    pub errors: u64,
    /// CloudTrail events that start no session, passed over.
    pub skipped_events: u64,
    pub decisions: DecisionCounts,
    pub violations: u64,
    pub waived: u64,
    pub by_rule: Vec<RuleCount>,
    pub by_severity: SeverityCounts,
}

/// Records per decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    pub deny: u64,
    pub warn: u64,
    pub allow: u64,
}

/// Violations (not waived) per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

/// Violations of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub violations: u64,
    pub waived: u64,
}

impl Summary {
    fn new(set: &CompiledPolicySet) -> Self {
        let by_rule = set
            .rules()
            .iter()
            .map(|rule| RuleCount {
                rule: format!(
                    "{}/{}",
                    set.policy_of(rule).map_or("", |p| p.id()),
                    rule.id()
                ),
                severity: rule.severity(),
                violations: 0,
                waived: 0,
            })
            .collect();
        Self {
            by_rule,
            ..Self::default()
        }
    }

    fn count(&mut self, set: &CompiledPolicySet, evaluation: &Evaluation<'_>) {
        self.records += 1;
        self.evaluated += 1;
        match evaluation.decision {
            Decision::Deny => self.decisions.deny += 1,
            Decision::Warn => self.decisions.warn += 1,
            Decision::Allow => self.decisions.allow += 1,
        }
        for violation in &evaluation.violations {
            let index = set
                .rules()
                .iter()
                .position(|r| std::ptr::eq(r, violation.rule));
            let entry = index.and_then(|i| self.by_rule.get_mut(i));
            if violation.is_waived() {
                self.waived += 1;
                if let Some(entry) = entry {
                    entry.waived += 1;
                }
                continue;
            }
            self.violations += 1;
            if let Some(entry) = entry {
                entry.violations += 1;
            }
            let bucket = match violation.rule.severity() {
                Severity::Critical => &mut self.by_severity.critical,
                Severity::High => &mut self.by_severity.high,
                Severity::Medium => &mut self.by_severity.medium,
                Severity::Low => &mut self.by_severity.low,
                Severity::Info => &mut self.by_severity.info,
            };
            *bucket += 1;
        }
    }

    /// The highest decision of any record.
    pub fn worst(&self) -> Decision {
        if self.decisions.deny > 0 {
            Decision::Deny
        } else if self.decisions.warn > 0 {
            Decision::Warn
        } else {
            Decision::Allow
        }
    }
}

/// Reads and evaluates inputs against one compiled set.
#[derive(Debug)]
pub struct Linter<'p> {
    set: &'p CompiledPolicySet,
    now: Timestamp,
    jobs: usize,
    /// Where to add the bytes read (after decompression), for progress displays.
    bytes_read: Option<Arc<AtomicU64>>,
}

/// What one frame became, before record numbers are given out.
enum Outcome<'p> {
    Records {
        line: u64,
        list: Vec<Evaluated<'p>>,
    },
    Error {
        line: u64,
        column: Option<u64>,
        message: String,
    },
    Skipped,
}

struct Evaluated<'p> {
    session_id: Option<String>,
    target: Option<String>,
    owner: Option<String>,
    start: Option<Timestamp>,
    evaluation: Evaluation<'p>,
}

impl<'p> Linter<'p> {
    /// A linter evaluating at `now` on `jobs` threads (at least one).
    pub fn new(set: &'p CompiledPolicySet, now: Timestamp, jobs: usize) -> Self {
        Self {
            set,
            now,
            jobs: jobs.max(1),
            bytes_read: None,
        }
    }

    /// Adds the number of bytes read from every input (decompressed) to `counter` as it goes.
    pub fn count_bytes(mut self, counter: Arc<AtomicU64>) -> Self {
        self.bytes_read = Some(counter);
        self
    }

    /// Lints every input in order; returns the run's summary after the reporter's `finish`.
    pub fn run(
        &self,
        inputs: &[InputSource],
        reporter: &mut dyn Reporter<'p>,
    ) -> io::Result<Summary> {
        let mut summary = Summary::new(self.set);
        for input in inputs {
            summary.inputs += 1;
            self.lint_input(input, reporter, &mut summary)?;
        }
        reporter.finish(&summary)?;
        Ok(summary)
    }

    fn lint_input(
        &self,
        input: &InputSource,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        let source: Arc<str> = Arc::from(input.to_string());
        let whole_input_error = |message: String| InputError {
            source: source.clone(),
            record: None,
            line: None,
            column: None,
            message,
        };
        let reader = match open_input(input) {
            Ok(reader) => reader,
            Err(error) => {
                summary.errors += 1;
                return reporter
                    .input_error(&whole_input_error(format!("cannot read input: {error}")));
            }
        };
        let reader: Box<dyn BufRead + Send> = match &self.bytes_read {
            Some(counter) => Box::new(CountingReader {
                inner: reader,
                counter: counter.clone(),
            }),
            None => reader,
        };
        let mut framer = Framer::new(reader);
        let mut batch = Batch::default();
        let mut record = 0u64;
        loop {
            match framer.next_batch(&mut batch, BATCH_RECORDS) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    summary.errors += 1;
                    let message = format!("reading stopped after record {record}: {error}");
                    return reporter.input_error(&whole_input_error(message));
                }
            }
            for outcome in self.evaluate_batch(&batch) {
                match outcome {
                    Outcome::Records { line, list } => {
                        for evaluated in list {
                            record += 1;
                            summary.count(self.set, &evaluated.evaluation);
                            reporter.record(&RecordResult {
                                source: source.clone(),
                                record,
                                line,
                                session_id: evaluated.session_id,
                                target: evaluated.target,
                                owner: evaluated.owner,
                                start: evaluated.start,
                                evaluation: evaluated.evaluation,
                            })?;
                        }
                    }
                    Outcome::Error {
                        line,
                        column,
                        message,
                    } => {
                        record += 1;
                        summary.records += 1;
                        summary.errors += 1;
                        reporter.input_error(&InputError {
                            source: source.clone(),
                            record: Some(record),
                            line: Some(line),
                            column,
                            message,
                        })?;
                    }
                    Outcome::Skipped => summary.skipped_events += 1,
                }
            }
        }
        Ok(())
    }

    /// Parses and evaluates a batch's frames, on up to `jobs` threads, keeping their order.
    fn evaluate_batch(&self, batch: &Batch) -> Vec<Outcome<'p>> {
        let items = &batch.items;
        if self.jobs == 1 || items.len() < 64 {
            return items
                .iter()
                .map(|item| self.evaluate_item(batch, item))
                .collect();
        }
        let chunk = items.len().div_ceil(self.jobs);
        std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|item| self.evaluate_item(batch, item))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| match handle.join() {
                    Ok(outcomes) => outcomes,
                    Err(_) => vec![Outcome::Error {
                        line: 0,
                        column: None,
                        message: "internal error: an evaluation thread failed".to_owned(),
                    }],
                })
                .collect()
        })
    }

    fn evaluate_item(&self, batch: &Batch, item: &Result<Frame, FrameError>) -> Outcome<'p> {
        let frame = match item {
            Ok(frame) => frame,
            Err(error) => {
                return Outcome::Error {
                    line: error.line,
                    column: Some(error.column),
                    message: error.kind.to_string(),
                };
            }
        };
        match parse_record(batch.bytes(frame)) {
            Ok(ParsedRecord::Session(session)) => Outcome::Records {
                line: frame.line,
                list: vec![self.evaluate(&session)],
            },
            Ok(ParsedRecord::Sessions(sessions)) => Outcome::Records {
                line: frame.line,
                list: sessions.iter().map(|s| self.evaluate(s)).collect(),
            },
            Ok(ParsedRecord::OtherEvent { .. }) => Outcome::Skipped,
            Err(error) => {
                let within = error.line() as u64;
                Outcome::Error {
                    line: frame.line + within.saturating_sub(1),
                    column: None,
                    message: error.to_string(),
                }
            }
        }
    }

    fn evaluate(&self, session: &Session<'_>) -> Evaluated<'p> {
        let text = |field| match session.text(field) {
            Read::Value(text) => Some(text.to_owned()),
            _ => None,
        };
        let start = match session.instant(Field::StartDate) {
            Read::Value(start) => Some(start),
            _ => None,
        };
        Evaluated {
            session_id: text(Field::SessionId),
            target: text(Field::Target),
            owner: text(Field::Owner),
            start,
            evaluation: self.set.evaluate(session, self.now),
        }
    }
}

/// A reader that adds what is consumed from it to a shared counter.
struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: io::Read> io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.counter.fetch_add(amount as u64, Ordering::Relaxed);
        self.inner.consume(amount);
    }
}
