//! Linting exports: every record of every input read as a stream, evaluated on worker
//! threads, and handed to a reporter in input order.

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use serde::Serialize;

use crate::input::{Batch, Frame, FrameError, Framer, InputSource, open_input};
use crate::model::{
    Field, ParsedRecord, Read, RecordError, Session, SkippedEvent, Timestamp, parse_record,
};
use crate::policy::{CompiledPolicySet, Decision, Evaluation, Severity};

mod problems;

pub use problems::{InputError, InputProblem, InputWarning, IoFailure, UnknownKey};

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
    /// Events that started no Session Manager session, passed over, per event source
    /// (`ssm.amazonaws.com` for its other calls, `athena.amazonaws.com`, ...).
    pub skipped_events: BTreeMap<String, u64>,
    pub decisions: DecisionCounts,
    pub violations: u64,
    pub waived: u64,
    pub by_rule: Vec<RuleCount>,
    pub by_severity: SeverityCounts,
    /// What was read but may not be what was meant, per input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<InputWarning>,
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
                rule: rule.qualified_id().to_owned(),
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

    /// Counts one evaluation of the set the summary was made for: `by_rule` is in the set's
    /// order, so a violation's rule index is its entry.
    fn count(&mut self, evaluation: &Evaluation<'_>) {
        self.records += 1;
        self.evaluated += 1;
        match evaluation.decision {
            Decision::Deny => self.decisions.deny += 1,
            Decision::Warn => self.decisions.warn += 1,
            Decision::Allow => self.decisions.allow += 1,
        }
        for violation in &evaluation.violations {
            let entry = self.by_rule.get_mut(violation.rule.index().index());
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
        problem: InputProblem,
    },
    /// An event that starts no Session Manager session.
    Skipped(SkippedEvent),
    /// The input could not be opened; nothing is reported from it.
    Unopened(io::Error),
    /// Reading failed part way; nothing after this is reported from the input. The problem
    /// gets the number of the last record when it is reported, since only then is it known.
    ReadFailed(io::Error),
}

