//! The command line: argument parsing and one module per subcommand.

mod aws;
mod check;
mod completions;
mod diff;
mod explain;
mod hook;
mod inputs;
#[cfg(feature = "lambda")]
mod lambda;
mod merge;
mod output;
mod policies;
mod rules;
mod s3;
mod schema;
mod sweep;
mod tags;
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
    /// Preview a policy change: the records whose decision or broken rules differ between two
    /// policy sets (folders, files, `builtin`, or `REV:PATH` at a git revision).
    Diff(diff::Args),
    /// Combine result objects of shards of one check (files, folders, `s3://` prefixes) into
    /// the reports one `check` over all their inputs gives.
    Merge(merge::Args),
    /// Decide one event from standard input: a Session, a CloudTrail StartSession or ECS Exec
    /// ExecuteCommand record, or an EventBridge event wrapping one.
    Hook(hook::Args),
    /// Run as an AWS Lambda function (the Runtime API loop), configured by `SSM_GUARD_POLICIES`,
    /// `SSM_GUARD_MODE`, `SSM_GUARD_MAX_TERMINATIONS` and `SSM_GUARD_SECURITY_HUB`.
    #[cfg(feature = "lambda")]
    Lambda(lambda::Args),
    /// Judge every active session of the account and region now; in enforce mode, terminate the
    /// denied ones (at most --max-terminations per run). Needs a build with `--features aws`.
    Sweep(sweep::Args),
    /// Load and compile policies, and report every problem.
    Validate(validate::Args),
    /// Run policy tests (`*.test.yaml`) and report rule coverage.
    Test(test::Args),
    /// List the rules of the policy set: id, severity, action, description.
    Rules(rules::Args),
    /// Explain one rule: description, conditions, waiving exceptions, source and tests.
    Explain(explain::Args),
    /// Print the JSON Schema of policy files or test files, for editors.
    Schema(schema::Args),
    /// Print the shell completion script for bash, zsh, fish, PowerShell or elvish.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand into a folder.
    Man(completions::ManArgs),
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
        Command::Diff(args) => diff::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Hook(args) => hook::run(args),
        #[cfg(feature = "lambda")]
        Command::Lambda(args) => lambda::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Test(args) => test::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
    };
    ExitCode::from(code)
}
