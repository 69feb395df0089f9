//! Gating one session: an event in (a Session, a CloudTrail `StartSession` or ECS Exec
//! `ExecuteCommand` record, or an EventBridge event wrapping one), one decision out. It fails
//! closed: whatever cannot be read or evaluated is denied, with the reason in `error`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde::Serialize;

use crate::model::{
    EventInfo, Field, FieldKind, JsonType, ParsedRecord, Read, Session, SessionTags, Timestamp,
    parse_event,
};
use crate::policy::{Action, CompiledPolicySet, Decision, Evaluation};
use crate::report::ViolationRecord;

/// The largest event the hook reads. EventBridge caps events at 256 KiB; anything larger is
/// not an event from AWS.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Whether a deny is a deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Denied sessions are denied (and, in the Lambda form, terminated).
    Enforce,
    /// Every decision is `allow`; violations are still reported.
    Audit,
}

impl Mode {
    /// Reads `enforce` or `audit`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "enforce" => Some(Self::Enforce),
            "audit" => Some(Self::Audit),
            _ => None,
        }
    }
}

/// The session a decision is about, as far as the event names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionRef {
    #[serde(rename = "SessionId", skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(rename = "Target", skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(rename = "Owner", skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// One decision about one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookDecision {
    pub decision: Decision,
    pub allowed: bool,
    pub mode: Mode,
    /// Whether policies were evaluated (not for unreadable or unrelated events).
    pub evaluated: bool,
    /// Whether the event started a session through CloudTrail: only those can be terminated.
    #[serde(skip)]
    pub start_session_event: bool,
    pub session: SessionRef,
    /// Violations that deny, not waived.
    pub violations: Vec<ViolationRecord>,
    /// Violations that warn, not waived.
    pub warnings: Vec<ViolationRecord>,
    /// Violations an exception waived.
    pub waived: Vec<ViolationRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HookDecision {
    /// A deny for an event or a configuration that could not be judged.
    pub fn fail_closed(mode: Mode, error: impl Into<String>) -> Self {
        Self {
            decision: Decision::Deny,
            allowed: false,
            mode,
            evaluated: false,
            start_session_event: false,
            session: SessionRef::default(),
            violations: Vec::new(),
            warnings: Vec::new(),
            waived: Vec::new(),
            error: Some(error.into()),
            note: None,
        }
    }

    fn not_evaluated(mode: Mode, note: String) -> Self {
        Self {
            decision: Decision::Allow,
            allowed: true,
            error: None,
            note: Some(note),
            ..Self::fail_closed(mode, "")
        }
    }

    /// The `policy/rule` ids of every violation, waived ones included, for logs.
    pub fn rule_ids(&self) -> Vec<String> {
        self.violations
            .iter()
            .chain(&self.warnings)
            .chain(&self.waived)
            .map(|v| v.id().to_owned())
            .collect()
    }
}

/// The decision function: a compiled set (or why there is none) and a mode, reused across
/// events. Build it once (at cold start in Lambda) and call [`Gate::decide`] per event.
#[derive(Debug)]
pub struct Gate {
    policies: Result<CompiledPolicySet, String>,
    mode: Mode,
}

impl Gate {
    /// A gate over a compiled set.
    pub fn new(set: CompiledPolicySet, mode: Mode) -> Self {
        Self {
            policies: Ok(set),
            mode,
        }
    }

    /// A gate whose policies did not load: it denies every event with `error`.
    pub fn broken(error: impl Into<String>, mode: Mode) -> Self {
        Self {
            policies: Err(error.into()),
            mode,
        }
    }

    /// The gate's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether the policies loaded.
    pub fn is_ready(&self) -> bool {
        self.policies.is_ok()
    }

    /// The compiled set, when the policies loaded: for reports that need the typed violations
    /// (Security Hub findings), not only the decision's JSON.
    pub fn policies(&self) -> Option<&CompiledPolicySet> {
        self.policies.as_ref().ok()
    }

