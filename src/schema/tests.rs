//! The schemas checked against the loader: the same keys, fields, operators and values, the
//! shipped files valid, broken ones rejected, and the committed schema files current.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::policy::glob_schema;
use super::{field_names, policy_schema, test_schema};
use crate::compile::{CASE_KEYS, DEFAULTS_KEYS, EXCEPTION_KEYS, POLICY_KEYS, RULE_KEYS};
use crate::model::{Field, JsonType};
use crate::operator::{DAYS, OperatorName};
use crate::policy::{Action, Severity};
use crate::{SourceMap, Timestamp, compile};

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap()
}

fn yaml_to_json(text: &str) -> Value {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let instance = yaml_to_json(text);
    validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn loader_accepts(text: &str) -> bool {
    let mut sources = SourceMap::new();
    sources.add("p.yaml", text);
    compile(&sources, Timestamp::from_micros(0)).is_ok()
}

fn shipped(test_files: bool) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"),
        &mut files,
    );
    files.sort();
    files
        .into_iter()
        .filter(|f| crate::source::is_test_file(f) == test_files)
        .collect()
}

fn keys(schema: &Value) -> BTreeSet<String> {
    schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_schema_files_in_the_repository_are_current() {
    for (kind, file, schema) in [
        (
            "policy",
            "schemas/ssm-guard-policy.schema.json",
            policy_schema(),
        ),
        ("test", "schemas/ssm-guard-test.schema.json", test_schema()),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        let current = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        assert!(
            committed == current,
            "{file} is out of date: run `cargo run -- schema {kind} > {file}`"
        );
    }
}

#[test]
fn both_schemas_are_valid_draft_07() {
    for schema in [policy_schema(), test_schema()] {
        jsonschema::draft7::meta::validate(&schema).unwrap();
    }
}

#[test]
fn the_schema_lists_what_the_loader_accepts() {
    let schema = policy_schema();
    let defs = &schema["definitions"];
    assert_eq!(keys(&schema), set(POLICY_KEYS));
    assert_eq!(keys(&schema["properties"]["defaults"]), set(DEFAULTS_KEYS));
    assert_eq!(keys(&defs["rule"]), set(RULE_KEYS));
    assert_eq!(keys(&defs["case"]), set(CASE_KEYS));
    assert_eq!(keys(&defs["exception"]), set(EXCEPTION_KEYS));

    let mut condition_keys = set(&field_names());
    condition_keys.extend(set(&["all", "any", "not"]));
    assert_eq!(keys(&defs["condition"]), condition_keys);

    // Each field takes exactly the operators the compiler lets it take, and together the
    // fields use every operator.
    let mut used = BTreeSet::new();
    for &field in Field::ALL {
        let reference = defs["condition"]["properties"][field.name()]["$ref"]
            .as_str()
            .unwrap();
        let entry = &defs[reference.trim_start_matches("#/definitions/")];
        let operators = match entry.get("anyOf") {
            Some(branches) => branches[2].clone(),
            None => entry.clone(),
        };
        let expected: BTreeSet<String> = OperatorName::ALL
            .into_iter()
            .filter(|op| op.applies_to(field.kind()))
            .map(|op| op.name().to_owned())
            .collect();
        assert_eq!(keys(&operators), expected, "{field}");
        used.extend(expected);
    }
    assert_eq!(used, set(&OperatorName::ALL.map(OperatorName::name)));

    assert_eq!(defs["severity"]["enum"], json!(Severity::NAMES));
    assert_eq!(defs["action"]["enum"], json!(Action::NAMES));
    let during = &defs["timestamp-condition"]["anyOf"][2]["properties"]["during"];
    assert_eq!(during["properties"]["days"]["items"]["enum"], json!(DAYS));
    let types: Vec<&str> = JsonType::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(
        defs["text-condition"]["anyOf"][2]["properties"]["type"]["enum"],
        json!(types)
    );
    for op in OperatorName::ALL {
        assert!(!op.doc().is_empty(), "{op} has no doc");
    }
}

#[test]
fn every_shipped_policy_and_test_file_validates() {
    let policies = validator(&policy_schema());
    let tests = validator(&test_schema());
    let policy_files = shipped(false);
    let test_files = shipped(true);
    assert!(policy_files.len() >= 2 && test_files.len() >= 2);
    for (validator, files) in [(&policies, policy_files), (&tests, test_files)] {
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let errors = schema_errors(validator, &text);
            assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
        }
    }
}

