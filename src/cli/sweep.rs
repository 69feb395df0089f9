//! `ssm-guard sweep`: every active session of the account and region judged now, and in enforce
//! mode the denied ones terminated, up to a limit; what was done is printed (text or JSON). The
//! command is known to every build, so that one without the AWS SDK can say what it lacks.

#[cfg(feature = "aws")]
mod run;

use clap::ValueEnum;
use ssm_guard::Timestamp;

use super::aws::AwsArgs;
use super::policies::{PolicyArgs, parse_now};

#[derive(Debug, clap::Args)]
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub struct Args {
    #[command(flatten)]
    pub(super) policies: PolicyArgs,
    /// `audit` reports what it would terminate; `enforce` terminates the denied sessions.
    #[arg(long, value_enum, default_value_t = ModeArg::Audit)]
    pub(super) mode: ModeArg,
    /// At most this many sessions are terminated per run; past it the sweep terminates no more,
    /// names the sessions left alone, and exits 1. Default: `SSM_GUARD_MAX_TERMINATIONS`, or 20.
    #[arg(long, value_name = "N")]
    pub(super) max_terminations: Option<usize>,
    /// The evaluation time (RFC 3339): ends active sessions' Duration. Default: the clock.
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    pub(super) now: Option<Timestamp>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,
    #[command(flatten)]
    pub(super) aws: AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ModeArg {
    Audit,
    Enforce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Text,
    Json,
}

/// Sweeps, or says that this build cannot.
pub fn run(args: Args) -> u8 {
    #[cfg(feature = "aws")]
    return run::run(args);
    #[cfg(not(feature = "aws"))]
    {
        let _ = args;
        eprintln!(
            "error: `sweep` reads sessions from AWS, and this ssm-guard was built without the AWS SDK: build it with `--features aws`"
        );
        super::exit::USAGE
    }
}