    /// Decides one event given as JSON bytes, at `now`. Never fails and never allows what it
    /// could not judge; even a panic inside evaluation becomes a deny.
    pub fn decide(&self, event: &[u8], now: Timestamp) -> HookDecision {
        self.decide_with_tags(event, now, None)
    }

    /// As [`Gate::decide`], the session judged with `tags` (its target's, cluster's and
    /// owner's, looked up by the caller); without them, tag fields are unknown.
    pub fn decide_with_tags(
        &self,
        event: &[u8],
        now: Timestamp,
        tags: Option<Arc<SessionTags>>,
    ) -> HookDecision {
        let set = match &self.policies {
            Ok(set) => set,
            Err(error) => {
                return HookDecision::fail_closed(
                    self.mode,
                    format!("policies did not load: {error}"),
                );
            }
        };
        if event.len() > MAX_EVENT_BYTES {
            return HookDecision::fail_closed(
                self.mode,
                format!(
                    "the event is {} bytes, more than the {MAX_EVENT_BYTES} an event may have",
                    event.len()
                ),
            );
        }
        match catch_unwind(AssertUnwindSafe(|| {
            self.decide_event(set, event, now, tags)
        })) {
            Ok(decision) => decision,
            Err(_) => {
                HookDecision::fail_closed(self.mode, "internal error while evaluating the event")
            }
        }
    }

    fn decide_event(
        &self,
        set: &CompiledPolicySet,
        event: &[u8],
        now: Timestamp,
        tags: Option<Arc<SessionTags>>,
    ) -> HookDecision {
        let (info, record) = match parse_event(event) {
            Ok(parsed) => parsed,
            Err(error) => {
                return HookDecision::fail_closed(self.mode, format!("unreadable event: {error}"));
            }
        };
        let start_session_event = info.is_some();
        if let Some(info) = &info
            && let Some(answer) = self.unrelated_event(info)
        {
            return answer;
        }
        let mut session = match record {
            ParsedRecord::Session(session) => session,
            ParsedRecord::Sessions(_) => {
                return HookDecision::fail_closed(
                    self.mode,
                    "the event is a DescribeSessions response, not one session",
                );
            }
            ParsedRecord::OtherEvent(event) => {
                return HookDecision::fail_closed(
                    self.mode,
                    format!("unreadable event: `{}` names no session", event.name),
                );
            }
        };
        if info.is_none() && !names_a_session(&session) {
            return HookDecision::fail_closed(
                self.mode,
                "unreadable event: it is neither a Session (no `SessionId` or `Target`) nor a CloudTrail event",
            );
        }
        if let Some(info) = &info
            && !names_a_session(&session)
        {
            return HookDecision::fail_closed(
                self.mode,
                format!(
                    "unreadable event: the {} event names no session (no session id or target)",
                    info.name
                ),
            );
        }
        if let Some(tags) = tags {
            session.set_tags(tags);
        }
        let mut decision = self.judge(set, &session, now, "unreadable event");
        decision.start_session_event = start_session_event;
        if let Some(info) = &info
            && info.is_ecs_exec()
            && decision.evaluated
        {
            decision.note = Some(ecs_exec_note(&session));
        }
        decision
    }

    /// Decides a session that is running, from its record: the API's record of a session an
    /// event reported (with what only the event knows), or one the sweep listed. In enforce mode
    /// a deny ends it. Fails closed like [`Gate::decide`].
    pub fn decide_record(&self, session: &Session<'_>, now: Timestamp) -> HookDecision {
        let set = match &self.policies {
            Ok(set) => set,
            Err(error) => {
                return HookDecision::fail_closed(
                    self.mode,
                    format!("policies did not load: {error}"),
                );
            }
        };
        let judged = catch_unwind(AssertUnwindSafe(|| {
            self.judge(set, session, now, "unreadable session record")
        }));
        let mut decision = judged.unwrap_or_else(|_| {
            HookDecision::fail_closed(self.mode, "internal error while evaluating the session")
        });
        decision.start_session_event = true;
        decision
    }

