//! Evaluating records against whole policies: cases, defaults, decisions, messages, the
//! violation's fields, exceptions, and the spec's own example policy.

use serde_json::json;
use ssm_guard::{Action, CompiledPolicySet, Decision, Evaluation, Field, Severity};

use crate::support::{at, compile_files, compile_policy, evaluate, now, violations};

/// `policy/rule` of every violation that counts (not waived), in report order.
fn counted(evaluation: &Evaluation<'_>) -> Vec<String> {
    evaluation
        .violations
        .iter()
        .filter(|v| !v.is_waived())
        .map(|v| v.id().to_owned())
        .collect()
}

/// `policy/rule` and the exception id of every waived violation.
fn waived(evaluation: &Evaluation<'_>) -> Vec<(String, String)> {
    evaluation
        .violations
        .iter()
        .filter_map(|v| v.waived_by.map(|e| (v.id().to_owned(), e.id().to_owned())))
        .collect()
}

// ------------------------------------------------------------------ cases

const CAPS: &str = r#"
policy: caps
rules:
  - id: cap
    cases:
      - when: { Target: { glob: "i-0prod*" } }
        require: { MaxSessionDuration: { lte: 60 } }
      - when: { Target: { glob: ["mi-*", "i-0stage*"] } }
        require: { MaxSessionDuration: { lte: 120 } }
      - require: { MaxSessionDuration: { lte: 480 } }
"#;

