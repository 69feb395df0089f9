//! What the scanner puts into the batch: a record's bytes, copied as they pass so that only one
//! record is ever held, frames and errors numbered in input order, and the line and column each
//! is reported at.

use memchr::memrchr;

use crate::input::framing::{Batch, Container, Frame, FrameError, FrameErrorKind};

use super::{Mark, Scanner};

impl Scanner {
    /// Copies the buffered record's bytes of this chunk, up to `end`, into the batch; a record
    /// that outgrows the limit is dropped and from then on only followed, not copied.
    pub(super) fn flush_buffer(&mut self, chunk: &[u8], end: usize, batch: &mut Batch) {
        let Some(buffer) = &mut self.buffer else {
            return;
        };
        let bytes = chunk.get(buffer.from..end).unwrap_or_default();
        let size = batch.data.len().saturating_sub(buffer.start) + bytes.len();
        if size > self.limit {
            batch.data.truncate(buffer.start);
            self.buffer = None;
        } else {
            batch.data.extend_from_slice(bytes);
            buffer.from = end;
        }
    }

    /// Completes the buffered record at `end`, returning its start in the batch, or None if it
    /// was too large to keep.
    pub(super) fn take_buffer(
        &mut self,
        chunk: &[u8],
        end: usize,
        batch: &mut Batch,
    ) -> Option<usize> {
        self.flush_buffer(chunk, end, batch);
        self.buffer.take().map(|buffer| buffer.start)
    }

    pub(super) fn drop_buffer(&mut self, batch: &mut Batch) {
        if let Some(buffer) = self.buffer.take() {
            batch.data.truncate(buffer.start);
        }
    }

    pub(super) fn frame(
        &mut self,
        batch: &mut Batch,
        mark: Mark,
        container: Container,
        start: usize,
    ) {
        self.records += 1;
        batch.items.push(Ok(Frame {
            record: self.records,
            line: mark.line,
            container,
            range: start..batch.data.len(),
        }));
    }

    /// Reports the record starting at `mark` and closing at chunk index `close` as too large.
    pub(super) fn too_large(&mut self, batch: &mut Batch, mark: Mark, close: usize) {
        let size = (self.base + close as u64 + 1).saturating_sub(mark.offset);
        let limit = self.limit;
        self.error(batch, mark, FrameErrorKind::RecordTooLarge { size, limit });
    }

    pub(super) fn error(&mut self, batch: &mut Batch, mark: Mark, kind: FrameErrorKind) {
        self.records += 1;
        batch.items.push(Err(FrameError {
            record: self.records,
            line: mark.line,
            column: mark.column,
            kind,
        }));
    }

    pub(super) fn mark(&mut self, chunk: &[u8], i: usize) -> Mark {
        self.count_lines(chunk, i);
        let offset = self.base + i as u64;
        Mark {
            line: self.line,
            column: offset.saturating_sub(self.line_start) + 1,
            offset,
        }
    }

    /// Brings the line count up to chunk index `i`; every byte is counted once, when first
    /// passed, so the cost is one memchr pass over the input.
    pub(super) fn count_lines(&mut self, chunk: &[u8], i: usize) {
        let from = usize::try_from(self.counted.saturating_sub(self.base)).unwrap_or(usize::MAX);
        let Some(passed) = chunk.get(from..i) else {
            return;
        };
        let newlines = memchr::memchr_iter(b'\n', passed).count();
        if newlines > 0 {
            self.line += newlines as u64;
            if let Some(k) = memrchr(b'\n', passed) {
                self.line_start = self.base + (from + k + 1) as u64;
            }
        }
        self.counted = self.base + i as u64;
    }
}
