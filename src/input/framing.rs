//! Splitting a stream of session records into frames, one JSON value per record, without parsing them.
//!
//! The framer understands just enough JSON to find where records begin and end: strings (with
//! their escapes), bracket nesting, and the few top-level shapes session records arrive in —
//! `DescribeSessions` responses, CloudTrail log files, arrays, lone objects and JSON Lines.
//! Whether a record is valid JSON, and what it is, is left to the parser.

use std::fmt;
use std::io::{self, BufRead};
use std::ops::Range;

use memchr::memmem::Finder;
use memchr::{memchr, memchr2, memchr3, memrchr};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Before the first top-level value has shown whether the input is a document or JSON Lines.
    Undecided,
    Document,
    /// JSON Lines: a line end inside a value ends that record as broken.
    Lines,
}

/// Where a value starts, for frames and errors.
#[derive(Debug, Clone, Copy)]
struct Mark {
    line: u64,
    column: u64,
    offset: u64,
}

/// Progress through a `"key": value` pair directly inside the top-level object, to spot the
/// arrays whose elements are the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Idle,
    Named(Option<Container>),
    Colon(Option<Container>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// No record array found yet: the object itself is the record (buffered while it fits).
    Record,
    /// A `Sessions` or `Records` array was found: the object is a wrapper, not a record.
    Response,
}

#[derive(Debug, Clone, Copy)]
struct Object {
    mark: Mark,
    depth: usize,
    key: Key,
    fate: Fate,
}

/// An array whose elements are framed one by one.
#[derive(Debug, Clone, Copy)]
struct Array {
    container: Container,
    mark: Mark,
    /// The response object holding the array, to return to when it closes.
    outer: Option<Object>,
}

impl Array {
    /// Where the top-level value containing this array starts.
    fn top_mark(&self) -> Mark {
        self.outer.map_or(self.mark, |o| o.mark)
    }
}

#[derive(Debug, Clone, Copy)]
struct Element {
    array: Array,
    mark: Mark,
    depth: usize,
}

#[derive(Debug, Clone, Copy)]
enum Ctx {
    /// Between top-level values.
    Top,
    /// After garbage at top level, up to the next line.
    SkipLine,
    /// After the first top-level value, looking for the line end that makes the input JSON Lines.
    AfterFirst,
    Object(Object),
    /// Between the elements of a framed array.
    Array(Array),
    Element(Element),
    /// Inside an element that is not an object or array, already reported.
    Scalar(Array),
}

/// The record being copied into [`Batch::data`].
#[derive(Debug, Clone, Copy)]
struct Buffer {
    start: usize,
    /// Index in the current chunk of the first byte not yet copied.
    from: usize,
}

#[derive(Debug, Clone, Copy)]
struct ReadAhead {
    /// Stream offset of the line start the read-ahead was done for.
    at: u64,
    /// The line runs to the end of the input rather than to a newline.
    eof: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The chunk ran out.
    Exhausted,
    /// The string or value closed at the returned index.
    End,
    /// A line end at the returned index, in an input that may be JSON Lines.
    Newline,
}

#[derive(Debug, Clone, Copy)]
struct Step {
    consumed: usize,
    read_ahead: bool,
}

enum TopStep {
    Next(usize),
    ReadAhead(usize),
}

enum WholeLine {
    Framed(usize),
    ReadAhead,
    Scan,
}

#[derive(Debug)]
struct Scanner {
    limit: usize,
    mode: Mode,
    ctx: Ctx,
    in_string: bool,
    escaped: bool,
    buffer: Option<Buffer>,
    /// The start of the string directly inside the top-level object; only `Sessions` and
    /// `Records` matter, so longer keys are known by length alone.
    key: [u8; 8],
    key_len: usize,
    records: u64,
    /// Line number, and offset of that line's first byte, at stream offset `counted`.
    line: u64,
    line_start: u64,
    counted: u64,
    /// Stream offset of the current chunk's first byte.
    base: u64,
    at_line_start: bool,
    read_ahead: Option<ReadAhead>,
    sessions_key: Finder<'static>,
    records_key: Finder<'static>,
}

