//! `ssm-guard sweep`: every active session of the account and region judged now, and in enforce
//! mode the denied ones terminated, up to a limit; what was done is printed (text or JSON).

use std::io::Write;

use clap::ValueEnum;
use serde_json::json;
use ssm_guard::Timestamp;
use ssm_guard::aws::SsmApi;
use ssm_guard::hook::{Gate, Mode};
use ssm_guard::sweep::{
    DEFAULT_MAX_TERMINATIONS, SweepAction, SweepFailure, SweepOptions, SweepReport, sweep,
};

use super::aws::AwsArgs;
use super::exit;
use super::policies::{PolicyArgs, parse_now, use_color};

/// Where the limit is read from when `--max-terminations` is not given.
const MAX_TERMINATIONS_ENV: &str = "SSM_GUARD_MAX_TERMINATIONS";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// `audit` reports what it would terminate; `enforce` terminates the denied sessions.
    #[arg(long, value_enum, default_value_t = ModeArg::Audit)]
    mode: ModeArg,
    /// At most this many sessions are terminated per run; past it the sweep terminates no more,
    /// names the sessions left alone, and exits 1. Default: `SSM_GUARD_MAX_TERMINATIONS`, or 20.
    #[arg(long, value_name = "N")]
    max_terminations: Option<usize>,
    /// The evaluation time (RFC 3339): ends active sessions' Duration. Default: the clock.
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Audit,
    Enforce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> u8 {
    let now = args.now.unwrap_or_else(Timestamp::now);
    let stderr = std::io::stderr();
    let max_terminations = match args.max_terminations {
        Some(limit) => limit,
        None => match limit_from_env() {
            Ok(limit) => limit,
            Err(error) => {
                let _ = writeln!(stderr.lock(), "error: {error}");
                return exit::USAGE;
            }
        },
    };
    let mode = match args.mode {
        ModeArg::Enforce => Mode::Enforce,
        ModeArg::Audit => Mode::Audit,
    };
    let Ok((_, compiled)) = args
        .policies
        .load(now, &mut stderr.lock(), use_color(&stderr))
    else {
        return exit::USAGE;
    };
    let gate = Gate::new(compiled.set, mode);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(
                stderr.lock(),
                "error: cannot start the async runtime: {error}"
            );
            return exit::USAGE;
        }
    };
    let options = SweepOptions {
        max_terminations,
        deadline: None,
    };
    let report = runtime.block_on(async {
        let api = SsmApi::from_settings(&args.aws.settings()).await;
        sweep(&gate, &api, now, options).await
    });
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => write_json(&mut out, &report),
        Format::Text => write_text(&mut out, &report),
    };
    if let Some(error) = &report.error {
        let _ = writeln!(stderr.lock(), "error: {error}");
    }
    match (report.failure, written) {
        (Some(SweepFailure::Read), _) => exit::INPUT,
        (Some(SweepFailure::Policies), _) => exit::USAGE,
        (Some(SweepFailure::NotAllEnded), _) => exit::FAILED,
        (None, Err(error)) if error.kind() != std::io::ErrorKind::BrokenPipe => exit::USAGE,
        (None, _) => exit::OK,
    }
}

/// `SSM_GUARD_MAX_TERMINATIONS`, or the default.
fn limit_from_env() -> Result<usize, String> {
    match std::env::var(MAX_TERMINATIONS_ENV) {
        Ok(text) if !text.trim().is_empty() => text.trim().parse().map_err(|_| {
            format!("`{MAX_TERMINATIONS_ENV}` is `{text}`, not a whole number of sessions")
        }),
        _ => Ok(DEFAULT_MAX_TERMINATIONS),
    }
}

fn write_json(out: &mut dyn Write, report: &SweepReport) -> std::io::Result<()> {
    let mut document = json!({"version": 1});
    if let (Some(map), Ok(serde_json::Value::Object(fields))) =
        (document.as_object_mut(), serde_json::to_value(report))
    {
        map.extend(fields);
    }
    serde_json::to_writer(&mut *out, &document)?;
    writeln!(out)
}

/// One line per session (its decision, what was done, who and where), its broken rules under
/// it, then the summary.
fn write_text(out: &mut dyn Write, report: &SweepReport) -> std::io::Result<()> {
    for swept in &report.sessions {
        let decision = &swept.decision;
        let action = match swept.action {
            SweepAction::None => "-",
            SweepAction::Terminated => "terminated",
            SweepAction::Failed => "failed",
            SweepAction::AlreadyEnding => "already ending",
            SweepAction::LeftAlone => "left alone",
            SweepAction::OutOfTime => "out of time",
        };
        let text = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
        writeln!(
            out,
            "{:<5}  {:<14}  {} on {} by {} ({})",
            serde_json::to_value(decision.decision)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            action,
            text(&decision.session.session_id),
            text(&decision.session.target),
            text(&decision.session.owner),
            swept.status.as_deref().unwrap_or("no status"),
        )?;
        for violation in decision
            .violations
            .iter()
            .chain(&decision.warnings)
            .chain(&decision.waived)
        {
            writeln!(
                out,
                "       {}/{}: {}",
                violation["policy"].as_str().unwrap_or(""),
                violation["rule"].as_str().unwrap_or(""),
                violation["message"].as_str().unwrap_or("")
            )?;
        }
        if let Some(error) = decision.error.as_ref().or(swept.termination_error.as_ref()) {
            writeln!(out, "       error: {error}")?;
        }
    }
    let s = &report.summary;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    writeln!(
        out,
        "swept {} active session{} in {} mode ({} DescribeSessions and {} TerminateSession call{}, {} ms): {} denied, {} terminated, {} failed, {} left alone by the limit of {}, {} already ending",
        s.read,
        plural(s.read),
        serde_json::to_value(report.mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        s.describe_calls,
        s.terminate_calls,
        if s.terminate_calls == 1 { "" } else { "s" },
        s.elapsed_ms,
        s.denied,
        s.terminated,
        s.failed,
        s.left_alone,
        s.max_terminations,
        s.already_ending,
    )
}
