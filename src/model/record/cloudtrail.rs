//! CloudTrail events, alone or inside an EventBridge envelope: the ones that start a Session
//! Manager session become Sessions, every other event is passed over by its source and name.
//!
//! Two calls start one: Session Manager's own `StartSession`, and ECS Exec's `ExecuteCommand`
//! (`aws ecs execute-command`), which opens a Session Manager session on a container and is
//! recorded by ECS, never as a `StartSession`.

use std::borrow::Cow;

use serde::Deserialize;

use super::ParsedRecord;
use crate::model::field::Field;
use crate::model::session::{Session, Value};

/// The CloudTrail event source of Session Manager's calls.
pub const SSM_EVENT_SOURCE: &str = "ssm.amazonaws.com";

/// The CloudTrail event source of ECS, whose `ExecuteCommand` opens a Session Manager session.
pub const ECS_EVENT_SOURCE: &str = "ecs.amazonaws.com";

/// The call that starts a Session Manager session.
const START_SESSION: &str = "StartSession";

/// ECS Exec's call, which starts a Session Manager session on a container.
const EXECUTE_COMMAND: &str = "ExecuteCommand";

/// The document of every ECS Exec session, as `describe-sessions` reports it.
const ECS_EXEC_DOCUMENT: &str = "AmazonECS-ExecuteInteractiveCommand";

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
    /// Session Manager, or an ECS Exec `ExecuteCommand`, that did not fail.
    pub fn starts_a_session(&self) -> bool {
        starts_a_session(
            self.source.as_deref(),
            &self.name,
            self.error_code.is_some(),
        )
    }

    /// Whether the event is a call that starts a session when it succeeds (`StartSession`,
    /// ECS Exec's `ExecuteCommand`), whether or not this one did.
    pub fn is_a_session_start_call(&self) -> bool {
        starts_a_session(self.source.as_deref(), &self.name, false)
    }

    /// Whether the event is ECS Exec's `ExecuteCommand`.
    pub fn is_ecs_exec(&self) -> bool {
        self.source.as_deref() == Some(ECS_EVENT_SOURCE) && self.name == EXECUTE_COMMAND
    }

    /// Whether the event is a call to Session Manager (any call) or ECS Exec's.
    pub fn is_session_manager_call(&self) -> bool {
        self.source.as_deref() == Some(SSM_EVENT_SOURCE) || self.is_ecs_exec()
    }
}

/// The one definition of an event that started a session, for [`EventInfo`] and the reader.
fn starts_a_session(source: Option<&str>, name: &str, failed: bool) -> bool {
    let starts = match source {
        Some(SSM_EVENT_SOURCE) => name == START_SESSION,
        Some(ECS_EVENT_SOURCE) => name == EXECUTE_COMMAND,
        _ => false,
    };
    starts && !failed
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
    /// ECS Exec: the cluster's name or ARN.
    #[serde(borrow)]
    cluster: Option<Cow<'a, str>>,
    /// ECS Exec: the task's id or ARN.
    #[serde(borrow)]
    task: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResponseElements<'a> {
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    /// ECS Exec: the Session Manager session it opened (`sessionId`; its `tokenValue` and
    /// `streamUrl` are secrets, and are not read).
    #[serde(borrow)]
    session: Option<EcsExecSession<'a>>,
    #[serde(borrow)]
    cluster_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    task_arn: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EcsExecSession<'a> {
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

    /// Whether the event is a session that Session Manager started. Another service's call of
    /// the same name, or a failed call, started no session.
    fn starts_a_session(&self) -> bool {
        starts_a_session(
            self.event_source.as_deref(),
            self.event_name.as_deref().unwrap_or_default(),
            self.error_code.is_some(),
        )
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
        if self.event_source.as_deref() == Some(ECS_EVENT_SOURCE) {
            return self.ecs_exec_record();
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

impl<'a> CloudTrailEvent<'a> {
    /// The session of an ECS Exec `ExecuteCommand`: its id from `responseElements.session`, the
    /// owner and start as for `StartSession`, ECS Exec's document, and as much of the target
    /// as the event knows. Session Manager names the target
    /// `ecs:<cluster name>_<task id>_<container runtime id>`, and the event carries no runtime
    /// id, so the target is `ecs:<cluster name>_<task id>_`: globs on cluster and task match it,
    /// exact targets do not. The API's record of the session has the whole target.
    fn ecs_exec_record(self) -> ParsedRecord<'a> {
        let (cluster, task) = match self.request_parameters {
            Some(r) => (r.cluster, r.task),
            None => (None, None),
        };
        let (session_id, cluster_arn, task_arn) = match self.response_elements {
            Some(r) => (
                r.session.and_then(|s| s.session_id),
                r.cluster_arn,
                r.task_arn,
            ),
            None => (None, None, None),
        };
        let cluster = cluster_arn.or(cluster);
        let task = task_arn.or(task);
        let target = match (cluster.as_deref(), task.as_deref()) {
            (Some(cluster), Some(task)) => Some(Cow::Owned(format!(
                "ecs:{}_{}_",
                last_part(cluster),
                last_part(task)
            ))),
            _ => None,
        };
        let values = [
            (Field::SessionId, session_id),
            (Field::Target, target),
            (Field::DocumentName, Some(Cow::Borrowed(ECS_EXEC_DOCUMENT))),
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

/// The name in an ARN's resource, or the name itself: `arn:...:cluster/checkout-prod` and
/// `checkout-prod` both give `checkout-prod`; `arn:...:task/checkout-prod/0abc` gives `0abc`.
fn last_part(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}
