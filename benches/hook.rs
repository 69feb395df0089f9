//! Hook latency: how long one decision takes on a compiled set (the per-event work of
//! `ssm-guard hook` and of the Lambda handler), the cold-start compile it is amortised over, and
//! the whole `ssm-guard hook < event` process against process-spawn baselines measured in the
//! same run. `benches/README.md` has the figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ssm_guard::hook::{Gate, Mode};
use ssm_guard::{SourceMap, Timestamp, compile};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/samples/eventbridge-startsession.json"
);

/// A Session object as `describe-sessions` gives it, allowed by the embedded set.
const SESSION: &[u8] = br#"{
    "SessionId": "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6",
    "Target": "i-0c9e2f7a1b3d5e7f9",
    "Status": "Connected",
    "StartDate": "2026-03-10T13:15:30Z",
    "DocumentName": "SSM-SessionManagerRunShell",
    "Owner": "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/alex.kim@example.org",
    "Reason": "CHG-90211 deploy hotfix",
    "MaxSessionDuration": "60"
}"#;

fn decide(c: &mut Criterion) {
    let now = Timestamp::parse("2026-03-10T13:20:00Z").unwrap();
    let compiled = compile(&SourceMap::defaults(), now).unwrap();
    let gate = Gate::new(compiled.set, Mode::Enforce);
    let event = std::fs::read(SAMPLE).unwrap();
    // The same event with a document the embedded set refuses: the deny path builds violations.
    let denied = String::from_utf8(event.clone())
        .unwrap()
        .replace("SSM-SessionManagerRunShell", "Custom-RootShell")
        .into_bytes();
    assert!(gate.decide(&event, now).allowed);
    assert!(gate.decide(SESSION, now).allowed);
    assert!(!gate.decide(&denied, now).allowed);

    let mut group = c.benchmark_group("hook/decide");
    group.throughput(Throughput::Elements(1));
    group.bench_function("eventbridge-startsession", |b| {
        b.iter(|| gate.decide(black_box(&event), now))
    });
    group.bench_function("session-object", |b| {
        b.iter(|| gate.decide(black_box(SESSION), now))
    });
    group.bench_function("eventbridge-startsession-denied", |b| {
        b.iter(|| gate.decide(black_box(&denied), now))
    });
    group.finish();
}

/// The cold start's policy work: load and compile the embedded set once.
fn cold_start(c: &mut Criterion) {
    let now = Timestamp::parse("2026-03-10T13:20:00Z").unwrap();
    let mut group = c.benchmark_group("hook/cold-start");
    group.throughput(Throughput::Elements(1));
    group.bench_function("compile-embedded-set", |b| {
        b.iter(|| compile(black_box(&SourceMap::defaults()), now).unwrap())
    });
    group.finish();
}

/// One whole process with the sample event on stdin and stdout discarded, as a caller runs it.
fn spawn(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::from(File::open(SAMPLE).unwrap()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// `ssm-guard hook < event` end to end: spawn, load and compile the embedded set, read, decide,
/// write, exit. `/bin/true` and `cat` with the same stdin are the floor any process pays here.
fn whole_process(c: &mut Criterion) {
    let hook = env!("CARGO_BIN_EXE_ssm-guard");
    assert!(spawn(hook, &["hook"]), "the sample is allowed");
    let mut group = c.benchmark_group("hook/process");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("ssm-guard-hook", |b| b.iter(|| spawn(hook, &["hook"])));
    group.bench_function("baseline-true", |b| b.iter(|| spawn("true", &[])));
    group.bench_function("baseline-cat", |b| b.iter(|| spawn("cat", &[])));
    group.finish();
}

criterion_group!(benches, decide, cold_start, whole_process);
criterion_main!(benches);
