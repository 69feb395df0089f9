//! The byte scanner behind the [`Framer`](super::Framer): finds where records begin and end in
//! each chunk the reader hands over, copying their bytes into the batch as it goes.
//!
//! It is a state machine whose state survives from one chunk to the next (the open value, an
//! unfinished string or escape, the line count), so a chunk boundary can fall on any byte and the
//! frames come out the same. Each byte is looked at once, mostly by memchr and tight loops over
//! a slice: this is the hot path of `check`. This file follows the JSON; what the scanner puts
//! into the batch, and the positions it reports, are kept in `emit`.

mod emit;

use memchr::memmem::Finder;
use memchr::{memchr, memchr2, memchr3};

use super::{Batch, Container, EXPECTED_RECORD, FrameErrorKind};

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
pub(super) struct ReadAhead {
    /// Stream offset of the line start the read-ahead was done for.
    pub(super) at: u64,
    /// The line runs to the end of the input rather than to a newline.
    pub(super) eof: bool,
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
pub(super) struct Step {
    pub(super) consumed: usize,
    pub(super) read_ahead: bool,
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
pub(super) struct Scanner {
    pub(super) limit: usize,
    mode: Mode,
    ctx: Ctx,
    in_string: bool,
    escaped: bool,
    buffer: Option<Buffer>,
    /// The start of the string directly inside the top-level object; only `Sessions` and
    /// `Records` matter, so longer keys are known by length alone.
    key: [u8; 8],
    key_len: usize,
    pub(super) records: u64,
    /// Line number, and offset of that line's first byte, at stream offset `counted`.
    line: u64,
    line_start: u64,
    counted: u64,
    /// Stream offset of the current chunk's first byte.
    base: u64,
    at_line_start: bool,
    pub(super) read_ahead: Option<ReadAhead>,
    sessions_key: Finder<'static>,
    records_key: Finder<'static>,
}

impl Scanner {
    pub(super) fn new(limit: usize) -> Self {
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
    pub(super) fn scan(&mut self, chunk: &[u8], base: u64, batch: &mut Batch, max: usize) -> Step {
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
    pub(super) fn finish(&mut self, batch: &mut Batch) {
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
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |k| k + 1);
    line.get(..end).unwrap_or_default()
}
