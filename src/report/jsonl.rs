//! `--format jsonl`: one JSON object a line for each violation, waived ones included.

use std::io::{self, Write};

use serde::Serialize;

use super::ViolationView;
use crate::lint::{InputError, RecordResult, Reporter, Summary};
use crate::model::UnreadableOperand;
use crate::policy::{Action, Decision, Severity};

/// Writes a line per violation, carrying its record's source, number, line and session.
#[derive(Debug)]
pub struct JsonLinesReporter<W: Write> {
    out: W,
    /// One line, serialized here first: serde writes a line in dozens of small pieces, which
    /// cost less appended to a vector than passed one by one to the output.
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

/// One output line: the record's place and identity with one violation, keys in alphabetical order.
#[derive(Serialize)]
struct Line<'a> {
    action: Action,
    actual: &'a serde_json::Value,
    decision: Decision,
    expected: &'a str,
    field: &'static str,
    line: u64,
    message: &'a str,
    policy: &'a str,
    record: u64,
    rule: &'a str,
    session_id: Option<&'a str>,
    severity: Severity,
    source: &'a str,
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<&'a UnreadableOperand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waived_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver_reason: Option<&'a str>,
}

impl<'p, W: Write> Reporter<'p> for JsonLinesReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        for violation in &result.evaluation.violations {
            let v = ViolationView::of(violation);
            let line = Line {
                action: v.action,
                actual: v.actual,
                decision: result.evaluation.decision,
                expected: v.expected,
                field: v.field,
                line: result.line,
                message: v.message,
                policy: v.policy,
                record: result.record,
                rule: v.rule,
                session_id: result.session_id.as_deref(),
                severity: v.severity,
                source: &result.source,
                target: result.target.as_deref(),
                unreadable: v.unreadable,
                waived_by: v.waived_by,
                waiver_reason: v.waiver_reason,
            };
            self.line.clear();
            serde_json::to_writer(&mut self.line, &line)?;
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
