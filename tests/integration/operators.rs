//! Every operator of the policy language's table: where it holds, where it does not, on an
//! absent field, and on a value it cannot read; then shorthands, field references, combinators,
//! glob and regex semantics, lengths, `during`, timestamps and the derived fields.

use serde_json::json;

use crate::support::{at, check, check_at, holds};

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

// ------------------------------------------------------------------ glob, not_glob

#[test]
fn glob_holds_when_any_pattern_matches_and_fails_otherwise() {
    let condition = "Target: { glob: ['mi-*', 'i-0stage*'] }";
    assert!(holds(json!({"Target": "mi-0a1b"}), condition));
    assert!(holds(json!({"Target": "i-0stage12"}), condition));
    assert_eq!(
        check(json!({"Target": "i-0prod1"}), condition).as_deref(),
        Some("Target is i-0prod1, expected glob [\"mi-*\", \"i-0stage*\"]")
    );
}

#[test]
fn not_glob_holds_when_no_pattern_matches_and_fails_when_one_does() {
    let condition = "Owner: { not_glob: ['arn:aws:iam::*:user/*', 'arn:aws:iam::*:root'] }";
    assert!(holds(
        json!({"Owner": "arn:aws:sts::123456789012:assumed-role/A/b"}),
        condition
    ));
    assert!(!holds(
        json!({"Owner": "arn:aws:iam::123456789012:root"}),
        condition
    ));
    assert_eq!(
        check(
            json!({"Owner": "arn:aws:iam::123456789012:user/jdoe"}),
            condition
        )
        .as_deref(),
        Some(
            "Owner is arn:aws:iam::123456789012:user/jdoe, expected not glob [\"arn:aws:iam::*:user/*\", \"arn:aws:iam::*:root\"]"
        )
    );
}

#[test]
fn glob_star_crosses_slashes() {
    let condition = "Owner: { glob: 'arn:aws:sts::*:assumed-role/*' }";
    assert!(holds(
        json!({"Owner": "arn:aws:sts::123456789012:assumed-role/Admin/jdoe"}),
        condition
    ));
    assert!(holds(json!({"Target": "a/b/c"}), "Target: { glob: 'a*c' }"));
    assert!(holds(json!({"Target": "a/"}), "Target: { glob: 'a?' }"));
}

#[test]
fn glob_star_matches_any_run_of_characters_including_none_and_line_breaks() {
    assert!(holds(json!({"Target": "i-"}), "Target: { glob: 'i-*' }"));
    assert!(holds(
        json!({"Reason": "first line\nsecond line"}),
        "Reason: { glob: 'first*line' }"
    ));
    assert!(holds(json!({"Reason": ""}), "Reason: { glob: '*' }"));
}

#[test]
fn glob_question_mark_is_exactly_one_character() {
    assert!(holds(json!({"Target": "i-01"}), "Target: { glob: 'i-0?' }"));
    assert!(!holds(json!({"Target": "i-0"}), "Target: { glob: 'i-0?' }"));
    assert!(!holds(
        json!({"Target": "i-012"}),
        "Target: { glob: 'i-0?' }"
    ));
}

#[test]
fn glob_question_mark_is_one_unicode_character_not_one_byte() {
    assert!(holds(json!({"Reason": "café"}), "Reason: { glob: 'caf?' }"));
    assert!(holds(json!({"Reason": "日本"}), "Reason: { glob: '??' }"));
    assert!(!holds(json!({"Reason": "日本"}), "Reason: { glob: '?' }"));
}

#[test]
fn glob_literals_and_classes_may_hold_any_unicode_character() {
    assert!(holds(
        json!({"Reason": "café au lait"}),
        "Reason: { glob: 'café*' }"
    ));
    assert!(!holds(
        json!({"Reason": "cafe au lait"}),
        "Reason: { glob: 'café*' }"
    ));
    assert!(holds(json!({"Reason": "rè"}), "Reason: { glob: 'r[éè]' }"));
    assert!(!holds(json!({"Reason": "re"}), "Reason: { glob: 'r[éè]' }"));
    assert!(holds(json!({"Reason": "ré"}), "Reason: { glob: 'r[!e]' }"));
}

#[test]
fn glob_backslash_escapes_a_metacharacter() {
    assert!(holds(json!({"Reason": "a*b"}), r"Reason: { glob: 'a\*b' }"));
    assert!(!holds(
        json!({"Reason": "axb"}),
        r"Reason: { glob: 'a\*b' }"
    ));
    assert!(holds(
        json!({"Reason": r"a\xffb"}),
        r"Reason: { glob: 'a\\xff*' }"
    ));
}

#[test]
fn glob_classes_match_one_character_of_the_class() {
    let condition = "Target: { glob: 'i-0[a-c]*' }";
    assert!(holds(json!({"Target": "i-0b12"}), condition));
    assert!(!holds(json!({"Target": "i-0d12"}), condition));
    assert!(holds(
        json!({"Target": "i-0x"}),
        "Target: { glob: 'i-0[!a-c]' }"
    ));
}

#[test]
fn glob_braces_are_alternatives() {
    let condition = "Target: { glob: '{i,mi}-0*' }";
    assert!(holds(json!({"Target": "i-0abc"}), condition));
    assert!(holds(json!({"Target": "mi-0abc"}), condition));
    assert!(!holds(json!({"Target": "ecs:cluster_1"}), condition));
}

