//! The schema of policy files: policies, rules, cases, exceptions and conditions, with a
//! condition schema per kind of field (and per field whose values the API fixes).

use serde_json::{Map, Value, json};

use crate::compile::{
    CASE_KEYS, DEFAULTS_KEYS, EXCEPTION_KEYS, POLICY_KEYS, RULE_KEYS, api_values,
};
use crate::model::{Field, FieldKind};
use crate::policy::{Action, OnUnknown, Severity};

use super::{
    DRAFT, ID, TIMESTAMP_PATTERN, field_doc, object, operators, reference, text, timestamp_schema,
    with_description,
};

/// How many cases the schema checks for a default case that is not last. Past this many, the
/// loader still checks; no real rule comes near it.
const CHECKED_CASES: usize = 32;

/// A plain decimal number, as `Duration` comparisons accept one written as a string.
const NUMBER_PATTERN: &str = "^-?[0-9]+(\\.[0-9]+)?$";

/// The schema of policy files (`*.yaml` that are not tests).
pub fn policy_schema() -> Value {
    let mut definitions = Map::new();
    definitions.insert("id".into(), id_schema("An id"));
    definitions.insert("severity".into(), severity_schema());
    definitions.insert("action".into(), action_schema());
    definitions.insert("rule".into(), rule_schema());
    definitions.insert("case".into(), case_schema());
    definitions.insert("exception".into(), exception_schema());
    definitions.insert("condition".into(), condition_schema());
    definitions.insert("glob".into(), glob_schema());
    definitions.insert("timestamp".into(), timestamp_schema());
    definitions.insert("value".into(), json!({
        "type": ["string", "number", "boolean"],
        "description": "A value compared with the field: text for string fields, a number for numbers and minutes, an RFC 3339 timestamp or a date for timestamps."
    }));
    for kind in kinds() {
        definitions.insert(kind_key(kind), field_condition_schema(kind, None));
    }
    for &field in Field::ALL {
        if let Some(values) = api_values(field) {
            definitions.insert(
                enum_field_key(field),
                field_condition_schema(field.kind(), Some((field, values))),
            );
        }
    }
    json!({
        "$schema": DRAFT,
        "$comment": format!("ssm-guard {} policy language v1: `ssm-guard schema policy`", env!("CARGO_PKG_VERSION")),
        "title": "ssm-guard policy",
        "description": "One ssm-guard policy: rules that AWS Systems Manager Session Manager `Session` records must follow, and the exceptions that waive them.",
        "type": "object",
        "additionalProperties": false,
        "required": ["policy", "rules"],
        "properties": object(POLICY_KEYS, |key| match key {
            "policy" => id_schema(&format!("The policy id, unique across the loaded set: `{ID}`. Violations are named `policy/rule`.")),
            "description" => text("What the policy is for."),
            "defaults" => json!({
                "type": "object",
                "description": "Severity and action for every rule that does not set its own.",
                "additionalProperties": false,
                "properties": object(DEFAULTS_KEYS, |key| match key {
                    "severity" => reference("severity", "The default severity (default: `medium`)."),
                    "on_unknown" => on_unknown_schema("What rules do where tags they read could not be learned (default: `action`)."),
                    _ => reference("action", "The default action (default: `deny`)."),
                }),
            }),
            "rules" => json!({
                "type": "array",
                "description": "The rules, at least one. Each record is judged by every rule.",
                "minItems": 1,
                "items": { "$ref": "#/definitions/rule" },
            }),
            _ => json!({
                "type": "array",
                "description": "Waivers: an exception waives this policy's violations of its rules where its `when` holds, for sessions that started before `expires`. Waived violations are still reported, as waived.",
                "items": { "$ref": "#/definitions/exception" },
            }),
        }),
        "definitions": definitions,
    })
}

/// The kinds of field there are, in the order of the first field of each: one condition
/// schema each.
fn kinds() -> Vec<FieldKind> {
    let mut kinds = Vec::new();
    for field in Field::ALL {
        if !kinds.contains(&field.kind()) {
            kinds.push(field.kind());
        }
    }
    kinds
}

