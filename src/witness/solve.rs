//! Solving a conjunction of literals: each group of linked fields on its own (the groups share
//! no field, so their answers combine), then the record assembled from the seed and the
//! groups' values, read back as an input would be, and the goal judged on it again.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::Context;
use super::goal::Goal;
use super::literal::{Group, Literal};
use super::time::{self, TimeValues};
use super::{owner, text};
use crate::model::{
    Field, ParsedRecord, Session, SessionTags, TagFamily, TagSet, Tags, Timestamp, Value,
    parse_record,
};

/// The answer for one group, or for a whole conjunction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Solution<T> {
    Sat(T),
    /// Proved: no values meet the literals.
    Unsat,
    /// Not decided within the budget, or beyond what the engine decides.
    Unknown,
}

/// The values a group chose.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GroupValue {
    Field(Field, Option<Json>),
    Time(TimeValues),
}

/// Solved groups, by their literals, kept across the queries of one engine: the same case's
/// `when` is solved for every query about its rule.
pub(crate) type GroupCache = HashMap<(Group, Vec<(String, bool)>), Solution<GroupValue>>;

/// The key of a group's literals, in a canonical order.
pub(crate) fn group_key(group: Group, literals: &[&Literal<'_>]) -> (Group, Vec<(String, bool)>) {
    let mut key: Vec<(String, bool)> = literals.iter().map(|l| (l.key.clone(), l.want)).collect();
    key.sort();
    key.dedup();
    (group, key)
}

/// Values for one group's literals.
pub(crate) fn solve_group(
    group: Group,
    literals: &[&Literal<'_>],
    cx: &mut Context,
) -> Solution<GroupValue> {
    let seed = |field: Field| cx.seed.get(field.name()).cloned();
    match group {
        Group::Text(field) => {
            let seeded = seed(field);
            let hints = cx.hints.of(field).to_vec();
            into(
                text::solve_field(field, literals, seeded.as_ref(), &hints, cx),
                |v| GroupValue::Field(field, v),
            )
        }
        Group::Owner => {
            let seeded = seed(Field::Owner);
            let hints = cx.hints.of(Field::Owner).to_vec();
            into(owner::solve(literals, seeded.as_ref(), &hints, cx), |v| {
                GroupValue::Field(Field::Owner, v)
            })
        }
        Group::Output => {
            let seeded = seed(Field::OutputUrl);
            let hints = cx.hints.clone();
            into(
                text::solve_output(literals, seeded.as_ref(), &hints, cx),
                |v| GroupValue::Field(Field::OutputUrl, v),
            )
        }
        Group::Time => {
            let values = TimeValues {
                start: seed(Field::StartDate),
                end: seed(Field::EndDate),
                max_duration: seed(Field::MaxSessionDuration),
                now: cx.now,
            };
            let pinned = cx.pinned_now;
            into(time::solve(literals, &values, pinned, cx), GroupValue::Time)
        }
    }
}

fn into<T>(solution: Solution<T>, wrap: impl FnOnce(T) -> GroupValue) -> Solution<GroupValue> {
    match solution {
        Solution::Sat(value) => Solution::Sat(wrap(value)),
        Solution::Unsat => Solution::Unsat,
        Solution::Unknown => Solution::Unknown,
    }
}

/// The record: the seed with each group's values in place (a `None` removes the field), and
/// the evaluation time.
pub(crate) fn assemble<'v>(
    seed: &Map<String, Json>,
    seed_now: Timestamp,
    values: impl IntoIterator<Item = &'v GroupValue>,
) -> (Map<String, Json>, Timestamp) {
    let mut record = seed.clone();
    let mut now = seed_now;
    let mut put = |field: Field, value: &Option<Json>| match value {
        Some(value) => {
            record.insert(field.name().to_owned(), value.clone());
        }
        None => {
            record.remove(field.name());
        }
    };
    for value in values {
        match value {
            GroupValue::Field(field, value) => put(*field, value),
            GroupValue::Time(time) => {
                put(Field::StartDate, &time.start);
                put(Field::EndDate, &time.end);
                put(Field::MaxSessionDuration, &time.max_duration);
                now = time.now;
            }
        }
    }
    (record, now)
}

/// Reads a record as an input is read; `None` when it is not one (an object naming no member
/// of Session, which no input can hold).
pub(crate) fn read_back(record: &Map<String, Json>) -> Option<Session<'static>> {
    let bytes = serde_json::to_vec(record).ok()?;
    match parse_record(&bytes).ok()? {
        ParsedRecord::Session(session) => {
            let mut session = session.into_owned();
            let tags = record
                .iter()
                .filter_map(|(key, value)| Some((Field::from_name(key)?, value)));
            session.set_tags(Arc::new(known_tags(tags)));
            Some(session)
        }
        _ => None,
    }
}

