//! The fast path of record reading: a flat Session object of plain strings and numbers, read
//! without serde.
//!
//! Nearly every record of an export is one object whose values are strings without escapes,
//! which a general JSON reader spends most of its time on being general about. This reader
//! takes only that shape and declines everything else (escapes, numbers serde_json might read
//! to another value, nested values, CloudTrail keys, CloudQuery columns, repeated fields,
//! malformed JSON, objects that name no member of Session), leaving it to the serde reader,
//! which reports problems with their place. It never accepts a document the serde reader would
//! reject, and what it accepts it reads to the same values (tests check both).

use std::borrow::Cow;

use super::keys::Key;
use super::number::read_number;
use crate::json_text::plain_length;
use crate::model::field::{Field, STORED_FIELDS};
use crate::model::session::{Session, Value};

/// Reads a flat Session object into `session` (empty on entry), or returns false when the
/// record needs the full reader; `session` then holds part of it and is to be dropped.
///
/// The record is filled in place because a Session is a few hundred bytes, and copying it
/// through return values cost a measurable share of reading it.
pub(super) fn read_into<'a>(text: &'a str, session: &mut Session<'a>) -> bool {
    let mut cursor = Cursor { text, at: 0 };
    let mut record = Record {
        session,
        seen: [false; STORED_FIELDS],
    };
    cursor.skip_whitespace();
    let mut unknown: Vec<&'a str> = Vec::new();
    let read = cursor.object(|cursor| {
        let (key, name) = cursor.key()?;
        match key {
            Key::Field(Field::OutputUrl) if cursor.peek() == Some(b'{') => {
                record.store(Field::OutputUrl, Some(Value::OutputUrl))?;
                cursor.object(|cursor| {
                    let member = cursor.string()?;
                    cursor.colon()?;
                    let value = cursor.scalar()?;
                    match member {
                        "S3OutputUrl" => record.store(Field::S3OutputUrl, value),
                        "CloudWatchOutputUrl" => record.store(Field::CloudWatchOutputUrl, value),
                        _ => Some(()),
                    }
                })
            }
            Key::Field(field) => record.store(field, cursor.scalar()?),
            Key::Other => {
                unknown.push(name?);
                cursor.scalar().map(drop)
            }
            // Events, EventBridge envelopes, `Sessions` pages and CloudQuery rows are not flat
            // Sessions.
            _ => None,
        }
    });
    cursor.skip_whitespace();
    // An object that names no member of Session is not one; the full reader says what it is.
    if read.is_none() || !cursor.at_end() || !record.seen.contains(&true) {
        return false;
    }
    let session = record.session;
    session.read_typed();
    for name in unknown {
        session.add_unknown_key(Cow::Borrowed(name));
    }
    true
}

/// The member a key at the start of `rest` (its opening quote) can only be, told by the name's
/// first and sixth bytes, which no two members share: a key is then one comparison, whatever
/// order the record's keys come in (AWS's, sorted by name as many JSON writers sort them, or
/// any other). Anything else is read as a string and looked up.
fn named(rest: &[u8]) -> &'static [Written] {
    use Field::*;
    const fn w(field: Field) -> Written {
        Written::of(field)
    }
    let first = rest.get(1).copied().unwrap_or_default();
    let sixth = rest.get(6).copied().unwrap_or_default();
    match (first, sixth) {
        (b'S', b'o') => &const { [w(SessionId)] },
        (b'S', b's') => &const { [w(Status)] },
        (b'S', b'D') => &const { [w(StartDate)] },
        (b'T', _) => &const { [w(Target)] },
        (b'E', _) => &const { [w(EndDate)] },
        (b'D', b'e') => &const { [w(DocumentName)] },
        (b'D', b'l') => &const { [w(Details)] },
        (b'O', b'"') => &const { [w(Owner)] },
        (b'O', b't') => &const { [w(OutputUrl)] },
        (b'R', _) => &const { [w(Reason)] },
        (b'M', _) => &const { [w(MaxSessionDuration)] },
        (b'A', _) => &const { [w(AccessType)] },
        _ => &[],
    }
}

/// A field's key as records write it, quotes included (`"Target"`), packed into three words
/// with a mask of the bytes it fills: comparing it with the input is three masked word
/// comparisons, where comparing slices was a call to `memcmp` for every key.
#[derive(Debug, Clone, Copy)]
struct Written {
    field: Field,
    /// Bytes of the key, its quotes included.
    length: usize,
    text: [u8; Self::WIDTH],
    words: [u64; 3],
    masks: [u64; 3],
}

