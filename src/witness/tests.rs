//! The engine on small policies and on the shipped ones: every witness it gives has the
//! outcome it claims, and what it proves impossible is.

use super::*;
use crate::model::Field;
use crate::source::SourceMap;
use crate::{Decision, compile};

fn set(policy: &str) -> CompiledPolicySet {
    let mut sources = SourceMap::new();
    sources.add("p.yaml", policy);
    compile(&sources, Timestamp::from_micros(0)).unwrap().set
}

fn rule(require: &str) -> String {
    format!("policy: p\nrules:\n  - id: r\n    require: {require}\n")
}

/// Checks a witness against the outcome it claims, with the real engine.
fn check(set: &CompiledPolicySet, query: &Query, answer: &Answer) {
    let Answer::Found(witness) = answer else {
        return;
    };
    let session = solve::read_back(&witness.record).expect("a readable record");
    let evaluation = set.evaluate(&session, witness.now);
    let rule = &set.rules()[query.rule];
    let violation = evaluation
        .violations
        .iter()
        .find(|v| std::ptr::eq(v.rule, rule));
    match query.outcome {
        Outcome::Fails => assert!(violation.is_some_and(|v| !v.is_waived()), "{witness:?}"),
        Outcome::Passes => {
            assert!(violation.is_none() && set.applies(rule, &session, witness.now))
        }
        Outcome::Waived(e) => {
            let policy = set.policy_of(rule).unwrap();
            let waiver = violation.and_then(|v| v.waived_by).expect("waived");
            assert!(std::ptr::eq(waiver, &policy.exceptions()[e]));
        }
    }
}

fn answer(policy: &str, outcome: Outcome) -> Answer {
    let set = set(policy);
    let query = Query {
        rule: 0,
        case: None,
        outcome,
    };
    let answer = Engine::new(&set).find(&query);
    check(&set, &query, &answer);
    answer
}

#[test]
fn numbers_strings_and_their_contradictions() {
    let policy = rule("{ MaxSessionDuration: { lte: 60 } }");
    assert!(matches!(answer(&policy, Outcome::Fails), Answer::Found(_)));
    assert!(matches!(answer(&policy, Outcome::Passes), Answer::Found(_)));
    let never =
        rule("{ all: [{ MaxSessionDuration: { lte: 30 } }, { MaxSessionDuration: { gt: 60 } }] }");
    assert_eq!(answer(&never, Outcome::Passes), Answer::Impossible);
    let target = rule("{ Target: { glob: \"i-*\", not_glob: \"i-0*\" } }");
    let Answer::Found(w) = answer(&target, Outcome::Passes) else {
        panic!()
    };
    assert!(w.record["Target"].as_str().unwrap().starts_with("i-"));
    let clash = rule("{ Target: [a, b], all: [{ Target: { glob: \"c*\" } }] }");
    assert_eq!(answer(&clash, Outcome::Passes), Answer::Impossible);
}

#[test]
fn owner_parts_are_decided_with_the_owner() {
    // `*` crosses `:` and `/`, so a user glob does not rule out a role...
    let glob = rule("{ Owner: { glob: \"arn:aws:iam::*:user/*\" }, OwnerRole: { exists: true } }");
    let Answer::Found(w) = answer(&glob, Outcome::Passes) else {
        panic!()
    };
    assert!(
        w.record["Owner"]
            .as_str()
            .unwrap()
            .contains("assumed-role/")
    );
    // ...but an IAM user's ARN has no role.
    let user = rule(
        "{ Owner: { matches: \"^arn:aws:iam::[0-9]{12}:user/[^/]*$\" }, OwnerRole: { exists: true } }",
    );
    assert_eq!(answer(&user, Outcome::Passes), Answer::Impossible);
    let sso = rule(
        "{ OwnerRole: { glob: \"AWSReservedSSO_*\" }, OwnerName: { glob: \"*@example.org\" } }",
    );
    let Answer::Found(w) = answer(&sso, Outcome::Passes) else {
        panic!()
    };
    assert!(
        w.record["Owner"]
            .as_str()
            .unwrap()
            .contains("AWSReservedSSO_")
    );
    let account = rule("{ OwnerAccount: { matches: \"^9\" }, OwnerRole: Admin }");
    assert!(matches!(
        answer(&account, Outcome::Passes),
        Answer::Found(_)
    ));
    let not_digits = rule("{ OwnerAccount: { matches: \"x\" } }");
    assert_eq!(answer(&not_digits, Outcome::Passes), Answer::Impossible);
}

#[test]
fn instants_windows_and_durations() {
    let window = rule(
        "{ StartDate: { during: { days: [tue, thu], from: \"20:00\", to: \"24:00\", offset: \"-05:00\" } } }",
    );
    assert!(matches!(answer(&window, Outcome::Fails), Answer::Found(_)));
    assert!(matches!(answer(&window, Outcome::Passes), Answer::Found(_)));
    let long = "policy: p\nrules:\n  - id: r\n    when: { EndDate: { exists: true } }\n    require: { Duration: { lte: { field: MaxSessionDuration } } }\n";
    assert!(matches!(answer(long, Outcome::Fails), Answer::Found(_)));
    let order = rule("{ EndDate: { before: { field: StartDate } }, Duration: { gt: 0 } }");
    assert_eq!(answer(&order, Outcome::Passes), Answer::Impossible);
    let active = "policy: p\nrules:\n  - id: r\n    when: { EndDate: { exists: false } }\n    require: { Duration: { lte: 720 } }\n";
    let Answer::Found(w) = answer(active, Outcome::Fails) else {
        panic!()
    };
    assert!(!w.record.contains_key("EndDate"));
}

