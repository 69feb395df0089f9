//! Splitting a stream of session records into frames, one JSON value per record, without parsing them.
//!
//! The framer understands just enough JSON to find where records begin and end: strings (with
//! their escapes), bracket nesting, and the few top-level shapes session records arrive in —
//! `DescribeSessions` responses, CloudTrail log files, arrays, lone objects and JSON Lines.
//! Whether a record is valid JSON, and what it is, is left to the parser.
//!
//! This module holds what callers see: the [`Framer`], which pulls chunks from the reader (and
//! reads a JSON Lines line ahead when a chunk ends inside it), and the frames and errors it
//! yields. Finding the boundaries within a chunk is the scanner's work (`scanner`).

mod scanner;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{self, BufRead};
use std::ops::Range;

use memchr::memchr;

use scanner::{ReadAhead, Scanner};

/// Records larger than this are reported as too large instead of being buffered.
pub const DEFAULT_MAX_RECORD_SIZE: usize = 16 * 1024 * 1024;

const EXPECTED_RECORD: &str = "a JSON object or array";

/// Where a frame's value sat in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// A value at the top level of the input, or an element of a top-level array.
    TopLevel,
    /// An element of the `Sessions` array of a `DescribeSessions` response.
    Sessions,
    /// An element of the `Records` array of a CloudTrail log file.
    Records,
}

/// One record's bytes, located in its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// 1-based count of records within this input, errors included.
    pub record: u64,
    /// 1-based line on which the value's first byte sits.
    pub line: u64,
    pub container: Container,
    /// The value's bytes in [`Batch::data`].
    pub range: Range<usize>,
}

/// A record the framer could not delimit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct FrameError {
    /// 1-based count of records within this input, frames included.
    pub record: u64,
    /// 1-based line of the offending byte, or of the start of the value that could not be closed.
    pub line: u64,
    /// 1-based byte column on `line`.
    pub column: u64,
    pub kind: FrameErrorKind,
}

/// Why a record could not be delimited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameErrorKind {
    #[error("unexpected {} where {expected} was expected", ShownByte(*.found))]
    Unexpected { found: u8, expected: &'static str },
    #[error("value is not closed before the end of the input")]
    UnterminatedValue,
    #[error("value is not closed before the end of its line")]
    UnterminatedLine,
    #[error("record of {size} bytes exceeds the maximum record size of {limit} bytes")]
    RecordTooLarge { size: u64, limit: usize },
}

/// A byte as a message shows it: printable ASCII quoted, anything else (which may be part of a
/// character the reader's buffer split) by value.
struct ShownByte(u8);

impl fmt::Display for ShownByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() {
            write!(f, "`{}`", char::from(self.0))
        } else {
            write!(f, "byte 0x{:02x}", self.0)
        }
    }
}

/// Frames and errors in input order, with the frames' bytes.
#[derive(Debug, Default)]
pub struct Batch {
    pub data: Vec<u8>,
    pub items: Vec<Result<Frame, FrameError>>,
}

impl Batch {
    pub fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
    }

    /// The bytes of `frame`, which must come from this batch.
    pub fn bytes(&self, frame: &Frame) -> &[u8] {
        self.data.get(frame.range.clone()).unwrap_or_default()
    }

    /// The batch's bytes as text, where all of them are UTF-8: checked at once, which costs a
    /// third of checking record by record (a call, and a short tail, for every record).
    pub fn text(&self) -> Option<&str> {
        simdutf8::basic::from_utf8(&self.data).ok()
    }
}

/// Splits one input into frames, batch by batch, holding at most one record in memory.
pub struct Framer<R> {
    reader: R,
    scanner: Scanner,
    /// A JSON Lines line read ahead because it straddled the reader's buffer, so that it can be
    /// judged whole; scanned before anything further from `reader`.
    ahead: Vec<u8>,
    ahead_pos: usize,
    /// Stream offset of the next byte to scan.
    offset: u64,
    finished: bool,
    /// An I/O error met after records were already in the batch: returned on the next call so
    /// those records still reach the caller.
    deferred: Option<io::Error>,
}

