//! The compiled set as a whole, and the spec's own example policy.

use super::exceptions::WAIVED;
use super::*;

// ------------------------------------------------------------------ the compiled set

#[test]
fn the_compiled_set_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<CompiledPolicySet>();
    shareable::<ssm_guard::Compiled>();
}

#[test]
fn one_compiled_set_evaluates_from_many_threads_alike() {
    let compiled = compile_policy(WAIVED);
    let expected = counted(&evaluate(
        &compiled,
        json!({"MaxSessionDuration": "61"}),
        now(),
    ));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..100 {
                    let evaluation =
                        evaluate(&compiled, json!({"MaxSessionDuration": "61"}), now());
                    assert_eq!(counted(&evaluation), expected);
                }
            });
        }
    });
}

// ------------------------------------------------------------------ the spec's example policy

const SPEC_EXAMPLE: &str = include_str!("../../fixtures/spec-example/org-baseline.yaml");

#[test]
fn the_specs_example_policy_compiles_with_its_rules_and_exception() {
    let compiled = compile_policy(SPEC_EXAMPLE);
    let ids: Vec<&str> = compiled.set.rules().iter().map(|r| r.id()).collect();
    assert_eq!(
        ids,
        [
            "jit-requires-reason",
            "approved-documents",
            "duration-cap-per-target",
            "ran-past-its-cap",
            "business-hours-on-prod"
        ]
    );
    let policy = &compiled.set.policies()[0];
    assert_eq!(policy.id(), "org-baseline");
    assert_eq!(
        policy.description(),
        Some("Baseline rules for Session Manager access")
    );
    let exception = &policy.exceptions()[0];
    assert_eq!(exception.id(), "break-glass");
    assert_eq!(exception.expires(), Some(at("2027-01-01T00:00:00Z")));
    let jit = compiled
        .set
        .find_rule("org-baseline/jit-requires-reason")
        .unwrap();
    assert_eq!(
        (jit.severity(), jit.action()),
        (Severity::High, Action::Deny)
    );
    assert_eq!(
        jit.description(),
        Some("JustInTime sessions must carry a Reason")
    );
    let ran_past = compiled.set.find_rule("ran-past-its-cap").unwrap();
    assert_eq!(
        (ran_past.severity(), ran_past.action()),
        (Severity::Medium, Action::Warn)
    );
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
}

/// A prod session on a Monday at 11:00 at +01:00, inside business hours.
fn spec_session() -> serde_json::Value {
    json!({
        "SessionId": "u-1",
        "AccessType": "JustInTime",
        "Target": "i-0prod1234567890ab",
        "DocumentName": "SSM-SessionManagerRunShell",
        "MaxSessionDuration": "30",
        "StartDate": "2026-11-02T10:00:00Z",
        "Owner": "arn:aws:sts::123456789012:assumed-role/Dev/jdoe",
    })
}

#[test]
fn the_specs_example_denies_a_jit_session_without_reason_with_its_message() {
    let compiled = compile_policy(SPEC_EXAMPLE);
    let now = at("2026-11-02T10:00:00Z");
    let evaluation = evaluate(&compiled, spec_session(), now);
    assert_eq!(counted(&evaluation), ["org-baseline/jit-requires-reason"]);
    assert_eq!(evaluation.decision, Decision::Deny);
    assert_eq!(
        evaluation.violations[0].message,
        "JustInTime session u-1 on i-0prod1234567890ab has no Reason"
    );
    let mut with_reason = spec_session();
    with_reason["Reason"] = json!("INC-1");
    assert_eq!(
        evaluate(&compiled, with_reason, now).decision,
        Decision::Allow
    );
}

#[test]
fn the_specs_example_allows_the_standard_session_of_its_test_example() {
    let compiled = compile_policy(SPEC_EXAMPLE);
    let record = json!({"SessionId": "u-2", "AccessType": "Standard", "Target": "i-0dev1234567890abc", "DocumentName": "SSM-SessionManagerRunShell", "MaxSessionDuration": "60"});
    let evaluation = evaluate(&compiled, record, at("2026-11-02T10:00:00Z"));
    assert!(evaluation.violations.is_empty());
    assert_eq!(evaluation.decision, Decision::Allow);
}

