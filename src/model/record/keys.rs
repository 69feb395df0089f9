//! The keys a record reader acts on, resolved from their names once while reading.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::model::field::Field;

/// A key of a record, resolved while reading so nothing is looked up twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    /// A member of the API's `Session` type.
    Field(Field),
    /// A column of CloudQuery's `aws_ssm_sessions` table that holds a member of `Session`
    /// under its snake_case name (`session_id`, `start_date`, ...).
    Column(Field),
    /// One of the columns CloudQuery adds to every table (`_cq_id`, `account_id`, `region`).
    CloudQueryMeta,
    Sessions,
    EventName,
    EventSource,
    ErrorCode,
    EventTime,
    UserIdentity,
    RequestParameters,
    ResponseElements,
    /// An EventBridge envelope's `detail`, `detail-type` and `source`.
    Detail,
    DetailType,
    EnvelopeSource,
    Other,
}

impl Key {
    pub(super) fn resolve(name: &str) -> Key {
        match name {
            "SessionId" => Key::Field(Field::SessionId),
            "Target" => Key::Field(Field::Target),
            "Status" => Key::Field(Field::Status),
            "StartDate" => Key::Field(Field::StartDate),
            "EndDate" => Key::Field(Field::EndDate),
            "DocumentName" => Key::Field(Field::DocumentName),
            "Owner" => Key::Field(Field::Owner),
            "Reason" => Key::Field(Field::Reason),
            "Details" => Key::Field(Field::Details),
            "OutputUrl" => Key::Field(Field::OutputUrl),
            "MaxSessionDuration" => Key::Field(Field::MaxSessionDuration),
            "AccessType" => Key::Field(Field::AccessType),
            "Sessions" => Key::Sessions,
            "eventName" => Key::EventName,
            "eventSource" => Key::EventSource,
            "errorCode" => Key::ErrorCode,
            "eventTime" => Key::EventTime,
            "userIdentity" => Key::UserIdentity,
            "requestParameters" => Key::RequestParameters,
            "responseElements" => Key::ResponseElements,
            "detail" => Key::Detail,
            "detail-type" => Key::DetailType,
            "source" => Key::EnvelopeSource,
            other => cloudquery_column(other).unwrap_or(Key::Other),
        }
    }

    /// The slot and name of a key outside the Session fields that a record may name only once:
    /// the event's own keys and `Sessions`, whose repetition would let one value silently hide
    /// another (a `StartSession` named again as `TerminateSession`, a page of sessions dropped).
    pub(super) fn structural(self) -> Option<(usize, &'static str)> {
        Some(match self {
            Key::Sessions => (0, "Sessions"),
            Key::EventName => (1, "eventName"),
            Key::EventSource => (2, "eventSource"),
            Key::ErrorCode => (3, "errorCode"),
            Key::EventTime => (4, "eventTime"),
            Key::UserIdentity => (5, "userIdentity"),
            Key::RequestParameters => (6, "requestParameters"),
            Key::ResponseElements => (7, "responseElements"),
            Key::Detail => (8, "detail"),
            Key::EnvelopeSource => (9, "source"),
            Key::Field(_) | Key::Column(_) | Key::CloudQueryMeta | Key::DetailType | Key::Other => {
                return None;
            }
        })
    }
}

/// How many keys [`Key::structural`] numbers.
pub(super) const STRUCTURAL_KEYS: usize = 10;

/// CloudQuery's columns for the `aws_ssm_sessions` table: the members of the SDK's `Session`
/// struct in snake_case, and the columns CloudQuery adds to every table.
fn cloudquery_column(name: &str) -> Option<Key> {
    Some(match name {
        "session_id" => Key::Column(Field::SessionId),
        "target" => Key::Column(Field::Target),
        "status" => Key::Column(Field::Status),
        "start_date" => Key::Column(Field::StartDate),
        "end_date" => Key::Column(Field::EndDate),
        "document_name" => Key::Column(Field::DocumentName),
        "owner" => Key::Column(Field::Owner),
        "reason" => Key::Column(Field::Reason),
        "details" => Key::Column(Field::Details),
        "output_url" => Key::Column(Field::OutputUrl),
        "max_session_duration" => Key::Column(Field::MaxSessionDuration),
        "access_type" => Key::Column(Field::AccessType),
        "account_id" | "region" => Key::CloudQueryMeta,
        meta if meta.starts_with("_cq_") => Key::CloudQueryMeta,
        _ => return None,
    })
}

/// A key with the name it was written as, for reporting keys that are not Session members.
pub(super) struct NamedKey<'a> {
    pub(super) key: Key,
    pub(super) name: Cow<'a, str>,
}

impl<'de> Deserialize<'de> for NamedKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = NamedKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(NamedKey {
                    key: Key::resolve(name),
                    name: Cow::Borrowed(name),
                })
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(NamedKey {
                    key: Key::resolve(name),
                    name: Cow::Owned(name.to_owned()),
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}