/// Eight bytes of `bytes` from `at` as a little-endian word, while compiling.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated while compiling: an index out of bounds fails the build"
)]
const fn word(bytes: &[u8; Written::WIDTH], at: usize) -> u64 {
    u64::from_le_bytes([
        bytes[at],
        bytes[at + 1],
        bytes[at + 2],
        bytes[at + 3],
        bytes[at + 4],
        bytes[at + 5],
        bytes[at + 6],
        bytes[at + 7],
    ])
}

impl Written {
    /// Room for the longest Session field's key, `"MaxSessionDuration"`, and then some.
    const WIDTH: usize = 24;

    #[expect(
        clippy::indexing_slicing,
        reason = "evaluated while compiling: an index out of bounds fails the build"
    )]
    const fn of(field: Field) -> Self {
        let name = field.record_name().as_bytes();
        let length = name.len() + 2;
        let mut text = [0u8; Self::WIDTH];
        let mut mask = [0u8; Self::WIDTH];
        let mut at = 0;
        while at < length {
            text[at] = if at == 0 || at == length - 1 {
                b'"'
            } else {
                name[at - 1]
            };
            mask[at] = 0xff;
            at += 1;
        }
        Self {
            field,
            length,
            text,
            words: [word(&text, 0), word(&text, 8), word(&text, 16)],
            masks: [word(&mask, 0), word(&mask, 8), word(&mask, 16)],
        }
    }

    /// Whether `input` starts with this key.
    #[inline]
    fn starts(&self, input: &[u8]) -> bool {
        match input.first_chunk::<{ Self::WIDTH }>() {
            Some(head) => {
                let (words, _) = head.as_chunks::<8>();
                let differences = words
                    .iter()
                    .zip(self.words.iter().zip(&self.masks))
                    .fold(0, |any, (word, (key, mask))| {
                        any | ((u64::from_le_bytes(*word) ^ key) & mask)
                    });
                differences == 0
            }
            // Near the end of a record there may be fewer bytes than a word holds.
            None => input.starts_with(self.text.get(..self.length).unwrap_or_default()),
        }
    }
}

/// The values read so far, and which fields were named.
struct Record<'v, 'a> {
    session: &'v mut Session<'a>,
    seen: [bool; STORED_FIELDS],
}

impl<'a> Record<'_, 'a> {
    /// Stores a field's value; a field named twice declines, for the full reader to report.
    /// Inlined for the reason [`Cursor::scalar`] is.
    #[inline(always)]
    fn store(&mut self, field: Field, value: Option<Value<'a>>) -> Option<()> {
        let slot = field.slot()?;
        let seen = self.seen.get_mut(slot)?;
        if *seen {
            return None;
        }
        *seen = true;
        self.session.store(slot, value)
    }
}

