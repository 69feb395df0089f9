//! `ssm-guard check`: evaluate session records from files or stdin and report violations.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use ssm_guard::input::InputSource;
use ssm_guard::lint::{InputError, Linter, RecordResult, Reporter, Summary};
use ssm_guard::report::{JsonLinesReporter, JsonReporter, TextReporter};
use ssm_guard::{Decision, Timestamp};

use super::exit;
use super::policies::{PolicyArgs, parse_now, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The lowest decision that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    fail_on: FailOn,
    /// The evaluation time (RFC 3339): ends active sessions' Duration. Default: the clock.
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// Worker threads for evaluation (default: all cores); output is identical for every N.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Files to check (JSON, JSON Lines, CloudTrail, gzip); none or `-` reads standard input.
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
    Deny,
    Warn,
    Never,
}

pub fn run(args: Args) -> u8 {
    let now = args.now.unwrap_or_else(Timestamp::now);
    let stderr = std::io::stderr();
    let stderr_color = use_color(&stderr);
    let Ok((_, compiled)) = args.policies.load(now, &mut stderr.lock(), stderr_color) else {
        return exit::USAGE;
    };
    let inputs: Vec<InputSource> = if args.inputs.is_empty() {
        vec![InputSource::Stdin]
    } else {
        args.inputs
            .iter()
            .map(|p| InputSource::from_arg(p.clone()))
            .collect()
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let stdout = std::io::stdout();
    let color = use_color(&stdout);
    let out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut reporter: Box<dyn Reporter<'_>> = match args.format {
        Format::Text => Box::new(TextReporter::new(out, color)),
        Format::Json => Box::new(JsonReporter::new(out)),
        Format::Jsonl => Box::new(ErrorsToStderr(JsonLinesReporter::new(out))),
    };
    let linter = Linter::new(&compiled.set, now, jobs);
    let summary = match linter.run(&inputs, reporter.as_mut()) {
        Ok(summary) => summary,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return exit::OK,
        Err(error) => {
            let _ = writeln!(stderr.lock(), "error: cannot write the report: {error}");
            return exit::USAGE;
        }
    };
    exit_code(&summary, args.fail_on)
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

/// Sends input errors to standard error for formats whose every output line is a violation.
struct ErrorsToStderr<R>(R);

impl<'p, R: Reporter<'p>> Reporter<'p> for ErrorsToStderr<R> {
    fn record(&mut self, result: &RecordResult<'p>) -> std::io::Result<()> {
        self.0.record(result)
    }

    fn input_error(&mut self, error: &InputError) -> std::io::Result<()> {
        let line = serde_json::json!({ "error": error });
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        self.0.input_error(error)
    }

    fn finish(&mut self, summary: &Summary) -> std::io::Result<()> {
        self.0.finish(summary)
    }
}