/// A valid policy that uses every construct, and broken variants of it.
const VALID: &str = r#"
policy: p
description: d
defaults: { severity: high, action: warn }
rules:
  - id: caps
    description: caps
    severity: critical
    action: deny
    when: { AccessType: JustInTime, Status: [Connected, Terminated] }
    cases:
      - when: { Target: { glob: ["i-0a*", "ecs:*-prod_*", "mi-[0-9a-f]*", "x-{a,b{c,d}}\\*"] } }
        require: { MaxSessionDuration: { lte: 60 } }
      - when: { DocumentName: [AWS-StartSSHSession] }
        require: { Duration: { lte: { field: MaxSessionDuration } } }
      - require: { MaxSessionDuration: { lte: 480, matches: '^[0-9]+$' } }
    message: "{SessionId} on {Target} by {OwnerName}: {{literal}} {rule}/{policy} {severity} {OutputUrl.S3OutputUrl}"
  - id: hours
    require:
      all:
        - StartDate: { during: { days: [mon, fri], from: "07:00", to: "24:00", offset: "-05:00" }, after: 2026-01-01 }
        - any: [{ Reason: { present: true } }, { not: { OwnerRole: { in: [CiRunner] } } }]
        - OutputUrl: { exists: true, type: object }
        - EndDate: { before: { field: StartDate } }
        - Duration: { gte: 1, equals: "2" }
exceptions:
  - id: e
    rules: [caps, p/hours]
    when: { OwnerRole: BreakGlass }
    expires: 2999-12-31
    reason: INC-1
    approved_by: me
"#;

#[test]
fn the_schema_and_the_loader_both_accept_a_policy_using_every_construct() {
    assert!(loader_accepts(VALID));
    let errors = schema_errors(&validator(&policy_schema()), VALID);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let policies = validator(&policy_schema());
    let broken = [
        ("    severity: critical\n", "    severity: crtical\n"),
        ("    action: deny\n", "    action: block\n"),
        ("    description: caps\n", "    descripton: caps\n"),
        ("  - id: caps\n", "  - id: Caps\n"),
        ("AccessType: JustInTime", "AccesType: JustInTime"),
        ("{ lte: 60 }", "{ lte: sixty }"),
        ("{ lte: 60 }", "{ lten: 60 }"),
        ("Target: { glob", "Target: { globb"),
        ("Reason: { present: true }", "Reason: { lt: 3 }"),
        (
            "Reason: { present: true }",
            "Reason: { present: yes please }",
        ),
        ("'^[0-9]+$'", "'^[0-9+$'"),
        ("'^[0-9]+$'", "'(unclosed'"),
        ("\"i-0a*\"", "\"i-0a[*\""),
        ("\"i-0a*\"", "\"i-0a{b,c\""),
        ("\"i-0a*\"", "\"i-0a}\""),
        ("\"i-0a*\"", "\"i-0a[]\""),
        ("\"i-0a*\"", "\"i-0a\\\\\""),
        ("{OwnerName}", "{OwnerNam}"),
        ("{OwnerName}", "{OwnerName"),
        ("days: [mon, fri]", "days: [mon, fry]"),
        ("from: \"07:00\"", "from: \"7:00\""),
        ("offset: \"-05:00\"", "offset: \"-5\""),
        ("after: 2026-01-01", "after: yesterday"),
        ("expires: 2999-12-31", "expires: next year"),
        ("    reason: INC-1\n", "    reason: \" \"\n"),
        ("    reason: INC-1\n", ""),
        ("type: object", "type: map"),
        ("{ field: MaxSessionDuration }", "{ field: Target }"),
        ("{ field: StartDate }", "{ field: Startdate }"),
        ("OutputUrl: { exists: true", "OutputUrl: { glob: \"*\""),
        ("Duration: { gte: 1", "Duration: { gte: 1, glob: \"1\""),
        (
            "      - when: { DocumentName: [AWS-StartSSHSession] }\n",
            "      - when: { DocumentName: [] }\n",
        ),
        (
            "    cases:\n",
            "    require: { Reason: { exists: true } }\n    cases:\n",
        ),
        ("rules:\n  - id: caps", "rule:\n  - id: caps"),
        // A default case that is not last.
        (
            "      - when: { DocumentName: [AWS-StartSSHSession] }\n        require",
            "      - require",
        ),
    ];
    for (from, to) in broken {
        assert!(VALID.contains(from), "{from}");
        let text = VALID.replacen(from, to, 1);
        assert!(!loader_accepts(&text), "the loader accepts {to:?}");
        let errors = schema_errors(&policies, &text);
        assert!(!errors.is_empty(), "the schema accepts {to:?}");
    }
}

