//! `deploy/template.yaml` says what the function relies on: its event rule matches the events
//! that start a Session Manager session (and no other), a schedule invokes the sweep, the role
//! may list sessions, and the sweep's limit reaches the function. cfn-lint (in `.ci/run`)
//! checks the template against CloudFormation; these check it against ssm-guard.

use serde_json::{Value, json};
use serde_yaml::Value as Yaml;

use crate::support::root;

fn template() -> Yaml {
    let text = std::fs::read_to_string(root().join("deploy/template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// The YAML as JSON, with CloudFormation's short tags (`!Ref X`) as `{"!Ref": X}`.
fn json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => json!(b),
        Yaml::Number(n) => serde_json::to_value(n).unwrap(),
        Yaml::String(s) => json!(s),
        Yaml::Sequence(items) => Value::Array(items.iter().map(json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().unwrap().to_owned(), json(v)))
                .collect(),
        ),
        Yaml::Tagged(tagged) => json!({ tagged.tag.to_string(): json(&tagged.value) }),
    }
}

/// Whether an EventBridge pattern matches an event: every key of the pattern is in the event,
/// a list of values matches one of them, an object matches the event's object, and `$or`
/// matches when one of its patterns does (the subset of the pattern language the template uses).
fn matches(pattern: &Value, event: &Value) -> bool {
    pattern.as_object().unwrap().iter().all(|(key, wanted)| {
        if key == "$or" {
            return wanted.as_array().unwrap().iter().any(|p| matches(p, event));
        }
        match (wanted, event.get(key)) {
            (Value::Array(values), Some(actual)) => values.contains(actual),
            (Value::Object(_), Some(actual)) => matches(wanted, actual),
            _ => false,
        }
    })
}

fn function() -> Value {
    json(&template())["Resources"]["GuardFunction"]["Properties"].clone()
}

/// An EventBridge event of CloudTrail's `record`.
fn eventbridge(record: &Value) -> Value {
    let source = match record["eventSource"].as_str().unwrap() {
        "ssm.amazonaws.com" => "aws.ssm",
        "ecs.amazonaws.com" => "aws.ecs",
        "ec2.amazonaws.com" => "aws.ec2",
        other => panic!("{other}"),
    };
    json!({"detail-type": "AWS API Call via CloudTrail", "source": source, "detail": record})
}

#[test]
fn the_rule_matches_every_event_that_starts_a_session_and_no_other() {
    let pattern = &function()["Events"]["SessionStarted"]["Properties"]["Pattern"];
    let text = std::fs::read_to_string(root().join("examples/cloudtrail.json")).unwrap();
    let records: Value = serde_json::from_str(&text).unwrap();
    let mut matched = Vec::new();
    for record in records["Records"].as_array().unwrap() {
        if matches(pattern, &eventbridge(record)) {
            matched.push(record["eventName"].as_str().unwrap());
        }
    }
    // The example log's four StartSession calls and its ECS Exec; not TerminateSession, not EC2.
    assert_eq!(
        matched,
        [
            "StartSession",
            "ExecuteCommand",
            "StartSession",
            "StartSession",
            "StartSession"
        ]
    );
    let sample = std::fs::read_to_string(
        root().join("tests/fixtures/samples/eventbridge-startsession.json"),
    )
    .unwrap();
    assert!(matches(pattern, &serde_json::from_str(&sample).unwrap()));
}

#[test]
fn a_schedule_invokes_the_sweep_every_5_minutes_by_default() {
    let template = json(&template());
    let sweep = &function()["Events"]["Sweep"];
    assert_eq!(sweep["Type"], "Schedule");
    assert_eq!(
        sweep["Properties"]["Schedule"],
        json!({"!Ref": "SweepSchedule"})
    );
    assert_eq!(
        template["Parameters"]["SweepSchedule"]["Default"],
        "rate(5 minutes)"
    );
    let variables = &function()["Environment"]["Variables"];
    assert_eq!(
        variables["SSM_GUARD_MAX_TERMINATIONS"],
        json!({"!Ref": "MaxTerminations"})
    );
    assert_eq!(template["Parameters"]["MaxTerminations"]["Default"], 20);
}

#[test]
fn the_role_may_list_and_terminate_sessions_read_tags_and_nothing_else() {
    let template = json(&template());
    let statements = &template["Resources"]["GuardRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"];
    let actions: Vec<(&Value, &Value)> = statements
        .as_array()
        .unwrap()
        .iter()
        // The Security Hub statement is there only with SecurityHub=on (`!If`).
        .filter(|s| s.get("!If").is_none())
        .map(|s| (&s["Action"], &s["Resource"]))
        .collect();
    assert_eq!(actions.len(), 6);
    // Tags are only read: exactly the calls of the tag lookups.
    let mut reads: Vec<&str> = actions
        .iter()
        .flat_map(|(action, _)| match action {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
        .filter(|action| action.contains("Tag") || action.starts_with("tag:"))
        .collect();
    reads.sort_unstable();
    assert_eq!(
        reads,
        [
            "iam:ListRoleTags",
            "iam:ListUserTags",
            "ssm:ListTagsForResource",
            "tag:GetResources"
        ]
    );
    assert!(
        actions
            .iter()
            .any(|(action, resource)| *action == "ssm:DescribeSessions" && *resource == "*")
    );
    assert!(
        actions
            .iter()
            .any(|(action, _)| *action == "ssm:TerminateSession")
    );
}
