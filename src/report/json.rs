//! `--format json`: one document with a result for every record, input errors and the summary.
//!
//! Results are written as they arrive, so memory stays flat; input errors are few and are
//! kept for the end.

use std::io::{self, Write};

use serde::Serialize;

use super::Violations;
use crate::check::{InputError, RecordResult, Reporter, Summary};
use crate::policy::Decision;

/// One result, keys in alphabetical order.
#[derive(Serialize)]
struct ResultView<'a, 'p> {
    decision: Decision,
    line: u64,
    record: u64,
    session_id: Option<&'a str>,
    source: &'a str,
    target: Option<&'a str>,
    violations: Violations<'a, 'p>,
}

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
        let view = ResultView {
            decision: result.evaluation.decision,
            line: result.line,
            record: result.record,
            session_id: result.session_id.as_deref(),
            source: &result.source,
            target: result.target.as_deref(),
            violations: Violations(&result.evaluation.violations),
        };
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, &view)?;
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
