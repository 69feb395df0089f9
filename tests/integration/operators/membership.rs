//! `exists`, `present`, `equals`, `not_equals`, `in`, `not_in` and the shorthands.

use super::prelude::*;

// ------------------------------------------------------------------ exists, present

#[test]
fn exists_true_holds_for_any_value_an_empty_string_included() {
    assert!(holds(json!({"Reason": ""}), "Reason: { exists: true }"));
    assert!(holds(json!({"Reason": "x"}), "Reason: { exists: true }"));
    assert!(holds(
        json!({"MaxSessionDuration": 60}),
        "MaxSessionDuration: { exists: true }"
    ));
    assert!(holds(
        json!({"OutputUrl": {}}),
        "OutputUrl: { exists: true }"
    ));
}

#[test]
fn exists_false_holds_only_where_the_field_is_missing_or_null() {
    assert!(holds(json!({}), "Reason: { exists: false }"));
    assert!(holds(json!({"Reason": null}), "Reason: { exists: false }"));
    assert_eq!(
        check(json!({"Reason": ""}), "Reason: { exists: false }").as_deref(),
        Some("Reason is \"\", expected absent")
    );
}

#[test]
fn present_true_needs_a_non_whitespace_character_in_a_string() {
    assert!(holds(json!({"Reason": " x "}), "Reason: { present: true }"));
    for blank in ["", " ", "\t\n "] {
        assert!(
            !holds(json!({"Reason": blank}), "Reason: { present: true }"),
            "{blank:?}"
        );
        assert!(
            holds(json!({"Reason": blank}), "Reason: { present: false }"),
            "{blank:?}"
        );
    }
    assert!(!holds(json!({"Reason": "x"}), "Reason: { present: false }"));
}

#[test]
fn present_true_holds_for_a_value_that_is_not_a_string() {
    assert!(holds(
        json!({"MaxSessionDuration": 60}),
        "MaxSessionDuration: { present: true }"
    ));
    assert!(holds(
        json!({"OutputUrl": {}}),
        "OutputUrl: { present: true }"
    ));
}

#[test]
fn present_applies_to_derived_fields_as_they_exist() {
    let active = json!({"StartDate": "2026-03-13T21:00:00Z"});
    assert!(holds(active.clone(), "Duration: { present: true }"));
    assert!(!holds(active, "Duration: { present: false }"));
    assert!(holds(json!({}), "Duration: { present: false }"));
    let owner = json!({"Owner": "arn:aws:sts::123456789012:assumed-role/Admin/jdoe"});
    assert!(holds(owner.clone(), "OwnerRole: { present: true }"));
    assert!(holds(owner, "OwnerAccount: { present: true }"));
}

// ------------------------------------------------------------------ equals, not_equals, in, not_in

#[test]
fn equals_is_case_sensitive_string_equality() {
    assert!(holds(
        json!({"AccessType": "JustInTime"}),
        "AccessType: { equals: JustInTime }"
    ));
    assert_eq!(
        check(
            json!({"AccessType": "justintime"}),
            "AccessType: { equals: JustInTime }"
        )
        .as_deref(),
        Some("AccessType is justintime, expected \"JustInTime\"")
    );
    assert!(!holds(
        json!({"AccessType": "JustInTime "}),
        "AccessType: { equals: JustInTime }"
    ));
}

#[test]
fn not_equals_holds_for_a_different_value_and_fails_for_the_same() {
    assert!(holds(
        json!({"Status": "Connected"}),
        "Status: { not_equals: Terminated }"
    ));
    assert_eq!(
        check(
            json!({"Status": "Terminated"}),
            "Status: { not_equals: Terminated }"
        )
        .as_deref(),
        Some("Status is Terminated, expected not \"Terminated\"")
    );
}

#[test]
fn equals_on_minutes_compares_numbers_whether_the_record_holds_a_string_or_a_number() {
    assert!(holds(
        json!({"MaxSessionDuration": "60"}),
        "MaxSessionDuration: { equals: 60 }"
    ));
    assert!(holds(
        json!({"MaxSessionDuration": 60}),
        "MaxSessionDuration: { equals: 60 }"
    ));
    assert!(!holds(
        json!({"MaxSessionDuration": "61"}),
        "MaxSessionDuration: { equals: 60 }"
    ));
    assert!(holds(
        json!({"MaxSessionDuration": "61"}),
        "MaxSessionDuration: { not_equals: 60 }"
    ));
}