    /// Evaluates a readable session; a field of the wrong type is a deny saying `what` it was.
    fn judge(
        &self,
        set: &CompiledPolicySet,
        session: &Session<'_>,
        now: Timestamp,
        what: &str,
    ) -> HookDecision {
        if let Some(problem) = malformed_field(session, now) {
            return HookDecision::fail_closed(self.mode, format!("{what}: {problem}"));
        }
        let evaluation = set.evaluate(session, now);
        self.decision(session, &evaluation)
    }

    /// Answers events that are not a started session: other Session Manager calls are allowed
    /// without evaluation; events of other services and failed calls cannot be judged.
    fn unrelated_event(&self, info: &EventInfo) -> Option<HookDecision> {
        if info.starts_a_session() {
            return None;
        }
        if !info.is_session_manager_call() {
            let source = info.source.as_deref().unwrap_or("no event source");
            return Some(HookDecision::fail_closed(
                self.mode,
                format!("not a Session Manager event (`{source}`, `{}`)", info.name),
            ));
        }
        if info.is_a_session_start_call()
            && let Some(code) = &info.error_code
        {
            let note = format!(
                "{} failed with `{code}`: no session was started, nothing was evaluated",
                info.name
            );
            return Some(HookDecision::not_evaluated(self.mode, note));
        }
        let note = format!("`{}` starts no session: nothing was evaluated", info.name);
        Some(HookDecision::not_evaluated(self.mode, note))
    }

    fn decision(&self, session: &Session<'_>, evaluation: &Evaluation<'_>) -> HookDecision {
        let mut violations = Vec::new();
        let mut warnings = Vec::new();
        let mut waived = Vec::new();
        for violation in &evaluation.violations {
            let record = ViolationRecord::of(violation);
            match (violation.is_waived(), violation.action()) {
                (true, _) => waived.push(record),
                (false, Action::Deny) => violations.push(record),
                (false, Action::Warn) => warnings.push(record),
            }
        }
        let decision = match self.mode {
            Mode::Enforce => evaluation.decision,
            Mode::Audit => Decision::Allow,
        };
        let text = |field| match session.text(field) {
            Read::Value(text) => Some(text.to_owned()),
            _ => None,
        };
        HookDecision {
            decision,
            allowed: decision != Decision::Deny,
            mode: self.mode,
            evaluated: true,
            start_session_event: false,
            session: SessionRef {
                session_id: text(Field::SessionId),
                target: text(Field::Target),
                owner: text(Field::Owner),
            },
            violations,
            warnings,
            waived,
            error: None,
            note: None,
        }
    }
}

/// A field whose value is not of the API's type. `check` reads such records and lets policies
/// judge them; a gate cannot vouch for a session it cannot read, so it denies instead.
fn malformed_field(session: &Session<'_>, now: Timestamp) -> Option<String> {
    Field::ALL
        .iter()
        .filter(|field| !field.is_derived())
        .find_map(|&field| {
            let found = session.json_type(field, now)?;
            let readable = match field.kind() {
                FieldKind::Text | FieldKind::Minutes => found == JsonType::String,
                FieldKind::Object => found == JsonType::Object,
                FieldKind::Timestamp => matches!(session.instant(field), Read::Value(_)),
                FieldKind::Number => true,
            };
            (!readable).then(|| match field.kind() {
                FieldKind::Timestamp => format!("`{field}` is not a timestamp"),
                kind => format!(
                    "`{field}` is {} {found}, not {}",
                    article(found),
                    kind.noun()
                ),
            })
        })
}

fn article(found: JsonType) -> &'static str {
    match found {
        JsonType::Object | JsonType::Array => "an",
        _ => "a",
    }
}

/// What an ECS Exec event leaves out, said in its decision.
fn ecs_exec_note(session: &Session<'_>) -> String {
    let target = match session.text(Field::Target) {
        Read::Value(target) => format!("`{target}`"),
        _ => "absent".to_owned(),
    };
    format!(
        "ECS Exec: the event does not carry the container's runtime id, so Target is {target} (ecs:<cluster>_<task id>_ without it); the API's record has the whole target"
    )
}

fn names_a_session(session: &Session<'_>) -> bool {
    session.value(Field::SessionId).is_some() || session.value(Field::Target).is_some()
}
