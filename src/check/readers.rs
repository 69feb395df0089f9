//! Readers wrapped around an input: one notes whether it held anything, one counts the bytes
//! read for progress displays.

use std::io::{self, BufRead};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A reader that notes whether anything but whitespace passed through it: an input with no
/// value at all is an error, while `{"Sessions": []}` is an answer with no sessions.
pub(super) struct ContentWatch<R> {
    pub(super) inner: R,
    pub(super) seen: Arc<AtomicBool>,
    pub(super) found: bool,
}

impl<R: io::Read> io::Read for ContentWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.watch(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl<R: BufRead> BufRead for ContentWatch<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buffer = self.inner.fill_buf()?;
        if !self.found && buffer.iter().any(|b| !b.is_ascii_whitespace()) {
            self.found = true;
            self.seen.store(true, Ordering::Relaxed);
        }
        Ok(buffer)
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

impl<R> ContentWatch<R> {
    fn watch(&mut self, bytes: &[u8]) {
        if !self.found && bytes.iter().any(|b| !b.is_ascii_whitespace()) {
            self.found = true;
            self.seen.store(true, Ordering::Relaxed);
        }
    }
}

/// A reader that adds what is consumed from it to a shared counter.
pub(super) struct CountingReader<R> {
    pub(super) inner: R,
    pub(super) counter: Arc<AtomicU64>,
}

impl<R: io::Read> io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.counter.fetch_add(amount as u64, Ordering::Relaxed);
        self.inner.consume(amount);
    }
}
