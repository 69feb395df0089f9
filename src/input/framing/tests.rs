//! The framer's unit tests: every input shape it meets, framed with its line numbers and errors,
//! and checked to come out the same whatever the reader's buffer size and the batch size.

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
    collect(BufReader::with_capacity(capacity, input), max, limit)
}

/// Frames all of `reader`'s input in batches of `max`, checking what every batch promises.
fn collect(reader: impl BufRead, max: usize, limit: usize) -> Vec<Item> {
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
    let input =
        r#"{"Sessions":[{"SessionId":"s-1","Target":"i-1"},{"SessionId":"s-2"}],"NextToken":"t"}"#;
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
    let input = r#"{"Sessions": [{"a": 1}], "NextToken": "x", "More": {"Sessions": [{"b": 2}]}}"#;
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
    let spaced =
        "{\"Sessions\":[{\"a\":1}]}  \t {\"Sessions\":[{\"b\":2}]}\n\n{\"Sessions\":[{\"c\":3}]}";
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

mod properties {
    use std::io::{self, BufRead, Read};

    use proptest::prelude::*;
    use proptest::sample::Index;
    use serde_json::{Value, json};

    use super::{Item, collect, frames_limited};
    use crate::input::framing::Container::{self, Records, Sessions, TopLevel};
    use crate::input::framing::DEFAULT_MAX_RECORD_SIZE;

    /// Strings that are hard to frame: brackets and quotes the scanner must not count, a lone
    /// backslash, a line break (escaped in JSON, so a JSON Lines line stays one line), a record
    /// array's name, and characters of several bytes.
    const TEXTS: [&str; 8] = ["", "{", "}]", "\\", "\"", "a\nb", "Sessions", "é\u{1F600}"];

    /// Keys of objects: the first four may be a record's own, the last two name a record array.
    const KEYS: [&str; 6] = ["SessionId", "k\"}", "Details", "x", "Sessions", "Records"];

    /// Bytes that mean something to the framer, and a few that do not.
    const ALPHABET: &[u8] = b"{}[]\",:\\ \n\ra1xSR";

    /// Any JSON value at nesting `depth`; deeper than 2, only scalars, so documents stay small.
    fn value(depth: u32) -> BoxedStrategy<Value> {
        let scalar = prop_oneof![
            Just(Value::Null),
            (0..1000u64).prop_map(Value::from),
            prop::sample::select(TEXTS.to_vec()).prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
        ];
        if depth > 2 {
            return scalar.boxed();
        }
        prop_oneof![
            4 => scalar,
            1 => prop::collection::vec(value(depth + 1), 0..3).prop_map(Value::Array),
            1 => object(depth + 1),
        ]
        .boxed()
    }

    /// An object of up to three members; at depth 1 it is a record.
    fn object(depth: u32) -> BoxedStrategy<Value> {
        // A record's own keys never name a record array: that would make it a wrapper. Deeper
        // down they may, and must not be taken for one.
        let keys = if depth > 1 { &KEYS[..] } else { &KEYS[..4] };
        prop::collection::vec((prop::sample::select(keys.to_vec()), value(depth)), 0..4)
            .prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect(),
                )
            })
            .boxed()
    }

    /// Hands its input over in pieces that end at `ends` (sorted), as a reader whose buffer can
    /// end on any byte would: inside a string, an escape, a key, a CRLF.
    struct Pieces<'a> {
        input: &'a [u8],
        ends: Vec<usize>,
        at: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut piece = self.fill_buf()?;
            let n = piece.read(buf)?;
            self.consume(n);
            Ok(n)
        }
    }

    impl BufRead for Pieces<'_> {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            let end = self.ends.iter().copied().find(|&end| end > self.at);
            Ok(&self.input[self.at..end.unwrap_or(self.input.len())])
        }

        fn consume(&mut self, n: usize) {
            self.at += n;
        }
    }

    /// Where the reader's buffer ends: anywhere, up to five times.
    fn cuts() -> impl Strategy<Value = Vec<Index>> {
        prop::collection::vec(any::<Index>(), 0..6)
    }

    /// Frames `text` as [`frames_limited`] does, and checks that the same input handed over in
    /// the pieces `cuts` marks, in batches of `max`, frames the same.
    fn framed(text: &str, cuts: &[Index], max: usize, limit: usize) -> Vec<Item> {
        let expected = frames_limited(text, limit);
        let input = text.as_bytes();
        let mut ends: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
        ends.sort_unstable();
        let pieces = Pieces {
            input,
            ends: ends.clone(),
            at: 0,
        };
        assert_eq!(
            collect(pieces, max, limit),
            expected,
            "pieces ending at {ends:?}, batches of {max}"
        );
        expected
    }

    /// The frames' values; the inputs are valid, so an error fails the test.
    fn parsed(items: &[Item]) -> Vec<(Container, Value)> {
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

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Responses, CloudTrail files, arrays and JSON Lines of any records give back exactly
        /// those records, in their container, however the input is split.
        #[test]
        fn generated_documents_frame_to_their_records(
            records in prop::collection::vec(object(1), 0..4),
            token in value(0),
            other in value(0),
            cuts in cuts(),
            max in 1usize..5,
        ) {
            let expect = |container| {
                records
                    .iter()
                    .map(|r| (container, r.clone()))
                    .collect::<Vec<_>>()
            };
            let response = json!({"NextToken": token, "Sessions": records});
            let trail = json!({"Records": records, "Other": other});
            let lines: String = records.iter().map(|r| format!("{r}\r\n")).collect();
            for (text, container) in [
                (serde_json::to_string(&response).unwrap(), Sessions),
                (serde_json::to_string_pretty(&response).unwrap(), Sessions),
                (serde_json::to_string_pretty(&trail).unwrap(), Records),
                (serde_json::to_string_pretty(&records).unwrap(), TopLevel),
                (lines, TopLevel),
            ] {
                let items = framed(&text, &cuts, max, DEFAULT_MAX_RECORD_SIZE);
                prop_assert_eq!(parsed(&items), expect(container), "{}", text);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Any bytes of the framer's vocabulary, valid JSON or not, frame the same however they
        /// are split and batched, with every item numbered in turn.
        #[test]
        fn arbitrary_bytes_frame_the_same_whatever_the_buffering(
            bytes in prop::collection::vec(prop::sample::select(ALPHABET.to_vec()), 0..40),
            // The keys that change how an object is framed, spliced in somewhere.
            key in prop::option::of((
                any::<Index>(),
                prop::sample::select(vec![&b"{\"Sessions\":["[..], &b"\"Records\":"[..]]),
            )),
            cuts in cuts(),
            max in 1usize..5,
        ) {
            let mut input = bytes;
            if let Some((at, key)) = key {
                let at = at.index(input.len() + 1);
                input.splice(at..at, key.iter().copied());
            }
            let text = String::from_utf8(input).unwrap();
            for limit in [4, DEFAULT_MAX_RECORD_SIZE] {
                let items = framed(&text, &cuts, max, limit);
                for (n, item) in items.iter().enumerate() {
                    let record = match item {
                        Item::Frame { record, .. } => *record,
                        Item::Error(error) => error.record,
                    };
                    prop_assert_eq!(record, n as u64 + 1);
                }
            }
        }
    }
}
