//! What the record readers make of each shape of record.

use std::borrow::Cow;

use super::*;
use crate::model::session::Value;
use crate::model::{Field, JsonType, Read, Timestamp};

fn session(json: &str) -> Session<'_> {
    match parse_record(json.as_bytes()).unwrap() {
        ParsedRecord::Session(s) => s,
        other => panic!("not a session: {other:?}"),
    }
}

#[test]
fn api_fields_are_read_and_unknown_keys_noted() {
    let s = session(
        r#"{"SessionId":"s-1","Target":"i-0abc","StartDate":1773148530.01,"Extra":[1,{"a":2}],
            "MaxSessionDuration":"60","OutputUrl":{"S3OutputUrl":"s3://b/k","CloudWatchOutputUrl":""}}"#,
    );
    assert_eq!(s.text(Field::SessionId), Read::Value("s-1"));
    assert_eq!(s.unknown_keys(), ["Extra"]);
    assert_eq!(s.text(Field::S3OutputUrl), Read::Value("s3://b/k"));
    assert_eq!(s.text(Field::CloudWatchOutputUrl), Read::Value(""));
    assert_eq!(
        s.json_type(Field::OutputUrl, Timestamp::now()),
        Some(JsonType::Object)
    );
    assert_eq!(
        s.instant(Field::StartDate),
        Read::Value(Timestamp::from_micros(1_773_148_530_010_000))
    );
}

