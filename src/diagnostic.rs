//! Problems found while loading policies, located by file, line and column, and their rendering.

use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::compile::CompileError;
use crate::source::{SourceError, SourceMap};
use crate::testing::TestFileError;

/// What a diagnostic is about, by the phase that found it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A policy source that cannot be had.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A problem in a policy's text.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A problem in a test file.
    #[error(transparent)]
    TestFile(#[from] TestFileError),
    /// What the witness engine proves can never happen in a compiled set (`validate`).
    #[error(transparent)]
    Proof(#[from] crate::witness::proof::Proof),
}

impl Problem {
    /// The fix, or the closest valid name, when there is one.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Source(problem) => problem.help(),
            Self::Compile(problem) => problem.help(),
            Self::TestFile(problem) => problem.help(),
            Self::Proof(problem) => problem.help(),
        }
    }
}

/// How serious a problem is: errors stop the set from compiling, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// Where a problem is: a source of the map, 1-based line and column, and a span length in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub source: usize,
    pub line: usize,
    pub column: usize,
    pub length: usize,
}

/// One problem found while loading and compiling a policy set.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub level: Level,
    pub location: Option<Location>,
    pub problem: Problem,
}

impl Diagnostic {
    /// The problem in one lowercase line.
    pub fn message(&self) -> String {
        self.problem.to_string()
    }

    /// The fix or the closest name, when there is one.
    pub fn help(&self) -> Option<String> {
        self.problem.help()
    }

    /// `file:line:column`, or the file alone where the problem has no position.
    pub fn position(&self, sources: &SourceMap) -> String {
        match self.location {
            Some(at) => format!("{}:{}:{}", sources.name(at.source), at.line, at.column),
            None => String::new(),
        }
    }

    /// Renders the diagnostic as people read it: the line with the span underlined, and the help.
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        let (label, paint) = match self.level {
            Level::Error => ("error", "\x1b[1;31m"),
            Level::Warning => ("warning", "\x1b[1;33m"),
        };
        let style = |code: &str, text: &str| {
            if color {
                format!("{code}{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {}",
            style(paint, label),
            style("\x1b[1m", &self.message())
        );
        if let Some(at) = self.location {
            let number = at.line.to_string();
            let gutter = " ".repeat(number.len());
            let _ = writeln!(out, "{gutter}--> {}", self.position(sources));
            if let Some(text) = sources.line(at.source, at.line) {
                let _ = writeln!(out, "{gutter} |");
                let _ = writeln!(out, "{number} | {text}");
                let pad: String = text
                    .chars()
                    .take(at.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let marks = "^".repeat(at.length.max(1));
                let _ = writeln!(out, "{gutter} | {pad}{}", style(paint, &marks));
            }
            if let Some(help) = self.help() {
                let _ = writeln!(out, "{gutter} = {}: {help}", style("\x1b[1m", "help"));
            }
        } else if let Some(help) = self.help() {
            let _ = writeln!(out, "  = {}: {help}", style("\x1b[1m", "help"));
        }
        out
    }

    /// The diagnostic as a JSON object for tools.
    pub fn to_json(&self, sources: &SourceMap) -> serde_json::Value {
        serde_json::json!({
            "level": self.level,
            "file": self.location.map(|at| sources.name(at.source)),
            "line": self.location.map(|at| at.line),
            "column": self.location.map(|at| at.column),
            "length": self.location.map(|at| at.length),
            "message": self.message(),
            "help": self.help(),
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.problem)
    }
}

/// The closest of `candidates` to `input`, if one is close enough to be a likely typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = input.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&lowered, &candidate.to_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, candidate)| {
            let longest = input.chars().count().max(candidate.chars().count());
            *distance <= (longest / 3).max(1)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let keys = ["require", "when", "cases", "id"];
        assert_eq!(closest("requir", keys), Some("require"));
        assert_eq!(closest("Require", keys), Some("require"));
        assert_eq!(closest("wehn", keys), Some("when"));
        assert_eq!(closest("banana", keys), None);
        assert_eq!(closest("Reasn", ["Reason", "Target"]), Some("Reason"));
    }
}