#[test]
fn glob_must_match_the_whole_value() {
    assert!(!holds(
        json!({"Target": "i-0prod1"}),
        "Target: { glob: 'prod' }"
    ));
    assert!(!holds(
        json!({"Target": "i-0prod1"}),
        "Target: { glob: 'i-0prod' }"
    ));
    assert!(!holds(
        json!({"Target": "xi-0prod1"}),
        "Target: { glob: 'i-0prod*' }"
    ));
    assert!(holds(
        json!({"Target": "i-0prod1"}),
        "Target: { glob: '*prod*' }"
    ));
}

#[test]
fn glob_is_case_sensitive() {
    assert!(!holds(
        json!({"Target": "i-0PROD1"}),
        "Target: { glob: 'i-0prod*' }"
    ));
    assert!(!holds(
        json!({"Target": "I-0prod1"}),
        "Target: { glob: 'i-0prod*' }"
    ));
}

#[test]
fn glob_applies_to_nested_output_url_members() {
    let condition = "OutputUrl.S3OutputUrl: { glob: 'https://s3.amazonaws.com/logs/*' }";
    assert!(holds(
        json!({"OutputUrl": {"S3OutputUrl": "https://s3.amazonaws.com/logs/a/b.log"}}),
        condition
    ));
    assert_eq!(
        check(json!({"OutputUrl": {}}), condition).as_deref(),
        Some("OutputUrl.S3OutputUrl is absent, expected glob \"https://s3.amazonaws.com/logs/*\"")
    );
}

// ------------------------------------------------------------------ matches, not_matches

#[test]
fn matches_finds_the_regex_anywhere_in_the_value() {
    let condition = r"Reason: { matches: '\b(CHG|INC)-[0-9]+\b' }";
    assert!(holds(
        json!({"Reason": "see INC-4821 for details"}),
        condition
    ));
    assert_eq!(
        check(json!({"Reason": "debugging"}), condition).as_deref(),
        Some(r"Reason is debugging, expected matching /\b(CHG|INC)-[0-9]+\b/")
    );
}

#[test]
fn matches_is_a_whole_match_only_when_anchored() {
    assert!(!holds(
        json!({"Reason": "see CHG-1"}),
        "Reason: { matches: '^CHG-[0-9]+$' }"
    ));
    assert!(holds(
        json!({"Reason": "CHG-1"}),
        "Reason: { matches: '^CHG-[0-9]+$' }"
    ));
    // `^.{1,256}$` is the API's pattern for Reason: `.` does not match a line break.
    assert!(!holds(
        json!({"Reason": "a\nb"}),
        "Reason: { matches: '^.{1,256}$' }"
    ));
}

#[test]
fn matches_is_case_sensitive_unless_the_regex_says_otherwise() {
    assert!(!holds(
        json!({"Reason": "chg-1"}),
        "Reason: { matches: 'CHG' }"
    ));
    assert!(holds(
        json!({"Reason": "chg-1"}),
        "Reason: { matches: '(?i)CHG' }"
    ));
}

#[test]
fn not_matches_holds_where_the_regex_finds_nothing() {
    assert!(holds(
        json!({"Reason": "fine"}),
        "Reason: { not_matches: 'password' }"
    ));
    assert_eq!(
        check(
            json!({"Reason": "reset password"}),
            "Reason: { not_matches: 'password' }"
        )
        .as_deref(),
        Some("Reason is reset password, expected not matching /password/")
    );
}

#[test]
fn string_operators_see_the_text_of_max_session_duration() {
    assert!(!holds(
        json!({"MaxSessionDuration": "1050"}),
        "MaxSessionDuration: { matches: '^1[0-4][0-3][0-9]$' }"
    ));
    assert!(holds(
        json!({"MaxSessionDuration": "60"}),
        "MaxSessionDuration: { glob: '6?' }"
    ));
    assert!(holds(
        json!({"MaxSessionDuration": "60"}),
        "MaxSessionDuration: { max_length: 4 }"
    ));
    // A number is not the string the API defines: string operators cannot read it.
    assert_eq!(
        check(
            json!({"MaxSessionDuration": 60}),
            "MaxSessionDuration: { matches: '^[0-9]+$' }"
        )
        .as_deref(),
        Some(
            "MaxSessionDuration is 60, expected matching /^[0-9]+$/ (it is a number, not a string)"
        )
    );
}

// ------------------------------------------------------------------ min_length, max_length

#[test]
fn lengths_count_unicode_characters_not_bytes() {
    // Four characters, eight bytes.
    let record = json!({"Reason": "żółw"});
    assert!(holds(record.clone(), "Reason: { max_length: 4 }"));
    assert!(holds(record.clone(), "Reason: { min_length: 4 }"));
    assert!(!holds(record.clone(), "Reason: { max_length: 3 }"));
    assert!(!holds(record, "Reason: { min_length: 5 }"));
}

#[test]
fn min_length_holds_at_or_above_the_bound_and_fails_below() {
    assert!(holds(
        json!({"SessionId": "a"}),
        "SessionId: { min_length: 1 }"
    ));
    assert_eq!(
        check(json!({"SessionId": ""}), "SessionId: { min_length: 1 }").as_deref(),
        Some("SessionId is \"\", expected at least 1 characters")
    );
}

#[test]
fn max_length_holds_at_or_below_the_bound_and_fails_above() {
    assert!(holds(
        json!({"Reason": "x".repeat(256)}),
        "Reason: { max_length: 256 }"
    ));
    let long = "x".repeat(257);
    assert_eq!(
        check(json!({"Reason": long}), "Reason: { max_length: 256 }"),
        Some(format!("Reason is {long}, expected at most 256 characters"))
    );
}

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
