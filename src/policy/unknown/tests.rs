//! Rules that read tags, judged where the tags are known, absent and unknown.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::borrow::Cow;
use std::sync::Arc;

use crate::model::{Field, Session, SessionTags, TagSet, Tags, Timestamp, Value};
use crate::policy::{Action, CompiledPolicySet, Decision};
use crate::source::SourceMap;

fn set(rules: &str) -> CompiledPolicySet {
    let mut sources = SourceMap::new();
    sources.add("p.yaml", format!("policy: p\nrules:\n{rules}"));
    crate::compile(&sources, Timestamp::from_micros(0))
        .unwrap()
        .set
}

fn target(tags: Option<&[(&str, &str)]>) -> TagSet {
    match tags {
        Some(tags) => TagSet::Known(tags.iter().copied().collect::<Tags>()),
        None => TagSet::Unknown("throttled".to_owned()),
    }
}

fn session(reason: Option<&str>, tags: TagSet) -> Session<'static> {
    let mut values = vec![(Field::Target, Value::String(Cow::Borrowed("i-0abc")))];
    if let Some(reason) = reason {
        values.push((Field::Reason, Value::String(Cow::Owned(reason.to_owned()))));
    }
    let mut session = Session::with(values);
    session.set_tags(Arc::new(SessionTags {
        target: tags,
        cluster: TagSet::empty(),
        owner: TagSet::empty(),
    }));
    session
}

/// The decision and, per violation, its rule and whether it could not be judged.
fn judge(set: &CompiledPolicySet, session: &Session<'_>) -> (Decision, Vec<(String, bool)>) {
    let evaluation = set.evaluate(session, Timestamp::from_micros(0));
    let violations = evaluation
        .violations
        .iter()
        .map(|v| (v.rule.id().to_owned(), v.is_unjudged()))
        .collect();
    (evaluation.decision, violations)
}

const PROD_NEEDS_REASON: &str = "  - id: r\n    when: { TargetTags.Environment: prod }\n    require: { Reason: { present: true } }\n";

#[test]
fn known_absent_and_unknown_tags_are_three_outcomes() {
    let set = set(PROD_NEEDS_REASON);
    let prod = session(None, target(Some(&[("Environment", "prod")])));
    assert_eq!(
        judge(&set, &prod),
        (Decision::Deny, vec![("r".into(), false)])
    );
    let untagged = session(None, target(Some(&[])));
    assert_eq!(judge(&set, &untagged), (Decision::Allow, vec![]));
    let unknown = session(None, target(None));
    assert_eq!(
        judge(&set, &unknown),
        (Decision::Deny, vec![("r".into(), true)])
    );
    let evaluation = set.evaluate(&unknown, Timestamp::from_micros(0));
    let violation = &evaluation.violations[0];
    assert!(
        violation.message.contains("could not be judged"),
        "{}",
        violation.message
    );
    assert!(
        violation.message.contains("throttled"),
        "{}",
        violation.message
    );
    assert_eq!(violation.field.name(), "TargetTags.Environment");
    // Whatever the tags are, a session with a Reason meets the rule: it is judged, and passes.
    let reasoned = session(Some("CHG-1"), target(None));
    assert_eq!(judge(&set, &reasoned), (Decision::Allow, vec![]));
}

#[test]
fn on_unknown_chooses_the_action_or_nothing() {
    for (on_unknown, decision, action) in [
        ("warn", Decision::Warn, Some(Action::Warn)),
        ("skip", Decision::Allow, None),
        ("deny", Decision::Deny, Some(Action::Deny)),
    ] {
        let rules = format!("{PROD_NEEDS_REASON}    action: warn\n    on_unknown: {on_unknown}\n")
            .replace("action: warn\n    on_unknown: deny", "on_unknown: deny");
        let compiled = set(&rules);
        let evaluation = compiled.evaluate(&session(None, target(None)), Timestamp::from_micros(0));
        assert_eq!(evaluation.decision, decision, "{on_unknown}");
        assert_eq!(
            evaluation.violations.first().map(|v| v.action()),
            action,
            "{on_unknown}"
        );
    }
    let defaults = "policy: p\ndefaults: { on_unknown: skip }\nrules:\n";
    let mut sources = SourceMap::new();
    sources.add("p.yaml", format!("{defaults}{PROD_NEEDS_REASON}"));
    let set = crate::compile(&sources, Timestamp::from_micros(0))
        .unwrap()
        .set;
    assert_eq!(
        judge(&set, &session(None, target(None))),
        (Decision::Allow, vec![])
    );
}

#[test]
fn a_fallback_that_holds_decides_and_cases_agree_or_are_not_judged() {
    let rules = "  - id: r\n    cases:\n      - when: { any: [{ TargetTags.Environment: prod }, { Target: [i-0abc] }] }\n        require: { Reason: { present: true } }\n      - require: { Reason: { max_length: 3 } }\n";
    let listed = set(rules);
    // The id list names the target: the first case is chosen whatever the tags are.
    assert_eq!(
        judge(&listed, &session(None, target(None))),
        (Decision::Deny, vec![("r".into(), false)])
    );
    let other = "  - id: r\n    cases:\n      - when: { TargetTags.Environment: prod }\n        require: { Reason: { present: true } }\n      - require: { Reason: { max_length: 3 } }\n";
    let set = set(other);
    // Either case holds for a three-letter Reason; a long one fails only the second.
    assert_eq!(
        judge(&set, &session(Some("INC"), target(None))),
        (Decision::Allow, vec![])
    );
    assert_eq!(
        judge(&set, &session(Some("INC-4821"), target(None))),
        (Decision::Deny, vec![("r".into(), true)])
    );
}

#[test]
fn an_exception_that_reads_unknown_tags_cannot_waive() {
    let policy = "policy: p\nrules:\n  - id: r\n    require: { Reason: { present: true } }\nexceptions:\n  - id: lab\n    when: { TargetTags.Environment: lab }\n    reason: the lab\n    expires: 2999-01-01\n";
    let mut sources = SourceMap::new();
    sources.add("p.yaml", policy);
    let set = crate::compile(&sources, Timestamp::from_micros(0))
        .unwrap()
        .set;
    let lab = set.evaluate(
        &session(None, target(Some(&[("Environment", "lab")]))),
        Timestamp::from_micros(0),
    );
    assert!(lab.violations[0].is_waived());
    assert_eq!(lab.decision, Decision::Allow);
    let unknown = set.evaluate(&session(None, target(None)), Timestamp::from_micros(0));
    assert!(!unknown.violations[0].is_waived());
    assert!(unknown.violations[0].is_unjudged());
    assert_eq!(unknown.decision, Decision::Deny);
}