#[test]
fn equals_on_timestamps_compares_instants_not_text() {
    let condition = "StartDate: { equals: '2019-02-20T15:35:38.352Z' }";
    assert!(holds(json!({"StartDate": 1_550_676_938.352}), condition));
    assert!(holds(
        json!({"StartDate": "2019-02-20T07:35:38.352000-08:00"}),
        condition
    ));
    assert!(holds(
        json!({"StartDate": "2019-02-20T15:35:38.352Z"}),
        condition
    ));
    assert!(!holds(
        json!({"StartDate": "2019-02-20T15:35:38.353Z"}),
        condition
    ));
}

#[test]
fn in_holds_for_a_member_and_fails_for_a_non_member() {
    let condition = "Status: { in: [Connected, Connecting] }";
    assert!(holds(json!({"Status": "Connecting"}), condition));
    assert_eq!(
        check(json!({"Status": "Failed"}), condition).as_deref(),
        Some("Status is Failed, expected one of [\"Connected\", \"Connecting\"]")
    );
}

#[test]
fn not_in_holds_for_a_non_member_and_fails_for_a_member() {
    let condition = "Status: { not_in: [Failed, Terminated] }";
    assert!(holds(json!({"Status": "Connected"}), condition));
    assert_eq!(
        check(json!({"Status": "Failed"}), condition).as_deref(),
        Some("Status is Failed, expected none of [\"Failed\", \"Terminated\"]")
    );
}

#[test]
fn in_with_many_members_finds_each_of_them() {
    // Past a handful of members the set is hashed; membership must not change.
    let names: Vec<String> = (0..20).map(|i| format!("doc-{i}")).collect();
    let condition = format!("DocumentName: {{ in: [{}] }}", names.join(", "));
    for name in &names {
        assert!(holds(json!({"DocumentName": name}), &condition), "{name}");
    }
    assert!(!holds(json!({"DocumentName": "doc-20"}), &condition));
}

// ------------------------------------------------------------------ shorthands

#[test]
fn a_scalar_is_shorthand_for_equals() {
    assert!(holds(
        json!({"AccessType": "JustInTime"}),
        "AccessType: JustInTime"
    ));
    assert_eq!(
        check(json!({"AccessType": "Standard"}), "AccessType: JustInTime").as_deref(),
        Some("AccessType is Standard, expected \"JustInTime\"")
    );
    assert!(!holds(json!({}), "AccessType: JustInTime"));
    assert!(holds(
        json!({"MaxSessionDuration": "60"}),
        "MaxSessionDuration: 60"
    ));
    assert!(holds(
        json!({"MaxSessionDuration": 60}),
        "MaxSessionDuration: 60"
    ));
}

#[test]
fn a_list_is_shorthand_for_in() {
    let condition = "DocumentName: [SSM-SessionManagerRunShell, AWS-StartSSHSession]";
    assert!(holds(
        json!({"DocumentName": "AWS-StartSSHSession"}),
        condition
    ));
    assert_eq!(
        check(json!({"DocumentName": "AWS-PasswordReset"}), condition).as_deref(),
        Some(
            "DocumentName is AWS-PasswordReset, expected one of [\"SSM-SessionManagerRunShell\", \"AWS-StartSSHSession\"]"
        )
    );
    assert!(!holds(json!({}), condition));
}

#[test]
fn every_operator_of_a_mapping_must_hold() {
    let condition = "Reason: { present: true, min_length: 3, matches: 'CHG' }";
    assert!(holds(json!({"Reason": "CHG-1"}), condition));
    assert!(!holds(json!({"Reason": "INC-1"}), condition));
    assert!(!holds(json!({"Reason": "CH"}), condition));
}

#[test]
fn every_entry_of_a_condition_mapping_must_hold() {
    let condition = "AccessType: JustInTime\nReason: { present: true }";
    assert!(holds(
        json!({"AccessType": "JustInTime", "Reason": "x"}),
        condition
    ));
    assert!(!holds(
        json!({"AccessType": "Standard", "Reason": "x"}),
        condition
    ));
    assert!(!holds(json!({"AccessType": "JustInTime"}), condition));
}
