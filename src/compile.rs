//! Loading is compiling: policy YAML becomes a [`CompiledPolicySet`], with every problem of
//! every file reported at once, located by file, line and column.
//!
//! The pipeline reads as the modules do: [`compile()`] parses each source and hands it to
//! `policy` (policies, rules, cases, exceptions), which reads conditions in `condition` and
//! operators in [`crate::operator`] through the node readers of `nodes`; `analysis` warns about
//! what compiles but cannot mean what it says; `diagnostics` reports, and makes the
//! [`Reported`] proof without which no step may fail.

mod analysis;
mod condition;
mod diagnostics;
mod error;
mod nodes;
mod policy;

use std::collections::HashMap;

use marked_yaml::LoaderOptions;

pub(crate) use analysis::api_values;
pub(crate) use diagnostics::{Compiles, Failures, Reported};
pub use error::CompileError;
pub(crate) use error::list;

use crate::diagnostic::{Diagnostic, Level, Location};
use crate::model::Timestamp;
use crate::policy::CompiledPolicySet;
use crate::source::{SourceError, SourceMap};

/// The keys each mapping of a policy file accepts (the editor schema lists the same).
pub(crate) const POLICY_KEYS: &[&str] =
    &["policy", "description", "defaults", "rules", "exceptions"];
pub(crate) const DEFAULTS_KEYS: &[&str] = &["severity", "action", "on_unknown"];
pub(crate) const RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "severity",
    "action",
    "on_unknown",
    "when",
    "require",
    "cases",
    "message",
];
pub(crate) const CASE_KEYS: &[&str] = &["when", "require"];
pub(crate) const EXCEPTION_KEYS: &[&str] =
    &["id", "rules", "when", "expires", "reason", "approved_by"];

/// The largest policy file, in bytes: some fifty times the largest shipped pack. The limit keeps a wrong path (a log file, a disk image) from being read whole and parsed.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

/// The most rules one policy may have.
pub const MAX_RULES_PER_POLICY: usize = 1000;

/// The most patterns one `glob` or `not_glob` may list: each is compiled into the condition's
/// matcher, and a list this long is a target inventory, better matched by a prefix.
pub const MAX_GLOBS_PER_CONDITION: usize = 4096;

/// A compiled set and the warnings its sources gave.
#[derive(Debug)]
pub struct Compiled {
    pub set: CompiledPolicySet,
    pub warnings: Vec<Diagnostic>,
}

/// Compiles every source of `sources` into one set. `now` decides which exceptions have
/// expired (a warning). On any error, every diagnostic (errors and warnings) is returned.
pub fn compile(sources: &SourceMap, now: Timestamp) -> Result<Compiled, Vec<Diagnostic>> {
    let mut cx = Compiler {
        sources,
        source: 0,
        diagnostics: Vec::new(),
        now,
    };
    let mut set = CompiledPolicySet {
        policies: Vec::new(),
        rules: Vec::new(),
    };
    let mut policy_ids: HashMap<String, String> = HashMap::new();
    for index in sources.indices() {
        cx.source = index;
        // Texts added to the map directly (not through `add_path`) are bounded here too.
        let size = sources.text(index).len();
        if size > MAX_POLICY_BYTES {
            cx.error_at_location(
                None,
                SourceError::PolicyTooLarge {
                    path: sources.name(index).to_owned(),
                    size: size as u64,
                    limit: MAX_POLICY_BYTES,
                },
            );
            continue;
        }
        let options = LoaderOptions::default().error_on_duplicate_keys(true);
        let document =
            match marked_yaml::parse_yaml_with_options(index, sources.text(index), options) {
                Ok(document) => document,
                Err(error) => {
                    cx.yaml_error(error);
                    continue;
                }
            };
        // The loader passes over whatever follows the first document; a policy in a second
        // document would be dropped without a word.
        if let Some(at) = crate::yaml::second_document(sources.text(index), &document) {
            let location = Some(Location {
                source: index,
                line: at.line(),
                column: at.column(),
                length: 1,
            });
            cx.error_at_location(location, CompileError::SecondDocument);
            continue;
        }
        // Duplicate ids are judged on the id as written, before the policy compiles, so that a
        // duplicate is reported even when either file has other problems.
        let declared = document.as_mapping().and_then(|map| {
            let key = map.keys().find(|k| k.as_str() == "policy")?;
            let id = map.get_scalar("policy")?.as_str().to_owned();
            Some((key.clone(), id))
        });
        let duplicate = match &declared {
            Some((key, id)) => match policy_ids.get(id) {
                Some(first) => {
                    cx.error_at_key(
                        key,
                        CompileError::DuplicatePolicy {
                            id: id.clone(),
                            first: first.clone(),
                        },
                    );
                    true
                }
                None => {
                    let line = key.span().start().map_or(0, |m| m.line());
                    policy_ids.insert(id.clone(), format!("{}:{line}", sources.name(index)));
                    false
                }
            },
            None => false,
        };
        let Ok((policy, rules)) = cx.policy(&document, set.policies.len(), set.rules.len()) else {
            // Its errors are reported: the set will not compile.
            continue;
        };
        if !duplicate {
            set.policies.push(policy);
            set.rules.extend(rules);
        }
    }
    let mut diagnostics = cx.diagnostics;
    // In reading order: by file (in load order), line and column; problems without a
    // position (a file that cannot be read) first. The sort is stable, so problems at one
    // place keep the order they were found in.
    diagnostics.sort_by_key(|d| d.location.map(|at| (at.source, at.line, at.column)));
    if diagnostics.iter().any(|d| d.level == Level::Error) {
        Err(diagnostics)
    } else {
        Ok(Compiled {
            set,
            warnings: diagnostics,
        })
    }
}

/// The state of compiling one source: where problems go, and the clock for expiry warnings.
#[derive(Debug)]
pub(crate) struct Compiler<'s> {
    sources: &'s SourceMap,
    source: usize,
    diagnostics: Vec<Diagnostic>,
    now: Timestamp,
}

impl Compiler<'_> {
    /// Reports what the YAML loader refused.
    fn yaml_error(&mut self, error: marked_yaml::LoadError) {
        use marked_yaml::LoadError as Yaml;
        let (marker, problem) = match error {
            Yaml::TopLevelMustBeMapping(m) => (
                Some(m),
                CompileError::WrongShape {
                    what: "a policy file".to_owned(),
                    expected: "a mapping",
                    found: "something else",
                },
            ),
            Yaml::UnexpectedAnchor(m) => (Some(m), CompileError::YamlAnchor),
            Yaml::UnexpectedTag(m) => (
                Some(m),
                CompileError::Yaml {
                    message: "YAML tags are not supported".to_owned(),
                },
            ),
            Yaml::MappingKeyMustBeScalar(m) => (
                Some(m),
                CompileError::Yaml {
                    message: "mapping keys must be scalars".to_owned(),
                },
            ),
            Yaml::ScanError(m, scan) => (
                Some(m),
                CompileError::Yaml {
                    message: scan.info().to_owned(),
                },
            ),
            Yaml::DuplicateKey(inner) => (
                inner.key.span().start().copied(),
                CompileError::DuplicateKey {
                    key: inner.key.as_str().to_owned(),
                },
            ),
            other => (
                None,
                CompileError::Yaml {
                    message: other.to_string(),
                },
            ),
        };
        let location = marker.map(|m| Location {
            source: self.source,
            line: m.line(),
            column: m.column(),
            length: 1,
        });
        self.error_at_location(location, problem);
    }
}

fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let lead_ok = bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    lead_ok && rest_ok && bytes.len() <= 64
}
