//! Writing a comparison: the changed records as they arrive, then the summary, as text, one
//! JSON document, or JSON Lines.

use std::io::{self, Write};

use super::{Change, DiffSummary, DiffTally, compare};
use crate::check::{InputError, RecordResult, Reporter, Summary};

/// The output format of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// A block per changed record, then the summary.
    Text,
    /// `{"version":1,"from":..,"to":..,"changes":[..],"errors":[..],"summary":{..}}`.
    Json,
    /// One line per changed record; input errors are left to the caller.
    Jsonl,
}

/// A [`Reporter`] over a linter with a baseline: keeps the records that changed between the
/// baseline (OLD) and main (NEW) sets, and counts them.
#[derive(Debug)]
pub struct DiffReporter<W: Write> {
    out: W,
    format: DiffFormat,
    from: String,
    to: String,
    tally: DiffTally,
    started: bool,
    errors: Vec<InputError>,
    summary: Option<DiffSummary>,
}

impl<W: Write> DiffReporter<W> {
    /// A reporter writing `format` to `out`; `from` and `to` name the two sets in the output.
    pub fn new(out: W, format: DiffFormat, from: &str, to: &str) -> Self {
        Self {
            out,
            format,
            from: from.to_owned(),
            to: to.to_owned(),
            tally: DiffTally::default(),
            started: false,
            errors: Vec::new(),
            summary: None,
        }
    }

    /// The summary, once the run has finished.
    pub fn summary(&self) -> Option<&DiffSummary> {
        self.summary.as_ref()
    }

    /// Writes the JSON document's head before the first change (or at the end, without one).
    fn start_json(&mut self) -> io::Result<()> {
        if self.started {
            return self.out.write_all(b",");
        }
        self.started = true;
        write!(
            self.out,
            "{{\"version\":1,\"from\":{},\"to\":{},\"changes\":[",
            serde_json::to_string(&self.from)?,
            serde_json::to_string(&self.to)?
        )
    }

    fn write_change(&mut self, change: &Change) -> io::Result<()> {
        match self.format {
            DiffFormat::Json => {
                self.start_json()?;
                self.out.write_all(b"\n")?;
                serde_json::to_writer(&mut self.out, change)?;
                Ok(())
            }
            DiffFormat::Jsonl => {
                serde_json::to_writer(&mut self.out, change)?;
                self.out.write_all(b"\n")
            }
            DiffFormat::Text => write_text_change(&mut self.out, change),
        }
    }

    fn write_text_summary(&mut self, summary: &DiffSummary) -> io::Result<()> {
        let out = &mut self.out;
        writeln!(out, "from {} to {}", self.from, self.to)?;
        writeln!(
            out,
            "{} records compared, {} changed: {} tighten, {} loosen, {} same decision{}",
            summary.evaluated,
            summary.changed,
            summary.tighten,
            summary.loosen,
            summary.same,
            match summary.errors {
                0 => String::new(),
                n => format!("; {n} input errors"),
            }
        )?;
        for t in &summary.transitions {
            writeln!(
                out,
                "  {:>5} -> {:<5} {:>8}  ({})",
                t.from.name(),
                t.to.name(),
                t.records,
                t.transition.name()
            )?;
        }
        if !summary.rules.is_empty() {
            writeln!(out, "rules (records where added, removed, action changed):")?;
            for rule in &summary.rules {
                writeln!(
                    out,
                    "  +{:<6} -{:<6} ~{:<6} {}",
                    rule.added, rule.removed, rule.changed, rule.rule
                )?;
            }
        }
        for (what, top) in [
            ("targets", &summary.top_targets),
            ("owners", &summary.top_owners),
        ] {
            if top.is_empty() {
                continue;
            }
            writeln!(out, "top {what} (changed records, tightened, loosened):")?;
            for entry in top {
                writeln!(
                    out,
                    "  {:>7} {:>7} {:>7}  {}",
                    entry.records, entry.tighten, entry.loosen, entry.name
                )?;
            }
        }
        Ok(())
    }
}

fn write_text_change(out: &mut impl Write, change: &Change) -> io::Result<()> {
    writeln!(
        out,
        "{}:{} (record {}) {} on {} by {}",
        change.source,
        change.line,
        change.record,
        change.session_id.as_deref().unwrap_or("-"),
        change.target.as_deref().unwrap_or("-"),
        change.owner.as_deref().unwrap_or("-"),
    )?;
    writeln!(
        out,
        "  {} -> {} ({})",
        change.from,
        change.to,
        change.transition.name()
    )?;
    for id in &change.added {
        writeln!(out, "  + {id}")?;
    }
    for id in &change.removed {
        writeln!(out, "  - {id}")?;
    }
    for id in &change.changed {
        writeln!(out, "  ~ {id} (action changed)")?;
    }
    writeln!(out)
}

impl<'p, W: Write> Reporter<'p> for DiffReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        let Some(change) = compare(result) else {
            return Ok(());
        };
        self.tally.add(&change);
        self.write_change(&change)
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        if self.format == DiffFormat::Text {
            let at = match (error.line, error.column) {
                (Some(line), Some(column)) => format!(":{line}:{column}"),
                (Some(line), None) => format!(":{line}"),
                _ => String::new(),
            };
            writeln!(self.out, "error: {}{at}: {}\n", error.source, error.problem)?;
        }
        self.errors.push(error.clone());
        Ok(())
    }

    fn finish(&mut self, run: &Summary) -> io::Result<()> {
        let summary = self.tally.summary(run);
        match self.format {
            DiffFormat::Json => {
                if !self.started {
                    self.start_json()?;
                }
                self.out.write_all(b"\n],\"errors\":")?;
                serde_json::to_writer(&mut self.out, &self.errors)?;
                self.out.write_all(b",\"summary\":")?;
                serde_json::to_writer(&mut self.out, &summary)?;
                self.out.write_all(b"}\n")?;
            }
            DiffFormat::Jsonl => {}
            DiffFormat::Text => self.write_text_summary(&summary)?,
        }
        self.summary = Some(summary);
        self.out.flush()
    }
}
