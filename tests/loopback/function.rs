//! Running the function (the `bootstrap` binary, or `ssm-guard lambda`) against a fresh Runtime
//! API and SSM stand-in, and running `ssm-guard` commands against the stand-in, each in a clean
//! environment: nothing of the machine's AWS settings may reach them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::runtime_api::Outcome;
#[cfg(feature = "lambda")]
use super::runtime_api::RuntimeApi;
#[cfg(feature = "lambda")]
use super::ssm::SsmSetup;
use super::ssm::{FakeSsm, SsmCall};

/// The dummy credentials every run gets; requests must be signed with them.
pub const ACCESS_KEY_ID: &str = "AKIDLOOPBACKTEST0001";
pub const REGION: &str = "eu-west-1";

/// What one run of the function gave.
pub struct LambdaRun {
    pub outcomes: Vec<Option<Outcome>>,
    /// How long each invocation took, from the Runtime API's handing it out to the answer.
    pub durations: Vec<Option<Duration>>,
    pub terminations: Vec<String>,
    pub ssm_calls: Vec<SsmCall>,
    pub init_errors: Vec<String>,
    pub stdout: String,
    pub stderr: String,
}

impl LambdaRun {
    /// The answer to event `n`; fails the test if it was not a response.
    pub fn answer(&self, n: usize) -> &Value {
        match &self.outcomes[n] {
            Some(Outcome::Response(value)) => value,
            other => panic!(
                "event {n} got {other:?}\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            ),
        }
    }

    pub fn decisions(&self) -> Vec<String> {
        (0..self.outcomes.len())
            .map(|n| self.answer(n)["decision"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Every log line, each a JSON object.
    pub fn logs(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// The log lines whose `message` is `message`, in order.
    pub fn logs_of(&self, message: &str) -> Vec<Value> {
        self.logs()
            .into_iter()
            .filter(|line| line["message"] == message)
            .collect()
    }

    /// The decision log lines, one per event, in order.
    pub fn decision_logs(&self) -> Vec<Value> {
        self.logs_of("ssm-guard decision")
    }

    pub fn cold_start_log(&self) -> Value {
        self.logs_of("ssm-guard cold start")
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no cold start line in:\n{}", self.stdout))
    }

    /// The calls of one SSM operation.
    pub fn calls_of(&self, operation: &str) -> Vec<&SsmCall> {
        self.ssm_calls
            .iter()
            .filter(|call| call.operation() == operation)
            .collect()
    }

    /// Fails if the function's output holds a secret of the events.
    pub fn assert_no_secrets(&self, secrets: &[&str]) {
        for secret in secrets {
            for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
                assert!(!text.contains(secret), "{name} leaks `{secret}`:\n{text}");
            }
        }
    }
}

/// Which binary runs the function.
#[derive(Clone, Copy)]
pub enum Binary {
    Bootstrap,
    SubCommand,
}

#[cfg(feature = "lambda")]
/// Runs the function over `events` with `SSM_GUARD_*` settings, against a fresh Runtime API and
/// an SSM stand-in set up as `ssm`, until every event is answered (bounded), then stops it.
pub fn run_lambda(
    binary: Binary,
    settings: &[(&str, &str)],
    events: &[Vec<u8>],
    ssm: SsmSetup,
) -> LambdaRun {
    let api = RuntimeApi::start(events);
    let ssm = FakeSsm::start(ssm);
    let mut command = match binary {
        Binary::Bootstrap => bootstrap(),
        Binary::SubCommand => {
            let mut command = Command::new(env!("CARGO_BIN_EXE_ssm-guard"));
            command.arg("lambda");
            command
        }
    };
    aws_env(&mut command, &ssm);
    command
        .env("AWS_LAMBDA_RUNTIME_API", api.server.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "ssm-guard")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/03/10/[$LATEST]0123456789abcdef",
        )
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/ssm-guard")
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
        durations: api.durations(events.len()),
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

/// A clean environment pointed at the stand-in, with dummy credentials and a region.
pub fn aws_env(command: &mut Command, ssm: &FakeSsm) {
    let home = scratch_dir("home");
    command
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "loopback-secret-access-key")
        .env("AWS_ENDPOINT_URL_SSM", ssm.endpoint())
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// Runs `ssm-guard ARGS` against `ssm`, with `stdin`, bounded in time; `vars` are set (or, with
/// an empty value, removed) over the clean environment.
pub fn ssm_guard(ssm: &FakeSsm, args: &[&str], vars: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssm-guard"));
    aws_env(&mut command, ssm);
    for (name, value) in vars {
        if value.is_empty() {
            command.env_remove(name);
        } else {
            command.env(name, value);
        }
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin);
    }
    let end = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > end {
            stop(&mut child);
            panic!("ssm-guard {args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().unwrap().into_bytes(),
        stderr: stderr.join().unwrap().into_bytes(),
    }
}

#[cfg(feature = "lambda")]
/// The `bootstrap` binary this build made, or the command in `SSM_GUARD_TEST_BOOTSTRAP`
/// (words split on spaces): how another build of it, e.g. arm64 under
/// `qemu-aarch64 -L /usr/aarch64-linux-gnu`, is run through the same tests.
pub fn bootstrap() -> Command {
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
    panic!("the process did not stop when killed");
}

pub fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loopback-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
