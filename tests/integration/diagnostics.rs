//! Problems in policies: every one reported in one run, each at its line and column with the
//! closest valid name, as people read them and as tools do.

use serde_json::Value;
use ssm_guard::{CompileError, Diagnostic, Level, Problem, SourceMap, compile};

use crate::support::{at, now, run, settings};

/// One problem as `--error-format json` gives it: level, file name, line, column, length,
/// message and help.
type Row = (String, String, u64, u64, u64, String, Option<String>);

fn rows(run: &crate::support::Run) -> Vec<Row> {
    run.stdout
        .lines()
        .map(|line| {
            let d: Value = serde_json::from_str(line).unwrap();
            let file = d["file"].as_str().unwrap();
            (
                d["level"].as_str().unwrap().to_owned(),
                file.rsplit('/').next().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["length"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
                d["help"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn row(
    level: &str,
    file: &str,
    line: u64,
    column: u64,
    length: u64,
    message: &str,
    help: Option<&str>,
) -> Row {
    (
        level.to_owned(),
        file.to_owned(),
        line,
        column,
        length,
        message.to_owned(),
        help.map(str::to_owned),
    )
}

#[test]
fn every_problem_of_a_broken_set_is_reported_in_one_run_at_its_place_with_a_suggestion() {
    let run = run(&[
        "validate",
        "--error-format",
        "json",
        "-p",
        "tests/fixtures/broken",
    ]);
    assert_eq!(run.code, 2);
    let error = |file, line, column, length, message, help| {
        row("error", file, line, column, length, message, help)
    };
    assert_eq!(
        rows(&run),
        [
            error(
                "dup-b.yaml",
                2,
                1,
                6,
                "policy `shared` is defined twice",
                Some("first defined at tests/fixtures/broken/dup-a.yaml:1")
            ),
            error(
                "patterns.yaml",
                5,
                35,
                17,
                "invalid regex `(CHG|INC-[0-9]+`: unclosed group",
                None
            ),
            error(
                "patterns.yaml",
                8,
                33,
                11,
                "invalid glob `i-0[prod*`: unclosed character class; missing ']'",
                None
            ),
            error(
                "typos.yaml",
                5,
                13,
                4,
                "`hihg` is not a valid severity",
                Some("did you mean `high`?")
            ),
            error(
                "typos.yaml",
                12,
                5,
                6,
                "unknown key `requir` in a rule",
                Some("did you mean `require`?")
            ),
            error(
                "typos.yaml",
                15,
                16,
                5,
                "unknown field `Reasn`",
                Some("did you mean `Reason`?")
            ),
            error(
                "typos.yaml",
                18,
                26,
                6,
                "unknown operator `matchs`",
                Some("did you mean `matches`?")
            ),
            error(
                "typos.yaml",
                21,
                15,
                7,
                "`critcal` is not a valid severity",
                Some("did you mean `critical`?")
            ),
            error(
                "typos.yaml",
                25,
                26,
                2,
                "`lt` does not apply to `Target`, which is a string",
                Some(
                    "a field that is a string takes `exists`, `present`, `equals`, `in`, `glob`, `matches`, `min_length`, `max_length`, `type` and their `not_` forms"
                )
            ),
            error(
                "typos.yaml",
                29,
                23,
                10,
                "unknown placeholder `{SesionId}` in message",
                Some("did you mean `{SessionId}`?")
            ),
            error(
                "typos.yaml",
                31,
                9,
                18,
                "rule `approved-documents` is defined twice in policy `typos`",
                Some("ids must be unique within their policy; rename one")
            ),
            error(
                "typos.yaml",
                36,
                9,
                7,
                "the case without `when` must be last: the cases after it can never be chosen",
                Some("move the case without `when` to the end of `cases`")
            ),
            error(
                "typos.yaml",
                42,
                13,
                17,
                "exception names unknown rule `approved-document`",
                Some("did you mean `approved-documents`?")
            ),
            row(
                "warning",
                "warnings-only.yaml",
                8,
                14,
                10,
                "exception `old-incident` expired on 2020-01-31",
                Some(
                    "it still waives sessions that started before then; remove it when old exports no longer matter"
                )
            ),
            row(
                "warning",
                "warnings-only.yaml",
                10,
                5,
                2,
                "exception `forever` has no `expires`",
                Some("add `expires: YYYY-MM-DD` so the waiver ends on its own")
            ),
        ]
    );
}

#[test]
fn the_human_rendering_of_every_problem() {
    let run = run(&["validate", "-p", "tests/fixtures/broken"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr, "");
    settings().bind(|| insta::assert_snapshot!("validate_broken", run.stdout));
}

#[test]
fn json_diagnostics_are_one_object_a_line_with_every_field() {
    let run = run(&[
        "validate",
        "--error-format",
        "json",
        "-p",
        "tests/fixtures/broken/typos.yaml",
    ]);
    assert_eq!(run.code, 2);
    for line in run.stdout.lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "column", "file", "help", "length", "level", "line", "message"
            ],
            "{line}"
        );
        assert_eq!(d["file"], "tests/fixtures/broken/typos.yaml");
        assert_eq!(d["level"], "error");
    }
    assert!(!run.stdout.contains("ok: "), "no human summary in json");
}

#[test]
fn warnings_alone_do_not_stop_validate_or_check() {
    let validate = run(&[
        "validate",
        "--error-format",
        "json",
        "-p",
        "tests/fixtures/broken/warnings-only.yaml",
    ]);
    assert_eq!(validate.code, 0);
    assert_eq!(rows(&validate).len(), 2);
    assert!(rows(&validate).iter().all(|r| r.0 == "warning"));
    // `check` prints them on standard error and goes on.
    let check = run(&[
        "check",
        "--now",
        "2026-03-13T21:30:00Z",
        "--format",
        "json",
        "-p",
        "tests/fixtures/broken/warnings-only.yaml",
        "tests/fixtures/inputs/single.json",
    ]);
    assert_eq!(
        check.code, 0,
        "the only violation is waived by an exception without expires"
    );
    assert!(
        check
            .stderr
            .contains("warning: exception `old-incident` expired on 2020-01-31"),
        "{}",
        check.stderr
    );
    assert!(
        check
            .stderr
            .contains("warning: exception `forever` has no `expires`"),
        "{}",
        check.stderr
    );
    let report = check.json();
    assert_eq!(
        report["results"][0]["violations"][0]["waived_by"],
        "forever"
    );
}

// ------------------------------------------------------------------ through the library

/// Compiles one file named `policy.yaml` at [`crate::support::NOW`], returning its diagnostics.
fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    let mut sources = SourceMap::new();
    sources.add("policy.yaml", yaml);
    match compile(&sources, now()) {
        Ok(compiled) => compiled.warnings,
        Err(diagnostics) => diagnostics,
    }
}

/// `line:column message` of each diagnostic.
fn located(yaml: &str) -> Vec<String> {
    diagnostics(yaml)
        .iter()
        .map(|d| {
            let at = d.location.unwrap();
            format!("{}:{} {}", at.line, at.column, d.message())
        })
        .collect()
}

#[test]
fn an_exception_naming_a_rule_that_has_errors_is_not_reported_as_unknown() {
    let yaml = "policy: p\nrules:\n  - id: broken-rule\n    require: { Reasn: { present: true } }\nexceptions:\n  - id: e\n    rules: [broken-rule]\n    expires: 2099-01-01\n    reason: x\n";
    assert_eq!(located(yaml), ["4:16 unknown field `Reasn`"]);
}

#[test]
fn a_duplicate_of_a_rule_that_has_errors_is_still_a_duplicate() {
    let yaml = "policy: p\nrules:\n  - id: r\n    require: { Reasn: x }\n  - id: r\n    require: { Reason: x }\n";
    assert_eq!(
        located(yaml),
        [
            "4:16 unknown field `Reasn`",
            "5:9 rule `r` is defined twice in policy `p`"
        ]
    );
}

#[test]
fn unknown_keys_are_reported_wherever_they_are_with_the_closest_key() {
    let yaml = r#"policy: p
descripton: typo
defaults: { severty: high }
rules:
  - id: r
    cases:
      - wen: { Target: x }
        require: { Target: x }
exceptions:
  - id: e
    reasons: plural
    expires: 2099-01-01
"#;
    let found: Vec<(String, Option<String>)> = diagnostics(yaml)
        .iter()
        .map(|d| (d.message(), d.help()))
        .collect();
    let expect = |m: &str, h: Option<&str>| (m.to_owned(), h.map(str::to_owned));
    assert_eq!(
        found,
        [
            expect(
                "unknown key `descripton` in a policy",
                Some("did you mean `description`?")
            ),
            expect(
                "unknown key `severty` in `defaults`",
                Some("did you mean `severity`?")
            ),
            expect("unknown key `wen` in a case", Some("did you mean `when`?")),
            // The misspelt key is the whole problem: no second error says `reason` is missing.
            expect(
                "unknown key `reasons` in an exception",
                Some("did you mean `reason`?")
            ),
        ]
    );
}

#[test]
fn arguments_that_cannot_be_read_are_errors_at_their_place() {
    let yaml = r#"policy: p
rules:
  - id: r
    require:
      MaxSessionDuration: { lte: sixty }
      StartDate: { before: tomorrow, during: { from: "7:00", offset: "+1" } }
      Reason: { type: strin, min_length: -1 }
      Duration: { lte: { field: Reasn } }
"#;
    assert_eq!(
        located(yaml),
        [
            "5:34 `lte` needs a number or `{ field: Name }`, found `sixty`",
            "6:28 `tomorrow` is not an RFC 3339 timestamp or a date",
            "6:54 `7:00` is not a time of day",
            "6:70 `+1` is not a UTC offset",
            "7:23 `strin` is not a valid JSON type",
            "7:42 `min_length` needs a whole number, found `-1`",
            "8:33 unknown field `Reasn`",
        ]
    );
}

#[test]
fn operators_on_fields_of_the_wrong_type_are_errors_with_the_operators_that_apply() {
    let yaml = "policy: p\nrules:\n  - id: r\n    require:\n      StartDate: { glob: '2026-*' }\n      Duration: { matches: '^1' }\n      OutputUrl: { lte: 3 }\n";
    assert_eq!(
        located(yaml),
        [
            "5:20 `glob` does not apply to `StartDate`, which is a timestamp",
            "6:19 `matches` does not apply to `Duration`, which is a number",
            "7:20 `lte` does not apply to `OutputUrl`, which is an object",
        ]
    );
    let help = diagnostics(yaml)[0].help().unwrap();
    assert_eq!(
        help,
        "a field that is a timestamp takes `exists`, `present`, `equals`, `in`, `before`, `after`, `type`, `during` and their `not_` forms"
    );
}

#[test]
fn yaml_that_does_not_parse_is_an_error_at_its_place() {
    let found = located("policy: p\nrules:\n  - id: r\n    require: { Reason: [x }\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("4:"), "{found:?}");
    assert!(found[0].contains("invalid YAML"), "{found:?}");
    assert_eq!(
        located("policy: p\npolicy: q\nrules:\n  - id: r\n    require: { Reason: x }\n"),
        ["2:1 duplicate key `policy`"]
    );
}

#[test]
fn ids_and_required_keys_are_checked() {
    assert_eq!(
        located("policy: Org_Baseline\nrules:\n  - id: ok\n    require: { Reason: x }\n"),
        ["1:9 invalid policy id `Org_Baseline`"]
    );
    assert_eq!(
        located("policy: p\nrules: []\n"),
        ["2:8 `rules` must not be empty"]
    );
    assert_eq!(located("policy: p\n"), ["1:1 a policy is missing `rules`"]);
}

#[test]
fn a_rule_needs_exactly_one_of_require_and_cases_and_a_case_needs_require() {
    let both = "policy: p\nrules:\n  - id: r\n    require: { Reason: x }\n    cases:\n      - require: { Reason: x }\n";
    assert_eq!(
        located(both),
        ["3:5 a rule needs exactly one of `require` and `cases`, found both"]
    );
    let case = "policy: p\nrules:\n  - id: r\n    cases:\n      - when: { Target: x }\n";
    assert_eq!(located(case), ["5:9 a case is missing `require`"]);
}

#[test]
fn ids_are_at_most_64_characters_of_the_allowed_set() {
    let id = |id: &str| format!("policy: {id}\nrules:\n  - id: r\n    require: {{ Reason: x }}\n");
    assert!(located(&id(&"a".repeat(64))).is_empty());
    assert_eq!(
        located(&id(&"a".repeat(65))),
        [format!("1:9 invalid policy id `{}`", "a".repeat(65))]
    );
    assert_eq!(
        located(&id("-leading-dash")),
        ["1:9 invalid policy id `-leading-dash`"]
    );
    assert!(located(&id("0rg.base_line-1")).is_empty());
}

#[test]
fn an_exception_expires_when_its_day_is_over_in_utc() {
    let yaml = "policy: p\nrules:\n  - id: r\n    require: { Reason: x }\nexceptions:\n  - id: e\n    expires: 2026-12-31\n    reason: x\n";
    let mut sources = SourceMap::new();
    sources.add("policy.yaml", yaml);
    let warnings_at = |clock: &str| compile(&sources, at(clock)).unwrap().warnings;
    assert!(warnings_at("2026-12-31T23:59:59Z").is_empty());
    let expired = warnings_at("2027-01-01T00:00:00Z");
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].level, Level::Warning);
    assert_eq!(
        expired[0].problem,
        Problem::Compile(CompileError::ExpiredException {
            id: "e".to_owned(),
            expires: "2026-12-31".to_owned()
        })
    );
}

#[test]
fn a_missing_exception_reason_and_an_unreadable_expiry_are_errors() {
    let yaml = "policy: p\nrules:\n  - id: r\n    require: { Reason: x }\nexceptions:\n  - id: e\n    expires: next year\n";
    assert_eq!(
        located(yaml),
        [
            "6:5 an exception is missing `reason`",
            "7:14 `next year` is not an RFC 3339 timestamp or a date"
        ]
    );
}

#[test]
fn duplicate_policy_ids_across_files_name_the_first_place() {
    let mut sources = SourceMap::new();
    sources.add(
        "a.yaml",
        "policy: shared\nrules:\n  - id: r\n    require: { Reason: x }\n",
    );
    sources.add(
        "b.yaml",
        "# another\npolicy: shared\nrules:\n  - id: s\n    require: { Target: x }\n",
    );
    let diagnostics = compile(&sources, now()).unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].position(&sources), "b.yaml:2:1");
    assert_eq!(
        diagnostics[0].help().as_deref(),
        Some("first defined at a.yaml:1")
    );
}