#[test]
fn the_first_case_whose_when_holds_is_the_one_that_must_hold() {
    // i-0prod1 would pass the default case (<= 480); the first matching case decides.
    assert_eq!(
        violations(
            json!({"Target": "i-0prod1", "MaxSessionDuration": "240"}),
            CAPS
        ),
        [r#"MaxSessionDuration is 240, expected <= 60 (case Target glob "i-0prod*")"#]
    );
    assert_eq!(
        violations(
            json!({"Target": "mi-0abc", "MaxSessionDuration": "121"}),
            CAPS
        ),
        [r#"MaxSessionDuration is 121, expected <= 120 (case Target glob ["mi-*", "i-0stage*"])"#]
    );
    assert!(
        violations(
            json!({"Target": "mi-0abc", "MaxSessionDuration": "120"}),
            CAPS
        )
        .is_empty()
    );
}

#[test]
fn the_case_without_when_applies_where_no_other_case_does() {
    assert_eq!(
        violations(
            json!({"Target": "i-0dev1", "MaxSessionDuration": "481"}),
            CAPS
        ),
        ["MaxSessionDuration is 481, expected <= 480"]
    );
    assert!(
        violations(
            json!({"Target": "i-0dev1", "MaxSessionDuration": "480"}),
            CAPS
        )
        .is_empty()
    );
    // Absent Target: no glob holds, so the default case decides.
    assert_eq!(
        violations(json!({"MaxSessionDuration": "481"}), CAPS),
        ["MaxSessionDuration is 481, expected <= 480"]
    );
}

#[test]
fn where_no_case_matches_the_rule_has_nothing_to_say() {
    let policy = r#"
policy: caps
rules:
  - id: cap
    cases:
      - when: { Target: { glob: "i-0prod*" } }
        require: { MaxSessionDuration: { lte: 60 } }
"#;
    assert!(
        violations(
            json!({"Target": "i-0dev1", "MaxSessionDuration": "9999"}),
            policy
        )
        .is_empty()
    );
    let compiled = compile_policy(policy);
    let session = crate::support::session(&json!({"Target": "i-0dev1"}));
    let rule = &compiled.set.rules()[0];
    assert!(!compiled.set.applies(rule, &session, now()));
}

#[test]
fn a_rules_own_when_gates_its_cases() {
    let policy = r#"
policy: caps
rules:
  - id: jit-cap
    when: { AccessType: JustInTime }
    cases:
      - when: { Target: { glob: "i-0prod*" } }
        require: { MaxSessionDuration: { lte: 60 } }
      - require: { MaxSessionDuration: { lte: 480 } }
"#;
    assert!(
        violations(
            json!({"AccessType": "Standard", "Target": "i-0prod1", "MaxSessionDuration": "999"}),
            policy
        )
        .is_empty()
    );
    assert!(
        violations(
            json!({"Target": "i-0prod1", "MaxSessionDuration": "999"}),
            policy
        )
        .is_empty()
    );
    assert_eq!(
        violations(
            json!({"AccessType": "JustInTime", "Target": "i-0prod1", "MaxSessionDuration": "999"}),
            policy
        ),
        [r#"MaxSessionDuration is 999, expected <= 60 (case Target glob "i-0prod*")"#]
    );
}

#[test]
fn a_rules_when_gates_a_require() {
    let policy = "policy: p\nrules:\n  - id: jit-reason\n    when: { AccessType: JustInTime }\n    require: { Reason: { present: true } }\n";
    assert!(violations(json!({"AccessType": "Standard"}), policy).is_empty());
    assert!(violations(json!({}), policy).is_empty());
    assert_eq!(
        violations(json!({"AccessType": "JustInTime"}), policy),
        ["Reason is absent, expected present"]
    );
}

// ------------------------------------------------------------------ severity, action, decision

const LEVELS: &str = r#"
policy: levels
defaults: { severity: high, action: warn }
rules:
  - id: inherits
    require: { Reason: { present: true } }
  - id: overrides
    severity: critical
    action: deny
    require: { Target: { glob: "i-*" } }
"#;

#[test]
fn rules_take_the_policy_defaults_unless_they_set_their_own() {
    let compiled = compile_policy(LEVELS);
    let rules = compiled.set.rules();
    assert_eq!(
        (rules[0].severity(), rules[0].action()),
        (Severity::High, Action::Warn)
    );
    assert_eq!(
        (rules[1].severity(), rules[1].action()),
        (Severity::Critical, Action::Deny)
    );
}

#[test]
fn without_defaults_rules_are_medium_and_deny() {
    let compiled = compile_policy(
        "policy: p\nrules:\n  - id: r\n    require: { Reason: { present: true } }\n",
    );
    let rule = &compiled.set.rules()[0];
    assert_eq!(
        (rule.severity(), rule.action()),
        (Severity::Medium, Action::Deny)
    );
}

#[test]
fn a_violation_carries_its_rules_severity_and_action() {
    let compiled = compile_policy(LEVELS);
    let evaluation = evaluate(&compiled, json!({"Target": "mi-1"}), now());
    let found: Vec<(String, Severity, Action)> = evaluation
        .violations
        .iter()
        .map(|v| (v.id().to_owned(), v.rule.severity(), v.rule.action()))
        .collect();
    assert_eq!(
        found,
        [
            ("levels/inherits".to_owned(), Severity::High, Action::Warn),
            (
                "levels/overrides".to_owned(),
                Severity::Critical,
                Action::Deny
            ),
        ]
    );
}

#[test]
fn the_decision_is_deny_if_any_violation_denies_else_warn_if_any_warns_else_allow() {
    let compiled = compile_policy(LEVELS);
    let decision = |record| evaluate(&compiled, record, now()).decision;
    assert_eq!(decision(json!({"Target": "mi-1"})), Decision::Deny);
    assert_eq!(
        decision(json!({"Target": "mi-1", "Reason": "x"})),
        Decision::Deny
    );
    assert_eq!(decision(json!({"Target": "i-1"})), Decision::Warn);
    assert_eq!(
        decision(json!({"Target": "i-1", "Reason": "x"})),
        Decision::Allow
    );
}

#[test]
fn a_record_no_rule_applies_to_is_allowed_with_no_violations() {
    let gated = compile_policy(
        "policy: p\nrules:\n  - id: r\n    when: { AccessType: JustInTime }\n    require: { Reason: { present: true } }\n",
    );
    let evaluation = evaluate(&gated, json!({"SessionId": "s-1"}), now());
    assert_eq!(evaluation.decision, Decision::Allow);
    assert!(evaluation.violations.is_empty());
}

// ------------------------------------------------------------------ the violation's fields

#[test]
fn a_violation_names_policy_rule_field_actual_and_expected() {
    let compiled = compile_policy(CAPS);
    let evaluation = evaluate(
        &compiled,
        json!({"Target": "i-0prod1", "MaxSessionDuration": "240"}),
        now(),
    );
    let [violation] = evaluation.violations.as_slice() else {
        panic!("{:?}", evaluation.violations)
    };
    assert_eq!(violation.policy.id(), "caps");
    assert_eq!(violation.rule.id(), "cap");
    assert_eq!(violation.field, Field::MaxSessionDuration);
    assert_eq!(violation.actual, json!("240"));
    assert_eq!(violation.expected, "<= 60");
    assert!(violation.waived_by.is_none());
}

#[test]
fn the_actual_value_of_an_absent_field_is_null() {
    let compiled =
        compile_policy("policy: p\nrules:\n  - id: r\n    require: { DocumentName: [A, B] }\n");
    let evaluation = evaluate(&compiled, json!({}), now());
    let violation = &evaluation.violations[0];
    assert_eq!(violation.field, Field::DocumentName);
    assert_eq!(violation.actual, serde_json::Value::Null);
    assert_eq!(violation.expected, r#"one of ["A", "B"]"#);
    assert_eq!(
        violation.message,
        r#"DocumentName is absent, expected one of ["A", "B"]"#
    );
}

#[test]
fn the_actual_value_keeps_the_records_json_type() {
    let compiled = compile_policy(
        "policy: p\nrules:\n  - id: r\n    require: { MaxSessionDuration: { type: string } }\n",
    );
    let evaluation = evaluate(&compiled, json!({"MaxSessionDuration": 60}), now());
    assert_eq!(evaluation.violations[0].actual, json!(60));
    let fraction = evaluate(&compiled, json!({"MaxSessionDuration": 60.5}), now());
    assert_eq!(fraction.violations[0].actual, json!(60.5));
}

#[test]
fn the_first_failing_check_in_document_order_is_the_one_reported() {
    let policy = "policy: p\nrules:\n  - id: r\n    require:\n      Reason: { present: true }\n      Target: { glob: 'i-*' }\n";
    assert_eq!(
        violations(json!({"Target": "mi-1"}), policy),
        ["Reason is absent, expected present"]
    );
    assert_eq!(
        violations(json!({"Reason": "x", "Target": "mi-1"}), policy),
        [r#"Target is mi-1, expected glob "i-*""#]
    );
}

// ------------------------------------------------------------------ messages

#[test]
fn a_message_template_shows_record_values_and_a_dash_where_absent() {
    let policy = r#"
policy: p
rules:
  - id: jit-requires-reason
    severity: high
    require: { Reason: { present: true } }
    message: "JustInTime session {SessionId} on {Target} by {OwnerName} has no Reason ({Reason})"
"#;
    assert_eq!(
        violations(
            json!({"SessionId": "s-1", "Owner": "arn:aws:sts::123456789012:assumed-role/Dev/ana"}),
            policy
        ),
        ["JustInTime session s-1 on - by ana has no Reason (-)"]
    );
}

#[test]
fn a_message_template_knows_rule_policy_and_severity_and_nested_fields() {
    let policy = r#"
policy: logs
rules:
  - id: logged
    severity: critical
    require: { OutputUrl.S3OutputUrl: { glob: "s3://logs/*" } }
    message: "[{severity}] {policy}/{rule}: {SessionId} logged to {OutputUrl.S3OutputUrl}, {{not a placeholder}}"
"#;
    assert_eq!(
        violations(
            json!({"SessionId": "s-1", "OutputUrl": {"S3OutputUrl": "s3://elsewhere/x"}}),
            policy
        ),
        ["[critical] logs/logged: s-1 logged to s3://elsewhere/x, {not a placeholder}"]
    );
}

#[test]
fn a_message_template_shows_timestamps_as_the_record_wrote_them_and_numbers_without_a_fraction() {
    let policy = "policy: p\nrules:\n  - id: r\n    require: { Duration: { lte: 5 } }\n    message: 'from {StartDate} to {EndDate}: {Duration} of {MaxSessionDuration}'\n";
    let record = json!({"StartDate": "2026-03-13T20:00:00.000000-04:00", "EndDate": 1_773_447_000, "MaxSessionDuration": 60});
    assert_eq!(
        violations(record, policy),
        ["from 2026-03-13T20:00:00.000000-04:00 to 1773447000: 10 of 60"]
    );
}

#[test]
fn the_default_message_names_field_value_expectation_and_case() {
    let compiled = compile_files(&[("caps.yaml", CAPS)]);
    let evaluation = evaluate(
        &compiled,
        json!({"Target": "i-0prod1", "MaxSessionDuration": "240"}),
        now(),
    );
    assert_eq!(
        evaluation.violations[0].message,
        r#"MaxSessionDuration is 240, expected <= 60 (case Target glob "i-0prod*")"#
    );
}

#[test]
fn the_default_message_quotes_blank_and_multiline_text() {
    let policy =
        "policy: p\nrules:\n  - id: r\n    require: { Reason: { matches: '^.{1,256}$' } }\n";
    assert_eq!(
        violations(json!({"Reason": ""}), policy),
        [r#"Reason is "", expected matching /^.{1,256}$/"#]
    );
    assert_eq!(
        violations(json!({"Reason": "a\nb"}), policy),
        [r#"Reason is "a\nb", expected matching /^.{1,256}$/"#]
    );
}

// ------------------------------------------------------------------ exceptions

const WAIVED: &str = r#"
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

const SPEC_EXAMPLE: &str = include_str!("../fixtures/spec-example/org-baseline.yaml");

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
