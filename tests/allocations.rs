//! What `check --format jsonl`, `json`, `sarif`, `github` and `junit` ask of the allocator per
//! violation: nothing, once their buffers have grown; and that what records own is given back.
//! A counting global allocator (this test binary's own) counts every allocation of two runs
//! over violation-dense exports, one twice as long as the other: both pay the same setup and
//! grow the same buffers, so what the longer run adds, per extra violation, is what a
//! violation costs in steady state.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[path = "../examples/generate.rs"]
#[allow(
    dead_code,
    reason = "the test uses the generator, not its command line"
)]
mod generate;

use std::alloc::System;
use std::io::Write;
use std::path::PathBuf;

use ssm_guard::check::{Checker, Reporter};
use ssm_guard::input::InputSource;
use ssm_guard::report::{
    GithubReporter, JsonLinesReporter, JsonReporter, JunitReporter, SarifReporter, Tee,
};
use ssm_guard::{CompiledPolicySet, SourceMap, Timestamp, compile};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// The system allocator, counting.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Held by each test while it counts: the counts are the whole process's, and tests run on
/// threads of their own.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

const FIVE_RULES: &str = include_str!("../benches/five-rules.yaml");

fn now() -> Timestamp {
    Timestamp::parse("2026-12-31T00:00:00Z").unwrap()
}

fn five_rules() -> CompiledPolicySet {
    let mut sources = SourceMap::new();
    sources.add("five-rules.yaml", FIVE_RULES);
    compile(&sources, now()).unwrap().set
}

/// Writes `count` records of which `percent` percent break a rule, as JSON Lines.
fn export(dir: &std::path::Path, count: usize, percent: u64) -> InputSource {
    let mut generator = generate::Generator::new(generate::SEED).with_violating(percent);
    let path = dir.join(format!("{percent}-{count}.jsonl"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for _ in 0..count {
        writeln!(file, "{}", generator.record()).unwrap();
    }
    file.flush().unwrap();
    InputSource::File(path)
}

/// Allocations of one run and the violations it found.
fn run<'p>(
    set: &'p CompiledPolicySet,
    input: &InputSource,
    jobs: usize,
    reporter: &mut dyn Reporter<'p>,
) -> (u64, u64) {
    let region = Region::new(GLOBAL);
    let summary = Checker::new(set, now(), jobs)
        .run(std::slice::from_ref(input), reporter)
        .unwrap();
    let change = region.change();
    (
        (change.allocations + change.reallocations) as u64,
        summary.violations,
    )
}

/// Allocations per violation that the longer dense export adds over the shorter one.
fn marginal(
    jobs: usize,
    mut reporter: impl FnMut(&'static CompiledPolicySet) -> Box<dyn Reporter<'static>>,
) -> f64 {
    let dir = scratch_dir(jobs);
    let set: &'static CompiledPolicySet = Box::leak(Box::new(five_rules()));
    let (short, long) = (export(&dir, 100_000, 61), export(&dir, 200_000, 61));
    let (short_allocations, short_violations) = run(set, &short, jobs, &mut *reporter(set));
    let (long_allocations, long_violations) = run(set, &long, jobs, &mut *reporter(set));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        long_violations > short_violations + 50_000,
        "the exports are dense"
    );
    eprintln!(
        "--jobs {jobs}: {short_allocations} allocations for {short_violations} \
         violations, {long_allocations} for {long_violations}"
    );
    let extra = long_allocations.saturating_sub(short_allocations) as f64;
    extra / (long_violations - short_violations) as f64
}

/// A folder of this process's own for the exports.
fn scratch_dir(jobs: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ssm-guard-allocations-{}-{jobs}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every format in one test, counting with no other test running.
#[test]
fn reports_allocate_nothing_per_violation_in_steady_state() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for jobs in [1, 2] {
        let formats: [(&str, Reporting); 5] = [
            ("jsonl", |_| {
                Box::new(JsonLinesReporter::new(std::io::sink()))
            }),
            ("json", |_| Box::new(JsonReporter::new(std::io::sink()))),
            ("sarif", |set| {
                Box::new(SarifReporter::new(std::io::sink(), set))
            }),
            ("github", |_| Box::new(GithubReporter::new(std::io::sink()))),
            // JUnit keeps its cases until the end, in a buffer per rule that grows by
            // doubling: a few allocations in all, not one a violation.
            ("junit", |set| {
                Box::new(JunitReporter::new(std::io::sink(), set))
            }),
        ];
        for (format, reporter) in formats {
            let per_violation = marginal(jobs, reporter);
            assert!(
                per_violation < 0.01,
                "--format {format} --jobs {jobs}: {per_violation:.3} allocations per violation"
            );
        }
    }
    // The counter counts: two outputs at once are handed owned violations, whose words are
    // allocated for each, as the runs above would show if check made allocations of its own.
    let per_violation = marginal(1, |set| {
        let mut tee = Tee::new();
        tee.add("sarif", Box::new(SarifReporter::new(std::io::sink(), set)));
        tee.add("github", Box::new(GithubReporter::new(std::io::sink())));
        Box::new(tee)
    });
    assert!(per_violation >= 1.0, "{per_violation:.3}");
}

/// Makes the reporter of one format for a set.
type Reporting = fn(&'static CompiledPolicySet) -> Box<dyn Reporter<'static>>;

/// The Session a record's text holds.
fn session(text: &str) -> ssm_guard::Session<'_> {
    match ssm_guard::model::parse_record(text.as_bytes()).unwrap() {
        ssm_guard::model::ParsedRecord::Session(session) => Some(session),
        _ => None,
    }
    .expect("the record is a Session")
}

/// Values a record owns (strings with escapes, nested values where a scalar belongs) are freed
/// with the record, although a record's values are dropped by hand: every byte the reader
/// allocates for them comes back.
#[test]
fn records_that_own_their_values_give_back_what_they_took() {
    let records = [
        r#"{"SessionId":"s-\u0031","Target":"i-1","Reason":"line one\nline two"}"#,
        r#"{"SessionId":"s-2","Target":["i-1","i-2"],"Owner":{"arn":"x"}}"#,
        r#"{"SessionId":"s-3","Target":"i-3","Details":"tab\there"}"#,
    ];
    // Once before counting, so that anything built once (the reader's tables) is built.
    for text in records {
        drop(session(text));
    }
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let region = Region::new(GLOBAL);
    for _ in 0..1_000 {
        for text in records {
            let owned = session(text);
            let copy = owned.clone().into_owned();
            drop(owned);
            drop(copy);
        }
    }
    let change = region.change();
    assert!(
        change.allocations > 0,
        "the records owned nothing: {change:?}"
    );
    // The counts are the process's: the test harness may allocate a little meanwhile (a
    // few hundred bytes). A leak would keep about 1.8 KB each time round, 1.8 MB in all.
    // Growth by reallocation is counted in `bytes_allocated` already.
    let kept = change.bytes_allocated.abs_diff(change.bytes_deallocated);
    assert!(kept < 16 * 1024, "{kept} bytes kept: {change:?}");
    assert!(
        change.allocations.abs_diff(change.deallocations) < 100,
        "{change:?}"
    );
}
