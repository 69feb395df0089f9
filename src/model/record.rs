//! Reading one record's JSON into a Session: API Session objects, DescribeSessions responses
//! in one value, and CloudTrail `StartSession` events alone or wrapped by EventBridge.
//!
//! Flat Session objects of plain strings, nearly every exported record, are read by the fast
//! reader in `flat`; everything else by one pass of serde over the bytes, with no intermediate
//! `serde_json::Value`: keys resolve to fields as they are read, and strings without escapes
//! are borrowed from the input.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::field::{Field, STORED_FIELDS};
use super::flat;
use super::session::{Session, Value};

/// The document CloudTrail leaves out of `requestParameters` when the caller did not name one:
/// Session Manager then runs its default shell document, and `describe-sessions` reports it.
const DEFAULT_DOCUMENT: &str = "SSM-SessionManagerRunShell";

/// How deeply the JSON a record's reader descends into may nest, counting the record's own
/// braces: one less than serde_json's recursion limit of 128, which it enforces while reading,
/// so that deep input cannot overflow the stack. Values of keys the reader does not use are
/// skipped by serde_json without recursion, whatever their depth; field values are bounded
/// more tightly by [`MAX_VALUE_NESTING`].
pub const MAX_NESTING: usize = 127;

/// How deeply a field's value may nest (arrays and objects; a scalar is 0). Reports quote
/// values as they are, inside five levels of their own: this keeps every report and hook
/// decision within the 128 levels that JSON readers such as serde_json accept by default.
pub const MAX_VALUE_NESTING: usize = 64;

/// What one JSON value of an input holds.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a record is moved once; boxing would cost an allocation per record"
)]
pub enum ParsedRecord<'a> {
    /// A Session, read directly or made from a CloudTrail `StartSession` event.
    Session(Session<'a>),
    /// A whole `DescribeSessions` response in one value, its sessions in order.
    Sessions(Vec<Session<'a>>),
    /// A CloudTrail event that starts no session (`TerminateSession`, `DescribeInstances`, ...).
    OtherEvent { name: String },
}

/// What a CloudTrail event says of itself, for callers that judge events rather than records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    /// Whether it came wrapped in an EventBridge event (`detail`).
    pub wrapped: bool,
    /// `eventName`, e.g. `StartSession`.
    pub name: String,
    /// `eventSource`, e.g. `ssm.amazonaws.com`.
    pub source: Option<String>,
    /// `errorCode` of a call that failed.
    pub error_code: Option<String>,
}

/// Why a record's JSON could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Broken JSON, or a record that is not an object; line and column count within the record.
    #[error("{message} at line {line}, column {column}")]
    Malformed {
        message: String,
        line: usize,
        column: usize,
    },
}

impl RecordError {
    /// The line within the record where reading failed, 1-based.
    pub fn line(&self) -> usize {
        match self {
            Self::Malformed { line, .. } => *line,
        }
    }

    /// The column within that line, 1-based.
    pub fn column(&self) -> usize {
        match self {
            Self::Malformed { column, .. } => *column,
        }
    }

    /// What is wrong, without the position.
    pub fn problem(&self) -> &str {
        match self {
            Self::Malformed { message, .. } => message,
        }
    }

    fn from_json(error: serde_json::Error) -> Self {
        let text = error.to_string();
        // serde_json appends " at line L column C"; the location is kept as fields instead.
        let message = match text.rfind(" at line ") {
            Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
            None => text,
        };
        // serde_json's own words name neither the cause nor the limit.
        let message = if message == "recursion limit exceeded" {
            format!("JSON nested deeper than {MAX_NESTING} levels")
        } else {
            message
        };
        Self::Malformed {
            message,
            line: error.line(),
            column: error.column(),
        }
    }
}

/// Reads one record from the bytes of one JSON value.
pub fn parse_record(bytes: &[u8]) -> Result<ParsedRecord<'_>, RecordError> {
    let text = utf8(bytes)?;
    // Built where it is returned, so the common case is not copied through wrappers.
    let mut record = ParsedRecord::Session(Session::default());
    if let ParsedRecord::Session(session) = &mut record
        && flat::read_into(text, session)
    {
        return Ok(record);
    }
    Ok(read_with_serde(text)?.into_record())
}

/// Reads one event: the record it holds and, for CloudTrail and EventBridge events, what the
/// event says of itself (`None` for a plain Session object).
pub fn parse_event(bytes: &[u8]) -> Result<(Option<EventInfo>, ParsedRecord<'_>), RecordError> {
    Ok(match parse_shape(bytes)? {
        Shape::Event { wrapped, event } => {
            let info = EventInfo {
                wrapped,
                name: event.event_name.as_deref().unwrap_or_default().to_owned(),
                source: event.event_source.as_deref().map(str::to_owned),
                error_code: event.error_code.as_deref().map(str::to_owned),
            };
            (Some(info), event.into_record())
        }
        shape => (None, shape.into_record()),
    })
}

