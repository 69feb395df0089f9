//! The Lambda Runtime API: hands out the events one by one (a long poll on
//! `/invocation/next`) and records each answer (`/response`) or error (`/error`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{Handle, LIFETIME, Request, Response, Server};

/// How long a test waits for the function to answer every event.
pub const ANSWER_WAIT: Duration = Duration::from_secs(45);

const RUNTIME_PREFIX: &str = "/2018-06-01/runtime";

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Posted to `/invocation/{id}/response`.
    Response(Value),
    /// Posted to `/invocation/{id}/error`.
    Error(String),
}

#[derive(Default)]
struct Invocations {
    pending: VecDeque<(String, Vec<u8>)>,
    outcomes: HashMap<String, Outcome>,
    init_errors: Vec<String>,
    /// When each invocation was handed out, and when its answer came.
    handed: HashMap<String, Instant>,
    answered: HashMap<String, Instant>,
}

pub struct RuntimeApi {
    pub server: Server,
    state: Arc<(Mutex<Invocations>, Condvar)>,
}

impl RuntimeApi {
    pub fn start(events: &[Vec<u8>]) -> Self {
        let state = Arc::new((Mutex::new(Invocations::default()), Condvar::new()));
        {
            let mut invocations = state.0.lock().unwrap();
            for (n, event) in events.iter().enumerate() {
                invocations
                    .pending
                    .push_back((request_id(n), event.clone()));
            }
        }
        let handle: Handle = {
            let state = Arc::clone(&state);
            Arc::new(move |request, stop| runtime_api(&state, request, stop))
        };
        Self {
            server: Server::start(handle),
            state,
        }
    }

    /// Waits (bounded) until every event has an outcome; the outcomes in event order.
    pub fn wait_for_outcomes(&self, count: usize) -> Vec<Option<Outcome>> {
        let end = Instant::now() + ANSWER_WAIT;
        let (lock, ready) = &*self.state;
        let mut invocations = lock.lock().unwrap();
        while invocations.outcomes.len() < count && Instant::now() < end {
            invocations = ready
                .wait_timeout(invocations, Duration::from_millis(50))
                .unwrap()
                .0;
        }
        (0..count)
            .map(|n| invocations.outcomes.get(&request_id(n)).cloned())
            .collect()
    }

    /// How long the function took over each of the first `count` events, from handing it out
    /// to its answer.
    pub fn durations(&self, count: usize) -> Vec<Option<Duration>> {
        let invocations = self.state.0.lock().unwrap();
        (0..count)
            .map(|n| {
                let id = request_id(n);
                Some(*invocations.answered.get(&id)? - *invocations.handed.get(&id)?)
            })
            .collect()
    }

    pub fn init_errors(&self) -> Vec<String> {
        self.state.0.lock().unwrap().init_errors.clone()
    }
}

pub fn request_id(n: usize) -> String {
    format!("8476a536-e9f4-11e8-9739-{n:012}")
}

fn runtime_api(
    state: &(Mutex<Invocations>, Condvar),
    request: &Request,
    stop: &AtomicBool,
) -> Option<Response> {
    let (lock, ready) = state;
    let path = request.path.strip_prefix(RUNTIME_PREFIX).unwrap_or("");
    let accepted = || Response::json(202, "application/json", &json!({"status": "OK"}));
    let body_text = || String::from_utf8_lossy(&request.body).into_owned();
    match (request.method.as_str(), path) {
        ("GET", "/invocation/next") => {
            // A long poll: the real API holds the request until there is an event.
            let end = Instant::now() + LIFETIME;
            let mut invocations = lock.lock().unwrap();
            loop {
                if let Some((id, body)) = invocations.pending.pop_front() {
                    invocations.handed.insert(id.clone(), Instant::now());
                    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
                        + Duration::from_secs(30);
                    return Some(Response {
                        status: 200,
                        headers: vec![
                            ("Content-Type".into(), "application/json".into()),
                            ("Lambda-Runtime-Aws-Request-Id".into(), id),
                            (
                                "Lambda-Runtime-Deadline-Ms".into(),
                                deadline.as_millis().to_string(),
                            ),
                            (
                                "Lambda-Runtime-Invoked-Function-Arn".into(),
                                "arn:aws:lambda:eu-west-1:210987654321:function:ssm-guard".into(),
                            ),
                            (
                                "Lambda-Runtime-Trace-Id".into(),
                                "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into(),
                            ),
                        ],
                        body,
                    });
                }
                if stop.load(Ordering::SeqCst) || Instant::now() > end {
                    return None;
                }
                invocations = ready
                    .wait_timeout(invocations, Duration::from_millis(50))
                    .unwrap()
                    .0;
            }
        }
        ("POST", "/init/error") => {
            lock.lock().unwrap().init_errors.push(body_text());
            ready.notify_all();
            Some(accepted())
        }
        ("POST", path) => {
            let rest = path.strip_prefix("/invocation/")?;
            let (id, kind) = rest.split_once('/')?;
            let outcome = match kind {
                "response" => Outcome::Response(
                    serde_json::from_slice(&request.body).unwrap_or(Value::String(body_text())),
                ),
                "error" => Outcome::Error(body_text()),
                _ => return Some(Response::json(404, "application/json", &json!({}))),
            };
            let mut invocations = lock.lock().unwrap();
            invocations.answered.insert(id.to_owned(), Instant::now());
            invocations.outcomes.insert(id.to_owned(), outcome);
            drop(invocations);
            ready.notify_all();
            Some(accepted())
        }
        _ => Some(Response::json(404, "application/json", &json!({}))),
    }
}
