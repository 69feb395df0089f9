//! The hand-written baseline of the throughput comparison: JSON Lines parsed by serde_json into
//! a typed struct with borrowed strings, records counted. ssm-guard is measured against this.
//!
//! ```sh
//! cargo run --release --example baseline < sessions.jsonl
//! ```

use std::io::{BufRead, BufReader};

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code, reason = "the fields are parsed, which is what is measured")]
struct Session<'a> {
    #[serde(borrow)]
    session_id: Option<&'a str>,
    #[serde(borrow)]
    target: Option<&'a str>,
    #[serde(borrow)]
    status: Option<&'a str>,
    #[serde(borrow)]
    start_date: Option<&'a str>,
    #[serde(borrow)]
    end_date: Option<&'a str>,
    #[serde(borrow)]
    document_name: Option<&'a str>,
    #[serde(borrow)]
    owner: Option<&'a str>,
    #[serde(borrow)]
    reason: Option<&'a str>,
    #[serde(borrow)]
    max_session_duration: Option<&'a str>,
    #[serde(borrow)]
    access_type: Option<&'a str>,
}

fn main() {
    let stdin = std::io::stdin();
    let mut reader = BufReader::with_capacity(1 << 18, stdin.lock());
    let mut line = Vec::new();
    let (mut records, mut errors) = (0u64, 0u64);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        match serde_json::from_slice::<Session<'_>>(&line) {
            Ok(_) => records += 1,
            Err(_) => errors += 1,
        }
    }
    println!("{records} records, {errors} errors");
}