#[test]
fn exceptions_waive_before_they_expire() {
    let policy = "policy: p\nrules:\n  - id: r\n    require: { OwnerRole: { not_in: [BreakGlass] } }\nexceptions:\n  - id: e\n    when: { Reason: { matches: '\\bINC-1\\b' } }\n    expires: 2027-01-15\n    reason: incident\n";
    let Answer::Found(w) = answer(policy, Outcome::Waived(0)) else {
        panic!()
    };
    assert!(w.record["Reason"].as_str().unwrap().contains("INC-1"));
    assert!(matches!(answer(policy, Outcome::Fails), Answer::Found(_)));
}

#[test]
fn every_rule_of_the_shipped_policies_fails_and_passes() {
    let mut sources = SourceMap::new();
    sources.add_path(std::path::Path::new("policies")).unwrap();
    let compiled = compile(&sources, Timestamp::from_micros(0)).unwrap();
    let set = &compiled.set;
    let mut engine = Engine::new(set);
    for (index, rule) in set.rules().iter().enumerate() {
        for outcome in [Outcome::Fails, Outcome::Passes] {
            let query = Query {
                rule: index,
                case: None,
                outcome,
            };
            let answer = engine.find(&query);
            check(set, &query, &answer);
            assert!(
                matches!(answer, Answer::Found(_)),
                "{} {outcome:?}: {answer:?}",
                rule.id()
            );
        }
    }
    let _ = (Decision::Allow, Field::Target);
}

#[test]
fn an_owner_that_cannot_have_its_role_is_proved_so() {
    let policy = "policy: p\nrules:\n  - id: r\n    when: { OwnerRole: { glob: \"Admin*\" } }\n    require: { Owner: { glob: \"arn:aws:iam::*:user/*\", not_matches: \"assumed-role\" } }\n";
    let set = set(policy);
    let query = Query {
        rule: 0,
        case: None,
        outcome: Outcome::Passes,
    };
    // Within the default budget: parts that no literal names are not followed.
    assert_eq!(Engine::new(&set).find(&query), Answer::Impossible);
}

#[test]
fn the_shipped_policies_have_a_clean_session() {
    let mut sources = SourceMap::new();
    sources.add_path(std::path::Path::new("policies")).unwrap();
    let compiled = compile(&sources, Timestamp::from_micros(0)).unwrap();
    let clean = Engine::new(&compiled.set)
        .clean_session()
        .expect("a session that breaks nothing");
    // Read back as the engine reads its witnesses: with its tags known.
    let session = solve::read_back(&clean.record).unwrap();
    assert_eq!(
        compiled.set.evaluate(&session, clean.now).decision,
        Decision::Allow
    );
}

#[test]
fn minutes_written_unusually_are_found() {
    // In the set by number, yet not written as the pattern wants: `030`.
    let policy = rule(
        "{ MaxSessionDuration: [30, 60], all: [{ MaxSessionDuration: { type: string, not_matches: \"^[1-9][0-9]?$\" } }] }",
    );
    let Answer::Found(w) = answer(&policy, Outcome::Passes) else {
        panic!()
    };
    assert!(
        w.record["MaxSessionDuration"]
            .as_str()
            .unwrap()
            .starts_with('0')
    );
    // Duration above a maximum that is itself bounded: decided, not "unknown".
    let never = rule(
        "{ all: [{ not: { Duration: { lte: 30 } } }, { not: { Duration: { gt: 0 } } }, { Duration: { lte: { field: MaxSessionDuration } } }] }",
    );
    assert_eq!(answer(&never, Outcome::Passes), Answer::Impossible);
}

#[test]
fn tag_fields_are_searched_as_known_tags_and_the_witness_carries_them() {
    let policy = rule(
        "{ any: [{ TargetTags.Environment: prod }, { \"TargetClusterTags.aws:ecs:clusterName\": { glob: \"*-prod\" } }] }",
    );
    let Answer::Found(passes) = answer(&policy, Outcome::Passes) else {
        panic!("no passing session")
    };
    let session = solve::read_back(&passes.record).unwrap();
    assert!(session.tags().is_some(), "{:?}", passes.record);
    let Answer::Found(fails) = answer(&policy, Outcome::Fails) else {
        panic!("no failing session")
    };
    assert_ne!(passes.record, fails.record);
    // Two texts compared are beyond the engine: "unknown", never "impossible".
    let linked = rule("{ OwnerTags.team: { equals: { field: TargetTags.team } } }");
    assert_eq!(answer(&linked, Outcome::Passes), Answer::Unknown);
    assert_eq!(answer(&linked, Outcome::Fails), Answer::Unknown);
}
