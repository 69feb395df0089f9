//! The shipped policies' own tests (`policies/*/*.test.yaml`), run as CI runs them
//! (`ssm-guard test --strict policies/`), so that `cargo test` fails on a failing test, an
//! uncovered rule or a vacuous test; and proof, on a copy with a broken expectation, that it can.

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
