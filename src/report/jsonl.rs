//! `--format jsonl`: one JSON object a line for each violation, waived ones included.

use std::io::{self, Write};

use super::ViolationView;
use crate::check::{InputError, RecordResult, Reporter, Summary};
use crate::json_text::Object;

/// Writes a line per violation, carrying its record's source, number, line and session.
#[derive(Debug)]
pub struct JsonLinesReporter<W: Write> {
    out: W,
    /// One line, written here first: a line is dozens of small pieces, which cost less
    /// appended to a vector than passed one by one to the output.
    line: Vec<u8>,
}

impl<W: Write> JsonLinesReporter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::new(),
        }
    }
}

impl<'p, W: Write> Reporter<'p> for JsonLinesReporter<W> {
    /// One line per violation: the record's place and identity with the violation, keys in
    /// alphabetical order. Written by hand: serde escapes strings a byte at a time, and the
    /// strings are most of a line.
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        for violation in &result.evaluation.violations {
            let v = ViolationView::of(violation);
            self.line.clear();
            let mut line = Object::new(&mut self.line);
            line.str("action", v.action.name())
                .value("actual", v.actual)
                .str("decision", result.evaluation.decision.name())
                .str("expected", v.expected)
                .str("field", v.field)
                .u64("line", result.line)
                .str("message", v.message)
                .str("policy", v.policy)
                .u64("record", result.record)
                .str("rule", v.rule)
                .opt_str("session_id", result.session_id.as_deref())
                .str("severity", v.severity.name())
                .str("source", &result.source)
                .opt_str("target", result.target.as_deref());
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
            self.line.push(b'\n');
            self.out.write_all(&self.line)?;
        }
        Ok(())
    }

    /// Input errors go to standard error, so that every line of the output is a violation.
    fn input_error(&mut self, _error: &InputError) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.out.flush()
    }
}
