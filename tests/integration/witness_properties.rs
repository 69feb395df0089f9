//! Properties of the witness engine over random policies built from a small vocabulary (so
//! that their conditions meet, overlap and contradict each other): every witness it gives has
//! the outcome it claims under the real engine; what it proves impossible, no session of a
//! boundary generator (the policies' constants, one step either side, window edges, absent and
//! unreadable values) achieves; and `diff --synthesize` agrees with `diff` on exports of such
//! sessions.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use ssm_guard::diff::rule_changes;
use ssm_guard::model::{ParsedRecord, parse_record};
use ssm_guard::witness::synthesize::{Verdict, synthesize};
use ssm_guard::witness::{Answer, Budget, Engine, Outcome, Query, read_record};
use ssm_guard::{CompiledPolicySet, Session, SourceMap, Timestamp, compile};

/// Checks, each a `Field: { ... }` entry, that share constants with each other and with the
/// boundary generator.
const CHECKS: &[&str] = &[
    "Target: { glob: \"i-*\" }",
    "Target: { glob: [\"mi-*\", \"ecs:*-prod_*\"] }",
    "Target: { not_glob: \"i-0*\" }",
    "Target: [i-1, mi-2, x]",
    "Target: { matches: \"^[a-z]+-[0-9]$\" }",
    "Target: { max_length: 3 }",
    "DocumentName: { in: [SSM-SessionManagerRunShell, AWS-StartSSHSession] }",
    "DocumentName: { not_equals: AWS-StartSSHSession }",
    "DocumentName: { exists: false }",
    "Reason: { present: true }",
    "Reason: { matches: '\\b(CHG|INC)-[0-9]{3}\\b' }",
    "Reason: { not_matches: '^\\s*(CHG|INC)-[0-9]{3}\\s*$' }",
    "Reason: { min_length: 5 }",
    "OwnerRole: { glob: \"AWSReservedSSO_*\" }",
    "OwnerRole: [Admin, Dev]",
    "OwnerAccount: { matches: \"^9\" }",
    "OwnerName: { glob: \"*@x.org\" }",
    "Owner: { not_glob: [\"arn:aws:iam::*:user/*\", \"arn:aws:iam::*:root\"] }",
    "Owner: { exists: true }",
    "MaxSessionDuration: { lte: 60 }",
    "MaxSessionDuration: { gt: 30 }",
    "MaxSessionDuration: { lt: 59.5 }",
    "MaxSessionDuration: [30, 60]",
    "MaxSessionDuration: { type: string }",
    "MaxSessionDuration: { matches: \"^[1-9][0-9]?$\" }",
    "Duration: { lte: 30 }",
    "Duration: { gt: 0 }",
    "Duration: { lte: { field: MaxSessionDuration } }",
    "StartDate: { during: { days: [tue, thu], from: \"20:00\", to: \"24:00\", offset: \"-05:00\" } }",
    "StartDate: { during: { from: \"22:00\", to: \"06:00\" } }",
    "StartDate: { after: \"2026-03-10T00:00:00Z\" }",
    "StartDate: { before: \"2026-06-01\" }",
    "EndDate: { exists: true }",
    "EndDate: { after: { field: StartDate } }",
    "EndDate: { during: { days: [tue, thu], from: \"20:00\", to: \"24:00\", offset: \"-05:00\" } }",
    "Status: [Connected, Terminated]",
    "Status: { exists: false }",
    "AccessType: JustInTime",
];

/// A condition: one check, or `all`, `any`, `not` over them.
fn condition() -> impl Strategy<Value = String> {
    let check = prop::sample::select(CHECKS).prop_map(|c| format!("{{ {c} }}"));
    check.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..=3)
                .prop_map(|list| format!("{{ all: [{}] }}", list.join(", "))),
            prop::collection::vec(inner.clone(), 2..=3)
                .prop_map(|list| format!("{{ any: [{}] }}", list.join(", "))),
            inner.prop_map(|c| format!("{{ not: {c} }}")),
        ]
    })
}

