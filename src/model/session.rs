//! A Session record as read from JSON: the values of its fields and typed reads of them.

use std::borrow::Cow;
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use super::field::{Field, FieldKind, STORED_FIELDS};
use super::owner::{OwnerCache, OwnerParts};
use super::tags::{SessionTags, TagRead};
use super::timestamp::{Timestamp, TimestampError};

/// A JSON value of a record field, kept as the record wrote it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A string, borrowed from the input where it has no escapes.
    String(Cow<'a, str>),
    /// A number.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// An array or object where the API has a scalar, kept whole for reports.
    Composite(Box<serde_json::Value>),
    /// `OutputUrl` as the object the API defines; its members are stored as fields of their own.
    OutputUrl,
}

/// The JSON types the `type` operator names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Boolean,
    Object,
    Array,
}

impl JsonType {
    /// Every type, for diagnostics.
    pub const ALL: &'static [JsonType] = &[
        Self::String,
        Self::Number,
        Self::Boolean,
        Self::Object,
        Self::Array,
    ];

    /// The name policies use.
    pub fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Object => "object",
            Self::Array => "array",
        }
    }

    /// Resolves a policy's type name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }

    fn article(self) -> &'static str {
        match self {
            Self::Object | Self::Array => "an",
            _ => "a",
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Value<'_> {
    /// The value's JSON type.
    pub fn json_type(&self) -> JsonType {
        match self {
            Self::String(_) => JsonType::String,
            Self::Number(_) => JsonType::Number,
            Self::Bool(_) => JsonType::Boolean,
            Self::Composite(value) if value.is_array() => JsonType::Array,
            Self::Composite(_) | Self::OutputUrl => JsonType::Object,
        }
    }

    /// Whether dropping the value frees memory.
    fn owns(&self) -> bool {
        matches!(self, Self::String(Cow::Owned(_)) | Self::Composite(_))
    }

    /// Detaches the value from the input buffer.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Self::String(text) => Value::String(Cow::Owned(text.into_owned())),
            Self::Number(n) => Value::Number(n),
            Self::Bool(b) => Value::Bool(b),
            Self::Composite(v) => Value::Composite(v),
            Self::OutputUrl => Value::OutputUrl,
        }
    }
}

/// The outcome of reading a field as an operator needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    /// Missing from the record, or `null`.
    Absent,
    /// Read as needed.
    Value(T),
    /// Present but not readable as needed; the reason goes into the violation.
    Unreadable(Unreadable),
}

/// Why a present value could not be read as an operator needs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unreadable {
    #[error("it is {} {found}, not {expected}", found.article())]
    WrongType {
        found: JsonType,
        expected: &'static str,
    },
    #[error("`{text}` is not a number of minutes")]
    NotMinutes { text: String },
    #[error("{0}")]
    NotATimestamp(#[from] TimestampError),
    #[error("{field} cannot be read: {reason}")]
    Input {
        field: Field,
        reason: Box<Unreadable>,
    },
}

/// Why an operator could not judge a field: a value it needed was unreadable, or absent. It
/// travels with the violation, so that outputs say why even when a rule writes its own message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UnreadableOperand {
    /// The value of the field the check is on.
    #[error("{0}")]
    Field(Unreadable),
    /// The value of the field it is compared with (`lte: { field: MaxSessionDuration }`).
    #[error("{field}: {reason}")]
    Operand { field: Field, reason: Unreadable },
    /// The field it is compared with is absent.
    #[error("{field} is absent")]
    AbsentOperand { field: Field },
    /// The reason as a result object wrote it, read back by `merge`.
    #[error("{0}")]
    Recorded(String),
    /// A tag field whose tags could not be learned: the rule could not be judged.
    #[error("{field} could not be learned: {reason}")]
    UnknownTags { field: Field, reason: String },
}

/// Outputs write the reason as the sentence it displays as.
impl serde::Serialize for UnreadableOperand {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Whether `text` is empty or only whitespace, as `present` and messages judge text. Text
/// nearly always starts with a character that is not, which is seen in its first byte; only
/// then is Unicode's whitespace looked at.
pub fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(&first) if first.is_ascii() && !char::from(first).is_whitespace() => false,
        _ => text.trim().is_empty(),
    }
}

