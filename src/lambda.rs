//! The AWS Lambda form of the hook: a thin adapter from Lambda invocations to [`Gate::decide`],
//! which terminates denied sessions in enforce mode and logs every decision as one JSON line.
//!
//! Everything expensive happens once, at cold start ([`run_from_env`]): the policies are read
//! and compiled, and the SSM client is built, into one [`Handler`] that every event shares. Per event the handler decides, terminates
//! if it must, logs, and answers with the decision. It fails closed like `ssm-guard hook`:
//! policies that do not load, or an `SSM_GUARD_MODE` it does not know, give a function that
//! starts and denies every event, saying why in every answer and log line.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{LambdaEvent, LambdaInvocation, Runtime, service_fn};
use serde_json::{Map, Value, json};

mod security_hub;

pub use security_hub::{SECURITY_HUB_ENV, SecurityHub};

use crate::hook::{Gate, HookDecision, Mode, SessionRef};
use crate::model::{Field, ParsedRecord, Read, parse_event};
use crate::{Level, SourceMap, Timestamp};

/// Names a folder (or file) of policies; unset or empty, the embedded default set is used.
pub const POLICIES_ENV: &str = "SSM_GUARD_POLICIES";
/// `enforce` or `audit`; unset or empty, `audit`.
pub const MODE_ENV: &str = "SSM_GUARD_MODE";

/// What the Lambda Runtime API client needs; `lambda_runtime` panics without them, so they are
/// checked first and reported as an error instead.
const RUNTIME_ENV: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// What replaces secrets of the event wherever they would be logged or answered.
const REDACTED: &str = "[redacted]";

