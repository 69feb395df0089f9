//! The operators' part of the policy schema: which operators a kind of field takes, the
//! argument each one expects, and its hover text. Kept apart so that it can be generated from
//! one typed table of operators.

use serde_json::{Map, Value, json};

use crate::model::{Field, FieldKind, JsonType};
use crate::operator::{DAYS, OperatorName};

use super::with_description;

const TIME_OF_DAY_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
const OFFSET_PATTERN: &str = "^(Z|[+-]((0[0-9]|1[0-7]):[0-5][0-9]|18:00))$";

/// The operator mapping of a field of `kind`: every operator that applies to it, with `value`
/// the schema of the values it is compared with.
pub(super) fn mapping(kind: FieldKind, value: &Value) -> Value {
    let mut operators = Map::new();
    for op in OperatorName::ALL {
        if op.applies_to(kind) {
            operators.insert(op.name().to_owned(), operator_schema(op, kind, value));
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

/// The names of tag fields: a family, a dot, and any key.
pub(super) const TAG_FIELD_PATTERN: &str = r"^(TargetTags|TargetClusterTags|OwnerTags)\..+$";

fn operator_schema(op: OperatorName, kind: FieldKind, value: &Value) -> Value {
    use OperatorName as Op;
    let doc = op.doc();
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
    match op {
        Op::Exists | Op::Present => json!({ "type": "boolean", "description": doc }),
        Op::Type => {
            let names: Vec<&str> = JsonType::ALL.iter().map(|t| t.name()).collect();
            json!({ "type": "string", "enum": names, "description": doc })
        }
        // Text is compared with another text field too: a tag field (`TargetTags.team`) or one
        // of the record's.
        Op::Equals | Op::NotEquals if kind.is_textual() => json!({
            "description": doc,
            "anyOf": [
                value,
                {
                    "type": "object",
                    "description": "Compare with the text of another field of the same record, or a tag field.",
                    "additionalProperties": false,
                    "required": ["field"],
                    "properties": { "field": {
                        "type": "string",
                        "description": "The field: a text field, or `TargetTags.<key>`, `TargetClusterTags.<key>`, `OwnerTags.<key>`.",
                        "anyOf": [
                            { "enum": Field::ALL.iter().filter(|f| f.kind().is_textual()).map(|f| f.name()).collect::<Vec<_>>() },
                            { "pattern": TAG_FIELD_PATTERN },
                        ],
                    } },
                },
            ],
        }),
        Op::Equals | Op::NotEquals => with_description(value, doc),
        Op::In | Op::NotIn => json!({
            "description": doc,
            "anyOf": [
                { "type": "array", "minItems": 1, "items": value },
                value,
            ],
        }),
        Op::Glob | Op::NotGlob => json!({
            "description": doc,
            "anyOf": [
                { "type": "array", "minItems": 1, "items": { "$ref": "#/definitions/glob" } },
                { "$ref": "#/definitions/glob" },
            ],
        }),
        Op::Matches | Op::NotMatches => json!({
            "type": "string",
            "format": "regex",
            "description": doc,
        }),
        Op::MinLength | Op::MaxLength => json!({
            "type": "integer",
            "minimum": 0,
            "description": doc,
        }),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => json!({
            "description": doc,
            "anyOf": [
                { "type": "number" },
                field_ref(FieldKind::is_numeric, "a number or a string of minutes"),
            ],
        }),
        Op::Before | Op::After => json!({
            "description": doc,
            "anyOf": [
                { "$ref": "#/definitions/timestamp" },
                field_ref(|k| k == FieldKind::Timestamp, "a timestamp"),
            ],
        }),
        Op::During => json!({
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
    }
}
