//! The sweep: every active session read from Session Manager, judged at the current time by the
//! hook's gate, and in enforce mode the denied ones terminated. It is what ends a session that
//! outlives its cap, which no event reports.
//!
//! Safety comes first. A run terminates at most `max_terminations` sessions: past the limit it
//! terminates no more, names every session it left alone, and ends in an error, so that a
//! policy mistake cannot end every session in an account. Sessions already `Terminating` or
//! `Terminated` are not terminated again. Policies that do not load terminate nothing (the
//! events' gate denies new sessions meanwhile). Terminations run a few at a time, each retried
//! by the SDK on throttling and transient errors, within the run's time budget.

mod concurrent;
mod tagged;

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::aws::{SessionApi, list_sessions};
use crate::hook::{Gate, HookDecision, Mode};
use crate::input::SessionState;
use crate::model::{ParsedRecord, Timestamp, parse_record};
use crate::tags::{LiveTags, TagApi};

/// The default of `--max-terminations` and `SSM_GUARD_MAX_TERMINATIONS`.
pub const DEFAULT_MAX_TERMINATIONS: usize = 20;

/// `TerminateSession` calls in flight at once.
pub const CONCURRENCY: usize = 4;

/// How a sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// At most this many sessions are terminated per run.
    pub max_terminations: usize,
    /// When the run must be done (a Lambda invocation's deadline less a margin).
    pub deadline: Option<Instant>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self {
            max_terminations: DEFAULT_MAX_TERMINATIONS,
            deadline: None,
        }
    }
}

/// What was done about one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepAction {
    /// Allowed (or audit mode): nothing to do.
    None,
    /// Denied and terminated.
    Terminated,
    /// Denied; `TerminateSession` failed.
    Failed,
    /// Denied, but already `Terminating` or `Terminated`.
    AlreadyEnding,
    /// Denied, past the limit of terminations: left running.
    LeftAlone,
    /// Denied, but the run's time ran out before its termination.
    OutOfTime,
}

/// One session of a sweep: the gate's decision, its status, and what was done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweptSession {
    #[serde(flatten)]
    pub decision: HookDecision,
    /// The session's `Status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub action: SweepAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_error: Option<String>,
}

/// Counts of one sweep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// Active sessions read.
    pub read: usize,
    pub allowed: usize,
    pub denied: usize,
    pub terminated: usize,
    pub failed: usize,
    /// Denied sessions the limit kept from being terminated.
    pub left_alone: usize,
    pub already_ending: usize,
    pub out_of_time: usize,
    pub max_terminations: usize,
    /// `DescribeSessions` and `TerminateSession` calls (SDK retries not counted).
    pub describe_calls: u32,
    pub terminate_calls: u32,
    pub elapsed_ms: u64,
}

/// What a sweep did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepReport {
    pub mode: Mode,
    /// The evaluation time.
    pub now: String,
    pub sessions: Vec<SweptSession>,
    pub summary: SweepSummary,
    /// The ids of the denied sessions left running by the limit.
    pub left_alone: Vec<String>,
    /// Why the sweep is in error: the limit was reached, terminations failed or ran out of time,
    /// the sessions could not be read, or the policies did not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub failure: Option<SweepFailure>,
}

/// Why a sweep is in error, for exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepFailure {
    /// The policies did not load: nothing was read or terminated.
    Policies,
    /// The sessions could not be read.
    Read,
    /// Denied sessions are still running: the limit, failed terminations, or no time left.
    NotAllEnded,
}

impl SweepReport {
    fn empty(mode: Mode, now: Timestamp, options: SweepOptions) -> Self {
        Self {
            mode,
            now: now.to_string(),
            sessions: Vec::new(),
            summary: SweepSummary {
                max_terminations: options.max_terminations,
                ..SweepSummary::default()
            },
            left_alone: Vec::new(),
            error: None,
            failure: None,
        }
    }

    fn fail(mut self, failure: SweepFailure, error: String) -> Self {
        self.failure = Some(failure);
        self.error = Some(error);
        self
    }

