//! What the evaluating subcommands read, and with how many threads.

use std::path::PathBuf;

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