fn parse_shape(bytes: &[u8]) -> Result<Shape<'_>, RecordError> {
    let text = utf8(bytes)?;
    let mut session = Session::default();
    if flat::read_into(text, &mut session) {
        return Ok(Shape::Session(session));
    }
    read_with_serde(text)
}

/// The record as text: validating it whole once is much cheaper than serde_json checking every
/// string of a byte slice, and lets both readers take `&str` without checking again.
fn utf8(bytes: &[u8]) -> Result<&str, RecordError> {
    // simdutf8 checks valid text several times faster than the standard library; only when it
    // finds a fault does the standard library look again, to say where.
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok(text);
    }
    std::str::from_utf8(bytes).map_err(|error| {
        let before = bytes.get(..error.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        RecordError::Malformed {
            message: "invalid UTF-8".to_owned(),
            line,
            column,
        }
    })
}

/// Reads any record the fast path declines, and reports where a broken one goes wrong.
fn read_with_serde(text: &str) -> Result<Shape<'_>, RecordError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let shape = deserializer
        .deserialize_any(RecordVisitor { nested: false })
        .map_err(RecordError::from_json)?;
    deserializer.end().map_err(RecordError::from_json)?;
    Ok(shape)
}

/// Reads a record with the serde reader alone, to check the fast path against it.
#[cfg(test)]
pub(super) fn parse_with_serde(text: &str) -> Result<ParsedRecord<'_>, RecordError> {
    Ok(read_with_serde(text)?.into_record())
}

/// What the visitor found, before it is told apart for the caller.
enum Shape<'a> {
    Session(Session<'a>),
    Sessions(Vec<Session<'a>>),
    Event {
        wrapped: bool,
        event: CloudTrailEvent<'a>,
    },
}

impl<'a> Shape<'a> {
    fn into_record(self) -> ParsedRecord<'a> {
        match self {
            Shape::Session(session) => ParsedRecord::Session(session),
            Shape::Sessions(sessions) => ParsedRecord::Sessions(sessions),
            Shape::Event { event, .. } => event.into_record(),
        }
    }
}

/// Keys of interest in a record, resolved while reading so nothing is looked up twice.
pub(super) enum Key {
    Field(Field),
    Sessions,
    EventName,
    EventSource,
    ErrorCode,
    EventTime,
    UserIdentity,
    RequestParameters,
    ResponseElements,
    Detail,
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
            _ => Key::Other,
        }
    }
}

impl Key {
    /// The slot and name of a key outside the Session fields that a record may name only once:
    /// the event's own keys and `Sessions`, whose repetition would let one value silently hide
    /// another (a `StartSession` named again as `TerminateSession`, a page of sessions dropped).
    fn structural(&self) -> Option<(usize, &'static str)> {
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
            Key::Field(_) | Key::Other => return None,
        })
    }
}

/// How many keys [`Key::structural`] numbers.
const STRUCTURAL_KEYS: usize = 9;

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
                Ok(Key::resolve(name))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The fields of a CloudTrail event that make a Session.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CloudTrailEvent<'a> {
    #[serde(borrow)]
    event_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_identity: Option<UserIdentity<'a>>,
    #[serde(borrow)]
    request_parameters: Option<RequestParameters<'a>>,
    #[serde(borrow)]
    response_elements: Option<ResponseElements<'a>>,
}

#[derive(Deserialize)]
struct UserIdentity<'a> {
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestParameters<'a> {
    #[serde(borrow)]
    target: Option<Cow<'a, str>>,
    #[serde(borrow)]
    document_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseElements<'a> {
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
}

impl<'a> CloudTrailEvent<'a> {
    fn into_record(self) -> ParsedRecord<'a> {
        let name = self.event_name.unwrap_or_default();
        if name != "StartSession" {
            return ParsedRecord::OtherEvent {
                name: name.into_owned(),
            };
        }
        let request = self.request_parameters;
        let (target, document, reason) = match request {
            Some(r) => (r.target, r.document_name, r.reason),
            None => (None, None, None),
        };
        let document = document.unwrap_or(Cow::Borrowed(DEFAULT_DOCUMENT));
        let values = [
            (
                Field::SessionId,
                self.response_elements.and_then(|r| r.session_id),
            ),
            (Field::Target, target),
            (Field::DocumentName, Some(document)),
            (Field::Reason, reason),
            (Field::Owner, self.user_identity.and_then(|u| u.arn)),
            (Field::StartDate, self.event_time),
        ];
        ParsedRecord::Session(Session::with(
            values
                .into_iter()
                .filter_map(|(field, value)| Some((field, Value::String(value?)))),
        ))
    }
}