    /// The one log line of the sweep as a whole.
    pub fn summary_line(&self) -> Value {
        let mut line = json!({
            "level": if self.error.is_some() { "error" } else { "info" },
            "message": "ssm-guard sweep",
            "mode": self.mode,
            "now": self.now,
        });
        if let (Some(map), Ok(Value::Object(counts))) =
            (line.as_object_mut(), serde_json::to_value(&self.summary))
        {
            map.extend(counts);
            map.insert("left_alone_sessions".to_owned(), json!(self.left_alone));
            if let Some(error) = &self.error {
                map.insert("error".to_owned(), json!(error));
            }
        }
        line
    }

    /// One log line per session.
    pub fn session_lines(&self) -> impl Iterator<Item = Value> + '_ {
        self.sessions.iter().map(|swept| {
            let decision = &swept.decision;
            let level = if swept.termination_error.is_some()
                || decision.error.is_some()
                || matches!(
                    swept.action,
                    SweepAction::LeftAlone | SweepAction::OutOfTime | SweepAction::Failed
                ) {
                "error"
            } else if decision.allowed {
                "info"
            } else {
                "warn"
            };
            let mut line = json!({
                "level": level,
                "message": "ssm-guard sweep decision",
                "decision": decision.decision,
                "allowed": decision.allowed,
                "mode": decision.mode,
                "evaluated": decision.evaluated,
                "session_id": decision.session.session_id,
                "target": decision.session.target,
                "owner": decision.session.owner,
                "status": swept.status,
                "rule_ids": decision.rule_ids(),
                "action": swept.action,
                "termination_error": swept.termination_error,
            });
            if let (Some(map), Some(error)) = (line.as_object_mut(), &decision.error) {
                map.insert("error".to_owned(), json!(error));
            }
            line
        })
    }
}

/// Sweeps the active sessions of `api`'s account and region with `gate` at `now`; sessions
/// are judged without tags (a policy that reads tags cannot judge them: see
/// [`sweep_with_tags`]).
pub async fn sweep<A: SessionApi + ?Sized>(
    gate: &Gate,
    api: &A,
    now: Timestamp,
    options: SweepOptions,
) -> SweepReport {
    sweep_with_tags::<A, crate::tags::lookup::NoLookups>(gate, api, None, now, options).await
}

/// As [`sweep`], with the tags of `tags` for the families the policies read; the deciding tags
/// of a session about to be terminated are read afresh, past the cache, and it is terminated
/// only if it is still denied.
pub async fn sweep_with_tags<A: SessionApi + ?Sized, T: TagApi>(
    gate: &Gate,
    api: &A,
    tags: Option<&LiveTags<T>>,
    now: Timestamp,
    options: SweepOptions,
) -> SweepReport {
    let started = Instant::now();
    let mut report = SweepReport::empty(gate.mode(), now, options);
    if !gate.is_ready() {
        let why = gate.decide(b"{}", now).error.unwrap_or_default();
        return report.fail(
            SweepFailure::Policies,
            format!("{why}: the sweep terminates nothing until the policies load"),
        );
    }
    let listing = within(
        options.deadline,
        list_sessions(api, SessionState::Active, &[]),
    )
    .await;
    let listing = match listing {
        Ok(Ok(listing)) => listing,
        Ok(Err(error)) => {
            return report.fail(
                SweepFailure::Read,
                format!("cannot read the active sessions: {error}"),
            );
        }
        Err(left) => {
            return report.fail(
                SweepFailure::Read,
                format!(
                    "cannot read the active sessions: DescribeSessions did not finish in the {} ms left",
                    left.as_millis()
                ),
            );
        }
    };
    report.summary.describe_calls = listing.calls;
    report.sessions = Vec::with_capacity(listing.sessions.len());
    for record in &listing.sessions {
        let swept = match tags {
            Some(tags) => tagged::judge(gate, record, now, tags, false).await,
            None => judge(gate, record, now),
        };
        report.sessions.push(swept);
    }
    if gate.mode() == Mode::Enforce
        && let Some(tags) = tags
    {
        tagged::read_again_before_terminating(
            gate,
            &listing.sessions,
            &mut report,
            tags,
            now,
            options,
        )
        .await;
    }
    if gate.mode() == Mode::Enforce {
        terminate_denied(api, &mut report, options).await;
    }
    count(&mut report);
    report.summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let summary = &report.summary;
    let mut problems = Vec::new();
    if summary.left_alone > 0 {
        let plural = if options.max_terminations == 1 {
            ""
        } else {
            "s"
        };
        problems.push(format!(
            "the limit of {} termination{plural} per sweep was reached: {} denied session{} left running ({})",
            options.max_terminations,
            summary.left_alone,
            if summary.left_alone == 1 { " is" } else { "s are" },
            report.left_alone.join(", ")
        ));
    }
    if summary.failed > 0 {
        problems.push(format!("{} termination(s) failed", summary.failed));
    }
    if summary.out_of_time > 0 {
        problems.push(format!(
            "the time ran out before {} termination(s)",
            summary.out_of_time
        ));
    }
    if problems.is_empty() {
        report
    } else {
        report.fail(SweepFailure::NotAllEnded, problems.join("; "))
    }
}

