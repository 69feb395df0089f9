//! The witness engine from the command line. `ssm-guard test --suggest`: on the shipped
//! policies without their tests, the file it prints passes `ssm-guard test --strict` (the
//! acceptance test), per folder with `--write` as well; beside existing tests it adds only what
//! they leave uncovered. `explain --examples`: every example has the outcome it is shown for.

use std::path::Path;

use ssm_guard::model::{ParsedRecord, parse_record};
use ssm_guard::{SourceMap, Timestamp, compile};

use crate::support::{run, scratch_dir};

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

fn remove_tests(folder: &Path) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            remove_tests(&path);
        } else if path.to_string_lossy().ends_with(".test.yaml") {
            std::fs::remove_file(&path).unwrap();
        }
    }
}

/// The shipped policies in a scratch folder, without their tests.
fn untested_policies(name: &str) -> std::path::PathBuf {
    let dir = scratch_dir(name).join("policies");
    copy_folder(Path::new("policies"), &dir);
    remove_tests(&dir);
    dir
}

#[test]
fn a_suggested_file_for_the_untested_shipped_policies_passes_test_strict() {
    let dir = untested_policies("suggest-all");
    let folder = dir.to_str().unwrap();
    let suggested = run(&["test", "--suggest", folder]);
    assert_eq!(suggested.code, 0, "{}", suggested.stderr);
    assert!(
        suggested
            .stdout
            .starts_with("# Suggested by `ssm-guard test --suggest`"),
        "{}",
        suggested.stdout
    );
    assert!(suggested.stdout.contains("REVIEW EVERY CASE"));
    std::fs::write(dir.join("suggested.test.yaml"), &suggested.stdout).unwrap();
    let strict = run(&["test", "--strict", folder]);
    assert_eq!(strict.code, 0, "{}\n{}", strict.stdout, suggested.stdout);
    assert!(!strict.stdout.contains("uncovered"), "{}", strict.stdout);
}

#[test]
fn suggest_tolerates_the_empty_file_its_own_redirection_creates() {
    let dir = untested_policies("suggest-redirect");
    // `ssm-guard test --suggest DIR > DIR/x.test.yaml` creates the file before the command runs.
    std::fs::write(dir.join("suggested.test.yaml"), "").unwrap();
    let suggested = run(&[
        "test",
        "--suggest",
        dir.join("org-baseline").to_str().unwrap(),
    ]);
    assert_eq!(suggested.code, 0, "{}", suggested.stderr);
}

#[test]
fn write_puts_a_file_beside_each_folders_policies() {
    let dir = untested_policies("suggest-write");
    let folders: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["test", "--suggest", "--write"];
    args.extend(folders.iter().map(String::as_str));
    let written = run(&args);
    assert_eq!(written.code, 0, "{}", written.stderr);
    for folder in &folders {
        assert!(
            Path::new(folder).join("suggested.test.yaml").exists(),
            "{folder}"
        );
    }
    let strict = run(&["test", "--strict", dir.to_str().unwrap()]);
    assert_eq!(strict.code, 0, "{}", strict.stdout);
    // A second run finds everything covered by the files it wrote.
    let again = run(&args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("nothing to suggest"),
        "{}",
        again.stderr
    );
}

#[test]
fn write_does_not_replace_a_file_that_may_have_been_reviewed() {
    let dir = untested_policies("suggest-exists").join("sso-owners");
    std::fs::write(dir.join("suggested.test.yaml"), "tests: []\n").unwrap();
    let written = run(&["test", "--suggest", "--write", dir.to_str().unwrap()]);
    assert_eq!(written.code, 2);
    assert!(written.stderr.contains("exists"), "{}", written.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("suggested.test.yaml")).unwrap(),
        "tests: []\n"
    );
}

#[test]
fn beside_full_tests_only_the_uncovered_cases_are_suggested() {
    let dir = scratch_dir("suggest-beside").join("duration-caps");
    copy_folder(Path::new("policies/duration-caps"), &dir);
    let suggested = run(&["test", "--suggest", dir.to_str().unwrap()]);
    assert_eq!(suggested.code, 0, "{}", suggested.stderr);
    // The shipped tests make both rules fail and pass; some cases they leave out.
    let names: Vec<&str> = suggested
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- name: "))
        .collect();
    assert!(names.iter().all(|n| n.contains(" in case ")), "{names:?}");
    std::fs::write(dir.join("suggested.test.yaml"), &suggested.stdout).unwrap();
    let strict = run(&["test", "--strict", dir.to_str().unwrap()]);
    assert_eq!(strict.code, 0, "{}", strict.stdout);
}

