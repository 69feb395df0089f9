//! The command line: argument parsing and one module per subcommand.

mod check;
mod hook;
mod policies;
mod test;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes shared by the subcommands.
pub(crate) mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INPUT: u8 = 3;
}

/// Policies for AWS Systems Manager Session Manager sessions.
#[derive(Debug, Parser)]
#[command(name = "ssm-guard", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check session records against policies.
    Check(check::Args),
    /// Decide one event from standard input: a Session, a CloudTrail StartSession record, or an
    /// EventBridge event wrapping one.
    Hook(hook::Args),
    /// Load and compile policies, and report every problem.
    Validate(validate::Args),
    /// Run policy tests (`*.test.yaml`) and report rule coverage.
    Test(test::Args),
}

/// Parses the arguments and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            let code = if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Hook(args) => hook::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Test(args) => test::run(args),
    };
    ExitCode::from(code)
}
