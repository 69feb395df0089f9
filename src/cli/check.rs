//! `ssm-guard check`: evaluate session records from files or stdin and report violations.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, LineWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::ValueEnum;
use ssm_guard::check::{Checker, Reporter, Summary};
use ssm_guard::merge::{self, ReportContext, ReportFormat};
use ssm_guard::report::asff::{is_account, is_region};
use ssm_guard::report::{AsffSettings, JsonLinesReporter, Progress, Tee};
use ssm_guard::{Decision, Timestamp};

use super::aws::AwsArgs;
use super::exit;
use super::policies::{PolicyArgs, parse_now, use_color};
use super::s3::S3Args;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// The output format on standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Also write a report in FORMAT to the file PATH, in the same pass (repeatable), e.g.
    /// `--output sarif=out.sarif --output html=report.html`.
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output)]
    outputs: Vec<(ReportFormat, PathBuf)>,
    /// Never draw progress on standard error (it is drawn only when that is a terminal).
    #[arg(long)]
    no_progress: bool,
    /// The lowest decision that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    fail_on: FailOn,
    /// The evaluation time (RFC 3339): ends active sessions' Duration. Default: the clock.
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// Worker threads for evaluation (default: all cores); output is identical for every N.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// ASFF: the account of findings whose session's `Owner` names none (12 digits). Default:
    /// `AWS_ACCOUNT_ID`.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// `--region` is also the Security Hub region ASFF findings name (default: `AWS_REGION`,
    /// else `AWS_DEFAULT_REGION`, else us-east-1 with a warning).
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    s3: S3Args,
    #[command(flatten)]
    tags: super::tags::TagArgs,
    /// Files to check (JSON, JSON Lines, CloudTrail, gzip), `ssm:active` or `ssm:history?...`
    /// (Session Manager's own listing), `s3://BUCKET/PREFIX` (every object under it); none or
    /// `-` reads standard input.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// The region ASFF findings name when neither `--region` nor the environment gives one.
const FALLBACK_REGION: &str = "us-east-1";

/// Reads `--output FORMAT=PATH`.
fn parse_output(text: &str) -> Result<(ReportFormat, PathBuf), String> {
    let Some((format, path)) = text.split_once('=') else {
        return Err(format!(
            "expected FORMAT=PATH, as in `sarif=out.sarif`, not `{text}`"
        ));
    };
    let format = format.parse::<ReportFormat>()?;
    if path.is_empty() {
        return Err("the PATH after `=` is empty".to_owned());
    }
    Ok((format, PathBuf::from(path)))
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Deny,
    Warn,
    Never,
}

pub fn run(args: Args) -> u8 {
    let now = args.now.unwrap_or_else(Timestamp::now);
    let stderr = std::io::stderr();
    let stderr_color = use_color(&stderr);
    let Ok((sources, compiled)) = args.policies.load(now, &mut stderr.lock(), stderr_color) else {
        return exit::USAGE;
    };
    let inputs = match super::inputs::sources(&args.inputs, &args.aws, &args.s3) {
        Ok(inputs) => inputs,
        Err(error) => {
            let _ = writeln!(stderr.lock(), "error: {error}");
            return exit::USAGE;
        }
    };
    let tags = match args
        .tags
        .context(compiled.set.tag_families(), &args.aws, &mut stderr.lock())
    {
        Ok(tags) => tags,
        Err(error) => {
            let _ = writeln!(stderr.lock(), "error: {error}");
            return exit::USAGE;
        }
    };
    let jobs = super::inputs::jobs(args.jobs);
    let wants_asff = std::iter::once(args.format)
        .chain(args.outputs.iter().map(|(format, _)| *format))
        .any(ReportFormat::is_asff);
    // Without an ASFF output the settings are never read.
    let asff = if wants_asff {
        match asff_settings(&args, now) {
            Ok((settings, warning)) => {
                if let Some(warning) = warning {
                    let _ = writeln!(stderr.lock(), "warning: {warning}");
                }
                settings
            }
            Err(error) => {
                let _ = writeln!(stderr.lock(), "error: {error}");
                return exit::USAGE;
            }
        }
    } else {
        AsffSettings::new(FALLBACK_REGION, now)
    };
    let unattributed = Arc::new(AtomicU64::new(0));

    let stdout = std::io::stdout();
    let stdout_terminal = stdout.is_terminal();
    let context = ReportContext {
        set: &compiled.set,
        sources: Some(&sources),
        now,
        asff: &asff,
        color: use_color(&stdout),
        unattributed: Some(&unattributed),
    };
    // On a terminal, lines go out as they are written, so that progress on the same terminal
    // can be cleared before them; elsewhere, large buffers.
    let out: Box<dyn Write> = if stdout_terminal {
        Box::new(LineWriter::new(stdout.lock()))
    } else {
        let block = super::output::widen_pipe(&stdout);
        Box::new(BufWriter::with_capacity(block, stdout.lock()))
    };
    let mut tee = Tee::new();
    tee.add(
        "standard output",
        reporter(args.format, out, true, &context),
    );
    for (format, path) in &args.outputs {
        let file = match File::create(path) {
            Ok(file) => file,
            Err(error) => {
                let _ = writeln!(
                    stderr.lock(),
                    "error: cannot create `{}`: {error}",
                    path.display()
                );
                return exit::USAGE;
            }
        };
        let out = Box::new(BufWriter::with_capacity(1 << 16, file));
        tee.add(
            format!("`{}`", path.display()),
            reporter(
                *format,
                out,
                false,
                &ReportContext {
                    color: false,
                    ..context
                },
            ),
        );
    }

    // Only the JSON document lists records without violations by session; the other reports
    // need a record's identity only where it has violations.
    let identify_clean = std::iter::once(args.format)
        .chain(args.outputs.iter().map(|(format, _)| *format))
        .any(|format| format == ReportFormat::Json);
    let checker = Checker::new(&compiled.set, now, jobs)
        .identify_clean_records(identify_clean)
        .with_tags(tags);
    let result = if !args.no_progress && stderr.is_terminal() {
        let bytes = Arc::new(AtomicU64::new(0));
        let checker = checker.count_bytes(bytes.clone());
        let mut progress = Progress::new(tee, std::io::stderr(), bytes, stdout_terminal);
        let result = checker.run(inputs, &mut progress);
        tee = progress.into_inner();
        result
    } else {
        checker.run(inputs, &mut tee)
    };
    if report_write_errors(&tee, &stderr) {
        return exit::USAGE;
    }
    let unattributed = unattributed.load(Ordering::Relaxed);
    if unattributed > 0 {
        let _ = writeln!(
            stderr.lock(),
            "warning: {unattributed} violations are not in the ASFF findings: their sessions' Owner names no account; pass --account or set AWS_ACCOUNT_ID"
        );
    }
    // The text report and JSON Lines' standard error carry warnings themselves.
    if let Ok(summary) = &result
        && !matches!(args.format, ReportFormat::Text | ReportFormat::Jsonl)
    {
        for warning in &summary.warnings {
            let _ = writeln!(
                stderr.lock(),
                "warning: {}: {}",
                warning.source,
                warning.message
            );
        }
    }
    match result {
        Ok(summary) => exit_code(&summary, args.fail_on),
        // Every output failed, and only by a closed pipe: nobody is left to tell.
        Err(_) => exit::OK,
    }
}

