//! `lt`, `lte`, `gt`, `gte`, `{ field: Name }`, `before`, `after` and `type`.

use super::prelude::*;

// ------------------------------------------------------------------ lt, lte, gt, gte

#[test]
fn numeric_comparisons_read_a_string_of_minutes_as_a_number() {
    let record = json!({"MaxSessionDuration": "60"});
    assert!(holds(record.clone(), "MaxSessionDuration: { lte: 60 }"));
    assert!(holds(record.clone(), "MaxSessionDuration: { gte: 60 }"));
    assert!(holds(record.clone(), "MaxSessionDuration: { lt: 61 }"));
    assert!(holds(record.clone(), "MaxSessionDuration: { gt: 59.5 }"));
    assert!(!holds(record.clone(), "MaxSessionDuration: { lt: 60 }"));
    assert!(!holds(record.clone(), "MaxSessionDuration: { gt: 60 }"));
    assert!(!holds(record.clone(), "MaxSessionDuration: { lte: 59 }"));
    assert!(!holds(record, "MaxSessionDuration: { gte: 61 }"));
}

#[test]
fn numeric_comparisons_compare_numbers_not_text() {
    // As text "240" < "60"; as numbers it is not.
    assert_eq!(
        check(
            json!({"MaxSessionDuration": "240"}),
            "MaxSessionDuration: { lte: 60 }"
        )
        .as_deref(),
        Some("MaxSessionDuration is 240, expected <= 60")
    );
    assert!(holds(
        json!({"MaxSessionDuration": "1000"}),
        "MaxSessionDuration: { gt: 999 }"
    ));
}

#[test]
fn numeric_comparisons_read_a_json_number_too() {
    assert!(holds(
        json!({"MaxSessionDuration": 60}),
        "MaxSessionDuration: { lte: 60 }"
    ));
    assert!(!holds(
        json!({"MaxSessionDuration": 61}),
        "MaxSessionDuration: { lte: 60 }"
    ));
}

#[test]
fn each_comparison_names_its_bound_in_the_message() {
    let record = json!({"MaxSessionDuration": "60"});
    assert_eq!(
        check(record.clone(), "MaxSessionDuration: { lt: 60 }").as_deref(),
        Some("MaxSessionDuration is 60, expected < 60")
    );
    assert_eq!(
        check(record.clone(), "MaxSessionDuration: { gt: 60 }").as_deref(),
        Some("MaxSessionDuration is 60, expected > 60")
    );
    assert_eq!(
        check(record.clone(), "MaxSessionDuration: { gte: 60.5 }").as_deref(),
        Some("MaxSessionDuration is 60, expected >= 60.5")
    );
    assert_eq!(
        check(record, "MaxSessionDuration: { lte: 59 }").as_deref(),
        Some("MaxSessionDuration is 60, expected <= 59")
    );
}

// ------------------------------------------------------------------ { field: Name }

#[test]
fn a_comparison_with_a_field_reads_the_other_field_of_the_same_record() {
    let condition = "Duration: { lte: { field: MaxSessionDuration } }";
    // 7.2 minutes against a cap of 20.
    let short = json!({"StartDate": "2026-03-09T14:00:00-04:00", "EndDate": "2026-03-09T14:07:12.500000-04:00", "MaxSessionDuration": "20"});
    assert!(holds(short, condition));
    // 63.2 minutes against a cap of 60.
    let long = json!({"StartDate": "2026-03-11T14:10:27.331000-04:00", "EndDate": "2026-03-11T15:13:40.218000-04:00", "MaxSessionDuration": "60"});
    assert_eq!(
        check(long, condition).as_deref(),
        Some("Duration is 63.21478, expected <= MaxSessionDuration")
    );
}

#[test]
fn a_comparison_with_an_absent_or_unreadable_field_is_false_and_says_so() {
    let condition = "Duration: { lte: { field: MaxSessionDuration } }";
    let ended = json!({"StartDate": "2026-03-13T20:00:00Z", "EndDate": "2026-03-13T20:10:00Z"});
    assert_eq!(
        check(ended.clone(), condition).as_deref(),
        Some("Duration is 10, expected <= MaxSessionDuration (MaxSessionDuration is absent)")
    );
    let mut unreadable = ended;
    unreadable["MaxSessionDuration"] = json!("abc");
    assert_eq!(
        check(unreadable, condition).as_deref(),
        Some(
            "Duration is 10, expected <= MaxSessionDuration (MaxSessionDuration: `abc` is not a number of minutes)"
        )
    );
}

