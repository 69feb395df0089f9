//! What the evaluating subcommands read, and with how many threads.

use std::path::PathBuf;

use std::io::Write;

use ssm_guard::check::{InputError, RecordResult, Rendering, Reporter, Summary};
use ssm_guard::input::InputSource;

/// The inputs named on the command line; none means standard input.
pub fn sources(inputs: &[PathBuf]) -> Vec<InputSource> {
    if inputs.is_empty() {
        return vec![InputSource::Stdin];
    }
    inputs
        .iter()
        .map(|path| InputSource::from_arg(path.clone()))
        .collect()
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