/// The gate's decision on one listed session, as read by the record reader.
fn judge(gate: &Gate, record: &Value, now: Timestamp) -> SweptSession {
    let status = record
        .get("Status")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    let decision = match parse_record(&bytes) {
        Ok(ParsedRecord::Session(session)) => gate.decide_record(&session, now),
        Ok(_) => HookDecision::fail_closed(gate.mode(), "the API's record is not one session"),
        Err(error) => HookDecision::fail_closed(
            gate.mode(),
            format!("unreadable session record: {}", error.problem()),
        ),
    };
    SweptSession {
        decision,
        status,
        action: SweepAction::None,
        termination_error: None,
    }
}

/// Terminates the denied sessions, up to the limit, a few at a time.
async fn terminate_denied<A: SessionApi + ?Sized>(
    api: &A,
    report: &mut SweepReport,
    options: SweepOptions,
) {
    let mut chosen = Vec::new();
    for (index, swept) in report.sessions.iter_mut().enumerate() {
        if swept.decision.allowed {
            continue;
        }
        let Some(id) = swept.decision.session.session_id.clone() else {
            continue;
        };
        if matches!(swept.status.as_deref(), Some("Terminating" | "Terminated")) {
            swept.action = SweepAction::AlreadyEnding;
        } else if chosen.len() < options.max_terminations {
            chosen.push((index, id));
        } else {
            swept.action = SweepAction::LeftAlone;
            report.left_alone.push(id);
        }
    }
    let calls: Vec<_> = chosen
        .iter()
        .map(|(_, id)| within(options.deadline, api.terminate(id)))
        .collect();
    let calls_made = calls.len();
    let outcomes = concurrent::in_order_bounded(calls, CONCURRENCY).await;
    for ((index, _), outcome) in chosen.into_iter().zip(outcomes) {
        let Some(swept) = report.sessions.get_mut(index) else {
            continue;
        };
        match outcome {
            Ok(Ok(())) => swept.action = SweepAction::Terminated,
            Ok(Err(error)) => {
                swept.action = SweepAction::Failed;
                swept.termination_error = Some(error.message);
            }
            Err(_) => {
                swept.action = SweepAction::OutOfTime;
                swept.termination_error =
                    Some("the sweep's time ran out before TerminateSession answered".to_owned());
            }
        }
    }
    report.summary.terminate_calls = u32::try_from(calls_made).unwrap_or(u32::MAX);
}

fn count(report: &mut SweepReport) {
    let summary = &mut report.summary;
    summary.read = report.sessions.len();
    for swept in &report.sessions {
        if swept.decision.allowed {
            summary.allowed += 1;
        } else {
            summary.denied += 1;
        }
        match swept.action {
            SweepAction::None => {}
            SweepAction::Terminated => summary.terminated += 1,
            SweepAction::Failed => summary.failed += 1,
            SweepAction::AlreadyEnding => summary.already_ending += 1,
            SweepAction::LeftAlone => summary.left_alone += 1,
            SweepAction::OutOfTime => summary.out_of_time += 1,
        }
    }
}

/// Runs `call` until `deadline`; `Err` with the time there was when it runs out.
async fn within<T>(
    deadline: Option<Instant>,
    call: impl std::future::Future<Output = T>,
) -> Result<T, Duration> {
    match deadline {
        None => Ok(call.await),
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::timeout(left, call).await.map_err(|_| left)
        }
    }
}

#[cfg(test)]
mod tests;
