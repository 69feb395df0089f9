//! Events as EventBridge delivers them (CloudTrail's `StartSession` and ECS Exec's
//! `ExecuteCommand`, a schedule's `Scheduled Event`), the API's record of the sessions they
//! start, and the secrets they carry, which no output may hold.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::function::scratch_dir;

/// Secrets the events carry; no log line may hold them.
pub const TOKEN: &str = "tok-SECRET-5d41402abc4b2a76b9719d911017c592";
pub const SAMPLE_TOKEN: &str = "Value hidden due to security reasons.";
pub const STREAM_HOST: &str = "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/";

/// A policy folder whose one rule allows two documents; its message quotes the Reason, so that a
/// secret smuggled into the Reason would reach the log if it were not redacted.
pub fn policy_dir() -> PathBuf {
    policies(
        "gate.yaml",
        "policy: gate-test\nrules:\n  - id: approved-documents\n    require:\n      DocumentName: [SSM-SessionManagerRunShell, AWS-StartPortForwardingSession]\n    message: \"Session {SessionId} used {DocumentName}; Reason was {Reason}\"\n",
    )
}

/// A policy folder holding one file.
pub fn policies(name: &str, text: &str) -> PathBuf {
    let dir = scratch_dir("policies");
    std::fs::write(dir.join(name), text).unwrap();
    dir
}

pub fn sample() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples/eventbridge-startsession.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn stream_url(id: &str) -> String {
    format!("{STREAM_HOST}{id}?role=publish_subscribe&token=s3cr3t")
}

/// An EventBridge-wrapped CloudTrail `StartSession` event for session `id` with `document`.
pub fn start_session(id: &str, document: &str) -> Value {
    let mut event = sample();
    let detail = &mut event["detail"];
    detail["requestParameters"]["documentName"] = json!(document);
    detail["responseElements"] = json!({
        "sessionId": id,
        "tokenValue": TOKEN,
        "streamUrl": stream_url(id),
    });
    event
}

/// Another Session Manager call on session `id`.
pub fn other_call(name: &str, id: &str) -> Value {
    let mut event = sample();
    let detail = &mut event["detail"];
    detail["eventName"] = json!(name);
    detail["requestParameters"] = json!({"sessionId": id});
    detail["responseElements"] = if name == "ResumeSession" {
        json!({"sessionId": id, "tokenValue": TOKEN, "streamUrl": stream_url(id)})
    } else {
        json!({"sessionId": id})
    };
    event
}

/// ECS Exec's `ExecuteCommand` (EventBridge-wrapped) opening session `id` on a task of
/// `cluster`.
pub fn execute_command(id: &str, cluster: &str, task: &str) -> Value {
    let mut event = sample();
    event["source"] = json!("aws.ecs");
    let detail = &mut event["detail"];
    detail["eventSource"] = json!("ecs.amazonaws.com");
    detail["eventName"] = json!("ExecuteCommand");
    detail["requestParameters"] = json!({"cluster": cluster, "container": "payments",
        "command": "/bin/sh", "interactive": true, "task": task});
    detail["responseElements"] = json!({
        "clusterArn": format!("arn:aws:ecs:eu-west-1:210987654321:cluster/{cluster}"),
        "containerName": "payments",
        "containerArn": format!("arn:aws:ecs:eu-west-1:210987654321:container/{cluster}/{task}/4d1c9e0a"),
        "taskArn": format!("arn:aws:ecs:eu-west-1:210987654321:task/{cluster}/{task}"),
        "interactive": true,
        "session": {"sessionId": id, "streamUrl": stream_url(id), "tokenValue": TOKEN},
    });
    event
}

/// An EventBridge schedule's event.
pub fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "210987654321",
        "time": "2026-03-10T14:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:210987654321:rule/ssm-guard-sweep"],
        "detail": {}
    })
}

/// The record `DescribeSessions` gives for the session a start event started: what the event
/// says, in the API's form, with the status and the caps of the account's preferences. It
/// started a few seconds ago, as a session does whose event is being handled.
pub fn api_record(event: &Value, max_session_duration: &str) -> Value {
    let detail = &event["detail"];
    let request = &detail["requestParameters"];
    let mut record = json!({
        "SessionId": detail["responseElements"]["sessionId"],
        "Target": request["target"],
        "Status": "Connected",
        "StartDate": seconds_ago(5),
        "DocumentName": request["documentName"].as_str().unwrap_or("SSM-SessionManagerRunShell"),
        "Owner": detail["userIdentity"]["arn"],
        "Details": "",
        "OutputUrl": {"S3OutputUrl": "", "CloudWatchOutputUrl": ""},
        "MaxSessionDuration": max_session_duration,
        "AccessType": "Standard",
    });
    if let Some(reason) = request["reason"].as_str() {
        record["Reason"] = json!(reason);
    }
    if detail["eventSource"] == "ecs.amazonaws.com" {
        let cluster = request["cluster"].as_str().unwrap();
        let task = request["task"].as_str().unwrap();
        record["SessionId"] = detail["responseElements"]["session"]["sessionId"].clone();
        record["Target"] = json!(format!("ecs:{cluster}_{task}_4d1c9e0a7b3f4a52-3251467380"));
        record["DocumentName"] = json!("AmazonECS-ExecuteInteractiveCommand");
    }
    record
}

/// An active session as the API lists it, started at `start` (epoch seconds).
pub fn active_session(id: &str, target: &str, max_session_duration: &str, start: f64) -> Value {
    json!({
        "SessionId": id,
        "Target": target,
        "Status": "Connected",
        "StartDate": start,
        "DocumentName": "SSM-SessionManagerRunShell",
        "Owner": "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/alex.kim@example.org",
        "Reason": "CHG-90211 deploy hotfix",
        "Details": "",
        "OutputUrl": {"S3OutputUrl": "", "CloudWatchOutputUrl": ""},
        "MaxSessionDuration": max_session_duration,
        "AccessType": "Standard",
    })
}

/// Epoch seconds `seconds` ago, to the millisecond, as the API writes them.
pub fn seconds_ago(seconds: u64) -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    (now - seconds * 1000) as f64 / 1000.0
}

pub fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// Every secret the events here carry.
pub fn secrets() -> Vec<String> {
    let mut secrets = vec![
        TOKEN.to_owned(),
        SAMPLE_TOKEN.to_owned(),
        STREAM_HOST.to_owned(),
    ];
    secrets.push(
        sample()["detail"]["responseElements"]["streamUrl"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    secrets
}