/// A Session record: the values of the API's fields, read once, with typed accessors.
///
/// Derived fields are computed on demand from the stored ones, since each is cheap and most
/// records never need them.
#[derive(Debug, Clone, PartialEq)]
pub struct Session<'a> {
    values: Values<'a>,
    start: Read<Timestamp>,
    end: Read<Timestamp>,
    /// `MaxSessionDuration` as minutes, where it reads as a number: read once, since rules
    /// compare with it more than once a record (a cap, and the duration against the cap).
    cap: Option<f64>,
    /// Where `Owner`'s account, role and name lie, found the first time a rule reads one.
    owner: OwnerCache,
    /// Keys of the record that are not members of `Session`, as written: allowed, since AWS
    /// adds members, but reported so that a misspelt export column is seen.
    unknown_keys: Vec<Cow<'a, str>>,
    /// The tags of the target, its cluster and the owner, where a policy set reads them: no
    /// record carries them; an inventory or a lookup gives them.
    tags: Option<Arc<SessionTags>>,
}

impl Default for Session<'_> {
    fn default() -> Self {
        Self {
            values: Values::default(),
            start: Read::Absent,
            end: Read::Absent,
            cap: None,
            owner: OwnerCache::default(),
            unknown_keys: Vec::new(),
            tags: None,
        }
    }
}

/// A record's stored values, indexed by `Field` slot.
///
/// Dropped with a single test where no value owns memory, as for nearly every record read
/// from an export: the drop the compiler writes for the array is unrolled, a kilobyte of
/// code run for every record, which pushed the rest of the hot path out of the instruction
/// cache.
#[derive(Debug, Clone, Default)]
struct Values<'a> {
    slots: ManuallyDrop<[Option<Value<'a>>; STORED_FIELDS]>,
    /// Whether any slot holds a value that owns memory.
    owning: bool,
}

impl<'a> Values<'a> {
    fn new(slots: [Option<Value<'a>>; STORED_FIELDS]) -> Self {
        let owning = slots.iter().flatten().any(Value::owns);
        Self {
            slots: ManuallyDrop::new(slots),
            owning,
        }
    }

    fn get(&self, slot: usize) -> Option<&Option<Value<'a>>> {
        self.slots.get(slot)
    }

    /// Stores a value in a slot; `None` if there is no such slot.
    #[inline(always)]
    fn set(&mut self, slot: usize, value: Option<Value<'a>>) -> Option<()> {
        self.owning |= value.as_ref().is_some_and(Value::owns);
        *self.slots.get_mut(slot)? = value;
        Some(())
    }

    fn take(&mut self) -> [Option<Value<'a>>; STORED_FIELDS] {
        self.owning = false;
        std::mem::take(&mut *self.slots)
    }
}

impl PartialEq for Values<'_> {
    fn eq(&self, other: &Self) -> bool {
        *self.slots == *other.slots
    }
}

impl Drop for Values<'_> {
    fn drop(&mut self) {
        if self.owning {
            self.release();
        }
    }
}

impl Values<'_> {
    #[cold]
    #[inline(never)]
    fn release(&mut self) {
        drop(self.take());
    }
}