/// The ASFF settings from `--region`, `--account` and the environment (`AWS_REGION`,
/// `AWS_DEFAULT_REGION`, `AWS_ACCOUNT_ID`), and a warning when the region is the fallback.
fn asff_settings(args: &Args, now: Timestamp) -> Result<(AsffSettings, Option<String>), String> {
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .map(|value| (value, name.to_owned()))
    };
    let found = args
        .aws
        .region
        .clone()
        .map(|region| (region, "--region".to_owned()))
        .or_else(|| from_env("AWS_REGION"))
        .or_else(|| from_env("AWS_DEFAULT_REGION"));
    let (region, warning) = match found {
        Some((region, _)) if is_region(&region) => (region, None),
        Some((region, from)) => {
            return Err(format!(
                "{from} is `{region}`, not a region name such as `eu-west-1`"
            ));
        }
        None => (
            FALLBACK_REGION.to_owned(),
            Some(format!(
                "ASFF findings name the region {FALLBACK_REGION}: neither --region, AWS_REGION nor AWS_DEFAULT_REGION gives one"
            )),
        ),
    };
    let mut settings = AsffSettings::new(region, now);
    // `AWS_ACCOUNT_ID` is the SDKs' own setting of the account (for account-based endpoints).
    let account = args
        .account
        .clone()
        .map(|account| (account, "--account".to_owned()))
        .or_else(|| from_env("AWS_ACCOUNT_ID"));
    if let Some((account, from)) = account {
        if !is_account(&account) {
            return Err(format!("{from} is `{account}`, not a 12-digit account id"));
        }
        settings = settings.with_account(account);
    }
    Ok((settings, warning))
}

/// The reporter for a format. `terminal` marks the standard output one: only there do the
/// input errors of `jsonl` go to standard error.
fn reporter<'a, 'p: 'a>(
    format: ReportFormat,
    out: Box<dyn Write + 'a>,
    terminal: bool,
    context: &ReportContext<'_, 'p>,
) -> Box<dyn Reporter<'p> + 'a> {
    match format {
        ReportFormat::Jsonl if terminal => {
            Box::new(super::inputs::ErrorsToStderr(JsonLinesReporter::new(out)))
        }
        _ => merge::reporter(format, out, context),
    }
}

/// 3 when input was lost (it outranks violations: the report is incomplete), else 1 when a
/// decision reaches `--fail-on`, else 0.
fn exit_code(summary: &Summary, fail_on: FailOn) -> u8 {
    if summary.errors > 0 {
        return exit::INPUT;
    }
    let worst = summary.worst();
    let failed = match fail_on {
        FailOn::Deny => worst == Decision::Deny,
        FailOn::Warn => worst >= Decision::Warn,
        FailOn::Never => false,
    };
    if failed { exit::FAILED } else { exit::OK }
}

/// Says on standard error which report outputs could not be written, and whether any could
/// not. A reader that stops reading standard output (`| head`) is not an error of ours.
pub(super) fn report_write_errors(tee: &Tee<'_, '_>, stderr: &std::io::Stderr) -> bool {
    let mut failed = false;
    for (label, error) in tee.errors() {
        if error.kind() == std::io::ErrorKind::BrokenPipe && label == "standard output" {
            continue;
        }
        failed = true;
        let _ = writeln!(
            stderr.lock(),
            "error: cannot write the report to {label}: {error}"
        );
    }
    failed
}