#[test]
fn strings_without_escapes_are_borrowed() {
    let s = session(r#"{"Target":"i-0abc","Reason":"a\nb"}"#);
    assert!(matches!(
        s.value(Field::Target),
        Some(Value::String(Cow::Borrowed(_)))
    ));
    assert_eq!(s.text(Field::Reason), Read::Value("a\nb"));
}

#[test]
fn null_is_absent() {
    let s = session(r#"{"Reason":null,"OutputUrl":null}"#);
    assert_eq!(s.value(Field::Reason), None);
    assert_eq!(s.value(Field::OutputUrl), None);
}

#[test]
fn wrong_json_types_are_kept_for_the_type_operator() {
    let s = session(r#"{"MaxSessionDuration":60,"Target":["i-1"],"OutputUrl":"x"}"#);
    let now = Timestamp::now();
    assert_eq!(
        s.json_type(Field::MaxSessionDuration, now),
        Some(JsonType::Number)
    );
    assert_eq!(s.json_type(Field::Target, now), Some(JsonType::Array));
    assert_eq!(s.json_type(Field::OutputUrl, now), Some(JsonType::String));
    assert_eq!(s.actual(Field::Target, now), serde_json::json!(["i-1"]));
}

#[test]
fn duplicate_fields_are_an_error() {
    let error = parse_record(br#"{"Target":"i-1","Target":"i-2"}"#).unwrap_err();
    assert!(
        error.to_string().contains("duplicate field `Target`"),
        "{error}"
    );
}

#[test]
fn a_fields_value_nests_at_most_max_value_nesting_levels() {
    let value = |levels: usize| {
        format!(
            r#"{{"Details":{}{}, "Other":{}1{}}}"#,
            "[".repeat(levels),
            "]".repeat(levels),
            "{\"a\":".repeat(100),
            "}".repeat(100)
        )
    };
    assert!(parse_record(value(MAX_VALUE_NESTING).as_bytes()).is_ok());
    let error = parse_record(value(MAX_VALUE_NESTING + 1).as_bytes()).unwrap_err();
    assert_eq!(
        error.problem(),
        "a field's value nested deeper than 64 levels"
    );
    let nested = format!(
        r#"{{"OutputUrl":{{"S3OutputUrl":{}1{}}}}}"#,
        "[".repeat(65),
        "]".repeat(65)
    );
    assert!(parse_record(nested.as_bytes()).is_err());
}

#[test]
fn event_keys_and_sessions_named_twice_are_errors() {
    for (record, key) in [
        (
            &br#"{"eventName":"StartSession","eventSource":"ssm.amazonaws.com","eventName":"TerminateSession"}"#[..],
            "eventName",
        ),
        (
            br#"{"detail":{"eventName":"StartSession"},"detail":{"eventName":"ResumeSession"}}"#,
            "detail",
        ),
        (
            br#"{"Sessions":[{"SessionId":"a"}],"Sessions":[{"SessionId":"b"}]}"#,
            "Sessions",
        ),
        (
            br#"{"eventName":"StartSession","responseElements":{"sessionId":"a"},"responseElements":null}"#,
            "responseElements",
        ),
    ] {
        let error = parse_record(record).unwrap_err();
        assert_eq!(error.problem(), format!("duplicate key `{key}`"));
    }
    // Keys the reader does not use may repeat: nothing depends on which value wins.
    assert!(parse_record(br#"{"SessionId":"a","Extra":1,"Extra":2}"#).is_ok());
}

#[test]
fn non_objects_and_broken_json_are_errors() {
    assert!(parse_record(b"[1]").is_err());
    assert!(parse_record(b"\"x\"").is_err());
    let error = parse_record(b"{\"Target\": \n tru}").unwrap_err();
    assert_eq!(error.position().map(|(line, _)| line), Some(2));
}

#[test]
fn cloudtrail_start_session_becomes_a_session() {
    let record = br#"{"eventName":"StartSession","eventSource":"ssm.amazonaws.com","eventTime":"2026-03-10T13:15:30Z",
        "userIdentity":{"arn":"arn:aws:sts::210987654321:assumed-role/Dev/ana"},
        "requestParameters":{"target":"i-0c9e","reason":"CHG-1"},
        "responseElements":{"sessionId":"ana-123","tokenValue":"x"}}"#;
    let ParsedRecord::Session(s) = parse_record(record).unwrap() else {
        panic!()
    };
    assert_eq!(s.text(Field::SessionId), Read::Value("ana-123"));
    assert_eq!(s.text(Field::Target), Read::Value("i-0c9e"));
    assert_eq!(s.text(Field::Reason), Read::Value("CHG-1"));
    assert_eq!(s.text(Field::OwnerRole), Read::Value("Dev"));
    assert_eq!(
        s.text(Field::DocumentName),
        Read::Value("SSM-SessionManagerRunShell")
    );
    assert!(matches!(s.instant(Field::StartDate), Read::Value(_)));
}

#[test]
fn ecs_exec_execute_command_becomes_a_session_with_what_the_event_knows_of_the_target() {
    let record = br#"{"eventName":"ExecuteCommand","eventSource":"ecs.amazonaws.com","eventTime":"2026-03-11T13:15:39Z",
        "userIdentity":{"arn":"arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Ops_1/ana"},
        "requestParameters":{"cluster":"checkout-prod","container":"payments","command":"/bin/sh","interactive":true,"task":"e2a7"},
        "responseElements":{"clusterArn":"arn:aws:ecs:eu-west-1:210987654321:cluster/checkout-prod","containerName":"payments",
            "taskArn":"arn:aws:ecs:eu-west-1:210987654321:task/checkout-prod/e2a7","interactive":true,
            "session":{"sessionId":"ecs-execute-command-0a1b","streamUrl":"wss://x","tokenValue":"t"}}}"#;
    let ParsedRecord::Session(s) = parse_record(record).unwrap() else {
        panic!()
    };
    assert_eq!(
        s.text(Field::SessionId),
        Read::Value("ecs-execute-command-0a1b")
    );
    assert_eq!(
        s.text(Field::Target),
        Read::Value("ecs:checkout-prod_e2a7_")
    );
    assert_eq!(
        s.text(Field::DocumentName),
        Read::Value("AmazonECS-ExecuteInteractiveCommand")
    );
    assert_eq!(s.text(Field::OwnerName), Read::Value("ana"));
    assert_eq!(s.value(Field::Reason), None);
    assert!(matches!(s.instant(Field::StartDate), Read::Value(_)));
    // Without the response's ARNs, the request's names give the same target.
    let bare = br#"{"eventName":"ExecuteCommand","eventSource":"ecs.amazonaws.com",
        "requestParameters":{"cluster":"arn:aws:ecs:eu-west-1:1:cluster/c","task":"t1"},
        "responseElements":{"session":{"sessionId":"s"}}}"#;
    let ParsedRecord::Session(s) = parse_record(bare).unwrap() else {
        panic!()
    };
    assert_eq!(s.text(Field::Target), Read::Value("ecs:c_t1_"));
    // A failed call, and ECS's other calls, start no session.
    for skipped in [
        &br#"{"eventName":"ExecuteCommand","eventSource":"ecs.amazonaws.com","errorCode":"InvalidParameterException"}"#[..],
        br#"{"eventName":"RunTask","eventSource":"ecs.amazonaws.com"}"#,
        br#"{"eventName":"ExecuteCommand","eventSource":"ssm.amazonaws.com"}"#,
    ] {
        assert!(
            matches!(parse_record(skipped).unwrap(), ParsedRecord::OtherEvent(_)),
            "{}",
            String::from_utf8_lossy(skipped)
        );
    }
}

#[test]
fn eventbridge_wraps_cloudtrail_in_detail() {
    let record = br#"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ssm",
        "detail":{"eventName":"StartSession","eventSource":"ssm.amazonaws.com","requestParameters":{"target":"i-1","documentName":"AWS-StartSSHSession"}}}"#;
    let ParsedRecord::Session(s) = parse_record(record).unwrap() else {
        panic!()
    };
    assert_eq!(
        s.text(Field::DocumentName),
        Read::Value("AWS-StartSSHSession")
    );
}

#[test]
fn other_events_carry_no_session() {
    let record = br#"{"eventName":"TerminateSession","eventSource":"ssm.amazonaws.com","requestParameters":{"sessionId":"x"}}"#;
    assert_eq!(
        parse_record(record).unwrap(),
        ParsedRecord::OtherEvent(SkippedEvent {
            source: "ssm.amazonaws.com".into(),
            name: "TerminateSession".into()
        })
    );
}

#[test]
fn a_response_in_one_value_gives_its_sessions() {
    let record = br#"{"Sessions":[{"SessionId":"a"},{"SessionId":"b"}],"NextToken":"t"}"#;
    let ParsedRecord::Sessions(list) = parse_record(record).unwrap() else {
        panic!()
    };
    assert_eq!(list.len(), 2);
}

fn not_a_session(json: &str) -> String {
    match parse_record(json.as_bytes()) {
        Err(error @ RecordError::NotASession(_)) => error.to_string(),
        other => panic!("read as {other:?}"),
    }
}

#[test]
fn an_object_without_a_session_member_is_not_a_session() {
    for (json, says) in [
        (
            r#"{"InstanceInformationList":[{"InstanceId":"i-1"}]}"#,
            "describe-instance-information",
        ),
        (
            r#"{"status_code":200,"data":{"Sessions":[{"SessionId":"a"}]}}"#,
            "sessions at `data.Sessions`",
        ),
        (
            r#"{"sessionId":"s-1","target":"i-1"}"#,
            "`SessionId` for `sessionId`",
        ),
        (r#"{"status":"ok"}"#, "`Status` for `status`"),
        ("{}", "an empty object"),
        (
            r#"{"Events":[{"EventName":"StartSession","CloudTrailEvent":"{}"}]}"#,
            "lookup-events",
        ),
        (r#"{"detail":{"eventName":"StartSession"}}"#, "`detail`"),
    ] {
        let message = not_a_session(json);
        assert!(message.contains(says), "{json}: {message}");
    }
}

#[test]
fn responses_that_name_session_members_are_still_not_sessions() {
    let start = r#"{"SessionId":"ana-0a1b","TokenValue":"tok-3f9a","StreamUrl":"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/ana-0a1b"}"#;
    let message = not_a_session(start);
    assert!(message.contains("start-session"), "{message}");
    assert!(!message.contains("tok-3f9a"), "{message}");
    let status = r#"{"Target":"i-0abc","Status":"connected"}"#;
    assert!(not_a_session(status).contains("get-connection-status"));
    // The same keys with the API's own status are a (small) Session.
    assert!(parse_record(br#"{"Target":"i-0abc","Status":"Connected"}"#).is_ok());
}

#[test]
fn only_session_manager_start_session_events_become_sessions() {
    let event = |source: &str, extra: &str| {
        format!(
            r#"{{"eventName":"StartSession","eventSource":"{source}"{extra},"requestParameters":{{"target":"i-1"}},"responseElements":{{"sessionId":"s"}}}}"#
        )
    };
    for (text, source) in [
        (event("athena.amazonaws.com", ""), "athena.amazonaws.com"),
        (
            event("ssm.amazonaws.com", r#","errorCode":"AccessDenied""#),
            "ssm.amazonaws.com",
        ),
        (
            r#"{"eventName":"StartSession","requestParameters":{"target":"i-1"}}"#.to_owned(),
            "unknown",
        ),
    ] {
        match parse_record(text.as_bytes()).unwrap() {
            ParsedRecord::OtherEvent(skipped) => assert_eq!(skipped.source, source, "{text}"),
            other => panic!("{text} read as {other:?}"),
        }
    }
    assert!(matches!(
        parse_record(event("ssm.amazonaws.com", "").as_bytes()).unwrap(),
        ParsedRecord::Session(_)
    ));
}

#[test]
fn cloudquery_rows_are_sessions_in_the_apis_forms() {
    let row = r#"{"_cq_id":"5f7a","_cq_parent_id":null,"account_id":"210987654321","region":"eu-west-1",
        "session_id":"ana-0a1b","target":"i-0abc","status":"Terminated","start_date":"2026-03-10 13:15:30.123456",
        "end_date":"2026-03-10 14:15:30.123456 +0000 UTC","document_name":"SSM-SessionManagerRunShell",
        "owner":"arn:aws:sts::210987654321:assumed-role/Dev/ana","reason":"CHG-1","details":null,
        "output_url":"{\"S3OutputUrl\":\"s3://logs/ana\",\"CloudWatchOutputUrl\":\"\"}",
        "max_session_duration":"60","access_type":"Standard"}"#;
    let s = session(row);
    assert_eq!(s.text(Field::SessionId), Read::Value("ana-0a1b"));
    assert_eq!(s.text(Field::OwnerRole), Read::Value("Dev"));
    assert_eq!(s.text(Field::S3OutputUrl), Read::Value("s3://logs/ana"));
    assert_eq!(
        s.instant(Field::StartDate),
        Read::Value(Timestamp::parse("2026-03-10T13:15:30.123456Z").unwrap())
    );
    assert_eq!(
        s.number(Field::Duration, Timestamp::now()),
        Read::Value(60.0)
    );
    assert!(s.unknown_keys().is_empty(), "{:?}", s.unknown_keys());
    // A selection of the table's columns with the session's id is a row too.
    assert!(parse_record(br#"{"session_id":"a","target":"i-1"}"#).is_ok());
    // A row with keys beside the table's, and no CloudQuery column, is not.
    assert!(parse_record(br#"{"session_id":"a","foo":1}"#).is_err());
}
