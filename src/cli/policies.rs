//! Choosing, loading and reporting on the policy set, shared by every subcommand that evaluates.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use ssm_guard::{Compiled, Diagnostic, SourceMap, Timestamp};

/// The policy options every evaluating subcommand takes.
#[derive(Debug, Clone, clap::Args)]
pub struct PolicyArgs {
    /// A policy file, or a folder searched recursively for policy files (repeatable).
    #[arg(short = 'p', long = "policy", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Add an embedded pack (`aws-api`, `org-baseline`) to the set given with -p.
    #[arg(long = "builtin", value_name = "NAME")]
    pub builtins: Vec<String>,
    /// How problems in the policies are printed.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,
}

/// `--error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    Human,
    Json,
}

impl PolicyArgs {
    /// The sources: the embedded default set without `-p`/`--builtin`, else exactly those named.
    pub fn sources(&self) -> Result<SourceMap, Vec<Diagnostic>> {
        if self.paths.is_empty() && self.builtins.is_empty() {
            return Ok(SourceMap::defaults());
        }
        let mut sources = SourceMap::new();
        let mut problems = Vec::new();
        for path in &self.paths {
            if let Err(problem) = sources.add_path(path) {
                problems.push(problem);
            }
        }
        for name in &self.builtins {
            if let Err(problem) = sources.add_builtin(name) {
                problems.push(problem);
            }
        }
        if problems.is_empty() {
            Ok(sources)
        } else {
            Err(problems)
        }
    }

    /// Loads and compiles the set, printing warnings and errors to `out`.
    pub fn load(
        &self,
        now: Timestamp,
        out: &mut dyn Write,
        color: bool,
    ) -> Result<(SourceMap, Compiled), ()> {
        let sources = match self.sources() {
            Ok(sources) => sources,
            Err(problems) => {
                print_diagnostics(&SourceMap::new(), &problems, self.error_format, out, color);
                return Err(());
            }
        };
        match ssm_guard::compile(&sources, now) {
            Ok(compiled) => {
                print_diagnostics(&sources, &compiled.warnings, self.error_format, out, color);
                Ok((sources, compiled))
            }
            Err(diagnostics) => {
                print_diagnostics(&sources, &diagnostics, self.error_format, out, color);
                Err(())
            }
        }
    }
}

/// Prints diagnostics in the chosen format: rendered for people, or one JSON object a line.
pub fn print_diagnostics(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    format: ErrorFormat,
    out: &mut dyn Write,
    color: bool,
) {
    for diagnostic in diagnostics {
        let _ = match format {
            ErrorFormat::Human => writeln!(out, "{}", diagnostic.render(sources, color)),
            ErrorFormat::Json => writeln!(out, "{}", diagnostic.to_json(sources)),
        };
    }
}

/// Whether to colour output going to a stream: only on a terminal, and never with `NO_COLOR`.
pub fn use_color(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Reads `--now`: RFC 3339, or a date (its start in UTC).
pub fn parse_now(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_instant_or_date(text).map_err(|error| format!("invalid --now: {error}"))
}