/// A rule `r{index}`: a `when` maybe, and `require` or two or three cases.
fn rule(index: usize) -> impl Strategy<Value = String> {
    let when = prop::option::of(condition());
    let body = prop_oneof![
        condition().prop_map(|c| format!("    require: {c}\n")),
        (
            prop::collection::vec((condition(), condition()), 1..=2),
            prop::option::of(condition())
        )
            .prop_map(|(cases, default)| {
                let mut text = String::from("    cases:\n");
                for (when, require) in cases {
                    text.push_str(&format!(
                        "      - when: {when}\n        require: {require}\n"
                    ));
                }
                if let Some(require) = default {
                    text.push_str(&format!("      - require: {require}\n"));
                }
                text
            }),
    ];
    let action = prop::sample::select(vec!["deny", "warn"]);
    (when, body, action).prop_map(move |(when, body, action)| {
        let when = when.map_or(String::new(), |w| format!("    when: {w}\n"));
        format!("  - id: r{index}\n    action: {action}\n{when}{body}")
    })
}

/// A policy `p` with one to three rules and maybe an exception.
fn policy() -> impl Strategy<Value = String> {
    (1..=3usize)
        .prop_flat_map(|count| {
            let rules: Vec<_> = (0..count).map(rule).collect();
            (rules, prop::option::of(condition()))
        })
        .prop_map(|(rules, exception)| {
            let mut text = format!("policy: p\nrules:\n{}", rules.concat());
            if let Some(when) = exception {
                text.push_str(&format!(
                    "exceptions:\n  - id: e\n    rules: [r0]\n    when: {when}\n    expires: 2026-06-01\n    reason: test\n"
                ));
            }
            text
        })
}

/// The default budget of steps, with time enough that steps, not the machine's load, bind.
fn budget() -> Budget {
    Budget {
        time: std::time::Duration::from_secs(120),
        ..Budget::default()
    }
}

fn compiled(text: &str) -> Option<CompiledPolicySet> {
    let mut sources = SourceMap::new();
    sources.add("p.yaml", text);
    compile(&sources, Timestamp::from_micros(0))
        .ok()
        .map(|c| c.set)
}

/// Instants at the edges the vocabulary's constants and windows make (Tuesday 20:00 at
/// -05:00 is Wednesday 01:00Z), one microsecond or second either side.
const INSTANTS: &[&str] = &[
    "2026-03-11T00:59:59.999999Z",
    "2026-03-11T01:00:00Z",
    "2026-03-11T04:59:59Z",
    "2026-03-11T05:00:00Z",
    "2026-03-10T00:00:00Z",
    "2026-03-10T00:00:00.000001Z",
    "2026-03-09T23:59:59Z",
    "2026-03-10T05:59:59Z",
    "2026-03-10T06:00:00Z",
    "2026-03-10T14:00:00Z",
    "2026-03-10T14:30:00Z",
    "2026-03-10T15:00:00Z",
    "2026-03-10T22:00:00Z",
    "2026-03-11T01:30:00Z",
    "2026-05-31T23:59:59.999999Z",
    "2026-06-01T00:00:00Z",
    "2026-06-02T00:00:00Z",
];

fn pick(values: &'static [&'static str]) -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(
        0.85,
        prop::sample::select(values).prop_map(|v| Value::String(v.to_owned())),
    )
}