#[test]
fn values_that_the_api_never_gives_are_flagged_in_editors_too() {
    let policies = validator(&policy_schema());
    for (from, to) in [
        ("AccessType: JustInTime", "AccessType: Jit"),
        ("[Connected, Terminated]", "[Connected, Active]"),
    ] {
        let text = VALID.replacen(from, to, 1);
        assert!(!schema_errors(&policies, &text).is_empty(), "{to}");
    }
}

#[test]
fn globs_are_accepted_exactly_as_globset_parses_them_except_backwards_ranges() {
    let globs = validator(&glob_schema());
    let samples = [
        "i-*",
        "*",
        "",
        "a,b",
        "a]b",
        "[]a]",
        "[!]a]",
        "[^a]",
        "[[]",
        "[a-z]*",
        "{a,b}",
        "{a,{b,c}}",
        "{}",
        "\\*",
        "\\{",
        "a**b",
        "**",
        "ecs:*-prod_*",
        "[",
        "[]",
        "[!]",
        "{a",
        "a}",
        "{a}}",
        "\\",
        "{[}]}",
        "{\\}}",
        "[a-",
        "{a,{b,{c,d}}}",
    ];
    for sample in samples {
        let parsed = globset::GlobBuilder::new(sample)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .is_ok();
        let depth_three = sample == "{a,{b,{c,d}}}";
        assert_eq!(
            globs.is_valid(&json!(sample)),
            parsed && !depth_three,
            "{sample:?}"
        );
    }
}

#[test]
fn every_shipped_test_file_validates_and_broken_ones_do_not() {
    let tests = validator(&test_schema());
    let valid = "tests:\n  - name: n\n    session: { SessionId: s, OutputUrl: { S3OutputUrl: u }, Odd: 1 }\n    now: 2026-11-02T10:00:00Z\n    expect:\n      decision: deny\n      violations: [p/r, { rule: p/r, field: Reason, message_contains: x }]\n      waived: []\n  - name: m\n    session: { file: record.json }\n    expect: { violations: [] }\n";
    assert!(schema_errors(&tests, valid).is_empty());
    for (from, to) in [
        ("expect:\n      decision", "expct:\n      decision"),
        ("decision: deny", "decision: denied"),
        ("violations: [p/r,", "violations: [r,"),
        ("field: Reason", "field: Reasn"),
        ("message_contains", "message"),
        ("now: 2026-11-02T10:00:00Z", "now: tomorrow"),
        ("  - name: n\n", "  - title: n\n"),
    ] {
        assert!(valid.contains(from), "{from}");
        let text = valid.replacen(from, to, 1);
        assert!(!schema_errors(&tests, &text).is_empty(), "{to}");
    }
}
