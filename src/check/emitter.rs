//! Putting results back in input order: record numbers given out, counts kept, and each
//! result handed to the reporter.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::ops::Range;
use std::sync::Arc;

use super::{InputError, InputProblem, InputWarning, RecordResult, Rendering, Reporter, Summary};
use crate::json_text::Text;
use crate::model::{Field, RecordError, Session, SkippedEvent, Timestamp, Value};
use crate::policy::{Breach, Decision, Evaluation, Violation};
use crate::report::{Subject, github, json, jsonl, junit, sarif};

/// A batch's outcomes and the output rendered for them, handed to the writer together and
/// recycled together, so that their buffers are allocated once, not once a batch.
#[derive(Default)]
pub(super) struct Finished<'p> {
    pub(super) outcomes: Vec<Outcome<'p>>,
    pub(super) rendered: Rendered<'p>,
}

/// What the evaluating thread works with and renders into: output rendered where records were
/// evaluated (the text, and the offsets in it where record numbers go), the buffers it renders
/// with, and the batch's violations, in record order, for the writer to hand out record by
/// record. Every buffer is reused, so that a violation costs no allocation once they have
/// grown.
#[derive(Debug, Default)]
pub(super) struct Rendered<'p> {
    scratch: jsonl::Scratch<'p>,
    /// Violations whose words were rendered here or are not wanted, as evaluation found them:
    /// the writer makes them the words-less violations it counts, so that they are built once,
    /// where they are handed out, and what crosses threads is the smaller breach. The writer takes them
    /// record by record from `taken` on: a list and a cursor cost less than a ring buffer's
    /// wrapping, for records that are queued and taken as batches, never both at once.
    breaches: Vec<Option<Breach<'p>>>,
    taken: usize,
    /// Violations with their words, where the reporter renders them itself.
    violations: VecDeque<Violation<'p>>,
    /// A value written as JSON before it is escaped for XML (JUnit).
    value: Vec<u8>,
}

/// A field's text as reports write it: text borrowed from the input is plain, since the
/// readers borrow only strings written without escapes.
fn text_of<'s>(session: &'s Session<'_>, field: Field) -> Option<Text<'s>> {
    match session.value(field) {
        Some(Value::String(Cow::Borrowed(text))) => Some(Text::Plain(text)),
        Some(Value::String(Cow::Owned(text))) => Some(Text::Any(text)),
        _ => None,
    }
}

/// Where one record's rendered output is in a [`Rendered`].
#[derive(Debug, Clone)]
pub(super) struct RenderedRange {
    text: Range<usize>,
    splices: Range<usize>,
}

impl<'p> Rendered<'p> {
    pub(super) fn clear(&mut self) {
        self.scratch.text.clear();
        self.scratch.splices.clear();
        self.breaches.clear();
        self.taken = 0;
        self.violations.clear();
    }

    /// Where evaluation puts the rules a record breaks, emptied.
    pub(super) fn breaches(&mut self) -> &mut Vec<Breach<'p>> {
        self.scratch.breaches.clear();
        &mut self.scratch.breaches
    }

    /// Queues the record's violations from the breaches evaluation found: with their words
    /// where the reporter reads them (`worded`), without where it rendered them here or reads
    /// none. Returns how many.
    pub(super) fn queue_violations(
        &mut self,
        session: &Session<'_>,
        now: Timestamp,
        worded: bool,
    ) -> usize {
        let breaches = self.scratch.breaches.drain(..);
        let count = breaches.len();
        if worded {
            self.violations
                .extend(breaches.map(|breach| breach.violation(session, now)));
        } else {
            self.breaches.extend(breaches.map(Some));
        }
        count
    }

    /// Moves the next record's `count` violations into `into`, emptied first: with their
    /// words where they were queued `worded`, otherwise words-less from the breaches.
    fn take_violations(&mut self, count: usize, worded: bool, into: &mut Vec<Violation<'p>>) {
        into.clear();
        if !worded {
            let end = self.taken.saturating_add(count).min(self.breaches.len());
            let record = self.breaches.get_mut(self.taken..end).unwrap_or_default();
            into.extend(
                record
                    .iter_mut()
                    .filter_map(Option::take)
                    .map(Breach::counted),
            );
            self.taken = end;
        } else {
            let count = count.min(self.violations.len());
            into.extend(self.violations.drain(..count));
        }
    }

    /// Renders one record's output from the breaches evaluation found; `None` when it has
    /// none.
    pub(super) fn render(
        &mut self,
        rendering: Rendering,
        place: (&str, &[u8], u64),
        session: &Session<'_>,
        now: Timestamp,
        decision: Decision,
    ) -> Option<RenderedRange> {
        // Only JSON has a result for a record without violations.
        if rendering != Rendering::Json && self.scratch.breaches.is_empty() {
            return None;
        }
        let (text, splices) = (self.scratch.text.len(), self.scratch.splices.len());
        let (source, source_json, line) = place;
        let place = jsonl::Place {
            source: source_json,
            line,
            session_id: text_of(session, Field::SessionId),
            target: text_of(session, Field::Target),
        };
        let subject = || Subject::in_session(source, line, session, decision);
        let out = &mut self.scratch;
        match rendering {
            Rendering::JsonLines => jsonl::render_breaches(out, &place, session, now, decision),
            Rendering::Json => json::render_breaches(out, &place, session, now, decision),
            Rendering::Sarif => sarif::render_breaches(out, &subject(), session, now),
            Rendering::Github => github::render_breaches(out, &subject(), session, now),
            Rendering::Junit => {
                junit::render_breaches(out, &mut self.value, &subject(), session, now);
            }
        }
        // Offsets are kept relative to the record's own text.
        for splice in self.scratch.splices.get_mut(splices..).unwrap_or_default() {
            *splice -= text;
        }
        Some(RenderedRange {
            text: text..self.scratch.text.len(),
            splices: splices..self.scratch.splices.len(),
        })
    }

    fn get(&self, range: &RenderedRange) -> (&[u8], &[usize]) {
        (
            self.scratch
                .text
                .get(range.text.clone())
                .unwrap_or_default(),
            self.scratch
                .splices
                .get(range.splices.clone())
                .unwrap_or_default(),
        )
    }
}