fn kind_key(kind: FieldKind) -> String {
    let name = match kind {
        FieldKind::Text => "text",
        FieldKind::Timestamp => "timestamp",
        FieldKind::Minutes => "minutes",
        FieldKind::Number => "number",
        FieldKind::Object => "object",
    };
    format!("{name}-condition")
}

fn enum_field_key(field: Field) -> String {
    format!("{}-condition", field.name())
}

fn rule_schema() -> Value {
    json!({
        "type": "object",
        "description": "A rule: where it applies (`when`) and what must then hold (`require`, or `cases` for a requirement per group of records).",
        "additionalProperties": false,
        "required": ["id"],
        "oneOf": [
            { "required": ["require"] },
            { "required": ["cases"] },
        ],
        "properties": object(RULE_KEYS, |key| match key {
            "id" => id_schema(&format!("The rule id, unique within its policy: `{ID}`.")),
            "description" => text("What the rule requires and why: `ssm-guard explain` and reports show it."),
            "severity" => reference("severity", "How serious a violation is (default: the policy's `defaults`, else `medium`)."),
            "action" => reference("action", "What a violation does to the decision (default: the policy's `defaults`, else `deny`)."),
            "on_unknown" => on_unknown_schema("What the rule does where tags it reads could not be learned (default: the policy's `defaults`, else `action`)."),
            "when" => reference("condition", "The rule applies only to records where this holds."),
            "require" => reference("condition", "What must hold wherever the rule applies; where it does not, a violation. Use either `require` or `cases`."),
            "cases" => cases_schema(),
            _ => json!({
                "type": "string",
                "description": "The violation's message: `{Field}` is replaced by the record's value (`-` where absent), `{rule}`, `{policy}`, `{severity}` by the rule's; `{{` and `}}` are literal braces. Without it, the message says which check failed.",
                "pattern": template_pattern(),
            }),
        }),
    })
}

/// `on_unknown`: what a rule does where it could not be judged.
fn on_unknown_schema(description: &str) -> Value {
    json!({
        "type": "string",
        "enum": OnUnknown::NAMES,
        "enumDescriptions": [
            "A violation with the rule's own action, saying it could not be judged.",
            "A violation that denies.",
            "A violation that warns.",
            "No violation.",
        ],
        "description": description,
    })
}

fn cases_schema() -> Value {
    // "The case without `when` must be last", in draft-07 terms: for each position i, an array
    // with more than i + 1 items has a `when` at position i. A tuple `items` reaches position i.
    let last_rule: Vec<Value> = (0..CHECKED_CASES - 1)
        .map(|i| {
            let mut items = vec![Value::Bool(true); i];
            items.push(json!({ "required": ["when"] }));
            json!({ "if": { "minItems": i + 2 }, "then": { "items": items } })
        })
        .collect();
    json!({
        "type": "array",
        "description": "Cases: the first case whose `when` holds is the one whose `require` must hold. A case without `when` is the default and must be last. Where no case's `when` holds, the rule has nothing to say.",
        "minItems": 1,
        "items": { "$ref": "#/definitions/case" },
        "allOf": last_rule,
    })
}

fn case_schema() -> Value {
    json!({
        "type": "object",
        "description": "One case of a rule.",
        "additionalProperties": false,
        "required": ["require"],
        "properties": object(CASE_KEYS, |key| match key {
            "when" => reference("condition", "The case is chosen for records where this holds, unless an earlier case was. Without `when`, the default case (last)."),
            _ => reference("condition", "What must hold for the records this case was chosen for."),
        }),
    })
}

