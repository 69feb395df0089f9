//! `--format jsonl`: one JSON object a line for each violation, waived ones included.

use std::io::{self, Write};
use std::sync::Arc;

use super::ViolationView;
use crate::check::{InputError, RecordResult, Rendering, Reporter, Summary};
use crate::json_text::{Text, push_str, push_text, push_value, push_written};
use crate::model::{Actual, Session, Timestamp};
use crate::policy::{Action, Breach, Decision, Evaluation, Severity};

/// Writes a line per violation, carrying its record's source, number, line and session.
#[derive(Debug)]
pub struct JsonLinesReporter<W: Write> {
    out: W,
    /// A record's lines, written here first: a line is dozens of small pieces, which cost
    /// less appended to a vector than passed one by one to the output.
    line: Vec<u8>,
    /// Where the record number goes in `line`.
    splices: Vec<usize>,
    /// The last input's name, and that name as a JSON string.
    source: Option<(Arc<str>, Vec<u8>)>,
}

impl<W: Write> JsonLinesReporter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::new(),
            splices: Vec::new(),
            source: None,
        }
    }
}

/// Where a record's violations come from: what its lines carry besides the violations.
#[derive(Debug)]
pub(crate) struct Place<'a> {
    /// The input's name as a JSON string, quotes included: escaped once an input, not once a
    /// line.
    pub source: &'a [u8],
    pub line: u64,
    pub session_id: Option<Text<'a>>,
    pub target: Option<Text<'a>>,
}

/// The input's name as a JSON string, quotes included, for [`Place::source`].
pub(crate) fn source_json(source: &str) -> Vec<u8> {
    let mut json = Vec::with_capacity(source.len() + 2);
    push_str(&mut json, source);
    json
}

/// Renders a record's lines, one per violation: the record's place and identity with the
/// violation, keys in alphabetical order. The record number, known only once records are back
/// in input order, is left out: its offset in `text` is pushed to `splices`.
///
/// Written by hand: serde escapes strings a byte at a time, and strings are most of a line.
pub(crate) fn render(
    text: &mut Vec<u8>,
    splices: &mut Vec<usize>,
    place: &Place<'_>,
    evaluation: &Evaluation<'_>,
) {
    for violation in &evaluation.violations {
        let v = ViolationView::of(violation);
        let line = Line {
            actual: ActualRef::Json(v.actual),
            message: Message::Written(v.message),
            view: &v,
        };
        line.write(text, splices, &mut Vec::new(), place, evaluation.decision);
    }
}

/// Renders a record's lines as [`render`] does, from what evaluation found, where the record
/// is: messages are written into `message`, a buffer the caller reuses, and values borrowed
/// from the session, so that a violation costs no allocation.
pub(crate) fn render_breaches(
    out: &mut Scratch<'_>,
    place: &Place<'_>,
    session: &Session<'_>,
    now: Timestamp,
    decision: Decision,
) {
    for breach in out.breaches.iter() {
        let actual = breach.actual(session, now);
        let view = ViolationView {
            action: breach.action(),
            actual: &serde_json::Value::Null,
            expected: breach.failure.expected,
            field: breach.failure.field.name(),
            message: "",
            policy: breach.policy.id(),
            rule: breach.rule.id(),
            severity: breach.rule.severity(),
            unreadable: breach.failure.reason.as_ref(),
            waived_by: breach.waived_by.map(|e| e.id()),
            waiver_reason: breach.waived_by.map(|e| e.reason()),
        };
        let line = Line {
            actual: ActualRef::of(&actual),
            message: Message::Breach {
                breach,
                session,
                now,
                actual: &actual,
            },
            view: &view,
        };
        line.write(
            &mut out.text,
            &mut out.splices,
            &mut out.spare,
            place,
            decision,
        );
    }
}

/// The buffers a thread renders lines with, reused from record to record.
#[derive(Debug, Default)]
pub(crate) struct Scratch<'p> {
    pub text: Vec<u8>,
    pub splices: Vec<usize>,
    pub breaches: Vec<Breach<'p>>,
    /// Where a message that needs escaping is moved while it is escaped.
    pub spare: Vec<u8>,
    /// A message written as text, for the formats that escape it their own way.
    pub message: String,
}

/// A violation's value, borrowed either way.
pub(crate) enum ActualRef<'a> {
    Text(&'a str),
    Json(&'a serde_json::Value),
}

/// One violation's line.
struct Line<'a> {
    actual: ActualRef<'a>,
    message: Message<'a>,
    view: &'a ViolationView<'a>,
}

/// A line's message: written already, or to be written from what evaluation found, straight
/// into the line.
enum Message<'a> {
    Written(&'a str),
    Breach {
        breach: &'a Breach<'a>,
        session: &'a Session<'a>,
        now: Timestamp,
        actual: &'a Actual<'a>,
    },
}

impl Message<'_> {
    fn write(&self, text: &mut Vec<u8>, spare: &mut Vec<u8>) {
        match self {
            Self::Written(message) => push_str(text, message),
            Self::Breach {
                breach,
                session,
                now,
                actual,
            } => push_written(text, spare, |out| {
                breach.write_message(session, *now, actual, out);
            }),
        }
    }
}

impl<'a> ActualRef<'a> {
    /// Borrows a value found for a report.
    pub(crate) fn of(actual: &'a Actual<'a>) -> Self {
        match actual {
            Actual::Text(text) => Self::Text(text),
            Actual::Json(value) => Self::Json(value),
        }
    }

