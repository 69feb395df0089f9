//! Judging a started session on the API's record. A CloudTrail `StartSession` (or ECS Exec
//! `ExecuteCommand`) event names the target, document, reason, caller and time; the API's
//! `Session` also has `Status`, `MaxSessionDuration`, `AccessType`, `OutputUrl` and, for ECS
//! Exec, the whole target. So the gate reads the session with `DescribeSessions(State=Active,
//! Filters=[SessionId])` and judges that record, each field the API leaves out taken from the
//! event. When the record cannot be read in time, the event is judged alone, and the answer
//! says so (`described: false` and why).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::aws::{SessionApi, describe_started_session};
use crate::hook::{Gate, HookDecision};
use crate::model::{
    Field, ParsedRecord, Session, SessionTags, Timestamp, parse_event, parse_record,
};
use crate::tags::lookup::NoLookups;
use crate::tags::{LiveTags, TagApi, TagSubject};

/// How long the gate waits for Session Manager to list a session it has just been told of,
/// unless the caller's time budget is shorter.
pub const DESCRIBE_WAIT: Duration = Duration::from_secs(5);

/// Whether the API's record was read for a decision, and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub described: bool,
    /// Why it was not.
    pub reason: Option<String>,
    pub calls: u32,
    pub elapsed: Duration,
}

impl Described {
    /// Adds `described`, `describe_error`, `describe_calls` and `describe_ms` to an answer or
    /// a log line.
    pub fn add_to(&self, map: &mut Map<String, Value>) {
        map.insert("described".to_owned(), json!(self.described));
        if let Some(reason) = &self.reason {
            map.insert("describe_error".to_owned(), json!(reason));
        }
        map.insert("describe_calls".to_owned(), json!(self.calls));
        map.insert(
            "describe_ms".to_owned(),
            json!(u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX)),
        );
    }
}

/// The id of the session an event started: `None` for events that start none (or name none),
/// which are judged as they are.
pub fn started_session_id(event: &[u8]) -> Option<String> {
    let (info, record) = parse_event(event).ok()?;
    if !info?.starts_a_session() {
        return None;
    }
    let ParsedRecord::Session(session) = record else {
        return None;
    };
    match session.text(Field::SessionId) {
        crate::model::Read::Value(id) if !id.is_empty() => Some(id.to_owned()),
        _ => None,
    }
}

/// Decides `event` with `gate`: on the API's record when the event started a session and the
/// record can be read within `wait`, else on the event alone. `Described` is `None` for events
/// that start no session, and when the gate's policies did not load (it denies without
/// looking).
pub async fn decide_described<A: SessionApi + ?Sized>(
    gate: &Gate,
    api: &A,
    event: &[u8],
    now: Timestamp,
    wait: Duration,
) -> (HookDecision, Option<Described>) {
    decide_described_with_tags::<A, NoLookups>(gate, api, event, now, wait, None).await
}

/// As [`decide_described`], the session judged with its tags from `tags`, for the families
/// the policies read; a session they deny is judged again with its tags read afresh, past the
/// cache, since a deny may end it.
pub async fn decide_described_with_tags<A: SessionApi + ?Sized, T: TagApi>(
    gate: &Gate,
    api: &A,
    event: &[u8],
    now: Timestamp,
    wait: Duration,
    tags: Option<&LiveTags<T>>,
) -> (HookDecision, Option<Described>) {
    let families = gate
        .policies()
        .map(|set| set.tag_families())
        .unwrap_or_default();
    let tags = tags.filter(|_| !families.is_empty());
    let (decision, described) = decide_once(gate, api, event, now, wait, tags, false).await;
    match tags {
        Some(tags) if !decision.allowed && decision.evaluated => {
            let (again, _) = decide_once(gate, api, event, now, wait, Some(tags), true).await;
            (again, described)
        }
        _ => (decision, described),
    }
}

/// The tags of the session an event (or the API's record) names.
async fn tags_of<T: TagApi>(
    session: &Session<'_>,
    gate: &Gate,
    tags: &LiveTags<T>,
    fresh: bool,
) -> Arc<SessionTags> {
    let families = gate
        .policies()
        .map(|set| set.tag_families())
        .unwrap_or_default();
    Arc::new(tags.lookup(&TagSubject::of(session), families, fresh).await)
}

