//! `glob`, `not_glob`, `matches`, `not_matches`, `min_length`, `max_length`.

use super::prelude::*;

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
