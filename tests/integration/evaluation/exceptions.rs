//! Exceptions: what they waive, until when, and how a waived violation is reported.

use super::*;

// ------------------------------------------------------------------ exceptions

pub(super) const WAIVED: &str = r#"
policy: base
rules:
  - id: sso-only
    require: { OwnerRole: { glob: "AWSReservedSSO_*" } }
  - id: cap
    action: warn
    require: { MaxSessionDuration: { lte: 60 } }
exceptions:
  - id: break-glass
    rules: [sso-only]
    when: { OwnerRole: BreakGlass }
    expires: 2026-12-31
    reason: INC-4821 emergency access
    approved_by: security-team
"#;

fn break_glass_session(start: &str) -> serde_json::Value {
    json!({
        "SessionId": "s-1",
        "Owner": "arn:aws:sts::123456789012:assumed-role/BreakGlass/oncall",
        "StartDate": start,
        "MaxSessionDuration": "60",
    })
}

#[test]
fn a_waived_violation_is_reported_with_its_exception_and_does_not_count_in_the_decision() {
    let compiled = compile_policy(WAIVED);
    let evaluation = evaluate(
        &compiled,
        break_glass_session("2026-06-01T10:00:00Z"),
        now(),
    );
    assert_eq!(
        waived(&evaluation),
        [("base/sso-only".to_owned(), "break-glass".to_owned())]
    );
    assert!(counted(&evaluation).is_empty());
    assert_eq!(evaluation.decision, Decision::Allow);
    let exception = evaluation.violations[0].waived_by.unwrap();
    assert_eq!(exception.reason(), "INC-4821 emergency access");
    assert_eq!(exception.approved_by(), Some("security-team"));
    assert_eq!(
        evaluation.violations[0].message,
        r#"OwnerRole is BreakGlass, expected glob "AWSReservedSSO_*""#
    );
}

#[test]
fn an_exception_waives_only_the_rules_it_names() {
    let compiled = compile_policy(WAIVED);
    let mut record = break_glass_session("2026-06-01T10:00:00Z");
    record["MaxSessionDuration"] = json!("240");
    let evaluation = evaluate(&compiled, record, now());
    assert_eq!(counted(&evaluation), ["base/cap"]);
    assert_eq!(
        waived(&evaluation),
        [("base/sso-only".to_owned(), "break-glass".to_owned())]
    );
    assert_eq!(evaluation.decision, Decision::Warn);
}

#[test]
fn an_exception_waives_only_records_its_when_holds_for() {
    let compiled = compile_policy(WAIVED);
    let record = json!({"Owner": "arn:aws:sts::123456789012:assumed-role/Admin/x", "StartDate": "2026-06-01T10:00:00Z"});
    let evaluation = evaluate(&compiled, record, now());
    assert_eq!(counted(&evaluation), ["base/sso-only", "base/cap"]);
    assert!(waived(&evaluation).is_empty());
    assert_eq!(evaluation.decision, Decision::Deny);
}

#[test]
fn an_expiry_date_is_valid_through_its_end_in_utc_judged_at_the_sessions_start() {
    let compiled = compile_policy(WAIVED);
    // The evaluation time is long after the expiry: the session's start is what counts.
    let later = at("2030-01-01T00:00:00Z");
    let last_moment = evaluate(
        &compiled,
        break_glass_session("2026-12-31T23:59:59.999999Z"),
        later,
    );
    assert_eq!(
        last_moment.decision,
        Decision::Allow,
        "{:?}",
        counted(&last_moment)
    );
    let same_instant_elsewhere = evaluate(
        &compiled,
        break_glass_session("2026-12-31T18:59:59-05:00"),
        later,
    );
    assert_eq!(same_instant_elsewhere.decision, Decision::Allow);
    let first_moment_after = evaluate(
        &compiled,
        break_glass_session("2027-01-01T00:00:00Z"),
        later,
    );
    assert_eq!(counted(&first_moment_after), ["base/sso-only"]);
    assert!(waived(&first_moment_after).is_empty());
    // A session that started after the expiry is not waived even if evaluated before it.
    let early = at("2026-06-01T00:00:00Z");
    let evaluation = evaluate(
        &compiled,
        break_glass_session("2027-01-01T00:00:00+01:00"),
        early,
    );
    assert_eq!(
        evaluation.decision,
        Decision::Allow,
        "2027-01-01T00:00:00+01:00 is still 2026-12-31 in UTC"
    );
    let evaluation = evaluate(
        &compiled,
        break_glass_session("2027-01-01T01:00:00+01:00"),
        early,
    );
    assert_eq!(evaluation.decision, Decision::Deny);
}

#[test]
fn an_expiry_timestamp_is_exclusive() {
    let policy = WAIVED.replace("expires: 2026-12-31", "expires: 2026-12-31T12:00:00+01:00");
    let compiled = compile_policy(&policy);
    let decision = |start: &str| evaluate(&compiled, break_glass_session(start), now()).decision;
    assert_eq!(decision("2026-12-31T10:59:59Z"), Decision::Allow);
    assert_eq!(decision("2026-12-31T11:00:00Z"), Decision::Deny);
}

