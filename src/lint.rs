//! Linting exports: every record of every input read as a stream, evaluated on worker
//! threads, and handed to a reporter in input order.

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use serde::Serialize;

use crate::input::{Batch, Frame, FrameError, Framer, InputSource, open_input};
use crate::model::{Field, ParsedRecord, Read, Session, Timestamp, parse_record};
use crate::policy::{CompiledPolicySet, Decision, Evaluation, Severity};

/// How many records a batch holds: large enough to amortise handing work to threads, small
/// enough that memory stays flat.
const BATCH_RECORDS: usize = 1024;

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
    /// The same session under the baseline set, when the linter has one (see
    /// [`Linter::with_baseline`]).
    pub baseline: Option<Evaluation<'p>>,
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

/// A reporter lent out: so that wrappers can hold `&mut` to a reporter their caller keeps.
impl<'p, R: Reporter<'p> + ?Sized> Reporter<'p> for &mut R {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        (**self).record(result)
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        (**self).input_error(error)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        (**self).finish(summary)
    }
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
    identify_all: bool,
    /// A second set each session is also evaluated under, on the same parse.
    baseline: Option<&'p CompiledPolicySet>,
}

/// What one frame became, before record numbers are given out.
enum Outcome<'p> {
    /// A Session: the common case, kept out of a list so it costs no allocation.
    Record { line: u64, evaluated: Evaluated<'p> },
    /// The sessions of a `DescribeSessions` response held in one frame.
    Records { line: u64, list: Vec<Evaluated<'p>> },
    Error {
        line: u64,
        column: Option<u64>,
        message: String,
    },
    /// A CloudTrail event that starts no session.
    Skipped,
    /// The input could not be opened; nothing is reported from it.
    Unopened(String),
    /// Reading failed part way; nothing after this is reported from the input. The message
    /// gets the number of the last record when it is reported, since only then is it known.
    ReadFailed(String),
}

struct Evaluated<'p> {
    session_id: Option<String>,
    target: Option<String>,
    owner: Option<String>,
    start: Option<Timestamp>,
    evaluation: Evaluation<'p>,
    baseline: Option<Evaluation<'p>>,
}

/// Work handed from the reader to the evaluators, numbered so results can be put back in order.
enum Work {
    Batch(u64, Batch),
    Failed(u64, io::Error),
}

impl<'p> Linter<'p> {
    /// A linter evaluating at `now` on `jobs` threads (at least one).
    pub fn new(set: &'p CompiledPolicySet, now: Timestamp, jobs: usize) -> Self {
        Self {
            set,
            now,
            jobs: jobs.max(1),
            bytes_read: None,
            identify_all: true,
            baseline: None,
        }
    }

    /// Whether records without violations carry their session id, target and owner. Reports
    /// that list only violations turn it off, so clean records cost no allocation.
    pub fn identify_clean_records(mut self, identify: bool) -> Self {
        self.identify_all = identify;
        self
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
        let mut emitter = Emitter::new(Arc::from(input.to_string()));
        let reader = match open_input(input) {
            Ok(reader) => reader,
            Err(error) => {
                let outcome = Outcome::Unopened(format!("cannot read input: {error}"));
                return emitter.emit(self.set, outcome, reporter, summary);
            }
        };
        let reader: Box<dyn BufRead + Send> = match &self.bytes_read {
            Some(counter) => Box::new(CountingReader {
                inner: reader,
                counter: counter.clone(),
            }),
            None => reader,
        };
        let framer = Framer::new(reader);
        if self.jobs == 1 {
            self.lint_sequentially(framer, &mut emitter, reporter, summary)
        } else {
            self.lint_in_parallel(framer, &mut emitter, reporter, summary)
        }
    }