#[test]
fn a_duplicate_policy_id_is_reported_even_when_both_files_have_other_problems() {
    let mut sources = SourceMap::new();
    sources.add(
        "a.yaml",
        "policy: shared\nrules:\n  - id: r\n    requir: { Reason: x }\n",
    );
    sources.add(
        "b.yaml",
        "policy: shared\nrules:\n  - id: s\n    require: { Reasn: x }\n",
    );
    let diagnostics = compile(&sources, now()).unwrap_err();
    let found: Vec<(String, String)> = diagnostics
        .iter()
        .map(|d| (d.position(&sources), d.message()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "a.yaml:4:5".to_owned(),
                "unknown key `requir` in a rule".to_owned()
            ),
            (
                "b.yaml:1:1".to_owned(),
                "policy `shared` is defined twice".to_owned()
            ),
            ("b.yaml:4:16".to_owned(), "unknown field `Reasn`".to_owned()),
        ]
    );
}

/// A policy whose second rule is `rule` (YAML at the rule's indentation), after a good one.
fn with_second_rule(rule: &str) -> String {
    let body: String = rule.lines().map(|line| format!("    {line}\n")).collect();
    format!(
        "policy: p\nrules:\n  - id: good\n    require: {{ Reason: x }}\n  - {}",
        body.trim_start()
    )
}

