//! JSON Schemas (draft-07) of policy files and of test files, for the YAML language servers of
//! editors: completion and hover docs for every key, field, operator and value, and squiggles
//! for what the loader would reject.
//!
//! The schemas are built from the loader's own lists (keys, fields, operators and the kinds of
//! field each applies to, severities, actions, days, JSON types), so they cannot drift from
//! them; the tests below check that, and that every shipped policy and test passes while broken
//! ones fail. What a schema cannot see, it leaves to `ssm-guard validate`: ids duplicated
//! across files, exceptions naming rules that do not exist, regex syntax that only Rust's
//! `regex` has (the schema checks regexes as ECMAScript, which agrees on the common syntax but
//! rejects inline flags such as `(?i)`), and glob ranges written backwards (`[z-a]`).

use serde_json::{Map, Value, json};

use crate::compile::{
    CASE_KEYS, DEFAULTS_KEYS, EXCEPTION_KEYS, POLICY_KEYS, RULE_KEYS, api_values,
};
use crate::model::{Field, FieldKind, JsonType};
use crate::operator::{self, DAYS};
use crate::policy::{Action, Severity};

/// The draft the schemas are written in: the newest that every YAML language server supports.
const DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// How many cases the schema checks for a default case that is not last. Past this many, the
/// loader still checks; no real rule comes near it.
const CHECKED_CASES: usize = 32;