/// A position in the record's text; every step checks its bounds and declines on surprise.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.at..).unwrap_or_default()
    }

    fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }

    fn skip_whitespace(&mut self) {
        let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        // Compact records have none, so the first byte is usually all there is to look at.
        if self.peek().as_ref().is_some_and(is_space) {
            self.at += self.rest().iter().take_while(|b| is_space(b)).count();
        }
    }

    /// An object, each member read by `member` with the cursor on its key.
    fn object(&mut self, mut member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        self.skip_whitespace();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            member(self)?;
            self.skip_whitespace();
            if self.eat(b'}') {
                return Some(());
            }
            self.expect(b',')?;
            self.skip_whitespace();
        }
    }

    /// The `:` between a key and its value, with the whitespace around it.
    fn colon(&mut self) -> Option<()> {
        self.skip_whitespace();
        self.expect(b':')?;
        self.skip_whitespace();
        Some(())
    }

    /// A record's key and the colon after it. The member it can only be is compared first: a
    /// match is cheaper than reading the key and looking it up.
    /// The key comes with its name when it was read as a string rather than matched.
    fn key(&mut self) -> Option<(Key, Option<&'a str>)> {
        let rest = self.rest();
        for written in named(rest) {
            if written.starts(rest) {
                self.at += written.length;
                self.colon()?;
                return Some((Key::Field(written.field), None));
            }
        }
        let name = self.string()?;
        self.colon()?;
        Some((Key::resolve(name), Some(name)))
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// A string without escapes or control characters, borrowed from the text.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let end = start + plain_length(bytes.get(start..)?);
        // The closing quote must be the byte found; a backslash means an escape.
        if bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        // Both ends sit next to an ASCII quote, so they are character boundaries.
        self.text.get(start..end)
    }

    /// A string, a number, `true`, `false` or `null` (as `None`); other values decline.
    ///
    /// Inlined: returned through memory, its result was read back before the stores that wrote
    /// it had landed, which stalled the reader on every value.
    #[inline(always)]
    fn scalar(&mut self) -> Option<Option<Value<'a>>> {
        match self.peek()? {
            b'"' => Some(Some(Value::String(Cow::Borrowed(self.string()?)))),
            b't' => self.word("true", Some(Value::Bool(true))),
            b'f' => self.word("false", Some(Value::Bool(false))),
            b'n' => self.word("null", None),
            b'-' | b'0'..=b'9' => {
                let (number, length) = read_number(self.rest())?;
                self.at += length;
                Some(Some(Value::Number(number)))
            }
            _ => None,
        }
    }

    fn word(&mut self, word: &str, value: Option<Value<'a>>) -> Option<Option<Value<'a>>> {
        self.rest().starts_with(word.as_bytes()).then(|| {
            self.at += word.len();
            value
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ParsedRecord;
    use crate::model::record::parse_with_serde;

    /// What the serde reader makes of a text, as a Session where it is one.
    fn serde_session(text: &str) -> Option<Session<'_>> {
        match parse_with_serde(text) {
            Ok(ParsedRecord::Session(session)) => Some(session),
            _ => None,
        }
    }

    /// What the fast path makes of a text, if it takes it.
    fn read(text: &str) -> Option<Session<'_>> {
        let mut session = Session::default();
        read_into(text, &mut session).then_some(session)
    }

    fn agrees(text: &str) {
        if let Some(fast) = read(text) {
            assert_eq!(Some(fast), serde_session(text), "{text}");
        }
    }

    #[test]
    fn reads_a_typical_export_record() {
        let text = r#"{"SessionId":"kofi-d1b8","Target":"i-0f85","Status":"Terminated","StartDate":"2026-05-01T00:29:47.677408-05:00","EndDate":"2026-05-01T03:40:17.419409-05:00","DocumentName":"SSM-SessionManagerRunShell","Owner":"arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Eng_8d2e/kofi@example.org","MaxSessionDuration":"240","AccessType":"Standard","Unknown":true,"Details":null,"OutputUrl":{"S3OutputUrl":"https://s3.amazonaws.com/logs/kofi.log","Other":"x","CloudWatchOutputUrl":null}}"#;
        let session = read(text).expect("the common shape is read by the fast path");
        assert_eq!(Some(session), serde_session(text));
    }

    #[test]
    fn reads_pretty_printed_objects_and_empty_output_urls() {
        for text in [
            "{\n  \"Target\" : \"i-1\" ,\r\n\t\"Reason\": \"x\"\n}\n",
            r#"{"OutputUrl":"s3://b"}"#,
            r#"{"Target":3,"StartDate":1771155085.699496,"MaxSessionDuration":-0}"#,
            r#"{"OutputUrl":null}"#,
            r#"{"OutputUrl":{}}"#,
            r#"{"OutputUrl":{ "CloudWatchOutputUrl" : "log-group" } }"#,
        ] {
            assert!(read(text).is_some(), "{text:?}");
            agrees(text);
        }
    }

    #[test]
    fn declines_what_the_full_reader_must_judge() {
        for text in [
            r#"{"Target":"i-\u0031"}"#,
            r#"{"Target":"i-1","Target":"i-2"}"#,
            r#"{"Target":["i-1"]}"#,
            r#"{"OutputUrl":{"S3OutputUrl":"s3://b","S3OutputUrl":"s3://c"}}"#,
            r#"{"OutputUrl":{"S3OutputUrl":"s3://b","Other":[]}}"#,
            r#"{"OutputUrl":null,"OutputUrl":{}}"#,
            r#"{"eventName":"StartSession"}"#,
            r#"{"Sessions":[]}"#,
            r#"{"detail":{}}"#,
            r#"{"Other":{"a":1}}"#,
            // An object naming no member of Session is not one.
            "{}",
            " { } \n",
            r#"{"Other":"a"}"#,
            r#"{"session_id":"a"}"#,
            "{\"Target\":\"i-\t1\"}",
            r#"{"Target":"i-1",}"#,
            r#"{"Target":"i-1"} x"#,
            r#"{"Target":"i-1""#,
            r#"{"Target" "i-1"}"#,
            r#"{"Target":tru}"#,
            r#"{"Target":"i-1"}{}"#,
            "[]",
            "",
        ] {
            assert!(read(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn written_keys_are_the_field_names_in_quotes() {
        for &field in Field::ALL {
            let name = field.record_name();
            if Key::resolve(name) != Key::Field(field) {
                continue;
            }
            let quoted = format!("\"{name}\"");
            let written = named(quoted.as_bytes());
            assert_eq!(
                written.len(),
                1,
                "{name} is named by its first and sixth bytes"
            );
            let written = &written[0];
            assert_eq!(written.field, field);
            assert!(quoted.len() <= Written::WIDTH, "{quoted}");
            for tail in ["", ":", ": \"a value long enough to fill the words\""] {
                let input = format!("{quoted}{tail}");
                assert!(written.starts(input.as_bytes()), "{input}");
                let mut wrong = input.clone().into_bytes();
                if let Some(last) = wrong.get_mut(quoted.len() - 2) {
                    *last ^= 1;
                }
                assert!(!written.starts(&wrong), "{input}");
            }
            assert!(!written.starts(format!("\"{}X\"", field.name()).as_bytes()));
        }
    }

    #[test]
    fn keys_in_any_order_are_read_alike() {
        let text = r#"{"AccessType":"Standard","DocumentName":"AWS-StartSSHSession","EndDate":"2026-05-16T05:15:23.325165-04:00","MaxSessionDuration":"60","OutputUrl":{"S3OutputUrl":"s3://b"},"Owner":"arn:aws:sts::1:assumed-role/A/b","Reason":"r","SessionId":"s-1","StartDate":"2026-05-16T04:10:18.028492-04:00","Status":"Terminated","Target":"mi-1"}"#;
        let session = read(text).expect("sorted keys are read by the fast path");
        assert_eq!(Some(session), serde_session(text));
    }

    #[test]
    fn agrees_with_the_full_reader_on_every_prefix_of_a_record() {
        let text = r#"{ "Target": "i-1", "Reason": "ticket", "Unknown": false, "EndDate": null, "OutputUrl": { "S3OutputUrl": "s3://b" } }"#;
        for end in 0..=text.len() {
            if let Some(prefix) = text.get(..end) {
                agrees(prefix);
            }
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::agrees;

        fn whitespace() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec!["", "", "", " ", "\n  ", "\t", "\r\n"])
        }

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                12 => "[a-zA-Z0-9:/._@ é-]{0,40}".prop_map(|text| format!("\"{text}\"")),
                1 => prop::sample::select(vec![
                    "true", "false", "null", "0", "-1.5e3", "[]", "{}", "\"\\u0041\"",
                    "-0", "-0.0", "1771155085.699496", "1e22", "1e23", "9007199254740993", "01",
                    "1.", "2.5E-8",
                    "\"a\\\"b\"", "\"\t\"", "\"\u{1}\"", "\"", "nul", "{\"S3OutputUrl\":\"s3://b\"}",
                    "{\"S3OutputUrl\":\"a\",\"S3OutputUrl\":\"b\"}", "{\"CloudWatchOutputUrl\":null,\"x\":1}",
                ])
                .prop_map(str::to_owned),
            ]
        }

        fn key() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![
                "SessionId",
                "Target",
                "Status",
                "StartDate",
                "EndDate",
                "DocumentName",
                "Owner",
                "Reason",
                "Details",
                "OutputUrl",
                "MaxSessionDuration",
                "AccessType",
                "Extra",
                "S3OutputUrl",
                "eventName",
                "Sessions",
                "detail",
                "target",
                "",
            ])
        }

        fn member() -> impl Strategy<Value = String> {
            (key(), whitespace(), whitespace(), value())
                .prop_map(|(key, before, after, value)| format!("\"{key}\"{before}:{after}{value}"))
        }

        fn record() -> impl Strategy<Value = String> {
            (
                whitespace(),
                prop::collection::vec((member(), whitespace()), 0..8),
                prop::sample::select(vec!["}", "}", "}", "} ", ",}", "", "}}"]),
            )
                .prop_map(|(lead, members, close)| {
                    let body: Vec<String> = members
                        .into_iter()
                        .map(|(m, space)| format!("{m}{space}"))
                        .collect();
                    format!("{lead}{{{}{close}", body.join(","))
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

            /// Whatever the fast path accepts, the serde reader accepts and reads alike.
            #[test]
            fn the_fast_path_never_disagrees_with_the_full_reader(text in record()) {
                agrees(&text);
            }
        }
    }
}
