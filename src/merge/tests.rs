#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::SourceMap;
use crate::check::Checker;
use crate::report::AsffSettings;

const SESSIONS: &[u8] = include_bytes!("../../examples/sessions.json");
const CLOUDTRAIL: &[u8] = include_bytes!("../../examples/cloudtrail.json");

fn now() -> Timestamp {
    Timestamp::parse("2026-03-13T21:30:00Z").unwrap()
}

/// Every kind of input: an export, a CloudTrail file (with events passed over), a record that
/// does not parse, a record with an unknown key, and an empty input.
fn inputs() -> Vec<InputSource> {
    vec![
        InputSource::memory("a/sessions.json", SESSIONS),
        InputSource::memory("b/cloudtrail.json", CLOUDTRAIL),
        InputSource::memory(
            "c/broken.jsonl",
            &b"{\"SessionId\": \"s-1\", \"Tagret\": \"i-1\"}\n{\"SessionId\": \n"[..],
        ),
        InputSource::memory("d/empty.json", &b""[..]),
    ]
}

fn report<'p>(
    set: &'p CompiledPolicySet,
    format: ReportFormat,
    run: impl FnOnce(&mut dyn Reporter<'p>),
) -> String {
    let asff = AsffSettings::new("eu-west-1", now()).with_account("111122223333");
    let context = ReportContext {
        set,
        sources: None,
        now: now(),
        asff: &asff,
        color: false,
        unattributed: None,
    };
    let mut out = Vec::new();
    {
        let mut reporter = reporter(format, Box::new(&mut out), &context);
        run(&mut *reporter);
    }
    String::from_utf8(out).unwrap()
}

fn shard(set: &CompiledPolicySet, name: &str, inputs: &[InputSource]) -> Shard {
    let mut writer = ResultWriter::new(Vec::new(), set, now(), inputs).unwrap();
    Checker::new(set, now(), 2)
        .run(inputs, &mut writer)
        .unwrap();
    Shard::from_bytes(name, writer.into_inner())
}

#[test]
fn shards_merged_give_every_report_one_check_gives() {
    let compiled = crate::compile(&SourceMap::defaults(), now()).unwrap();
    let set = &compiled.set;
    let all = inputs();
    // Written out of order: the merge puts them back by their first input.
    let mut shards = vec![
        shard(set, "results/2", &all[2..]),
        shard(set, "results/1", &all[..2]),
    ];
    order(&mut shards);
    for format in ReportFormat::ALL {
        let identify = format == ReportFormat::Json;
        let expected = report(set, format, |reporter| {
            Checker::new(set, now(), 1)
                .identify_clean_records(identify)
                .run(&all, reporter)
                .unwrap();
        });
        let merged = report(set, format, |reporter| {
            merge(set, &shards, identify, reporter).unwrap();
        });
        assert_eq!(merged, expected, "{format}");
    }
}

#[test]
fn a_shard_that_cannot_be_merged_is_an_input_error_and_the_rest_is_merged() {
    let compiled = crate::compile(&SourceMap::defaults(), now()).unwrap();
    let set = &compiled.set;
    let all = inputs();
    let whole = shard(set, "results/1", &all[..1]);
    let mut cut = ResultWriter::new(Vec::new(), set, now(), &all[1..2]).unwrap();
    Checker::new(set, now(), 1)
        .run(&all[1..2], &mut cut)
        .unwrap();
    let mut bytes = cut.into_inner();
    let end = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap();
    bytes.truncate(end + 1);
    let shards = vec![whole, Shard::from_bytes("results/cut", bytes)];
    let json = report(set, ReportFormat::Json, |reporter| {
        let summary = merge(set, &shards, true, reporter).unwrap();
        assert_eq!(summary.errors, 1);
    });
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["errors"][0]["source"], "results/cut");
    assert!(
        json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("incomplete")
    );
    assert!(!json["results"].as_array().unwrap().is_empty());
}