/// The id charset of policies, rules and exceptions.
const ID_PATTERN: &str = "^[a-z0-9][a-z0-9._-]{0,63}$";
/// `policy/rule`, as tests name rules.
const RULE_REF_PATTERN: &str = "^[a-z0-9][a-z0-9._-]{0,63}/[a-z0-9][a-z0-9._-]{0,63}$";
/// An RFC 3339 timestamp or a date, as `Timestamp::parse_instant_or_date` and `parse_expiry` read.
const TIMESTAMP_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$";
const TIME_OF_DAY_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
const OFFSET_PATTERN: &str = "^(Z|[+-]((0[0-9]|1[0-7]):[0-5][0-9]|18:00))$";
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
    for kind in KINDS {
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
            "policy" => id_schema("The policy id, unique across the loaded set: `[a-z0-9][a-z0-9._-]{0,63}`. Violations are named `policy/rule`."),
            "description" => text("What the policy is for."),
            "defaults" => json!({
                "type": "object",
                "description": "Severity and action for every rule that does not set its own.",
                "additionalProperties": false,
                "properties": object(DEFAULTS_KEYS, |key| match key {
                    "severity" => reference("severity", "The default severity (default: `medium`)."),
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

/// The schema of test files (`*.test.yaml`).
pub fn test_schema() -> Value {
    let expected = json!({
        "description": "A violation: its `policy/rule` id, or a mapping that also pins what it says.",
        "anyOf": [
            {
                "type": "string",
                "pattern": RULE_REF_PATTERN,
                "description": "The violation's `policy/rule` id.",
            },
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["rule"],
                "properties": {
                    "rule": {
                        "type": "string",
                        "pattern": RULE_REF_PATTERN,
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
                                    "enum": ["allow", "warn", "deny"],
                                    "enumDescriptions": [
                                        "no violation that is not waived",
                                        "only `warn` violations are not waived",
                                        "some `deny` violation is not waived",
                                    ],
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

/// A test's session: an inline record, or `file:` naming a record file beside the test.
fn session_schema() -> Value {
    let mut properties = Map::new();
    for &field in Field::ALL {
        if field.is_derived() || field.name().contains('.') {
            continue;
        }
        let schema = if field == Field::OutputUrl {
            json!({
                "description": field_doc(field),
                "properties": {
                    "S3OutputUrl": { "description": field_doc(Field::S3OutputUrl) },
                    "CloudWatchOutputUrl": { "description": field_doc(Field::CloudWatchOutputUrl) },
                },
            })
        } else {
            json!({ "description": field_doc(field) })
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

/// Every field kind, one condition schema each.
const KINDS: [FieldKind; 5] = [
    FieldKind::Text,
    FieldKind::Timestamp,
    FieldKind::Minutes,
    FieldKind::Number,
    FieldKind::Object,
];

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
            "id" => id_schema("The rule id, unique within its policy: `[a-z0-9][a-z0-9._-]{0,63}`."),
            "description" => text("What the rule requires and why: `ssm-guard explain` and reports show it."),
            "severity" => reference("severity", "How serious a violation is (default: the policy's `defaults`, else `medium`)."),
            "action" => reference("action", "What a violation does to the decision (default: the policy's `defaults`, else `deny`)."),
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
                    "pattern": "^([a-z0-9][a-z0-9._-]{0,63}/)?[a-z0-9][a-z0-9._-]{0,63}$",
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
    json!({
        "type": "object",
        "description": "A condition: every entry holds. An entry is a field (`Field: value` equals, `Field: [..]` is one of, `Field: { operator: argument }`) or a combinator (`all`, `any`, `not`).",
        "additionalProperties": false,
        "minProperties": 1,
        "properties": properties,
    })
}

/// The entry of one field in a condition: the shorthands and the operator mapping for its kind.
/// `api_enum` narrows the values of `equals`/`in` to the API's, for `AccessType` and `Status`.
fn field_condition_schema(kind: FieldKind, api_enum: Option<(Field, &[&str])>) -> Value {
    let value = value_schema(kind, api_enum);
    let mut operators = Map::new();
    for &name in operator::NAMES {
        if operator::applies(name, kind) {
            operators.insert(name.to_owned(), operator_schema(name, &value));
        }
    }
    let operator_mapping = json!({
        "type": "object",
        "description": "Every operator holds.",
        "additionalProperties": false,
        "minProperties": 1,
        "properties": operators,
    });
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

fn glob_schema() -> Value {
    json!({
        "type": "string",
        "pattern": glob_pattern(),
        "description": "A glob: `*` any run of characters (`/` included), `?` one character, `[a-z]` a class (`[!a-z]` negated), `{a,b}` alternatives, `\\` escapes; case-sensitive, matching the whole value.",
    })
}

fn timestamp_schema() -> Value {
    json!({
        "type": "string",
        "pattern": TIMESTAMP_PATTERN,
        "description": "An RFC 3339 timestamp (`2026-12-31T18:00:00Z`, `2026-12-31T19:00:00+01:00`) or a date (`2026-12-31`).",
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
    format!(r"^(?:[^{{]|\{{\{{|\{{(?:{})\}})*$", names.join("|"))
}

fn id_schema(description: &str) -> Value {
    json!({
        "type": ["string", "number"],
        "pattern": ID_PATTERN,
        "description": description,
    })
}

fn severity_schema() -> Value {
    json!({
        "type": "string",
        "enum": Severity::NAMES,
        "enumDescriptions": [
            "for information only",
            "low",
            "medium (the default)",
            "high",
            "critical",
        ],
        "description": "How serious a violation is: info, low, medium, high, critical.",
    })
}

fn action_schema() -> Value {
    json!({
        "type": "string",
        "enum": Action::NAMES,
        "enumDescriptions": [
            "the record's decision is `deny` (the default)",
            "the record's decision is at least `warn`",
        ],
        "description": "What a violation does to the record's decision: `deny` or `warn`.",
    })
}

fn text(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

/// A `$ref` with its own description: draft-07 ignores siblings of `$ref` when validating, and
/// editors show them on hover, which is what they are for.
fn reference(definition: &str, description: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{definition}"), "description": description })
}

fn with_description(schema: &Value, description: &str) -> Value {
    let mut schema = schema.clone();
    if let Value::Object(map) = &mut schema {
        map.insert("description".into(), Value::String(description.to_owned()));
    }
    schema
}

fn object(keys: &[&str], schema: impl Fn(&str) -> Value) -> Map<String, Value> {
    keys.iter().map(|&k| (k.to_owned(), schema(k))).collect()
}

fn field_names() -> Vec<&'static str> {
    Field::ALL.iter().map(|f| f.name()).collect()
}

/// Hover text of each field; the match is exhaustive, so a new field needs its doc here.
fn field_doc(field: Field) -> &'static str {
    match field {
        Field::AccessType => "`Standard` or `JustInTime`; absent in records from older AWS tools.",
        Field::Details => "Reserved by the API.",
        Field::DocumentName => {
            "The session document, e.g. `SSM-SessionManagerRunShell`, `AWS-StartPortForwardingSession`."
        }
        Field::StartDate => "When the session began: RFC 3339 or epoch seconds.",
        Field::EndDate => "When the session ended; absent while it is active.",
        Field::MaxSessionDuration => {
            "The session's cap in whole minutes, a string such as \"60\": numeric operators read the number, string operators the text."
        }
        Field::OutputUrl => {
            "The object holding the session's output locations; name its members as `OutputUrl.S3OutputUrl` and `OutputUrl.CloudWatchOutputUrl`."
        }
        Field::S3OutputUrl => "Where the session's output was written in S3.",
        Field::CloudWatchOutputUrl => "Where the session's output was written in CloudWatch Logs.",
        Field::Owner => {
            "The ARN of the principal that started the session, e.g. `arn:aws:sts::123456789012:assumed-role/Admin/jdoe`."
        }
        Field::Reason => "Why the session was started.",
        Field::SessionId => "The session's id.",
        Field::Status => {
            "`Connected`, `Connecting`, `Disconnected`, `Terminated`, `Terminating` or `Failed`."
        }
        Field::Target => {
            "The managed node or task: `i-0123456789abcdef0`, `mi-0123456789abcdef0`, `ecs:<cluster>_<task>_<runtime>`."
        }
        Field::Duration => {
            "Derived: minutes from `StartDate` to `EndDate`, or to the evaluation time while active."
        }
        Field::OwnerAccount => "Derived: the 12-digit account id in the `Owner` ARN.",
        Field::OwnerName => "Derived: the last `/`-separated part of the `Owner` ARN (`jdoe`).",
        Field::OwnerRole => "Derived: the role name of an `assumed-role` `Owner` ARN (`Admin`).",
    }
}

fn kind_doc(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "a string",
        FieldKind::Timestamp => "a timestamp: `before`, `after`, `during`",
        FieldKind::Minutes => "a string of minutes: numeric and string operators",
        FieldKind::Number => "a number: `lt`, `lte`, `gt`, `gte`",
        FieldKind::Object => "an object: `exists`, `present`, `type`",
    }
}

/// Hover text of each operator.
fn operator_doc(name: &str) -> &'static str {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::{SourceMap, Timestamp, compile};

    fn validator(schema: &Value) -> jsonschema::Validator {
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(schema)
            .unwrap()
    }

    fn yaml_to_json(text: &str) -> Value {
        let yaml: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        serde_json::to_value(yaml).unwrap()
    }

    fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
        let instance = yaml_to_json(text);
        validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn loader_accepts(text: &str) -> bool {
        let mut sources = SourceMap::new();
        sources.add("p.yaml", text);
        compile(&sources, Timestamp::from_micros(0)).is_ok()
    }

    fn shipped(test_files: bool) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"),
            &mut files,
        );
        files.sort();
        files
            .into_iter()
            .filter(|f| crate::source::is_test_file(f) == test_files)
            .collect()
    }

    fn keys(schema: &Value) -> BTreeSet<String> {
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_schema_files_in_the_repository_are_current() {
        for (kind, file, schema) in [
            (
                "policy",
                "schemas/ssm-guard-policy.schema.json",
                policy_schema(),
            ),
            ("test", "schemas/ssm-guard-test.schema.json", test_schema()),
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let committed = std::fs::read_to_string(path).unwrap_or_default();
            let current = serde_json::to_string_pretty(&schema).unwrap() + "\n";
            assert!(
                committed == current,
                "{file} is out of date: run `cargo run -- schema {kind} > {file}`"
            );
        }
    }

    #[test]
    fn both_schemas_are_valid_draft_07() {
        for schema in [policy_schema(), test_schema()] {
            jsonschema::draft7::meta::validate(&schema).unwrap();
        }
    }

    #[test]
    fn the_schema_lists_what_the_loader_accepts() {
        let schema = policy_schema();
        let defs = &schema["definitions"];
        assert_eq!(keys(&schema), set(POLICY_KEYS));
        assert_eq!(keys(&schema["properties"]["defaults"]), set(DEFAULTS_KEYS));
        assert_eq!(keys(&defs["rule"]), set(RULE_KEYS));
        assert_eq!(keys(&defs["case"]), set(CASE_KEYS));
        assert_eq!(keys(&defs["exception"]), set(EXCEPTION_KEYS));

        let mut condition_keys = set(&field_names());
        condition_keys.extend(set(&["all", "any", "not"]));
        assert_eq!(keys(&defs["condition"]), condition_keys);

        // Each field takes exactly the operators the compiler lets it take, and together the
        // fields use every operator.
        let mut used = BTreeSet::new();
        for &field in Field::ALL {
            let reference = defs["condition"]["properties"][field.name()]["$ref"]
                .as_str()
                .unwrap();
            let entry = &defs[reference.trim_start_matches("#/definitions/")];
            let operators = match entry.get("anyOf") {
                Some(branches) => branches[2].clone(),
                None => entry.clone(),
            };
            let expected: BTreeSet<String> = operator::NAMES
                .iter()
                .filter(|op| operator::applies(op, field.kind()))
                .map(|op| (*op).to_owned())
                .collect();
            assert_eq!(keys(&operators), expected, "{field}");
            used.extend(expected);
        }
        assert_eq!(used, set(operator::NAMES));

        assert_eq!(defs["severity"]["enum"], json!(Severity::NAMES));
        assert_eq!(defs["action"]["enum"], json!(Action::NAMES));
        let during = &defs["timestamp-condition"]["anyOf"][2]["properties"]["during"];
        assert_eq!(during["properties"]["days"]["items"]["enum"], json!(DAYS));
        let types: Vec<&str> = JsonType::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(
            defs["text-condition"]["anyOf"][2]["properties"]["type"]["enum"],
            json!(types)
        );
        for &op in operator::NAMES {
            assert!(!operator_doc(op).is_empty(), "{op} has no doc");
        }
    }

    #[test]
    fn every_shipped_policy_and_test_file_validates() {
        let policies = validator(&policy_schema());
        let tests = validator(&test_schema());
        let policy_files = shipped(false);
        let test_files = shipped(true);
        assert!(policy_files.len() >= 2 && test_files.len() >= 2);
        for (validator, files) in [(&policies, policy_files), (&tests, test_files)] {
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                let errors = schema_errors(validator, &text);
                assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
            }
        }
    }

    /// A valid policy that uses every construct, and broken variants of it.
    const VALID: &str = r#"
policy: p
description: d
defaults: { severity: high, action: warn }
rules:
  - id: caps
    description: caps
    severity: critical
    action: deny
    when: { AccessType: JustInTime, Status: [Connected, Terminated] }
    cases:
      - when: { Target: { glob: ["i-0a*", "ecs:*-prod_*", "mi-[0-9a-f]*", "x-{a,b{c,d}}\\*"] } }
        require: { MaxSessionDuration: { lte: 60 } }
      - when: { DocumentName: [AWS-StartSSHSession] }
        require: { Duration: { lte: { field: MaxSessionDuration } } }
      - require: { MaxSessionDuration: { lte: 480, matches: '^[0-9]+$' } }
    message: "{SessionId} on {Target} by {OwnerName}: {{literal}} {rule}/{policy} {severity} {OutputUrl.S3OutputUrl}"
  - id: hours
    require:
      all:
        - StartDate: { during: { days: [mon, fri], from: "07:00", to: "24:00", offset: "-05:00" }, after: 2026-01-01 }
        - any: [{ Reason: { present: true } }, { not: { OwnerRole: { in: [CiRunner] } } }]
        - OutputUrl: { exists: true, type: object }
        - EndDate: { before: { field: StartDate } }
        - Duration: { gte: 1, equals: "2" }
exceptions:
  - id: e
    rules: [caps, p/hours]
    when: { OwnerRole: BreakGlass }
    expires: 2999-12-31
    reason: INC-1
    approved_by: me
"#;

    #[test]
    fn the_schema_and_the_loader_both_accept_a_policy_using_every_construct() {
        assert!(loader_accepts(VALID));
        let errors = schema_errors(&validator(&policy_schema()), VALID);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn the_schema_rejects_what_the_loader_rejects() {
        let policies = validator(&policy_schema());
        let broken = [
            ("    severity: critical\n", "    severity: crtical\n"),
            ("    action: deny\n", "    action: block\n"),
            ("    description: caps\n", "    descripton: caps\n"),
            ("  - id: caps\n", "  - id: Caps\n"),
            ("AccessType: JustInTime", "AccesType: JustInTime"),
            ("{ lte: 60 }", "{ lte: sixty }"),
            ("{ lte: 60 }", "{ lten: 60 }"),
            ("Target: { glob", "Target: { globb"),
            ("Reason: { present: true }", "Reason: { lt: 3 }"),
            (
                "Reason: { present: true }",
                "Reason: { present: yes please }",
            ),
            ("'^[0-9]+$'", "'^[0-9+$'"),
            ("'^[0-9]+$'", "'(unclosed'"),
            ("\"i-0a*\"", "\"i-0a[*\""),
            ("\"i-0a*\"", "\"i-0a{b,c\""),
            ("\"i-0a*\"", "\"i-0a}\""),
            ("\"i-0a*\"", "\"i-0a[]\""),
            ("\"i-0a*\"", "\"i-0a\\\\\""),
            ("{OwnerName}", "{OwnerNam}"),
            ("{OwnerName}", "{OwnerName"),
            ("days: [mon, fri]", "days: [mon, fry]"),
            ("from: \"07:00\"", "from: \"7:00\""),
            ("offset: \"-05:00\"", "offset: \"-5\""),
            ("after: 2026-01-01", "after: yesterday"),
            ("expires: 2999-12-31", "expires: next year"),
            ("    reason: INC-1\n", "    reason: \" \"\n"),
            ("    reason: INC-1\n", ""),
            ("type: object", "type: map"),
            ("{ field: MaxSessionDuration }", "{ field: Target }"),
            ("{ field: StartDate }", "{ field: Startdate }"),
            ("OutputUrl: { exists: true", "OutputUrl: { glob: \"*\""),
            ("Duration: { gte: 1", "Duration: { gte: 1, glob: \"1\""),
            (
                "      - when: { DocumentName: [AWS-StartSSHSession] }\n",
                "      - when: { DocumentName: [] }\n",
            ),
            (
                "    cases:\n",
                "    require: { Reason: { exists: true } }\n    cases:\n",
            ),
            ("rules:\n  - id: caps", "rule:\n  - id: caps"),
            // A default case that is not last.
            (
                "      - when: { DocumentName: [AWS-StartSSHSession] }\n        require",
                "      - require",
            ),
        ];
        for (from, to) in broken {
            assert!(VALID.contains(from), "{from}");
            let text = VALID.replacen(from, to, 1);
            assert!(!loader_accepts(&text), "the loader accepts {to:?}");
            let errors = schema_errors(&policies, &text);
            assert!(!errors.is_empty(), "the schema accepts {to:?}");
        }
    }

    #[test]
    fn values_that_the_api_never_gives_are_flagged_in_editors_too() {
        let policies = validator(&policy_schema());
        for (from, to) in [
            ("AccessType: JustInTime", "AccessType: Jit"),
            ("[Connected, Terminated]", "[Connected, Active]"),
        ] {
            let text = VALID.replacen(from, to, 1);
            assert!(!schema_errors(&policies, &text).is_empty(), "{to}");
        }
    }

    #[test]
    fn globs_are_accepted_exactly_as_globset_parses_them_except_backwards_ranges() {
        let globs = validator(&glob_schema());
        let samples = [
            "i-*",
            "*",
            "",
            "a,b",
            "a]b",
            "[]a]",
            "[!]a]",
            "[^a]",
            "[[]",
            "[a-z]*",
            "{a,b}",
            "{a,{b,c}}",
            "{}",
            "\\*",
            "\\{",
            "a**b",
            "**",
            "ecs:*-prod_*",
            "[",
            "[]",
            "[!]",
            "{a",
            "a}",
            "{a}}",
            "\\",
            "{[}]}",
            "{\\}}",
            "[a-",
            "{a,{b,{c,d}}}",
        ];
        for sample in samples {
            let parsed = globset::GlobBuilder::new(sample)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
                .is_ok();
            let depth_three = sample == "{a,{b,{c,d}}}";
            assert_eq!(
                globs.is_valid(&json!(sample)),
                parsed && !depth_three,
                "{sample:?}"
            );
        }
    }

    #[test]
    fn every_shipped_test_file_validates_and_broken_ones_do_not() {
        let tests = validator(&test_schema());
        let valid = "tests:\n  - name: n\n    session: { SessionId: s, OutputUrl: { S3OutputUrl: u }, Odd: 1 }\n    now: 2026-11-02T10:00:00Z\n    expect:\n      decision: deny\n      violations: [p/r, { rule: p/r, field: Reason, message_contains: x }]\n      waived: []\n  - name: m\n    session: { file: record.json }\n    expect: { violations: [] }\n";
        assert!(schema_errors(&tests, valid).is_empty());
        for (from, to) in [
            ("expect:\n      decision", "expct:\n      decision"),
            ("decision: deny", "decision: denied"),
            ("violations: [p/r,", "violations: [r,"),
            ("field: Reason", "field: Reasn"),
            ("message_contains", "message"),
            ("now: 2026-11-02T10:00:00Z", "now: tomorrow"),
            ("  - name: n\n", "  - title: n\n"),
        ] {
            assert!(valid.contains(from), "{from}");
            let text = valid.replacen(from, to, 1);
            assert!(!schema_errors(&tests, &text).is_empty(), "{to}");
        }
    }
}
