//! Absent and unreadable values under every operator.

use super::prelude::*;

// ------------------------------------------------------------------ absent and unreadable values

/// Every operator on a field the record does not have: false, except `exists: false`,
/// `present: false` and the negated operators.
#[test]
fn every_operator_is_false_on_an_absent_field_except_exists_false_present_false_and_negations() {
    let table: &[(&str, bool)] = &[
        ("Reason: { exists: true }", false),
        ("Reason: { exists: false }", true),
        ("Reason: { present: true }", false),
        ("Reason: { present: false }", true),
        ("Reason: { equals: x }", false),
        ("Reason: { not_equals: x }", true),
        ("Reason: { in: [x, y] }", false),
        ("Reason: { not_in: [x, y] }", true),
        ("Reason: { glob: '*' }", false),
        ("Reason: { not_glob: '*' }", true),
        ("Reason: { matches: '' }", false),
        ("Reason: { not_matches: 'x' }", true),
        ("Reason: { min_length: 0 }", false),
        ("Reason: { max_length: 10 }", false),
        ("MaxSessionDuration: { lt: 60 }", false),
        ("MaxSessionDuration: { lte: 60 }", false),
        ("MaxSessionDuration: { gt: 60 }", false),
        ("MaxSessionDuration: { gte: 60 }", false),
        ("EndDate: { before: '2100-01-01T00:00:00Z' }", false),
        ("EndDate: { after: '1970-01-01T00:00:00Z' }", false),
        ("Reason: { type: string }", false),
        ("EndDate: { during: { from: '00:00', to: '24:00' } }", false),
    ];
    for record in [
        json!({"SessionId": "s-1"}),
        json!({"SessionId": "s-1", "Reason": null, "MaxSessionDuration": null, "EndDate": null}),
    ] {
        for (condition, expected) in table {
            assert_eq!(
                holds(record.clone(), condition),
                *expected,
                "{condition} on {record}"
            );
        }
    }
}

#[test]
fn a_failed_check_on_an_absent_field_says_the_field_is_absent() {
    assert_eq!(
        check(json!({}), "MaxSessionDuration: { lte: 60 }").as_deref(),
        Some("MaxSessionDuration is absent, expected <= 60")
    );
    assert_eq!(
        check(json!({}), "Reason: { present: true }").as_deref(),
        Some("Reason is absent, expected present")
    );
}

/// Every operator that reads a value is false on a value it cannot read as it needs, negated
/// ones included, and the violation says why.
#[test]
fn every_value_operator_is_false_on_an_unreadable_value_and_the_violation_says_why() {
    let minutes = json!({"MaxSessionDuration": "abc"});
    let start = json!({"StartDate": "soon"});
    let number_target = json!({"Target": 42});
    let number_reason = json!({"Reason": 7});
    let table: &[(&serde_json::Value, &str, &str)] = &[
        (
            &minutes,
            "MaxSessionDuration: { lt: 60 }",
            "(`abc` is not a number of minutes)",
        ),
        (
            &minutes,
            "MaxSessionDuration: { lte: 60 }",
            "(`abc` is not a number of minutes)",
        ),
        (
            &minutes,
            "MaxSessionDuration: { gt: 60 }",
            "(`abc` is not a number of minutes)",
        ),
        (
            &minutes,
            "MaxSessionDuration: { gte: 60 }",
            "(`abc` is not a number of minutes)",
        ),
        (
            &start,
            "StartDate: { before: '2030-01-01T00:00:00Z' }",
            "(`soon` is not an RFC 3339 timestamp)",
        ),
        (
            &start,
            "StartDate: { after: '2000-01-01T00:00:00Z' }",
            "(`soon` is not an RFC 3339 timestamp)",
        ),
        (
            &start,
            "StartDate: { during: { from: '00:00', to: '24:00' } }",
            "(`soon` is not an RFC 3339 timestamp)",
        ),
        (
            &start,
            "StartDate: { equals: '2026-01-01T00:00:00Z' }",
            "(`soon` is not an RFC 3339 timestamp)",
        ),
        (
            &start,
            "StartDate: { not_equals: '2026-01-01T00:00:00Z' }",
            "(`soon` is not an RFC 3339 timestamp)",
        ),
        (
            &number_target,
            "Target: { glob: 'i-*' }",
            "(it is a number, not a string)",
        ),
        (
            &number_target,
            "Target: { not_glob: 'i-*' }",
            "(it is a number, not a string)",
        ),
        (
            &number_target,
            "Target: { equals: i-1 }",
            "(it is a number, not a string)",
        ),
        (
            &number_target,
            "Target: { not_equals: i-1 }",
            "(it is a number, not a string)",
        ),
        (
            &number_target,
            "Target: { in: [i-1, i-2] }",
            "(it is a number, not a string)",
        ),
        (
            &number_target,
            "Target: { not_in: [i-1, i-2] }",
            "(it is a number, not a string)",
        ),
        (
            &number_reason,
            "Reason: { matches: 'x' }",
            "(it is a number, not a string)",
        ),
        (
            &number_reason,
            "Reason: { not_matches: 'x' }",
            "(it is a number, not a string)",
        ),
        (
            &number_reason,
            "Reason: { min_length: 1 }",
            "(it is a number, not a string)",
        ),
        (
            &number_reason,
            "Reason: { max_length: 10 }",
            "(it is a number, not a string)",
        ),
    ];
    for (record, condition, why) in table {
        let message = check((*record).clone(), condition)
            .unwrap_or_else(|| panic!("{condition} held on the unreadable {record}"));
        assert!(message.ends_with(why), "{condition}: {message}");
    }
}

#[test]
fn unreadable_values_give_whole_messages_naming_value_expectation_and_reason() {
    assert_eq!(
        check(
            json!({"MaxSessionDuration": "abc"}),
            "MaxSessionDuration: { lte: 60 }"
        )
        .as_deref(),
        Some("MaxSessionDuration is abc, expected <= 60 (`abc` is not a number of minutes)")
    );
    assert_eq!(
        check(
            json!({"StartDate": "soon"}),
            "StartDate: { before: '2026-01-01T00:00:00Z' }"
        )
        .as_deref(),
        Some(
            "StartDate is soon, expected before 2026-01-01T00:00:00Z (`soon` is not an RFC 3339 timestamp)"
        )
    );
    assert_eq!(
        check(json!({"Target": 42}), "Target: { glob: 'i-*' }").as_deref(),
        Some("Target is 42, expected glob \"i-*\" (it is a number, not a string)")
    );
    assert_eq!(
        check(
            json!({"StartDate": true}),
            "StartDate: { after: '2026-01-01T00:00:00Z' }"
        )
        .as_deref(),
        Some(
            "StartDate is true, expected after 2026-01-01T00:00:00Z (it is a boolean, not a timestamp)"
        )
    );
}
