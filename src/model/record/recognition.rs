//! Telling a Session record from everything else: what an object that is not a Session
//! probably is, and which of its keys are Session members written another way.
//!
//! Only objects with at least one member of the API's `Session` type are Sessions (besides
//! CloudTrail events, `DescribeSessions` pages and CloudQuery rows). Anything else would be
//! judged on absent fields alone, and pass; so it is an error that says what the file
//! probably holds instead, and how to get the sessions out of it where it has some.

use std::fmt;

use serde_json::{Map, Value as Json};

use crate::model::field::Field;
use crate::model::session::{Session, Value};

/// How many of an object's keys an error names; the rest are counted.
const KEYS_SHOWN: usize = 8;

/// What an object that is not a Session probably is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Likely {
    /// `{}`.
    EmptyObject,
    /// `aws ssm describe-instance-information`.
    InstanceInformation,
    /// The response of `aws ssm start-session` or `resume-session`, which carries a token.
    SessionStart,
    /// `aws ssm get-connection-status`.
    ConnectionStatus,
    /// `aws ssm list-commands`, `list-command-invocations` or `send-command`.
    Commands,
    /// `aws ssm list-documents` or `describe-document`.
    Documents,
    /// `aws ssm get-parameters` or `get-parameter`.
    Parameters,
    /// `aws ssm describe-instance-properties`.
    InstanceProperties,
    /// `aws cloudtrail lookup-events`, whose events hold CloudTrail records as JSON text.
    CloudTrailLookup,
    /// `aws ec2 describe-instances`.
    Ec2Instances,
    /// The response of `aws ecs execute-command`.
    EcsExecuteCommand,
    /// `aws sts get-caller-identity`.
    CallerIdentity,
    /// A `DescribeSessions` response inside another document, e.g. a recorded SDK call.
    WrappedSessions { path: String },
}

impl fmt::Display for Likely {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyObject => f.write_str("it is an empty object"),
            Self::InstanceInformation => f.write_str(
                "it looks like the output of `aws ssm describe-instance-information` (managed nodes, not sessions)",
            ),
            Self::SessionStart => f.write_str(
                "it looks like the response of `aws ssm start-session` or `resume-session` (a session's token, not its record); keep such files out of exports, they hold secrets",
            ),
            Self::ConnectionStatus => f.write_str(
                "it looks like the output of `aws ssm get-connection-status` (whether a node is reachable, not a session)",
            ),
            Self::Commands => f.write_str(
                "it looks like the output of `aws ssm list-commands`, `list-command-invocations` or `send-command` (Run Command, not Session Manager)",
            ),
            Self::Documents => f.write_str(
                "it looks like the output of `aws ssm list-documents` or `describe-document`",
            ),
            Self::Parameters => f.write_str(
                "it looks like the output of `aws ssm get-parameters` (Parameter Store)",
            ),
            Self::InstanceProperties => f.write_str(
                "it looks like the output of `aws ssm describe-instance-properties` (managed nodes, not sessions)",
            ),
            Self::CloudTrailLookup => f.write_str(
                "it looks like the output of `aws cloudtrail lookup-events`, whose events hold CloudTrail records as JSON text: extract them with `jq -c '.Events[].CloudTrailEvent | fromjson'`",
            ),
            Self::Ec2Instances => f.write_str(
                "it looks like the output of `aws ec2 describe-instances` (instances, not sessions)",
            ),
            Self::EcsExecuteCommand => f.write_str(
                "it looks like the response of `aws ecs execute-command` (a session's token, not its record)",
            ),
            Self::CallerIdentity => {
                f.write_str("it looks like the output of `aws sts get-caller-identity`")
            }
            Self::WrappedSessions { path } => write!(
                f,
                "it holds a DescribeSessions response inside another document (sessions at `{path}`), as a recorded SDK call does: pass the response itself, e.g. `jq '.{}'`",
                path.strip_suffix(".Sessions").unwrap_or(path)
            ),
        }
    }
}

