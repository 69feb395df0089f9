//! Reading policy files at a git revision (`REV:PATH`) through `git` itself, without a checkout.

use std::process::Command;

use crate::source::{SourceMap, is_test_file};

/// Why the policies at a revision could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run `git` to read `{rev}:{path}`: {message}")]
    Spawn {
        rev: String,
        path: String,
        message: String,
    },
    #[error("`git {command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("no policy files (`*.yaml`, `*.yml`, not `*.test.yaml`) at `{rev}:{path}`")]
    NoPolicies { rev: String, path: String },
    #[error("`{name}` is not UTF-8")]
    NotUtf8 { name: String },
}

/// The policy files at `rev` under `path` (a file or folder, relative to the current
/// directory as a path argument would be), in path order, named `REV:FILE` with FILE from the
/// repository's root.
pub fn sources(rev: &str, path: &str) -> Result<SourceMap, GitError> {
    let path = if path.is_empty() { "." } else { path };
    // `-z` so that no file name is quoted; `--full-name` so that names mean the same wherever
    // the command runs. The object ids are read with `cat-file`, so no path is parsed twice.
    let listing = git(
        rev,
        path,
        &["ls-tree", "-r", "-z", "--full-name", rev, "--", path],
    )?;
    let mut files: Vec<(&str, &str)> = listing
        .split(|&b| b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .filter_map(|entry| {
            // `<mode> SP <type> SP <object> TAB <file>`
            let (meta, file) = entry.split_once('\t')?;
            let mut meta = meta.split(' ');
            let (_mode, kind, object) = (meta.next()?, meta.next()?, meta.next()?);
            (kind == "blob" && is_policy_file(file)).then_some((file, object))
        })
        .collect();
    files.sort_unstable();
    if files.is_empty() {
        return Err(GitError::NoPolicies {
            rev: rev.to_owned(),
            path: path.to_owned(),
        });
    }
    let mut sources = SourceMap::new();
    for (file, object) in files {
        let bytes = git(rev, path, &["cat-file", "blob", object])?;
        let name = format!("{rev}:{file}");
        let text =
            String::from_utf8(bytes).map_err(|_| GitError::NotUtf8 { name: name.clone() })?;
        sources.add(name, text);
    }
    Ok(sources)
}

fn is_policy_file(file: &str) -> bool {
    let path = std::path::Path::new(file);
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    ) && !is_test_file(path)
}

/// Runs git in the current directory and returns its standard output.
fn git(rev: &str, path: &str, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|error| GitError::Spawn {
            rev: rev.to_owned(),
            path: path.to_owned(),
            message: error.to_string(),
        })?;
    if !output.status.success() {
        return Err(GitError::Failed {
            command: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(output.stdout)
}