impl<'a> Session<'a> {
    /// A record from its stored values, indexed by `Field` slot.
    pub(crate) fn from_values(values: [Option<Value<'a>>; STORED_FIELDS]) -> Self {
        let mut session = Self {
            values: Values::new(values),
            ..Self::default()
        };
        session.read_typed();
        session
    }

    /// Stores a field's value in its slot, for a reader filling a record in place;
    /// [`Session::read_typed`] must follow. `None` for a field that has no slot.
    #[inline(always)]
    pub(crate) fn store(&mut self, slot: usize, value: Option<Value<'a>>) -> Option<()> {
        self.values.set(slot, value)
    }

    /// Reads the start, the end and the cap again from the stored values.
    pub(crate) fn read_typed(&mut self) {
        self.start = self.read_timestamp(Field::StartDate);
        self.end = self.read_timestamp(Field::EndDate);
        self.cap = self.minutes(Field::MaxSessionDuration);
        self.owner = OwnerCache::default();
    }

    /// A record with the given values; later values of one field replace earlier ones.
    pub fn with(values: impl IntoIterator<Item = (Field, Value<'a>)>) -> Self {
        let mut stored: [Option<Value<'a>>; STORED_FIELDS] = Default::default();
        for (field, value) in values {
            if let Some(slot) = field.slot().and_then(|slot| stored.get_mut(slot)) {
                *slot = Some(value);
            }
        }
        Self::from_values(stored)
    }

    /// Detaches the record from the input buffer it borrows from.
    pub fn into_owned(mut self) -> Session<'static> {
        let values = self.values.take();
        Session {
            values: Values::new(values.map(|value| value.map(Value::into_owned))),
            start: self.start,
            end: self.end,
            cap: self.cap,
            owner: self.owner,
            unknown_keys: self
                .unknown_keys
                .into_iter()
                .map(|key| Cow::Owned(key.into_owned()))
                .collect(),
            tags: self.tags,
        }
    }

    /// The record judged with these tags.
    pub fn set_tags(&mut self, tags: Arc<SessionTags>) {
        self.tags = Some(tags);
    }

    /// The tags the record is judged with, if any were given.
    pub fn tags(&self) -> Option<&SessionTags> {
        self.tags.as_deref()
    }

    /// A tag field as read from the given tags; unknown where none were given.
    pub fn tag(&self, field: Field) -> Option<TagRead<'_>> {
        let tag = field.tag()?;
        Some(match &self.tags {
            Some(tags) => tags.read(tag),
            None => TagRead::Unknown(NO_TAG_SOURCE),
        })
    }

    /// Keys of the record that are not members of `Session`, in the order written.
    pub fn unknown_keys(&self) -> &[Cow<'a, str>] {
        &self.unknown_keys
    }

    /// Notes a key of the record that is not a member of `Session`.
    pub(crate) fn add_unknown_key(&mut self, key: Cow<'a, str>) {
        self.unknown_keys.push(key);
    }

    /// The stored value of a field, `None` where absent or derived.
    pub fn value(&self, field: Field) -> Option<&Value<'a>> {
        self.values.get(field.slot()?)?.as_ref()
    }

    /// The field as text, for string operators.
    #[inline(always)]
    pub fn text(&self, field: Field) -> Read<&str> {
        match field {
            Field::OwnerAccount => self.owner_part(OwnerParts::account),
            Field::OwnerName => self.owner_part(OwnerParts::name),
            Field::OwnerRole => self.owner_part(OwnerParts::role),
            // An unknown tag is judged before any operator reads it (see `Condition::judge`).
            Field::Tag(_) => match self.tag(field) {
                Some(TagRead::Value(text)) => Read::Value(text),
                _ => Read::Absent,
            },
            _ => match self.value(field) {
                None => Read::Absent,
                Some(Value::String(text)) => Read::Value(text),
                Some(other) => Read::Unreadable(Unreadable::WrongType {
                    found: other.json_type(),
                    expected: "a string",
                }),
            },
        }
    }

    /// The field as a number, for numeric operators; `now` ends active sessions' `Duration`.
    pub fn number(&self, field: Field, now: Timestamp) -> Read<f64> {
        if field == Field::Duration {
            return self.duration(now);
        }
        match self.value(field) {
            None => Read::Absent,
            Some(Value::Number(n)) => Read::Value(*n),
            Some(Value::String(text)) => match parse_minutes(text) {
                Some(n) => Read::Value(n),
                None => Read::Unreadable(Unreadable::NotMinutes {
                    text: text.to_string(),
                }),
            },
            Some(other) => Read::Unreadable(Unreadable::WrongType {
                found: other.json_type(),
                expected: "a number",
            }),
        }
    }

