//! The seed: a realistic session that witnesses start from, so that a witness differs from a
//! plausible record only where its conditions demand; and hints: values the policies
//! themselves mention for each field, tried before an automaton is walked.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use crate::condition::Condition;
use crate::model::{Field, Timestamp};
use crate::operator::Operator;
use crate::policy::{Body, CompiledPolicySet};

/// A finished interactive session of half an hour, on a Tuesday afternoon (UTC), by a person
/// through an assumed role, with its output logged.
pub(crate) fn record() -> Map<String, Json> {
    let value = json!({
        "SessionId": "alex.kim-0a1b2c3d4e5f67890",
        "Target": "i-0a1b2c3d4e5f67890",
        "Status": "Terminated",
        "StartDate": "2026-03-10T14:00:00Z",
        "EndDate": "2026-03-10T14:30:00Z",
        "DocumentName": "SSM-SessionManagerRunShell",
        "Owner": "arn:aws:sts::123456789012:assumed-role/Developer/alex.kim",
        "MaxSessionDuration": "60",
        "AccessType": "Standard",
        "Reason": "CHG-1042 rotate the TLS certificates",
        "OutputUrl": {
            "S3OutputUrl": "https://s3.amazonaws.com/session-logs/alex.kim-0a1b2c3d4e5f67890.log",
            "CloudWatchOutputUrl": ""
        }
    });
    match value {
        Json::Object(map) => map,
        _ => Map::new(),
    }
}

/// The evaluation time of the seed: an hour after the session started.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_micros(1_773_154_800_000_000)
}

/// Values each field's conditions mention: the literals of `equals` and `in`, and each glob
/// with its wildcards filled in. A witness built from them reads like the policy's own examples.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hints {
    by_field: BTreeMap<Field, Vec<String>>,
    none: Vec<String>,
}

/// How many hints are kept per field: enough for the cases of a long `cases` list.
const MAX_HINTS: usize = 64;

impl Hints {
    /// The hints of every condition of a set.
    pub(crate) fn of_set(set: &CompiledPolicySet) -> Self {
        let mut hints = Self::default();
        for rule in &set.rules {
            if let Some(when) = &rule.when {
                hints.gather(when);
            }
            match &rule.body {
                Body::Require(condition) => hints.gather(condition),
                Body::Cases(cases) => {
                    for case in cases {
                        if let Some(when) = &case.when {
                            hints.gather(when);
                        }
                        hints.gather(&case.require);
                    }
                }
            }
        }
        for policy in &set.policies {
            for exception in &policy.exceptions {
                if let Some(when) = &exception.when {
                    hints.gather(when);
                }
            }
        }
        hints.add_owner_templates();
        hints
    }

    /// Adds another set's hints after these.
    pub(crate) fn merge(&mut self, other: Hints) {
        for (field, values) in other.by_field {
            for value in values {
                self.add(field, value);
            }
        }
    }

    /// The hints of one field.
    pub(crate) fn of(&self, field: Field) -> &[String] {
        self.by_field.get(&field).map_or(&self.none, Vec::as_slice)
    }

    fn add(&mut self, field: Field, value: String) {
        let list = self.by_field.entry(field).or_default();
        if list.len() < MAX_HINTS && !list.contains(&value) {
            list.push(value);
        }
    }

    fn gather(&mut self, condition: &Condition) {
        match condition {
            Condition::All(list) | Condition::Any(list, _) => {
                list.iter().for_each(|c| self.gather(c));
            }
            Condition::Not(inner, _) => self.gather(inner),
            Condition::Check {
                field, operator, ..
            } => match operator {
                Operator::Membership(set) => {
                    for text in set.texts() {
                        self.add(*field, text.to_owned());
                    }
                }
                Operator::Glob(globs) => {
                    for pattern in globs.patterns() {
                        if let Some(example) = fill(pattern) {
                            self.add(*field, example);
                        }
                    }
                }
                _ => {}
            },
        }
    }

    /// `Owner` values built from the roles and names that conditions mention, as assumed
    /// roles and as IAM users of the seed's account.
    fn add_owner_templates(&mut self) {
        let roles: Vec<String> = self.of(Field::OwnerRole).to_vec();
        let names: Vec<String> = self.of(Field::OwnerName).to_vec();
        let accounts: Vec<String> = self.of(Field::OwnerAccount).to_vec();
        let account = accounts
            .first()
            .cloned()
            .unwrap_or_else(|| "123456789012".to_owned());
        let name = names
            .first()
            .cloned()
            .unwrap_or_else(|| "alex.kim".to_owned());
        for role in &roles {
            self.add(
                Field::Owner,
                format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"),
            );
        }
        for name in names.iter().chain(std::iter::once(&name)) {
            self.add(
                Field::Owner,
                format!("arn:aws:sts::{account}:assumed-role/Developer/{name}"),
            );
            self.add(Field::Owner, format!("arn:aws:iam::{account}:user/{name}"));
        }
    }
}

/// A value a glob matches: `*` as `example`, `?` as `x`, a class as its first member, and
/// the first of alternatives. `None` where the pattern is not read that simply.
fn fill(pattern: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str("example"),
            '?' => out.push('x'),
            '\\' => out.push(chars.next()?),
            '[' => {
                let mut class = String::new();
                for c in chars.by_ref() {
                    if c == ']' && !class.is_empty() {
                        break;
                    }
                    class.push(c);
                }
                let first = class.chars().next()?;
                if first == '!' || first == '^' {
                    return None;
                }
                out.push(first);
            }
            '{' => {
                let mut group = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    group.push(c);
                }
                out.push_str(group.split(',').next()?);
            }
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_filled_with_plain_values() {
        assert_eq!(
            fill("ecs:*-prod_*").as_deref(),
            Some("ecs:example-prod_example")
        );
        assert_eq!(
            fill("https://x.s3.{us-east-1,eu-west-1}.amazonaws.com/*").as_deref(),
            Some("https://x.s3.us-east-1.amazonaws.com/example")
        );
        assert_eq!(fill("i-0[ab]?").as_deref(), Some("i-0ax"));
        assert_eq!(fill("[!a]"), None);
    }

    #[test]
    fn the_seed_now_is_an_hour_after_its_start() {
        let start = Timestamp::parse("2026-03-10T14:00:00Z").unwrap();
        assert_eq!(now().minutes_since(start), 60.0);
    }
}
