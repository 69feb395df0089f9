//! The reporter's layouts and the members of its findings, on records made here.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde_json::Value;

use super::*;
use crate::model::{ParsedRecord, Timestamp, parse_record};
use crate::{Compiled, SourceMap, compile};

const POLICY: &str = r#"policy: t
rules:
  - id: r
    description: Sessions carry a Reason. Always.
    severity: critical
    require: { Reason: { present: true } }
  - id: w
    action: warn
    severity: low
    require: { Reason: { present: true } }
exceptions:
  - id: robots
    rules: [r]
    when: { Target: { glob: "mi-*" } }
    reason: "robots never explain"
    approved_by: sec
"#;

fn compiled() -> Compiled {
    let mut sources = SourceMap::new();
    sources.add("t.yaml", POLICY);
    compile(&sources, Timestamp::from_micros(0)).unwrap()
}

fn now() -> Timestamp {
    Timestamp::parse("2026-03-13T21:30:00Z").unwrap()
}

fn result<'p>(
    compiled: &'p Compiled,
    session_id: Option<&str>,
    target: &str,
    owner: Option<&str>,
) -> RecordResult<'p> {
    let record = serde_json::json!({ "Target": target }).to_string();
    let Ok(ParsedRecord::Session(session)) = parse_record(record.as_bytes()) else {
        unreachable!("a session")
    };
    RecordResult {
        source: Arc::from("x.json"),
        record: 1,
        line: 1,
        session_id: session_id.map(str::to_owned),
        target: Some(target.to_owned()),
        owner: owner.map(str::to_owned),
        start: Timestamp::parse("2026-03-13T08:00:00.5Z").ok(),
        evaluation: compiled.set.evaluate(&session, now()),
        baseline: None,
    }
}

const OWNER: &str = "arn:aws:sts::210987654321:assumed-role/Dev/ana";

