//! Properties over random input: random Session objects (any subset of fields, any JSON type
//! per field) never panic the evaluator under the embedded set or the shipped policies, are
//! judged the same every time, and are allowed only without a non-waived violation; random
//! bytes never panic the record reader, and the hook never allows what is not readable JSON.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use proptest::prelude::*;
use serde::de::IgnoredAny;
use serde_json::{Map, Value, json};
use ssm_guard::hook::{Gate, Mode};
use ssm_guard::model::{ParsedRecord, RecordError, parse_record};
use ssm_guard::{Action, Compiled, Decision, Evaluation, SourceMap, Timestamp, compile};

use crate::support::{now, root};

/// The embedded default set, and every policy of `policies/` as one set.
static SETS: LazyLock<[Compiled; 2]> = LazyLock::new(|| {
    let mut library = SourceMap::new();
    library.add_path(&root().join("policies")).unwrap();
    [
        compile(&SourceMap::defaults(), now()).unwrap(),
        compile(&library, now()).unwrap(),
    ]
});

static GATES: LazyLock<[Gate; 2]> = LazyLock::new(|| {
    let gate = |mode| Gate::new(compile(&SourceMap::defaults(), now()).unwrap().set, mode);
    [gate(Mode::Enforce), gate(Mode::Audit)]
});

const FIELDS: [&str; 12] = [
    "SessionId",
    "Target",
    "Status",
    "StartDate",
    "EndDate",
    "DocumentName",
    "Owner",
    "Reason",
    "Details",
    "OutputUrl",
    "MaxSessionDuration",
    "AccessType",
];

/// Strings the policies care about, and text that is hard to read.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "Connected",
            "Terminated",
            "JustInTime",
            "Standard",
            "SSM-SessionManagerRunShell",
            "AWS-StartSSHSession",
            "AWS-StartPortForwardingSessionToRemoteHost",
            "i-0123456789abcdef0",
            "ecs:payments-prod_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-1234567890",
            "mi-0123456789abcdef0",
            "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_5f1c2e9a0b7d3c41/ana",
            "arn:aws:sts::210987654321:assumed-role/BreakGlass/ops",
            "arn:aws:iam::210987654321:user/ci",
            "arn:aws:sts::",
            "CHG-1234 deploy",
            "INC-4821",
            "s3://ssm-logs-210987654321/sessions/",
            "60",
            "-1",
            "1e999",
            "NaN",
            "\u{0}\u{202e}\u{1F600}",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,40}",
        any::<String>(),
    ]
}

/// Timestamps as text, in and out of the years 1 to 9999, well formed or nearly.
fn timestamp_text() -> impl Strategy<Value = String> {
    (
        0u32..12_000,
        0u32..14,
        0u32..33,
        0u32..25,
        0u32..61,
        prop::sample::select(vec!["Z", "+00:00", "-05:00", "+14:00", ".123456Z", "", "z"]),
    )
        .prop_map(|(year, month, day, hour, minute, zone)| {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:00{zone}")
        })
}

/// Any JSON value a field may hold.
fn field_value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |n| n.is_finite())
            .prop_map(Value::from),
        (-70_000_000_000.0..300_000_000_000.0f64).prop_map(Value::from),
        text().prop_map(Value::from),
        timestamp_text().prop_map(Value::from),
    ];
    scalar.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec!["S3OutputUrl", "CloudWatchOutputUrl", "x"])
                    .prop_map(str::to_owned),
                inner,
                0..3
            )
            .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A Session object with a random subset of the fields, each of a random type.
fn session_object() -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::option::of(field_value()), FIELDS.len()).prop_map(|values| {
        let mut object = Map::new();
        for (name, value) in FIELDS.iter().zip(values) {
            if let Some(value) = value {
                object.insert((*name).to_owned(), value);
            }
        }
        Value::Object(object)
    })
}

/// An object whose keys are no member of Session, however close: other casings and
/// spellings of the members, other AWS responses' keys, and text, with values of any type
/// (Session-like values included).
fn foreign_object() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "sessionId",
            "SESSIONID",
            "Session_Id",
            "session-id",
            "target_",
            "Tagret",
            "Owners",
            "startDate",
            "InstanceInformationList",
            "InstanceId",
            "TokenValue",
            "StreamUrl",
            "NextToken",
            "status_code",
            "data",
            "Records",
            "detail",
            "Events",
            "Items",
            "ResponseMetadata",
            "sessions",
            "Session",
            "OutputURL",
            "id",
            "",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z_]{1,12}".prop_filter("not a member, an event key or a CloudQuery column", |k| {
            !FIELDS.contains(&k.as_str())
                && !k.starts_with("event")
                && !k.starts_with("_cq_")
                && !matches!(
                    k.as_str(),
                    "Sessions"
                        | "detail"
                        | "source"
                        | "userIdentity"
                        | "errorCode"
                        | "requestParameters"
                        | "responseElements"
                        | "session_id"
                        | "account_id"
                        | "region"
                )
        }),
    ];
    prop::collection::btree_map(key, field_value(), 0..6)
        .prop_map(|members| Value::Object(members.into_iter().collect()))
}

