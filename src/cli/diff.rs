//! `ssm-guard diff`: evaluate records under two policy sets in one pass and report the records
//! whose decision or broken rules change, with exit codes for CI.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use ssm_guard::check::Checker;
use ssm_guard::diff::{
    DiffFormat, DiffReporter, DiffSummary, PolicyRef, PolicyRefError, Transition,
};
use ssm_guard::witness::synthesize::{self, Synthesis, Verdict};
use ssm_guard::witness::{self, Budget};
use ssm_guard::{Compiled, SourceMap, Timestamp};

use super::aws::AwsArgs;
use super::exit;
use super::policies::{ErrorFormat, parse_now, print_diagnostics, use_color};
use super::s3::S3Args;

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
    /// Compare the sets without inputs: find the regions of sessions they judge differently,
    /// each described in words with an example session and the `now` it assumes (with
    /// `--now`, every example assumes that time). Exit 0 when the sets are equivalent, 1 when
    /// they differ, 3 when the search could not finish.
    #[arg(long, conflicts_with_all = ["inputs", "jobs"])]
    synthesize: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    s3: S3Args,
    #[command(flatten)]
    tags: super::tags::TagArgs,
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
    if args.synthesize {
        return synthesize(&args, &old, &new);
    }

    let inputs = match super::inputs::sources(&args.inputs, &args.aws, &args.s3) {
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
    let families = new.set.tag_families().union(old.set.tag_families());
    let tags = match args
        .tags
        .context(families, &args.aws, &mut std::io::stderr())
    {
        Ok(tags) => tags,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            return exit::USAGE;
        }
    };
    let checker = Checker::new(&new.set, now, jobs)
        .identify_clean_records(false)
        // A change names rules, never their messages: neither set's violations need words.
        .violation_words(false)
        .with_baseline(&old.set)
        .with_tags(tags);
    let result = if format == DiffFormat::Jsonl {
        // Every line of the output is a change: input errors go to standard error.
        checker.run(inputs, &mut super::inputs::ErrorsToStderr(&mut reporter))
    } else {
        checker.run(inputs, &mut reporter)
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

/// `--synthesize`: the regions of sessions judged differently, found by the witness engine.
fn synthesize(args: &Args, old: &Compiled, new: &Compiled) -> u8 {
    let found = synthesize::synthesize(&old.set, &new.set, args.now, Budget::default());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        Format::Text => write_regions(&mut out, args, &found),
        Format::Json => {
            let document = serde_json::json!({
                "version": 1,
                "from": args.from,
                "to": args.to,
                "outcome": found.outcome,
                "regions": found.regions,
                "undecided": found.undecided,
            });
            serde_json::to_writer_pretty(&mut out, &document)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        Format::Jsonl => found.regions.iter().try_for_each(|region| {
            serde_json::to_writer(&mut out, region)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }),
    };
    if let Err(error) = written.and_then(|()| out.flush())
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(std::io::stderr(), "error: cannot write the report: {error}");
        return exit::USAGE;
    }
    let counted = found.regions.iter().any(|region| match args.fail_on {
        FailOn::Tighten => region.changes.transition == Transition::Tighten,
        FailOn::Loosen => region.changes.transition == Transition::Loosen,
        FailOn::Any => true,
    });
    match found.outcome {
        _ if counted => exit::FAILED,
        Verdict::Unknown => exit::INPUT,
        Verdict::Different | Verdict::Equivalent => exit::OK,
    }
}

fn write_regions(out: &mut impl Write, args: &Args, found: &Synthesis) -> std::io::Result<()> {
    match found.outcome {
        Verdict::Equivalent => writeln!(
            out,
            "{} and {} are equivalent: every session gets the same decision and breaks the same rules under both",
            args.from, args.to
        )?,
        Verdict::Unknown => writeln!(
            out,
            "{} and {}: no difference found, but the search could not finish for {}",
            args.from,
            args.to,
            found.undecided.join(", ")
        )?,
        Verdict::Different => writeln!(
            out,
            "{} -> {}: {} {} of sessions judged differently",
            args.from,
            args.to,
            found.regions.len(),
            if found.regions.len() == 1 {
                "region"
            } else {
                "regions"
            }
        )?,
    }
    for region in &found.regions {
        let changes = &region.changes;
        let mut rules: Vec<String> = Vec::new();
        rules.extend(changes.added.iter().map(|r| format!("+{r}")));
        rules.extend(changes.removed.iter().map(|r| format!("-{r}")));
        rules.extend(changes.changed.iter().map(|r| format!("~{r}")));
        writeln!(out)?;
        writeln!(
            out,
            "{}: {} -> {}{}{}",
            region.description,
            changes.from,
            changes.to,
            if rules.is_empty() { "" } else { ", " },
            rules.join(", ")
        )?;
        writeln!(out, "  now:     {}", region.now)?;
        writeln!(out, "  session: {}", witness::record_line(&region.session))?;
    }
    if found.outcome == Verdict::Different && !found.undecided.is_empty() {
        writeln!(
            out,
            "\nthe search could not finish for {}: there may be more",
            found.undecided.join(", ")
        )?;
    }
    Ok(())
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
