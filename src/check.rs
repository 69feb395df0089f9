//! Checking exports: every record of every input read as a stream, evaluated on worker
//! threads, and handed to a reporter in input order.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::input::{Batch, Frame, FrameError, Framer, InputSource, open_input};
use crate::model::{
    Field, ParsedRecord, Read, Session, Timestamp, parse_record, parse_record_text,
};
use crate::policy::{Breach, CompiledPolicySet, Evaluation};
use crate::report::jsonl;
use crate::tags::TagContext;

mod emitter;
mod problems;
mod readers;
mod summary;

use emitter::{Emitter, Evaluated, Finished, Outcome, Rendered, record_error};
pub use problems::{InputError, InputProblem, InputWarning, IoFailure, UnknownKey};
use readers::{ContentWatch, CountingReader};
pub use summary::{DecisionCounts, RuleCount, SeverityCounts, Summary};

/// How many records a batch holds: large enough to amortise handing work to threads, small
/// enough that memory stays flat.
const BATCH_RECORDS: usize = 1024;

/// How many records a batch holds where one thread reads and evaluates: few enough that a
/// batch's bytes are still in the nearest cache when they are parsed, just after the framer
/// wrote them.
const SEQUENTIAL_BATCH_RECORDS: usize = 64;

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
    /// The same session under the baseline set, when the checker has one (see
    /// [`Checker::with_baseline`]).
    pub baseline: Option<Evaluation<'p>>,
}

/// Output that a reporter has rendered on the threads that evaluate, as ripgrep's printers
/// fill a buffer per thread: the writer only puts the pieces in input order, and writes the
/// record numbers, which are known only then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rendering {
    /// `--format jsonl`: a line per violation.
    JsonLines,
    /// `--format json`: a result per record.
    Json,
    /// `--format sarif`: a result per violation; the writer puts commas between records'.
    Sarif,
    /// `--format github`: a workflow command per violation.
    Github,
    /// `--format junit`: a test case per violation, which the writer files under its rule.
    Junit,
}

/// What a reporter is handed, in input order.
pub trait Reporter<'p> {
    /// One evaluated record.
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()>;
    /// The output this reporter lets the evaluating threads render, if any. Then it is handed
    /// each record through [`Reporter::rendered`], whose `result` carries the record's place,
    /// decision and which rules it broke, but not the violations' messages and values.
    fn rendering(&self) -> Option<Rendering> {
        None
    }
    /// One record whose output was rendered as `text`, with the record number to be written
    /// at each offset of `splices`.
    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        let _ = (text, splices);
        self.record(result)
    }
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

    fn rendering(&self) -> Option<Rendering> {
        (**self).rendering()
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        (**self).rendered(result, text, splices)
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        (**self).input_error(error)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        (**self).finish(summary)
    }
}

/// Reads and evaluates inputs against one compiled set.
#[derive(Debug)]
pub struct Checker<'p> {
    set: &'p CompiledPolicySet,
    now: Timestamp,
    jobs: usize,
    /// Where to add the bytes read (after decompression), for progress displays.
    bytes_read: Option<Arc<AtomicU64>>,
    identify_all: bool,
    /// Whether violations carry their messages and values; see [`Checker::violation_words`].
    words: bool,
    /// A second set each session is also evaluated under, on the same parse.
    baseline: Option<&'p CompiledPolicySet>,
    /// Where sessions get the tags the sets read; `None` when they read none.
    tags: Option<TagContext>,
}

/// Work handed from the reader to the evaluators, numbered so results can be put back in order.
enum Work {
    Batch(u64, Batch),
    Failed(u64, io::Error),
}

impl<'p> Checker<'p> {
    /// A checker evaluating at `now` on `jobs` threads (at least one).
    pub fn new(set: &'p CompiledPolicySet, now: Timestamp, jobs: usize) -> Self {
        Self {
            set,
            now,
            jobs: jobs.max(1),
            bytes_read: None,
            identify_all: true,
            words: true,
            baseline: None,
            tags: None,
        }
    }

    /// Gives each session the tags of `tags` before it is judged, where the sets read tags.
    pub fn with_tags(mut self, tags: TagContext) -> Self {
        self.tags = Some(tags);
        self
    }

    /// Whether records without violations carry their session id, target and owner. Reports
    /// that list only violations turn it off, so clean records cost no allocation.
    pub fn identify_clean_records(mut self, identify: bool) -> Self {
        self.identify_all = identify;
        self
    }

    /// Whether the violations handed to the reporter carry their messages and values (the
    /// default). A reporter that compares which rules broke, as `diff` does, turns it off:
    /// its violations, and the baseline's, then cost no words, only the rule and the waiver.
    pub fn violation_words(mut self, words: bool) -> Self {
        self.words = words;
        self
    }

