//! Reporters: pure functions of finished results, one file per output format.

mod json;
mod jsonl;
mod text;

use serde_json::{Map, Value, json};

use crate::lint::RecordResult;
use crate::policy::Violation;

pub use json::JsonReporter;
pub use jsonl::JsonLinesReporter;
pub use text::TextReporter;

/// A violation as every JSON format writes it: the fields of the policy language's contract.
pub fn violation_json(violation: &Violation<'_>) -> Value {
    let mut object = Map::new();
    object.insert("policy".into(), json!(violation.policy.id()));
    object.insert("rule".into(), json!(violation.rule.id()));
    object.insert("severity".into(), json!(violation.rule.severity()));
    object.insert("action".into(), json!(violation.rule.action()));
    object.insert("message".into(), json!(violation.message));
    object.insert("field".into(), json!(violation.field.name()));
    object.insert("actual".into(), violation.actual.clone());
    object.insert("expected".into(), json!(violation.expected));
    if let Some(exception) = violation.waived_by {
        object.insert("waived_by".into(), json!(exception.id()));
        object.insert("waiver_reason".into(), json!(exception.reason()));
    }
    Value::Object(object)
}

/// Where a record came from and what it is, as JSON formats write it.
fn record_header(result: &RecordResult<'_>) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("source".into(), json!(&*result.source));
    object.insert("record".into(), json!(result.record));
    object.insert("line".into(), json!(result.line));
    object.insert("session_id".into(), json!(result.session_id));
    object.insert("target".into(), json!(result.target));
    object
}
