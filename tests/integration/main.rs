//! The project's tests of the engine and the command line, in one binary so there is one link
//! step: operators, evaluation, inputs, the CLI's outputs and exit codes, diagnostics, and the
//! shipped policies' own tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod asff;
mod cli;
mod completions;
mod deploy;
mod diagnostics;
mod diff;
mod evaluation;
mod fail_closed;
mod hook;
mod hostile;
mod input_errors;
mod inputs;
mod operators;
mod policy_tests;
mod properties;
mod recognition;
mod reports;
mod support;
mod violations;
mod witness;
mod witness_properties;