/// An evaluation time anywhere in the readable years.
fn instant() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        Just(now()),
        (-62_135_596_800i64..253_402_300_799).prop_map(|s| Timestamp::from_micros(s * 1_000_000)),
    ]
}

/// Everything an evaluation says, for comparing two of them.
fn summary(evaluation: &Evaluation<'_>) -> Value {
    let violations: Vec<Value> = evaluation
        .violations
        .iter()
        .map(|v| {
            json!([
                v.id(),
                v.message,
                v.field.name(),
                v.actual,
                v.expected,
                v.waived_by.map(|e| e.id())
            ])
        })
        .collect();
    json!({"decision": evaluation.decision.name(), "violations": violations})
}

/// The decision the violations call for.
fn expected_decision(evaluation: &Evaluation<'_>) -> Decision {
    let standing = evaluation.violations.iter().filter(|v| !v.is_waived());
    standing.fold(Decision::Allow, |decision, v| {
        // The violation's own action: a rule that could not be judged acts as `on_unknown` says.
        decision.max(match v.action() {
            Action::Deny => Decision::Deny,
            Action::Warn => Decision::Warn,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_are_judged_consistently(record in session_object(), at in instant()) {
        let bytes = serde_json::to_vec(&record).unwrap();
        let parsed = parse_record(&bytes);
        if record.as_object().is_some_and(Map::is_empty) {
            prop_assert!(matches!(parsed, Err(RecordError::NotASession(_))), "{:?}", parsed);
            return Ok(());
        }
        let Ok(ParsedRecord::Session(session)) = parsed else {
            return Err(TestCaseError::fail(format!("not read as a session: {parsed:?}")));
        };
        for compiled in SETS.iter() {
            let first = compiled.set.evaluate(&session, at);
            let again = compiled.set.evaluate(&session, at);
            prop_assert_eq!(summary(&first), summary(&again));
            prop_assert_eq!(first.decision, expected_decision(&first), "{}", summary(&first));
            let denied = first
                .violations
                .iter()
                .any(|v| !v.is_waived() && v.action() == Action::Deny);
            prop_assert_eq!(first.decision == Decision::Deny, denied);
            if first.decision == Decision::Allow {
                prop_assert!(first.violations.iter().all(|v| v.is_waived()));
            }
        }
    }

    #[test]
    fn no_object_without_a_session_member_is_ever_evaluated(record in foreign_object()) {
        let bytes = serde_json::to_vec(&record).unwrap();
        let parsed = parse_record(&bytes);
        // An error either way: `{"detail": false}` is no EventBridge event a reader can take.
        prop_assert!(parsed.is_err(), "{} read as {:?}", record, parsed);
        for gate in GATES.iter() {
            let decision = gate.decide(&bytes, now());
            prop_assert!(!decision.evaluated && !decision.allowed, "{}: {:?}", record, decision);
        }
    }

    #[test]
    fn random_bytes_never_panic_the_reader(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_record(&bytes);
    }

    #[test]
    fn random_json_text_never_panics_the_reader(text in "[\\[\\]{}\",:0-9a-zA-Z. \\\\\n-]{0,120}") {
        let _ = parse_record(text.as_bytes());
    }

    #[test]
    fn the_gate_never_allows_what_is_not_a_json_object(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            session_object().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            (session_object(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(v, at, byte)| {
                let mut bytes = serde_json::to_vec(&v).unwrap();
                let at = at.index(bytes.len());
                bytes[at] = byte;
                bytes
            }),
            (session_object(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
                let mut bytes = serde_json::to_vec(&v).unwrap();
                bytes.truncate(at.index(bytes.len()));
                bytes
            }),
        ]
    ) {
        // A JSON object by the grammar; values skipped, as the hook skips keys it does not read.
        let readable = serde_json::from_slice::<BTreeMap<String, IgnoredAny>>(&bytes).is_ok();
        for gate in GATES.iter() {
            let decision = gate.decide(&bytes, now());
            prop_assert_eq!(decision.allowed, decision.decision != Decision::Deny);
            if !readable {
                prop_assert_eq!(decision.decision, Decision::Deny);
                prop_assert!(decision.error.is_some());
            }
            if decision.error.is_some() {
                prop_assert!(!decision.allowed);
            }
        }
    }
}