    /// The field's number where [`Session::number`] reads one, without why it does not: what
    /// comparisons judge by, on every record, so that they build no reason and drop none.
    #[inline]
    pub(crate) fn number_value(&self, field: Field, now: Timestamp) -> Option<f64> {
        if field == Field::Duration {
            let Read::Value(start) = self.start else {
                return None;
            };
            return match self.end {
                Read::Value(end) => Some(end.minutes_since(start)),
                Read::Absent => Some(now.minutes_since(start)),
                Read::Unreadable(_) => None,
            };
        }
        if field == Field::MaxSessionDuration {
            return self.cap;
        }
        self.minutes(field)
    }

    /// A stored field's number, or its text read as minutes.
    fn minutes(&self, field: Field) -> Option<f64> {
        match self.value(field)? {
            Value::Number(n) => Some(*n),
            Value::String(text) => parse_minutes(text),
            _ => None,
        }
    }

    /// The field as an instant, for temporal operators.
    pub fn instant(&self, field: Field) -> Read<Timestamp> {
        match field {
            Field::StartDate => self.start.clone(),
            Field::EndDate => self.end.clone(),
            _ => Read::Absent,
        }
    }

    /// The session's start, where it has a readable one (without the clone of
    /// [`Session::instant`], which carries why it could not be read).
    pub fn start(&self) -> Option<Timestamp> {
        match self.start {
            Read::Value(start) => Some(start),
            _ => None,
        }
    }

    /// The instant exceptions are judged at: the session's start, or `now` without a readable one.
    pub fn started_at_or(&self, now: Timestamp) -> Timestamp {
        match self.start {
            Read::Value(start) => start,
            _ => now,
        }
    }

    /// The JSON type of the field's value, `None` where absent.
    pub fn json_type(&self, field: Field, now: Timestamp) -> Option<JsonType> {
        if field.is_derived() {
            return match field.kind() {
                FieldKind::Number => {
                    matches!(self.number(field, now), Read::Value(_)).then_some(JsonType::Number)
                }
                _ => matches!(self.text(field), Read::Value(_)).then_some(JsonType::String),
            };
        }
        self.value(field).map(Value::json_type)
    }

    /// Whether the field is present (not missing, not `null`).
    pub fn exists(&self, field: Field, now: Timestamp) -> bool {
        match field {
            Field::Duration => !matches!(self.duration(now), Read::Absent),
            _ if field.is_derived() => matches!(self.text(field), Read::Value(_)),
            _ => self.value(field).is_some(),
        }
    }

    /// The field's value as JSON, for reports: `null` where absent.
    pub fn actual(&self, field: Field, now: Timestamp) -> serde_json::Value {
        match self.actual_ref(field, now) {
            Actual::Text(text) => serde_json::Value::String(text.to_owned()),
            Actual::Json(value) => value,
        }
    }

