//! `--format asff` and `--format asff-batches`: findings in the AWS Security Finding Format,
//! one per violation (waived ones included, suppressed), ready for Security Hub's
//! `BatchImportFindings`.
//!
//! `asff` is one JSON array, the `Findings` of one call (`aws securityhub
//! batch-import-findings --findings file://findings.json`); a call takes at most 100, so
//! `asff-batches` writes JSON Lines instead, each line an array of at most 100 findings, one
//! call each. Both are streamed: memory holds at most one batch. A finding's `Id` is the SARIF
//! fingerprint ([`super::fingerprint`]), so a re-run updates findings instead of adding
//! copies. How each member is filled is in [`finding`].

mod finding;

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use finding::{
    AsffSettings, Compliance, Finding, FindingProviderFields, FindingSeverity, NOTE_AUTHOR, Note,
    POLICY_TYPE, PRODUCT_NAME, Resource, ResourceDetails, SCHEMA_VERSION, Target, VIOLATION_TYPE,
    Workflow, account_of, asff_time, finding, fit, is_account, is_region, parse_target,
    partition_of, severity_label,
};

use crate::check::{InputError, RecordResult, Reporter, Summary};

/// The most findings one `BatchImportFindings` call takes.
pub const MAX_BATCH: usize = 100;

/// How findings are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One JSON array.
    Array,
    /// JSON Lines: arrays of at most [`MAX_BATCH`] findings.
    Batches,
}

/// Writes the findings of every violation.
#[derive(Debug)]
pub struct AsffReporter<W: Write> {
    out: W,
    settings: AsffSettings,
    layout: Layout,
    /// Findings written (to the array), or kept for the current batch, as serialized JSON.
    written: u64,
    batch: Vec<Vec<u8>>,
    /// Where to count the violations left out because no account is known for them.
    unattributed: Option<Arc<AtomicU64>>,
}

impl<W: Write> AsffReporter<W> {
    /// Writes one JSON array: the `Findings` of one `BatchImportFindings` call.
    pub fn new(out: W, settings: AsffSettings) -> Self {
        Self {
            out,
            settings,
            layout: Layout::Array,
            written: 0,
            batch: Vec::new(),
            unattributed: None,
        }
    }

    /// Writes JSON Lines, each line an array of at most [`MAX_BATCH`] findings.
    pub fn batches(out: W, settings: AsffSettings) -> Self {
        Self {
            layout: Layout::Batches,
            ..Self::new(out, settings)
        }
    }

    /// Adds to `counter` one for each violation left out because neither its session's
    /// `Owner` nor the settings name an account.
    pub fn count_unattributed(mut self, counter: Arc<AtomicU64>) -> Self {
        self.unattributed = Some(counter);
        self
    }

    fn write_batch(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.out.write_all(b"[")?;
        for (n, finding) in self.batch.iter().enumerate() {
            if n > 0 {
                self.out.write_all(b",")?;
            }
            self.out.write_all(finding)?;
        }
        self.out.write_all(b"]\n")?;
        self.batch.clear();
        Ok(())
    }
}

impl<'p, W: Write> Reporter<'p> for AsffReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        for violation in &result.evaluation.violations {
            let Some(finding) = finding(result, violation, &self.settings) else {
                if let Some(counter) = &self.unattributed {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            };
            match self.layout {
                Layout::Array => {
                    self.out
                        .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut self.out, &finding)?;
                }
                Layout::Batches => {
                    self.batch.push(serde_json::to_vec(&finding)?);
                    if self.batch.len() == MAX_BATCH {
                        self.write_batch()?;
                    }
                }
            }
            self.written += 1;
        }
        Ok(())
    }

    /// Input errors are not findings; the other reports and the exit code carry them.
    fn input_error(&mut self, _error: &InputError) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        match self.layout {
            Layout::Array if self.written == 0 => self.out.write_all(b"[]\n")?,
            Layout::Array => self.out.write_all(b"\n]\n")?,
            Layout::Batches => self.write_batch()?,
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests;
