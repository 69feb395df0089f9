//! A violation as the CI formats (SARIF, GitHub, JUnit) write it, borrowed either from an owned
//! violation and its record's result, or, where records are evaluated, from what evaluation
//! found and the record itself: one writer per format serves both, so their bytes agree.

use std::fmt::Write as _;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::jsonl::{ActualRef, Scratch};
use crate::check::RecordResult;
use crate::model::{Field, Read, Session, Timestamp, UnreadableOperand};
use crate::policy::{Decision, Exception, Policy, Rule, Violation};

/// The record a finding is in: where it is and whose session it was.
#[derive(Debug)]
pub(crate) struct Subject<'a> {
    pub source: &'a str,
    pub line: u64,
    pub session_id: Option<&'a str>,
    pub target: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub start: Option<Timestamp>,
    pub decision: Decision,
}

impl<'a> Subject<'a> {
    /// The record of a result handed to a reporter.
    pub fn of(result: &'a RecordResult<'_>) -> Self {
        Self {
            source: &result.source,
            line: result.line,
            session_id: result.session_id.as_deref(),
            target: result.target.as_deref(),
            owner: result.owner.as_deref(),
            start: result.start,
            decision: result.evaluation.decision,
        }
    }

    /// A record where it is evaluated, its values borrowed from the session; as the checker
    /// names records ([`RecordResult`]), so that both ways write the same.
    pub fn in_session(
        source: &'a str,
        line: u64,
        session: &'a Session<'_>,
        decision: Decision,
    ) -> Self {
        let text = |field| match session.text(field) {
            Read::Value(text) => Some(text),
            _ => None,
        };
        Self {
            source,
            line,
            session_id: text(Field::SessionId),
            target: text(Field::Target),
            owner: text(Field::Owner),
            start: session.start(),
            decision,
        }
    }
}

/// One rule the record broke, with its words.
pub(crate) struct Finding<'a> {
    pub policy: &'a Policy,
    pub rule: &'a Rule,
    pub field: Field,
    pub actual: ActualRef<'a>,
    pub expected: &'a str,
    /// The message as the formats that print it want it: with or without the reason a value
    /// was unreadable added (see [`add_reason`]).
    pub message: &'a str,
    pub unreadable: Option<&'a UnreadableOperand>,
    pub waived_by: Option<&'a Exception>,
}

impl<'a> Finding<'a> {
    /// An owned violation, with `message` for its words.
    pub fn of(violation: &'a Violation<'_>, message: &'a str) -> Self {
        Self {
            policy: violation.policy,
            rule: violation.rule,
            field: violation.field,
            actual: ActualRef::Json(&violation.actual),
            expected: &violation.expected,
            message,
            unreadable: violation.unreadable.as_ref(),
            waived_by: violation.waived_by,
        }
    }

    /// `policy/rule`.
    pub fn id(&self) -> &'a str {
        self.rule.qualified_id()
    }
}

/// Calls `write` with each breach of the scratch's list as a finding, and the scratch's text
/// and splices to write it to: its message written into the scratch's reused buffer (with the
/// unreadable reason added where `with_reason`), its value borrowed from the session, so that
/// a finding costs no allocation.
pub(crate) fn each_breach(
    out: &mut Scratch<'_>,
    session: &Session<'_>,
    now: Timestamp,
    with_reason: bool,
    mut write: impl FnMut(&mut Vec<u8>, &mut Vec<usize>, &Finding<'_>),
) {
    let Scratch {
        text,
        splices,
        breaches,
        message,
        ..
    } = out;
    for breach in breaches.iter() {
        let actual = breach.actual(session, now);
        message.clear();
        breach.write_message(session, now, &actual, message);
        let unreadable = breach.failure.reason.as_ref();
        if with_reason {
            add_reason(message, breach.rule, unreadable);
        }
        let finding = Finding {
            policy: breach.policy,
            rule: breach.rule,
            field: breach.failure.field,
            actual: ActualRef::of(&actual),
            expected: breach.failure.expected,
            message,
            unreadable,
            waived_by: breach.waived_by,
        };
        write(text, splices, &finding);
    }
}

/// Adds to a violation's message the reason a value was unreadable where the message does not
/// give it, which is where the rule writes its own (the default message always says why): the
/// message as the formats read by people show it.
pub(crate) fn add_reason(
    message: &mut String,
    rule: &Rule,
    unreadable: Option<&UnreadableOperand>,
) {
    if let Some(reason) = unreadable
        && rule.has_message()
    {
        // Writing to a String cannot fail.
        let _ = write!(message, " (unreadable: {reason})");
    }
}

/// An instant as its `Display` writes it (RFC 3339 in UTC), on the stack: that `Display`
/// formats into a new string each time, and reports write an instant per violation.
pub(crate) struct InstantText {
    bytes: [u8; 40],
    len: usize,
}

impl InstantText {
    pub fn of(at: Timestamp) -> Self {
        let mut bytes = [0; 40];
        let mut rest = &mut bytes[..];
        let nanos = i128::from(at.as_micros()) * 1_000;
        let formatted = OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|datetime| datetime.format_into(&mut rest, &Rfc3339).ok());
        if formatted.is_none() {
            // Outside the years RFC 3339 can write, as `Display` writes it.
            rest = &mut bytes[..];
            let _ = std::io::Write::write_fmt(&mut rest, format_args!("{}µs", at.as_micros()));
        }
        // Measured by what the writes took of the buffer: the count `format_into` returns
        // falls short of it where there is a fraction.
        let len = 40 - rest.len();
        Self { bytes, len }
    }

    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..self.len).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_as_display_writes_them() {
        let micros = [
            0,
            1,
            -1,
            999_999,
            1_000_000,
            1_772_366_400_123_456,
            1_772_366_400_100_000,
            1_772_366_400_000_010,
            -62_135_596_800_000_000,
            253_402_300_799_999_999,
            253_402_300_800_000_000,
            i64::MAX,
            i64::MIN,
        ];
        for micros in micros {
            let at = Timestamp::from_micros(micros);
            assert_eq!(InstantText::of(at).as_str(), at.to_string(), "{micros}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_instant_is_written_as_display_writes_it(
            micros in -62_135_596_800_000_000i64..253_402_300_800_000_000
        ) {
            let at = Timestamp::from_micros(micros);
            let text = InstantText::of(at);
            proptest::prop_assert_eq!(text.as_str(), at.to_string());
        }
    }
}