fn write(results: &[RecordResult<'_>], batches: bool) -> (String, u64) {
    let mut out = Vec::new();
    let counter = Arc::new(AtomicU64::new(0));
    {
        let settings = AsffSettings::new("eu-west-1", now());
        let reporter = if batches {
            AsffReporter::batches(&mut out, settings)
        } else {
            AsffReporter::new(&mut out, settings)
        };
        let mut reporter = reporter.count_unattributed(counter.clone());
        for result in results {
            reporter.record(result).unwrap();
        }
        reporter.finish(&Summary::default()).unwrap();
    }
    (
        String::from_utf8(out).unwrap(),
        counter.load(std::sync::atomic::Ordering::Relaxed),
    )
}

#[test]
fn one_array_of_findings_with_every_member_filled() {
    let compiled = compiled();
    let (text, unattributed) = write(
        &[result(
            &compiled,
            Some("s-1"),
            "i-0123456789abcdef0",
            Some(OWNER),
        )],
        false,
    );
    assert_eq!(unattributed, 0);
    let findings: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(findings.len(), 2);
    let f = &findings[0];
    assert_eq!(f["SchemaVersion"], "2018-10-08");
    assert_eq!(f["Id"].as_str().unwrap().len(), 64);
    assert_eq!(
        f["ProductArn"],
        "arn:aws:securityhub:eu-west-1:210987654321:product/210987654321/default"
    );
    assert_eq!(f["GeneratorId"], "t/r");
    assert_eq!(f["AwsAccountId"], "210987654321");
    assert_eq!(f["Severity"]["Label"], "CRITICAL");
    assert_eq!(f["Severity"]["Original"], "critical");
    assert_eq!(f["Title"], "Sessions carry a Reason (i-0123456789abcdef0)");
    assert_eq!(f["CreatedAt"], "2026-03-13T08:00:00.500Z");
    assert_eq!(f["UpdatedAt"], "2026-03-13T21:30:00.000Z");
    assert_eq!(f["Workflow"]["Status"], "NEW");
    assert_eq!(f["Compliance"]["Status"], "FAILED");
    assert_eq!(f["Types"], serde_json::json!([POLICY_TYPE, VIOLATION_TYPE]));
    assert_eq!(f["Resources"][0]["Type"], "AwsEc2Instance");
    assert_eq!(
        f["Resources"][0]["Id"],
        "arn:aws:ec2:eu-west-1:210987654321:instance/i-0123456789abcdef0"
    );
    assert_eq!(
        f["Resources"][1]["Id"],
        "arn:aws:ssm:eu-west-1:210987654321:session/s-1"
    );
    let description = f["Description"].as_str().unwrap();
    assert!(!description.contains('\n'), "{description}");
    assert!(description.starts_with("Reason is absent"), "{description}");
    // The warning rule: no violation type, compliance WARNING.
    assert_eq!(findings[1]["Types"], serde_json::json!([POLICY_TYPE]));
    assert_eq!(findings[1]["Compliance"]["Status"], "WARNING");
    assert_eq!(findings[1]["Severity"]["Label"], "LOW");
}

#[test]
fn waived_violations_are_suppressed_with_the_reason_in_a_note() {
    let compiled = compiled();
    let (text, _) = write(
        &[result(
            &compiled,
            Some("s-2"),
            "mi-0a1b2c3d4e5f60718",
            Some(OWNER),
        )],
        false,
    );
    let findings: Vec<Value> = serde_json::from_str(&text).unwrap();
    let waived = &findings[0];
    assert_eq!(waived["Workflow"]["Status"], "SUPPRESSED");
    assert_eq!(
        waived["Note"]["Text"],
        "Waived by exception robots: robots never explain; approved by sec"
    );
    assert_eq!(waived["Note"]["UpdatedBy"], "ssm-guard");
    assert_eq!(waived["Types"], serde_json::json!([POLICY_TYPE]));
    assert_eq!(waived["Resources"][0]["Type"], "Other");
    assert_eq!(
        waived["Resources"][0]["Id"],
        "arn:aws:ssm:eu-west-1:210987654321:managed-instance/mi-0a1b2c3d4e5f60718"
    );
    assert!(findings[1].get("Note").is_none());
}

#[test]
fn findings_without_an_account_are_left_out_and_counted() {
    let compiled = compiled();
    let (text, unattributed) = write(&[result(&compiled, Some("s-3"), "i-1", None)], false);
    assert_eq!(text, "[]\n");
    assert_eq!(unattributed, 2);
    let mut out = Vec::new();
    let settings = AsffSettings::new("cn-north-1", now()).with_account("123456789012");
    let mut reporter = AsffReporter::new(&mut out, settings);
    reporter
        .record(&result(&compiled, None, "ecs:c_0123abcd_0123abcd-1", None))
        .unwrap();
    reporter.finish(&Summary::default()).unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&out).unwrap();
    let f = &findings[0];
    assert_eq!(f["AwsAccountId"], "123456789012");
    assert_eq!(
        f["ProductArn"],
        "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default"
    );
    assert_eq!(f["Resources"][0]["Type"], "AwsEcsTask");
    assert_eq!(
        f["Resources"][0]["Id"],
        "arn:aws-cn:ecs:cn-north-1:123456789012:task/c/0123abcd"
    );
    assert_eq!(f["Resources"][0]["Partition"], "aws-cn");
    let session = f["Resources"][1]["Id"].as_str().unwrap();
    assert_eq!(
        session,
        format!("ssm-guard:session-without-id/{}", f["Id"].as_str().unwrap())
    );
}

#[test]
fn batches_hold_at_most_one_hundred_findings_a_line() {
    let compiled = compiled();
    let results: Vec<RecordResult<'_>> = (0..125)
        .map(|n| result(&compiled, Some(&format!("s-{n}")), "i-1", Some(OWNER)))
        .collect();
    let (text, _) = write(&results, true);
    let sizes: Vec<usize> = text
        .lines()
        .map(|line| serde_json::from_str::<Vec<Value>>(line).unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    let (empty, _) = write(&[], true);
    assert_eq!(empty, "");
    // The array holds them all, in the same order.
    let (array, _) = write(&results, false);
    let all: Vec<Value> = serde_json::from_str(&array).unwrap();
    let joined: Vec<Value> = text
        .lines()
        .flat_map(|line| serde_json::from_str::<Vec<Value>>(line).unwrap())
        .collect();
    assert_eq!(all, joined);
}

#[test]
fn texts_are_edited_in_every_member_that_carries_record_values() {
    let compiled = compiled();
    let record = result(&compiled, Some("s-secret"), "i-1", Some(OWNER));
    let violation = &record.evaluation.violations[0];
    let mut finding = finding(&record, violation, &AsffSettings::new("eu-west-1", now())).unwrap();
    finding.edit_texts(|text| *text = text.replace("s-secret", "[redacted]"));
    let text = serde_json::to_string(&finding).unwrap();
    assert!(!text.contains("s-secret"), "{text}");
}
