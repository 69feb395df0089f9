//! `ssm-guard validate`: load and compile policies, print every problem and what the witness
//! engine proves can never happen, exit 0 or 2.

use std::io::Write;

use ssm_guard::witness::{Budget, proof};
use ssm_guard::{Level, Timestamp};

use super::exit;
use super::policies::{PolicyArgs, parse_now, print_diagnostics, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// The time exceptions are judged expired at (RFC 3339), so that a check of policies in CI
    /// says the same whatever day it runs. Default: the clock.
    #[arg(long, value_name = "TS", value_parser = parse_now)]
    now: Option<Timestamp>,
}

pub fn run(args: Args) -> u8 {
    let stdout = std::io::stdout();
    let color = use_color(&stdout);
    let mut out = stdout.lock();
    let now = args.now.unwrap_or_else(Timestamp::now);
    match args.policies.load(now, &mut out, color) {
        Ok((sources, compiled)) => {
            let proofs = proof::prove(&compiled.set, &sources, Budget::default());
            print_diagnostics(
                &sources,
                &proofs,
                args.policies.error_format,
                &mut out,
                color,
            );
            let warnings = compiled
                .warnings
                .iter()
                .chain(&proofs)
                .filter(|d| d.level == Level::Warning)
                .count();
            if args.policies.error_format == super::policies::ErrorFormat::Human {
                let _ = writeln!(
                    out,
                    "ok: {} {} with {} {} compiled, {warnings} warning{}",
                    compiled.set.policies().len(),
                    plural(compiled.set.policies().len(), "policy", "policies"),
                    compiled.set.rules().len(),
                    plural(compiled.set.rules().len(), "rule", "rules"),
                    if warnings == 1 { "" } else { "s" }
                );
            }
            exit::OK
        }
        Err(()) => exit::USAGE,
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
