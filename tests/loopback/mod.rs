//! Servers on 127.0.0.1 that speak the real protocols the Lambda form and the AWS SDK use: a
//! minimal HTTP/1.1 server, the Lambda Runtime API, a stand-in for SSM speaking JSON 1.1, and
//! moto's server for S3, EC2, ECS, IAM and tagging.
//! Every server here stops by itself: each loop and wait is bounded in time. Each test crate
//! uses some of it.

#![allow(dead_code)]

pub mod events;
pub mod function;
#[cfg(feature = "aws")]
pub mod moto;
pub mod runtime_api;
pub mod ssm;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any server, connection or wait here lives.
pub const LIFETIME: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, content_type: &str, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: serde_json::to_vec(body).unwrap(),
        }
    }
}

/// What a server does with a request: an answer, or `None` to close the connection unanswered
/// (how a long poll ends when the server stops).
pub type Handle = Arc<dyn Fn(&Request, &AtomicBool) -> Option<Response> + Send + Sync>;

pub struct Server {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handle: Handle) -> Self {
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
    let _ = stream.set_nodelay(true);
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
    // One write: a head and a body written apart wait on the peer's delayed ACK (Nagle), which
    // would add some 40 ms to every answer and to every figure measured here.
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response.body);
    stream.write_all(&bytes)?;
    stream.flush()
}