#[test]
fn before_and_after_compare_with_another_timestamp_field() {
    let record = json!({"StartDate": "2026-03-13T20:00:00Z", "EndDate": "2026-03-13T20:10:00Z"});
    assert!(holds(
        record.clone(),
        "EndDate: { after: { field: StartDate } }"
    ));
    assert!(holds(
        record.clone(),
        "StartDate: { before: { field: EndDate } }"
    ));
    assert_eq!(
        check(record, "EndDate: { before: { field: StartDate } }").as_deref(),
        Some("EndDate is 2026-03-13T20:10:00Z, expected before StartDate")
    );
    assert_eq!(
        check(
            json!({"EndDate": "2026-03-13T20:10:00Z"}),
            "EndDate: { after: { field: StartDate } }"
        )
        .as_deref(),
        Some("EndDate is 2026-03-13T20:10:00Z, expected after StartDate (StartDate is absent)")
    );
}

// ------------------------------------------------------------------ before, after

#[test]
fn before_and_after_are_strict_comparisons_of_instants() {
    let record = json!({"StartDate": "2026-03-10T09:15:30-04:00"});
    assert!(holds(
        record.clone(),
        "StartDate: { before: '2026-03-10T13:15:31Z' }"
    ));
    assert!(holds(
        record.clone(),
        "StartDate: { after: '2026-03-10T13:15:29Z' }"
    ));
    assert!(!holds(
        record.clone(),
        "StartDate: { before: '2026-03-10T13:15:30Z' }"
    ));
    assert!(!holds(
        record.clone(),
        "StartDate: { after: '2026-03-10T13:15:30Z' }"
    ));
    assert_eq!(
        check(record, "StartDate: { after: '2026-03-11T00:00:00+01:00' }").as_deref(),
        Some("StartDate is 2026-03-10T09:15:30-04:00, expected after 2026-03-10T23:00:00Z")
    );
}

#[test]
fn before_and_after_accept_a_date_as_the_start_of_that_day_in_utc() {
    let record = json!({"StartDate": "2026-03-10T00:00:00Z"});
    assert!(holds(record.clone(), "StartDate: { before: 2026-03-11 }"));
    assert!(!holds(record, "StartDate: { after: 2026-03-10 }"));
}

// ------------------------------------------------------------------ type

#[test]
fn type_names_the_json_type_in_the_record() {
    assert!(holds(
        json!({"MaxSessionDuration": 60}),
        "MaxSessionDuration: { type: number }"
    ));
    assert_eq!(
        check(
            json!({"MaxSessionDuration": 60}),
            "MaxSessionDuration: { type: string }"
        )
        .as_deref(),
        Some("MaxSessionDuration is 60, expected of type string")
    );
    assert!(holds(
        json!({"MaxSessionDuration": "60"}),
        "MaxSessionDuration: { type: string }"
    ));
    assert!(holds(
        json!({"OutputUrl": {}}),
        "OutputUrl: { type: object }"
    ));
    assert!(holds(
        json!({"OutputUrl": "s3://x"}),
        "OutputUrl: { type: string }"
    ));
    assert!(holds(json!({"Target": ["i-1"]}), "Target: { type: array }"));
    assert!(holds(
        json!({"AccessType": true}),
        "AccessType: { type: boolean }"
    ));
    assert!(holds(
        json!({"StartDate": 1_773_150_011.2}),
        "StartDate: { type: number }"
    ));
    assert!(holds(
        json!({"StartDate": "soon"}),
        "StartDate: { type: string }"
    ));
}

#[test]
fn type_of_derived_fields_is_their_computed_type() {
    let record = json!({"StartDate": "2026-03-13T21:00:00Z", "Owner": "arn:aws:sts::123456789012:assumed-role/Admin/jdoe"});
    assert!(holds(record.clone(), "Duration: { type: number }"));
    assert!(holds(record.clone(), "OwnerRole: { type: string }"));
    assert!(!holds(json!({}), "Duration: { type: number }"));
}
