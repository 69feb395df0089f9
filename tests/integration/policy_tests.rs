//! `ssm-guard test`: the shipped policies' own tests (`policies/*/*.test.yaml`), run as CI runs
//! them (`ssm-guard test --strict policies/`), so that `cargo test` fails on a failing test, an
//! uncovered rule or a vacuous test, with proof on a broken copy that it can; the command's JUnit
//! output; and `explain`, which lists the tests that `test` reads.

use std::path::{Path, PathBuf};

use ssm_guard::Timestamp;
use ssm_guard::testing;

use crate::support::{root, run, scratch_dir};

/// What fails `ssm-guard test` over `path` (with `--strict`, when `strict`), one line each:
/// problems loading the policies or tests, failed tests, uncovered rules, vacuous tests.
fn problems(path: &Path, strict: bool) -> Vec<String> {
    // As the command does: tests without `now` are evaluated at the current time.
    let clock = Timestamp::now();
    match testing::load_suites(&[path.to_path_buf()], clock) {
        Ok(suites) => testing::run(&suites, clock).problems(strict),
        Err((sources, diagnostics)) => diagnostics
            .iter()
            .map(|d| format!("does not load: {}", d.render(&sources, false)))
            .collect(),
    }
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A copy of the shipped `duration-caps` folder, its test file passed through `edit`.
fn edited_duration_caps(name: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let folder = scratch_dir(name).join("duration-caps");
    copy_folder(&root().join("policies/duration-caps"), &folder);
    let tests = folder.join("duration-caps.test.yaml");
    let text = std::fs::read_to_string(&tests).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&tests, edited).unwrap();
    folder
}

#[test]
fn the_shipped_policy_tests_pass_strictly() {
    let problems = problems(&root().join("policies"), true);
    assert!(
        problems.is_empty(),
        "`ssm-guard test --strict policies/` fails:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn a_broken_expectation_in_a_copy_of_a_shipped_folder_fails_the_strict_run() {
    let broken = "the production EC2 fleet is capped at 60 minutes";
    let folder = edited_duration_caps("broken-expectation", |text| {
        // That test's session breaks the cap: expecting no violation is wrong.
        let at = text.find(broken).unwrap();
        let (head, tail) = text.split_at(at);
        let tail = tail.replacen(
            "violations: [duration-caps/max-session-duration-per-target]",
            "violations: []",
            1,
        );
        format!("{head}{tail}")
    });
    let problems = problems(&folder, true);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("test failed: ")
            && problems[0].contains(broken)
            && problems[0].contains(
                "violations: given but not expected: duration-caps/max-session-duration-per-target"
            ),
        "{}",
        problems[0]
    );
    // The command agrees.
    let folder = folder.to_str().unwrap();
    assert_eq!(run(&["test", "--strict", folder]).code, 1);
}

#[test]
fn an_uncovered_rule_fails_only_the_strict_run() {
    // Only the first test is kept: it sees both rules pass, but none fail.
    let folder = edited_duration_caps("uncovered", |text| {
        let second = text.find("\n  - name: a 100-minute").unwrap();
        format!("{}\n", &text[..second])
    });
    assert_eq!(problems(&folder, false), Vec::<String>::new());
    assert_eq!(
        problems(&folder, true),
        [
            "rule uncovered: duration-caps/max-session-duration-per-target: no test made it fail",
            "rule uncovered: duration-caps/running-session-length-per-target: no test applied to it",
            "rule uncovered: duration-caps/session-length-per-target: no test made it fail",
        ]
    );
    let folder = folder.to_str().unwrap();
    assert_eq!(run(&["test", folder]).code, 0);
    assert_eq!(run(&["test", "--strict", folder]).code, 1);
}

#[test]
fn a_vacuous_test_fails_only_the_strict_run() {
    let folder = edited_duration_caps("vacuous", |text| {
        // A session that no rule applies to, expected to have no violations.
        text.replacen(
            "tests:\n",
            "tests:\n  - name: nothing applies\n    session: { Status: Terminated }\n    \
             expect: { violations: [] }\n",
            1,
        )
    });
    let problems = problems(&folder, true);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("test vacuous: ") && problems[0].contains("nothing applies"),
        "{}",
        problems[0]
    );
}

/// A policy `t` with one rule, and a test file beside it whose names and failures hold every
/// character that XML escapes or cannot hold.
fn nasty_suite(name: &str) -> PathBuf {
    let folder = scratch_dir(name);
    std::fs::write(
        folder.join("t.yaml"),
        "policy: t\nrules:\n  - id: needs-reason\n    require: { Reason: { present: true } }\n    \
         message: no Reason\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("t.test.yaml"),
        r#"tests:
  - name: "it's <fine> & \"quoted\""
    session: { SessionId: s-1, Reason: r }
    expect: { violations: [] }
  - name: "tab\there, bell\x07, \uFFFE, cr\r"
    session: { SessionId: s-2 }
    expect:
      decision: allow
      violations: [{ rule: t/needs-reason, message_contains: "a \"b\"" }]
"#,
    )
    .unwrap();
    folder
}

#[test]
fn test_junit_escapes_as_check_junit_does_and_parses() {
    let folder = nasty_suite("test-junit");
    let run = run(&["test", "--format", "junit", folder.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let file = folder.join("t.test.yaml");
    let file = file.display();
    // Markup is escaped, line breaks, tabs and carriage returns in attributes are character
    // references, and what XML 1.0 cannot hold (U+0007, U+FFFE) is written as `\u{..}`.
    let expected = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ssm-guard test" tests="2" failures="1">
  <testsuite name="{file}" tests="2" failures="1">
    <testcase classname="{file}" name="it's &lt;fine&gt; &amp; &quot;quoted&quot;"/>
    <testcase classname="{file}" name="tab&#9;here, bell\u{{7}}, \u{{fffe}}, cr&#13;">
      <failure message="violations: t/needs-reason was given, but not with a message containing &quot;a \&quot;b\&quot;&quot;">violations: t/needs-reason was given, but not with a message containing "a \"b\""
decision: expected allow, got deny</failure>
    </testcase>
  </testsuite>
</testsuites>
"#
    );
    assert_eq!(run.stdout, expected);
    let document = roxmltree::Document::parse(&run.stdout).unwrap();
    let names: Vec<&str> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(
        names,
        [
            "it's <fine> & \"quoted\"",
            "tab\there, bell\\u{7}, \\u{fffe}, cr\r"
        ]
    );
}

#[test]
fn explain_lists_the_tests_that_test_reads_and_passes_over_a_file_test_rejects() {
    let folder = nasty_suite("explain-tests");
    // A second test file, which `test` rejects: `explain` does not read what it can of it.
    std::fs::write(
        folder.join("broken.test.yaml"),
        "tests:\n  - name: half\n    session: {}\n    expect: { violations: [t/needs-reason] }\n    \
         extra: 1\n",
    )
    .unwrap();
    let policy = folder.join("t.yaml");
    let run = run(&["explain", "t/needs-reason", "-p", policy.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = run.stdout.split("tests that name it:\n").nth(1).unwrap();
    assert_eq!(
        listed,
        format!(
            "  {}:5: tab\there, bell\u{7}, \u{fffe}, cr\r (violates it)\n",
            folder.join("t.test.yaml").display()
        )
    );
}