impl<R> fmt::Debug for Framer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Framer")
            .field("offset", &self.offset)
            .field("records_seen", &self.scanner.records)
            .field("max_record_size", &self.scanner.limit)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> Framer<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            scanner: Scanner::new(DEFAULT_MAX_RECORD_SIZE),
            ahead: Vec::new(),
            ahead_pos: 0,
            offset: 0,
            finished: false,
            deferred: None,
        }
    }

    /// Records longer than `bytes` are skipped and reported as [`FrameErrorKind::RecordTooLarge`].
    #[must_use]
    pub fn with_max_record_size(mut self, bytes: usize) -> Self {
        self.scanner.limit = bytes;
        self
    }

    pub fn max_record_size(&self) -> usize {
        self.scanner.limit
    }

    /// Clears `batch`, then appends up to `max_records` items in input order (at least one is
    /// asked for even when `max_records` is 0). Returns Ok(false) when the input is exhausted and
    /// nothing was appended.
    pub fn next_batch(&mut self, batch: &mut Batch, max_records: usize) -> io::Result<bool> {
        batch.clear();
        if let Some(error) = self.deferred.take() {
            self.finished = true;
            return Err(error);
        }
        if self.finished {
            return Ok(false);
        }
        let max = max_records.max(1);
        while batch.items.len() < max {
            let step =
                if let Some(chunk) = self.ahead.get(self.ahead_pos..).filter(|c| !c.is_empty()) {
                    let step = self.scanner.scan(chunk, self.offset, batch, max);
                    self.ahead_pos += step.consumed;
                    if self.ahead_pos >= self.ahead.len() {
                        self.ahead.clear();
                        self.ahead_pos = 0;
                    }
                    step
                } else {
                    if let Err(error) = wait_for_data(&mut self.reader) {
                        return self.fail(error, batch);
                    }
                    let chunk = match self.reader.fill_buf() {
                        Ok(chunk) => chunk,
                        Err(error) => return self.fail(error, batch),
                    };
                    if chunk.is_empty() {
                        self.scanner.finish(batch);
                        self.finished = true;
                        break;
                    }
                    let step = self.scanner.scan(chunk, self.offset, batch, max);
                    self.reader.consume(step.consumed);
                    step
                };
            self.offset += step.consumed as u64;
            if step.read_ahead
                && let Err(error) = self.read_line_ahead()
            {
                return self.fail(error, batch);
            }
        }
        Ok(!batch.items.is_empty())
    }

    /// Number of frames and errors produced so far.
    pub fn records_seen(&self) -> u64 {
        self.scanner.records
    }

    fn fail(&mut self, error: io::Error, batch: &mut Batch) -> io::Result<bool> {
        if batch.items.is_empty() {
            self.finished = true;
            Err(error)
        } else {
            self.deferred = Some(error);
            Ok(true)
        }
    }

    /// Gathers the rest of the current line (up to just past the record size limit) so the scanner
    /// can decide whether to take it whole.
    fn read_line_ahead(&mut self) -> io::Result<()> {
        self.ahead.drain(..self.ahead_pos.min(self.ahead.len()));
        self.ahead_pos = 0;
        let mut eof = false;
        if memchr(b'\n', &self.ahead).is_none() {
            loop {
                wait_for_data(&mut self.reader)?;
                let buf = self.reader.fill_buf()?;
                if buf.is_empty() {
                    eof = true;
                    break;
                }
                if let Some(k) = memchr(b'\n', buf) {
                    self.ahead
                        .extend_from_slice(buf.get(..=k).unwrap_or_default());
                    self.reader.consume(k + 1);
                    break;
                }
                let n = buf.len();
                self.ahead.extend_from_slice(buf);
                self.reader.consume(n);
                if self.ahead.len() > self.scanner.limit {
                    break;
                }
            }
        }
        self.scanner.read_ahead = Some(ReadAhead {
            at: self.offset,
            eof,
        });
        Ok(())
    }
}

/// Retries interrupted reads; the buffered bytes are then fetched with a second `fill_buf`, which
/// keeps the borrow checker content.
fn wait_for_data(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        match reader.fill_buf() {
            Ok(_) => return Ok(()),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}