    fn lint_sequentially<R: std::io::BufRead>(
        &self,
        mut framer: Framer<R>,
        emitter: &mut Emitter<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        let mut batch = Batch::default();
        loop {
            match framer.next_batch(&mut batch, BATCH_RECORDS) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(error) => {
                    let outcome = Outcome::ReadFailed(error.to_string());
                    return emitter.emit(self.set, outcome, reporter, summary);
                }
            }
            for item in &batch.items {
                emitter.emit(
                    self.set,
                    self.evaluate_item(&batch, item),
                    reporter,
                    summary,
                )?;
            }
        }
    }

    /// A pipeline: one thread frames batches, `jobs` threads parse and evaluate them, and this
    /// thread reports the results in input order. Bounded queues keep memory flat.
    fn lint_in_parallel<R: std::io::BufRead + Send>(
        &self,
        mut framer: Framer<R>,
        emitter: &mut Emitter<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        let depth = self.jobs * 2;
        let (work_tx, work_rx) = mpsc::sync_channel::<Work>(depth);
        let work_rx = Mutex::new(work_rx);
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Vec<Outcome<'p>>)>(depth);
        // Emptied batches go back to the reader, and emptied lists of outcomes to the
        // evaluators, so that their buffers are allocated once, not once a batch.
        let (free_tx, free_rx) = mpsc::sync_channel::<Batch>(depth + self.jobs);
        let (spare_tx, spare_rx) = mpsc::sync_channel::<Vec<Outcome<'p>>>(depth + self.jobs);
        let spare_rx = Mutex::new(spare_rx);
        let cancelled = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let cancelled = &cancelled;
            scope.spawn(move || {
                let mut sequence = 0;
                loop {
                    if cancelled.load(Ordering::Relaxed) {
                        return;
                    }
                    let mut batch = free_rx.try_recv().unwrap_or_default();
                    let work = match framer.next_batch(&mut batch, BATCH_RECORDS) {
                        Ok(true) => Work::Batch(sequence, batch),
                        Ok(false) => return,
                        Err(error) => Work::Failed(sequence, error),
                    };
                    let last = matches!(work, Work::Failed(..));
                    if work_tx.send(work).is_err() || last {
                        return;
                    }
                    sequence += 1;
                }
            });
            for _ in 0..self.jobs {
                let work_rx = &work_rx;
                let spare_rx = &spare_rx;
                let done_tx = done_tx.clone();
                let free_tx = free_tx.clone();
                scope.spawn(move || {
                    loop {
                        let work = match work_rx.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let (sequence, outcomes) = match work {
                            Ok(Work::Batch(sequence, batch)) => {
                                let mut outcomes = spare_rx
                                    .lock()
                                    .ok()
                                    .and_then(|spares| spares.try_recv().ok())
                                    .unwrap_or_default();
                                outcomes.extend(
                                    batch
                                        .items
                                        .iter()
                                        .map(|item| self.evaluate_item(&batch, item)),
                                );
                                // A full return queue means enough spares: drop this one.
                                let _ = free_tx.try_send(batch);
                                (sequence, outcomes)
                            }
                            Ok(Work::Failed(sequence, error)) => {
                                (sequence, vec![Outcome::ReadFailed(error.to_string())])
                            }
                            Err(_) => return,
                        };
                        if done_tx.send((sequence, outcomes)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done_tx);
            drop(free_tx);
            let mut done = done_rx.into_iter();
            let mut pending = BTreeMap::new();
            let mut next = 0u64;
            let mut result = Ok(());
            'receive: for (sequence, outcomes) in done.by_ref() {
                pending.insert(sequence, outcomes);
                while let Some(mut outcomes) = pending.remove(&next) {
                    next += 1;
                    for outcome in outcomes.drain(..) {
                        if let Err(error) = emitter.emit(self.set, outcome, reporter, summary) {
                            result = Err(error);
                            break 'receive;
                        }
                    }
                    // A full return queue means enough spares: drop this one.
                    let _ = spare_tx.try_send(outcomes);
                }
            }
            if result.is_err() {
                // The reporter failed (a closed pipe): stop the reader, and drain the
                // evaluators so that they can finish.
                cancelled.store(true, Ordering::Relaxed);
                done.for_each(drop);
            }
            result
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
        // Matched by reference: moving a Session out of the result would copy it.
        match &parse_record(batch.bytes(frame)) {
            Ok(ParsedRecord::Session(session)) => Outcome::Record {
                line: frame.line,
                evaluated: self.evaluate(session),
            },
            Ok(ParsedRecord::Sessions(sessions)) => Outcome::Records {
                line: frame.line,
                list: sessions.iter().map(|s| self.evaluate(s)).collect(),
            },
            Ok(ParsedRecord::OtherEvent { .. }) => Outcome::Skipped,
            Err(error) => {
                // Positions inside the record become positions in the input. A record's first
                // line may start after indentation the framer skipped, so a column is given only
                // for the lines after it; on the first line it is told relative to the record.
                let within = error.line() as u64;
                let (column, message) = if within > 1 {
                    (Some(error.column() as u64), error.problem().to_owned())
                } else {
                    (
                        None,
                        format!(
                            "{} (at character {} of the record)",
                            error.problem(),
                            error.column()
                        ),
                    )
                };
                Outcome::Error {
                    line: frame.line + within.saturating_sub(1),
                    column,
                    message,
                }
            }
        }
    }

    fn evaluate(&self, session: &Session<'_>) -> Evaluated<'p> {
        let evaluation = self.set.evaluate(session, self.now);
        let baseline = self.evaluate_baseline(session);
        let start = match session.instant(Field::StartDate) {
            Read::Value(start) => Some(start),
            _ => None,
        };
        let clean = evaluation.violations.is_empty()
            && baseline.as_ref().is_none_or(|b| b.violations.is_empty());
        if !self.identify_all && clean {
            return Evaluated {
                session_id: None,
                target: None,
                owner: None,
                start,
                evaluation,
                baseline,
            };
        }
        let text = |field| match session.text(field) {
            Read::Value(text) => Some(text.to_owned()),
            _ => None,
        };
        Evaluated {
            session_id: text(Field::SessionId),
            target: text(Field::Target),
            owner: text(Field::Owner),
            start,
            evaluation,
            baseline,
        }
    }
}

// ---------------------------------------------------------------- a baseline set (for `diff`)

impl<'p> Linter<'p> {
    /// Also evaluates every session under `baseline`, on the same parse, and hands that
    /// evaluation to the reporter as [`RecordResult::baseline`]. `diff` compares the two;
    /// the run's [`Summary`] still counts the main set only.
    pub fn with_baseline(mut self, baseline: &'p CompiledPolicySet) -> Self {
        self.baseline = Some(baseline);
        self
    }

    fn evaluate_baseline(&self, session: &Session<'_>) -> Option<Evaluation<'p>> {
        self.baseline.map(|set| set.evaluate(session, self.now))
    }
}

/// Gives out record numbers in input order, counts, and hands results to the reporter.
struct Emitter<'p> {
    stopped: bool,
    /// The result handed to the reporter, refilled for each record: it keeps the input's name,
    /// which would otherwise be a reference count taken and dropped per record, and its
    /// `record` is the number last given out.
    result: RecordResult<'p>,
}

impl<'p> Emitter<'p> {
    fn new(source: Arc<str>) -> Self {
        Self {
            stopped: false,
            result: RecordResult {
                source,
                record: 0,
                line: 0,
                session_id: None,
                target: None,
                owner: None,
                start: None,
                evaluation: Evaluation {
                    decision: Decision::Allow,
                    violations: Vec::new(),
                },
                baseline: None,
            },
        }
    }

    fn emit(
        &mut self,
        set: &CompiledPolicySet,
        outcome: Outcome<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        if self.stopped {
            return Ok(());
        }
        match outcome {
            Outcome::Record { line, evaluated } => {
                self.report(set, line, evaluated, reporter, summary)
            }
            Outcome::Records { line, list } => {
                for evaluated in list {
                    self.report(set, line, evaluated, reporter, summary)?;
                }
                Ok(())
            }
            Outcome::Error {
                line,
                column,
                message,
            } => {
                self.result.record += 1;
                summary.records += 1;
                summary.errors += 1;
                reporter.input_error(&InputError {
                    source: self.result.source.clone(),
                    record: Some(self.result.record),
                    line: Some(line),
                    column,
                    message,
                })
            }
            Outcome::Skipped => {
                summary.skipped_events += 1;
                Ok(())
            }
            Outcome::Unopened(message) => self.stop(message, reporter, summary),
            Outcome::ReadFailed(error) => {
                let message = format!(
                    "reading stopped after record {}: {error}",
                    self.result.record
                );
                self.stop(message, reporter, summary)
            }
        }
    }

    /// Numbers and reports one evaluated record.
    fn report(
        &mut self,
        set: &CompiledPolicySet,
        line: u64,
        evaluated: Evaluated<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        summary.count(set, &evaluated.evaluation);
        let result = &mut self.result;
        result.record += 1;
        result.line = line;
        result.session_id = evaluated.session_id;
        result.target = evaluated.target;
        result.owner = evaluated.owner;
        result.start = evaluated.start;
        result.evaluation = evaluated.evaluation;
        result.baseline = evaluated.baseline;
        reporter.record(result)
    }

    /// Reports that the input stopped being read; nothing after it is reported.
    fn stop(
        &mut self,
        message: String,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        self.stopped = true;
        summary.errors += 1;
        reporter.input_error(&InputError {
            source: self.result.source.clone(),
            record: None,
            line: None,
            column: None,
            message,
        })
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