/// An object that is not a Session record: its keys, the Session members some of them
/// resemble, and what it probably is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrecognized {
    /// The object's first keys, in alphabetical order.
    pub keys: Vec<String>,
    /// How many keys it has in all.
    pub key_count: usize,
    /// Whether some keys are Session members: the object is a response that names members
    /// but is no record (`start-session`'s answer).
    pub names_members: bool,
    /// Keys that are Session members written another way (`sessionId` for `SessionId`).
    pub suggestions: Vec<(String, Field)>,
    pub likely: Option<Likely>,
}

impl fmt::Display for Unrecognized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a Session record")?;
        if self.key_count > 0 {
            f.write_str(if self.names_members {
                ": its keys are "
            } else {
                ": none of its keys ("
            })?;
            for (i, key) in self.keys.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                write!(f, "{sep}`{key}`")?;
            }
            if self.key_count > self.keys.len() {
                write!(f, " and {} more", self.key_count - self.keys.len())?;
            }
            if !self.names_members {
                f.write_str(") is a member of Session")?;
            }
        }
        for (i, (key, field)) in self.suggestions.iter().enumerate() {
            let lead = if i == 0 { "; did you mean" } else { "," };
            write!(f, "{lead} `{field}` for `{key}`")?;
        }
        if !self.suggestions.is_empty() {
            f.write_str("?")?;
        }
        if let Some(likely) = &self.likely {
            write!(f, "; {likely}")?;
        }
        Ok(())
    }
}

/// Says what an object that is not a Session is; `text` is its JSON. Only the error path comes
/// here, so it reads the object whole, which the readers take care not to do.
pub(super) fn diagnose(text: &str, likely: Option<Likely>) -> Unrecognized {
    let object = match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(object)) => object,
        _ => Map::new(),
    };
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let is_member = |key: &str| Field::from_name(key).is_some_and(|f| !f.is_derived());
    Unrecognized {
        keys: keys
            .iter()
            .take(KEYS_SHOWN)
            .map(|k| (*k).to_owned())
            .collect(),
        key_count: keys.len(),
        names_members: keys.iter().any(|key| is_member(key)),
        suggestions: keys
            .iter()
            .filter(|key| !is_member(key))
            .filter_map(|key| Some(((*key).to_owned(), member_like(key)?)))
            .collect(),
        likely: likely.or_else(|| likely_shape(&object)),
    }
}

/// What an object probably is, by the keys of the responses it is easily mixed up with.
fn likely_shape(object: &Map<String, Json>) -> Option<Likely> {
    let has = |key: &str| object.contains_key(key);
    Some(if object.is_empty() {
        Likely::EmptyObject
    } else if has("InstanceInformationList") {
        Likely::InstanceInformation
    } else if has("TokenValue") && has("StreamUrl") {
        Likely::SessionStart
    } else if has("Commands") || has("CommandInvocations") || has("Command") {
        Likely::Commands
    } else if has("DocumentIdentifiers") || has("Document") {
        Likely::Documents
    } else if has("Parameters") || has("Parameter") {
        Likely::Parameters
    } else if has("InstanceProperties") {
        Likely::InstanceProperties
    } else if has("Events") && looks_like_lookup_events(object.get("Events")) {
        Likely::CloudTrailLookup
    } else if has("Reservations") {
        Likely::Ec2Instances
    } else if has("session") && (has("taskArn") || has("clusterArn")) {
        Likely::EcsExecuteCommand
    } else if has("UserId") && has("Account") && has("Arn") {
        Likely::CallerIdentity
    } else {
        return sessions_inside(object, "", 3).map(|path| Likely::WrappedSessions { path });
    })
}

fn looks_like_lookup_events(events: Option<&Json>) -> bool {
    match events {
        Some(Json::Array(events)) => events.iter().all(|e| e.get("CloudTrailEvent").is_some()),
        _ => false,
    }
}

