//! Progress of a long run on a terminal: records and megabytes read, and their rates.
//!
//! A wrapper around the run's reporter. It draws one line on its own stream (standard error,
//! and only when that is a terminal: the caller decides), at most every 250 ms and only once
//! the run has lasted half a second, and clears it before the wrapped reporter writes a
//! violation to the same terminal and at the end.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::check::{InputError, RecordResult, Rendering, Reporter, Summary};

const FIRST_DRAW: Duration = Duration::from_millis(500);
const REDRAW: Duration = Duration::from_millis(250);
const MEGABYTE: f64 = 1_000_000.0;

/// Draws progress on `out` while forwarding everything to `inner`.
#[derive(Debug)]
pub struct Progress<R, W: Write> {
    inner: R,
    out: W,
    bytes: Arc<AtomicU64>,
    started: Instant,
    last: Option<Instant>,
    records: u64,
    shown: bool,
    /// The wrapped reporter writes to the same terminal: clear the line before it may.
    shares_terminal: bool,
}

impl<R, W: Write> Progress<R, W> {
    /// `bytes` is the checker's count of bytes read (see `Checker::count_bytes`);
    /// `shares_terminal` says that `inner` writes to the terminal that `out` draws on.
    pub fn new(inner: R, out: W, bytes: Arc<AtomicU64>, shares_terminal: bool) -> Self {
        Self {
            inner,
            out,
            bytes,
            started: Instant::now(),
            last: None,
            records: 0,
            shown: false,
            shares_terminal,
        }
    }

    /// The wrapped reporter.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The wrapped reporter, by reference.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    fn tick(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.started);
        if elapsed < FIRST_DRAW || self.last.is_some_and(|last| now - last < REDRAW) {
            return;
        }
        self.last = Some(now);
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let megabytes = self.bytes.load(Ordering::Relaxed) as f64 / MEGABYTE;
        // Progress is a courtesy: a terminal that cannot take it does not stop the run.
        let _ = write!(
            self.out,
            "\r\x1b[2K{} records, {megabytes:.1} MB read in {seconds:.1} s: {:.0} records/s, {:.1} MB/s",
            self.records,
            self.records as f64 / seconds,
            megabytes / seconds
        );
        let _ = self.out.flush();
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            let _ = write!(self.out, "\r\x1b[2K");
            let _ = self.out.flush();
            self.shown = false;
        }
    }
}

impl<R, W: Write> Progress<R, W> {
    /// Counts a record, and clears the line before output that shares the terminal.
    fn before(&mut self, result: &RecordResult<'_>) {
        self.records += 1;
        if self.shares_terminal && !result.evaluation.violations.is_empty() {
            self.clear();
        }
    }

    fn after(&mut self) {
        if self.records.is_multiple_of(64) {
            self.tick();
        }
    }
}

impl<'p, R: Reporter<'p>, W: Write> Reporter<'p> for Progress<R, W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        self.before(result);
        self.inner.record(result)?;
        self.after();
        Ok(())
    }

    fn rendering(&self) -> Option<Rendering> {
        self.inner.rendering()
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        self.before(result);
        self.inner.rendered(result, text, splices)?;
        self.after();
        Ok(())
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.records += 1;
        if self.shares_terminal {
            self.clear();
        }
        self.inner.input_error(error)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.clear();
        self.inner.finish(summary)
    }
}
