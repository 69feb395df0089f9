//! Running the sweep through the AWS SDK, and printing what it did.

use std::io::Write;

use serde_json::json;
use ssm_guard::Timestamp;
use ssm_guard::aws::{SdkTagApi, SsmApi};
use ssm_guard::hook::{Gate, Mode};
use ssm_guard::sweep::{
    DEFAULT_MAX_TERMINATIONS, SweepAction, SweepFailure, SweepOptions, SweepReport, sweep_with_tags,
};
use ssm_guard::tags::LiveTags;

use super::super::exit;
use super::super::policies::use_color;
use super::{Args, Format, ModeArg};

/// Where the limit is read from when `--max-terminations` is not given.
const MAX_TERMINATIONS_ENV: &str = "SSM_GUARD_MAX_TERMINATIONS";

pub(super) fn run(args: Args) -> u8 {
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
        // Tags are looked up only where the policies read them.
        let reads_tags = gate
            .policies()
            .is_some_and(|set| !set.tag_families().is_empty());
        let tags = match reads_tags {
            true => Some(LiveTags::new(
                SdkTagApi::from_settings(&args.aws.settings()).await,
            )),
            false => None,
        };
        sweep_with_tags(&gate, &api, tags.as_ref(), now, options).await
    });
    let mut out = std::io::stdout().lock();
    let written = match (args.format, report.failure) {
        (Format::Json, _) => write_json(&mut out, &report),
        // Nothing was read, or judged: the error on standard error says it all.
        (Format::Text, Some(SweepFailure::Read | SweepFailure::Policies)) => Ok(()),
        (Format::Text, _) => write_text(&mut out, &report),
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
            writeln!(out, "       {}: {}", violation.id(), violation.message())?;
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