    /// Adds the number of bytes read from every input (decompressed) to `counter` as it goes.
    pub fn count_bytes(mut self, counter: Arc<AtomicU64>) -> Self {
        self.bytes_read = Some(counter);
        self
    }

    /// Lints every input in order; returns the run's summary after the reporter's `finish`.
    /// Inputs may be made as they are read (an `s3://` prefix is listed page by page), so that
    /// millions of them need not be held at once.
    pub fn run(
        &self,
        inputs: impl IntoIterator<Item = impl Borrow<InputSource>>,
        reporter: &mut dyn Reporter<'p>,
    ) -> io::Result<Summary> {
        let mut summary = Summary::new(self.set);
        let rendering = reporter.rendering();
        for input in inputs {
            summary.inputs += 1;
            self.check_input(input.borrow(), rendering, reporter, &mut summary)?;
        }
        reporter.finish(&summary)?;
        Ok(summary)
    }

    fn check_input(
        &self,
        input: &InputSource,
        rendering: Option<Rendering>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        let source: Arc<str> = Arc::from(input.to_string());
        let mut emitter = Emitter::new(source.clone());
        let render = Render {
            rendering,
            source_json: jsonl::source_json(&source),
            source,
        };
        let reader = match open_input(input) {
            Ok(reader) => reader,
            Err(error) => {
                let outcome = Outcome::Unopened(error);
                return emitter.emit(outcome, &mut Rendered::default(), reporter, summary);
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
            self.check_sequentially(framer, &render, &mut emitter, reporter, summary)?;
        } else {
            self.check_in_parallel(framer, &render, &mut emitter, reporter, summary)?;
        }
        emitter.finish(content.load(Ordering::Relaxed), reporter, summary)
    }

    fn check_sequentially<R: std::io::BufRead>(
        &self,
        mut framer: Framer<R>,
        render: &Render,
        emitter: &mut Emitter<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        let mut batch = Batch::default();
        let mut rendered = Rendered::default();
        loop {
            match framer.next_batch(&mut batch, SEQUENTIAL_BATCH_RECORDS) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(error) => {
                    let outcome = Outcome::ReadFailed(error);
                    return emitter.emit(outcome, &mut rendered, reporter, summary);
                }
            }
            let text = batch.text();
            for item in &batch.items {
                rendered.clear();
                let outcome = self.evaluate_item(&batch, text, item, render, &mut rendered);
                emitter.emit(outcome, &mut rendered, reporter, summary)?;
            }
        }
    }

