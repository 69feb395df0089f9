//! What a violation carries as data: its rule's identity in the set (an index and the
//! `policy/rule` id written once at compile time), and why a value was unreadable, which
//! every output carries even when the rule writes its own message.

use std::io;

use serde_json::{Value, json};
use ssm_guard::Field;
use ssm_guard::check::{Checker, InputError, RecordResult, Reporter, Summary};
use ssm_guard::hook::{Gate, Mode};
use ssm_guard::input::InputSource;
use ssm_guard::model::{Unreadable, UnreadableOperand};
use ssm_guard::report::{ViolationRecord, violation_json};

use crate::support::{compile_files, compile_policy, evaluate, now, run, scratch_dir};

const FIRST: &str = r#"
policy: first
rules:
  - id: reason
    require: { Reason: { present: true } }
  - id: cap
    require: { MaxSessionDuration: { lte: 60 } }
"#;

const SECOND: &str = r#"
policy: second
rules:
  - id: reason
    action: warn
    require: { Reason: { present: true } }
  - id: document
    require: { DocumentName: SSM-SessionManagerRunShell }
exceptions:
  - id: all-robots
    when: { Target: { glob: "mi-*" } }
    expires: 2099-01-01
    reason: robots
  - id: robot-documents
    rules: [document]
    when: { Target: { glob: "mi-*" } }
    expires: 2099-01-01
    reason: robots run their own documents
"#;

#[test]
fn a_rule_knows_its_place_in_the_set_and_its_qualified_id() {
    let compiled = compile_files(&[("first.yaml", FIRST), ("second.yaml", SECOND)]);
    let set = &compiled.set;
    let ids: Vec<(usize, &str, &str)> = set
        .rules()
        .iter()
        .map(|r| (r.index().index(), r.id(), r.qualified_id()))
        .collect();
    assert_eq!(
        ids,
        [
            (0, "reason", "first/reason"),
            (1, "cap", "first/cap"),
            (2, "reason", "second/reason"),
            (3, "document", "second/document"),
        ]
    );
    for rule in set.rules() {
        let found = set.rule(rule.index()).unwrap();
        assert_eq!(found.qualified_id(), rule.qualified_id());
        assert_eq!(
            set.find_rule(rule.qualified_id()).map(|r| r.index()),
            Some(rule.index())
        );
    }
    assert!(set.find_rule("reason").is_none(), "in two policies");
    assert!(set.find_rule("second/cap").is_none());

    // Exceptions are found by the rule's index, offset by the first policy's rules.
    let document = set.find_rule("second/document").unwrap();
    let waivers: Vec<&str> = set
        .exceptions_for(document)
        .iter()
        .map(|e| e.id())
        .collect();
    assert_eq!(waivers, ["all-robots", "robot-documents"]);
    let reason = set.find_rule("second/reason").unwrap();
    let waivers: Vec<&str> = set.exceptions_for(reason).iter().map(|e| e.id()).collect();
    assert_eq!(waivers, ["all-robots"]);
    assert!(
        set.exceptions_for(set.find_rule("first/cap").unwrap())
            .is_empty()
    );
}

#[test]
fn a_violation_names_its_rule_by_the_rules_own_ids() {
    let compiled = compile_files(&[("first.yaml", FIRST), ("second.yaml", SECOND)]);
    let evaluation = evaluate(
        &compiled,
        json!({"SessionId": "s-1", "Target": "i-1"}),
        now(),
    );
    let ids: Vec<(&str, usize)> = evaluation
        .violations
        .iter()
        .map(|v| (v.id(), v.rule.index().index()))
        .collect();
    assert_eq!(
        ids,
        [
            ("first/reason", 0),
            ("first/cap", 1),
            ("second/reason", 2),
            ("second/document", 3)
        ]
    );
    // The id is the rule's own, lent out: nothing is written per violation.
    for violation in &evaluation.violations {
        assert!(std::ptr::eq(violation.id(), violation.rule.qualified_id()));
    }
}

/// Takes every record and error, keeping nothing.
struct Nothing;

