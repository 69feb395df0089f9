//! Reading one record's JSON: what it is, and the Session it holds. A record is an API
//! `Session` object, a `DescribeSessions` response in one value, a CloudTrail event alone or
//! wrapped by EventBridge, or a CloudQuery `aws_ssm_sessions` row; any other object is an error
//! that says what it probably is, so that it is never judged as a session.
//!
//! Flat Session objects of plain strings, nearly every exported record, are read by the fast
//! reader in `flat`; everything else by the full reader in `full`, one pass of serde.

mod cloudquery;
mod cloudtrail;
mod flat;
mod full;
mod keys;
mod number;
mod recognition;
mod value;

pub use cloudtrail::{ECS_EVENT_SOURCE, EventInfo, SSM_EVENT_SOURCE, SkippedEvent};
pub use recognition::{Likely, Unrecognized, member_like};

use full::Shape;

use super::session::Session;

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
    /// An event that starts no Session Manager session (`TerminateSession`, a failed call,
    /// another service's `StartSession`, ...).
    OtherEvent(SkippedEvent),
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Broken JSON, or a record that is not an object; line and column count within the record.
    #[error("{message} at line {line}, column {column}")]
    Malformed {
        message: String,
        line: usize,
        column: usize,
    },
    /// Well-formed JSON that is not a Session record.
    #[error("{0}")]
    NotASession(Box<Unrecognized>),
}

impl RecordError {
    /// The line and column within the record where reading failed, 1-based; `None` when the
    /// record as a whole is the problem.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Self::Malformed { line, column, .. } => Some((*line, *column)),
            Self::NotASession(_) => None,
        }
    }

    /// What is wrong, without the position.
    pub fn problem(&self) -> String {
        match self {
            Self::Malformed { message, .. } => message.clone(),
            Self::NotASession(unrecognized) => unrecognized.to_string(),
        }
    }

    fn not_a_session(text: &str, likely: Option<Likely>) -> Self {
        Self::NotASession(Box::new(recognition::diagnose(text, likely)))
    }
}

/// Reads one record from the bytes of one JSON value.
pub fn parse_record(bytes: &[u8]) -> Result<ParsedRecord<'_>, RecordError> {
    parse_record_text(utf8(bytes)?)
}

/// Reads one record from the text of one JSON value, as [`parse_record`] reads its bytes: for
/// callers that checked a batch of records' text whole, which costs less than record by record.
pub fn parse_record_text(text: &str) -> Result<ParsedRecord<'_>, RecordError> {
    // Built where it is returned, so the common case is not copied through wrappers.
    let mut record = ParsedRecord::Session(Session::default());
    if let ParsedRecord::Session(session) = &mut record
        && flat::read_into(text, session)
    {
        if let Some(likely) = recognition::impostor(session) {
            return Err(RecordError::not_a_session(text, Some(likely)));
        }
        return Ok(record);
    }
    into_record(text, full::read(text)?)
}

/// Reads one event: the record it holds and, for CloudTrail and EventBridge events, what the
/// event says of itself (`None` for a plain Session object).
pub fn parse_event(bytes: &[u8]) -> Result<(Option<EventInfo>, ParsedRecord<'_>), RecordError> {
    let text = utf8(bytes)?;
    let mut session = Session::default();
    let shape = if flat::read_into(text, &mut session) {
        Shape::Session(session)
    } else {
        full::read(text)?
    };
    Ok(match shape {
        Shape::Event { wrapped, event } => (Some(event.info(wrapped)), event.into_record()),
        shape => (None, into_record(text, shape)?),
    })
}

fn into_record<'a>(text: &'a str, shape: Shape<'a>) -> Result<ParsedRecord<'a>, RecordError> {
    match shape {
        Shape::Session(session) => match recognition::impostor(&session) {
            Some(likely) => Err(RecordError::not_a_session(text, Some(likely))),
            None => Ok(ParsedRecord::Session(session)),
        },
        Shape::Sessions(sessions) => Ok(ParsedRecord::Sessions(sessions)),
        Shape::Event { event, .. } => Ok(event.into_record()),
        Shape::NotASession(likely) => Err(RecordError::not_a_session(text, likely)),
    }
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

/// Reads a record with the full reader alone, to check the fast path against it.
#[cfg(test)]
pub(super) fn parse_with_serde(text: &str) -> Result<ParsedRecord<'_>, RecordError> {
    into_record(text, full::read(text)?)
}

#[cfg(test)]
mod tests;
