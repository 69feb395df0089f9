//! `ssm-guard merge`: result objects of shards of one check (files, folders, `s3://` prefixes)
//! made into the reports one `check` over all their inputs gives.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use ssm_guard::check::Summary;
use ssm_guard::input::{InputSource, S3Uri};
use ssm_guard::merge::{ReportContext, ReportFormat, Shard, merge, order, reporter};
use ssm_guard::report::{AsffSettings, Tee};
use ssm_guard::{Decision, Timestamp};

use super::aws::AwsArgs;
use super::exit;
use super::policies::{PolicyArgs, parse_now, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policies the shards were checked with (their rules must be the same).
    #[command(flatten)]
    policies: PolicyArgs,
    /// The output format on standard output.
    #[arg(long, default_value = "text", value_parser = str::parse::<ReportFormat>)]
    format: ReportFormat,
    /// Also write a report in FORMAT to PATH, a file or an `s3://` object (repeatable).
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output)]
    outputs: Vec<(ReportFormat, String)>,
    /// The lowest decision that makes the exit code 1.
    #[arg(long, value_name = "deny|warn|never", default_value = "deny", value_parser = ["deny", "warn", "never"])]
    fail_on: String,
    /// The time HTML and ASFF reports are made at (default: the shards' evaluation time).
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    now: Option<Timestamp>,
    #[command(flatten)]
    aws: AwsArgs,
    /// Result objects: files, folders of them, or `s3://BUCKET/PREFIX` (every object under it).
    #[arg(value_name = "RESULTS", required = true)]
    results: Vec<PathBuf>,
}

fn parse_output(text: &str) -> Result<(ReportFormat, String), String> {
    let Some((format, path)) = text.split_once('=') else {
        return Err(format!(
            "expected FORMAT=PATH, as in `sarif=out.sarif`, not `{text}`"
        ));
    };
    if path.is_empty() {
        return Err("the PATH after `=` is empty".to_owned());
    }
    Ok((format.parse()?, path.to_owned()))
}

pub fn run(args: Args) -> u8 {
    let stderr = std::io::stderr();
    let clock = args.now.unwrap_or_else(Timestamp::now);
    let Ok((sources, compiled)) = args
        .policies
        .load(clock, &mut stderr.lock(), use_color(&stderr))
    else {
        return exit::USAGE;
    };
    let mut shards = Vec::new();
    for path in &args.results {
        match shard_sources(path, &args.aws) {
            Ok(found) => shards.extend(found.iter().map(Shard::read)),
            Err(error) => {
                let _ = writeln!(stderr.lock(), "error: {error}");
                return exit::USAGE;
            }
        }
    }
    order(&mut shards);
    let now = args
        .now
        .or_else(|| shards.iter().find_map(Shard::now))
        .unwrap_or(clock);
    let asff = asff_settings(now);
    let stdout = std::io::stdout();
    let context = ReportContext {
        set: &compiled.set,
        sources: Some(&sources),
        now,
        asff: &asff,
        color: use_color(&stdout) && stdout.is_terminal(),
        unattributed: None,
    };
    let mut buffers: Vec<Vec<u8>> = args.outputs.iter().map(|_| Vec::new()).collect();
    let identify_clean = std::iter::once(args.format)
        .chain(args.outputs.iter().map(|(format, _)| *format))
        .any(|format| format == ReportFormat::Json);
    let result = {
        let mut tee = Tee::new();
        let out: Box<dyn Write> = Box::new(BufWriter::with_capacity(1 << 16, stdout.lock()));
        tee.add("standard output", reporter(args.format, out, &context));
        for ((format, path), buffer) in args.outputs.iter().zip(buffers.iter_mut()) {
            let out: Box<dyn Write + '_> = Box::new(buffer);
            tee.add(format!("`{path}`"), reporter(*format, out, &context));
        }
        let result = merge(&compiled.set, &shards, identify_clean, &mut tee);
        if super::check::report_write_errors(&tee, &stderr) {
            return exit::USAGE;
        }
        result
    };
    for ((_, path), body) in args.outputs.iter().zip(buffers) {
        if let Err(error) = write_output(path, body, &args.aws) {
            let _ = writeln!(stderr.lock(), "error: cannot write `{path}`: {error}");
            return exit::USAGE;
        }
    }
    match result {
        Ok(summary) => exit_code(&summary, &args.fail_on),
        Err(_) => exit::OK,
    }
}

/// The result objects `path` names: a file, the files of a folder in name order, or the
/// objects under an `s3://` prefix.
fn shard_sources(path: &Path, aws: &AwsArgs) -> Result<Vec<InputSource>, String> {
    if let Some(text) = path.to_str()
        && S3Uri::is_uri(text)
        && !path.exists()
    {
        return s3_results(&S3Uri::parse(text)?, aws);
    }
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|error| format!("cannot read the folder `{}`: {error}", path.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        return Ok(files.into_iter().map(InputSource::File).collect());
    }
    Ok(vec![InputSource::from_arg(path.to_path_buf())])
}

#[cfg(feature = "aws")]
fn s3_results(uri: &S3Uri, aws: &AwsArgs) -> Result<Vec<InputSource>, String> {
    Ok(ssm_guard::aws::list_inputs(
        uri,
        &aws.settings(),
        &ssm_guard::input::KeyDates::default(),
        ssm_guard::aws::DEFAULT_CONCURRENCY,
    ))
}

#[cfg(not(feature = "aws"))]
fn s3_results(uri: &S3Uri, _aws: &AwsArgs) -> Result<Vec<InputSource>, String> {
    Err(format!(
        "`{uri}` is in S3, and this ssm-guard was built without the AWS SDK: build it with `--features aws`"
    ))
}

fn write_output(path: &str, body: Vec<u8>, aws: &AwsArgs) -> Result<(), String> {
    if S3Uri::is_uri(path) {
        return put_s3(&S3Uri::parse(path)?, body, aws);
    }
    let mut file = File::create(path).map_err(|error| error.to_string())?;
    file.write_all(&body).map_err(|error| error.to_string())
}

#[cfg(feature = "aws")]
fn put_s3(uri: &S3Uri, body: Vec<u8>, aws: &AwsArgs) -> Result<(), String> {
    ssm_guard::aws::put_object(uri, body, &aws.settings())
}

#[cfg(not(feature = "aws"))]
fn put_s3(uri: &S3Uri, _body: Vec<u8>, _aws: &AwsArgs) -> Result<(), String> {
    Err(format!(
        "`{uri}` is in S3, and this ssm-guard was built without the AWS SDK: build it with `--features aws`"
    ))
}

/// ASFF's region and account from the environment, as `check` reads them without flags.
fn asff_settings(now: Timestamp) -> AsffSettings {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let settings = AsffSettings::new(region, now);
    match var("AWS_ACCOUNT_ID") {
        Some(account) => settings.with_account(account),
        None => settings,
    }
}

/// As `check`: 3 when input was lost, else 1 when a decision reaches `--fail-on`, else 0.
fn exit_code(summary: &Summary, fail_on: &str) -> u8 {
    if summary.errors > 0 {
        return exit::INPUT;
    }
    let worst = summary.worst();
    let failed = match fail_on {
        "warn" => worst >= Decision::Warn,
        "never" => false,
        _ => worst == Decision::Deny,
    };
    if failed { exit::FAILED } else { exit::OK }
}
