//! ssm-guard: policies for AWS Systems Manager Session Manager sessions.
//!
//! The pipeline reads as the modules do: [`source`] gathers policy texts, [`compile()`] turns
//! them into an immutable [`CompiledPolicySet`] (all globs, regexes and field names resolved
//! once), [`model`] reads records into [`Session`]s, and [`CompiledPolicySet::evaluate`] judges
//! one record by `&self`, giving an [`Evaluation`]: its [`Decision`] and every [`Violation`].
//! [`lint`] streams whole exports through that, and [`report`] writes the results. [`witness`]
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

pub mod builtin;
pub mod compile;
mod condition;
pub mod diagnostic;
pub mod diff;
pub mod hook;
pub mod input;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lint;
mod message;
pub mod model;
pub mod operator;
pub mod policy;
pub mod report;
pub mod schema;
pub mod source;
pub mod testing;
pub mod witness;
mod yaml;

pub use compile::{CompileError, Compiled, compile};
pub use diagnostic::{Diagnostic, Level, Problem};
pub use model::{Field, Session, Timestamp};
pub use policy::{Action, CompiledPolicySet, Decision, Evaluation, Severity, Violation};
pub use source::SourceMap;

/// The README's examples run as doctests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