/// Reads a record object. `nested` is set for the elements of an embedded `Sessions` array,
/// which must be Sessions themselves.
struct RecordVisitor {
    nested: bool,
}

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Shape<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object holding a Session or a CloudTrail event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: [Option<Value<'de>>; STORED_FIELDS] = Default::default();
        let mut seen = [false; STORED_FIELDS];
        let mut seen_structural = [false; STRUCTURAL_KEYS];
        let mut event = CloudTrailEvent::default();
        let mut is_event = false;
        let mut detail: Option<CloudTrailEvent<'de>> = None;
        let mut sessions: Option<Vec<Session<'de>>> = None;

        while let Some(key) = map.next_key::<Key>()? {
            if let Some((slot, name)) = key.structural()
                && let Some(flag) = seen_structural.get_mut(slot)
            {
                if *flag {
                    return Err(de::Error::custom(format_args!("duplicate key `{name}`")));
                }
                *flag = true;
            }
            match key {
                Key::Field(Field::OutputUrl) => {
                    mark_seen(&mut seen, Field::OutputUrl)?;
                    let output = map.next_value::<OutputUrl<'de>>()?;
                    store(&mut values, Field::OutputUrl, output.value);
                    for (member, value) in output.members {
                        mark_seen(&mut seen, member)?;
                        store(&mut values, member, value);
                    }
                }
                Key::Field(field) => {
                    mark_seen(&mut seen, field)?;
                    let value = map.next_value::<Option<FieldValue<'de>>>()?;
                    store(&mut values, field, value.map(|v| v.0));
                }
                Key::Sessions if !self.nested => {
                    sessions = Some(map.next_value_seed(SessionList)?);
                }
                Key::EventName => {
                    is_event = true;
                    event.event_name = map.next_value()?;
                }
                Key::EventSource => {
                    is_event = true;
                    event.event_source = map.next_value()?;
                }
                Key::ErrorCode => event.error_code = map.next_value()?,
                Key::EventTime => event.event_time = map.next_value()?,
                Key::UserIdentity => event.user_identity = map.next_value()?,
                Key::RequestParameters => event.request_parameters = map.next_value()?,
                Key::ResponseElements => event.response_elements = map.next_value()?,
                Key::Detail if !self.nested => detail = map.next_value()?,
                Key::Sessions | Key::Detail | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }

        if let Some(detail) = detail {
            return Ok(Shape::Event {
                wrapped: true,
                event: detail,
            });
        }
        if is_event {
            return Ok(Shape::Event {
                wrapped: false,
                event,
            });
        }
        if let Some(sessions) = sessions {
            return Ok(Shape::Sessions(sessions));
        }
        Ok(Shape::Session(Session::from_values(values)))
    }
}

fn mark_seen<E: de::Error>(seen: &mut [bool; STORED_FIELDS], field: Field) -> Result<(), E> {
    // A record naming a field twice is ambiguous (parsers disagree on which value wins),
    // and a policy engine must not pick one silently.
    match field.slot().and_then(|slot| seen.get_mut(slot)) {
        Some(true) => Err(E::custom(format_args!("duplicate field `{field}`"))),
        Some(flag) => {
            *flag = true;
            Ok(())
        }
        None => Ok(()),
    }
}

fn store<'de>(
    values: &mut [Option<Value<'de>>; STORED_FIELDS],
    field: Field,
    value: Option<Value<'de>>,
) {
    if let Some(slot) = field.slot().and_then(|slot| values.get_mut(slot)) {
        *slot = value;
    }
}

/// The elements of a `Sessions` array inside one record.
struct SessionList;

impl<'de> DeserializeSeed<'de> for SessionList {
    type Value = Vec<Session<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SessionList {
    type Value = Vec<Session<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of Sessions")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut sessions = Vec::new();
        while let Some(element) = seq.next_element_seed(NestedSession)? {
            sessions.push(element);
        }
        Ok(sessions)
    }
}

struct NestedSession;

impl<'de> DeserializeSeed<'de> for NestedSession {
    type Value = Session<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match deserializer.deserialize_any(RecordVisitor { nested: true })? {
            Shape::Session(session) => Ok(session),
            _ => Err(de::Error::custom("expected a Session in `Sessions`")),
        }
    }
}