/// A session from the boundary generator, and an evaluation time.
fn sample() -> impl Strategy<Value = (Map<String, Value>, Timestamp)> {
    let texts = (
        pick(&[
            "i-1",
            "i-0abc",
            "mi-2",
            "ecs:a-prod_1",
            "x",
            "",
            "i-",
            "ab-1",
            "i-12",
        ]),
        pick(&[
            "SSM-SessionManagerRunShell",
            "AWS-StartSSHSession",
            "AWS-StartPortForwardingSession",
            "",
        ]),
        pick(&[
            "CHG-123 fix",
            "INC-123",
            "",
            " ",
            "no ticket",
            "CHG-12",
            "a\nb",
            "xCHG-123",
        ]),
        pick(&[
            "arn:aws:sts::999999999999:assumed-role/Admin/a@x.org",
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_1/b@x.org",
            "arn:aws:iam::123456789012:user/c@x.org",
            "arn:aws:iam::123456789012:root",
            "jdoe",
            "arn:aws:sts::12:assumed-role/Dev/x",
        ]),
        pick(&["Connected", "Terminated", "x"]),
        pick(&["JustInTime", "Standard"]),
    );
    let minutes = prop::option::weighted(
        0.85,
        prop_oneof![
            prop::sample::select(
                &["0", "29", "30", "31", "59", "59.5", "60", "61", "abc", "9"][..]
            )
            .prop_map(|v| json!(v)),
            prop::sample::select(&[30.0, 59.5, 60.0, 61.0][..]).prop_map(|v| json!(v)),
            Just(json!(true)),
        ],
    );
    let instants = (
        prop::option::weighted(
            0.85,
            prop_oneof![
                pick(INSTANTS).prop_map(|v| v.unwrap_or(json!("junk"))),
                Just(json!("junk"))
            ],
        ),
        prop::option::weighted(0.6, pick(INSTANTS).prop_map(|v| v.unwrap_or(json!(true)))),
        prop::sample::select(INSTANTS),
    );
    (texts, minutes, instants).prop_map(
        |((target, document, reason, owner, status, access), minutes, (start, end, now))| {
            let mut record = Map::new();
            record.insert("SessionId".to_owned(), json!("s-1"));
            for (key, value) in [
                ("Target", target),
                ("DocumentName", document),
                ("Reason", reason),
                ("Owner", owner),
                ("Status", status),
                ("AccessType", access),
                ("MaxSessionDuration", minutes),
                ("StartDate", start),
                ("EndDate", end),
            ] {
                if let Some(value) = value {
                    record.insert(key.to_owned(), value);
                }
            }
            (record, Timestamp::parse(now).unwrap())
        },
    )
}

fn session(record: &Map<String, Value>) -> Session<'static> {
    match parse_record(&serde_json::to_vec(record).unwrap()).unwrap() {
        ParsedRecord::Session(session) => session.into_owned(),
        other => panic!("{other:?}"),
    }
}

/// Every query of a set: each rule and case, failing and passing, and waived by `e`.
fn queries(set: &CompiledPolicySet) -> Vec<Query> {
    let mut all = Vec::new();
    for (rule, r) in set.rules().iter().enumerate() {
        // `explain`'s lines: one per case, `when ..: requires ..` or `otherwise: ..`.
        let cases = r
            .describe()
            .iter()
            .filter(|l| l.starts_with("when ") || l.starts_with("otherwise"))
            .count();
        let mut targets = vec![None];
        targets.extend((0..cases).map(Some));
        for case in targets {
            for outcome in [Outcome::Fails, Outcome::Passes, Outcome::Waived(0)] {
                all.push(Query {
                    rule,
                    case,
                    outcome,
                });
            }
        }
    }
    all
}

