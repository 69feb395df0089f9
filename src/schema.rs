//! JSON Schemas (draft-07) of policy files and of test files, for the YAML language servers of
//! editors: completion and hover docs for every key, field, operator and value, and squiggles
//! for what the loader would reject.
//!
//! The schemas are built from the loader's own lists (keys, fields, operators and the kinds of
//! field each applies to, severities, actions, days, JSON types), so they cannot drift from
//! them; the tests check that, and that every shipped policy and test passes while broken
//! ones fail. What a schema cannot see, it leaves to `ssm-guard validate`: ids duplicated
//! across files, exceptions naming rules that do not exist, regex syntax that only Rust's
//! `regex` has (the schema checks regexes as ECMAScript, which agrees on the common syntax but
//! rejects inline flags such as `(?i)`), and glob ranges written backwards (`[z-a]`).
//!
//! `policy` builds the schema of policy files, with the operators' part in `operators`;
//! `test_file` builds the schema of test files. What both use is here.

mod operators;
mod policy;
mod test_file;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value, json};

use crate::model::{Field, TagFamily};

pub use policy::policy_schema;
pub use test_file::test_schema;

/// The draft the schemas are written in: the newest that every YAML language server supports.
const DRAFT: &str = "http://json-schema.org/draft-07/schema#";
/// The id charset of policies, rules and exceptions, as the loader checks it (64 characters at
/// most); the patterns of ids and of `policy/rule` references are made of it.
const ID: &str = "[a-z0-9][a-z0-9._-]{0,63}";
/// An RFC 3339 timestamp or a date, as `Timestamp::parse_instant_or_date` and `parse_expiry` read.
const TIMESTAMP_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$";

fn timestamp_schema() -> Value {
    json!({
        "type": "string",
        "pattern": TIMESTAMP_PATTERN,
        "description": "An RFC 3339 timestamp (`2026-12-31T18:00:00Z`, `2026-12-31T19:00:00+01:00`) or a date (`2026-12-31`).",
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
        Field::Tag(tag) => match tag.family() {
            TagFamily::Target => {
                "A tag of the target (EC2 instance, managed node, ECS task): `TargetTags.<key>`, from `--tags` inventories or `--lookup-tags`."
            }
            TagFamily::TargetCluster => {
                "A tag of an ECS target's cluster: `TargetClusterTags.<key>`."
            }
            TagFamily::Owner => {
                "A tag of the IAM role or user behind `Owner` (keys match in any case): `OwnerTags.<key>`."
            }
        },
        Field::Duration => {
            "Derived: minutes from `StartDate` to `EndDate`, or to the evaluation time while active."
        }
        Field::OwnerAccount => "Derived: the 12-digit account id in the `Owner` ARN.",
        Field::OwnerName => "Derived: the last `/`-separated part of the `Owner` ARN (`jdoe`).",
        Field::OwnerRole => "Derived: the role name of an `assumed-role` `Owner` ARN (`Admin`).",
    }
}
