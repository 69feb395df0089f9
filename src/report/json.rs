//! `--format json`: one document with a result for every record, input errors and the summary.
//!
//! Results are written as they arrive, so memory stays flat; input errors are few and are
//! kept for the end.

use std::io::{self, Write};

use serde::Serialize;

use super::Violations;
use super::jsonl::{ActualRef, Place, Scratch, push_opt_str, write_spliced};
use crate::check::{InputError, RecordResult, Rendering, Reporter, Summary};
use crate::json_text::{push_str, push_written};
use crate::model::{Session, Timestamp};
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

/// Renders one record's result where the record is, byte for byte as [`ResultView`] is
/// serialized, from what evaluation found: the record number is left out, its offset pushed
/// to `splices`, and messages written into the scratch's reused buffer.
pub(crate) fn render_breaches(
    out: &mut Scratch<'_>,
    place: &Place<'_>,
    session: &Session<'_>,
    now: Timestamp,
    decision: Decision,
) {
    let text = &mut out.text;
    text.extend_from_slice(b"{\"decision\":\"");
    text.extend_from_slice(decision.name().as_bytes());
    text.extend_from_slice(b"\",\"line\":");
    text.extend_from_slice(itoa::Buffer::new().format(place.line).as_bytes());
    text.extend_from_slice(b",\"record\":");
    out.splices.push(text.len());
    text.extend_from_slice(b",\"session_id\":");
    push_opt_str(text, place.session_id);
    text.extend_from_slice(b",\"source\":");
    text.extend_from_slice(place.source);
    text.extend_from_slice(b",\"target\":");
    push_opt_str(text, place.target);
    text.extend_from_slice(b",\"violations\":[");
    for (n, breach) in out.breaches.iter().enumerate() {
        if n > 0 {
            text.push(b',');
        }
        // Ids match `[a-z0-9][a-z0-9._-]*` and names are the report's own: written as they
        // are, as in the JSON Lines report.
        text.extend_from_slice(b"{\"action\":\"");
        text.extend_from_slice(breach.action().name().as_bytes());
        text.extend_from_slice(b"\",\"actual\":");
        let actual = breach.actual(session, now);
        ActualRef::of(&actual).write(text);
        text.extend_from_slice(b",\"expected\":");
        push_str(text, breach.failure.expected);
        text.extend_from_slice(b",\"field\":\"");
        text.extend_from_slice(breach.failure.field.name().as_bytes());
        text.extend_from_slice(b"\",\"message\":");
        push_written(text, &mut out.spare, |message| {
            breach.write_message(session, now, &actual, message);
        });
        text.extend_from_slice(b",\"policy\":\"");
        text.extend_from_slice(breach.policy.id().as_bytes());
        text.extend_from_slice(b"\",\"rule\":\"");
        text.extend_from_slice(breach.rule.id().as_bytes());
        text.extend_from_slice(b"\",\"severity\":\"");
        text.extend_from_slice(breach.rule.severity().name().as_bytes());
        text.push(b'"');
        if let Some(unreadable) = &breach.failure.reason {
            text.extend_from_slice(b",\"unreadable\":");
            // Writing into a vector cannot fail.
            drop(serde_json::to_writer(&mut *text, unreadable));
        }
        if let Some(exception) = breach.waived_by {
            text.extend_from_slice(b",\"waived_by\":\"");
            text.extend_from_slice(exception.id().as_bytes());
            text.extend_from_slice(b"\",\"waiver_reason\":");
            push_str(text, exception.reason());
        }
        text.push(b'}');
    }
    text.extend_from_slice(b"]}");
}

impl<'p, W: Write> Reporter<'p> for JsonReporter<W> {
    fn rendering(&self) -> Option<Rendering> {
        Some(Rendering::Json)
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        self.start()?;
        self.out.write_all(b"\n")?;
        write_spliced(&mut self.out, result.record, text, splices)
    }

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
