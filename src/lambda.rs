//! The AWS Lambda form: a thin adapter from Lambda invocations to the hook's [`Gate`]. An event
//! that started a session (CloudTrail's `StartSession`, or ECS Exec's `ExecuteCommand`) is
//! judged on the API's record of the session, and in enforce mode a denied session is
//! terminated; a scheduled invocation sweeps every active session. Every decision is logged as
//! one JSON line. A Step Functions Distributed Map's batch of S3 objects, or its merge, is
//! handed to `shard` instead.
//!
//! Everything expensive happens once, at cold start ([`run_from_env`]): the policies are read
//! and compiled, and the SSM client is built, into one [`Handler`] that every event shares. It
//! fails closed like `ssm-guard hook`: policies that do not load, or an `SSM_GUARD_MODE` it
//! does not know, give a function that starts and denies every event, saying why in every
//! answer and log line.

mod payload;
mod redact;
mod schedule;
mod security_hub;
mod settings;
mod shard;
mod started;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_runtime::{Diagnostic, LambdaEvent, Runtime, service_fn};
use serde_json::{Value, json};

pub use security_hub::{SECURITY_HUB_ENV, SecurityHub};
pub use settings::{MAX_TERMINATIONS_ENV, MODE_ENV, POLICIES_ENV, Settings};
pub use started::Termination;

use crate::Timestamp;
use crate::aws::{S3Store, SdkTagApi, SessionApi, SsmApi};
use crate::hook::Gate;
use crate::input::AwsSettings;
use crate::tags::LiveTags;
use payload::{RawEvent, RawPayloadLayer};

/// What the Lambda Runtime API client needs; `lambda_runtime` panics without them, so they are
/// checked first and reported as an error instead.
const RUNTIME_ENV: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

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

/// The handler: the gate, the SSM client and the sweep's limit, built once at cold start and
/// shared by every event.
#[derive(Debug)]
pub struct Handler<A> {
    gate: Gate,
    api: A,
    max_terminations: Result<usize, String>,
    /// Where the findings of denied sessions go, when `SSM_GUARD_SECURITY_HUB` is on.
    security_hub: Option<SecurityHub>,
    /// Tag lookups, cached across invocations, when the policies read tags.
    tags: Option<Arc<LiveTags<SdkTagApi>>>,
}

impl<A: SessionApi> Handler<A> {
    /// A handler over a gate and Session Manager's API, with the default limit for the sweep.
    pub fn new(gate: Gate, api: A) -> Self {
        Self {
            gate,
            api,
            max_terminations: Ok(crate::sweep::DEFAULT_MAX_TERMINATIONS),
            security_hub: None,
            tags: None,
        }
    }

    /// Judges sessions with the tags these lookups give, for the families the policies read.
    pub fn with_tags(mut self, tags: Arc<LiveTags<SdkTagApi>>) -> Self {
        self.tags = Some(tags);
        self
    }

    /// Also sends the findings of every session the policies deny to Security Hub.
    pub fn with_security_hub(mut self, security_hub: SecurityHub) -> Self {
        self.security_hub = Some(security_hub);
        self
    }

    /// The same handler with the sweep's limit (or why the setting is not one).
    pub fn with_max_terminations(mut self, limit: Result<usize, String>) -> Self {
        self.max_terminations = limit;
        self
    }

    /// The gate.
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Handles one invocation given as its raw bytes, at `now`: a schedule's event sweeps,
    /// anything else is decided as an event. Returns the log lines and the answer; none holds
    /// the event's secrets (`tokenValue`, `streamUrl`).
    pub async fn handle(&self, event: &[u8], now: Timestamp) -> (Vec<Value>, Value) {
        self.handle_within(event, now, None).await
    }

    /// As [`Handler::handle`], done by `deadline`: the API's record is waited for only while
    /// time remains for a termination, and a termination or sweep still running at the
    /// deadline is reported as not done, rather than the invocation being killed with no
    /// answer.
    pub async fn handle_within(
        &self,
        event: &[u8],
        now: Timestamp,
        deadline: Option<Instant>,
    ) -> (Vec<Value>, Value) {
        if schedule::is_scheduled_event(event) {
            return self.handle_schedule(now, deadline).await;
        }
        self.handle_event(event, now, deadline).await
    }
}

/// Writes one JSON line to standard output, which Lambda sends to the function's log stream.
fn log(line: &Value) {
    println!("{line}");
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
    let api = SsmApi::from_settings(&AwsSettings::default()).await;
    // Only a set that reads tags makes the tag clients, and only its families are looked up.
    let reads_tags = gate
        .policies()
        .is_some_and(|set| !set.tag_families().is_empty());
    let tags = match reads_tags {
        true => Some(Arc::new(LiveTags::new(
            SdkTagApi::from_settings(&AwsSettings::default()).await,
        ))),
        false => None,
    };
    let mut handler =
        Handler::new(gate, api).with_max_terminations(settings.max_terminations.clone());
    if let Some(tags) = tags {
        handler = handler.with_tags(tags);
    }
    if let Ok(Some(hub)) = security_hub {
        handler = handler.with_security_hub(hub);
    }
    let handler = Arc::new(handler);
    // The Distributed Map's batches and merge (`shard`) read and write S3.
    let store = Arc::new(S3Store::from_settings(&AwsSettings::default()).await);
    let service = service_fn(move |event: LambdaEvent<RawEvent>| {
        let handler = Arc::clone(&handler);
        let store = Arc::clone(&store);
        async move {
            let request_id = event.context.request_id.clone();
            if let Some(map_event) = shard::MapEvent::of(event.payload.bytes()) {
                let set = handler.gate().policies();
                let answer = shard::handle(set, &store, map_event, Timestamp::now()).await;
                let line = match &answer {
                    Ok(counts) => {
                        json!({"level": "info", "message": "ssm-guard shard", "answer": counts})
                    }
                    Err(error) => {
                        json!({"level": "error", "message": "ssm-guard shard", "error": error.error_message})
                    }
                };
                let mut line = line;
                if let Some(map) = line.as_object_mut() {
                    map.insert("request_id".to_owned(), json!(request_id));
                }
                log(&line);
                return answer;
            }
            let deadline = Instant::now() + time_budget(event.context.deadline);
            let (lines, answer) = handler
                .handle_within(event.payload.bytes(), Timestamp::now(), Some(deadline))
                .await;
            for mut line in lines {
                if let Some(map) = line.as_object_mut() {
                    map.insert("request_id".to_owned(), json!(request_id));
                }
                log(&line);
            }
            Ok::<Value, Diagnostic>(answer)
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

/// How long the handler may take: until the invocation's deadline (milliseconds since the
/// epoch, from the Runtime API) less the margin for answering; nothing once that has passed.
fn time_budget(deadline_ms: u64) -> Duration {
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
        "level": if gate.is_ready() && settings.max_terminations.is_ok() { "info" } else { "error" },
        "message": "ssm-guard cold start",
        "mode": gate.mode(),
        "policies": settings.policies_label(),
        "ready": gate.is_ready(),
    });
    if let Some(map) = line.as_object_mut() {
        match &settings.max_terminations {
            Ok(limit) => map.insert("max_terminations".to_owned(), json!(limit)),
            Err(why) => map.insert("max_terminations_error".to_owned(), json!(why)),
        };
    }
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
mod tests;
