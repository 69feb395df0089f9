//! `ssm-guard hook`: one event on stdin, one decision on stdout; fails closed.

use std::io::{Read, Write};

use clap::ValueEnum;
use ssm_guard::Timestamp;
use ssm_guard::hook::{Gate, HookDecision, MAX_EVENT_BYTES, Mode};

use super::exit;
use super::policies::{PolicyArgs, parse_now, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// `enforce` denies what breaks policy; `audit` allows everything and still reports.
    #[arg(long, value_enum, default_value_t = ModeArg::Enforce)]
    mode: ModeArg,
    /// The evaluation time (RFC 3339). Default: the clock.
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    now: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Enforce,
    Audit,
}

pub fn run(args: Args) -> u8 {
    let mode = match args.mode {
        ModeArg::Enforce => Mode::Enforce,
        ModeArg::Audit => Mode::Audit,
    };
    let now = args.now.unwrap_or_else(Timestamp::now);
    let stderr = std::io::stderr();
    let (gate, loaded) = match args
        .policies
        .load(now, &mut stderr.lock(), use_color(&stderr))
    {
        Ok((_, compiled)) => (Gate::new(compiled.set, mode), true),
        Err(()) => (
            Gate::broken("see the diagnostics on standard error", mode),
            false,
        ),
    };
    let mut event = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_EVENT_BYTES as u64 + 1)
        .read_to_end(&mut event);
    let decision = match read {
        Ok(_) => gate.decide(&event, now),
        Err(error) => HookDecision::fail_closed(mode, format!("cannot read the event: {error}")),
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &decision)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out));
    if !loaded {
        return exit::USAGE;
    }
    match (written, decision.allowed) {
        (Ok(()), true) => exit::OK,
        _ => exit::FAILED,
    }
}
