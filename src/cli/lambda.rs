//! `ssm-guard lambda`: the AWS Lambda runtime loop, configured by the environment.

use super::exit;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(Args {}: Args) -> u8 {
    match ssm_guard::lambda::run_from_env() {
        Ok(()) => exit::OK,
        Err(error) => {
            // One JSON line, like every other line the function writes to its log.
            eprintln!(
                "{}",
                serde_json::json!({"level": "error", "message": "ssm-guard cannot run", "error": error.to_string()})
            );
            exit::USAGE
        }
    }
}
