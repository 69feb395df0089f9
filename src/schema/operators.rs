//! The operators' part of the policy schema: which operators a kind of field takes, the
//! argument each one expects, and its hover text. Kept apart so that it can be generated from
//! one typed table of operators.

use serde_json::{Map, Value, json};

use crate::model::{Field, FieldKind, JsonType};
use crate::operator::{self, DAYS};

use super::with_description;

const TIME_OF_DAY_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
const OFFSET_PATTERN: &str = "^(Z|[+-]((0[0-9]|1[0-7]):[0-5][0-9]|18:00))$";

/// The operator mapping of a field of `kind`: every operator that applies to it, with `value`
/// the schema of the values it is compared with.
pub(super) fn mapping(kind: FieldKind, value: &Value) -> Value {
    let mut operators = Map::new();
    for &name in operator::NAMES {
        if operator::applies(name, kind) {
            operators.insert(name.to_owned(), operator_schema(name, value));
        }
    }
    json!({
        "type": "object",
        "description": "Every operator holds.",
        "additionalProperties": false,
        "minProperties": 1,
        "properties": operators,
    })
}

fn operator_schema(name: &str, value: &Value) -> Value {
    let doc = operator_doc(name);
    let field_ref = |wanted: fn(FieldKind) -> bool, noun: &str| {
        let names: Vec<&str> = Field::ALL
            .iter()
            .filter(|f| wanted(f.kind()))
            .map(|f| f.name())
            .collect();
        json!({
            "type": "object",
            "description": format!("Compare with another field of the same record, {noun}."),
            "additionalProperties": false,
            "required": ["field"],
            "properties": { "field": { "type": "string", "enum": names, "description": "The field." } },
        })
    };
    match name {
        "exists" | "present" => json!({ "type": "boolean", "description": doc }),
        "type" => {
            let names: Vec<&str> = JsonType::ALL.iter().map(|t| t.name()).collect();
            json!({ "type": "string", "enum": names, "description": doc })
        }
        "equals" | "not_equals" => with_description(value, doc),
        "in" | "not_in" => json!({
            "description": doc,
            "anyOf": [
                { "type": "array", "minItems": 1, "items": value },
                value,
            ],
        }),
        "glob" | "not_glob" => json!({
            "description": doc,
            "anyOf": [
                { "type": "array", "minItems": 1, "items": { "$ref": "#/definitions/glob" } },
                { "$ref": "#/definitions/glob" },
            ],
        }),
        "matches" | "not_matches" => json!({
            "type": "string",
            "format": "regex",
            "description": doc,
        }),
        "min_length" | "max_length" => json!({
            "type": "integer",
            "minimum": 0,
            "description": doc,
        }),
        "lt" | "lte" | "gt" | "gte" => json!({
            "description": doc,
            "anyOf": [
                { "type": "number" },
                field_ref(FieldKind::is_numeric, "a number or a string of minutes"),
            ],
        }),
        "before" | "after" => json!({
            "description": doc,
            "anyOf": [
                { "$ref": "#/definitions/timestamp" },
                field_ref(|k| k == FieldKind::Timestamp, "a timestamp"),
            ],
        }),
        "during" => json!({
                "type": "object",
                "description": doc,
                "additionalProperties": false,
                "properties": {
                    "days": {
                        "type": "array",
                        "description": "The days of the week, at `offset` (default: every day).",
                        "minItems": 1,
                        "items": { "type": "string", "enum": DAYS },
                    },
                    "from": {
                        "type": "string",
                        "pattern": TIME_OF_DAY_PATTERN,
                        "description": "The window's start, `HH:MM`, inclusive (default `00:00`).",
                    },
                    "to": {
                        "type": "string",
                        "pattern": TIME_OF_DAY_PATTERN,
                        "description": "The window's end, `HH:MM`, exclusive (default `24:00`); earlier than `from` wraps past midnight.",
                    },
                    "offset": {
                        "type": "string",
                        "pattern": OFFSET_PATTERN,
                        "description": "The UTC offset the instant is seen at, `+HH:MM` or `-HH:MM` (default `+00:00`).",
                    },
                },
        }),
        _ => json!({ "description": doc }),
    }
}

/// Hover text of each operator.
pub(super) fn operator_doc(name: &str) -> &'static str {
    match name {
        "exists" => {
            "`true`: the field is not absent (an empty string exists). `false`: it is absent."
        }
        "present" => {
            "`true`: the field exists and, if a string, has a non-whitespace character. `false`: the opposite."
        }
        "equals" => {
            "The field equals the value (case-sensitive for text; numeric or temporal for numbers and timestamps)."
        }
        "not_equals" => "The field does not equal the value; true where it is absent.",
        "in" => "The field is one of the values.",
        "not_in" => "The field is none of the values; true where it is absent.",
        "glob" => "The whole value matches a glob (or one of a list).",
        "not_glob" => "The value matches none of the globs; true where it is absent.",
        "matches" => {
            "The regex (Rust `regex` syntax) finds a match anywhere in the value; anchor with `^...$` for a whole match."
        }
        "not_matches" => "The regex finds no match; true where the field is absent.",
        "min_length" => "The value has at least this many Unicode characters.",
        "max_length" => "The value has at most this many Unicode characters.",
        "lt" => "Less than a number or `{ field: Name }`.",
        "lte" => "At most a number or `{ field: Name }`.",
        "gt" => "Greater than a number or `{ field: Name }`.",
        "gte" => "At least a number or `{ field: Name }`.",
        "before" => "Earlier than an RFC 3339 timestamp (or date) or `{ field: Name }`.",
        "after" => "Later than an RFC 3339 timestamp (or date) or `{ field: Name }`.",
        "type" => "The record's JSON value has this type.",
        "during" => {
            "The instant, seen at `offset`, falls on one of `days`, at or after `from` and before `to`."
        }
        _ => "",
    }
}