/// The path of a `Sessions` array nested in `object`, looking `depth` levels down.
fn sessions_inside(object: &Map<String, Json>, prefix: &str, depth: usize) -> Option<String> {
    if depth == 0 {
        return None;
    }
    object.iter().find_map(|(key, value)| {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Json::Array(_) if key == "Sessions" && !prefix.is_empty() => Some(path),
            Json::Object(inner) => sessions_inside(inner, &path, depth - 1),
            _ => None,
        }
    })
}

/// A response that names Session members but is not a Session record: the answer to
/// `start-session` or `resume-session` (`SessionId` beside a token), or to
/// `get-connection-status` (`Target` and a lowercase `Status`).
pub(super) fn impostor(session: &Session<'_>) -> Option<Likely> {
    let unknown = session.unknown_keys();
    if unknown.iter().any(|k| k == "TokenValue") && unknown.iter().any(|k| k == "StreamUrl") {
        return Some(Likely::SessionStart);
    }
    // Every record is asked, so the rare answer's test comes first.
    let connection_status = matches!(
        session.value(Field::Status),
        Some(Value::String(status)) if matches!(&**status, "connected" | "notconnected")
    );
    if !connection_status {
        return None;
    }
    let only_target_and_status = unknown.is_empty()
        && Field::ALL
            .iter()
            .filter(|f| !f.is_derived())
            .all(|&f| matches!(f, Field::Target | Field::Status) || session.value(f).is_none());
    only_target_and_status.then_some(Likely::ConnectionStatus)
}

/// The Session member a key names when case, `_` and `-` are ignored (`sessionId`,
/// `session_id`), or that it misspells: one letter wrong, missing, added or swapped with the
/// next (`Tagret`), two in names longer than six letters (`MaxSesionDuraton`).
pub fn member_like(key: &str) -> Option<Field> {
    let folded = fold(key);
    let members = || {
        Field::ALL
            .iter()
            .copied()
            .filter(|f| !f.is_derived() && !f.name().contains('.'))
    };
    members().find(|f| fold(f.name()) == folded).or_else(|| {
        members()
            .map(|f| (strsim::osa_distance(&fold(f.name()), &folded), f))
            .filter(|(distance, _)| *distance <= if folded.len() > 6 { 2 } else { 1 })
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, f)| f)
    })
}

fn fold(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_written_another_way_are_named() {
        assert_eq!(member_like("sessionId"), Some(Field::SessionId));
        assert_eq!(member_like("session_id"), Some(Field::SessionId));
        assert_eq!(member_like("START_DATE"), Some(Field::StartDate));
        assert_eq!(member_like("Tagret"), Some(Field::Target));
        assert_eq!(member_like("Region"), None);
        assert_eq!(member_like("id"), None);
        assert_eq!(member_like("Ownr"), Some(Field::Owner));
        assert_eq!(
            member_like("MaxSesionDuraton"),
            Some(Field::MaxSessionDuration)
        );
    }

    #[test]
    fn the_message_names_keys_suggestions_and_what_the_object_is() {
        let found = diagnose(r#"{"sessionId":"s-1","target":"i-1","x":1}"#, None);
        assert_eq!(
            found.to_string(),
            "not a Session record: none of its keys (`sessionId`, `target`, `x`) is a member of Session; did you mean `SessionId` for `sessionId`, `Target` for `target`?"
        );
        let found = diagnose(r#"{"InstanceInformationList":[]}"#, None);
        assert_eq!(found.likely, Some(Likely::InstanceInformation));
        let found = diagnose(
            r#"{"status_code":200,"data":{"Sessions":[{"SessionId":"a"}]}}"#,
            None,
        );
        assert_eq!(
            found.likely,
            Some(Likely::WrappedSessions {
                path: "data.Sessions".into()
            })
        );
        assert!(found.to_string().contains("`jq '.data'`"), "{found}");
        assert_eq!(
            diagnose("{}", None).to_string(),
            "not a Session record; it is an empty object"
        );
    }
}