    /// A pipeline: one thread frames batches, `jobs` threads parse and evaluate them, and this
    /// thread reports the results in input order. Bounded queues keep memory flat.
    fn check_in_parallel<R: std::io::BufRead + Send>(
        &self,
        mut framer: Framer<R>,
        render: &Render,
        emitter: &mut Emitter<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        let depth = self.jobs * 2;
        let (work_tx, work_rx) = mpsc::sync_channel::<Work>(depth);
        let work_rx = Mutex::new(work_rx);
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Finished<'p>)>(depth);
        // Emptied batches go back to the reader, and emptied results to the evaluators, so
        // that their buffers are allocated once, not once a batch. Results are a fixed number:
        // an evaluating thread takes one before it takes a batch, and the writer gives it back
        // once written, so that however threads are scheduled, no more batches' results wait
        // for the writer than that (a slow thread would otherwise let the others' pile up).
        // The batch the writer waits for was taken first, with a result, so it always ends.
        let (free_tx, free_rx) = mpsc::sync_channel::<Batch>(depth + self.jobs);
        let results = self.jobs * 2 + 2;
        let (spare_tx, spare_rx) = mpsc::sync_channel::<Finished<'p>>(results);
        for _ in 0..results {
            let _ = spare_tx.try_send(Finished::default());
        }
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
                        let spare = match spare_rx.lock() {
                            Ok(spares) => spares.recv(),
                            Err(_) => return,
                        };
                        let Ok(mut finished) = spare else {
                            return;
                        };
                        let work = match work_rx.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        finished.rendered.clear();
                        let sequence = match work {
                            Ok(Work::Batch(sequence, batch)) => {
                                let text = batch.text();
                                for item in &batch.items {
                                    let outcome = self.evaluate_item(
                                        &batch,
                                        text,
                                        item,
                                        render,
                                        &mut finished.rendered,
                                    );
                                    finished.outcomes.push(outcome);
                                }
                                // A full return queue means enough spares: drop this one.
                                let _ = free_tx.try_send(batch);
                                sequence
                            }
                            Ok(Work::Failed(sequence, error)) => {
                                finished.outcomes.push(Outcome::ReadFailed(error));
                                sequence
                            }
                            Err(_) => return,
                        };
                        if done_tx.send((sequence, finished)).is_err() {
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
            'receive: for (sequence, finished) in done.by_ref() {
                pending.insert(sequence, finished);
                while let Some(mut finished) = pending.remove(&next) {
                    next += 1;
                    for outcome in finished.outcomes.drain(..) {
                        let emitted =
                            emitter.emit(outcome, &mut finished.rendered, reporter, summary);
                        if let Err(error) = emitted {
                            result = Err(error);
                            break 'receive;
                        }
                    }
                    // The queue holds every result there is, so it has room for this one.
                    let _ = spare_tx.try_send(finished);
                }
            }
            if result.is_err() {
                // The reporter failed (a closed pipe): stop the reader, and drain the
                // evaluators so that they can finish; with no results coming back, an
                // evaluator waiting for one finds the queue closed and stops.
                cancelled.store(true, Ordering::Relaxed);
                drop(spare_tx);
                done.for_each(drop);
            }
            result
        })
    }

    /// Evaluates one item of `batch`; `text` is the batch's text where all of it is UTF-8.
    fn evaluate_item(
        &self,
        batch: &Batch,
        text: Option<&str>,
        item: &Result<Frame, FrameError>,
        render: &Render,
        out: &mut Rendered<'p>,
    ) -> Outcome<'p> {
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
        let mut parsed = match text.and_then(|text| text.get(frame.range.clone())) {
            Some(text) => parse_record_text(text),
            None => parse_record(batch.bytes(frame)),
        };
        // Matched by reference: moving a Session out of the result would copy it.
        match &mut parsed {
            Ok(ParsedRecord::Session(session)) => {
                if let Some(tags) = &self.tags {
                    tags.attach(session);
                }
                Outcome::Record {
                    line: frame.line,
                    evaluated: self.evaluate(session, frame.line, render, out),
                }
            }
            Ok(ParsedRecord::Sessions(sessions)) => Outcome::Records {
                line: frame.line,
                list: sessions
                    .iter_mut()
                    .map(|s| {
                        if let Some(tags) = &self.tags {
                            tags.attach(s);
                        }
                        self.evaluate(s, frame.line, render, out)
                    })
                    .collect(),
            },
            Ok(ParsedRecord::OtherEvent(event)) => Outcome::Skipped(event.clone()),
            Err(error) => record_error(frame.line, error),
        }
    }

    fn evaluate(
        &self,
        session: &Session<'_>,
        line: u64,
        render: &Render,
        out: &mut Rendered<'p>,
    ) -> Evaluated<'p> {
        let unknown_keys = session
            .unknown_keys()
            .iter()
            .map(|key| key.clone().into_owned())
            .collect();
        let decision = self.set.judge(session, self.now, out.breaches());
        let baseline = self.evaluate_baseline(session);
        let start = session.start();
        // Rendered here, where the record is: the writer only orders the pieces, and the
        // violations it counts carry no words.
        let rendered = render.rendering.and_then(|rendering| {
            let place = (&*render.source, &*render.source_json, line);
            out.render(rendering, place, session, self.now, decision)
        });
        // Words are written where the record is rendered, or nowhere when none are wanted.
        let worded = render.rendering.is_none() && self.words;
        let violations = out.queue_violations(session, self.now, worded);
        let clean = violations == 0 && baseline.as_ref().is_none_or(|b| b.violations.is_empty());
        // The record's identity, for the reporters that name it: a rendered record named
        // itself already, and a clean one is named only when every record is.
        let identify = render.rendering.is_none() && (self.identify_all || !clean);
        let text = |field| match session.text(field) {
            Read::Value(text) if identify => Some(text.to_owned()),
            _ => None,
        };
        Evaluated {
            session_id: text(Field::SessionId),
            target: text(Field::Target),
            owner: text(Field::Owner),
            start,
            decision,
            violations,
            worded,
            baseline,
            unknown_keys,
            rendered,
        }
    }
}

/// What the evaluating threads render for one input.
struct Render {
    rendering: Option<Rendering>,
    source: Arc<str>,
    /// The input's name as a JSON string, written into every line rendered.
    source_json: Vec<u8>,
}

// ---------------------------------------------------------------- a baseline set (for `diff`)

impl<'p> Checker<'p> {
    /// Also evaluates every session under `baseline`, on the same parse, and hands that
    /// evaluation to the reporter as [`RecordResult::baseline`]. `diff` compares the two;
    /// the run's [`Summary`] still counts the main set only.
    pub fn with_baseline(mut self, baseline: &'p CompiledPolicySet) -> Self {
        self.baseline = Some(baseline);
        self
    }

    fn evaluate_baseline(&self, session: &Session<'_>) -> Option<Evaluation<'p>> {
        let set = self.baseline?;
        if self.words {
            return Some(set.evaluate(session, self.now));
        }
        let mut breaches = Vec::new();
        let decision = set.judge(session, self.now, &mut breaches);
        Some(Evaluation {
            decision,
            violations: breaches.into_iter().map(Breach::counted).collect(),
        })
    }
}
