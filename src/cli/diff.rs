//! `ssm-guard diff`: evaluate records under two policy sets in one pass and report the records
//! whose decision or broken rules change, with exit codes for CI.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use ssm_guard::check::Checker;
use ssm_guard::diff::{DiffFormat, DiffReporter, DiffSummary, PolicyRef, PolicyRefError};
use ssm_guard::{Compiled, SourceMap, Timestamp};

use super::aws::AwsArgs;
use super::exit;
use super::policies::{ErrorFormat, parse_now, print_diagnostics, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policies before the change: a file or folder, `builtin` (or `default`) for the
    /// embedded default set, or `REV:PATH`, a file or folder at a git revision of the current
    /// repository (read through git, no checkout), e.g. `origin/main:policies`.
    #[arg(long, value_name = "POLICIES")]
    from: String,
    /// The policies after the change, in the same forms as `--from`.
    #[arg(long, value_name = "POLICIES")]
    to: String,
    /// The output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Which changes make the exit code 1: stricter decisions, laxer ones, or any change
    /// (rules that appear or disappear with the same decision included).
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    fail_on: FailOn,
    /// The evaluation time (RFC 3339): ends active sessions' Duration. Default: the clock.
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// Worker threads for evaluation (default: all cores); output is identical for every N.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// How problems in the policies are printed.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(flatten)]
    aws: AwsArgs,
    /// Files to compare on (JSON, JSON Lines, CloudTrail, gzip), `ssm:active` or
    /// `ssm:history?...`; none or `-` reads standard input.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Jsonl,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Tighten,
    Loosen,
    Any,
}

pub fn run(args: Args) -> u8 {
    let now = args.now.unwrap_or_else(Timestamp::now);
    let stderr = std::io::stderr();
    let color = use_color(&stderr);
    let mut err = stderr.lock();
    // Both sets are loaded before giving up, so that every problem of both is reported. Only
    // NEW's warnings are printed: OLD is what is being replaced.
    let old = load(
        "--from",
        &args.from,
        now,
        false,
        args.error_format,
        &mut err,
        color,
    );
    let new = load(
        "--to",
        &args.to,
        now,
        true,
        args.error_format,
        &mut err,
        color,
    );
    drop(err);
    let (Some(old), Some(new)) = (old, new) else {
        return exit::USAGE;
    };

    let inputs = match super::inputs::sources(&args.inputs, &args.aws) {
        Ok(inputs) => inputs,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            return exit::USAGE;
        }
    };
    let jobs = super::inputs::jobs(args.jobs);
    let format = match args.format {
        Format::Text => DiffFormat::Text,
        Format::Json => DiffFormat::Json,
        Format::Jsonl => DiffFormat::Jsonl,
    };
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut reporter = DiffReporter::new(out, format, &args.from, &args.to);
    // A change needs a record's identity only where it broke a rule under either set, which
    // the checker knows; clean records cost no allocation.
    let checker = Checker::new(&new.set, now, jobs)
        .identify_clean_records(false)
        .with_baseline(&old.set);
    let result = if format == DiffFormat::Jsonl {
        // Every line of the output is a change: input errors go to standard error.
        checker.run(&inputs, &mut super::inputs::ErrorsToStderr(&mut reporter))
    } else {
        checker.run(&inputs, &mut reporter)
    };
    match (result, reporter.summary()) {
        (Ok(_), Some(summary)) => exit_code(summary, args.fail_on),
        (Err(error), _) if error.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        (Err(error), _) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write the report: {error}");
            exit::USAGE
        }
        (Ok(_), None) => exit::OK,
    }
}

/// Gathers and compiles one side, printing its diagnostics; `None` when it does not load.
fn load(
    flag: &str,
    value: &str,
    now: Timestamp,
    warnings: bool,
    format: ErrorFormat,
    out: &mut dyn Write,
    color: bool,
) -> Option<Compiled> {
    let failed = |out: &mut dyn Write| {
        let _ = writeln!(out, "error: the policies of {flag} `{value}` do not load");
    };
    let sources = match PolicyRef::parse(value).sources() {
        Ok(sources) => sources,
        Err(PolicyRefError::Load(diagnostic)) => {
            print_diagnostics(&SourceMap::new(), &[*diagnostic], format, out, color);
            failed(out);
            return None;
        }
        Err(PolicyRefError::Git(error)) => {
            let _ = writeln!(out, "error: {error}");
            failed(out);
            return None;
        }
    };
    match ssm_guard::compile(&sources, now) {
        Ok(compiled) => {
            if warnings {
                print_diagnostics(&sources, &compiled.warnings, format, out, color);
            }
            Some(compiled)
        }
        Err(diagnostics) => {
            print_diagnostics(&sources, &diagnostics, format, out, color);
            failed(out);
            None
        }
    }
}

/// 3 when input was lost (the comparison is incomplete, which matters more), else 1 when a
/// change of the `--fail-on` direction was found, else 0.
fn exit_code(summary: &DiffSummary, fail_on: FailOn) -> u8 {
    if summary.errors > 0 {
        return exit::INPUT;
    }
    let failed = match fail_on {
        FailOn::Tighten => summary.tighten > 0,
        FailOn::Loosen => summary.loosen > 0,
        FailOn::Any => summary.changed > 0,
    };
    if failed { exit::FAILED } else { exit::OK }
}
