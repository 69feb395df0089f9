//! ssm-guard: policies for AWS Systems Manager Session Manager sessions.

pub mod builtin;
pub mod compile;
mod condition;
pub mod diagnostic;
pub mod input;
pub mod lint;
mod message;
pub mod model;
mod operator;
pub mod policy;
pub mod report;
pub mod source;
pub mod testing;

pub use compile::{Compiled, LoadError, compile};
pub use diagnostic::{Diagnostic, Level};
pub use model::{Field, Session, Timestamp};
pub use policy::{Action, CompiledPolicySet, Decision, Evaluation, Severity, Violation};
pub use source::SourceMap;
