//! Evaluating records against whole policies: cases, defaults, decisions, messages, the
//! violation's fields, exceptions, and the spec's own example policy.

use serde_json::json;
use ssm_guard::{Action, CompiledPolicySet, Decision, Evaluation, Field, Severity};

use crate::support::{at, compile_files, compile_policy, evaluate, now, violations};

/// `policy/rule` of every violation that counts (not waived), in report order.
fn counted(evaluation: &Evaluation<'_>) -> Vec<String> {
    evaluation
        .violations
        .iter()
        .filter(|v| !v.is_waived())
        .map(|v| v.id().to_owned())
        .collect()
}

/// `policy/rule` and the exception id of every waived violation.
fn waived(evaluation: &Evaluation<'_>) -> Vec<(String, String)> {
    evaluation
        .violations
        .iter()
        .filter_map(|v| v.waived_by.map(|e| (v.id().to_owned(), e.id().to_owned())))
        .collect()
}

mod exceptions;
mod rules;
mod sets;