impl<'p> Reporter<'p> for Nothing {
    fn record(&mut self, _: &RecordResult<'p>) -> io::Result<()> {
        Ok(())
    }
    fn input_error(&mut self, _: &InputError) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_summary_counts_each_violation_under_its_own_rule() {
    let compiled = compile_files(&[("first.yaml", FIRST), ("second.yaml", SECOND)]);
    let dir = scratch_dir("summary-by-rule");
    let path = dir.join("sessions.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"SessionId\":\"s-1\",\"Target\":\"i-1\",\"MaxSessionDuration\":\"90\"}\n",
            "{\"SessionId\":\"s-2\",\"Target\":\"mi-2\",\"Reason\":\"CHG-1\"}\n",
            "{\"SessionId\":\"s-3\",\"Target\":\"mi-3\"}\n",
        ),
    )
    .unwrap();
    for jobs in [1, 2] {
        let linter = Checker::new(&compiled.set, now(), jobs);
        let summary = linter
            .run(&[InputSource::File(path.clone())], &mut Nothing)
            .unwrap();
        let by_rule: Vec<(&str, u64, u64)> = summary
            .by_rule
            .iter()
            .map(|r| (r.rule.as_str(), r.violations, r.waived))
            .collect();
        assert_eq!(
            by_rule,
            [
                ("first/reason", 2, 0),
                ("first/cap", 3, 0),
                ("second/reason", 1, 1),
                ("second/document", 1, 2),
            ],
            "{jobs} jobs"
        );
    }
}

// ---------------------------------------------------------------- unreadable values

/// Rules on `MaxSessionDuration`, with the default message and with their own.
const CAPS: &str = r#"
policy: caps
rules:
  - id: default-message
    require: { MaxSessionDuration: { lte: 60 } }
  - id: own-message
    action: warn
    require: { MaxSessionDuration: { lte: 60 } }
    message: "session {SessionId} may run too long"
  - id: within-cap
    require: { Duration: { lte: { field: MaxSessionDuration } } }
    message: "session {SessionId} ran past its cap"
"#;

/// A session whose cap is not a number, and one whose cap is over the limit.
const RECORDS: &str = concat!(
    "{\"SessionId\":\"s-1\",\"Target\":\"i-1\",\"MaxSessionDuration\":\"sixty\",",
    "\"StartDate\":\"2026-03-13T20:00:00Z\",\"EndDate\":\"2026-03-13T21:00:00Z\"}\n",
    "{\"SessionId\":\"s-2\",\"Target\":\"i-2\",\"MaxSessionDuration\":\"90\",",
    "\"StartDate\":\"2026-03-13T20:00:00Z\",\"EndDate\":\"2026-03-13T21:00:00Z\"}\n",
);

const NOT_MINUTES: &str = "`sixty` is not a number of minutes";

