//! The function's configuration, read once at cold start from the environment, and the gate it
//! gives.

use std::path::PathBuf;

use crate::hook::{Gate, Mode};
use crate::sweep::DEFAULT_MAX_TERMINATIONS;
use crate::{Level, SourceMap, Timestamp};

/// Names a folder (or file) of policies; unset or empty, the embedded default set is used.
pub const POLICIES_ENV: &str = "SSM_GUARD_POLICIES";
/// `enforce` or `audit`; unset or empty, `audit`.
pub const MODE_ENV: &str = "SSM_GUARD_MODE";
/// The sweep's limit of terminations per run; unset or empty, 20.
pub const MAX_TERMINATIONS_ENV: &str = "SSM_GUARD_MAX_TERMINATIONS";

/// The function's configuration, as read from the environment at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The policy folder or file; `None` for the embedded default set.
    pub policies: Option<PathBuf>,
    /// The mode, or the text that is not one.
    pub mode: Result<Mode, String>,
    /// The sweep's limit of terminations per run, or why the text is not one.
    pub max_terminations: Result<usize, String>,
}

impl Settings {
    /// Reads `SSM_GUARD_POLICIES`, `SSM_GUARD_MODE` and `SSM_GUARD_MAX_TERMINATIONS`.
    pub fn from_env() -> Self {
        let var = |name| std::env::var_os(name).filter(|value| !value.is_empty());
        let text = |name| var(name).map(|value| value.to_string_lossy().into_owned());
        Self::new(var(POLICIES_ENV).map(PathBuf::from), text(MODE_ENV))
            .with_max_terminations(text(MAX_TERMINATIONS_ENV))
    }

    /// Settings from the two values; an empty or absent mode is `audit`. The limit of
    /// terminations is the default.
    pub fn new(policies: Option<PathBuf>, mode: Option<String>) -> Self {
        let mode = match mode.as_deref().map(str::trim) {
            None | Some("") => Ok(Mode::Audit),
            Some(name) => {
                Mode::from_name(&name.to_ascii_lowercase()).ok_or_else(|| name.to_owned())
            }
        };
        Self {
            policies,
            mode,
            max_terminations: Ok(DEFAULT_MAX_TERMINATIONS),
        }
    }

    /// The sweep's limit from its text; empty or absent, the default. Text that is not a whole
    /// number is kept for the error: the sweep then terminates nothing and says why, while
    /// the events are still judged.
    pub fn with_max_terminations(mut self, text: Option<String>) -> Self {
        self.max_terminations = match text.as_deref().map(str::trim) {
            None | Some("") => Ok(DEFAULT_MAX_TERMINATIONS),
            Some(number) => number.parse().map_err(|_| {
                format!("`{MAX_TERMINATIONS_ENV}` is `{number}`, not a whole number of sessions")
            }),
        };
        self
    }

    /// Loads and compiles the policies into a gate. Whatever goes wrong gives a broken gate that
    /// denies every event: an unknown mode (in enforce mode, the safer reading of a typo), a
    /// policy folder that cannot be read or holds no policy, or policies that do not compile.
    pub fn gate(&self, now: Timestamp) -> Gate {
        let mode = match &self.mode {
            Ok(mode) => *mode,
            Err(name) => {
                return Gate::broken(
                    format!("`{MODE_ENV}` is `{name}`, expected `enforce` or `audit`"),
                    Mode::Enforce,
                );
            }
        };
        match self.compile(now) {
            Ok(set) => Gate::new(set, mode),
            Err(error) => Gate::broken(error, mode),
        }
    }

    fn compile(&self, now: Timestamp) -> Result<crate::CompiledPolicySet, String> {
        let sources = match &self.policies {
            None => SourceMap::defaults(),
            Some(path) => {
                let mut sources = SourceMap::new();
                sources
                    .add_path(path)
                    .map_err(|problem| format!("`{}`: {}", path.display(), problem.message()))?;
                // An empty folder compiles to a set that allows everything: for a gate that is
                // a packaging mistake, not a policy.
                if sources.is_empty() {
                    return Err(format!("`{}` holds no policy file", path.display()));
                }
                sources
            }
        };
        crate::compile(&sources, now)
            .map(|compiled| compiled.set)
            .map_err(|diagnostics| first_error(&sources, &diagnostics))
    }

    /// What the cold-start log line says about the policies.
    pub(super) fn policies_label(&self) -> String {
        match &self.policies {
            Some(path) => path.display().to_string(),
            None => "<embedded defaults>".to_owned(),
        }
    }
}

/// The first error of a failed compile, located, with how many more there are.
fn first_error(sources: &SourceMap, diagnostics: &[crate::Diagnostic]) -> String {
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .collect();
    let Some(first) = errors.first() else {
        return "the policies do not compile".to_owned();
    };
    let position = first.position(sources);
    let mut text = if position.is_empty() {
        first.message()
    } else {
        format!("{position}: {}", first.message())
    };
    if errors.len() > 1 {
        text.push_str(&format!(" (and {} more errors)", errors.len() - 1));
    }
    text
}
