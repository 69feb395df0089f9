//! Rows of CloudQuery's `aws_ssm_sessions` table: the SDK's `Session` members as snake_case
//! columns (`session_id`, `start_date`, `output_url`, ...), beside CloudQuery's own
//! (`account_id`, `region`, `_cq_id`, ...).
//!
//! A row's values are the API's, in CloudQuery's forms: timestamps as RFC 3339 or as SQL and
//! Go write them (`2026-03-10 13:15:30.123456`, `... +0000 UTC`), and `output_url` as a JSON
//! object or as the JSON text of one. They are read into the forms the API uses, so that
//! a row and the `describe-sessions` record of the same session are judged alike.

use std::borrow::Cow;

use serde::Deserialize;

use super::value::OutputUrl;
use crate::model::Timestamp;
use crate::model::field::Field;
use crate::model::session::Value;

/// A timestamp column's text in a form the Session reads: RFC 3339 as it is, CloudQuery's
/// other forms rewritten, and anything else left for the policies to find unreadable.
pub(super) fn timestamp(text: Cow<'_, str>) -> Cow<'_, str> {
    if Timestamp::parse(&text).is_ok() {
        return text;
    }
    match rfc3339(&text) {
        Some(rewritten) if Timestamp::parse(&rewritten).is_ok() => Cow::Owned(rewritten),
        _ => text,
    }
}

/// `YYYY-MM-DD hh:mm:ss[.f]` followed by nothing (UTC, as CloudQuery stores every timestamp),
/// ` UTC`, `Z`, `+hh:mm`, `+hhmm`, `+hh`, or Go's `+hhmm UTC`, as RFC 3339.
fn rfc3339(text: &str) -> Option<String> {
    let (date, rest) = (text.get(..10)?, text.get(11..)?);
    if !matches!(text.as_bytes().get(10), Some(b' ' | b'T')) {
        return None;
    }
    let clock_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(clock_end);
    let zone = zone.trim();
    // Go's `time.Time.String()` ends with the zone's name after the offset.
    let zone = zone.strip_suffix(" UTC").unwrap_or(zone);
    let offset = match zone {
        "" | "UTC" | "Z" => "Z".to_owned(),
        _ => {
            let (sign, digits) = zone.split_at(1);
            if !matches!(sign, "+" | "-") {
                return None;
            }
            let digits: String = digits.chars().filter(|c| *c != ':').collect();
            match digits.len() {
                2 => format!("{sign}{digits}:00"),
                4 => format!("{sign}{}:{}", digits.get(..2)?, digits.get(2..)?),
                _ => return None,
            }
        }
    };
    Some(format!("{date}T{clock}{offset}"))
}

/// The members of an `output_url` column given as the JSON text of an object, as a database
/// export writes a JSON column; `None` when the text is not such an object.
pub(super) fn output_url_members(text: &str) -> Option<Vec<(Field, Option<Value<'static>>)>> {
    let text = text.trim_start();
    if !text.starts_with('{') {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let output = OutputUrl::deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(
        output
            .members
            .into_iter()
            .map(|(field, value)| (field, value.map(Value::into_owned)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudquery_timestamp_forms_read_as_the_same_instant() {
        let expected = Timestamp::parse("2026-03-10T13:15:30.123456Z").unwrap();
        for form in [
            "2026-03-10T13:15:30.123456Z",
            "2026-03-10 13:15:30.123456",
            "2026-03-10 13:15:30.123456 UTC",
            "2026-03-10 13:15:30.123456 +0000 UTC",
            "2026-03-10 13:15:30.123456+00",
            "2026-03-10 13:15:30.123456+00:00",
            "2026-03-10 14:15:30.123456 +0100",
            "2026-03-10T13:15:30.123456",
        ] {
            let text = timestamp(Cow::Borrowed(form));
            assert_eq!(Timestamp::parse(&text).ok(), Some(expected), "{form}");
        }
    }

    #[test]
    fn text_that_is_no_timestamp_is_left_as_it_is() {
        for text in ["yesterday", "2026-03-10", "2026-03-10 25:00:00", ""] {
            assert_eq!(timestamp(Cow::Borrowed(text)), text);
        }
    }

    #[test]
    fn output_url_as_json_text_gives_its_members() {
        let members =
            output_url_members(r#"{"CloudWatchOutputUrl":"","S3OutputUrl":"s3://logs/k"}"#)
                .unwrap();
        assert_eq!(
            members,
            [
                (Field::CloudWatchOutputUrl, Some(Value::String("".into()))),
                (
                    Field::S3OutputUrl,
                    Some(Value::String("s3://logs/k".into()))
                ),
            ]
        );
        assert_eq!(output_url_members("s3://logs/k"), None);
    }
}
