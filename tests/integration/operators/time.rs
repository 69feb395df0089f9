//! `during`, the combinators, and timestamps in every form.

use super::prelude::*;

// ------------------------------------------------------------------ during

const BUSINESS_HOURS: &str = "StartDate: { during: { days: [mon, tue, wed, thu, fri], from: '07:00', to: '19:00', offset: '+01:00' } }";

#[test]
fn during_holds_inside_the_window_at_its_offset() {
    // Monday 2026-11-02: 06:30Z is 07:30 at +01:00.
    assert!(holds(
        json!({"StartDate": "2026-11-02T06:30:00Z"}),
        BUSINESS_HOURS
    ));
    // `from` is inclusive: 06:00Z is 07:00 at +01:00.
    assert!(holds(
        json!({"StartDate": "2026-11-02T06:00:00Z"}),
        BUSINESS_HOURS
    ));
    // The record's own offset does not matter, only the instant.
    assert!(holds(
        json!({"StartDate": "2026-11-02T01:30:00-05:00"}),
        BUSINESS_HOURS
    ));
}

#[test]
fn during_fails_outside_the_hours_and_says_the_window() {
    assert_eq!(
        check(json!({"StartDate": "2026-11-02T05:59:59Z"}), BUSINESS_HOURS).as_deref(),
        Some(
            "StartDate is 2026-11-02T05:59:59Z, expected during mon,tue,wed,thu,fri 07:00-19:00 +01:00"
        )
    );
    // `to` is exclusive: 18:00Z is 19:00 at +01:00.
    assert!(!holds(
        json!({"StartDate": "2026-11-02T18:00:00Z"}),
        BUSINESS_HOURS
    ));
    assert!(holds(
        json!({"StartDate": "2026-11-02T17:59:59Z"}),
        BUSINESS_HOURS
    ));
}

#[test]
fn during_fails_on_days_not_listed_judged_at_the_offset() {
    // Saturday.
    assert!(!holds(
        json!({"StartDate": "2026-11-07T10:00:00Z"}),
        BUSINESS_HOURS
    ));
    // Friday 23:30 at -05:00 is already Saturday 04:30Z, but the window is judged at its own offset.
    let friday_evening_new_york = "StartDate: { during: { days: [fri], offset: '-05:00' } }";
    assert!(holds(
        json!({"StartDate": "2026-11-07T04:30:00Z"}),
        friday_evening_new_york
    ));
    assert!(!holds(
        json!({"StartDate": "2026-11-07T05:30:00Z"}),
        friday_evening_new_york
    ));
}

#[test]
fn during_defaults_to_every_day_the_whole_day_at_utc() {
    assert!(holds(
        json!({"StartDate": "2026-11-07T00:00:00Z"}),
        "StartDate: { during: { from: '00:00' } }"
    ));
    assert!(holds(
        json!({"StartDate": "2026-11-08T23:59:59Z"}),
        "StartDate: { during: { days: [sun] } }"
    ));
    assert!(!holds(
        json!({"StartDate": "2026-11-08T23:59:59Z"}),
        "StartDate: { during: { days: [sun], to: '23:00' } }"
    ));
    assert!(!holds(
        json!({"StartDate": "2026-11-09T00:00:00Z"}),
        "StartDate: { during: { days: [sun] } }"
    ));
}

#[test]
fn during_wraps_past_midnight_when_from_is_later_than_to() {
    let night = "StartDate: { during: { from: '22:00', to: '06:00' } }";
    assert!(holds(json!({"StartDate": "2026-11-02T23:00:00Z"}), night));
    assert!(holds(json!({"StartDate": "2026-11-02T22:00:00Z"}), night));
    assert!(holds(json!({"StartDate": "2026-11-03T05:59:59Z"}), night));
    assert!(!holds(json!({"StartDate": "2026-11-03T06:00:00Z"}), night));
    assert!(!holds(json!({"StartDate": "2026-11-02T12:00:00Z"}), night));
}

#[test]
fn during_reads_epoch_seconds_and_negative_offsets() {
    // 1773150011 is 2026-03-10T13:40:11Z, a Tuesday: 08:40 at -05:00.
    let condition =
        "StartDate: { during: { days: [tue], from: '08:00', to: '09:00', offset: '-05:00' } }";
    assert!(holds(json!({"StartDate": 1_773_150_011}), condition));
    assert!(holds(json!({"StartDate": 1_773_150_011.204}), condition));
}

// ------------------------------------------------------------------ combinators

