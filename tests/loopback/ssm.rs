//! A stand-in for SSM speaking JSON 1.1 (`X-Amz-Target: AmazonSSM.<Operation>`, bodies of
//! `application/x-amz-json-1.1`, errors as `{"__type": ..., "message": ...}` with HTTP 400):
//! `DescribeSessions` (`State`, `Filters`, `MaxResults`, `NextToken`, in pages of a size the test
//! chooses, a session listed only after a number of calls, throttling on chosen calls) and
//! `TerminateSession`, which ends the session, and `ListTagsForResource` for managed nodes
//! (`mi-`), throttled for the nodes a test chooses. Timestamps are epoch seconds, as numbers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{Handle, Response, Server};

const JSON_11: &str = "application/x-amz-json-1.1";

/// Which calls answer `AccessDeniedException`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deny {
    #[default]
    Nothing,
    Describe,
    Terminate,
    Everything,
}

/// What the stand-in holds and how it behaves.
#[derive(Debug, Clone)]
pub struct SsmSetup {
    /// Sessions `State=Active` lists (records as the API returns them).
    pub active: Vec<Value>,
    /// Sessions `State=History` lists.
    pub history: Vec<Value>,
    /// Sessions per page, at most (the API's own cap is `MaxResults`).
    pub page_size: usize,
    /// Session ids and how many `DescribeSessions` calls that would list them pass before they
    /// are listed.
    pub late: Vec<(String, usize)>,
    /// `DescribeSessions` calls (counting from 1) answered with `ThrottlingException`.
    pub throttle: Vec<usize>,
    pub deny: Deny,
    /// Managed nodes and their tags, for `ListTagsForResource`.
    pub node_tags: Vec<(String, Vec<(String, String)>)>,
    /// Managed nodes whose `ListTagsForResource` always answers `ThrottlingException`.
    pub throttle_tags: Vec<String>,
}

impl Default for SsmSetup {
    fn default() -> Self {
        Self {
            active: Vec::new(),
            history: Vec::new(),
            page_size: 200,
            late: Vec::new(),
            throttle: Vec::new(),
            deny: Deny::Nothing,
            node_tags: Vec::new(),
            throttle_tags: Vec::new(),
        }
    }
}

/// One call the stand-in received.
#[derive(Debug, Clone)]
pub struct SsmCall {
    pub target: Option<String>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub body: Value,
    /// The HTTP status answered.
    pub status: u16,
    /// How long the stand-in took to answer (to tell its time from the caller's).
    pub served_in: std::time::Duration,
}

impl SsmCall {
    /// The operation, from `X-Amz-Target`.
    pub fn operation(&self) -> &str {
        self.target
            .as_deref()
            .and_then(|target| target.strip_prefix("AmazonSSM."))
            .unwrap_or("")
    }
}

struct State {
    setup: SsmSetup,
    late: HashMap<String, usize>,
    describe_calls: usize,
    calls: Vec<SsmCall>,
}

pub struct FakeSsm {
    pub server: Server,
    state: Arc<Mutex<State>>,
}