/// A field's JSON value, whatever its type: policies judge types, the reader does not.
struct FieldValue<'a>(Value<'a>);

impl<'de> Deserialize<'de> for FieldValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(FieldValue)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        composite(value)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        composite(value)
    }
}

/// An array or object kept for the `type` operator and for reports, if it is not too deep.
fn composite<'de, E: de::Error>(value: serde_json::Value) -> Result<Value<'de>, E> {
    if nesting(&value) > MAX_VALUE_NESTING {
        return Err(E::custom(format_args!(
            "a field's value nested deeper than {MAX_VALUE_NESTING} levels"
        )));
    }
    Ok(Value::Composite(Box::new(value)))
}

/// Levels of arrays and objects in a value, counted without recursion.
fn nesting(value: &serde_json::Value) -> usize {
    use serde_json::Value as Json;
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            Json::Array(items) => stack.extend(items.iter().map(|item| (item, depth + 1))),
            Json::Object(members) => stack.extend(members.values().map(|item| (item, depth + 1))),
            _ => continue,
        }
        deepest = depth.max(deepest);
    }
    deepest
}

/// The members of `OutputUrl`, resolved without allocating the key.
enum OutputUrlKey {
    S3,
    CloudWatch,
    Other,
}

impl<'de> Deserialize<'de> for OutputUrlKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = OutputUrlKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<OutputUrlKey, E> {
                Ok(match name {
                    "S3OutputUrl" => OutputUrlKey::S3,
                    "CloudWatchOutputUrl" => OutputUrlKey::CloudWatch,
                    _ => OutputUrlKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `OutputUrl`: an object whose members become fields of their own, or any other value as is.
struct OutputUrl<'a> {
    value: Option<Value<'a>>,
    members: Vec<(Field, Option<Value<'a>>)>,
}

impl<'de> Deserialize<'de> for OutputUrl<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OutputUrlVisitor)
    }
}

struct OutputUrlVisitor;

impl<'de> Visitor<'de> for OutputUrlVisitor {
    type Value = OutputUrl<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(OutputUrl {
            value: None,
            members: Vec::new(),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<OutputUrlKey>()? {
            let member = match key {
                OutputUrlKey::S3 => Field::S3OutputUrl,
                OutputUrlKey::CloudWatch => Field::CloudWatchOutputUrl,
                OutputUrlKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let value = map.next_value::<Option<FieldValue<'de>>>()?;
            members.push((member, value.map(|v| v.0)));
        }
        Ok(OutputUrl {
            value: Some(Value::OutputUrl),
            members,
        })
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_borrowed_str(v)?)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_str(v)?)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.scalar(Value::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_i64(v)?)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_u64(v)?)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.scalar(Value::Bool(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.scalar(ValueVisitor.visit_seq(seq)?)
    }
}

impl OutputUrlVisitor {
    fn scalar<'de, E>(self, value: Value<'de>) -> Result<OutputUrl<'de>, E> {
        Ok(OutputUrl {
            value: Some(value),
            members: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JsonType, Read, Timestamp};

    fn session(json: &str) -> Session<'_> {
        match parse_record(json.as_bytes()).unwrap() {
            ParsedRecord::Session(s) => s,
            other => panic!("not a session: {other:?}"),
        }
    }

    #[test]
    fn api_fields_are_read_and_unknown_ones_ignored() {
        let s = session(
            r#"{"SessionId":"s-1","Target":"i-0abc","StartDate":1773148530.01,"Extra":[1,{"a":2}],
                "MaxSessionDuration":"60","OutputUrl":{"S3OutputUrl":"s3://b/k","CloudWatchOutputUrl":""}}"#,
        );
        assert_eq!(s.text(Field::SessionId), Read::Value("s-1"));
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
        assert_eq!(error.line(), 2);
    }

    #[test]
    fn cloudtrail_start_session_becomes_a_session() {
        let record = br#"{"eventName":"StartSession","eventTime":"2026-03-10T13:15:30Z",
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
        assert_eq!(s.text(Field::DocumentName), Read::Value(DEFAULT_DOCUMENT));
        assert!(matches!(s.instant(Field::StartDate), Read::Value(_)));
    }

    #[test]
    fn eventbridge_wraps_cloudtrail_in_detail() {
        let record = br#"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ssm",
            "detail":{"eventName":"StartSession","requestParameters":{"target":"i-1","documentName":"AWS-StartSSHSession"}}}"#;
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
        let record = br#"{"eventName":"TerminateSession","requestParameters":{"sessionId":"x"}}"#;
        assert_eq!(
            parse_record(record).unwrap(),
            ParsedRecord::OtherEvent {
                name: "TerminateSession".into()
            }
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
}
