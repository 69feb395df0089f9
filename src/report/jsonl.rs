//! `--format jsonl`: one JSON object a line for each violation, waived ones included.

use std::io::{self, Write};

use serde_json::Value;

use super::{record_header, violation_json};
use crate::lint::{InputError, RecordResult, Reporter, Summary};

/// Writes a line per violation, carrying its record's source, number, line and session.
#[derive(Debug)]
pub struct JsonLinesReporter<W: Write> {
    out: W,
}

impl<W: Write> JsonLinesReporter<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<'p, W: Write> Reporter<'p> for JsonLinesReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        if result.evaluation.violations.is_empty() {
            return Ok(());
        }
        let header = record_header(result);
        for violation in &result.evaluation.violations {
            let mut object = header.clone();
            object.insert(
                "decision".into(),
                Value::from(result.evaluation.decision.name()),
            );
            if let Value::Object(fields) = violation_json(violation) {
                object.extend(fields);
            }
            serde_json::to_writer(&mut self.out, &object)?;
            self.out.write_all(b"\n")?;
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