/// Why the function could not start. Policies that do not load are not among these: they give
/// a function that runs and denies everything.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A variable the Lambda runtime sets is missing: this is not running inside Lambda.
    #[error(
        "`{name}` is not set: `ssm-guard lambda` runs inside AWS Lambda (or against a Lambda Runtime API)"
    )]
    MissingRuntimeEnv { name: &'static str },
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` is not a number (`lambda_runtime` would panic).
    #[error("`AWS_LAMBDA_FUNCTION_MEMORY_SIZE` is `{value}`, not a number of megabytes")]
    InvalidMemorySize { value: String },
    /// The async runtime could not be built.
    #[error("cannot start the async runtime: {source}")]
    AsyncRuntime { source: std::io::Error },
    /// The Lambda Runtime API failed (the loop only ends on such an error).
    #[error("the Lambda Runtime API failed: {message}")]
    RuntimeApi { message: String },
}

/// The function's configuration, as read from the environment at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The policy folder or file; `None` for the embedded default set.
    pub policies: Option<PathBuf>,
    /// The mode, or the text that is not one.
    pub mode: Result<Mode, String>,
}

impl Settings {
    /// Reads `SSM_GUARD_POLICIES` and `SSM_GUARD_MODE`.
    pub fn from_env() -> Self {
        let var = |name| std::env::var_os(name).filter(|value| !value.is_empty());
        Self::new(
            var(POLICIES_ENV).map(PathBuf::from),
            var(MODE_ENV).map(|mode| mode.to_string_lossy().into_owned()),
        )
    }

    /// Settings from the two values; an empty or absent mode is `audit`.
    pub fn new(policies: Option<PathBuf>, mode: Option<String>) -> Self {
        let mode = match mode.as_deref().map(str::trim) {
            None | Some("") => Ok(Mode::Audit),
            Some(name) => {
                Mode::from_name(&name.to_ascii_lowercase()).ok_or_else(|| name.to_owned())
            }
        };
        Self { policies, mode }
    }

    /// Loads and compiles the policies into a gate. Whatever goes wrong gives a broken gate that
    /// denies every event: an unknown mode (in enforce mode, the safer reading of a typo), a
    /// policy folder that cannot be read or holds no policy, or policies that do not compile.
    pub fn gate(&self, now: Timestamp) -> Gate {
        let mode = match &self.mode {
            Ok(mode) => *mode,
            Err(name) => {
                return Gate::broken(
                    format!("`{MODE_ENV}` is `{name}`, expected `enforce` or `audit`"),
                    Mode::Enforce,
                );
            }
        };
        match self.compile(now) {
            Ok(set) => Gate::new(set, mode),
            Err(error) => Gate::broken(error, mode),
        }
    }

    fn compile(&self, now: Timestamp) -> Result<crate::CompiledPolicySet, String> {
        let sources = match &self.policies {
            None => SourceMap::defaults(),
            Some(path) => {
                let mut sources = SourceMap::new();
                sources
                    .add_path(path)
                    .map_err(|problem| format!("`{}`: {}", path.display(), problem.message()))?;
                // An empty folder compiles to a set that allows everything: for a gate that is
                // a packaging mistake, not a policy.
                if sources.is_empty() {
                    return Err(format!("`{}` holds no policy file", path.display()));
                }
                sources
            }
        };
        crate::compile(&sources, now)
            .map(|compiled| compiled.set)
            .map_err(|diagnostics| first_error(&sources, &diagnostics))
    }

    /// What the cold-start log line says about the policies.
    fn policies_label(&self) -> String {
        match &self.policies {
            Some(path) => path.display().to_string(),
            None => "<embedded defaults>".to_owned(),
        }
    }
}

/// The first error of a failed compile, located, with how many more there are.
fn first_error(sources: &SourceMap, diagnostics: &[crate::Diagnostic]) -> String {
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .collect();
    let Some(first) = errors.first() else {
        return "the policies do not compile".to_owned();
    };
    let position = first.position(sources);
    let mut text = if position.is_empty() {
        first.message()
    } else {
        format!("{position}: {}", first.message())
    };
    if errors.len() > 1 {
        text.push_str(&format!(" (and {} more errors)", errors.len() - 1));
    }
    text
}

/// Ends sessions: the seam between the decision and the SSM API, so tests can stand in for it.
pub trait Terminator: Send + Sync {
    /// Calls `ssm:TerminateSession` for `session_id`; the error text on failure.
    fn terminate(
        &self,
        session_id: &str,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

/// The SSM client of the AWS SDK, with the standard endpoint, region and credential settings.
#[derive(Debug, Clone)]
pub struct SsmTerminator {
    client: aws_sdk_ssm::Client,
}

impl SsmTerminator {
    /// Builds the client from the environment (`AWS_REGION`, `AWS_ENDPOINT_URL_SSM`, credentials,
    /// ...). It makes no call yet: credentials are resolved at the first termination.
    pub async fn from_env() -> Self {
        // rustls with ring: see Cargo.toml for why not the SDK's default TLS.
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        // Bounded so that a hanging endpoint cannot use up the function's whole timeout; the SDK's
        // standard retries happen within the operation timeout.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(12))
            .build();
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client)
            .timeout_config(timeouts)
            .load()
            .await;
        Self {
            client: aws_sdk_ssm::Client::new(&config),
        }
    }
}

impl Terminator for SsmTerminator {
    async fn terminate(&self, session_id: &str) -> Result<(), String> {
        self.client
            .terminate_session()
            .session_id(session_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| aws_sdk_ssm::error::DisplayErrorContext(&error).to_string())
    }
}

/// What was done about terminating the session of a decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Termination {
    /// Whether `TerminateSession` was called.
    pub sent: bool,
    /// Whether it succeeded.
    pub terminated: bool,
    /// Why it failed.
    pub error: Option<String>,
}

/// The handler: the gate and the terminator, built once at cold start and shared by every event.
#[derive(Debug)]
pub struct Handler<T> {
    gate: Gate,
    terminator: T,
    /// Where the findings of denied sessions go, when `SSM_GUARD_SECURITY_HUB` is on.
    security_hub: Option<SecurityHub>,
}

impl<T: Terminator> Handler<T> {
    /// A handler over a gate and a way to terminate sessions.
    pub fn new(gate: Gate, terminator: T) -> Self {
        Self {
            gate,
            terminator,
            security_hub: None,
        }
    }

    /// Also sends the findings of every session the policies deny to Security Hub.
    pub fn with_security_hub(mut self, security_hub: SecurityHub) -> Self {
        self.security_hub = Some(security_hub);
        self
    }

    /// The gate.
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Decides one event given as its raw bytes, at `now`; terminates the session if it must;
    /// returns the log line and the answer. Neither holds the event's secrets (`tokenValue`,
    /// `streamUrl`).
    pub async fn handle(&self, event: &[u8], now: Timestamp) -> (Value, Value) {
        self.handle_within(event, now, None).await
    }

    /// As [`Handler::handle`], with a time budget for the termination: when it runs out, the
    /// answer is still the decision (a deny stays a deny) and the termination is reported as
    /// not done, rather than the invocation being killed at its deadline with no answer.
    pub async fn handle_within(
        &self,
        event: &[u8],
        now: Timestamp,
        budget: Option<Duration>,
    ) -> (Value, Value) {
        let started = std::time::Instant::now();
        let decision = self.decide(event, now);
        let termination = match self.session_to_terminate(&decision) {
            Some(session_id) => {
                let call = self.terminator.terminate(session_id);
                let outcome = match budget {
                    Some(budget) => tokio::time::timeout(budget, call).await.unwrap_or_else(|_| {
                        Err(format!(
                            "the invocation's time budget ({} ms) ran out before TerminateSession answered",
                            budget.as_millis()
                        ))
                    }),
                    None => call.await,
                };
                match outcome {
                    Ok(()) => Termination {
                        sent: true,
                        terminated: true,
                        error: None,
                    },
                    Err(error) => Termination {
                        sent: true,
                        terminated: false,
                        error: Some(error),
                    },
                }
            }
            None => Termination::default(),
        };
        let secrets = secrets_of(event);
        let import = match &self.security_hub {
            Some(hub) => {
                let left = budget.map(|budget| budget.saturating_sub(started.elapsed()));
                hub.report(&self.gate, &decision, event, now, &secrets, left)
                    .await
            }
            None => None,
        };
        let mut log = log_line(&decision, &termination);
        let mut answer = answer(&decision, &termination);
        if let Some(import) = &import {
            for mut rejected in security_hub::annotate(&mut log, import) {
                redact(&mut rejected, &secrets);
                self::log(&rejected);
            }
        }
        redact(&mut log, &secrets);
        redact(&mut answer, &secrets);
        (log, answer)
    }

    /// The gate's decision; when the gate is broken it did not read the event, so the session a
    /// `StartSession` event started is read here, to be terminated in enforce mode like any
    /// other denied session (failing closed means the session does not go on unjudged).
    fn decide(&self, event: &[u8], now: Timestamp) -> HookDecision {
        let mut decision = self.gate.decide(event, now);
        if !self.gate.is_ready()
            && let Some(session) = started_session(event)
        {
            decision.session = session;
            decision.start_session_event = true;
        }
        decision
    }

    /// The session id to terminate: only a denied session that a CloudTrail `StartSession` event
    /// reported, and only in enforce mode.
    fn session_to_terminate<'d>(&self, decision: &'d HookDecision) -> Option<&'d str> {
        if decision.mode != Mode::Enforce || decision.allowed || !decision.start_session_event {
            return None;
        }
        decision
            .session
            .session_id
            .as_deref()
            .filter(|id| !id.is_empty())
    }
}

/// The session a successful CloudTrail `StartSession` call of Session Manager started.
fn started_session(event: &[u8]) -> Option<SessionRef> {
    let (info, record) = parse_event(event).ok()?;
    if !info?.starts_a_session() {
        return None;
    }
    let ParsedRecord::Session(session) = record else {
        return None;
    };
    let text = |field| match session.text(field) {
        Read::Value(text) => Some(text.to_owned()),
        _ => None,
    };
    Some(SessionRef {
        session_id: text(Field::SessionId),
        target: text(Field::Target),
        owner: text(Field::Owner),
    })
}

/// The one log line of a decision.
fn log_line(decision: &HookDecision, termination: &Termination) -> Value {
    let level = if termination.error.is_some() || decision.error.is_some() {
        "error"
    } else if decision.allowed {
        "info"
    } else {
        "warn"
    };
    let mut line = json!({
        "level": level,
        "message": "ssm-guard decision",
        "decision": decision.decision,
        "allowed": decision.allowed,
        "mode": decision.mode,
        "evaluated": decision.evaluated,
        "session_id": decision.session.session_id,
        "target": decision.session.target,
        "owner": decision.session.owner,
        "rule_ids": decision.rule_ids(),
        "termination_sent": termination.sent,
        "terminated": termination.terminated,
        "termination_error": termination.error,
    });
    if let Some(map) = line.as_object_mut() {
        if let Some(error) = &decision.error {
            map.insert("error".to_owned(), json!(error));
        }
        if let Some(note) = &decision.note {
            map.insert("note".to_owned(), json!(note));
        }
    }
    line
}

/// The invocation's answer: the decision as `ssm-guard hook` writes it, with the termination.
fn answer(decision: &HookDecision, termination: &Termination) -> Value {
    let mut answer = serde_json::to_value(decision).unwrap_or_else(|error| {
        // Not expected (the decision is plain data), but an answer must still say deny.
        json!({"decision": "deny", "allowed": false, "error": format!("cannot write the decision: {error}")})
    });
    if let Some(map) = answer.as_object_mut() {
        let mut value = Map::new();
        value.insert("sent".to_owned(), json!(termination.sent));
        value.insert("terminated".to_owned(), json!(termination.terminated));
        if let Some(error) = &termination.error {
            value.insert("error".to_owned(), json!(error));
        }
        map.insert("termination".to_owned(), Value::Object(value));
    }
    answer
}

/// The secrets an event carries: every string under a `tokenValue` or `streamUrl` key (any case,
/// any depth). An event that is not JSON has none that could be quoted back: JSON syntax errors
/// name a position, never a value.
fn secrets_of(event: &[u8]) -> Vec<String> {
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(text) if !text.is_empty() => out.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
            Value::Object(map) => map.values().for_each(|item| strings(item, out)),
            _ => {}
        }
    }
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            Value::Object(map) => {
                for (key, item) in map {
                    if key.eq_ignore_ascii_case("tokenValue")
                        || key.eq_ignore_ascii_case("streamUrl")
                    {
                        strings(item, out);
                    } else {
                        walk(item, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_slice::<Value>(event) {
        walk(&value, &mut out);
    }
    // Longest first, so that a secret containing another is replaced whole.
    out.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    out.dedup();
    out
}

/// Replaces every secret in every string of `value`.
fn redact(value: &mut Value, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    match value {
        Value::String(text) => {
            for secret in secrets {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), REDACTED);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact(item, secrets)),
        Value::Object(map) => map.values_mut().for_each(|item| redact(item, secrets)),
        _ => {}
    }
}

/// Writes one JSON line to standard output, which Lambda sends to the function's log stream.
fn log(line: &Value) {
    println!("{line}");
}

/// Hands the handler the invocation's exact bytes. `lambda_runtime` deserializes the payload
/// itself and, for a body that is not JSON, answers with an error instead of calling the handler
/// (and stops the runtime for one that is not UTF-8); the hook must answer `deny` to those like
/// `ssm-guard hook` does. So this layer re-wraps the body as a JSON string (an array of bytes
/// when it is not UTF-8), which always deserializes into [`RawEvent`], and the handler decides
/// on the original bytes.
#[derive(Debug, Clone, Copy)]
struct RawPayloadLayer;

impl<S> Layer<S> for RawPayloadLayer {
    type Service = RawPayload<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RawPayload { inner }
    }
}

#[derive(Debug, Clone)]
struct RawPayload<S> {
    inner: S,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for RawPayload<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let wrapped = match std::str::from_utf8(&invocation.body) {
            Ok(text) => serde_json::to_vec(text),
            Err(_) => serde_json::to_vec(invocation.body.as_ref()),
        };
        // Serializing a string or bytes cannot fail; should it, `null` does not deserialize and
        // the runtime answers with an error: never an allow.
        invocation.body = wrapped.unwrap_or_else(|_| b"null".to_vec()).into();
        self.inner.call(invocation)
    }
}

/// An invocation's payload as [`RawPayloadLayer`] wraps it.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum RawEvent {
    Text(String),
    Bytes(Vec<u8>),
}

impl RawEvent {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Bytes(bytes) => bytes,
        }
    }
}

/// Runs the function: reads the settings, compiles the policies and builds the SSM client once,
/// logs the cold start, then serves invocations from the Lambda Runtime API until it fails.
pub fn run_from_env() -> Result<(), StartError> {
    if let Some(name) = RUNTIME_ENV
        .into_iter()
        .find(|name| std::env::var_os(name).is_none_or(|value| value.is_empty()))
    {
        return Err(StartError::MissingRuntimeEnv { name });
    }
    let memory = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").unwrap_or_default();
    if memory.parse::<i32>().is_err() {
        return Err(StartError::InvalidMemorySize { value: memory });
    }
    // One thread: invocations come one at a time, and a cold start should not spawn workers.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| StartError::AsyncRuntime { source })?;
    runtime.block_on(serve())
}

async fn serve() -> Result<(), StartError> {
    let settings = Settings::from_env();
    let gate = settings.gate(Timestamp::now());
    let security_hub = SecurityHub::from_env().await;
    let mut line = cold_start_line(&settings, &gate);
    if let Some(map) = line.as_object_mut() {
        let sending = matches!(security_hub, Ok(Some(_)));
        map.insert("security_hub".to_owned(), json!(sending));
    }
    log(&line);
    if let Err(error) = &security_hub {
        // A reporting setting: the function still runs and decides, without sending findings.
        log(
            &json!({"level": "error", "message": "ssm-guard sends no findings to Security Hub", "error": error}),
        );
    }
    let mut handler = Handler::new(gate, SsmTerminator::from_env().await);
    if let Ok(Some(hub)) = security_hub {
        handler = handler.with_security_hub(hub);
    }
    let handler = Arc::new(handler);
    let service = service_fn(move |event: LambdaEvent<RawEvent>| {
        let handler = Arc::clone(&handler);
        async move {
            let request_id = event.context.request_id.clone();
            let budget = termination_budget(event.context.deadline);
            let (mut line, answer) = handler
                .handle_within(event.payload.bytes(), Timestamp::now(), Some(budget))
                .await;
            if let Some(map) = line.as_object_mut() {
                map.insert("request_id".to_owned(), json!(request_id));
            }
            log(&line);
            Ok::<Value, Infallible>(answer)
        }
    });
    Runtime::new(service)
        .layer(RawPayloadLayer)
        .run()
        .await
        .map_err(|error| StartError::RuntimeApi {
            message: error.to_string(),
        })
}

/// Time kept back from the invocation's deadline to log and post the answer.
const ANSWER_MARGIN: Duration = Duration::from_millis(300);

/// How long a termination may take: until the invocation's deadline (milliseconds since the
/// epoch, from the Runtime API) less the margin for answering; nothing once that has passed.
fn termination_budget(deadline_ms: u64) -> Duration {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        });
    Duration::from_millis(deadline_ms.saturating_sub(now_ms)).saturating_sub(ANSWER_MARGIN)
}

/// The cold start's log line: the settings and, for a broken gate, why every event is denied.
fn cold_start_line(settings: &Settings, gate: &Gate) -> Value {
    let mut line = json!({
        "level": if gate.is_ready() { "info" } else { "error" },
        "message": "ssm-guard cold start",
        "mode": gate.mode(),
        "policies": settings.policies_label(),
        "ready": gate.is_ready(),
    });
    if !gate.is_ready()
        && let Some(map) = line.as_object_mut()
    {
        // The gate's own answer carries the reason; one probe event gives it without a second
        // copy of the loading code.
        let probe = gate.decide(b"{}", Timestamp::now());
        map.insert("error".to_owned(), json!(probe.error));
        map.insert(
            "note".to_owned(),
            json!("every event is denied until the configuration is fixed"),
        );
    }
    line
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::sync::Mutex;

    use super::*;

    /// Records the sessions it is asked to terminate.
    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Terminator for Recorder {
        async fn terminate(&self, session_id: &str) -> Result<(), String> {
            self.0.lock().unwrap().push(session_id.to_owned());
            Ok(())
        }
    }

    const EVENT: &[u8] = br#"{"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "ssm.amazonaws.com", "eventName": "StartSession",
        "requestParameters": {"target": "i-0123456789abcdef0", "reason": "see wss://stream/s-1"},
        "responseElements": {"sessionId": "s-1", "tokenValue": "tok-1", "streamUrl": "wss://stream/s-1"}}}"#;

    fn now() -> Timestamp {
        Timestamp::parse("2026-03-10T13:20:00Z").unwrap()
    }

    fn handle(gate: Gate) -> (Value, Value, Vec<String>) {
        let handler = Handler::new(gate, Recorder::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (log, answer) = runtime.block_on(handler.handle(EVENT, now()));
        let terminated = handler.terminator.0.lock().unwrap().clone();
        (log, answer, terminated)
    }

    #[test]
    fn the_mode_defaults_to_audit_and_an_unknown_one_is_kept_for_the_error() {
        assert_eq!(Settings::new(None, None).mode, Ok(Mode::Audit));
        assert_eq!(Settings::new(None, Some(" ".into())).mode, Ok(Mode::Audit));
        assert_eq!(
            Settings::new(None, Some("ENFORCE".into())).mode,
            Ok(Mode::Enforce)
        );
        assert_eq!(
            Settings::new(None, Some("block".into())).mode,
            Err("block".into())
        );
        let gate = Settings::new(None, Some("block".into())).gate(now());
        assert!(!gate.is_ready());
        assert_eq!(gate.mode(), Mode::Enforce);
    }

    /// Never answers, like an SSM endpoint that hangs.
    #[derive(Debug)]
    struct Hanging;

    impl Terminator for Hanging {
        async fn terminate(&self, _session_id: &str) -> Result<(), String> {
            std::future::pending::<()>().await;
            Ok(())
        }
    }

    #[test]
    fn an_exhausted_time_budget_still_answers_deny() {
        let handler = Handler::new(Gate::broken("boom", Mode::Enforce), Hanging);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let budget = Some(Duration::from_millis(20));
        let (log, answer) = runtime.block_on(handler.handle_within(EVENT, now(), budget));
        assert_eq!(answer["decision"], "deny");
        assert_eq!(answer["allowed"], false);
        assert_eq!(log["termination_sent"], true);
        assert_eq!(log["terminated"], false);
        let error = log["termination_error"].as_str().unwrap();
        assert!(error.contains("time budget"), "{error}");
    }

    #[test]
    fn the_budget_is_the_time_to_the_deadline_less_the_margin() {
        assert_eq!(termination_budget(0), Duration::ZERO);
        let in_ten_seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            + 10_000;
        let budget = termination_budget(in_ten_seconds);
        assert!(budget <= Duration::from_millis(9_700) && budget > Duration::from_millis(9_000));
    }

    #[test]
    fn a_broken_gate_in_enforce_mode_terminates_the_started_session() {
        let (log, answer, terminated) = handle(Gate::broken("boom", Mode::Enforce));
        assert_eq!(terminated, ["s-1"]);
        assert_eq!(answer["decision"], "deny");
        assert_eq!(answer["session"]["SessionId"], "s-1");
        assert_eq!(log["terminated"], true);
        let (_, answer, terminated) = handle(Gate::broken("boom", Mode::Audit));
        assert!(terminated.is_empty());
        assert_eq!(answer["decision"], "deny");
    }

    #[test]
    fn secrets_are_redacted_wherever_they_would_appear() {
        let mut sources = SourceMap::new();
        sources.add(
            "p.yaml",
            "policy: p\nrules:\n  - id: r\n    require: { Reason: { equals: x } }\n    message: \"{Reason}\"\n",
        );
        let set = crate::compile(&sources, now()).unwrap().set;
        let (log, answer, terminated) = handle(Gate::new(set, Mode::Enforce));
        assert_eq!(terminated, ["s-1"]);
        for text in [log.to_string(), answer.to_string()] {
            assert!(
                !text.contains("wss://stream/s-1") && !text.contains("tok-1"),
                "{text}"
            );
        }
        assert_eq!(answer["violations"][0]["message"], "see [redacted]");
    }
}
