//! `ssm-guard hook`: one event on stdin, one decision on stdout; fails closed.

use std::io::{Read, Write};

use clap::ValueEnum;
use serde_json::json;
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
    /// Judge the API's record of a started session (DescribeSessions, waiting up to 5 s for it
    /// to be listed) rather than the event alone; the answer says whether it was read. Needs a
    /// build with `--features aws`.
    #[arg(long)]
    describe: bool,
    #[command(flatten)]
    aws: super::aws::AwsArgs,
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
    if args.describe && !cfg!(feature = "aws") {
        // Failing closed like any other usage of the hook that cannot judge: a deny, and why.
        let why = "`--describe` reads the session from AWS, and this ssm-guard was built without the AWS SDK: build it with `--features aws`";
        let _ = writeln!(stderr.lock(), "error: {why}");
        let decision = HookDecision::fail_closed(mode, why);
        let _ = serde_json::to_writer(std::io::stdout().lock(), &decision);
        println!();
        return exit::USAGE;
    }
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
    let (decision, described) = match read {
        Ok(_) => decide(&args, &gate, &event, now),
        Err(error) => (
            HookDecision::fail_closed(mode, format!("cannot read the event: {error}")),
            None,
        ),
    };
    let mut answer = serde_json::to_value(&decision).unwrap_or_else(|error| {
        json!({"decision": "deny", "allowed": false, "error": format!("cannot write the decision: {error}")})
    });
    if let (Some(map), Some(fields)) = (answer.as_object_mut(), described) {
        map.extend(fields);
    }
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &answer)
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

/// The gate's decision, and with `--describe` whether the API's record was read.
#[cfg(feature = "aws")]
fn decide(
    args: &Args,
    gate: &Gate,
    event: &[u8],
    now: Timestamp,
) -> (
    HookDecision,
    Option<serde_json::Map<String, serde_json::Value>>,
) {
    use ssm_guard::aws::SdkTagApi;
    use ssm_guard::aws::SsmApi;
    use ssm_guard::described::{DESCRIBE_WAIT, decide_described_with_tags};
    use ssm_guard::tags::LiveTags;
    if !args.describe {
        return (gate.decide(event, now), None);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let mut fields = serde_json::Map::new();
            fields.insert("described".to_owned(), json!(false));
            fields.insert(
                "describe_error".to_owned(),
                json!(format!("cannot start the async runtime: {error}")),
            );
            return (gate.decide(event, now), Some(fields));
        }
    };
    let (decision, described) = runtime.block_on(async {
        let api = SsmApi::from_settings(&args.aws.settings()).await;
        // With --describe the session's tags are looked up too, where the policies read any.
        let reads_tags = gate
            .policies()
            .is_some_and(|set| !set.tag_families().is_empty());
        let tags = match reads_tags {
            true => Some(LiveTags::new(
                SdkTagApi::from_settings(&args.aws.settings()).await,
            )),
            false => None,
        };
        decide_described_with_tags(gate, &api, event, now, DESCRIBE_WAIT, tags.as_ref()).await
    });
    let fields = described.map(|described| {
        let mut fields = serde_json::Map::new();
        described.add_to(&mut fields);
        fields
    });
    (decision, fields)
}

#[cfg(not(feature = "aws"))]
fn decide(
    _args: &Args,
    gate: &Gate,
    event: &[u8],
    now: Timestamp,
) -> (
    HookDecision,
    Option<serde_json::Map<String, serde_json::Value>>,
) {
    (gate.decide(event, now), None)
}
