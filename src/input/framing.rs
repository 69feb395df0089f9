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
