//! Fuzzes loading and compiling a policy file: any text gives a compiled set or diagnostics
//! that render, never a panic; a set that compiles evaluates a few records without one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ssm_guard::model::{ParsedRecord, parse_record};
use ssm_guard::{Action, Decision, SourceMap, Timestamp, compile};

/// Records that touch every kind of field: strings, numbers, timestamps, `OutputUrl`, absent.
const RECORDS: &[&[u8]] = &[
    br#"{"SessionId":"s-1","Target":"i-0abc","Status":"Connected","StartDate":"2026-03-10T13:15:30Z","EndDate":"2026-03-10T14:00:00Z","DocumentName":"SSM-SessionManagerRunShell","Owner":"arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Admin_1/ana","Reason":"CHG-1","Details":"d","OutputUrl":{"S3OutputUrl":"s3://b/k","CloudWatchOutputUrl":""},"MaxSessionDuration":"60","AccessType":"JustInTime"}"#,
    br#"{"SessionId":"s-2","StartDate":1773148530.5,"MaxSessionDuration":60,"Target":["x"],"OutputUrl":"y"}"#,
    br#"{}"#,
];

fuzz_target!(|data: &[u8]| {
    // Policy files are read as UTF-8; lossy conversion keeps the rest of the input useful.
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    sources.add("fuzz.yaml", text.as_ref());
    let now = Timestamp::from_micros(1_773_437_400_000_000);
    match compile(&sources, now) {
        Ok(compiled) => {
            for warning in &compiled.warnings {
                let _ = warning.render(&sources, true);
                let _ = warning.help();
            }
            for record in RECORDS {
                let Ok(ParsedRecord::Session(session)) = parse_record(record) else {
                    continue;
                };
                let evaluation = compiled.set.evaluate(&session, now);
                let denies = evaluation
                    .violations
                    .iter()
                    .any(|v| !v.is_waived() && v.rule.action() == Action::Deny);
                assert_eq!(evaluation.decision == Decision::Deny, denies);
                for rule in compiled.set.rules() {
                    let _ = rule.describe();
                }
            }
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty());
            for diagnostic in &diagnostics {
                let _ = diagnostic.render(&sources, true);
                let _ = diagnostic.position(&sources);
                let _ = diagnostic.help();
            }
        }
    }
});
