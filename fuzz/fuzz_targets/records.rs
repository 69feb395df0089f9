//! Fuzzes reading records in every input format: framing (documents, responses, CloudTrail
//! logs, JSON Lines, gzip), parsing and evaluating against the embedded default set. Frames do
//! not depend on how the input is buffered, record numbers count from 1 without gaps, and a
//! record with a non-waived deny violation is never allowed.

#![no_main]

use std::io::{BufRead, BufReader, Read};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ssm_guard::input::{Batch, Framer};
use ssm_guard::model::{ParsedRecord, parse_event, parse_record};
use ssm_guard::report::violation_json;
use ssm_guard::{Action, Compiled, Decision, SourceMap, Timestamp, compile};

fn now() -> Timestamp {
    Timestamp::from_micros(1_773_437_400_000_000)
}

fn defaults() -> &'static Compiled {
    static SET: OnceLock<Compiled> = OnceLock::new();
    SET.get_or_init(|| match compile(&SourceMap::defaults(), now()) {
        Ok(compiled) => compiled,
        Err(_) => panic!("the embedded default set compiles"),
    })
}

/// One item of framing, comparable across buffer sizes: record, line and bytes, or the error.
type Framed = Result<(u64, u64, Vec<u8>), String>;

/// What framing gave, item by item.
fn frame_all(reader: impl BufRead, limit: usize) -> Vec<Framed> {
    let mut framer = Framer::new(reader).with_max_record_size(limit);
    let mut batch = Batch::default();
    let mut out = Vec::new();
    loop {
        match framer.next_batch(&mut batch, 3) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                out.push(Err(format!("io: {error}")));
                break;
            }
        }
        for item in &batch.items {
            out.push(match item {
                Ok(frame) => Ok((frame.record, frame.line, batch.bytes(frame).to_vec())),
                Err(error) => Err(format!("{} {error}", error.record)),
            });
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let set = &defaults().set;
    // gzip is detected by its magic bytes, as `open_input` does.
    let mut plain = Vec::new();
    let bytes: &[u8] = if data.starts_with(&[0x1f, 0x8b]) {
        let mut decoder = flate2::read::MultiGzDecoder::new(data).take(1 << 20);
        if decoder.read_to_end(&mut plain).is_err() {
            return;
        }
        &plain
    } else {
        data
    };
    for limit in [64, 16 << 20] {
        let whole = frame_all(BufReader::with_capacity(1 << 16, bytes), limit);
        let split = frame_all(BufReader::with_capacity(5, bytes), limit);
        assert_eq!(whole, split, "framing depends on buffering (limit {limit})");
        for (expected, item) in (1..).zip(&whole) {
            if let Ok((record, ..)) = item {
                assert_eq!(*record, expected);
            }
        }
    }
    for item in frame_all(BufReader::new(bytes), 16 << 20) {
        let Ok((_, _, record)) = item else { continue };
        let _ = parse_event(&record);
        let sessions = match parse_record(&record) {
            Ok(ParsedRecord::Session(session)) => vec![session],
            Ok(ParsedRecord::Sessions(sessions)) => sessions,
            Ok(ParsedRecord::OtherEvent { .. }) | Err(_) => continue,
        };
        for session in &sessions {
            let evaluation = set.evaluate(session, now());
            let again = set.evaluate(session, now());
            assert_eq!(evaluation.decision, again.decision);
            assert_eq!(evaluation.violations.len(), again.violations.len());
            let denies = evaluation
                .violations
                .iter()
                .any(|v| !v.is_waived() && v.rule.action() == Action::Deny);
            assert_eq!(evaluation.decision == Decision::Deny, denies);
            for violation in &evaluation.violations {
                let _ = violation_json(violation);
            }
        }
    }
    // The record parser on its own, whatever the framer would have made of the bytes.
    let _ = parse_record(bytes);
});
