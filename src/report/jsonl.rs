//! `--format jsonl`: one JSON object a line for each violation, waived ones included.

use std::io::{self, Write};

use super::ViolationView;
use crate::check::{InputError, RecordResult, Rendering, Reporter, Summary};
use crate::json_text::Object;
use crate::policy::Evaluation;

/// Writes a line per violation, carrying its record's source, number, line and session.
#[derive(Debug)]
pub struct JsonLinesReporter<W: Write> {
    out: W,
    /// A record's lines, written here first: a line is dozens of small pieces, which cost
    /// less appended to a vector than passed one by one to the output.
    line: Vec<u8>,
    /// Where the record number goes in `line`.
    splices: Vec<usize>,
}

impl<W: Write> JsonLinesReporter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::new(),
            splices: Vec::new(),
        }
    }
}

/// Where a record's violations come from: what its lines carry besides the violations.
#[derive(Debug)]
pub(crate) struct Place<'a> {
    pub source: &'a str,
    pub line: u64,
    pub session_id: Option<&'a str>,
    pub target: Option<&'a str>,
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
        let mut line = Object::new(text);
        line.str("action", v.action.name())
            .value("actual", v.actual)
            .str("decision", evaluation.decision.name())
            .str("expected", v.expected)
            .str("field", v.field)
            .u64("line", place.line)
            .str("message", v.message)
            .str("policy", v.policy)
            .splice("record", splices)
            .str("rule", v.rule)
            .opt_str("session_id", place.session_id)
            .str("severity", v.severity.name())
            .str("source", place.source)
            .opt_str("target", place.target);
        if let Some(unreadable) = v.unreadable {
            line.serialize("unreadable", unreadable);
        }
        if let Some(waived_by) = v.waived_by {
            line.str("waived_by", waived_by);
        }
        if let Some(reason) = v.waiver_reason {
            line.str("waiver_reason", reason);
        }
        line.end();
        text.push(b'\n');
    }
}

impl<W: Write> JsonLinesReporter<W> {
    /// Writes rendered lines with the record number at each splice.
    fn write_spliced(&mut self, record: u64, text: &[u8], splices: &[usize]) -> io::Result<()> {
        let mut number = itoa::Buffer::new();
        let number = number.format(record).as_bytes();
        let mut at = 0;
        for &splice in splices {
            self.out
                .write_all(text.get(at..splice).unwrap_or_default())?;
            self.out.write_all(number)?;
            at = splice;
        }
        self.out.write_all(text.get(at..).unwrap_or_default())
    }
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
        let place = Place {
            source: &result.source,
            line: result.line,
            session_id: result.session_id.as_deref(),
            target: result.target.as_deref(),
        };
        render(&mut text, &mut splices, &place, &result.evaluation);
        let written = self.write_spliced(result.record, &text, &splices);
        self.line = text;
        self.splices = splices;
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
        self.write_spliced(result.record, text, splices)
    }

    /// Input errors go to standard error, so that every line of the output is a violation.
    fn input_error(&mut self, _error: &InputError) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.out.flush()
    }
}