#[test]
fn a_path_that_does_not_exist_is_an_error() {
    let run = run(&["test", "--suggest", "no/such/folder"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/folder"), "{}", run.stderr);
}

#[test]
fn several_paths_need_write() {
    let run = run(&[
        "test",
        "--suggest",
        "policies/aws-api",
        "policies/org-baseline",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--write"), "{}", run.stderr);
}

#[test]
fn explain_examples_fail_and_pass_as_they_say_for_the_rule_and_each_case() {
    let id = "org-baseline/duration-cap-per-target";
    let explained = run(&["explain", id, "-p", "policies", "--examples"]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    let mut sources = SourceMap::new();
    sources.add_path(Path::new("policies")).unwrap();
    let set = compile(&sources, Timestamp::now()).unwrap().set;
    let rule = set.find_rule(id).unwrap();
    let examples = explained.stdout.split("\nexamples (").nth(1).unwrap();
    let mut headings = 0;
    let mut lines = examples.lines().skip(1).peekable();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.ends_with("):") || line == "the rule:" {
            headings += 1;
            continue;
        }
        let (label, rest) = line.split_once(", at ").unwrap_or_else(|| panic!("{line}"));
        let (now, _summary) = rest.split_once(": ").unwrap();
        let now = Timestamp::parse(now).unwrap();
        let record = lines.next().unwrap().trim();
        let ParsedRecord::Session(session) = parse_record(record.as_bytes()).unwrap() else {
            panic!("{record}")
        };
        let evaluation = set.evaluate(&session, now);
        let broke = evaluation
            .violations
            .iter()
            .any(|v| std::ptr::eq(v.rule, rule));
        assert_eq!(broke, label == "fails", "{line}\n{record}");
        assert!(set.applies(rule, &session, now), "{record}");
    }
    // The rule, and its six cases.
    assert_eq!(headings, 7, "{examples}");
}

/// Runs `check` on one record under a policy folder at `now`: its decision and broken rules.
fn check_record(policies: &str, record: &serde_json::Value, now: &str) -> (String, Vec<String>) {
    let dir = scratch_dir("synthesize-check");
    let file = dir.join("record.json");
    std::fs::write(&file, record.to_string()).unwrap();
    let checked = run(&[
        "check",
        "-p",
        policies,
        "--now",
        now,
        "--format",
        "json",
        "--fail-on",
        "never",
        file.to_str().unwrap(),
    ]);
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    let result = &checked.json()["results"][0];
    let mut broken: Vec<String> = result["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["waived_by"].is_null())
        .map(|v| {
            format!(
                "{}/{}",
                v["policy"].as_str().unwrap(),
                v["rule"].as_str().unwrap()
            )
        })
        .collect();
    broken.sort();
    broken.dedup();
    (result["decision"].as_str().unwrap().to_owned(), broken)
}

#[test]
fn synthesized_regions_describe_the_change_and_check_agrees_with_each_example() {
    let (old, new) = (
        "tests/fixtures/synthesize/old",
        "tests/fixtures/synthesize/new",
    );
    let text = run(&["diff", "--from", old, "--to", new, "--synthesize"]);
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert!(
        text.stdout.contains(
            "60 < MaxSessionDuration <= 90 and Target glob \"mi-*\": allow -> deny, +corp/cap-by-target"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "AccessType \"JustInTime\" and Reason is not present: warn -> deny, ~corp/reason"
        ),
        "{}",
        text.stdout
    );
    let json = run(&[
        "diff",
        "--from",
        old,
        "--to",
        new,
        "--synthesize",
        "--format",
        "json",
    ]);
    let document = json.json();
    assert_eq!(document["outcome"], "different");
    let regions = document["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 2, "{document:#}");
    for region in regions {
        let now = region["now"].as_str().unwrap();
        let (from, broken_before) = check_record(old, &region["session"], now);
        let (to, broken_after) = check_record(new, &region["session"], now);
        assert_eq!(from, region["from"], "{region:#}");
        assert_eq!(to, region["to"], "{region:#}");
        for added in region["added"].as_array().unwrap() {
            let added = added.as_str().unwrap().to_owned();
            assert!(broken_after.contains(&added) && !broken_before.contains(&added));
        }
        for removed in region["removed"].as_array().unwrap() {
            let removed = removed.as_str().unwrap().to_owned();
            assert!(broken_before.contains(&removed) && !broken_after.contains(&removed));
        }
    }
}

#[test]
fn a_rewritten_but_equivalent_set_is_equivalent() {
    let old = "tests/fixtures/synthesize/old";
    let same = "tests/fixtures/synthesize/same";
    let json = run(&[
        "diff",
        "--from",
        old,
        "--to",
        same,
        "--synthesize",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 0, "{}{}", json.stdout, json.stderr);
    assert_eq!(json.json()["outcome"], "equivalent");
    assert_eq!(json.json()["regions"], serde_json::json!([]));
    // The shipped policies against themselves, and against the embedded set.
    assert_eq!(
        run(&[
            "diff",
            "--from",
            "policies",
            "--to",
            "policies",
            "--synthesize"
        ])
        .code,
        0
    );
    let builtin = run(&[
        "diff",
        "--from",
        "builtin",
        "--to",
        "policies",
        "--synthesize",
    ]);
    assert_eq!(builtin.code, 1, "{}", builtin.stderr);
}

#[test]
fn synthesize_takes_no_inputs_and_pins_now_when_asked() {
    let refused = run(&[
        "diff",
        "--from",
        "builtin",
        "--to",
        "policies",
        "--synthesize",
        "tests/fixtures/inputs/single.json",
    ]);
    assert_eq!(refused.code, 2);
    let pinned = run(&[
        "diff",
        "--from",
        "tests/fixtures/synthesize/old",
        "--to",
        "tests/fixtures/synthesize/new",
        "--synthesize",
        "--now",
        "2027-01-05T12:00:00Z",
        "--format",
        "jsonl",
    ]);
    assert_eq!(pinned.code, 1);
    for region in pinned.json_lines() {
        assert_eq!(region["now"], "2027-01-05T12:00:00Z");
    }
}
