//! What a violation carries as data: its rule's identity in the set (an index and the
//! `policy/rule` id written once at compile time).

use std::io;

use serde_json::json;
use ssm_guard::input::InputSource;
use ssm_guard::lint::{InputError, Linter, RecordResult, Reporter, Summary};

use crate::support::{compile_files, evaluate, now, scratch_dir};

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
        let linter = Linter::new(&compiled.set, now(), jobs);
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
