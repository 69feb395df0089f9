//! Throughput benches: each answers one named question, against a baseline measured in the
//! same run (see benches/README.md for the figures).
//!
//! - compile: how long compiling the shipped policies, and a generated 1,000-rule set, takes;
//! - evaluate: records per second on pre-parsed records, against the five rules hard-coded;
//! - check: end-to-end JSON Lines to violations (`check --format jsonl`, one thread), against
//!   serde_json parsing the same bytes into a typed struct with borrowed strings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benches"
)]

#[path = "../examples/generate.rs"]
#[allow(
    dead_code,
    reason = "the bench uses the generator, not its command line"
)]
mod generate;

use std::hint::black_box;
use std::io::Write;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ssm_guard::check::Checker;
use ssm_guard::input::InputSource;
use ssm_guard::model::{ParsedRecord, Session, parse_record};
use ssm_guard::report::JsonLinesReporter;
use ssm_guard::{CompiledPolicySet, SourceMap, Timestamp, compile};

const FIVE_RULES: &str = include_str!("five-rules.yaml");
const RECORDS: usize = 20_000;

fn now() -> Timestamp {
    Timestamp::parse("2026-12-31T00:00:00Z").unwrap()
}

fn five_rules() -> CompiledPolicySet {
    let mut sources = SourceMap::new();
    sources.add("five-rules.yaml", FIVE_RULES);
    compile(&sources, now()).unwrap().set
}

fn records(count: usize) -> Vec<String> {
    let mut generator = generate::Generator::new(generate::SEED);
    (0..count).map(|_| generator.record()).collect()
}

/// A policy of `n` rules of the shapes people write: equality, lists, globs, regexes, caps.
fn generated_policy(n: usize) -> String {
    let mut text = String::from("policy: generated\nrules:\n");
    for i in 0..n {
        let rule = match i % 5 {
            0 => {
                format!("    require: {{ DocumentName: [SSM-SessionManagerRunShell, Doc-{i}] }}\n")
            }
            1 => format!(
                "    when: {{ Target: {{ glob: \"i-0{i:x}*\" }} }}\n    require: {{ MaxSessionDuration: {{ lte: {} }} }}\n",
                30 + i % 400
            ),
            2 => format!(
                "    require: {{ Owner: {{ matches: '^arn:aws:sts::[0-9]{{12}}:assumed-role/Role{i}/' }} }}\n"
            ),
            3 => {
                "    when: { AccessType: JustInTime }\n    require: { Reason: { present: true } }\n"
                    .to_owned()
            }
            _ => format!(
                "    cases:\n      - when: {{ Target: {{ glob: [\"mi-{i}*\", \"ecs:{i}*\"] }} }}\n        require: {{ Duration: {{ lte: {} }} }}\n      - require: {{ Duration: {{ lte: 480 }} }}\n",
                i % 120 + 1
            ),
        };
        text.push_str(&format!("  - id: rule-{i}\n{rule}"));
    }
    text
}

fn bench_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.bench_function("shipped policies", |b| {
        let sources = SourceMap::defaults();
        b.iter(|| compile(black_box(&sources), now()).unwrap());
    });
    let mut sources = SourceMap::new();
    sources.add("generated.yaml", generated_policy(1_000));
    assert_eq!(compile(&sources, now()).unwrap().set.rules().len(), 1_000);
    group.sample_size(20);
    group.bench_function("1000 generated rules", |b| {
        b.iter(|| compile(black_box(&sources), now()).unwrap())
    });
    group.finish();
}