struct Evaluated<'p> {
    session_id: Option<String>,
    target: Option<String>,
    owner: Option<String>,
    start: Option<Timestamp>,
    evaluation: Evaluation<'p>,
    baseline: Option<Evaluation<'p>>,
    /// Keys of the record that are not members of `Session` (nearly always none).
    unknown_keys: Vec<String>,
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
                let outcome = Outcome::Unopened(error);
                return emitter.emit(outcome, reporter, summary);
            }
        };
        let reader: Box<dyn BufRead + Send> = match &self.bytes_read {
            Some(counter) => Box::new(CountingReader {
                inner: reader,
                counter: counter.clone(),
            }),
            None => reader,
        };
        let content = Arc::new(AtomicBool::new(false));
        let framer = Framer::new(ContentWatch {
            inner: reader,
            seen: content.clone(),
            found: false,
        });
        if self.jobs == 1 {
            self.lint_sequentially(framer, &mut emitter, reporter, summary)?;
        } else {
            self.lint_in_parallel(framer, &mut emitter, reporter, summary)?;
        }
        emitter.finish(content.load(Ordering::Relaxed), reporter, summary)
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
                    let outcome = Outcome::ReadFailed(error);
                    return emitter.emit(outcome, reporter, summary);
                }
            }
            for item in &batch.items {
                emitter.emit(self.evaluate_item(&batch, item), reporter, summary)?;
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
                                (sequence, vec![Outcome::ReadFailed(error)])
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
                        if let Err(error) = emitter.emit(outcome, reporter, summary) {
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
                    problem: InputProblem::Frame(error.kind.clone()),
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
            Ok(ParsedRecord::OtherEvent(event)) => Outcome::Skipped(event.clone()),
            Err(error) => record_error(frame.line, error),
        }
    }

    fn evaluate(&self, session: &Session<'_>) -> Evaluated<'p> {
        let unknown_keys = session
            .unknown_keys()
            .iter()
            .map(|key| key.clone().into_owned())
            .collect();
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
                unknown_keys,
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
            unknown_keys,
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
    /// Keys that are not Session members, and how many records of the input name each.
    unknown_keys: BTreeMap<String, u64>,
}

impl<'p> Emitter<'p> {
    fn new(source: Arc<str>) -> Self {
        Self {
            stopped: false,
            unknown_keys: BTreeMap::new(),
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
        outcome: Outcome<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        if self.stopped {
            return Ok(());
        }
        match outcome {
            Outcome::Record { line, evaluated } => self.report(line, evaluated, reporter, summary),
            Outcome::Records { line, list } => {
                for evaluated in list {
                    self.report(line, evaluated, reporter, summary)?;
                }
                Ok(())
            }
            Outcome::Error {
                line,
                column,
                problem,
            } => {
                self.result.record += 1;
                summary.records += 1;
                summary.errors += 1;
                reporter.input_error(&InputError {
                    source: self.result.source.clone(),
                    record: Some(self.result.record),
                    line: Some(line),
                    column,
                    problem,
                })
            }
            Outcome::Skipped(event) => {
                *summary.skipped_events.entry(event.source).or_default() += 1;
                Ok(())
            }
            Outcome::Unopened(error) => {
                let error = error.into();
                self.stop(InputProblem::Unopened { error }, reporter, summary)
            }
            Outcome::ReadFailed(error) => {
                let problem = InputProblem::ReadFailed {
                    after_record: self.result.record,
                    error: error.into(),
                };
                self.stop(problem, reporter, summary)
            }
        }
    }

    /// Numbers and reports one evaluated record.
    fn report(
        &mut self,
        line: u64,
        evaluated: Evaluated<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        summary.count(&evaluated.evaluation);
        for key in evaluated.unknown_keys {
            *self.unknown_keys.entry(key).or_default() += 1;
        }
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

    /// Ends the input: an input without a single value is an error (the trace of a command
    /// that failed before it wrote anything), and keys that are not Session members are
    /// reported once, with their counts.
    fn finish(
        &mut self,
        content: bool,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        if !self.unknown_keys.is_empty() {
            let counts = std::mem::take(&mut self.unknown_keys);
            let source = self.result.source.clone();
            summary
                .warnings
                .push(InputWarning::unknown_keys(source, counts));
        }
        if content || self.stopped {
            return Ok(());
        }
        self.stop(InputProblem::Empty, reporter, summary)
    }

    /// Reports that the input stopped being read; nothing after it is reported.
    fn stop(
        &mut self,
        problem: InputProblem,
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
            problem,
        })
    }
}

/// An input error for a record that could not be read; `line` is where the record starts.
fn record_error<'p>(line: u64, error: &RecordError) -> Outcome<'p> {
    let error = error.clone();
    let Some((within, column)) = error.position() else {
        return Outcome::Error {
            line,
            column: None,
            problem: InputProblem::Record {
                error,
                at_character: None,
            },
        };
    };
    let within = within as u64;
    // Positions inside the record become positions in the input. A record's first line may
    // start after indentation the framer skipped, so a column is given only for the lines
    // after it; on the first line it is told relative to the record.
    let (column, at_character) = if within > 1 {
        (Some(column as u64), None)
    } else {
        (None, Some(column))
    };
    Outcome::Error {
        line: line + within.saturating_sub(1),
        column,
        problem: InputProblem::Record {
            error,
            at_character,
        },
    }
}

/// A reader that notes whether anything but whitespace passed through it: an input with no
/// value at all is an error, while `{"Sessions": []}` is an answer with no sessions.
struct ContentWatch<R> {
    inner: R,
    seen: Arc<AtomicBool>,
    found: bool,
}

impl<R: io::Read> io::Read for ContentWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.watch(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl<R: BufRead> BufRead for ContentWatch<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buffer = self.inner.fill_buf()?;
        if !self.found && buffer.iter().any(|b| !b.is_ascii_whitespace()) {
            self.found = true;
            self.seen.store(true, Ordering::Relaxed);
        }
        Ok(buffer)
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

impl<R> ContentWatch<R> {
    fn watch(&mut self, bytes: &[u8]) {
        if !self.found && bytes.iter().any(|b| !b.is_ascii_whitespace()) {
            self.found = true;
            self.seen.store(true, Ordering::Relaxed);
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