#[test]
fn the_specs_example_judges_a_prod_session_without_start_date_outside_business_hours() {
    // The spec's test example expects only jit-requires-reason for this session, but it has no
    // StartDate, and `during` is false on an absent field: business-hours-on-prod fails too.
    let compiled = compile_policy(SPEC_EXAMPLE);
    let record = json!({"SessionId": "u-1", "AccessType": "JustInTime", "Target": "i-0prod1234567890ab", "DocumentName": "SSM-SessionManagerRunShell", "MaxSessionDuration": "30"});
    let evaluation = evaluate(&compiled, record, at("2026-11-02T10:00:00Z"));
    assert_eq!(
        counted(&evaluation),
        [
            "org-baseline/jit-requires-reason",
            "org-baseline/business-hours-on-prod"
        ]
    );
    assert_eq!(
        evaluation.violations[1].message,
        "StartDate is absent, expected during mon,tue,wed,thu,fri 07:00-19:00 +01:00"
    );
}

#[test]
fn the_specs_example_caps_durations_per_target() {
    let compiled = compile_policy(SPEC_EXAMPLE);
    let now = at("2026-11-02T10:00:00Z");
    let cap = |target: &str, minutes: &str| {
        let mut record = spec_session();
        record["AccessType"] = json!("Standard");
        record["Target"] = json!(target);
        record["MaxSessionDuration"] = json!(minutes);
        evaluate(&compiled, record, now)
            .violations
            .iter()
            .map(|v| v.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cap("i-0prod1", "240"),
        [r#"MaxSessionDuration is 240, expected <= 60 (case Target glob "i-0prod*")"#]
    );
    assert_eq!(
        cap("i-0stage1", "121"),
        [r#"MaxSessionDuration is 121, expected <= 120 (case Target glob ["mi-*", "i-0stage*"])"#]
    );
    assert!(cap("mi-0abc", "120").is_empty());
    assert_eq!(
        cap("i-0dev1", "481"),
        ["MaxSessionDuration is 481, expected <= 480"]
    );
}

#[test]
fn the_specs_example_warns_when_a_session_ran_past_its_cap() {
    let compiled = compile_policy(SPEC_EXAMPLE);
    let mut record = spec_session();
    record["AccessType"] = json!("Standard");
    record["EndDate"] = json!("2026-11-02T10:45:00Z");
    let evaluation = evaluate(&compiled, record, at("2026-11-03T00:00:00Z"));
    assert_eq!(counted(&evaluation), ["org-baseline/ran-past-its-cap"]);
    assert_eq!(evaluation.decision, Decision::Warn);
    assert_eq!(
        evaluation.violations[0].message,
        "Duration is 45, expected <= MaxSessionDuration"
    );
}

#[test]
fn the_specs_example_warns_nothing_for_prod_sessions_in_business_hours_and_denies_outside() {
    let compiled = compile_policy(SPEC_EXAMPLE);
    let mut record = spec_session();
    record["AccessType"] = json!("Standard");
    // Saturday.
    record["StartDate"] = json!("2026-11-07T10:00:00Z");
    let evaluation = evaluate(&compiled, record.clone(), at("2026-11-07T10:00:00Z"));
    assert_eq!(
        counted(&evaluation),
        ["org-baseline/business-hours-on-prod"]
    );
    // 18:59 at +01:00 on a Friday.
    record["StartDate"] = json!("2026-11-06T17:59:00Z");
    assert!(
        evaluate(&compiled, record, at("2026-11-07T10:00:00Z"))
            .violations
            .is_empty()
    );
}

#[test]
fn the_specs_example_break_glass_waives_only_jit_requires_reason_until_the_end_of_2026() {
    let compiled = compile_policy(SPEC_EXAMPLE);
    let mut record = spec_session();
    record["Owner"] = json!("arn:aws:sts::123456789012:assumed-role/BreakGlass/oncall");
    record["DocumentName"] = json!("AWS-PasswordReset");
    let evaluation = evaluate(&compiled, record.clone(), at("2027-06-01T00:00:00Z"));
    assert_eq!(
        waived(&evaluation),
        [(
            "org-baseline/jit-requires-reason".to_owned(),
            "break-glass".to_owned()
        )]
    );
    assert_eq!(counted(&evaluation), ["org-baseline/approved-documents"]);
    record["StartDate"] = json!("2027-01-04T10:00:00Z");
    let evaluation = evaluate(&compiled, record, at("2027-01-04T10:00:00Z"));
    assert!(waived(&evaluation).is_empty());
    assert_eq!(
        counted(&evaluation),
        [
            "org-baseline/jit-requires-reason",
            "org-baseline/approved-documents"
        ]
    );
}
