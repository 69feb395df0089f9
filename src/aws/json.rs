//! A `Session` of the SDK written back as the JSON the API returned for it, so that sessions
//! read from AWS go through the same record reader, and give the same results, as the same
//! sessions saved to a file.

use aws_sdk_ssm::primitives::DateTime;
use aws_sdk_ssm::types::Session;
use serde_json::{Map, Value};

/// The session as `DescribeSessions` returns it over JSON 1.1: the API's member names, only the
/// members it has, timestamps as epoch seconds.
pub fn session_json(session: &Session) -> Value {
    let mut object = Map::new();
    let mut text = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            object.insert(name.to_owned(), Value::String(value.to_owned()));
        }
    };
    text("SessionId", session.session_id());
    text("Target", session.target());
    text("Status", session.status().map(|status| status.as_str()));
    text("DocumentName", session.document_name());
    text("Owner", session.owner());
    text("Reason", session.reason());
    text("Details", session.details());
    text("MaxSessionDuration", session.max_session_duration());
    text(
        "AccessType",
        session.access_type().map(|access| access.as_str()),
    );
    for (name, instant) in [
        ("StartDate", session.start_date()),
        ("EndDate", session.end_date()),
    ] {
        if let Some(instant) = instant {
            object.insert(name.to_owned(), epoch_seconds(instant));
        }
    }
    if let Some(output) = session.output_url() {
        let mut members = Map::new();
        for (name, value) in [
            ("S3OutputUrl", output.s3_output_url()),
            ("CloudWatchOutputUrl", output.cloud_watch_output_url()),
        ] {
            if let Some(value) = value {
                members.insert(name.to_owned(), Value::String(value.to_owned()));
            }
        }
        object.insert("OutputUrl".to_owned(), Value::Object(members));
    }
    Value::Object(object)
}

/// Epoch seconds as the API writes them: whole seconds as an integer, others as the shortest
/// decimal of the same `f64`. The SDK read the API's number into that `f64` and kept it to the
/// nanosecond (truncating, far below the `f64`'s own step at today's dates), so the number
/// written here reads back to the instant the API sent.
fn epoch_seconds(instant: &DateTime) -> Value {
    if instant.subsec_nanos() == 0 {
        return Value::from(instant.secs());
    }
    serde_json::Number::from_f64(instant.as_secs_f64()).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aws_sdk_ssm::types::{AccessType, SessionManagerOutputUrl, SessionStatus};

    use super::*;

    #[test]
    fn every_member_is_written_as_the_api_names_it() {
        let session = Session::builder()
            .session_id("ana-0a1b2c3d4e5f6a7b8")
            .target("i-0123456789abcdef0")
            .status(SessionStatus::Connected)
            .start_date(DateTime::from_secs_f64(1_773_148_530.123))
            .document_name("SSM-SessionManagerRunShell")
            .owner("arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Dev_1/ana")
            .reason("CHG-1234 patching")
            .details("")
            .output_url(SessionManagerOutputUrl::builder().s3_output_url("").build())
            .max_session_duration("60")
            .access_type(AccessType::from("JustInTime"))
            .build();
        let json = session_json(&session);
        assert_eq!(
            json,
            serde_json::json!({
                "SessionId": "ana-0a1b2c3d4e5f6a7b8",
                "Target": "i-0123456789abcdef0",
                "Status": "Connected",
                "StartDate": 1_773_148_530.123,
                "DocumentName": "SSM-SessionManagerRunShell",
                "Owner": "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Dev_1/ana",
                "Reason": "CHG-1234 patching",
                "Details": "",
                "OutputUrl": {"S3OutputUrl": ""},
                "MaxSessionDuration": "60",
                "AccessType": "JustInTime",
            })
        );
        assert_eq!(json["StartDate"].to_string(), "1773148530.123");
    }

    #[test]
    fn whole_seconds_stay_integers_and_absent_members_stay_absent() {
        let session = Session::builder()
            .session_id("s-1")
            .end_date(DateTime::from_secs(1_773_000_000))
            .build();
        assert_eq!(
            session_json(&session),
            serde_json::json!({"SessionId": "s-1", "EndDate": 1_773_000_000})
        );
    }

    #[test]
    fn fractions_read_back_to_the_same_number() {
        for text in [
            "1773148530.1",
            "1773148530.123456",
            "1773148530.999999",
            "1.5",
        ] {
            let seconds: f64 = text.parse().unwrap();
            let written = epoch_seconds(&DateTime::from_secs_f64(seconds));
            assert_eq!(written.to_string(), text);
        }
    }
}