#[test]
fn every_way_a_rule_fails_to_compile_is_an_error_at_the_rule_and_the_set_does_not_compile() {
    let broken = [
        "id: r\nrequire: { Reason: { matchs: x } }",
        "id: r\nrequire: { Target: { lt: 3 } }",
        "id: r\nrequire: { Reasn: x }",
        "id: r\nrequire: { Reason: { exists: maybe } }",
        "id: r\nrequire: { Reason: { present: 1 } }",
        "id: r\nrequire: { Reason: { type: text } }",
        "id: r\nrequire: { Reason: { equals: [a] } }",
        "id: r\nrequire: { Reason: { in: [] } }",
        "id: r\nrequire: { Reason: { in: [~] } }",
        "id: r\nrequire: { Duration: { in: [soon] } }",
        "id: r\nrequire: { StartDate: { in: [yesterday] } }",
        "id: r\nrequire: { Reason: { glob: [] } }",
        "id: r\nrequire: { Reason: { glob: 'a[' } }",
        "id: r\nrequire: { Reason: { glob: [{ a: 1 }] } }",
        "id: r\nrequire: { Reason: { matches: '(' } }",
        "id: r\nrequire: { Reason: { matches: [a] } }",
        "id: r\nrequire: { Reason: { min_length: -1 } }",
        "id: r\nrequire: { Reason: { max_length: x } }",
        "id: r\nrequire: { Duration: { lte: x } }",
        "id: r\nrequire: { Duration: { lte: { field: Reason } } }",
        "id: r\nrequire: { Duration: { lte: { field: Nope } } }",
        "id: r\nrequire: { Duration: { lte: { field: MaxSessionDuration, x: 1 } } }",
        "id: r\nrequire: { StartDate: { before: soon } }",
        "id: r\nrequire: { StartDate: { after: { field: Duration } } }",
        "id: r\nrequire: { StartDate: { during: { days: [mon, funday] } } }",
        "id: r\nrequire: { StartDate: { during: { from: '25:00' } } }",
        "id: r\nrequire: { StartDate: { during: { offset: '+99:00' } } }",
        "id: r\nrequire: { StartDate: { during: { from: '08:00', to: '08:00' } } }",
        "id: r\nrequire: { StartDate: { during: { days: mon } } }",
        "id: r\nrequire: { StartDate: { during: { hours: 3 } } }",
        "id: r\nrequire: { StartDate: { during: [mon] } }",
        "id: r\nrequire: { OutputUrl: x }",
        "id: r\nrequire: { Reason: {} }",
        "id: r\nrequire: {}",
        "id: r\nrequire: { any: [] }",
        "id: r\nrequire: { any: x }",
        "id: r\nrequire: { not: x }",
        "id: r\nrequire: x",
        "id: r\nrequire: { Reason: x }\ncases: [{ require: { Reason: x } }]",
        "id: r",
        "id: r\nrequir: { Reason: x }",
        "id: r\ncases: []",
        "id: r\ncases: [{ require: { Reason: x } }, { when: { Reason: y }, require: { Reason: x } }]",
        "id: r\ncases: [{ when: { Reason: y } }]",
        "id: r\ncases: [x]",
        "id: r\nwhen: { Reasn: x }\nrequire: { Reason: x }",
        "id: r\nrequire: { Reason: x }\nseverity: hihg",
        "id: r\nrequire: { Reason: x }\naction: block",
        "id: r\nrequire: { Reason: x }\nmessage: '{Nope}'",
        "id: r\nrequire: { Reason: x }\nmessage: 'open {Reason'",
        "id: r\nrequire: { Reason: x }\nmessage: [x]",
        "id: r\nrequire: { Reason: x }\ndescription: [x]",
        "id: r\nrequire: { Reason: x }\ncolour: red",
        "id: R!\nrequire: { Reason: x }",
        "require: { Reason: x }",
        "id: [r]\nrequire: { Reason: x }",
        "id: good\nrequire: { Reason: x }",
    ];
    for rule in broken {
        let yaml = with_second_rule(rule);
        let mut sources = SourceMap::new();
        sources.add("policy.yaml", yaml.as_str());
        let Err(found) = compile(&sources, now()) else {
            panic!("compiled without a word:\n{yaml}");
        };
        let errors: Vec<&Diagnostic> = found.iter().filter(|d| d.level == Level::Error).collect();
        assert!(!errors.is_empty(), "{yaml}");
        assert!(
            errors
                .iter()
                .all(|d| d.location.is_some_and(|at| at.line >= 5)),
            "an error outside the broken rule:\n{yaml}\n{errors:?}"
        );
    }
}

#[test]
fn a_second_yaml_document_in_a_policy_file_is_an_error() {
    let yaml = "policy: p\nrules:\n  - id: r\n    require: { Reason: x }\n---\npolicy: q\nrules:\n  - id: s\n    require: { Reason: y }\n";
    let found = located(yaml);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("starts another"), "{found:?}");
    // Comments and an end marker after the document are not another one.
    assert!(
        located("policy: p\nrules:\n  - id: r\n    require: { Reason: x }\n...\n# end\n")
            .is_empty()
    );
}
