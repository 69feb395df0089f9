//! The full record reader: one pass of serde over any record the fast path declines, with no
//! intermediate `serde_json::Value`. Keys resolve as they are read, strings without escapes are
//! borrowed from the input, and what the object is (a Session, a page of them, an event, a
//! CloudQuery row, or none of these) is decided from the keys it has.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::cloudquery;
use super::cloudtrail::CloudTrailEvent;
use super::keys::{Key, NamedKey, STRUCTURAL_KEYS};
use super::recognition::Likely;
use super::value::{FieldValue, OutputUrl};
use super::{MAX_NESTING, RecordError};
use crate::model::field::{Field, FieldKind, STORED_FIELDS};
use crate::model::session::{Session, Value};

/// What the reader found, before it is told apart for the caller.
pub(super) enum Shape<'a> {
    Session(Session<'a>),
    Sessions(Vec<Session<'a>>),
    Event {
        wrapped: bool,
        event: CloudTrailEvent<'a>,
    },
    /// An object that is none of these; `likely` when the reader already knows what it is.
    NotASession(Option<Likely>),
}

/// Reads any record, and reports where a broken one goes wrong.
pub(super) fn read(text: &str) -> Result<Shape<'_>, RecordError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let shape = deserializer
        .deserialize_any(RecordVisitor { nested: false })
        .map_err(from_json)?;
    deserializer.end().map_err(from_json)?;
    Ok(shape)
}

fn from_json(error: serde_json::Error) -> RecordError {
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
    RecordError::Malformed {
        message,
        line: error.line(),
        column: error.column(),
    }
}

/// The values of one naming of the Session members: the API's own keys, or CloudQuery's
/// columns. A record naming a field twice is ambiguous (parsers disagree on which value wins),
/// and a policy engine must not pick one silently.
#[derive(Default)]
struct Members<'a> {
    values: [Option<Value<'a>>; STORED_FIELDS],
    seen: [bool; STORED_FIELDS],
}

impl<'a> Members<'a> {
    /// Notes that the record names `field`, before its value is read, so that a repeated key is
    /// reported where it stands.
    fn claim<E: de::Error>(&mut self, field: Field) -> Result<(), E> {
        match field.slot().and_then(|slot| self.seen.get_mut(slot)) {
            Some(true) => Err(E::custom(format_args!("duplicate field `{field}`"))),
            Some(flag) => {
                *flag = true;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn put(&mut self, field: Field, value: Option<Value<'a>>) {
        if let Some(stored) = field.slot().and_then(|slot| self.values.get_mut(slot)) {
            *stored = value;
        }
    }

    /// Stores `OutputUrl`, claimed already, and its members, which are claimed here.
    fn put_output_url<E: de::Error>(&mut self, output: OutputUrl<'a>) -> Result<(), E> {
        self.put(Field::OutputUrl, output.value);
        for (member, value) in output.members {
            self.claim(member)?;
            self.put(member, value);
        }
        Ok(())
    }

    fn any(&self) -> bool {
        self.seen.contains(&true)
    }

    fn named(&self, field: Field) -> bool {
        field
            .slot()
            .and_then(|slot| self.seen.get(slot))
            .is_some_and(|seen| *seen)
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
        let mut members = Members::default();
        let mut columns = Members::default();
        let mut cloudquery_meta = false;
        let mut seen_structural = [false; STRUCTURAL_KEYS];
        let mut event = CloudTrailEvent::default();
        let mut is_event = false;
        let mut detail: Option<CloudTrailEvent<'de>> = None;
        let mut detail_type = false;
        let mut envelope_source = None;
        let mut sessions: Option<Vec<Session<'de>>> = None;
        // Keys that are neither members nor used, and CloudQuery's keys, in the order written.
        let mut unknown: Vec<Cow<'de, str>> = Vec::new();
        let mut foreign: Vec<Cow<'de, str>> = Vec::new();

        while let Some(NamedKey { key, name }) = map.next_key::<NamedKey>()? {
            if let Some((slot, structural)) = key.structural()
                && let Some(flag) = seen_structural.get_mut(slot)
            {
                if *flag {
                    return Err(de::Error::custom(format_args!(
                        "duplicate key `{structural}`"
                    )));
                }
                *flag = true;
            }
            match key {
                Key::Field(Field::OutputUrl) => {
                    members.claim(Field::OutputUrl)?;
                    members.put_output_url(map.next_value::<OutputUrl<'de>>()?)?;
                }
                Key::Field(field) => {
                    members.claim(field)?;
                    let value = map.next_value::<Option<FieldValue<'de>>>()?;
                    members.put(field, value.map(|v| v.0));
                }
                Key::Column(field) => {
                    columns_store(&mut columns, field, &mut map)?;
                    foreign.push(name);
                }
                Key::CloudQueryMeta => {
                    cloudquery_meta = true;
                    map.next_value::<IgnoredAny>()?;
                    foreign.push(name);
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
                Key::Detail if !self.nested => {
                    detail = map.next_value()?;
                    foreign.push(name);
                }
                Key::DetailType => {
                    detail_type = true;
                    map.next_value::<IgnoredAny>()?;
                    foreign.push(name);
                }
                Key::EnvelopeSource => {
                    if let Some(FieldValue(Value::String(source))) = map.next_value()? {
                        envelope_source = Some(source);
                    }
                    foreign.push(name);
                }
                Key::Sessions | Key::Detail | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    unknown.push(name);
                }
            }
        }

        // EventBridge events always carry `detail-type` and `source` beside `detail`; a
        // `detail` alone is some other document's key.
        if let Some(mut detail) = detail
            && (detail_type || envelope_source.is_some())
        {
            detail.envelope_source = envelope_source;
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
        if members.any() {
            let mut session = Session::from_values(members.values);
            for name in foreign.into_iter().chain(unknown) {
                session.add_unknown_key(name);
            }
            return Ok(Shape::Session(session));
        }
        // A CloudQuery row: its own columns say so, or, in a selection of columns, the
        // session's id does with nothing beside the table's columns. Generic words such as
        // `status` or `target` alone are not enough to take a document for a session.
        if columns.any()
            && (cloudquery_meta || (columns.named(Field::SessionId) && unknown.is_empty()))
        {
            let mut session = Session::from_values(columns.values);
            for name in unknown {
                session.add_unknown_key(name);
            }
            return Ok(Shape::Session(session));
        }
        Ok(Shape::NotASession(None))
    }
}

/// Reads a CloudQuery column's value into the form the API gives the same member.
fn columns_store<'de, A: MapAccess<'de>>(
    columns: &mut Members<'de>,
    field: Field,
    map: &mut A,
) -> Result<(), A::Error> {
    columns.claim(field)?;
    if field == Field::OutputUrl {
        let output = map.next_value::<OutputUrl<'de>>()?;
        if let Some(Value::String(text)) = &output.value
            && let Some(members) = cloudquery::output_url_members(text)
        {
            return columns.put_output_url(OutputUrl {
                value: Some(Value::OutputUrl),
                members,
            });
        }
        return columns.put_output_url(output);
    }
    let value = map.next_value::<Option<FieldValue<'de>>>()?.map(|v| v.0);
    let value = match (field.kind(), value) {
        (FieldKind::Timestamp, Some(Value::String(text))) => {
            Some(Value::String(cloudquery::timestamp(text)))
        }
        (_, value) => value,
    };
    columns.put(field, value);
    Ok(())
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
            _ => Err(de::Error::custom(
                "an element of `Sessions` is not a Session: it names no member of Session",
            )),
        }
    }
}
