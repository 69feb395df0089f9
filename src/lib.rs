//! ssm-guard: policies for AWS Systems Manager Session Manager sessions.
//!
//! The pipeline reads as the modules do: [`source`] gathers policy texts, [`compile()`] turns
//! them into an immutable [`CompiledPolicySet`] (all globs, regexes and field names resolved
//! once), [`model`] reads records into [`Session`]s, and [`CompiledPolicySet::evaluate`] judges
//! one record by `&self`, giving an [`Evaluation`]: its [`Decision`] and every [`Violation`].
//! [`check`] streams whole exports through that, and [`report`] writes the results. [`witness`]
//! runs the other way: from a rule and an outcome to a session that has it, or a proof that none
//! does, for suggested tests, examples, `validate`'s proofs and `diff --synthesize`.
//!
//! ```
//! use ssm_guard::model::{parse_record, ParsedRecord};
//! use ssm_guard::{compile, Decision, SourceMap, Timestamp};
//!
//! // Load: policy texts, from files, folders or the embedded packs.
//! let mut sources = SourceMap::new();
//! sources.add(
//!     "jit.yaml",
//!     r#"
//! policy: jit
//! rules:
//!   - id: jit-requires-reason
//!     when: { AccessType: JustInTime }
//!     require: { Reason: { present: true } }
//!     message: "JIT session {SessionId} has no Reason"
//! "#,
//! );
//!
//! // Compile: once, reporting every problem with file:line:column.
//! let compiled = compile(&sources, Timestamp::now()).map_err(|d| format!("{d:?}"))?;
//!
//! // Evaluate: any number of records, from any thread.
//! let record = br#"{"SessionId": "s-1", "AccessType": "JustInTime"}"#;
//! let ParsedRecord::Session(session) = parse_record(record)? else { unreachable!() };
//! let evaluation = compiled.set.evaluate(&session, Timestamp::now());
//! assert_eq!(evaluation.decision, Decision::Deny);
//! assert_eq!(evaluation.violations[0].message, "JIT session s-1 has no Reason");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Embedding
//!
//! What a broker, a CI tool or another program calls: compile once, then decide single events
//! ([`hook::Gate`]), lint whole exports into any report ([`check::Checker`] with a
//! [`check::Reporter`] from [`report`]), or build Security Hub findings ([`report::asff`]).
//!
//! ## Deciding one session before it starts
//!
//! A [`hook::Gate`] holds the compiled set and a mode, and answers one event (a Session, a
//! CloudTrail `StartSession` record, or the EventBridge event wrapping one) with a decision. It
//! fails closed: whatever it cannot read is denied, with the reason.
//!
//! ```
//! use ssm_guard::hook::{Gate, Mode};
//! use ssm_guard::{compile, SourceMap, Timestamp};
//!
//! let mut sources = SourceMap::new();
//! sources.add(
//!     "documents.yaml",
//!     "policy: documents\nrules:\n  - id: shell-only\n    require: { DocumentName: SSM-SessionManagerRunShell }\n",
//! );
//! let compiled = compile(&sources, Timestamp::now()).map_err(|d| format!("{d:?}"))?;
//! let gate = Gate::new(compiled.set, Mode::Enforce);
//!
//! let request = br#"{"SessionId": "s-1", "Target": "i-0123456789abcdef0", "DocumentName": "AWS-StartSSHSession"}"#;
//! let decision = gate.decide(request, Timestamp::now());
//! assert!(!decision.allowed);
//! assert_eq!(decision.rule_ids(), ["documents/shell-only"]);
//!
//! // What cannot be read is denied, never allowed.
//! let garbage = gate.decide(b"not json", Timestamp::now());
//! assert!(!garbage.allowed && garbage.error.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Rendering a report of an export
//!
//! A [`check::Checker`] streams inputs (files, standard input, or bytes already in memory) through
//! the set on worker threads and hands every result, in input order, to a reporter: here the
//! JSON document of `--format json`, written to a `Vec<u8>`.
//!
//! ```
//! use ssm_guard::input::InputSource;
//! use ssm_guard::check::Checker;
//! use ssm_guard::report::JsonReporter;
//! use ssm_guard::{compile, SourceMap, Timestamp};
//!
//! let mut sources = SourceMap::new();
//! sources.add(
//!     "caps.yaml",
//!     "policy: caps\nrules:\n  - id: cap\n    require: { MaxSessionDuration: { lte: 60 } }\n",
//! );
//! let compiled = compile(&sources, Timestamp::now()).map_err(|d| format!("{d:?}"))?;
//!
//! let export = br#"{"Sessions": [
//!     {"SessionId": "s-1", "Target": "i-1", "MaxSessionDuration": "30"},
//!     {"SessionId": "s-2", "Target": "i-2", "MaxSessionDuration": "240"}
//! ]}"#;
//! let inputs = [InputSource::memory("export.json", &export[..])];
//!
//! let mut out = Vec::new();
//! let linter = Checker::new(&compiled.set, Timestamp::now(), 2);
//! let summary = linter.run(&inputs, &mut JsonReporter::new(&mut out))?;
//! assert_eq!((summary.records, summary.decisions.deny), (2, 1));
//!
//! let report: serde_json::Value = serde_json::from_slice(&out)?;
//! assert_eq!(report["results"][1]["session_id"], "s-2");
//! assert_eq!(report["results"][1]["violations"][0]["rule"], "cap");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Security Hub findings
//!
//! [`report::AsffReporter`] is the reporter of `--format asff`: the same linter, another
//! reporter. Each violation becomes a finding ready for `BatchImportFindings`.
//!
//! ```
//! use ssm_guard::input::InputSource;
//! use ssm_guard::check::Checker;
//! use ssm_guard::report::{AsffReporter, AsffSettings};
//! use ssm_guard::{compile, SourceMap, Timestamp};
//!
//! let mut sources = SourceMap::new();
//! sources.add(
//!     "reasons.yaml",
//!     "policy: reasons\nrules:\n  - id: reason\n    severity: high\n    require: { Reason: { present: true } }\n",
//! );
//! let compiled = compile(&sources, Timestamp::now()).map_err(|d| format!("{d:?}"))?;
//! let export = br#"{"SessionId": "s-1", "Target": "i-0123456789abcdef0",
//!     "Owner": "arn:aws:sts::111122223333:assumed-role/Dev/ana"}"#;
//!
//! let mut out = Vec::new();
//! let now = Timestamp::parse("2026-03-13T21:30:00Z")?;
//! let mut reporter = AsffReporter::new(&mut out, AsffSettings::new("eu-west-1", now));
//! Checker::new(&compiled.set, now, 1).run(&[InputSource::memory("x.json", &export[..])], &mut reporter)?;
//!
//! let findings: serde_json::Value = serde_json::from_slice(&out)?;
//! assert_eq!(findings[0]["GeneratorId"], "reasons/reason");
//! assert_eq!(findings[0]["Severity"]["Label"], "HIGH");
//! assert_eq!(
//!     findings[0]["Resources"][0]["Id"],
//!     "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "aws")]
pub mod aws;
pub mod builtin;
pub mod check;
pub mod compile;
mod condition;
#[cfg(feature = "aws")]
pub mod described;
pub mod diagnostic;
pub mod diff;
pub mod hook;
pub mod input;
mod json_text;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod merge;
mod message;
pub mod model;
pub mod operator;
pub mod policy;
pub mod report;
pub mod schema;
pub mod source;
#[cfg(feature = "aws")]
pub mod sweep;
pub mod tags;
pub mod testing;
pub mod witness;
mod yaml;

pub use compile::{CompileError, Compiled, compile};
pub use diagnostic::{Diagnostic, Level, Problem};
pub use model::{Field, Session, Timestamp};
pub use policy::{Action, CompiledPolicySet, Decision, Evaluation, OnUnknown, Severity, Violation};
pub use source::SourceMap;

/// The README's examples run as doctests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