impl Scanner {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            mode: Mode::Undecided,
            ctx: Ctx::Top,
            in_string: false,
            escaped: false,
            buffer: None,
            key: [0; 8],
            key_len: 0,
            records: 0,
            line: 1,
            line_start: 0,
            counted: 0,
            base: 0,
            at_line_start: true,
            read_ahead: None,
            sessions_key: Finder::new(b"\"Sessions\""),
            records_key: Finder::new(b"\"Records\""),
        }
    }

    /// Frames what it can of `chunk`, which starts at stream offset `base`, stopping early once
    /// the batch holds `max` items or a JSON Lines line must be read ahead.
    fn scan(&mut self, chunk: &[u8], base: u64, batch: &mut Batch, max: usize) -> Step {
        self.base = base;
        if let Some(buffer) = &mut self.buffer {
            buffer.from = 0;
        }
        let mut i = 0;
        let mut read_ahead = false;
        while i < chunk.len() && batch.items.len() < max {
            i = match self.ctx {
                Ctx::Top => match self.top(chunk, i, batch) {
                    TopStep::Next(next) => next,
                    TopStep::ReadAhead(at) => {
                        i = at;
                        read_ahead = true;
                        break;
                    }
                },
                Ctx::SkipLine => self.skip_line(chunk, i),
                Ctx::AfterFirst => self.after_first(chunk, i),
                Ctx::Object(object) => self.object(object, chunk, i, batch),
                Ctx::Array(array) => self.array(array, chunk, i, batch),
                Ctx::Element(element) => self.element(element, chunk, i, batch),
                Ctx::Scalar(array) => self.scalar(array, chunk, i, batch),
            };
        }
        self.flush_buffer(chunk, i, batch);
        self.count_lines(chunk, i);
        Step {
            consumed: i,
            read_ahead,
        }
    }

    /// The input ended: whatever value is open is reported as cut short.
    fn finish(&mut self, batch: &mut Batch) {
        let open = match self.ctx {
            Ctx::Top | Ctx::SkipLine | Ctx::AfterFirst => None,
            Ctx::Object(object) => Some(object.mark),
            Ctx::Array(array) | Ctx::Scalar(array) => Some(array.top_mark()),
            Ctx::Element(element) => Some(element.mark),
        };
        self.drop_buffer(batch);
        self.in_string = false;
        self.escaped = false;
        self.ctx = Ctx::Top;
        if let Some(mark) = open {
            let kind = if self.mode == Mode::Lines {
                FrameErrorKind::UnterminatedLine
            } else {
                FrameErrorKind::UnterminatedValue
            };
            self.error(batch, mark, kind);
        }
    }

    fn top(&mut self, chunk: &[u8], mut i: usize, batch: &mut Batch) -> TopStep {
        loop {
            let Some(&byte) = chunk.get(i) else {
                return TopStep::Next(i);
            };
            match byte {
                b' ' | b'\t' | b'\r' => i += 1,
                b'\n' => {
                    self.at_line_start = true;
                    i += 1;
                }
                b'{' => {
                    let at_line_start = std::mem::replace(&mut self.at_line_start, false);
                    if self.mode == Mode::Lines && at_line_start {
                        match self.whole_line(chunk, i, batch) {
                            WholeLine::Framed(next) => return TopStep::Next(next),
                            WholeLine::ReadAhead => {
                                self.at_line_start = true;
                                return TopStep::ReadAhead(i);
                            }
                            WholeLine::Scan => {}
                        }
                    }
                    let mark = self.mark(chunk, i);
                    self.buffer = Some(Buffer {
                        start: batch.data.len(),
                        from: i,
                    });
                    self.ctx = Ctx::Object(Object {
                        mark,
                        depth: 1,
                        key: Key::Idle,
                        fate: Fate::Record,
                    });
                    return TopStep::Next(i + 1);
                }
                b'[' => {
                    self.at_line_start = false;
                    let mark = self.mark(chunk, i);
                    self.ctx = Ctx::Array(Array {
                        container: Container::TopLevel,
                        mark,
                        outer: None,
                    });
                    return TopStep::Next(i + 1);
                }
                _ => {
                    self.at_line_start = false;
                    let mark = self.mark(chunk, i);
                    self.error(
                        batch,
                        mark,
                        FrameErrorKind::Unexpected {
                            found: byte,
                            expected: EXPECTED_RECORD,
                        },
                    );
                    self.ctx = Ctx::SkipLine;
                    return TopStep::Next(i);
                }
            }
        }
    }

    /// JSON Lines fast path: a line that looks like one object, and mentions no record array,
    /// is taken whole without scanning; the parser judges it. Anything else is scanned.
    fn whole_line(&mut self, chunk: &[u8], i: usize, batch: &mut Batch) -> WholeLine {
        let rest = chunk.get(i..).unwrap_or_default();
        // One pass finds the end of the line and whether it holds a `[` before it.
        let (newline, bracket) = match memchr2(b'\n', b'[', rest) {
            Some(k) if rest.get(k) == Some(&b'[') => (memchr(b'\n', rest), true),
            found => (found, false),
        };
        let line = match newline {
            Some(k) => rest.get(..k).unwrap_or_default(),
            None => match self.read_ahead {
                // The decision must not depend on where the reader's buffer happens to end, so a
                // line is only ever judged whole.
                Some(ahead) if ahead.at == self.base + i as u64 => {
                    if ahead.eof {
                        rest
                    } else {
                        return WholeLine::Scan;
                    }
                }
                _ => return WholeLine::ReadAhead,
            },
        };
        let value = trim_line_end(line);
        if value.last() != Some(&b'}')
            // The whole line, as read ahead, not just the value: otherwise how far the read-ahead
            // got could decide between framing and scanning.
            || line.len() > self.limit
            // Record arrays are arrays: a line without `[` (every plain Session) needs no
            // search for their keys.
            || (bracket
                && (self.sessions_key.find(value).is_some()
                    || self.records_key.find(value).is_some()))
        {
            return WholeLine::Scan;
        }
        let mark = self.mark(chunk, i);
        let start = batch.data.len();
        batch.data.extend_from_slice(value);
        self.frame(batch, mark, Container::TopLevel, start);
        // The value holds no newline (the first one is after it), so line counting can skip
        // it instead of scanning every record a second time.
        self.counted = self.base + (i + value.len()) as u64;
        WholeLine::Framed(i + value.len())
    }

    fn skip_line(&mut self, chunk: &[u8], i: usize) -> usize {
        match memchr(b'\n', chunk.get(i..).unwrap_or_default()) {
            Some(k) => {
                self.ctx = Ctx::Top;
                self.at_line_start = true;
                i + k + 1
            }
            None => chunk.len(),
        }
    }

    fn after_first(&mut self, chunk: &[u8], mut i: usize) -> usize {
        loop {
            match chunk.get(i) {
                None => return i,
                Some(b' ' | b'\t' | b'\r') => i += 1,
                Some(b'\n') => {
                    self.mode = Mode::Lines;
                    self.ctx = Ctx::Top;
                    self.at_line_start = true;
                    return i + 1;
                }
                Some(_) => {
                    self.mode = Mode::Document;
                    self.ctx = Ctx::Top;
                    return i;
                }
            }
        }
    }

    /// Inside a top-level object, which is either a record itself or a response wrapping a
    /// `Sessions` or `Records` array.
    fn object(
        &mut self,
        mut object: Object,
        chunk: &[u8],
        mut i: usize,
        batch: &mut Batch,
    ) -> usize {
        loop {
            if object.depth > 1 {
                let (j, stop) = self.lex(chunk, i, &mut object.depth, 1);
                match stop {
                    Stop::Exhausted => {
                        self.ctx = Ctx::Object(object);
                        return j;
                    }
                    Stop::End => object.key = Key::Idle,
                    Stop::Newline => {
                        if let Some(next) = self.newline_in_value(j, batch, object.mark) {
                            return next;
                        }
                    }
                }
                i = j + 1;
                continue;
            }
            if self.in_string {
                let (j, stop) = self.string(chunk, i);
                self.collect_key(chunk.get(i..j).unwrap_or_default());
                match stop {
                    Stop::Exhausted => {
                        self.ctx = Ctx::Object(object);
                        return j;
                    }
                    Stop::End => {
                        object.key = match object.key {
                            Key::Colon(_) => Key::Idle,
                            Key::Idle | Key::Named(_) => Key::Named(self.key_container()),
                        };
                    }
                    Stop::Newline => {
                        if let Some(next) = self.newline_in_value(j, batch, object.mark) {
                            return next;
                        }
                    }
                }
                i = j + 1;
                continue;
            }
            let Some(&byte) = chunk.get(i) else {
                self.ctx = Ctx::Object(object);
                return i;
            };
            match byte {
                b' ' | b'\t' | b'\r' => {}
                b'\n' => {
                    if let Some(next) = self.newline_in_value(i, batch, object.mark) {
                        return next;
                    }
                }
                b'"' => {
                    self.in_string = true;
                    self.key_len = 0;
                }
                b':' => {
                    object.key = match object.key {
                        Key::Named(container) => Key::Colon(container),
                        Key::Idle | Key::Colon(_) => Key::Idle,
                    };
                }
                b'[' | b'{' => {
                    if let (b'[', Key::Colon(Some(container))) = (byte, object.key) {
                        // A response: the records are the array's elements, and the rest of the
                        // object is of no interest.
                        self.drop_buffer(batch);
                        object.fate = Fate::Response;
                        object.key = Key::Idle;
                        let mark = self.mark(chunk, i);
                        self.ctx = Ctx::Array(Array {
                            container,
                            mark,
                            outer: Some(object),
                        });
                        return i + 1;
                    }
                    object.depth = 2;
                    object.key = Key::Idle;
                }
                b'}' | b']' => {
                    if object.fate == Fate::Record {
                        match self.take_buffer(chunk, i + 1, batch) {
                            Some(start) => {
                                self.frame(batch, object.mark, Container::TopLevel, start)
                            }
                            None => self.too_large(batch, object.mark, i),
                        }
                    }
                    self.top_level_done();
                    return i + 1;
                }
                _ => object.key = Key::Idle,
            }
            i += 1;
        }
    }

    /// Between the elements of an array whose elements are records.
    fn array(&mut self, array: Array, chunk: &[u8], mut i: usize, batch: &mut Batch) -> usize {
        loop {
            let Some(&byte) = chunk.get(i) else {
                self.ctx = Ctx::Array(array);
                return i;
            };
            match byte {
                b' ' | b'\t' | b'\r' | b',' => i += 1,
                b'\n' => {
                    if let Some(next) = self.newline_in_value(i, batch, array.top_mark()) {
                        return next;
                    }
                    i += 1;
                }
                b'{' | b'[' => {
                    let mark = self.mark(chunk, i);
                    self.buffer = Some(Buffer {
                        start: batch.data.len(),
                        from: i,
                    });
                    self.ctx = Ctx::Element(Element {
                        array,
                        mark,
                        depth: 1,
                    });
                    return i + 1;
                }
                b'}' | b']' => {
                    match array.outer {
                        Some(object) => self.ctx = Ctx::Object(object),
                        None => self.top_level_done(),
                    }
                    return i + 1;
                }
                _ => {
                    let mark = self.mark(chunk, i);
                    self.error(
                        batch,
                        mark,
                        FrameErrorKind::Unexpected {
                            found: byte,
                            expected: EXPECTED_RECORD,
                        },
                    );
                    self.ctx = Ctx::Scalar(array);
                    if byte == b'"' {
                        self.in_string = true;
                        return i + 1;
                    }
                    return i;
                }
            }
        }
    }

    fn element(
        &mut self,
        mut element: Element,
        chunk: &[u8],
        mut i: usize,
        batch: &mut Batch,
    ) -> usize {
        loop {
            let (j, stop) = self.lex(chunk, i, &mut element.depth, 0);
            match stop {
                Stop::Exhausted => {
                    self.ctx = Ctx::Element(element);
                    return j;
                }
                Stop::End => {
                    match self.take_buffer(chunk, j + 1, batch) {
                        Some(start) => {
                            self.frame(batch, element.mark, element.array.container, start)
                        }
                        None => self.too_large(batch, element.mark, j),
                    }
                    self.ctx = Ctx::Array(element.array);
                    return j + 1;
                }
                Stop::Newline => {
                    if let Some(next) = self.newline_in_value(j, batch, element.mark) {
                        return next;
                    }
                    i = j + 1;
                }
            }
        }
    }

    /// Skips an element already reported as not being a record.
    fn scalar(&mut self, array: Array, chunk: &[u8], i: usize, batch: &mut Batch) -> usize {
        if self.in_string {
            let (j, stop) = self.string(chunk, i);
            match stop {
                Stop::Exhausted => return j,
                Stop::End => self.ctx = Ctx::Array(array),
                Stop::Newline => {
                    if let Some(next) = self.newline_in_value(j, batch, array.top_mark()) {
                        return next;
                    }
                }
            }
            return j + 1;
        }
        let rest = chunk.get(i..).unwrap_or_default();
        match rest.iter().position(|&b| {
            matches!(
                b,
                b',' | b'[' | b']' | b'{' | b'}' | b'"' | b' ' | b'\t' | b'\r' | b'\n'
            )
        }) {
            Some(k) => {
                self.ctx = Ctx::Array(array);
                i + k
            }
            None => chunk.len(),
        }
    }

    /// Follows strings and nesting from `i` until `depth` falls to `floor`, returning the index of
    /// the closing bracket; in an input that may be JSON Lines, also stops at line ends.
    fn lex(
        &mut self,
        chunk: &[u8],
        mut i: usize,
        depth: &mut usize,
        floor: usize,
    ) -> (usize, Stop) {
        let lines = self.mode != Mode::Document;
        loop {
            if self.in_string {
                match self.string(chunk, i) {
                    (j, Stop::End) => i = j + 1,
                    other => return other,
                }
            }
            let rest = chunk.get(i..).unwrap_or_default();
            let found = if lines {
                rest.iter()
                    .position(|&b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']' | b'\n'))
            } else {
                rest.iter()
                    .position(|&b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']'))
            };
            let Some(k) = found else {
                return (chunk.len(), Stop::Exhausted);
            };
            let j = i + k;
            match rest.get(k) {
                Some(b'"') => self.in_string = true,
                Some(b'{' | b'[') => *depth += 1,
                Some(b'}' | b']') => {
                    *depth = depth.saturating_sub(1);
                    if *depth <= floor {
                        return (j, Stop::End);
                    }
                }
                _ => return (j, Stop::Newline),
            }
            i = j + 1;
        }
    }

    /// Jumps through string contents from `i` to the closing quote.
    fn string(&mut self, chunk: &[u8], mut i: usize) -> (usize, Stop) {
        let lines = self.mode != Mode::Document;
        loop {
            if self.escaped {
                match chunk.get(i) {
                    None => return (i, Stop::Exhausted),
                    Some(b'\n') if lines => {
                        self.escaped = false;
                        return (i, Stop::Newline);
                    }
                    Some(_) => {
                        self.escaped = false;
                        i += 1;
                    }
                }
            }
            let rest = chunk.get(i..).unwrap_or_default();
            let found = if lines {
                memchr3(b'"', b'\\', b'\n', rest)
            } else {
                memchr2(b'"', b'\\', rest)
            };
            let Some(k) = found else {
                return (chunk.len(), Stop::Exhausted);
            };
            let j = i + k;
            match rest.get(k) {
                Some(b'"') => {
                    self.in_string = false;
                    return (j, Stop::End);
                }
                Some(b'\\') => {
                    self.escaped = true;
                    i = j + 1;
                }
                _ => return (j, Stop::Newline),
            }
        }
    }

    /// A line end inside a value: ordinary in a document, but in JSON Lines it means the line's
    /// record is broken, and framing resumes on the next line. Returns where to resume if so.
    fn newline_in_value(&mut self, at: usize, batch: &mut Batch, mark: Mark) -> Option<usize> {
        match self.mode {
            Mode::Document => None,
            Mode::Undecided => {
                self.mode = Mode::Document;
                None
            }
            Mode::Lines => {
                self.drop_buffer(batch);
                self.in_string = false;
                self.escaped = false;
                self.error(batch, mark, FrameErrorKind::UnterminatedLine);
                self.ctx = Ctx::Top;
                self.at_line_start = true;
                Some(at + 1)
            }
        }
    }

    fn top_level_done(&mut self) {
        self.ctx = if self.mode == Mode::Undecided {
            Ctx::AfterFirst
        } else {
            Ctx::Top
        };
    }

    fn collect_key(&mut self, bytes: &[u8]) {
        for (slot, &byte) in self.key.iter_mut().skip(self.key_len).zip(bytes) {
            *slot = byte;
        }
        self.key_len = self.key_len.saturating_add(bytes.len());
    }

    fn key_container(&self) -> Option<Container> {
        match self.key.get(..self.key_len) {
            Some(b"Sessions") => Some(Container::Sessions),
            Some(b"Records") => Some(Container::Records),
            _ => None,
        }
    }

    /// Copies the buffered record's bytes of this chunk, up to `end`, into the batch; a record
    /// that outgrows the limit is dropped and from then on only followed, not copied.
    fn flush_buffer(&mut self, chunk: &[u8], end: usize, batch: &mut Batch) {
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
    fn take_buffer(&mut self, chunk: &[u8], end: usize, batch: &mut Batch) -> Option<usize> {
        self.flush_buffer(chunk, end, batch);
        self.buffer.take().map(|buffer| buffer.start)
    }

    fn drop_buffer(&mut self, batch: &mut Batch) {
        if let Some(buffer) = self.buffer.take() {
            batch.data.truncate(buffer.start);
        }
    }

    fn frame(&mut self, batch: &mut Batch, mark: Mark, container: Container, start: usize) {
        self.records += 1;
        batch.items.push(Ok(Frame {
            record: self.records,
            line: mark.line,
            container,
            range: start..batch.data.len(),
        }));
    }

    /// Reports the record starting at `mark` and closing at chunk index `close` as too large.
    fn too_large(&mut self, batch: &mut Batch, mark: Mark, close: usize) {
        let size = (self.base + close as u64 + 1).saturating_sub(mark.offset);
        let limit = self.limit;
        self.error(batch, mark, FrameErrorKind::RecordTooLarge { size, limit });
    }

    fn error(&mut self, batch: &mut Batch, mark: Mark, kind: FrameErrorKind) {
        self.records += 1;
        batch.items.push(Err(FrameError {
            record: self.records,
            line: mark.line,
            column: mark.column,
            kind,
        }));
    }

    fn mark(&mut self, chunk: &[u8], i: usize) -> Mark {
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
    fn count_lines(&mut self, chunk: &[u8], i: usize) {
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

fn trim_line_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |k| k + 1);
    line.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    #[derive(Debug, PartialEq, Eq)]
    enum Item {
        Frame {
            record: u64,
            line: u64,
            container: Container,
            text: String,
        },
        Error(FrameError),
    }

    fn frame(record: u64, line: u64, container: Container, text: &str) -> Item {
        Item::Frame {
            record,
            line,
            container,
            text: text.to_owned(),
        }
    }

    fn error(record: u64, line: u64, column: u64, kind: FrameErrorKind) -> Item {
        Item::Error(FrameError {
            record,
            line,
            column,
            kind,
        })
    }

    fn unexpected(found: u8) -> FrameErrorKind {
        FrameErrorKind::Unexpected {
            found,
            expected: EXPECTED_RECORD,
        }
    }

    fn run(input: &[u8], capacity: usize, max: usize, limit: usize) -> Vec<Item> {
        let reader = BufReader::with_capacity(capacity, input);
        let mut framer = Framer::new(reader).with_max_record_size(limit);
        let mut batch = Batch::default();
        let mut items = Vec::new();
        while framer.next_batch(&mut batch, max).unwrap() {
            assert!(!batch.items.is_empty());
            assert!(batch.items.len() <= max.max(1));
            for item in &batch.items {
                items.push(match item {
                    Ok(f) => Item::Frame {
                        record: f.record,
                        line: f.line,
                        container: f.container,
                        text: String::from_utf8(batch.bytes(f).to_vec()).unwrap(),
                    },
                    Err(e) => Item::Error(e.clone()),
                });
            }
        }
        assert!(!framer.next_batch(&mut batch, max).unwrap());
        assert!(batch.items.is_empty());
        assert_eq!(framer.records_seen(), items.len() as u64);
        items
    }

    /// Frames `input`, checking that neither the batch size nor where the reader's buffer ends
    /// changes the result.
    fn frames_limited(input: &str, limit: usize) -> Vec<Item> {
        let input = input.as_bytes();
        let expected = run(input, 1 << 16, 1000, limit);
        for (capacity, max) in [(1, 1), (2, 3), (7, 1), (7, 2), (7, 1000), (13, 1), (64, 5)] {
            assert_eq!(
                run(input, capacity, max, limit),
                expected,
                "reader capacity {capacity}, batches of {max}"
            );
        }
        expected
    }

    fn frames(input: &str) -> Vec<Item> {
        frames_limited(input, DEFAULT_MAX_RECORD_SIZE)
    }

    use Container::{Records, Sessions, TopLevel};

    #[test]
    fn compact_response() {
        let input = r#"{"Sessions":[{"SessionId":"s-1","Target":"i-1"},{"SessionId":"s-2"}],"NextToken":"t"}"#;
        assert_eq!(
            frames(input),
            [
                frame(1, 1, Sessions, r#"{"SessionId":"s-1","Target":"i-1"}"#),
                frame(2, 1, Sessions, r#"{"SessionId":"s-2"}"#),
            ]
        );
    }

    #[test]
    fn pretty_response_with_line_numbers() {
        let input = r#"{
    "Sessions": [
        {
            "SessionId": "s-1",
            "Target": "i-1",
            "Details": {"a": [1, 2]}
        },
        {
            "SessionId": "s-2"
        }
    ],
    "NextToken": "abc"
}
"#;
        assert_eq!(
            frames(input),
            [
                frame(
                    1,
                    3,
                    Sessions,
                    "{\n            \"SessionId\": \"s-1\",\n            \"Target\": \"i-1\",\n            \"Details\": {\"a\": [1, 2]}\n        }"
                ),
                frame(
                    2,
                    8,
                    Sessions,
                    "{\n            \"SessionId\": \"s-2\"\n        }"
                ),
            ]
        );
    }

    #[test]
    fn other_keys_in_any_order_are_skipped() {
        let input = r#"{"NextToken": "Sessions", "Meta": {"Sessions": [{"not": "me"}], "x": [{"y": "}"}]},
            "Count": 2, "Flag": null, "Ok": true, "Neg": -1.5e3, "List": [[], {}],
            "Sessions" : [ {"SessionId": "s-1"} ]}"#;
        assert_eq!(
            frames(input),
            [frame(1, 3, Sessions, r#"{"SessionId": "s-1"}"#)]
        );
    }

    #[test]
    fn keys_after_the_sessions_array_are_skipped() {
        let input =
            r#"{"Sessions": [{"a": 1}], "NextToken": "x", "More": {"Sessions": [{"b": 2}]}}"#;
        assert_eq!(frames(input), [frame(1, 1, Sessions, r#"{"a": 1}"#)]);
    }

    #[test]
    fn sessions_key_without_an_array_leaves_the_object_whole() {
        for input in [
            r#"{"Sessions": "none", "a": 1}"#,
            r#"{"Sessions": {"a": [1]}}"#,
            r#"{"Sessions": null, "Records": 3}"#,
            r#"{"SessionsX": [{"a": 1}]}"#,
            r#"{"x": "Sessions", "y": [{"a": 1}]}"#,
        ] {
            assert_eq!(frames(input), [frame(1, 1, TopLevel, input)], "{input}");
        }
    }

    #[test]
    fn empty_sessions_array_gives_nothing() {
        assert_eq!(frames(r#"{"Sessions": []}"#), []);
        assert_eq!(frames("{\"Sessions\": [\n]}\n{\"Sessions\": []}"), []);
    }

    #[test]
    fn concatenated_responses() {
        let compact = r#"{"Sessions":[{"a":1}],"NextToken":"n"}{"Sessions":[{"b":2}]}"#;
        assert_eq!(
            frames(compact),
            [
                frame(1, 1, Sessions, r#"{"a":1}"#),
                frame(2, 1, Sessions, r#"{"b":2}"#),
            ]
        );
        let pretty = "{\n    \"Sessions\": [\n        {\"a\": 1}\n    ]\n}\n{\n    \"Sessions\": [\n        {\"b\": 2}\n    ]\n}\n";
        assert_eq!(
            frames(pretty),
            [
                frame(1, 3, Sessions, r#"{"a": 1}"#),
                frame(2, 8, Sessions, r#"{"b": 2}"#),
            ]
        );
        let spaced = "{\"Sessions\":[{\"a\":1}]}  \t {\"Sessions\":[{\"b\":2}]}\n\n{\"Sessions\":[{\"c\":3}]}";
        assert_eq!(frames(spaced).len(), 3);
    }

    #[test]
    fn top_level_array() {
        let input = "[\n  {\"a\": 1},\n  {\"b\": [2, {\"c\": 3}]},\n  [4]\n]\n";
        assert_eq!(
            frames(input),
            [
                frame(1, 2, TopLevel, r#"{"a": 1}"#),
                frame(2, 3, TopLevel, r#"{"b": [2, {"c": 3}]}"#),
                frame(3, 4, TopLevel, "[4]"),
            ]
        );
        assert_eq!(frames("[]"), []);
    }

    #[test]
    fn non_record_array_elements_are_errors() {
        let input = r#"[1, {"a": 1}, "x,]", null]"#;
        assert_eq!(
            frames(input),
            [
                error(1, 1, 2, unexpected(b'1')),
                frame(2, 1, TopLevel, r#"{"a": 1}"#),
                error(3, 1, 15, unexpected(b'"')),
                error(4, 1, 22, unexpected(b'n')),
            ]
        );
    }

    #[test]
    fn single_session_object() {
        let input = r#"{"SessionId": "s-1", "Status": "Connected", "Target": "i-1"}"#;
        assert_eq!(frames(input), [frame(1, 1, TopLevel, input)]);
    }

    #[test]
    fn single_eventbridge_event() {
        let input = r#"{
  "version": "0",
  "detail-type": "AWS API Call via CloudTrail",
  "detail": {
    "eventName": "StartSession",
    "requestParameters": {"target": "i-1"},
    "responseElements": {"sessionId": "s-1"}
  },
  "resources": []
}"#;
        assert_eq!(frames(input), [frame(1, 1, TopLevel, input)]);
    }

    #[test]
    fn cloudtrail_log_file() {
        let input = r#"{"Records":[{"eventName":"StartSession","requestParameters":{"target":"i-1"}},{"eventName":"TerminateSession"}]}"#;
        assert_eq!(
            frames(input),
            [
                frame(
                    1,
                    1,
                    Records,
                    r#"{"eventName":"StartSession","requestParameters":{"target":"i-1"}}"#
                ),
                frame(2, 1, Records, r#"{"eventName":"TerminateSession"}"#),
            ]
        );
    }

    #[test]
    fn json_lines_with_crlf_and_blank_lines() {
        let input = "{\"a\":1}\r\n\r\n{\"b\":2}\r\n   \r\n\t{\"c\":\"x\"}  \r\n\n";
        assert_eq!(
            frames(input),
            [
                frame(1, 1, TopLevel, r#"{"a":1}"#),
                frame(2, 3, TopLevel, r#"{"b":2}"#),
                frame(3, 5, TopLevel, r#"{"c":"x"}"#),
            ]
        );
    }

    #[test]
    fn json_lines_holding_responses() {
        let input = concat!(
            "{\"SessionId\":\"s-0\"}\n",
            "{\"Sessions\":[{\"SessionId\":\"s-1\"},{\"SessionId\":\"s-2\"}],\"NextToken\":\"n\"}\n",
            "{\"NextToken\":\"m\",\"Sessions\":[{\"SessionId\":\"s-3\"}]}\n",
            "{\"Records\":[{\"eventName\":\"StartSession\"}]}\n",
            "[{\"SessionId\":\"s-4\"}]\n",
            "{\"SessionId\":\"s-5\"}",
        );
        assert_eq!(
            frames(input),
            [
                frame(1, 1, TopLevel, r#"{"SessionId":"s-0"}"#),
                frame(2, 2, Sessions, r#"{"SessionId":"s-1"}"#),
                frame(3, 2, Sessions, r#"{"SessionId":"s-2"}"#),
                frame(4, 3, Sessions, r#"{"SessionId":"s-3"}"#),
                frame(5, 4, Records, r#"{"eventName":"StartSession"}"#),
                frame(6, 5, TopLevel, r#"{"SessionId":"s-4"}"#),
                frame(7, 6, TopLevel, r#"{"SessionId":"s-5"}"#),
            ]
        );
    }

    #[test]
    fn strings_with_brackets_quotes_and_escapes() {
        let record = r#"{"a":"{[","b":"}]","c":"say \"hi\" {","d":"back\\","e":"line\nbreak\"}","f":"\\\"}]","g":"é\u00e9"}"#;
        let in_response =
            format!(r#"{{"Sessions":[{record},{record}],"NextToken":"\"Sessions\":[{{"}}"#);
        assert_eq!(
            frames(&in_response),
            [frame(1, 1, Sessions, record), frame(2, 1, Sessions, record)]
        );
        assert_eq!(
            frames(&format!("[{record},{record}]")),
            [frame(1, 1, TopLevel, record), frame(2, 1, TopLevel, record)]
        );
        assert_eq!(
            frames(&format!("{record}\n{record}\n")),
            [frame(1, 1, TopLevel, record), frame(2, 2, TopLevel, record)]
        );
        let escaped_key = r#"{"Sess\"ions":[{"a":1}]}"#;
        assert_eq!(frames(escaped_key), [frame(1, 1, TopLevel, escaped_key)]);
    }

    #[test]
    fn truncated_last_record() {
        assert_eq!(
            frames("{\"Sessions\":[{\"a\":1},\n  {\"b\":\"x"),
            [
                frame(1, 1, Sessions, r#"{"a":1}"#),
                error(2, 2, 3, FrameErrorKind::UnterminatedValue),
            ]
        );
        assert_eq!(
            frames("{\"Sessions\":[{\"a\":1},\n"),
            [
                frame(1, 1, Sessions, r#"{"a":1}"#),
                error(2, 1, 1, FrameErrorKind::UnterminatedValue),
            ]
        );
        assert_eq!(
            frames("  {\"SessionId\": \"s-1\",\n \"Status\""),
            [error(1, 1, 3, FrameErrorKind::UnterminatedValue)]
        );
        assert_eq!(
            frames("[{\"a\":1}"),
            [
                frame(1, 1, TopLevel, r#"{"a":1}"#),
                error(2, 1, 1, FrameErrorKind::UnterminatedValue),
            ]
        );
    }

    #[test]
    fn broken_json_lines_line_does_not_lose_the_others() {
        let input = concat!(
            "{\"a\":1}\n",
            "{\"b\":[2,\n",
            "{\"c\":3}\n",
            "oops {\"lost\":1}\n",
            "{\"Sessions\":[{\"d\":4},{\"e\":\n",
            "{\"f\":\"}\n",
            "{\"g\":7}\n",
            "{\"h\":",
        );
        assert_eq!(
            frames(input),
            [
                frame(1, 1, TopLevel, r#"{"a":1}"#),
                error(2, 2, 1, FrameErrorKind::UnterminatedLine),
                frame(3, 3, TopLevel, r#"{"c":3}"#),
                error(4, 4, 1, unexpected(b'o')),
                frame(5, 5, Sessions, r#"{"d":4}"#),
                error(6, 5, 22, FrameErrorKind::UnterminatedLine),
                // Balanced-looking lines are taken whole; the parser rejects this one.
                frame(7, 6, TopLevel, r#"{"f":"}"#),
                frame(8, 7, TopLevel, r#"{"g":7}"#),
                error(9, 8, 1, FrameErrorKind::UnterminatedLine),
            ]
        );
    }

    #[test]
    fn value_complete_on_its_line_but_followed_by_more_is_a_document() {
        let input = "{\"a\":1} {\"b\":2}\n{\"c\":\n3}\n";
        assert_eq!(
            frames(input),
            [
                frame(1, 1, TopLevel, r#"{"a":1}"#),
                frame(2, 1, TopLevel, r#"{"b":2}"#),
                frame(3, 2, TopLevel, "{\"c\":\n3}"),
            ]
        );
    }

    #[test]
    fn stray_garbage_at_top_level() {
        let input = "{\n  \"a\": 1\n}\nxyz {\"lost\": 1}\n{\"b\": 2}\n]\n[{\"c\": 3}]";
        assert_eq!(
            frames(input),
            [
                frame(1, 1, TopLevel, "{\n  \"a\": 1\n}"),
                error(2, 4, 1, unexpected(b'x')),
                frame(3, 5, TopLevel, r#"{"b": 2}"#),
                error(4, 6, 1, unexpected(b']')),
                frame(5, 7, TopLevel, r#"{"c": 3}"#),
            ]
        );
        assert_eq!(
            frames("é\n{\"a\":1}"),
            [
                error(1, 1, 1, unexpected(0xc3)),
                frame(2, 2, TopLevel, r#"{"a":1}"#)
            ]
        );
    }

    #[test]
    fn record_too_large_is_skipped() {
        let big = format!(r#"{{"big":"{}"}}"#, "x".repeat(40));
        let input = format!(r#"{{"Sessions":[{{"a":"short"}},{big},{{"c":1}}]}}"#);
        assert_eq!(
            frames_limited(&input, 30),
            [
                frame(1, 1, Sessions, r#"{"a":"short"}"#),
                error(
                    2,
                    1,
                    28,
                    FrameErrorKind::RecordTooLarge {
                        size: 50,
                        limit: 30
                    }
                ),
                frame(3, 1, Sessions, r#"{"c":1}"#),
            ]
        );
        assert_eq!(
            frames_limited(&format!("{big}\n{{\"c\":1}}\n{big}"), 30),
            [
                error(
                    1,
                    1,
                    1,
                    FrameErrorKind::RecordTooLarge {
                        size: 50,
                        limit: 30
                    }
                ),
                frame(2, 2, TopLevel, r#"{"c":1}"#),
                error(
                    3,
                    3,
                    1,
                    FrameErrorKind::RecordTooLarge {
                        size: 50,
                        limit: 30
                    }
                ),
            ]
        );
        assert_eq!(
            frames_limited(&format!("[{big}, {big}]"), 50),
            [frame(1, 1, TopLevel, &big), frame(2, 1, TopLevel, &big)]
        );
    }

    #[test]
    fn large_prefix_before_sessions_does_not_stop_streaming() {
        let input = format!(
            r#"{{"NextToken":"{}","Sessions":[{{"a":1}}]}}"#,
            "t".repeat(100)
        );
        assert_eq!(
            frames_limited(&input, 30),
            [frame(1, 1, Sessions, r#"{"a":1}"#)]
        );
    }

    #[test]
    fn empty_and_blank_inputs_give_nothing() {
        assert_eq!(frames(""), []);
        assert_eq!(frames(" \n\t\r\n\n"), []);
    }

    #[test]
    fn batches_split_at_max_records() {
        let input = (0..25)
            .map(|n| format!("{{\"SessionId\":\"s-{n}\"}}\n"))
            .collect::<String>();
        let mut framer = Framer::new(BufReader::with_capacity(7, input.as_bytes()));
        let mut batch = Batch::default();
        let mut sizes = Vec::new();
        let mut record = 0;
        while framer.next_batch(&mut batch, 10).unwrap() {
            sizes.push(batch.items.len());
            for item in &batch.items {
                let f = item.as_ref().unwrap();
                record += 1;
                assert_eq!(f.record, record);
                assert_eq!(f.line, record);
                assert_eq!(
                    batch.bytes(f),
                    format!("{{\"SessionId\":\"s-{}\"}}", record - 1).as_bytes()
                );
            }
        }
        assert_eq!(sizes, [10, 10, 5]);
        assert_eq!(framer.records_seen(), 25);
    }

    #[test]
    fn zero_max_records_still_makes_progress() {
        let mut framer = Framer::new(&b"[{},{}]"[..]);
        let mut batch = Batch::default();
        assert!(framer.next_batch(&mut batch, 0).unwrap());
        assert_eq!(batch.items.len(), 1);
    }

    #[test]
    fn error_display() {
        let error = FrameError {
            record: 4,
            line: 12,
            column: 3,
            kind: unexpected(b'x'),
        };
        assert_eq!(
            error.to_string(),
            "line 12, column 3: unexpected `x` where a JSON object or array was expected"
        );
        let too_large = FrameErrorKind::RecordTooLarge {
            size: 20,
            limit: 10,
        };
        assert_eq!(
            too_large.to_string(),
            "record of 20 bytes exceeds the maximum record size of 10 bytes"
        );
        assert_eq!(
            unexpected(0).to_string(),
            "unexpected byte 0x00 where a JSON object or array was expected"
        );
    }

    /// Yields its data, then fails.
    struct Failing<'a>(&'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("disk on fire"));
            }
            let n = self.0.read(buf)?;
            Ok(n)
        }
    }

    #[test]
    fn io_error_comes_after_the_records_read_before_it() {
        let reader = BufReader::with_capacity(4, Failing(b"{\"a\":1}\n{\"b\":2}\n{\"c\""));
        let mut framer = Framer::new(reader);
        let mut batch = Batch::default();
        assert!(framer.next_batch(&mut batch, 100).unwrap());
        assert_eq!(batch.items.len(), 2);
        let error = framer.next_batch(&mut batch, 100).unwrap_err();
        assert_eq!(error.to_string(), "disk on fire");
        assert!(batch.items.is_empty());
        assert!(!framer.next_batch(&mut batch, 100).unwrap());
    }

    /// A small deterministic generator, so the randomised tests need no extra dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_value(rng: &mut Rng, depth: u32) -> serde_json::Value {
        use serde_json::Value;
        const TEXTS: [&str; 8] = ["", "{", "}]", "\\", "\"", "a\nb", "Sessions", "é\u{1F600}"];
        match rng.below(if depth > 2 { 4 } else { 6 }) {
            0 => Value::Null,
            1 => Value::from(rng.below(1000)),
            2 => Value::from(TEXTS[rng.below(8) as usize]),
            3 => Value::Bool(rng.below(2) == 0),
            4 => Value::Array(
                (0..rng.below(3))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => random_object(rng, depth + 1),
        }
    }

    fn random_object(rng: &mut Rng, depth: u32) -> serde_json::Value {
        const KEYS: [&str; 6] = ["SessionId", "k\"}", "Details", "x", "Sessions", "Records"];
        let mut map = serde_json::Map::new();
        for _ in 0..rng.below(4) {
            map.insert(
                // A record's own keys never name a record array: that would make it a wrapper.
                KEYS[rng.below(if depth > 1 { 6 } else { 4 }) as usize].to_owned(),
                random_value(rng, depth),
            );
        }
        serde_json::Value::Object(map)
    }

    fn parsed(items: &[Item]) -> Vec<(Container, serde_json::Value)> {
        items
            .iter()
            .map(|item| match item {
                Item::Frame {
                    container, text, ..
                } => (*container, serde_json::from_str(text).unwrap()),
                Item::Error(error) => panic!("unexpected error {error}"),
            })
            .collect()
    }

    #[test]
    fn generated_documents_frame_to_their_records() {
        let mut rng = Rng(0x5eed);
        for _ in 0..200 {
            let records: Vec<serde_json::Value> = (0..rng.below(4))
                .map(|_| random_object(&mut rng, 1))
                .collect();
            let expect = |container| {
                records
                    .iter()
                    .map(|r| (container, r.clone()))
                    .collect::<Vec<_>>()
            };
            let response =
                serde_json::json!({"NextToken": random_value(&mut rng, 0), "Sessions": records});
            let trail = serde_json::json!({"Records": records, "Other": random_value(&mut rng, 0)});
            for text in [
                serde_json::to_string(&response).unwrap(),
                serde_json::to_string_pretty(&response).unwrap(),
            ] {
                assert_eq!(parsed(&frames(&text)), expect(Sessions), "{text}");
            }
            let text = serde_json::to_string_pretty(&trail).unwrap();
            assert_eq!(parsed(&frames(&text)), expect(Records), "{text}");
            let text = serde_json::to_string_pretty(&records).unwrap();
            assert_eq!(parsed(&frames(&text)), expect(TopLevel), "{text}");
            let lines: String = records.iter().map(|r| format!("{r}\r\n")).collect();
            assert_eq!(parsed(&frames(&lines)), expect(TopLevel), "{lines}");
        }
    }

    #[test]
    fn arbitrary_bytes_frame_the_same_whatever_the_buffering() {
        const ALPHABET: &[u8] = b"{}[]\",:\\ \n\ra1xSR";
        let mut rng = Rng(0xfeed);
        for _ in 0..2000 {
            let mut input: Vec<u8> = (0..rng.below(40))
                .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
                .collect();
            // Splice in the keys that change how an object is framed.
            if rng.below(2) == 0 {
                let at = rng.below(input.len() as u64 + 1) as usize;
                let key: &[u8] = if rng.below(2) == 0 {
                    b"{\"Sessions\":["
                } else {
                    b"\"Records\":"
                };
                input.splice(at..at, key.iter().copied());
            }
            let text = String::from_utf8(input).unwrap();
            for limit in [4, DEFAULT_MAX_RECORD_SIZE] {
                let items = frames_limited(&text, limit);
                for (n, item) in items.iter().enumerate() {
                    let record = match item {
                        Item::Frame { record, .. } => *record,
                        Item::Error(error) => error.record,
                    };
                    assert_eq!(record, n as u64 + 1);
                }
            }
        }
    }
}