fn exception_schema() -> Value {
    json!({
        "type": "object",
        "description": "A waiver of this policy's violations.",
        "additionalProperties": false,
        "required": ["id", "reason"],
        "properties": object(EXCEPTION_KEYS, |key| match key {
            "id" => id_schema("The exception id, unique within its policy; a waived violation names it in `waived_by`."),
            "rules" => {
                let rule = json!({
                    "type": ["string", "number"],
                    "pattern": format!("^({ID}/)?{ID}$"),
                    "description": "A rule id of this policy (`rule` or `policy/rule`).",
                });
                json!({
                    "description": "The rules it waives, ids of this policy's rules. Without it, every rule of this policy.",
                    "anyOf": [
                        { "type": "array", "items": rule },
                        rule,
                    ],
                })
            }
            "when" => reference("condition", "It waives only records where this holds."),
            "expires" => json!({
                "type": "string",
                "pattern": TIMESTAMP_PATTERN,
                "description": "It waives sessions that started before this: a date (valid through its end, UTC) or an RFC 3339 timestamp. Without it, the waiver never ends (a warning).",
            }),
            "reason" => json!({
                "type": "string",
                "pattern": "\\S",
                "description": "Why the waiver exists (required): a ticket and the risk accepted.",
            }),
            _ => text("Who approved the waiver."),
        }),
    })
}

fn condition_schema() -> Value {
    let mut properties = Map::new();
    for &field in Field::ALL {
        let key = if api_values(field).is_some() {
            enum_field_key(field)
        } else {
            kind_key(field.kind())
        };
        properties.insert(
            field.name().to_owned(),
            reference(
                &key,
                &format!("{} ({})", field_doc(field), kind_doc(field.kind())),
            ),
        );
    }
    let list = |description: &str| {
        json!({
            "type": "array",
            "description": description,
            "minItems": 1,
            "items": { "$ref": "#/definitions/condition" },
        })
    };
    properties.insert("all".into(), list("Every condition of the list holds."));
    properties.insert(
        "any".into(),
        list("At least one condition of the list holds."),
    );
    properties.insert(
        "not".into(),
        reference("condition", "The condition does not hold."),
    );
    let tag_field = reference(
        &kind_key(FieldKind::Text),
        "A tag of the target (`TargetTags.<key>`), of an ECS target's cluster (`TargetClusterTags.<key>`) or of the owner's IAM role or user (`OwnerTags.<key>`, keys in any case): everything after the first `.` is the key. Absent where the known tags lack the key; unknown where the tags could not be learned. (a string)",
    );
    json!({
        "type": "object",
        "description": "A condition: every entry holds. An entry is a field (`Field: value` equals, `Field: [..]` is one of, `Field: { operator: argument }`) or a combinator (`all`, `any`, `not`).",
        "additionalProperties": false,
        "minProperties": 1,
        "properties": properties,
        "patternProperties": { operators::TAG_FIELD_PATTERN: tag_field },
    })
}

/// The entry of one field in a condition: the shorthands and the operator mapping for its kind.
/// `api_enum` narrows the values of `equals`/`in` to the API's, for `AccessType` and `Status`.
fn field_condition_schema(kind: FieldKind, api_enum: Option<(Field, &[&str])>) -> Value {
    let value = value_schema(kind, api_enum);
    let operator_mapping = operators::mapping(kind, &value);
    if kind == FieldKind::Object {
        return operator_mapping;
    }
    json!({
        "anyOf": [
            with_description(&value, "The field equals this value."),
            {
                "type": "array",
                "description": "The field is one of these values.",
                "minItems": 1,
                "items": value,
            },
            operator_mapping,
        ],
    })
}

fn value_schema(kind: FieldKind, api_enum: Option<(Field, &[&str])>) -> Value {
    if let Some((field, values)) = api_enum {
        return json!({
            "type": "string",
            "enum": values,
            "description": format!("One of the API's values of `{field}`; no other value can match."),
        });
    }
    match kind {
        FieldKind::Timestamp => reference(
            "timestamp",
            "An instant: RFC 3339, or a date (its start in UTC).",
        ),
        FieldKind::Number => json!({
            "type": ["number", "string"],
            "pattern": NUMBER_PATTERN,
            "description": "A number.",
        }),
        _ => reference("value", "A value."),
    }
}