/// Whether a session at `now` has the outcome a query asks for.
fn has(set: &CompiledPolicySet, query: &Query, session: &Session<'_>, now: Timestamp) -> bool {
    // A case's witness has its rule's outcome too (which case was chosen is not public).
    let rule = &set.rules()[query.rule];
    let evaluation = set.evaluate(session, now);
    let violation = evaluation
        .violations
        .iter()
        .find(|v| std::ptr::eq(v.rule, rule));
    match query.outcome {
        Outcome::Fails => violation.is_some_and(|v| !v.is_waived()),
        Outcome::Passes => violation.is_none() && set.applies(rule, session, now),
        Outcome::Waived(_) => violation.is_some_and(|v| v.is_waived()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_witness_has_the_outcome_it_claims(text in policy()) {
        let Some(set) = compiled(&text) else { return Ok(()) };
        let mut engine = Engine::new(&set).with_budget(budget());
        for query in queries(&set) {
            if let Answer::Found(witness) = engine.find(&query) {
                let session = read_record(&witness.record)
                    .unwrap_or_else(|| panic!("unreadable {:?}", witness.record));
                prop_assert!(
                    has(&set, &query, &session, witness.now),
                    "{query:?}\n{text}\n{:?} at {}", witness.record, witness.now
                );
            }
        }
    }

    #[test]
    fn what_is_proved_impossible_no_boundary_session_achieves(
        text in policy(),
        samples in prop::collection::vec(sample(), 96),
    ) {
        let Some(set) = compiled(&text) else { return Ok(()) };
        let mut engine = Engine::new(&set).with_budget(budget());
        for query in queries(&set) {
            if engine.find(&query) != Answer::Impossible || query.case.is_some() {
                continue;
            }
            for (record, now) in &samples {
                let session = session(record);
                prop_assert!(
                    !has(&set, &query, &session, *now),
                    "{query:?} proved impossible, yet\n{record:?} at {now}\n{text}"
                );
            }
        }
    }

    #[test]
    fn synthesized_regions_agree_with_diff_on_boundary_exports(
        old in policy(),
        new in policy(),
        samples in prop::collection::vec(sample(), 64),
    ) {
        let (Some(old_set), Some(new_set)) = (compiled(&old), compiled(&new)) else {
            return Ok(());
        };
        let found = synthesize(&old_set, &new_set, None, budget());
        for region in &found.regions {
            let session = read_record(&region.session).expect("a readable example");
            let now = Timestamp::parse(&region.now).unwrap();
            let changes = rule_changes(&old_set.evaluate(&session, now), &new_set.evaluate(&session, now));
            prop_assert_eq!(changes.as_ref(), Some(&region.changes), "{}", region.description);
        }
        for (record, now) in &samples {
            let session = session(record);
            let Some(changes) = rule_changes(&old_set.evaluate(&session, *now), &new_set.evaluate(&session, *now)) else {
                continue;
            };
            prop_assert!(
                found.outcome != Verdict::Equivalent,
                "equivalent, yet {record:?} at {now} changes\n{old}\n{new}"
            );
            for id in &changes.added {
                let shown = found.regions.iter().any(|r| r.changes.added.contains(id));
                let open = found.undecided.iter().any(|u| u.starts_with(&format!("+{id}")));
                prop_assert!(shown || open, "+{id} on {record:?} at {now}\n{old}\n{new}");
            }
            for id in &changes.removed {
                let shown = found.regions.iter().any(|r| r.changes.removed.contains(id));
                let open = found.undecided.iter().any(|u| u.starts_with(&format!("-{id}")));
                prop_assert!(shown || open, "-{id} on {record:?} at {now}\n{old}\n{new}");
            }
        }
    }
}

/// The same policy, rewritten: each `when` and `require` wrapped in `not: { not: .. }` and
/// `all: [..]`, and the rules in the opposite order.
fn rewritten(text: &str) -> String {
    let (head, rules) = text.split_once("rules:\n").unwrap();
    let (rules, exceptions) = match rules.split_once("exceptions:\n") {
        Some((rules, exceptions)) => (rules, format!("exceptions:\n{exceptions}")),
        None => (rules, String::new()),
    };
    let mut blocks: Vec<String> = Vec::new();
    for line in rules.lines() {
        let line = if let Some(c) = line.strip_prefix("    when: ") {
            format!("    when: {{ not: {{ not: {c} }} }}")
        } else if let Some(c) = line.strip_prefix("    require: ") {
            format!("    require: {{ all: [{c}] }}")
        } else if let Some(c) = line.strip_prefix("        require: ") {
            format!("        require: {{ all: [{c}, {{ not: {{ not: {c} }} }}] }}")
        } else {
            line.to_owned()
        };
        if line.starts_with("  - id: ") {
            blocks.push(String::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push_str(&line);
            block.push('\n');
        }
    }
    blocks.reverse();
    format!("{head}rules:\n{}{exceptions}", blocks.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_rewritten_copy_is_proved_equivalent(text in policy()) {
        let (Some(old), Some(new)) = (compiled(&text), compiled(&rewritten(&text))) else {
            return Ok(());
        };
        let found = synthesize(&old, &new, None, budget());
        prop_assert_eq!(found.outcome, Verdict::Equivalent, "{:?}\n{}\n{}", found.undecided, text, rewritten(&text));
    }
}
