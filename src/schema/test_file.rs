//! The schema of test files (`*.test.yaml`): a session each, and the decision and
//! violations it must give.

use serde_json::{Map, Value, json};

use crate::model::Field;
use crate::policy::Decision;

use super::{DRAFT, ID, field_doc, field_names, text, timestamp_schema};

/// Every decision, mildest first.
const DECISIONS: [Decision; 3] = [Decision::Allow, Decision::Warn, Decision::Deny];

/// The schema of test files (`*.test.yaml`).
pub fn test_schema() -> Value {
    // `policy/rule`, as tests name rules.
    let rule_ref = format!("^{ID}/{ID}$");
    let expected = json!({
        "description": "A violation: its `policy/rule` id, or a mapping that also pins what it says.",
        "anyOf": [
            {
                "type": "string",
                "pattern": rule_ref,
                "description": "The violation's `policy/rule` id.",
            },
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["rule"],
                "properties": {
                    "rule": {
                        "type": "string",
                        "pattern": rule_ref,
                        "description": "The violation's `policy/rule` id.",
                    },
                    "field": {
                        "type": "string",
                        "enum": field_names(),
                        "description": "The field whose check failed.",
                    },
                    "message_contains": text("Text the violation's message must contain."),
                },
            },
        ],
    });
    let expected_list = |description: &str| {
        json!({
            "type": "array",
            "description": description,
            "items": { "$ref": "#/definitions/expected" },
        })
    };
    json!({
        "$schema": DRAFT,
        "$comment": format!("ssm-guard {} policy tests: `ssm-guard schema test`", env!("CARGO_PKG_VERSION")),
        "title": "ssm-guard policy tests",
        "description": "Tests of the policies in this folder (and below), run by `ssm-guard test`.",
        "type": "object",
        "additionalProperties": false,
        "required": ["tests"],
        "properties": {
            "tests": {
                "type": "array",
                "description": "The tests. A test passes when every expectation it names holds exactly.",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "session", "expect"],
                    "properties": {
                        "name": text("What the test shows, as the runner prints it."),
                        "session": session_schema(),
                        "tags": {
                            "type": "object",
                            "description": "The tags the session is judged with, per family: a map of keys and values (known; a key not in it is absent), or `unknown`. A family not given, or a test without `tags`, has unknown tags.",
                            "additionalProperties": false,
                            "properties": {
                                "target": tag_set("The target's own tags (`TargetTags.<key>`)."),
                                "cluster": tag_set("An ECS target's cluster's tags (`TargetClusterTags.<key>`)."),
                                "owner": tag_set("The owner's IAM role or user tags (`OwnerTags.<key>`)."),
                            },
                        },
                        "now": {
                            "$ref": "#/definitions/timestamp",
                            "description": "The evaluation time (RFC 3339, or a date for its start in UTC): ends an active session's `Duration` and judges waivers of records without `StartDate`. Default: the clock.",
                        },
                        "expect": {
                            "type": "object",
                            "description": "What the policies must give for the session.",
                            "additionalProperties": false,
                            "properties": {
                                "decision": {
                                    "type": "string",
                                    "enum": DECISIONS.map(Decision::name),
                                    "enumDescriptions": DECISIONS.map(decision_doc),
                                    "description": "The record's decision.",
                                },
                                "violations": expected_list("The exact set of violations that no exception waived (empty: none)."),
                                "waived": expected_list("The exact set of violations that exceptions waived."),
                            },
                        },
                    },
                },
            },
        },
        "definitions": {
            "expected": expected,
            "timestamp": timestamp_schema(),
        },
    })
}

/// Hover text of each decision; the match is exhaustive, so a new decision needs its doc here.
fn decision_doc(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "no violation that is not waived",
        Decision::Warn => "only `warn` violations are not waived",
        Decision::Deny => "some `deny` violation is not waived",
    }
}

/// A test's session: an inline record, or `file:` naming a record file beside the test.
fn session_schema() -> Value {
    let mut properties = Map::new();
    for &field in Field::ALL {
        if field.is_derived() || field.name().contains('.') {
            continue;
        }
        // An object's members are the fields named after it, `Object.Member`.
        let prefix = format!("{}.", field.name());
        let members: Map<String, Value> = Field::ALL
            .iter()
            .filter_map(|&member| {
                let name = member.name().strip_prefix(&prefix)?;
                Some((name.to_owned(), json!({ "description": field_doc(member) })))
            })
            .collect();
        let schema = if members.is_empty() {
            json!({ "description": field_doc(field) })
        } else {
            json!({ "description": field_doc(field), "properties": members })
        };
        properties.insert(field.name().to_owned(), schema);
    }
    json!({
        "description": "The record: a Session object as the API or the AWS CLI gives it (any JSON value is allowed for its fields, so tests can hold broken records), a CloudTrail `StartSession` record, or `{ file: path }` naming a record file beside the test.",
        "anyOf": [
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["file"],
                "properties": { "file": text("A record file, relative to the test file's folder.") },
            },
            { "type": "object", "properties": properties },
        ],
    })
}

/// One family's tags in a test: a map of keys and values, or `unknown`.
fn tag_set(description: &str) -> Value {
    json!({
        "description": description,
        "oneOf": [
            {"type": "object", "additionalProperties": {"type": "string"}},
            {"const": "unknown"},
        ],
    })
}
