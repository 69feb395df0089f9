//! `--format json`: one document with a result for every record, input errors and the summary.
//!
//! Results are written as they arrive, so memory stays flat; input errors are few and are
//! kept for the end.

use std::io::{self, Write};

use serde_json::json;

use super::{record_header, violation_json};
use crate::lint::{InputError, RecordResult, Reporter, Summary};

/// Writes `{"version":1,"results":[..],"errors":[..],"summary":{..}}`.
#[derive(Debug)]
pub struct JsonReporter<W: Write> {
    out: W,
    started: bool,
    errors: Vec<InputError>,
}

impl<W: Write> JsonReporter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            started: false,
            errors: Vec::new(),
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.write_all(b"{\"version\":1,\"results\":[")?;
            return Ok(());
        }
        self.out.write_all(b",")
    }
}

impl<'p, W: Write> Reporter<'p> for JsonReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        self.start()?;
        let mut object = record_header(result);
        object.insert("decision".into(), json!(result.evaluation.decision));
        let violations: Vec<_> = result
            .evaluation
            .violations
            .iter()
            .map(violation_json)
            .collect();
        object.insert("violations".into(), json!(violations));
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, &object)?;
        Ok(())
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.errors.push(error.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if !self.started {
            self.out.write_all(b"{\"version\":1,\"results\":[")?;
        }
        self.out.write_all(b"\n],\"errors\":")?;
        serde_json::to_writer(&mut self.out, &self.errors)?;
        self.out.write_all(b",\"summary\":")?;
        serde_json::to_writer(&mut self.out, summary)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}
