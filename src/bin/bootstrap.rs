//! The AWS Lambda custom runtime's entry point: a `provided.al2023` function runs the file named
//! `bootstrap` in its zip. It is `ssm-guard lambda` without arguments to parse.

use std::process::ExitCode;

fn main() -> ExitCode {
    match ssm_guard::lambda::run_from_env() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "{}",
                serde_json::json!({"level": "error", "message": "ssm-guard cannot run", "error": error.to_string()})
            );
            ExitCode::from(2)
        }
    }
}