/// What one frame became, before record numbers are given out.
pub(super) enum Outcome<'p> {
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

pub(super) struct Evaluated<'p> {
    pub(super) session_id: Option<String>,
    pub(super) target: Option<String>,
    pub(super) owner: Option<String>,
    pub(super) start: Option<Timestamp>,
    pub(super) decision: Decision,
    /// How many violations it has, queued in its batch's [`Rendered`].
    pub(super) violations: usize,
    /// Whether they were queued with their words.
    pub(super) worded: bool,
    pub(super) baseline: Option<Evaluation<'p>>,
    /// Keys of the record that are not members of `Session` (nearly always none).
    pub(super) unknown_keys: Vec<String>,
    /// Its output, where the reporter let it be rendered on the evaluating thread.
    pub(super) rendered: Option<RenderedRange>,
}

/// Gives out record numbers in input order, counts, and hands results to the reporter.
pub(super) struct Emitter<'p> {
    stopped: bool,
    /// The result handed to the reporter, refilled for each record: it keeps the input's name,
    /// which would otherwise be a reference count taken and dropped per record, and its
    /// `record` is the number last given out.
    result: RecordResult<'p>,
    /// Keys that are not Session members, and how many records of the input name each.
    unknown_keys: BTreeMap<String, u64>,
}

impl<'p> Emitter<'p> {
    pub(super) fn new(source: Arc<str>) -> Self {
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

    /// Hands one outcome to the reporter; `rendered` holds the output rendered for its batch.
    pub(super) fn emit(
        &mut self,
        outcome: Outcome<'p>,
        rendered: &mut Rendered<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
        if self.stopped {
            return Ok(());
        }
        match outcome {
            Outcome::Record { line, evaluated } => {
                self.report(line, evaluated, rendered, reporter, summary)
            }
            Outcome::Records { line, list } => {
                for evaluated in list {
                    self.report(line, evaluated, rendered, reporter, summary)?;
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
        rendered: &mut Rendered<'p>,
        reporter: &mut dyn Reporter<'p>,
        summary: &mut Summary,
    ) -> io::Result<()> {
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
        // The result's list of violations is refilled, not replaced: no allocation a record.
        result.evaluation.decision = evaluated.decision;
        rendered.take_violations(
            evaluated.violations,
            evaluated.worded,
            &mut result.evaluation.violations,
        );
        summary.count(&result.evaluation);
        result.baseline = evaluated.baseline;
        match &evaluated.rendered {
            Some(range) => {
                let (text, splices) = rendered.get(range);
                reporter.rendered(result, text, splices)
            }
            None => reporter.record(result),
        }
    }

    /// Ends the input: an input without a single value is an error (the trace of a command
    /// that failed before it wrote anything), and keys that are not Session members are
    /// reported once, with their counts.
    pub(super) fn finish(
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
pub(super) fn record_error<'p>(line: u64, error: &RecordError) -> Outcome<'p> {
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