/// The five rules written by hand over the same parsed records: the bar for evaluation.
fn hard_coded(session: &Session<'_>, now: Timestamp, owner: &regex::Regex) -> usize {
    use ssm_guard::Field;
    use ssm_guard::model::Read;
    let text = |f| match session.text(f) {
        Read::Value(t) => Some(t),
        _ => None,
    };
    let number = |f| match session.number(f, now) {
        Read::Value(n) => Some(n),
        _ => None,
    };
    let mut violations = 0;
    if text(Field::AccessType) == Some("JustInTime")
        && text(Field::Reason).is_none_or(|r| r.trim().is_empty())
    {
        violations += 1;
    }
    let target = text(Field::Target).unwrap_or("");
    let cap = if target.starts_with("mi-") {
        60.0
    } else if target.starts_with("ecs:") {
        30.0
    } else {
        240.0
    };
    if number(Field::MaxSessionDuration).is_none_or(|m| m > cap) {
        violations += 1;
    }
    if !matches!(
        text(Field::DocumentName),
        Some(
            "SSM-SessionManagerRunShell" | "AWS-StartPortForwardingSession" | "AWS-StartSSHSession"
        )
    ) {
        violations += 1;
    }
    if session.value(Field::EndDate).is_some() {
        let within = match (number(Field::Duration), number(Field::MaxSessionDuration)) {
            (Some(d), Some(m)) => d <= m,
            _ => false,
        };
        if !within {
            violations += 1;
        }
    }
    if !text(Field::Owner).is_some_and(|o| owner.is_match(o)) {
        violations += 1;
    }
    violations
}

fn bench_evaluate(c: &mut Criterion) {
    let set = five_rules();
    let lines = records(RECORDS);
    let sessions: Vec<Session<'_>> = lines
        .iter()
        .map(|line| match parse_record(line.as_bytes()).unwrap() {
            ParsedRecord::Session(s) => s,
            _ => panic!("not a session"),
        })
        .collect();
    let owner = regex::Regex::new(
        r"^arn:aws:sts::[0-9]{12}:assumed-role/(AWSReservedSSO_[A-Za-z0-9_]+|CiRunner)/",
    )
    .unwrap();
    let mut group = c.benchmark_group("evaluate pre-parsed records");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("hard-coded five rules (baseline)", |b| {
        b.iter(|| {
            sessions
                .iter()
                .map(|s| hard_coded(s, now(), &owner))
                .sum::<usize>()
        })
    });
    group.bench_function("ssm-guard five rules", |b| {
        b.iter(|| {
            sessions
                .iter()
                .map(|s| set.evaluate(s, now()).violations.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code, reason = "parsing the fields is what is measured")]
struct TypedSession<'a> {
    session_id: Option<&'a str>,
    target: Option<&'a str>,
    status: Option<&'a str>,
    start_date: Option<&'a str>,
    end_date: Option<&'a str>,
    document_name: Option<&'a str>,
    owner: Option<&'a str>,
    reason: Option<&'a str>,
    max_session_duration: Option<&'a str>,
    access_type: Option<&'a str>,
}

/// Discards what it is given, so the bench measures producing the report, not storing it.
struct Sink;

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(black_box(buf).len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn bench_check(c: &mut Criterion) {
    let set = five_rules();
    let text: String = records(RECORDS).into_iter().map(|r| r + "\n").collect();
    let path = std::env::temp_dir().join(format!("ssm-guard-bench-{}.jsonl", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let inputs = [InputSource::File(path.clone())];
    let mut group = c.benchmark_group("check jsonl end to end");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("serde_json typed parse and count (baseline)", |b| {
        b.iter(|| {
            let bytes = std::fs::read(&path).unwrap();
            bytes
                .split(|b| *b == b'\n')
                .filter(|line| !line.is_empty())
                .filter(|line| serde_json::from_slice::<TypedSession<'_>>(line).is_ok())
                .count()
        })
    });
    for jobs in [1, 2] {
        group.bench_with_input(
            BenchmarkId::new("ssm-guard check --format jsonl", format!("{jobs} jobs")),
            &jobs,
            |b, &jobs| {
                b.iter(|| {
                    let mut reporter = JsonLinesReporter::new(Sink);
                    Checker::new(&set, now(), jobs)
                        .identify_clean_records(false)
                        .run(&inputs, &mut reporter)
                        .unwrap()
                })
            },
        );
    }
    group.finish();
    let _ = std::fs::remove_file(path);
}

criterion_group!(benches, bench_compile, bench_evaluate, bench_check);
criterion_main!(benches);
