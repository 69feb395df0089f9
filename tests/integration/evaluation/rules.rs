//! Rules: cases, defaults, decisions, the violation's fields and messages.

use super::*;

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
