//! CloudTrail events, alone or inside an EventBridge envelope: the ones that start a Session
//! Manager session become Sessions, every other event is passed over by its source and name.

use std::borrow::Cow;

use serde::Deserialize;

use super::ParsedRecord;
use crate::model::field::Field;
use crate::model::session::{Session, Value};

/// The CloudTrail event source of Session Manager's calls.
pub const SSM_EVENT_SOURCE: &str = "ssm.amazonaws.com";

/// The call that starts a Session Manager session.
const START_SESSION: &str = "StartSession";

/// The document CloudTrail leaves out of `requestParameters` when the caller did not name one:
/// Session Manager then runs its default shell document, and `describe-sessions` reports it.
const DEFAULT_DOCUMENT: &str = "SSM-SessionManagerRunShell";

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

impl EventInfo {
    /// Whether the event is a session that Session Manager started: a `StartSession` call to
    /// Session Manager that did not fail.
    pub fn starts_a_session(&self) -> bool {
        self.source.as_deref() == Some(SSM_EVENT_SOURCE)
            && self.name == START_SESSION
            && self.error_code.is_none()
    }
}

/// An event that started no Session Manager session: another call, a call that failed, or
/// another service's event (Amazon Athena records a `StartSession` of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEvent {
    /// `eventSource`, or the EventBridge envelope's `source` when the event names none.
    pub source: String,
    /// `eventName`, empty when the event names none.
    pub name: String,
}

/// The fields of a CloudTrail event that make a Session.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct CloudTrailEvent<'a> {
    #[serde(borrow)]
    pub(super) event_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) event_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) error_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) event_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) user_identity: Option<UserIdentity<'a>>,
    #[serde(borrow)]
    pub(super) request_parameters: Option<RequestParameters<'a>>,
    #[serde(borrow)]
    pub(super) response_elements: Option<ResponseElements<'a>>,
    /// The EventBridge envelope's `source` (`aws.ssm`), when the event came in one.
    #[serde(skip)]
    pub(super) envelope_source: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct UserIdentity<'a> {
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RequestParameters<'a> {
    #[serde(borrow)]
    target: Option<Cow<'a, str>>,
    #[serde(borrow)]
    document_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResponseElements<'a> {
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
}

impl<'a> CloudTrailEvent<'a> {
    /// What the event says of itself.
    pub(super) fn info(&self, wrapped: bool) -> EventInfo {
        EventInfo {
            wrapped,
            name: self.event_name.as_deref().unwrap_or_default().to_owned(),
            source: self.event_source.as_deref().map(str::to_owned),
            error_code: self.error_code.as_deref().map(str::to_owned),
        }
    }

    /// Whether the event is a session that Session Manager started: a `StartSession` call to
    /// Session Manager that did not fail. Another service's call of the same name, or a
    /// failed call, started no session.
    fn starts_a_session(&self) -> bool {
        self.event_source.as_deref() == Some(SSM_EVENT_SOURCE)
            && self.event_name.as_deref() == Some(START_SESSION)
            && self.error_code.is_none()
    }

    pub(super) fn into_record(self) -> ParsedRecord<'a> {
        if !self.starts_a_session() {
            let source = self
                .event_source
                .or(self.envelope_source)
                .unwrap_or(Cow::Borrowed("unknown"));
            return ParsedRecord::OtherEvent(SkippedEvent {
                source: source.into_owned(),
                name: self.event_name.unwrap_or_default().into_owned(),
            });
        }
        let (target, document, reason) = match self.request_parameters {
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