pub(super) fn glob_schema() -> Value {
    json!({
        "type": "string",
        "pattern": glob_pattern(),
        "description": "A glob: `*` any run of characters (`/` included), `?` one character, `[a-z]` a class (`[!a-z]` negated), `{a,b}` alternatives, `\\` escapes; case-sensitive, matching the whole value.",
    })
}

/// The globs that globset parses, with `\` escaping, as an ECMAScript regex: escapes, classes
/// (a `]` first in a class is literal, and a class needs one more character), and
/// alternatives nested up to two deep. Ranges written backwards pass here; the loader
/// reports them.
fn glob_pattern() -> String {
    let escape = r"\\[\s\S]";
    let class = r"\[(?:[!^]|(?![!^]))(?:\][^\]]*|[^\]]+)\]";
    let plain = r"[^\[\\{}]";
    let inner = format!(r"\{{(?:{plain}|{escape}|{class})*\}}");
    let outer = format!(r"\{{(?:{plain}|{escape}|{class}|{inner})*\}}");
    format!(r"^(?:{plain}|{escape}|{class}|{outer})*$")
}

/// Templates whose placeholders are all known: fields, `rule`, `policy`, `severity`.
fn template_pattern() -> String {
    let mut names: Vec<String> = Field::ALL
        .iter()
        .map(|f| f.name().replace('.', r"\."))
        .collect();
    names.extend(["rule", "policy", "severity"].map(str::to_owned));
    names.push(r"(?:TargetTags|TargetClusterTags|OwnerTags)\.[^{}]+".to_owned());
    format!(r"^(?:[^{{]|\{{\{{|\{{(?:{})\}})*$", names.join("|"))
}

fn id_schema(description: &str) -> Value {
    json!({
        "type": ["string", "number"],
        "pattern": format!("^{ID}$"),
        "description": description,
    })
}

fn severity_schema() -> Value {
    let names: Vec<&str> = Severity::ALL.iter().map(|s| s.name()).collect();
    let docs: Vec<&str> = Severity::ALL.iter().map(|&s| severity_doc(s)).collect();
    json!({
        "type": "string",
        "enum": names,
        "enumDescriptions": docs,
        "description": format!("How serious a violation is: {}.", names.join(", ")),
    })
}

/// Hover text of each severity; the match is exhaustive, so a new severity needs its doc here.
fn severity_doc(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "for information only",
        Severity::Low => "low",
        Severity::Medium => "medium (the default)",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn action_schema() -> Value {
    // From the loader's names, in its order, so that the schema lists exactly what it reads.
    let actions: Vec<Action> = Action::NAMES
        .iter()
        .filter_map(|name| Action::from_name(name))
        .collect();
    let names: Vec<&str> = actions.iter().map(|a| a.name()).collect();
    let docs: Vec<&str> = actions.iter().map(|&a| action_doc(a)).collect();
    json!({
        "type": "string",
        "enum": names,
        "enumDescriptions": docs,
        "description": format!("What a violation does to the record's decision: {}.", one_of(&names)),
    })
}

/// Hover text of each action; the match is exhaustive, so a new action needs its doc here.
fn action_doc(action: Action) -> &'static str {
    match action {
        Action::Deny => "the record's decision is `deny` (the default)",
        Action::Warn => "the record's decision is at least `warn`",
    }
}

/// `a`, `b` or `c`, each in backquotes.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// How a field of `kind` reads, for its hover text: the kind's noun, then the operators that
/// set it apart where there are any.
fn kind_doc(kind: FieldKind) -> String {
    let operators = match kind {
        FieldKind::Text => "",
        FieldKind::Timestamp => ": `before`, `after`, `during`",
        FieldKind::Minutes => ": numeric and string operators",
        FieldKind::Number => ": `lt`, `lte`, `gt`, `gte`",
        FieldKind::Object => ": `exists`, `present`, `type`",
    };
    format!("{}{operators}", kind.noun())
}