/// The tags of a witness: its record's tag fields (`"TargetTags.Environment": "prod"`) as
/// known tags, every family known (a key it does not name is absent). The engine searches
/// sessions whose tags are known; tags that could not be learned are the evaluation's to judge.
pub(crate) fn known_tags<'v>(values: impl IntoIterator<Item = (Field, &'v Json)>) -> SessionTags {
    let mut families = [Tags::default(), Tags::default(), Tags::default()];
    for (field, value) in values {
        let (Some(tag), Json::String(text)) = (field.tag(), value) else {
            continue;
        };
        let index = match tag.family() {
            TagFamily::Target => 0,
            TagFamily::TargetCluster => 1,
            TagFamily::Owner => 2,
        };
        if let Some(tags) = families.get_mut(index) {
            tags.insert(tag.key(), text.as_str());
        }
    }
    let [target, cluster, owner] = families;
    SessionTags {
        target: TagSet::Known(target),
        cluster: TagSet::Known(cluster),
        owner: TagSet::Known(owner),
    }
}

/// Whether the goal holds on the record, read back as input, at `now`.
pub(crate) fn verify(goal: &Goal<'_>, record: &Map<String, Json>, now: Timestamp) -> bool {
    read_back(record).is_some_and(|session| goal.holds(&session, now))
}

/// A record with the given values (JSON as records write them), the rest absent: what the
/// input readers would make of them, without the JSON round trip.
pub(crate) fn session_of(values: &[(Field, Option<&Json>)]) -> Session<'static> {
    let mut stored = Vec::new();
    let tagged = values.iter().any(|(field, _)| field.tag().is_some());
    for (field, value) in values {
        let Some(value) = value else { continue };
        if field.tag().is_some() {
            continue;
        }
        if *field == Field::OutputUrl
            && let Json::Object(members) = value
        {
            stored.push((Field::OutputUrl, Value::OutputUrl));
            for member in [Field::S3OutputUrl, Field::CloudWatchOutputUrl] {
                let name = member.name().trim_start_matches("OutputUrl.");
                if let Some(value) = members.get(name).and_then(model_value) {
                    stored.push((member, value));
                }
            }
            continue;
        }
        if let Some(value) = model_value(value) {
            stored.push((*field, value));
        }
    }
    let mut session = Session::with(stored);
    if tagged {
        let tags = values
            .iter()
            .filter_map(|(field, value)| Some((*field, (*value)?)));
        session.set_tags(Arc::new(known_tags(tags)));
    }
    session
}

fn model_value(json: &Json) -> Option<Value<'static>> {
    Some(match json {
        Json::Null => return None,
        Json::String(text) => Value::String(Cow::Owned(text.clone())),
        Json::Number(n) => Value::Number(n.as_f64()?),
        Json::Bool(b) => Value::Bool(*b),
        Json::Array(_) | Json::Object(_) => Value::Composite(Box::new(json.clone())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_assembled_from_the_seed_read_back_as_sessions() {
        let seed = super::super::seed::record();
        let values = [
            GroupValue::Field(Field::Target, Some(Json::String("mi-1".to_owned()))),
            GroupValue::Field(Field::Reason, None),
        ];
        let (record, _) = assemble(&seed, Timestamp::from_micros(0), &values);
        let session = read_back(&record).unwrap();
        assert_eq!(
            session.text(Field::Target),
            crate::model::Read::Value("mi-1")
        );
        assert_eq!(session.text(Field::Reason), crate::model::Read::Absent);
        assert_eq!(
            session_of(&[(Field::Target, Some(&Json::String("mi-1".to_owned())))])
                .text(Field::Target),
            crate::model::Read::Value("mi-1")
        );
    }
}