#[test]
fn a_record_without_start_date_is_judged_at_the_evaluation_time() {
    let compiled = compile_policy(WAIVED);
    let record = json!({"Owner": "arn:aws:sts::123456789012:assumed-role/BreakGlass/oncall", "MaxSessionDuration": "5"});
    let before = evaluate(&compiled, record.clone(), at("2026-12-31T23:00:00Z"));
    assert_eq!(
        waived(&before),
        [("base/sso-only".to_owned(), "break-glass".to_owned())]
    );
    assert_eq!(before.decision, Decision::Allow);
    let after = evaluate(&compiled, record.clone(), at("2027-01-01T00:00:00Z"));
    assert!(waived(&after).is_empty());
    assert_eq!(after.decision, Decision::Deny);
    // An unreadable StartDate is no start either.
    let mut unreadable = record;
    unreadable["StartDate"] = json!("soon");
    assert_eq!(
        evaluate(&compiled, unreadable.clone(), at("2026-12-31T23:00:00Z")).decision,
        Decision::Allow
    );
    assert_eq!(
        evaluate(&compiled, unreadable, at("2027-01-01T00:00:00Z")).decision,
        Decision::Deny
    );
}

#[test]
fn an_exception_without_rules_waives_every_rule_of_its_policy() {
    let policy = r#"
policy: base
rules:
  - id: sso-only
    require: { OwnerRole: { glob: "AWSReservedSSO_*" } }
  - id: cap
    action: warn
    require: { MaxSessionDuration: { lte: 60 } }
exceptions:
  - id: lab
    when: { Target: { glob: "i-0lab*" } }
    expires: 2099-01-01
    reason: the lab account is not production
"#;
    let compiled = compile_policy(policy);
    let evaluation = evaluate(
        &compiled,
        json!({"Target": "i-0lab1", "MaxSessionDuration": "999"}),
        now(),
    );
    assert_eq!(
        waived(&evaluation),
        [
            ("base/sso-only".to_owned(), "lab".to_owned()),
            ("base/cap".to_owned(), "lab".to_owned())
        ]
    );
    assert_eq!(evaluation.decision, Decision::Allow);
}

#[test]
fn an_exception_waives_only_its_own_policys_violations() {
    let first = r#"
policy: first
rules:
  - id: reason
    require: { Reason: { present: true } }
exceptions:
  - id: everything
    expires: 2099-01-01
    reason: waive all of this policy
"#;
    // The same rule id in another policy, and the exception's policy named by a prefix.
    let second = r#"
policy: second
rules:
  - id: reason
    require: { Reason: { present: true } }
  - id: target
    require: { Target: { exists: true } }
exceptions:
  - id: only-target
    rules: [second/target]
    expires: 2099-01-01
    reason: waive one rule by its full id
"#;
    let compiled = compile_files(&[("first.yaml", first), ("second.yaml", second)]);
    let evaluation = evaluate(&compiled, json!({"SessionId": "s-1"}), now());
    assert_eq!(counted(&evaluation), ["second/reason"]);
    assert_eq!(
        waived(&evaluation),
        [
            ("first/reason".to_owned(), "everything".to_owned()),
            ("second/target".to_owned(), "only-target".to_owned())
        ]
    );
    assert_eq!(evaluation.decision, Decision::Deny);
}

#[test]
fn where_several_exceptions_waive_a_violation_the_first_is_named() {
    let policy = r#"
policy: p
rules:
  - id: r
    require: { Reason: { present: true } }
exceptions:
  - id: first
    when: { Target: { glob: "i-*" } }
    expires: 2099-01-01
    reason: one
  - id: second
    expires: 2099-01-01
    reason: two
"#;
    let compiled = compile_policy(policy);
    assert_eq!(
        waived(&evaluate(&compiled, json!({"Target": "i-1"}), now())),
        [("p/r".to_owned(), "first".to_owned())]
    );
    assert_eq!(
        waived(&evaluate(&compiled, json!({"Target": "mi-1"}), now())),
        [("p/r".to_owned(), "second".to_owned())]
    );
}

#[test]
fn an_exception_without_expires_waives_forever() {
    let policy = "policy: p\nrules:\n  - id: r\n    require: { Reason: { present: true } }\nexceptions:\n  - id: forever\n    reason: accepted risk\n";
    let compiled = compile_policy(policy);
    assert_eq!(compiled.warnings.len(), 1, "{:?}", compiled.warnings);
    let evaluation = evaluate(
        &compiled,
        json!({"StartDate": "9999-12-31T00:00:00Z"}),
        now(),
    );
    assert_eq!(
        waived(&evaluation),
        [("p/r".to_owned(), "forever".to_owned())]
    );
}