    /// The field's value for reports, borrowing text from the record: what a report writes
    /// per violation, so a string value (most of them) costs no allocation.
    pub fn actual_ref(&self, field: Field, now: Timestamp) -> Actual<'_> {
        use serde_json::Value as Json;
        if field.is_derived() {
            return match field.kind() {
                FieldKind::Number => match self.number(field, now) {
                    Read::Value(n) => Actual::Json(json_number(round_minutes(n))),
                    _ => Actual::Json(Json::Null),
                },
                _ => match self.text(field) {
                    Read::Value(text) => Actual::Text(text),
                    _ => Actual::Json(Json::Null),
                },
            };
        }
        Actual::Json(match self.value(field) {
            None => Json::Null,
            Some(Value::String(text)) => return Actual::Text(text),
            Some(Value::Number(n)) => json_number(*n),
            Some(Value::Bool(b)) => Json::Bool(*b),
            Some(Value::Composite(value)) => (**value).clone(),
            Some(Value::OutputUrl) => {
                let mut members = serde_json::Map::new();
                for member in [Field::S3OutputUrl, Field::CloudWatchOutputUrl] {
                    if self.value(member).is_some() {
                        let name = member.name().trim_start_matches("OutputUrl.");
                        members.insert(name.to_owned(), self.actual(member, now));
                    }
                }
                Json::Object(members)
            }
        })
    }

    /// The field's value as a message shows it: text as is, `-` where absent.
    pub fn display(&self, field: Field, now: Timestamp) -> String {
        let mut out = String::new();
        self.write_display(field, now, &mut out);
        out
    }

    /// Appends [`Session::display`] to `out`, without allocating for text values.
    pub(crate) fn write_display(&self, field: Field, now: Timestamp, out: &mut impl fmt::Write) {
        // The sinks messages are written to (a String, JSON text) cannot fail.
        let _ = match self.actual_ref(field, now) {
            Actual::Text(text) => out.write_str(text),
            Actual::Json(serde_json::Value::Null) => out.write_char('-'),
            Actual::Json(other) => write!(out, "{other}"),
        };
    }

    fn owner_part<'s>(
        &'s self,
        part: fn(&OwnerParts, &'s str) -> Option<&'s str>,
    ) -> Read<&'s str> {
        match self.value(Field::Owner) {
            Some(Value::String(owner)) => match part(&self.owner.parts(owner), owner) {
                Some(text) => Read::Value(text),
                None => Read::Absent,
            },
            _ => Read::Absent,
        }
    }

    fn duration(&self, now: Timestamp) -> Read<f64> {
        let Read::Value(start) = self.start else {
            return Read::Absent;
        };
        match &self.end {
            Read::Value(end) => Read::Value(end.minutes_since(start)),
            Read::Absent => Read::Value(now.minutes_since(start)),
            Read::Unreadable(reason) => Read::Unreadable(Unreadable::Input {
                field: Field::EndDate,
                reason: Box::new(reason.clone()),
            }),
        }
    }

    fn read_timestamp(&self, field: Field) -> Read<Timestamp> {
        let parsed = match self.value(field) {
            None => return Read::Absent,
            Some(Value::String(text)) => Timestamp::parse(text),
            Some(Value::Number(seconds)) => Timestamp::from_epoch_seconds(*seconds),
            Some(other) => {
                return Read::Unreadable(Unreadable::WrongType {
                    found: other.json_type(),
                    expected: "a timestamp",
                });
            }
        };
        match parsed {
            Ok(instant) => Read::Value(instant),
            Err(error) => Read::Unreadable(error.into()),
        }
    }
}