async fn decide_once<A: SessionApi + ?Sized, T: TagApi>(
    gate: &Gate,
    api: &A,
    event: &[u8],
    now: Timestamp,
    wait: Duration,
    tags: Option<&LiveTags<T>>,
    fresh: bool,
) -> (HookDecision, Option<Described>) {
    let event_tags = match (tags, parse_event(event)) {
        (Some(tags), Ok((_, ParsedRecord::Session(session)))) => {
            Some(tags_of(&session, gate, tags, fresh).await)
        }
        _ => None,
    };
    let decide_event =
        |event_tags: Option<Arc<SessionTags>>| gate.decide_with_tags(event, now, event_tags);
    let Some(session_id) = started_session_id(event).filter(|_| gate.is_ready()) else {
        return (decide_event(event_tags), None);
    };
    let outcome = describe_started_session(api, &session_id, wait).await;
    let mut described = Described {
        described: false,
        reason: None,
        calls: outcome.calls,
        elapsed: outcome.elapsed,
    };
    let record = outcome
        .record
        .and_then(|record| serde_json::to_vec(&record).map_err(|e| e.to_string()));
    match record {
        Ok(bytes) => match merged(&bytes, event) {
            Ok(mut session) => {
                described.described = true;
                if let Some(tags) = tags {
                    session.set_tags(tags_of(&session, gate, tags, fresh).await);
                }
                (gate.decide_record(&session, now), Some(described))
            }
            Err(why) => {
                described.reason = Some(why);
                (decide_event(event_tags), Some(described))
            }
        },
        Err(why) => {
            described.reason = Some(why);
            (decide_event(event_tags), Some(described))
        }
    }
}

/// The API's record, each field it leaves out taken from the event's record.
fn merged(api_record: &[u8], event: &[u8]) -> Result<Session<'static>, String> {
    let api = match parse_record(api_record) {
        Ok(ParsedRecord::Session(session)) => session,
        Ok(_) => return Err("the API's answer is not one session".to_owned()),
        Err(error) => {
            return Err(format!(
                "the API's record is unreadable: {}",
                error.problem()
            ));
        }
    };
    let from_event = match parse_event(event) {
        Ok((_, ParsedRecord::Session(session))) => Some(session),
        _ => None,
    };
    let values = Field::ALL
        .iter()
        .filter(|field| !field.is_derived())
        .filter_map(|&field| {
            let value = api
                .value(field)
                .or_else(|| from_event.as_ref().and_then(|event| event.value(field)))?;
            Some((field, value.clone().into_owned()))
        });
    Ok(Session::with(values))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::model::{Read, Value as FieldValue};

    const EVENT: &[u8] = br#"{"eventSource": "ssm.amazonaws.com", "eventName": "StartSession",
        "eventTime": "2026-03-10T13:15:30Z",
        "userIdentity": {"arn": "arn:aws:sts::210987654321:assumed-role/Dev/ana"},
        "requestParameters": {"target": "i-0123456789abcdef0", "reason": "CHG-1"},
        "responseElements": {"sessionId": "ana-1", "tokenValue": "t", "streamUrl": "wss://x"}}"#;

    #[test]
    fn the_api_wins_and_the_event_fills_in() {
        let api = br#"{"SessionId": "ana-1", "Target": "i-0123456789abcdef0",
            "Status": "Connected", "MaxSessionDuration": "240", "StartDate": 1773148530}"#;
        let session = merged(api, EVENT).unwrap();
        assert_eq!(session.text(Field::Status), Read::Value("Connected"));
        assert_eq!(
            session.value(Field::MaxSessionDuration),
            Some(&FieldValue::String("240".into()))
        );
        // Only the event has these here.
        assert_eq!(session.text(Field::Reason), Read::Value("CHG-1"));
        assert_eq!(session.text(Field::OwnerName), Read::Value("ana"));
        assert_eq!(
            session.text(Field::DocumentName),
            Read::Value("SSM-SessionManagerRunShell")
        );
        // The API's start, not the event's time.
        assert_eq!(
            session.instant(Field::StartDate),
            Read::Value(Timestamp::from_epoch_seconds(1_773_148_530.0).unwrap())
        );
    }

    #[test]
    fn only_events_that_started_a_session_are_described() {
        assert_eq!(started_session_id(EVENT).as_deref(), Some("ana-1"));
        assert_eq!(started_session_id(br#"{"SessionId": "s-1"}"#), None);
        let failed = String::from_utf8_lossy(EVENT).replace(
            r#""eventTime""#,
            r#""errorCode": "AccessDenied", "eventTime""#,
        );
        assert_eq!(started_session_id(failed.as_bytes()), None);
    }
}
