//! moto's server on 127.0.0.1, the real S3, EC2, ECS, IAM and tagging protocols for tests of the
//! `aws` build: started per test on a free port, filled through boto3 (which moto itself
//! depends on), and stopped when dropped. CI installs it (`pip install 'moto[server]'`); without
//! it a test that needs it fails and says how to install it, never passes silently.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::LIFETIME;

/// The region every test account lives in.
pub const REGION: &str = "us-east-1";

/// A running `moto_server`, killed on drop.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts moto's server on a free loopback port and waits until it answers.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap_or_else(|error| panic!("no free loopback port: {error}"));
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("python3 -m moto.server did not start: {error}"));
        let moto = Moto { child, port };
        moto.wait_until_ready();
        moto
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "moto's server did not answer on 127.0.0.1:{} within 30 s; \
             install it with `pip install 'moto[server]'`",
            self.port
        );
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL` or a service's own variable.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment that points the AWS SDK (Rust's or boto3) at this server, with dummy
    /// credentials, and keeps it from reading the user's own configuration.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_SESSION_TOKEN", "testing".to_owned()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_DEFAULT_REGION", REGION.to_owned()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
    }

    /// Applies [`Moto::env`] to a command.
    pub fn configure<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        for (key, value) in self.env() {
            command.env(key, value);
        }
        command
    }

    /// Runs a Python script against this server; `boto3` is imported and a `client(service)`
    /// function that makes clients for it is defined. Panics with the script's error output if
    /// it fails, and returns what it printed.
    pub fn python(&self, script: &str) -> String {
        let prelude = "import boto3, json, gzip, io\n\
                       def client(service):\n    return boto3.client(service)\n";
        let mut child = self
            .configure(&mut Command::new("python3"))
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("python3 did not start: {error}"));
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(format!("{prelude}{script}").as_bytes())
                .unwrap_or_else(|error| panic!("writing the script: {error}"));
        }
        let output: Output = wait_bounded(child);
        assert!(
            output.status.success(),
            "the script against moto failed:\n{script}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// Waits for a child and its output for at most [`LIFETIME`], on a thread so that a full pipe
/// cannot stall it; past that the test fails.
fn wait_bounded(child: Child) -> Output {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(LIFETIME) {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => panic!("waiting for python3: {error}"),
        Err(_) => panic!("python3 ran longer than {LIFETIME:?}"),
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