/// Reads whole (or decimal) minutes written as digits, as `MaxSessionDuration` holds them.
fn parse_minutes(text: &str) -> Option<f64> {
    // Whole minutes, as the API writes them, need no float parser: up to 15 digits are exact.
    if (1..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        let whole = text.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        #[expect(clippy::cast_precision_loss, reason = "below 10^15, so exact")]
        return Some(whole as f64);
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if is_digits(whole) && is_digits(fraction) {
        text.parse().ok()
    } else {
        None
    }
}

/// A number as JSON shows it: whole numbers without a fraction (`60`, not `60.0`), as records
/// and policies write them.
/// A field's value as reports show it: text borrowed from the record, anything else as JSON
/// (`null` where absent).
#[derive(Debug, Clone, PartialEq)]
pub enum Actual<'s> {
    Text(&'s str),
    Json(serde_json::Value),
}

fn json_number(n: f64) -> serde_json::Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole f64 below it is an exact i64
    if n.fract() == 0.0 && n.abs() < EXACT {
        #[expect(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
        return serde_json::Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// Why tags are unknown when no inventory or lookup gave any.
pub const NO_TAG_SOURCE: &str = "no tag source was given (pass --tags FILE or --lookup-tags)";

/// Durations are reported to the millisecond's worth of minutes, so reports stay readable and stable.
pub(crate) fn round_minutes(minutes: f64) -> f64 {
    (minutes * 1e5).round() / 1e5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value<'_> {
        Value::String(Cow::Borrowed(s))
    }

    #[test]
    fn minutes_are_digits_only() {
        assert_eq!(parse_minutes("60"), Some(60.0));
        assert_eq!(parse_minutes("1.5"), Some(1.5));
        assert_eq!(parse_minutes("abc"), None);
        assert_eq!(parse_minutes("inf"), None);
        assert_eq!(parse_minutes(""), None);
        assert_eq!(parse_minutes(" 60"), None);
        assert_eq!(parse_minutes("-5"), Some(-5.0));
        assert_eq!(parse_minutes("007"), Some(7.0));
    }

    #[test]
    fn whole_minutes_read_without_the_float_parser_agree_with_it() {
        for text in [
            "0",
            "9",
            "240",
            "1440",
            "999999999999999",
            "1000000000000000",
            "12345678901234567890",
        ] {
            assert_eq!(parse_minutes(text), text.parse().ok(), "{text}");
        }
    }

    #[test]
    fn duration_of_an_ended_session_is_end_minus_start() {
        let s = Session::with([
            (Field::StartDate, text("2026-03-09T14:00:00-04:00")),
            (Field::EndDate, text("2026-03-09T14:07:12.500000-04:00")),
        ]);
        assert_eq!(
            s.number(Field::Duration, Timestamp::now()),
            Read::Value(7.208333333333333)
        );
    }

    #[test]
    fn number_value_is_the_number_read_without_the_reason() {
        let now = Timestamp::from_micros(90 * 60 * 1_000_000);
        let sessions = [
            Session::with([
                (Field::StartDate, text("2026-03-09T14:00:00-04:00")),
                (Field::EndDate, text("2026-03-09T14:07:12.500000-04:00")),
                (Field::MaxSessionDuration, text("60")),
            ]),
            Session::with([(Field::StartDate, Value::Number(0.0))]),
            Session::with([
                (Field::StartDate, Value::Number(0.0)),
                (Field::EndDate, text("later")),
                (Field::MaxSessionDuration, text("sixty")),
            ]),
            Session::with([(Field::MaxSessionDuration, Value::Number(12.5))]),
            Session::with([(Field::MaxSessionDuration, Value::Bool(true))]),
            Session::with([(Field::MaxSessionDuration, text("-1.5"))]),
            Session::default(),
        ];
        for session in &sessions {
            for field in [Field::Duration, Field::MaxSessionDuration, Field::Target] {
                let read = match session.number(field, now) {
                    Read::Value(n) => Some(n),
                    _ => None,
                };
                assert_eq!(
                    session.number_value(field, now),
                    read,
                    "{field} of {session:?}"
                );
            }
        }
    }

    #[test]
    fn duration_of_an_active_session_runs_to_now() {
        let s = Session::with([(Field::StartDate, Value::Number(0.0))]);
        let now = Timestamp::from_micros(90 * 60 * 1_000_000);
        assert_eq!(s.number(Field::Duration, now), Read::Value(90.0));
    }

    #[test]
    fn duration_is_absent_without_a_readable_start() {
        let s = Session::with([(Field::StartDate, text("soon"))]);
        assert_eq!(s.number(Field::Duration, Timestamp::now()), Read::Absent);
        assert!(!s.exists(Field::Duration, Timestamp::now()));
    }

    #[test]
    fn a_numeric_max_session_duration_is_a_number_but_not_text() {
        let s = Session::with([(Field::MaxSessionDuration, Value::Number(60.0))]);
        assert_eq!(
            s.number(Field::MaxSessionDuration, Timestamp::now()),
            Read::Value(60.0)
        );
        assert!(matches!(
            s.text(Field::MaxSessionDuration),
            Read::Unreadable(_)
        ));
        assert_eq!(
            s.json_type(Field::MaxSessionDuration, Timestamp::now()),
            Some(JsonType::Number)
        );
    }

    #[test]
    fn owner_parts_are_derived_from_the_arn() {
        let s = Session::with([(
            Field::Owner,
            text("arn:aws:sts::210987654321:assumed-role/Dev/ana"),
        )]);
        assert_eq!(s.text(Field::OwnerAccount), Read::Value("210987654321"));
        assert_eq!(s.text(Field::OwnerRole), Read::Value("Dev"));
        assert_eq!(s.text(Field::OwnerName), Read::Value("ana"));
        let user = Session::with([(Field::Owner, text("ana"))]);
        assert_eq!(user.text(Field::OwnerName), Read::Absent);
    }
}