#[test]
fn a_violation_keeps_why_a_value_was_unreadable_whatever_its_message() {
    let compiled = compile_policy(CAPS);
    let record = json!({
        "SessionId": "s-1",
        "MaxSessionDuration": "sixty",
        "StartDate": "2026-03-13T20:00:00Z",
        "EndDate": "2026-03-13T21:00:00Z",
    });
    let evaluation = evaluate(&compiled, record, now());
    let found: Vec<(&str, &str, Option<&UnreadableOperand>)> = evaluation
        .violations
        .iter()
        .map(|v| (v.id(), v.message.as_str(), v.unreadable.as_ref()))
        .collect();
    let not_minutes = Unreadable::NotMinutes {
        text: "sixty".to_owned(),
    };
    assert_eq!(
        found,
        [
            (
                "caps/default-message",
                "MaxSessionDuration is sixty, expected <= 60 (`sixty` is not a number of minutes)",
                Some(&UnreadableOperand::Field(not_minutes.clone()))
            ),
            (
                "caps/own-message",
                "session s-1 may run too long",
                Some(&UnreadableOperand::Field(not_minutes.clone()))
            ),
            (
                "caps/within-cap",
                "session s-1 ran past its cap",
                Some(&UnreadableOperand::Operand {
                    field: Field::MaxSessionDuration,
                    reason: not_minutes
                })
            ),
        ]
    );

    // An absent operand is a reason too; an absent field of the check's own is not.
    let absent = evaluate(
        &compiled,
        json!({"SessionId": "s-3", "StartDate": "2026-03-13T20:00:00Z", "EndDate": "2026-03-13T21:00:00Z"}),
        now(),
    );
    let reasons: Vec<Option<String>> = absent
        .violations
        .iter()
        .map(|v| v.unreadable.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(
        reasons,
        [None, None, Some("MaxSessionDuration is absent".to_owned())]
    );
}

/// Runs `check` on [`RECORDS`] against [`CAPS`] in `format`.
fn check(format: &str) -> crate::support::Run {
    let dir = scratch_dir("unreadable");
    let policy = dir.join("caps.yaml");
    let input = dir.join("sessions.jsonl");
    std::fs::write(&policy, CAPS).unwrap();
    std::fs::write(&input, RECORDS).unwrap();
    run(&[
        "check",
        "-p",
        policy.to_str().unwrap(),
        "--now",
        crate::support::NOW,
        "--format",
        format,
        input.to_str().unwrap(),
    ])
}

#[test]
fn json_outputs_carry_the_reason_only_where_a_value_was_unreadable() {
    let document = check("json").json();
    let reasons = |record: &Value| -> Vec<(String, Option<String>)> {
        record["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let id = format!(
                    "{}/{}",
                    v["policy"].as_str().unwrap(),
                    v["rule"].as_str().unwrap()
                );
                (
                    id,
                    v.get("unreadable").map(|r| r.as_str().unwrap().to_owned()),
                )
            })
            .collect()
    };
    let reason = |text: &str| Some(text.to_owned());
    assert_eq!(
        reasons(&document["results"][0]),
        [
            ("caps/default-message".to_owned(), reason(NOT_MINUTES)),
            ("caps/own-message".to_owned(), reason(NOT_MINUTES)),
            (
                "caps/within-cap".to_owned(),
                reason("MaxSessionDuration: `sixty` is not a number of minutes")
            ),
        ]
    );
    // Readable values: no member at all, so such output is as it always was.
    assert_eq!(
        reasons(&document["results"][1]),
        [
            ("caps/default-message".to_owned(), None),
            ("caps/own-message".to_owned(), None),
        ]
    );

    let lines = check("jsonl").json_lines();
    let own = lines
        .iter()
        .find(|l| l["rule"] == "own-message" && l["session_id"] == "s-1")
        .unwrap();
    assert_eq!(own["unreadable"], NOT_MINUTES);
    assert_eq!(own["message"], "session s-1 may run too long");
    assert!(
        lines
            .iter()
            .filter(|l| l["session_id"] == "s-2")
            .all(|l| l.get("unreadable").is_none())
    );

    let sarif = check("sarif").json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let own = results
        .iter()
        .find(|r| r["ruleId"] == "caps/own-message" && r["properties"]["sessionId"] == "s-1")
        .unwrap();
    assert_eq!(own["properties"]["unreadable"], NOT_MINUTES);
}

