//! What the evaluating subcommands read, and with how many threads.

use std::path::PathBuf;

use std::io::Write;

use ssm_guard::check::{InputError, RecordResult, Rendering, Reporter, Summary};
use ssm_guard::input::{InputSource, S3Uri, SessionQuery};

use super::aws::AwsArgs;
use super::s3::S3Args;

/// The inputs named on the command line, in order, as they are to be read: an `s3://` prefix
/// is listed page by page while its objects are read, so that a prefix of millions of objects
/// is never held whole.
pub type Sources = std::iter::Flatten<std::vec::IntoIter<Box<dyn Iterator<Item = InputSource>>>>;

/// The inputs named on the command line; none means standard input. `ssm:active` and
/// `ssm:history?...` are Session Manager's listings, and `s3://bucket/prefix` the objects under
/// a prefix (one input each, listed as they are read), unless a file of that name exists; a
/// query that cannot be read is an error of usage, before anything is read.
pub fn sources(inputs: &[PathBuf], aws: &AwsArgs, s3: &S3Args) -> Result<Sources, String> {
    let one = |source| Box::new(std::iter::once(source)) as Box<dyn Iterator<Item = InputSource>>;
    if inputs.is_empty() {
        return Ok(vec![one(InputSource::Stdin)].into_iter().flatten());
    }
    let mut sources = Vec::new();
    for path in inputs {
        match path.to_str() {
            Some(text) if SessionQuery::is_query(text) && !path.exists() => {
                sources.push(one(session_query(text, aws)?));
            }
            Some(text) if S3Uri::is_uri(text) && !path.exists() => {
                sources.push(s3_objects(text, aws, s3)?);
            }
            _ => sources.push(one(InputSource::from_arg(path.clone()))),
        }
    }
    Ok(sources.into_iter().flatten())
}

#[cfg(feature = "aws")]
fn s3_objects(
    text: &str,
    aws: &AwsArgs,
    s3: &S3Args,
) -> Result<Box<dyn Iterator<Item = InputSource>>, String> {
    let uri = S3Uri::parse(text)?;
    Ok(Box::new(ssm_guard::aws::prefix_inputs(
        &uri,
        &aws.settings(),
        &s3.dates(),
        ssm_guard::aws::DEFAULT_CONCURRENCY,
    )))
}

#[cfg(not(feature = "aws"))]
fn s3_objects(
    text: &str,
    _aws: &AwsArgs,
    _s3: &S3Args,
) -> Result<Box<dyn Iterator<Item = InputSource>>, String> {
    S3Uri::parse(text)?;
    Err(format!(
        "`{text}` reads objects from S3, and this ssm-guard was built without the AWS SDK: build it with `--features aws`"
    ))
}

#[cfg(feature = "aws")]
fn session_query(text: &str, aws: &AwsArgs) -> Result<InputSource, String> {
    let query = SessionQuery::parse(text)?.with_settings(aws.settings());
    Ok(InputSource::Sessions(query))
}

#[cfg(not(feature = "aws"))]
fn session_query(text: &str, _aws: &AwsArgs) -> Result<InputSource, String> {
    SessionQuery::parse(text)?;
    Err(format!(
        "`{text}` reads sessions from AWS, and this ssm-guard was built without the AWS SDK: build it with `--features aws`"
    ))
}

/// `--jobs`, or every core.
pub fn jobs(requested: Option<usize>) -> usize {
    requested.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Sends input errors to standard error, one JSON object a line, for reports whose every output
/// line is a finding (`check --format jsonl`, `diff --format jsonl`).
pub struct ErrorsToStderr<R>(pub R);

impl<'p, R: Reporter<'p>> Reporter<'p> for ErrorsToStderr<R> {
    fn record(&mut self, result: &RecordResult<'p>) -> std::io::Result<()> {
        self.0.record(result)
    }

    fn rendering(&self) -> Option<Rendering> {
        self.0.rendering()
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> std::io::Result<()> {
        self.0.rendered(result, text, splices)
    }

    fn input_error(&mut self, error: &InputError) -> std::io::Result<()> {
        let line = serde_json::json!({ "error": error });
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        self.0.input_error(error)
    }

    fn finish(&mut self, summary: &Summary) -> std::io::Result<()> {
        for warning in &summary.warnings {
            let line = serde_json::json!({ "warning": warning });
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
        self.0.finish(summary)
    }
}