    pub(crate) fn write(&self, text: &mut Vec<u8>) {
        match self {
            Self::Text(actual) => push_str(text, actual),
            Self::Json(actual) => push_value(text, actual),
        }
    }
}

impl Line<'_> {
    /// Writes the line. The keys and the punctuation between members are written as one
    /// literal each, and the values that cannot need escaping (ids, which match
    /// `[a-z0-9][a-z0-9._-]*`, and the names of actions, decisions, fields and severities) as
    /// they are: of the eleven strings of a line, five are then scanned for escapes.
    fn write(
        &self,
        text: &mut Vec<u8>,
        splices: &mut Vec<usize>,
        spare: &mut Vec<u8>,
        place: &Place<'_>,
        decision: Decision,
    ) {
        let v = self.view;
        // Names of a few values each are written with their keys as one literal per value.
        match v.action {
            Action::Deny => text.extend_from_slice(b"{\"action\":\"deny\",\"actual\":"),
            Action::Warn => text.extend_from_slice(b"{\"action\":\"warn\",\"actual\":"),
        }
        self.actual.write(text);
        match decision {
            Decision::Deny => text.extend_from_slice(b",\"decision\":\"deny\",\"expected\":"),
            Decision::Warn => text.extend_from_slice(b",\"decision\":\"warn\",\"expected\":"),
            Decision::Allow => text.extend_from_slice(b",\"decision\":\"allow\",\"expected\":"),
        }
        push_str(text, v.expected);
        text.extend_from_slice(b",\"field\":\"");
        text.extend_from_slice(v.field.as_bytes());
        text.extend_from_slice(b"\",\"line\":");
        text.extend_from_slice(itoa::Buffer::new().format(place.line).as_bytes());
        text.extend_from_slice(b",\"message\":");
        self.message.write(text, spare);
        text.extend_from_slice(b",\"policy\":\"");
        text.extend_from_slice(v.policy.as_bytes());
        text.extend_from_slice(b"\",\"record\":");
        splices.push(text.len());
        text.extend_from_slice(b",\"rule\":\"");
        text.extend_from_slice(v.rule.as_bytes());
        text.extend_from_slice(b"\",\"session_id\":");
        push_opt_str(text, place.session_id);
        match v.severity {
            Severity::Critical => text.extend_from_slice(b",\"severity\":\"critical\",\"source\":"),
            Severity::High => text.extend_from_slice(b",\"severity\":\"high\",\"source\":"),
            Severity::Medium => text.extend_from_slice(b",\"severity\":\"medium\",\"source\":"),
            Severity::Low => text.extend_from_slice(b",\"severity\":\"low\",\"source\":"),
            Severity::Info => text.extend_from_slice(b",\"severity\":\"info\",\"source\":"),
        }
        text.extend_from_slice(place.source);
        text.extend_from_slice(b",\"target\":");
        push_opt_str(text, place.target);
        if let Some(unreadable) = v.unreadable {
            text.extend_from_slice(b",\"unreadable\":");
            // Writing into a vector cannot fail.
            drop(serde_json::to_writer(&mut *text, unreadable));
        }
        if let Some(waived_by) = v.waived_by {
            text.extend_from_slice(b",\"waived_by\":\"");
            text.extend_from_slice(waived_by.as_bytes());
            text.push(b'"');
        }
        if let Some(reason) = v.waiver_reason {
            text.extend_from_slice(b",\"waiver_reason\":");
            push_str(text, reason);
        }
        text.extend_from_slice(b"}\n");
    }
}

/// A string, or `null` when there is none.
pub(crate) fn push_opt_str(text: &mut Vec<u8>, value: Option<Text<'_>>) {
    match value {
        Some(value) => push_text(text, value),
        None => text.extend_from_slice(b"null"),
    }
}

/// Writes text rendered where records were evaluated, with the record number at each splice.
pub(crate) fn write_spliced(
    out: &mut impl Write,
    record: u64,
    text: &[u8],
    splices: &[usize],
) -> io::Result<()> {
    let mut number = itoa::Buffer::new();
    let number = number.format(record).as_bytes();
    let mut at = 0;
    for &splice in splices {
        out.write_all(text.get(at..splice).unwrap_or_default())?;
        out.write_all(number)?;
        at = splice;
    }
    out.write_all(text.get(at..).unwrap_or_default())
}

impl<'p, W: Write> Reporter<'p> for JsonLinesReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        if result.evaluation.violations.is_empty() {
            return Ok(());
        }
        let mut text = std::mem::take(&mut self.line);
        let mut splices = std::mem::take(&mut self.splices);
        text.clear();
        splices.clear();
        let source = match self.source.take() {
            Some((name, json)) if Arc::ptr_eq(&name, &result.source) => (name, json),
            _ => (result.source.clone(), source_json(&result.source)),
        };
        let place = Place {
            source: &source.1,
            line: result.line,
            session_id: result.session_id.as_deref().map(Text::Any),
            target: result.target.as_deref().map(Text::Any),
        };
        render(&mut text, &mut splices, &place, &result.evaluation);
        let written = write_spliced(&mut self.out, result.record, &text, &splices);
        self.line = text;
        self.splices = splices;
        self.source = Some(source);
        written
    }

    fn rendering(&self) -> Option<Rendering> {
        Some(Rendering::JsonLines)
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        write_spliced(&mut self.out, result.record, text, splices)
    }

    /// Input errors go to standard error, so that every line of the output is a violation.
    fn input_error(&mut self, _error: &InputError) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.out.flush()
    }
}
