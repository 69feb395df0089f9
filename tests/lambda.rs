//! The Lambda form over its real protocols, on loopback: the `bootstrap` binary (and
//! `ssm-guard lambda`) against a local server speaking the Lambda Runtime API, with a local
//! endpoint standing in for SSM that records `TerminateSession` calls (JSON 1.1). Every server
//! here stops by itself: each loop and wait is bounded in time.

#![cfg(feature = "lambda")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// The longest any server, connection or wait here lives.
const LIFETIME: Duration = Duration::from_secs(60);
/// How long a test waits for the function to answer every event.
const ANSWER_WAIT: Duration = Duration::from_secs(30);

const RUNTIME_PREFIX: &str = "/2018-06-01/runtime";

/// Secrets the events carry; no log line may hold them.
const TOKEN: &str = "tok-SECRET-5d41402abc4b2a76b9719d911017c592";
const SAMPLE_TOKEN: &str = "Value hidden due to security reasons.";
const STREAM_HOST: &str = "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/";

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 server on 127.0.0.1.

#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn json(status: u16, content_type: &str, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: serde_json::to_vec(body).unwrap(),
        }
    }
}

/// What a server does with a request: an answer, or `None` to close the connection unanswered
/// (how a long poll ends when the server stops).
type Handle = Arc<dyn Fn(&Request, &AtomicBool) -> Option<Response> + Send + Sync>;

struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(handle: Handle) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let end = Instant::now() + LIFETIME;
                let mut connections = Vec::new();
                while !stop.load(Ordering::SeqCst) && Instant::now() < end {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (handle, stop) = (Arc::clone(&handle), Arc::clone(&stop));
                            connections.push(std::thread::spawn(move || {
                                serve_connection(stream, &*handle, &stop, end)
                            }));
                        }
                        Err(error) if error.kind() == ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
                stop.store(true, Ordering::SeqCst);
                for connection in connections {
                    let _ = connection.join();
                }
            })
        };
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves requests on one kept-alive connection until the peer closes it or the server stops.
fn serve_connection(
    mut stream: TcpStream,
    handle: &(dyn Fn(&Request, &AtomicBool) -> Option<Response> + Send + Sync),
    stop: &AtomicBool,
    end: Instant,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while !stop.load(Ordering::SeqCst) && Instant::now() < end {
        if let Some((request, used)) = parse_request(&buffer) {
            buffer.drain(..used);
            let Some(response) = handle(&request, stop) else {
                return;
            };
            if write_response(&mut stream, &response).is_err() {
                return;
            }
            continue;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

/// One whole request at the start of `buffer`, and how many bytes it took.
fn parse_request(buffer: &[u8]) -> Option<(Request, usize)> {
    let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buffer[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (method, path) = (start.next()?.to_owned(), start.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let rest = &buffer[head_end..];
    let (body, used) = if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let (body, used) = parse_chunked(rest)?;
        (body, head_end + used)
    } else {
        let length: usize = find("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if rest.len() < length {
            return None;
        }
        (rest[..length].to_vec(), head_end + length)
    };
    Some((
        Request {
            method,
            path,
            headers,
            body,
        },
        used,
    ))
}

fn parse_chunked(mut rest: &[u8]) -> Option<(Vec<u8>, usize)> {
    let total = rest.len();
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailers (none expected) end with an empty line.
            let end = rest.windows(2).position(|w| w == b"\r\n")?;
            rest = &rest[end + 2..];
            return Some((body, total - rest.len()));
        }
        if rest.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn write_response(stream: &mut TcpStream, response: &Response) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {} X\r\n", response.status);
    for (key, value) in &response.headers {
        out.push_str(&format!("{key}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", response.body.len()));
    stream.write_all(out.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}

// ---------------------------------------------------------------------------------------------
// The Lambda Runtime API.

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
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
}

struct RuntimeApi {
    server: Server,
    state: Arc<(Mutex<Invocations>, Condvar)>,
}

impl RuntimeApi {
    fn start(events: &[Vec<u8>]) -> Self {
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
    fn wait_for_outcomes(&self, count: usize) -> Vec<Option<Outcome>> {
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

    fn init_errors(&self) -> Vec<String> {
        self.state.0.lock().unwrap().init_errors.clone()
    }
}

fn request_id(n: usize) -> String {
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
            lock.lock().unwrap().outcomes.insert(id.to_owned(), outcome);
            ready.notify_all();
            Some(accepted())
        }
        _ => Some(Response::json(404, "application/json", &json!({}))),
    }
}

// ---------------------------------------------------------------------------------------------
// A stand-in for SSM.

/// One call the SSM stand-in received.
#[derive(Debug, Clone)]
struct SsmCall {
    target: Option<String>,
    content_type: Option<String>,
    authorization: Option<String>,
    body: Value,
}

struct FakeSsm {
    server: Server,
    calls: Arc<Mutex<Vec<SsmCall>>>,
}

impl FakeSsm {
    /// `fail`: answer every call with an `AccessDeniedException` instead of success.
    fn start(fail: bool) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let handle: Handle = {
            let calls = Arc::clone(&calls);
            Arc::new(move |request, _stop| {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                calls.lock().unwrap().push(SsmCall {
                    target: request.header("x-amz-target").map(str::to_owned),
                    content_type: request.header("content-type").map(str::to_owned),
                    authorization: request.header("authorization").map(str::to_owned),
                    body: body.clone(),
                });
                let json_11 = "application/x-amz-json-1.1";
                Some(if fail {
                    Response::json(
                        400,
                        json_11,
                        &json!({"__type": "AccessDeniedException", "message": "not allowed to terminate"}),
                    )
                } else {
                    Response::json(200, json_11, &json!({"SessionId": body["SessionId"]}))
                })
            })
        };
        Self {
            server: Server::start(handle),
            calls,
        }
    }

    fn calls(&self) -> Vec<SsmCall> {
        self.calls.lock().unwrap().clone()
    }

    fn terminated_ids(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|call| call.body["SessionId"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Running the function.

/// What one run of the function gave.
struct LambdaRun {
    outcomes: Vec<Option<Outcome>>,
    terminations: Vec<String>,
    ssm_calls: Vec<SsmCall>,
    init_errors: Vec<String>,
    stdout: String,
    stderr: String,
}

impl LambdaRun {
    /// The answer to event `n`; fails the test if it was not a response.
    fn answer(&self, n: usize) -> &Value {
        match &self.outcomes[n] {
            Some(Outcome::Response(value)) => value,
            other => panic!(
                "event {n} got {other:?}\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            ),
        }
    }

    fn decisions(&self) -> Vec<String> {
        (0..self.outcomes.len())
            .map(|n| self.answer(n)["decision"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The decision log lines, one per event, in order.
    fn decision_logs(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"))
            })
            .filter(|line| line["message"] == "ssm-guard decision")
            .collect()
    }

    fn cold_start_log(&self) -> Value {
        self.stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line["message"] == "ssm-guard cold start")
            .unwrap_or_else(|| panic!("no cold start line in:\n{}", self.stdout))
    }

    /// Fails if the function's output holds a secret of the events.
    fn assert_no_secrets(&self, secrets: &[&str]) {
        for secret in secrets {
            for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
                assert!(!text.contains(secret), "{name} leaks `{secret}`:\n{text}");
            }
        }
    }
}

/// Which binary runs the function.
#[derive(Clone, Copy)]
enum Binary {
    Bootstrap,
    SubCommand,
}

/// Runs the function over `events` with `SSM_GUARD_*` settings, against a fresh Runtime API and
/// SSM stand-in, until every event is answered (bounded), then stops it.
fn run_lambda(
    binary: Binary,
    settings: &[(&str, &str)],
    events: &[Vec<u8>],
    ssm_fails: bool,
) -> LambdaRun {
    let api = RuntimeApi::start(events);
    let ssm = FakeSsm::start(ssm_fails);
    let home = scratch_dir("home");
    let mut command = match binary {
        Binary::Bootstrap => bootstrap(),
        Binary::SubCommand => {
            let mut command = Command::new(env!("CARGO_BIN_EXE_ssm-guard"));
            command.arg("lambda");
            command
        }
    };
    // A clean environment: nothing of the machine's AWS settings may reach the function.
    command
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.server.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "ssm-guard")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/03/10/[$LATEST]0123456789abcdef",
        )
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/ssm-guard")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDLOOPBACKTEST0001")
        .env("AWS_SECRET_ACCESS_KEY", "loopback-secret-access-key")
        .env(
            "AWS_ENDPOINT_URL_SSM",
            format!("http://{}", ssm.server.addr),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let outcomes = api.wait_for_outcomes(events.len());
    stop(&mut child);
    let run = LambdaRun {
        outcomes,
        terminations: ssm.terminated_ids(),
        ssm_calls: ssm.calls(),
        init_errors: api.init_errors(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    drop((api, ssm));
    run
}

/// The `bootstrap` binary this build made, or the command in `SSM_GUARD_TEST_BOOTSTRAP`
/// (words split on spaces): how another build of it, e.g. arm64 under
/// `qemu-aarch64 -L /usr/aarch64-linux-gnu`, is run through the same tests.
fn bootstrap() -> Command {
    match std::env::var("SSM_GUARD_TEST_BOOTSTRAP") {
        Ok(line) if !line.trim().is_empty() => {
            let mut words = line.split_whitespace();
            let mut command = Command::new(words.next().unwrap());
            command.args(words);
            command
        }
        _ => Command::new(env!("CARGO_BIN_EXE_bootstrap")),
    }
}

/// Reads a pipe to its end on a thread, so the child never blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the function did not stop when killed");
}

fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lambda-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// Events.

/// A policy folder whose one rule allows two documents; its message quotes the Reason, so that a
/// secret smuggled into the Reason would reach the log if it were not redacted.
fn policy_dir() -> PathBuf {
    let dir = scratch_dir("policies");
    std::fs::write(
        dir.join("gate.yaml"),
        "policy: gate-test\nrules:\n  - id: approved-documents\n    require:\n      DocumentName: [SSM-SessionManagerRunShell, AWS-StartPortForwardingSession]\n    message: \"Session {SessionId} used {DocumentName}; Reason was {Reason}\"\n",
    )
    .unwrap();
    dir
}

fn sample() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples/eventbridge-startsession.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn stream_url(id: &str) -> String {
    format!("{STREAM_HOST}{id}?role=publish_subscribe&token=s3cr3t")
}

/// An EventBridge-wrapped CloudTrail `StartSession` event for session `id` with `document`.
fn start_session(id: &str, document: &str) -> Value {
    let mut event = sample();
    let detail = &mut event["detail"];
    detail["requestParameters"]["documentName"] = json!(document);
    detail["responseElements"] = json!({
        "sessionId": id,
        "tokenValue": TOKEN,
        "streamUrl": stream_url(id),
    });
    event
}

/// Another Session Manager call on session `id`.
fn other_call(name: &str, id: &str) -> Value {
    let mut event = sample();
    let detail = &mut event["detail"];
    detail["eventName"] = json!(name);
    detail["requestParameters"] = json!({"sessionId": id});
    detail["responseElements"] = if name == "ResumeSession" {
        json!({"sessionId": id, "tokenValue": TOKEN, "streamUrl": stream_url(id)})
    } else {
        json!({"sessionId": id})
    };
    event
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// What each event should give, and whether its session is terminated in enforce mode.
struct Case {
    name: &'static str,
    event: Vec<u8>,
    /// The decision in enforce mode; in audit mode evaluated denies become allows.
    enforce: &'static str,
    /// Whether the deny comes from evaluating policies (audit turns it into allow).
    evaluated_deny: bool,
}

/// Every kind of event: allowed and denied starts, other calls, and what cannot be read.
fn cases() -> Vec<Case> {
    let sample = sample();
    let mut failed_start = start_session("s-failed", "Evil-Document");
    failed_start["detail"]["errorCode"] = json!("AccessDenied");
    failed_start["detail"]["errorMessage"] = json!("User is not authorized");
    failed_start["detail"]["responseElements"] = Value::Null;
    let mut other_service = start_session("s-ec2", "Evil-Document");
    other_service["source"] = json!("aws.ec2");
    other_service["detail"]["eventSource"] = json!("ec2.amazonaws.com");
    other_service["detail"]["eventName"] = json!("RunInstances");
    // A Reason that quotes the stream URL: the violation message carries it, the log must not.
    let mut smuggled = start_session("s-denied-3", "Evil-Document");
    smuggled["detail"]["requestParameters"]["reason"] =
        json!(format!("CHG-1 see {}", stream_url("s-denied-3")));
    let truncated = bytes(&start_session("s-truncated", "Evil-Document"));
    let truncated = truncated[..truncated.len() / 2].to_vec();
    let case = |name, event, enforce, evaluated_deny| Case {
        name,
        event,
        enforce,
        evaluated_deny,
    };
    vec![
        case("sample, allowed", bytes(&sample), "allow", false),
        case(
            "allowed start",
            bytes(&start_session(
                "s-allowed",
                "AWS-StartPortForwardingSession",
            )),
            "allow",
            false,
        ),
        case(
            "denied start (EventBridge)",
            bytes(&start_session("s-denied-1", "Evil-Document")),
            "deny",
            true,
        ),
        case(
            "denied start (CloudTrail record)",
            bytes(&start_session("s-denied-2", "Evil-Document")["detail"]),
            "deny",
            true,
        ),
        case(
            "denied start, secret in Reason",
            bytes(&smuggled),
            "deny",
            true,
        ),
        case(
            "denied Session object",
            bytes(
                &json!({"SessionId": "s-plain", "Target": "i-0123456789abcdef0", "DocumentName": "Evil-Document"}),
            ),
            "deny",
            true,
        ),
        case(
            "TerminateSession",
            bytes(&other_call("TerminateSession", "s-denied-1")),
            "allow",
            false,
        ),
        case(
            "ResumeSession",
            bytes(&other_call("ResumeSession", "s-denied-1")),
            "allow",
            false,
        ),
        case("failed StartSession", bytes(&failed_start), "allow", false),
        case("another service", bytes(&other_service), "deny", false),
        case("not JSON", b"this is not an event".to_vec(), "deny", false),
        case("truncated JSON", truncated, "deny", false),
        case("not UTF-8", vec![0xff, 0xfe, b'{', b'}'], "deny", false),
        case("empty body", Vec::new(), "deny", false),
        case("empty object", b"{}".to_vec(), "deny", false),
        case("array", b"[1, 2, 3]".to_vec(), "deny", false),
        case("string", b"\"StartSession\"".to_vec(), "deny", false),
        case("null", b"null".to_vec(), "deny", false),
        case(
            "EventBridge without detail",
            bytes(&json!({"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail"})),
            "deny",
            false,
        ),
    ]
}

/// The sessions enforce mode terminates among [`cases`]: denied `StartSession` events only.
const TERMINATED: [&str; 3] = ["s-denied-1", "s-denied-2", "s-denied-3"];

fn events(cases: &[Case]) -> Vec<Vec<u8>> {
    cases.iter().map(|case| case.event.clone()).collect()
}

fn secrets() -> Vec<String> {
    let mut secrets = vec![
        TOKEN.to_owned(),
        SAMPLE_TOKEN.to_owned(),
        STREAM_HOST.to_owned(),
    ];
    secrets.push(
        sample()["detail"]["responseElements"]["streamUrl"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    secrets
}

fn assert_no_secrets(run: &LambdaRun) {
    let secrets = secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    run.assert_no_secrets(&secrets);
    // The answers do not carry them either.
    for n in 0..run.outcomes.len() {
        let answer = run.answer(n).to_string();
        for secret in &secrets {
            assert!(
                !answer.contains(secret),
                "answer {n} leaks `{secret}`: {answer}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sending findings to Security Hub: tests/lambda/security_hub.rs.

#[path = "lambda/security_hub.rs"]
mod security_hub;

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn enforce_mode_denies_and_terminates_only_denied_starts() {
    let cases = cases();
    let policies = policy_dir();
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforce"),
        ],
        &events(&cases),
        false,
    );
    for (n, case) in cases.iter().enumerate() {
        let answer = run.answer(n);
        assert_eq!(answer["decision"], case.enforce, "{}: {answer}", case.name);
        assert_eq!(answer["allowed"], case.enforce == "allow", "{}", case.name);
        assert_eq!(answer["mode"], "enforce", "{}", case.name);
        let terminated = answer["session"]["SessionId"]
            .as_str()
            .is_some_and(|id| TERMINATED.contains(&id))
            && case.enforce == "deny";
        assert_eq!(
            answer["termination"]["sent"], terminated,
            "{}: {answer}",
            case.name
        );
        assert_eq!(
            answer["termination"]["terminated"], terminated,
            "{}",
            case.name
        );
        if case.enforce == "deny" && !case.evaluated_deny {
            assert!(
                answer["error"].is_string(),
                "{}: a deny without evaluation says why: {answer}",
                case.name
            );
        }
    }
    // Notes for the calls that start no session.
    for n in [6, 7, 8] {
        assert!(
            run.answer(n)["note"]
                .as_str()
                .unwrap()
                .contains("nothing was evaluated")
        );
    }
    assert_eq!(run.answer(2)["violations"][0]["rule"], "approved-documents");
    // Exactly one TerminateSession per denied start, in order, over JSON 1.1, signed for the region.
    assert_eq!(run.terminations, TERMINATED);
    for call in &run.ssm_calls {
        assert_eq!(call.target.as_deref(), Some("AmazonSSM.TerminateSession"));
        assert_eq!(
            call.content_type.as_deref(),
            Some("application/x-amz-json-1.1")
        );
        let authorization = call.authorization.as_deref().unwrap();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDLOOPBACKTEST0001/")
                && authorization.contains("/eu-west-1/ssm/aws4_request"),
            "{authorization}"
        );
    }
    // One decision line per event, saying what was decided and done.
    let logs = run.decision_logs();
    assert_eq!(logs.len(), cases.len(), "{}", run.stdout);
    assert_eq!(logs[2]["decision"], "deny");
    assert_eq!(logs[2]["session_id"], "s-denied-1");
    assert_eq!(logs[2]["target"], "i-0c9e2f7a1b3d5e7f9");
    assert!(
        logs[2]["owner"]
            .as_str()
            .unwrap()
            .contains("AWSReservedSSO_Developer")
    );
    assert_eq!(logs[2]["rule_ids"], json!(["gate-test/approved-documents"]));
    assert_eq!(logs[2]["termination_sent"], true);
    assert_eq!(logs[2]["terminated"], true);
    assert_eq!(logs[2]["termination_error"], Value::Null);
    assert_eq!(logs[2]["request_id"], request_id(2));
    assert_eq!(logs[0]["decision"], "allow");
    assert_eq!(logs[0]["termination_sent"], false);
    assert_eq!(logs[5]["session_id"], "s-plain");
    assert_eq!(logs[5]["termination_sent"], false);
    assert_eq!(run.cold_start_log()["ready"], true);
    assert!(run.init_errors.is_empty());
    assert_no_secrets(&run);
    // The smuggled secret was redacted, not dropped with its message.
    let smuggled = run.answer(4)["violations"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(smuggled.contains("[redacted]"), "{smuggled}");
}

#[test]
fn audit_mode_allows_what_it_evaluated_and_terminates_nothing() {
    let cases = cases();
    let policies = policy_dir();
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "audit"),
        ],
        &events(&cases),
        false,
    );
    for (n, case) in cases.iter().enumerate() {
        let expected = if case.evaluated_deny {
            "allow"
        } else {
            case.enforce
        };
        let answer = run.answer(n);
        assert_eq!(answer["decision"], expected, "{}: {answer}", case.name);
        assert_eq!(answer["mode"], "audit");
        assert_eq!(answer["termination"]["sent"], false, "{}", case.name);
    }
    // Violations are still reported.
    assert_eq!(run.answer(2)["violations"][0]["rule"], "approved-documents");
    assert!(run.terminations.is_empty(), "{:?}", run.terminations);
    assert_no_secrets(&run);
}

#[test]
fn the_default_mode_is_audit_and_the_default_policies_are_embedded() {
    let events = [
        bytes(&sample()),
        bytes(&start_session("s-embedded", "Evil-Document")),
    ];
    let run = run_lambda(Binary::Bootstrap, &[], &events, false);
    assert_eq!(run.decisions(), ["allow", "allow"]);
    assert_eq!(run.answer(1)["mode"], "audit");
    let rules: Vec<&str> = run.answer(1)["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"approved-documents"), "{rules:?}");
    assert!(run.terminations.is_empty());
    let cold = run.cold_start_log();
    assert_eq!(cold["policies"], "<embedded defaults>");
    assert_eq!(cold["mode"], "audit");
    assert_no_secrets(&run);
}

#[test]
fn the_embedded_policies_in_enforce_mode() {
    let events = [
        bytes(&sample()),
        bytes(&start_session("s-embedded", "Evil-Document")),
    ];
    let run = run_lambda(
        Binary::Bootstrap,
        &[("SSM_GUARD_MODE", "enforce")],
        &events,
        false,
    );
    assert_eq!(run.decisions(), ["allow", "deny"]);
    assert_eq!(run.terminations, ["s-embedded"]);
    assert_no_secrets(&run);
}

#[test]
fn ssm_guard_lambda_runs_the_same_function() {
    let policies = policy_dir();
    let events = [
        bytes(&start_session("s-ok", "SSM-SessionManagerRunShell")),
        bytes(&start_session("s-bad", "Evil-Document")),
        b"not json".to_vec(),
    ];
    let run = run_lambda(
        Binary::SubCommand,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforce"),
        ],
        &events,
        false,
    );
    assert_eq!(run.decisions(), ["allow", "deny", "deny"]);
    assert_eq!(run.terminations, ["s-bad"]);
    assert_no_secrets(&run);
}

/// Policies that do not load: the function still starts, says why, and denies every event. In
/// enforce mode the sessions that started are terminated: they would otherwise go on unjudged.
#[test]
fn broken_policies_deny_every_event() {
    let broken = scratch_dir("broken");
    std::fs::write(
        broken.join("broken.yaml"),
        "policy: broken\nrules:\n  - id: r\n    require: { DocumentName: { no_such_operator: 1 } }\n",
    )
    .unwrap();
    let empty = scratch_dir("empty");
    let missing = scratch_dir("gone").join("missing");
    let cases = cases();
    for folder in [&broken, &empty, &missing] {
        for mode in ["enforce", "audit"] {
            let run = run_lambda(
                Binary::Bootstrap,
                &[
                    ("SSM_GUARD_POLICIES", folder.to_str().unwrap()),
                    ("SSM_GUARD_MODE", mode),
                ],
                &events(&cases),
                false,
            );
            let context = format!("{} in {mode} mode", folder.display());
            for (n, case) in cases.iter().enumerate() {
                let answer = run.answer(n);
                assert_eq!(
                    answer["decision"], "deny",
                    "{context}, {}: {answer}",
                    case.name
                );
                assert!(
                    answer["error"]
                        .as_str()
                        .unwrap()
                        .starts_with("policies did not load"),
                    "{context}: {answer}"
                );
            }
            let cold = run.cold_start_log();
            assert_eq!(cold["ready"], false, "{context}");
            let why = cold["error"].as_str().unwrap();
            assert!(why.contains(folder.to_str().unwrap()), "{context}: {cold}");
            // Only starts of sessions are terminated, and only in enforce mode.
            let expected: Vec<&str> = if mode == "enforce" {
                vec![
                    "alex.kim-q8w7e6r5t4y3u2i1o0p9a8s7d6",
                    "s-allowed",
                    "s-denied-1",
                    "s-denied-2",
                    "s-denied-3",
                ]
            } else {
                Vec::new()
            };
            assert_eq!(run.terminations, expected, "{context}");
            assert_no_secrets(&run);
        }
    }
}

#[test]
fn an_unknown_mode_denies_every_event() {
    let policies = policy_dir();
    let events = [bytes(&sample()), b"{}".to_vec()];
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforcing"),
        ],
        &events,
        false,
    );
    assert_eq!(run.decisions(), ["deny", "deny"]);
    let error = run.answer(0)["error"].as_str().unwrap().to_owned();
    assert!(error.contains("`SSM_GUARD_MODE` is `enforcing`"), "{error}");
    assert_eq!(run.cold_start_log()["mode"], "enforce");
}

/// A termination that fails leaves the answer a deny, and the log says it failed.
#[test]
fn a_failed_termination_is_still_a_deny_and_is_logged() {
    let policies = policy_dir();
    let events = [bytes(&start_session("s-stuck", "Evil-Document"))];
    let run = run_lambda(
        Binary::Bootstrap,
        &[
            ("SSM_GUARD_POLICIES", policies.to_str().unwrap()),
            ("SSM_GUARD_MODE", "enforce"),
        ],
        &events,
        true,
    );
    let answer = run.answer(0);
    assert_eq!(answer["decision"], "deny");
    assert_eq!(answer["termination"]["sent"], true);
    assert_eq!(answer["termination"]["terminated"], false);
    assert!(
        answer["termination"]["error"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{answer}"
    );
    // AccessDenied is not retried: one call.
    assert_eq!(run.terminations, ["s-stuck"]);
    let log = &run.decision_logs()[0];
    assert_eq!(log["level"], "error");
    assert_eq!(log["terminated"], false);
    assert!(
        log["termination_error"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{log}"
    );
    assert_no_secrets(&run);
}

#[test]
fn outside_lambda_it_says_what_is_missing() {
    let output = bootstrap()
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let line: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("AWS_LAMBDA_RUNTIME_API"),
        "{line}"
    );
}