#[test]
fn reports_for_people_add_the_reason_a_rules_own_message_leaves_out() {
    let text = check("text").stdout;
    assert!(
        text.contains(&format!(
            "caps/own-message: session s-1 may run too long (unreadable: {NOT_MINUTES})"
        )),
        "{text}"
    );
    // The default message already says why: it is not said twice.
    assert!(
        text.contains(&format!(
            "caps/default-message: MaxSessionDuration is sixty, expected <= 60 ({NOT_MINUTES})\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("caps/own-message: session s-2 may run too long\n"),
        "{text}"
    );

    let github = check("github").stdout;
    assert!(
        github.contains(&format!(
            "::session s-1 may run too long (unreadable: {NOT_MINUTES}) [session s-1]"
        )),
        "{github}"
    );
    let junit = check("junit").stdout;
    assert!(
        junit.contains(&format!(
            "message=\"session s-1 may run too long (unreadable: {NOT_MINUTES})\""
        )),
        "{junit}"
    );
    let html = check("html").stdout;
    assert!(
        html.contains(&format!(
            "session s-1 may run too long (unreadable: {NOT_MINUTES})"
        )),
        "the table's message"
    );
}

#[test]
fn the_hooks_decision_gives_the_reason_with_a_rules_own_message() {
    let gate = Gate::new(compile_policy(CAPS).set, Mode::Enforce);
    let event = br#"{"SessionId":"s-1","Target":"i-1","MaxSessionDuration":"sixty","StartDate":"2026-03-13T20:00:00Z"}"#;
    let decision = gate.decide(event, now());
    let answer = serde_json::to_value(&decision).unwrap();
    let warning = &answer["warnings"][0];
    assert_eq!(warning["rule"], "own-message");
    assert_eq!(warning["message"], "session s-1 may run too long");
    assert_eq!(warning["unreadable"], NOT_MINUTES);
    let within = answer["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["rule"] == "within-cap")
        .unwrap();
    assert_eq!(
        within["unreadable"],
        "MaxSessionDuration: `sixty` is not a number of minutes"
    );

    // A readable value: the answer has no such member.
    let readable = br#"{"SessionId":"s-2","Target":"i-2","MaxSessionDuration":"90","StartDate":"2026-03-13T20:00:00Z"}"#;
    let answer = serde_json::to_string(&gate.decide(readable, now())).unwrap();
    assert!(!answer.contains("unreadable"), "{answer}");
}

// ---------------------------------------------------------------- the hook's typed violations

#[test]
fn a_violation_record_is_written_as_the_violation_it_copies() {
    let compiled = compile_files(&[("caps.yaml", CAPS), ("second.yaml", SECOND)]);
    let evaluation = evaluate(
        &compiled,
        json!({"SessionId": "s-1", "Target": "mi-1", "MaxSessionDuration": "sixty"}),
        now(),
    );
    assert!(evaluation.violations.iter().any(|v| v.is_waived()));
    assert!(evaluation.violations.iter().any(|v| v.unreadable.is_some()));
    for violation in &evaluation.violations {
        let record = ViolationRecord::of(violation);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            serde_json::to_string(&violation_json(violation)).unwrap()
        );
        assert_eq!(record.id(), violation.id());
        assert_eq!(
            (record.policy(), record.rule()),
            (violation.policy.id(), violation.rule.id())
        );
        assert_eq!(record.unreadable(), violation.unreadable.as_ref());
        assert_eq!(record.waived_by(), violation.waived_by.map(|e| e.id()));
    }
}

#[test]
fn the_hooks_decision_names_its_rules_from_its_typed_violations() {
    let compiled = compile_files(&[("caps.yaml", CAPS), ("second.yaml", SECOND)]);
    let gate = Gate::new(compiled.set, Mode::Enforce);
    let event = br#"{"SessionId":"s-1","Target":"mi-1","MaxSessionDuration":"sixty","StartDate":"2026-03-13T20:00:00Z"}"#;
    let decision = gate.decide(event, now());
    let denies: Vec<&str> = decision.violations.iter().map(|v| v.id()).collect();
    let warns: Vec<&str> = decision.warnings.iter().map(|v| v.id()).collect();
    let waived: Vec<(&str, Option<&str>)> = decision
        .waived
        .iter()
        .map(|v| (v.id(), v.waived_by()))
        .collect();
    assert_eq!(denies, ["caps/default-message", "caps/within-cap"]);
    assert_eq!(warns, ["caps/own-message"]);
    assert_eq!(
        waived,
        [
            ("second/reason", Some("all-robots")),
            ("second/document", Some("all-robots"))
        ]
    );
    assert_eq!(
        decision.rule_ids(),
        [
            "caps/default-message",
            "caps/within-cap",
            "caps/own-message",
            "second/reason",
            "second/document"
        ]
    );
}