impl FakeSsm {
    pub fn start(setup: SsmSetup) -> Self {
        let state = Arc::new(Mutex::new(State {
            late: setup.late.iter().cloned().collect(),
            setup,
            describe_calls: 0,
            calls: Vec::new(),
        }));
        let handle: Handle = {
            let state = Arc::clone(&state);
            Arc::new(move |request, _stop| {
                let started = std::time::Instant::now();
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let mut state = state.lock().unwrap();
                let target = request.header("x-amz-target").map(str::to_owned);
                let (status, answer) = match target.as_deref() {
                    Some("AmazonSSM.DescribeSessions") => state.describe(&body),
                    Some("AmazonSSM.TerminateSession") => state.terminate(&body),
                    Some("AmazonSSM.ListTagsForResource") => state.list_tags(&body),
                    _ => error(400, "UnknownOperationException", "not served here"),
                };
                state.calls.push(SsmCall {
                    target,
                    content_type: request.header("content-type").map(str::to_owned),
                    authorization: request.header("authorization").map(str::to_owned),
                    body,
                    status,
                    served_in: std::time::Duration::ZERO,
                });
                let response = Response::json(status, JSON_11, &answer);
                if let Some(call) = state.calls.last_mut() {
                    call.served_in = started.elapsed();
                }
                Some(response)
            })
        };
        Self {
            server: Server::start(handle),
            state,
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SSM`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    pub fn calls(&self) -> Vec<SsmCall> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The calls of one operation.
    pub fn calls_of(&self, operation: &str) -> Vec<SsmCall> {
        self.calls()
            .into_iter()
            .filter(|call| call.operation() == operation)
            .collect()
    }

    /// The session ids of every `TerminateSession` call, in order.
    pub fn terminated_ids(&self) -> Vec<String> {
        self.calls_of("TerminateSession")
            .iter()
            .map(|call| call.body["SessionId"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

fn error(status: u16, kind: &str, message: &str) -> (u16, Value) {
    (status, json!({"__type": kind, "message": message}))
}

impl State {
    fn describe(&mut self, body: &Value) -> (u16, Value) {
        self.describe_calls += 1;
        if matches!(self.setup.deny, Deny::Describe | Deny::Everything) {
            return error(
                400,
                "AccessDeniedException",
                "User: arn:aws:sts::210987654321:assumed-role/ssm-guard/fn is not authorized to perform: ssm:DescribeSessions",
            );
        }
        if self.setup.throttle.contains(&self.describe_calls) {
            return error(400, "ThrottlingException", "Rate exceeded");
        }
        let sessions = match body["State"].as_str() {
            Some("Active") => &self.setup.active,
            Some("History") => &self.setup.history,
            // The API requires State; a call without it fails, as Cloud Custodian's does.
            _ => {
                return error(
                    400,
                    "ValidationException",
                    "1 validation error detected: Value null at 'state' failed to satisfy constraint: Member must not be null",
                );
            }
        };
        let max = body["MaxResults"].as_u64().unwrap_or(20) as usize;
        if !(1..=200).contains(&max) {
            return error(400, "ValidationException", "MaxResults must be 1 to 200");
        }
        let filters = body["Filters"].as_array().cloned().unwrap_or_default();
        // Only the page is copied: a sweep's listing of thousands of sessions is measured here.
        let late = &mut self.late;
        let matching: Vec<&Value> = sessions
            .iter()
            .filter(|session| filters.iter().all(|filter| matches(session, filter)))
            // Sessions not yet listed are left out of this call, and counted down.
            .filter(|session| {
                let id = session["SessionId"].as_str().unwrap_or("");
                match late.get_mut(id) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        false
                    }
                    _ => true,
                }
            })
            .collect();
        let start: usize = match body["NextToken"].as_str() {
            None => 0,
            Some(token) => match token.strip_prefix("page-at-").and_then(|n| n.parse().ok()) {
                Some(start) => start,
                None => return error(400, "InvalidNextToken", "The token is not valid"),
            },
        };
        let size = max.min(self.setup.page_size).max(1);
        let end = (start + size).min(matching.len());
        let page: Vec<Value> = matching
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|session| (*session).clone())
            .collect();
        let mut answer = json!({"Sessions": page});
        if end < matching.len() {
            answer["NextToken"] = json!(format!("page-at-{end}"));
        }
        (200, answer)
    }

    fn terminate(&mut self, body: &Value) -> (u16, Value) {
        if matches!(self.setup.deny, Deny::Terminate | Deny::Everything) {
            return error(400, "AccessDeniedException", "not allowed to terminate");
        }
        let id = body["SessionId"].as_str().unwrap_or("").to_owned();
        // The session ends: it leaves the active list for the history.
        if let Some(index) = self
            .setup
            .active
            .iter()
            .position(|session| session["SessionId"] == id.as_str())
        {
            let mut session = self.setup.active.remove(index);
            session["Status"] = json!("Terminated");
            self.setup.history.push(session);
        }
        (200, json!({"SessionId": id}))
    }
}

/// Whether a session passes one filter (`{"key": ..., "value": ...}`).
impl State {
    fn list_tags(&mut self, body: &Value) -> (u16, Value) {
        let id = body["ResourceId"].as_str().unwrap_or("");
        if body["ResourceType"] != "ManagedInstance" {
            return error(
                400,
                "InvalidResourceType",
                "only ManagedInstance is served here",
            );
        }
        if self.setup.throttle_tags.iter().any(|node| node == id) {
            return error(400, "ThrottlingException", "Rate exceeded");
        }
        match self.setup.node_tags.iter().find(|(node, _)| node == id) {
            Some((_, tags)) => {
                let list: Vec<Value> = tags
                    .iter()
                    .map(|(key, value)| json!({"Key": key, "Value": value}))
                    .collect();
                (200, json!({"TagList": list}))
            }
            None => error(400, "InvalidResourceId", "The resource ID is not valid"),
        }
    }
}

fn matches(session: &Value, filter: &Value) -> bool {
    let value = filter["value"].as_str().unwrap_or("");
    let field = |name: &str| session[name].as_str().unwrap_or("").to_owned();
    match filter["key"].as_str().unwrap_or("") {
        "SessionId" => field("SessionId") == value,
        "Owner" => field("Owner") == value,
        "Target" => field("Target") == value,
        "Status" => field("Status") == value,
        "AccessType" => field("AccessType") == value,
        "InvokedAfter" => session["StartDate"].as_f64().unwrap_or(0.0) >= epoch(value),
        "InvokedBefore" => session["StartDate"].as_f64().unwrap_or(0.0) < epoch(value),
        _ => false,
    }
}

/// Epoch seconds of `YYYY-MM-DDTHH:MM:SSZ`.
pub fn epoch(text: &str) -> f64 {
    let number = |range: std::ops::Range<usize>| -> i64 { text[range].parse().unwrap() };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + hour * 3_600 + minute * 60 + second) as f64
}
