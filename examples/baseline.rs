//! The hand-written baseline of the throughput comparison: JSON Lines parsed by serde_json into
//! a typed struct with borrowed strings, and the five rules of `benches/five-rules.yaml` checked
//! by hand, violations counted per rule. ssm-guard is measured against this.
//!
//! ```sh
//! cargo run --release --example baseline < sessions.jsonl
//! ```
//!
//! It prints one line of counts: `records`, `errors`, then each rule's violations, so that a run
//! of `ssm-guard check` on the same export can be held to the same numbers.

use std::io::{BufRead, BufReader};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(
    dead_code,
    reason = "every field is parsed, which is part of what is measured"
)]
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

const APPROVED: [&str; 3] = [
    "SSM-SessionManagerRunShell",
    "AWS-StartPortForwardingSession",
    "AWS-StartSSHSession",
];

/// Violations of each of the five rules.
#[derive(Debug, Default)]
struct Counts {
    reason: u64,
    cap: u64,
    documents: u64,
    overrun: u64,
    owner: u64,
}

/// The five rules, by hand; each rule that the session breaks is counted.
fn check(session: &Session<'_>, owner: &regex::Regex, counts: &mut Counts) {
    if session.access_type == Some("JustInTime")
        && session.reason.is_none_or(|r| r.trim().is_empty())
    {
        counts.reason += 1;
    }
    let cap: Option<f64> = session.max_session_duration.and_then(|m| m.parse().ok());
    let limit = match session.target {
        Some(t) if t.starts_with("mi-") => 60.0,
        Some(t) if t.starts_with("ecs:") => 30.0,
        _ => 240.0,
    };
    if cap.is_none_or(|cap| cap > limit) {
        counts.cap += 1;
    }
    if session.document_name.is_none_or(|d| !APPROVED.contains(&d)) {
        counts.documents += 1;
    }
    if let Some(end) = session.end_date {
        let minutes = session.start_date.and_then(|start| {
            let start = OffsetDateTime::parse(start, &Rfc3339).ok()?;
            let end = OffsetDateTime::parse(end, &Rfc3339).ok()?;
            Some((end - start).as_seconds_f64() / 60.0)
        });
        match (minutes, cap) {
            (Some(minutes), Some(cap)) if minutes <= cap => {}
            _ => counts.overrun += 1,
        }
    }
    if session.owner.is_none_or(|o| !owner.is_match(o)) {
        counts.owner += 1;
    }
}

fn main() {
    let Ok(owner) = regex::Regex::new(
        "^arn:aws:sts::[0-9]{12}:assumed-role/(AWSReservedSSO_[A-Za-z0-9_]+|CiRunner)/",
    ) else {
        eprintln!("the owner pattern does not compile");
        return;
    };
    let stdin = std::io::stdin();
    let mut reader = BufReader::with_capacity(1 << 18, stdin.lock());
    let mut line = Vec::new();
    let (mut records, mut errors) = (0u64, 0u64);
    let mut counts = Counts::default();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        match serde_json::from_slice::<Session<'_>>(&line) {
            Ok(session) => {
                records += 1;
                check(&session, &owner, &mut counts);
            }
            Err(_) => errors += 1,
        }
    }
    let Counts {
        reason,
        cap,
        documents,
        overrun,
        owner,
    } = counts;
    println!(
        "{records} records, {errors} errors; jit-requires-reason {reason}, duration-cap-per-target {cap}, approved-documents {documents}, ran-past-its-cap {overrun}, owner-from-sso-or-automation {owner}"
    );
}