#[test]
fn all_holds_when_every_condition_holds() {
    let condition = "all:\n  - AccessType: JustInTime\n  - Reason: { present: true }";
    assert!(holds(
        json!({"AccessType": "JustInTime", "Reason": "x"}),
        condition
    ));
    assert_eq!(
        check(json!({"AccessType": "JustInTime"}), condition).as_deref(),
        Some("Reason is absent, expected present")
    );
}

#[test]
fn any_holds_when_one_condition_holds_and_names_all_of_them_when_none_does() {
    let condition =
        "any:\n  - OwnerRole: { glob: 'AWSReservedSSO_*' }\n  - OwnerRole: [CiRunner, DeployBot]";
    assert!(holds(
        json!({"Owner": "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_1/ana"}),
        condition
    ));
    assert!(holds(
        json!({"Owner": "arn:aws:sts::123456789012:assumed-role/CiRunner/ci"}),
        condition
    ));
    assert_eq!(
        check(
            json!({"Owner": "arn:aws:sts::123456789012:assumed-role/Admin/jdoe"}),
            condition
        )
        .as_deref(),
        Some(
            "OwnerRole is Admin, expected any of (OwnerRole glob \"AWSReservedSSO_*\"; OwnerRole one of [\"CiRunner\", \"DeployBot\"])"
        )
    );
    assert!(!holds(json!({}), condition));
}

#[test]
fn not_holds_when_its_condition_does_not() {
    let condition = "not: { Status: Failed }";
    assert!(holds(json!({"Status": "Connected"}), condition));
    assert!(holds(json!({}), condition));
    assert_eq!(
        check(json!({"Status": "Failed"}), condition).as_deref(),
        Some("Status is Failed, expected not (Status \"Failed\")")
    );
}

#[test]
fn not_of_an_unreadable_check_holds_since_the_check_is_false() {
    // The check is false on an unreadable value; `not` is what the author wrote around it.
    assert!(holds(
        json!({"MaxSessionDuration": "abc"}),
        "not: { MaxSessionDuration: { lte: 60 } }"
    ));
}

#[test]
fn combinators_nest() {
    let condition = "any:\n  - all:\n      - AccessType: JustInTime\n      - Reason: { present: true }\n  - not: { AccessType: JustInTime }";
    assert!(holds(json!({"AccessType": "Standard"}), condition));
    assert!(holds(
        json!({"AccessType": "JustInTime", "Reason": "CHG-1"}),
        condition
    ));
    assert!(!holds(
        json!({"AccessType": "JustInTime", "Reason": " "}),
        condition
    ));
}

// ------------------------------------------------------------------ timestamps

#[test]
fn timestamps_across_a_daylight_saving_change_compare_as_instants() {
    // AWS CLI v2 prints local time: EST before the change, EDT after it.
    let record = json!({"StartDate": "2026-03-08T01:52:10.204000-05:00", "EndDate": "2026-03-08T03:05:44.918000-04:00"});
    assert!(holds(record.clone(), "Duration: { gt: 13.5, lt: 13.6 }"));
    assert!(holds(record, "EndDate: { after: { field: StartDate } }"));
    // Back to standard time: the end reads earlier than the start as text, but is 20 minutes later.
    let autumn =
        json!({"StartDate": "2026-11-01T01:50:00-04:00", "EndDate": "2026-11-01T01:10:00-05:00"});
    assert!(holds(
        autumn.clone(),
        "EndDate: { after: { field: StartDate } }"
    ));
    assert!(holds(autumn, "Duration: { equals: 20 }"));
}

#[test]
fn epoch_seconds_with_and_without_fraction_equal_their_rfc3339_forms() {
    let forms = [
        json!({"StartDate": 1_550_676_938.352}),
        json!({"StartDate": "2019-02-20T07:35:38.352000-08:00"}),
        json!({"StartDate": "2019-02-20T15:35:38.352Z"}),
    ];
    for record in forms {
        assert!(
            holds(
                record.clone(),
                "StartDate: { after: '2019-02-20T15:35:38.351Z', before: '2019-02-20T15:35:38.353Z' }"
            ),
            "{record}"
        );
        assert!(holds(record, "StartDate: '2019-02-20T15:35:38.352Z'"));
    }
    assert!(holds(
        json!({"StartDate": 1_773_150_011}),
        "StartDate: '2026-03-10T13:40:11Z'"
    ));
    assert!(holds(
        json!({"StartDate": "2026-03-10T13:40:11Z"}),
        "StartDate: { equals: '2026-03-10T14:40:11+01:00' }"
    ));
}
