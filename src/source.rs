//! Where policy text comes from: files, folders and the embedded packs, kept for diagnostics.

use std::path::{Path, PathBuf};

use crate::builtin;
use crate::compile::MAX_POLICY_BYTES;
use crate::diagnostic::{Diagnostic, Level};

/// A policy source that cannot be had: a file that cannot be read, one too large to be a
/// policy, or an embedded pack that does not exist.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("cannot read `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("policy file `{path}` is {size} bytes, more than the limit of {limit}")]
    PolicyTooLarge {
        path: String,
        size: u64,
        limit: usize,
    },
    #[error("no embedded policy pack is named `{name}`")]
    UnknownBuiltin {
        name: String,
        suggestion: Option<&'static str>,
    },
}

impl SourceError {
    /// The fix, or the closest valid name, when there is one.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Io { .. } => None,
            Self::PolicyTooLarge { .. } => Some("split the policies into several files".to_owned()),
            Self::UnknownBuiltin { suggestion, .. } => suggestion
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| {
                    Some(format!(
                        "the embedded packs are {}",
                        crate::compile::list(builtin::NAMES)
                    ))
                }),
        }
    }
}

/// One policy file's text and the name diagnostics give it.
#[derive(Debug, Clone)]
struct Source {
    name: String,
    text: String,
}

/// The policy texts of a set, in load order; diagnostics point into them by index.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a policy text under `name`; returns its index.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        self.sources.push(Source {
            name: name.into(),
            text: text.into(),
        });
        self.sources.len() - 1
    }

    /// Adds a policy file, or every policy file under a folder (recursively, in path order).
    /// Test files (`*.test.yaml`) are not policies and are passed over.
    #[expect(
        clippy::result_large_err,
        reason = "a cold path, taken once per policy file"
    )]
    pub fn add_path(&mut self, path: &Path) -> Result<(), Diagnostic> {
        let io_error = |path: &Path, error: std::io::Error| Diagnostic {
            level: Level::Error,
            location: None,
            problem: SourceError::Io {
                path: path.display().to_string(),
                message: error.to_string(),
            }
            .into(),
        };
        let metadata = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
        let files = if metadata.is_dir() {
            let mut files = Vec::new();
            collect_policy_files(path, &mut files).map_err(|e| io_error(path, e))?;
            files
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            // Checked before reading, so that a wrong path is not read into memory whole.
            let size = std::fs::metadata(&file)
                .map_err(|e| io_error(&file, e))?
                .len();
            if size > MAX_POLICY_BYTES as u64 {
                return Err(Diagnostic {
                    level: Level::Error,
                    location: None,
                    problem: SourceError::PolicyTooLarge {
                        path: file.display().to_string(),
                        size,
                        limit: MAX_POLICY_BYTES,
                    }
                    .into(),
                });
            }
            let text = std::fs::read_to_string(&file).map_err(|e| io_error(&file, e))?;
            self.add(file.display().to_string(), text);
        }
        Ok(())
    }

    /// Adds an embedded pack by name.
    #[expect(
        clippy::result_large_err,
        reason = "a cold path, taken once per policy file"
    )]
    pub fn add_builtin(&mut self, name: &str) -> Result<(), Diagnostic> {
        let text = builtin::text(name).ok_or_else(|| Diagnostic {
            level: Level::Error,
            location: None,
            problem: SourceError::UnknownBuiltin {
                name: name.to_owned(),
                suggestion: crate::diagnostic::closest(name, builtin::NAMES.iter().copied()),
            }
            .into(),
        })?;
        self.add(format!("<builtin>/{name}.yaml"), text);
        Ok(())
    }

    /// The embedded default set: every pack `check` uses without `-p`.
    pub fn defaults() -> Self {
        let mut map = Self::new();
        for name in builtin::DEFAULT_SET {
            if let Some(text) = builtin::text(name) {
                map.add(format!("<builtin>/{name}.yaml"), text);
            }
        }
        map
    }

    /// How many sources there are.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The name of a source.
    pub fn name(&self, index: usize) -> &str {
        self.sources
            .get(index)
            .map_or("<unknown>", |s| s.name.as_str())
    }

    /// The text of a source.
    pub fn text(&self, index: usize) -> &str {
        self.sources.get(index).map_or("", |s| s.text.as_str())
    }

    /// A 1-based line of a source, without its line ending.
    pub fn line(&self, index: usize, line: usize) -> Option<&str> {
        let text = &self.sources.get(index)?.text;
        text.lines().nth(line.checked_sub(1)?)
    }

    /// Indices of every source.
    pub fn indices(&self) -> std::ops::Range<usize> {
        0..self.sources.len()
    }
}

/// Whether a file name is a policy test file rather than a policy.
pub fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".test.yaml") || name.ends_with(".test.yml")
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn collect_policy_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_policy_files(&path, files)?;
        } else if is_yaml(&path) && !is_test_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}
