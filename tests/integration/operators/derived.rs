//! The derived fields: `Duration`, `OwnerAccount`, `OwnerName`, `OwnerRole`.

use super::prelude::*;

// ------------------------------------------------------------------ derived fields

#[test]
fn duration_of_an_ended_session_is_end_minus_start_in_minutes() {
    let record = json!({"StartDate": "2026-03-09T14:00:00-04:00", "EndDate": "2026-03-09T14:07:12.500000-04:00"});
    assert!(holds(record.clone(), "Duration: { gt: 7.2, lt: 7.21 }"));
    // The evaluation time does not matter once a session has ended.
    assert_eq!(
        check_at(
            record.clone(),
            "Duration: { gt: 7.2, lt: 7.21 }",
            at("2030-01-01T00:00:00Z")
        ),
        None
    );
    assert_eq!(
        check(record, "Duration: { lte: 5 }").as_deref(),
        Some("Duration is 7.20833, expected <= 5")
    );
}

#[test]
fn duration_of_an_active_session_runs_to_the_evaluation_time() {
    let record = json!({"StartDate": "2026-03-13T20:00:00Z"});
    assert!(holds(record.clone(), "Duration: 90"));
    assert_eq!(
        check_at(record.clone(), "Duration: 30", at("2026-03-13T20:30:00Z")),
        None
    );
    assert_eq!(
        check_at(record, "Duration: { lte: 720 }", at("2026-03-14T09:00:00Z")).as_deref(),
        Some("Duration is 780, expected <= 720")
    );
}

#[test]
fn duration_is_absent_without_a_readable_start_date() {
    assert!(holds(
        json!({"EndDate": "2026-03-13T20:00:00Z"}),
        "Duration: { exists: false }"
    ));
    assert!(holds(
        json!({"StartDate": "soon"}),
        "Duration: { exists: false }"
    ));
    assert_eq!(
        check(json!({}), "Duration: { lte: 60 }").as_deref(),
        Some("Duration is absent, expected <= 60")
    );
}

#[test]
fn duration_with_an_unreadable_end_date_is_unreadable_and_says_why() {
    assert_eq!(
        check(
            json!({"StartDate": "2026-03-13T20:00:00Z", "EndDate": "later"}),
            "Duration: { lte: 60 }"
        )
        .as_deref(),
        Some(
            "Duration is absent, expected <= 60 (EndDate cannot be read: `later` is not an RFC 3339 timestamp)"
        )
    );
}

#[test]
fn owner_parts_of_an_assumed_role_arn() {
    let record = json!({"Owner": "arn:aws:sts::123456789012:assumed-role/Admin/jdoe"});
    assert!(holds(record.clone(), "OwnerAccount: '123456789012'"));
    assert!(holds(record.clone(), "OwnerRole: Admin"));
    assert!(holds(record, "OwnerName: jdoe"));
}

#[test]
fn owner_parts_of_an_iam_user_arn_have_no_role() {
    let record = json!({"Owner": "arn:aws:iam::123456789012:user/jdoe"});
    assert!(holds(record.clone(), "OwnerAccount: '123456789012'"));
    assert!(holds(record.clone(), "OwnerName: jdoe"));
    assert!(holds(record, "OwnerRole: { exists: false }"));
    let path = json!({"Owner": "arn:aws:iam::123456789012:user/team/ops/jdoe"});
    assert!(holds(path, "OwnerName: jdoe"));
}

#[test]
fn owner_parts_are_absent_when_owner_is_not_an_arn() {
    let record = json!({"Owner": "jdoe"});
    for field in ["OwnerAccount", "OwnerName", "OwnerRole"] {
        assert!(
            holds(record.clone(), &format!("{field}: {{ exists: false }}")),
            "{field}"
        );
    }
    assert_eq!(
        check(record, "OwnerRole: Admin").as_deref(),
        Some("OwnerRole is absent, expected \"Admin\"")
    );
    assert!(holds(json!({}), "OwnerName: { exists: false }"));
}

#[test]
fn owner_account_is_absent_when_the_arn_has_no_twelve_digit_account() {
    assert!(holds(
        json!({"Owner": "arn:aws:iam::aws:policy/ReadOnly"}),
        "OwnerAccount: { exists: false }"
    ));
}

#[test]
fn derived_fields_can_be_used_like_any_other_in_messages() {
    let policy = "policy: t\nrules:\n  - id: r\n    require: { OwnerRole: CiRunner }\n    message: '{OwnerName} in {OwnerAccount} as {OwnerRole} for {Duration} minutes'\n";
    let record = json!({"Owner": "arn:aws:sts::123456789012:assumed-role/Admin/jdoe", "StartDate": "2026-03-13T21:00:00Z"});
    assert_eq!(
        crate::support::violations(record, policy),
        ["jdoe in 123456789012 as Admin for 30 minutes"]
    );
}
