//! `ssm-guard schema [policy|test]`: print the JSON Schema of policy files or of test files, for
//! an editor's YAML language server (`# yaml-language-server: $schema=...`).

use std::io::{self, Write};

use clap::ValueEnum;

use super::exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which files the schema describes.
    #[arg(value_enum, default_value_t = Kind::Policy)]
    kind: Kind,
}

/// The two kinds of YAML file ssm-guard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Policy files (`*.yaml`).
    Policy,
    /// Test files (`*.test.yaml`).
    Test,
}

pub fn run(args: Args) -> u8 {
    let schema = match args.kind {
        Kind::Policy => ssm_guard::schema::policy_schema(),
        Kind::Test => ssm_guard::schema::test_schema(),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = serde_json::to_writer_pretty(&mut out, &schema)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(out));
    match written {
        Ok(()) => exit::OK,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(error) => {
            let _ = writeln!(io::stderr(), "error: cannot write the schema: {error}");
            exit::USAGE
        }
    }
}
