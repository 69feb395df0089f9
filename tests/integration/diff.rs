//! `diff`: the exact records and transitions for each kind of policy change (a tightened cap,
//! a new rule, a removed waiver, a renamed rule), exit codes, and `REV:PATH` in a scratch git
//! repository.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{NOW, Run, root, run, scratch_dir};

const DIR: &str = "tests/fixtures/diff";
const EXPORT: &str = "tests/fixtures/diff/export.jsonl";

/// `diff --now NOW --from DIR/from --to DIR/to` with `args`.
fn diff(from: &str, to: &str, args: &[&str]) -> Run {
    let from = format!("{DIR}/{from}");
    let to = format!("{DIR}/{to}");
    let mut all = vec!["diff", "--now", NOW, "--from", &from, "--to", &to];
    all.extend_from_slice(args);
    run(&all)
}

/// Each change as `(session, from, to, transition, added, removed)`.
fn changes(report: &Value) -> Vec<(String, String, String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let ids = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(",")
    };
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                text(&c["session_id"]),
                text(&c["from"]),
                text(&c["to"]),
                text(&c["transition"]),
                ids(&c["added"]),
                ids(&c["removed"]),
            )
        })
        .collect()
}

fn change(
    session: &str,
    from: &str,
    to: &str,
    transition: &str,
    added: &str,
    removed: &str,
) -> (String, String, String, String, String, String) {
    (
        session.to_owned(),
        from.to_owned(),
        to.to_owned(),
        transition.to_owned(),
        added.to_owned(),
        removed.to_owned(),
    )
}

#[test]
fn a_tightened_cap_denies_the_sessions_between_the_old_and_new_cap() {
    let run = diff("old", "tightened", &["--format", "json", EXPORT]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        changes(&report),
        [change(
            "s-long",
            "allow",
            "deny",
            "tighten",
            "access/duration-cap",
            ""
        )]
    );
    let first = &report["changes"][0];
    assert_eq!(first["source"], EXPORT);
    assert_eq!(first["record"], 2);
    assert_eq!(first["line"], 2);
    assert_eq!(first["target"], "i-0bbb");
    assert_eq!(report["summary"]["evaluated"], 6);
    assert_eq!(report["summary"]["changed"], 1);
    assert_eq!(report["summary"]["tighten"], 1);
    assert_eq!(
        report["summary"]["transitions"],
        serde_json::json!([{"from": "allow", "to": "deny", "transition": "tighten", "records": 1}])
    );
    assert_eq!(
        report["summary"]["rules"],
        serde_json::json!([{"rule": "access/duration-cap", "added": 1, "removed": 0, "changed": 0}])
    );
    assert_eq!(report["summary"]["top_targets"][0]["name"], "i-0bbb");
}

#[test]
fn a_new_rule_shows_on_the_records_it_breaks() {
    let run = diff("old", "new-rule", &["--format", "json", EXPORT]);
    assert_eq!(run.code, 1);
    assert_eq!(
        changes(&run.json()),
        [change(
            "s-forward",
            "allow",
            "deny",
            "tighten",
            "access/approved-documents",
            ""
        )]
    );
}

#[test]
fn a_removed_waiver_adds_the_rule_it_waived() {
    let run = diff("old", "removed-waiver", &["--format", "json", EXPORT]);
    assert_eq!(run.code, 1);
    assert_eq!(
        changes(&run.json()),
        [change(
            "s-breakglass",
            "allow",
            "deny",
            "tighten",
            "access/sso-only",
            ""
        )]
    );
}

#[test]
fn a_renamed_rule_is_one_id_removed_and_one_added_with_the_same_decision() {
    let run = diff("old", "renamed", &["--format", "json", EXPORT]);
    assert_eq!(
        run.code, 1,
        "a change of rules fails with the default --fail-on any"
    );
    assert_eq!(
        changes(&run.json()),
        [
            change(
                "s-noreason",
                "warn",
                "warn",
                "same",
                "access/reason-required",
                "access/reason-present"
            ),
            change(
                "s-denied",
                "deny",
                "deny",
                "same",
                "access/reason-required",
                "access/reason-present"
            ),
        ]
    );
    // Same-decision changes have no direction.
    assert_eq!(
        diff("old", "renamed", &["--fail-on", "tighten", EXPORT]).code,
        0
    );
    assert_eq!(
        diff("old", "renamed", &["--fail-on", "loosen", EXPORT]).code,
        0
    );
}

#[test]
fn the_reverse_change_loosens_and_fail_on_chooses_the_direction() {
    let run = diff("tightened", "old", &["--format", "jsonl", EXPORT]);
    assert_eq!(run.code, 1);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["session_id"], "s-long");
    assert_eq!(lines[0]["transition"], "loosen");
    assert_eq!(
        lines[0]["removed"],
        serde_json::json!(["access/duration-cap"])
    );
    assert_eq!(
        diff("tightened", "old", &["--fail-on", "tighten", EXPORT]).code,
        0
    );
    assert_eq!(
        diff("tightened", "old", &["--fail-on", "loosen", EXPORT]).code,
        1
    );
    assert_eq!(
        diff("old", "tightened", &["--fail-on", "loosen", EXPORT]).code,
        0
    );
    assert_eq!(
        diff("old", "tightened", &["--fail-on", "tighten", EXPORT]).code,
        1
    );
}

#[test]
fn an_action_change_is_a_change_of_decision_with_the_rule_marked_changed() {
    let dir = scratch_dir("diff-action");
    let text = std::fs::read_to_string(root().join(DIR).join("old/access.yaml")).unwrap();
    std::fs::write(
        dir.join("access.yaml"),
        text.replace("    action: warn\n", ""),
    )
    .unwrap();
    let to = dir.to_str().unwrap();
    let from = format!("{DIR}/old");
    let run = run(&[
        "diff", "--now", NOW, "--from", &from, "--to", to, "--format", "json", EXPORT,
    ]);
    assert_eq!(run.code, 1);
    let report = run.json();
    assert_eq!(
        changes(&report),
        [change("s-noreason", "warn", "deny", "tighten", "", "")]
    );
    assert_eq!(
        report["changes"][0]["changed"],
        serde_json::json!(["access/reason-present"])
    );
}

/// A rule whose tags cannot be learned acts as its `on_unknown` says: going from `warn` to `deny`
/// there is the rule's action changing on every record, though its own `action` stays.
#[test]
fn an_on_unknown_change_is_an_action_change_of_the_rules_that_could_not_be_judged() {
    let dir = scratch_dir("diff-on-unknown");
    let policy = |on_unknown: &str| {
        format!(
            "policy: tagged\nrules:\n  - id: prod-reason\n    on_unknown: {on_unknown}\n    when: {{ TargetTags.Environment: prod }}\n    require: {{ Reason: {{ matches: \"^INC-\" }} }}\n"
        )
    };
    for (name, on_unknown) in [("old", "warn"), ("new", "deny")] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("tagged.yaml"), policy(on_unknown)).unwrap();
    }
    let (from, to) = (dir.join("old"), dir.join("new"));
    let run = run(&[
        "diff",
        "--now",
        NOW,
        "--from",
        from.to_str().unwrap(),
        "--to",
        to.to_str().unwrap(),
        "--format",
        "json",
        EXPORT,
    ]);
    let report = run.json();
    let changes = report["changes"].as_array().unwrap();
    // Every record but the one whose Reason meets the requirement, where tags do not matter.
    let sessions: Vec<_> = changes.iter().map(|c| c["session_id"].clone()).collect();
    assert_eq!(
        sessions,
        ["s-clean", "s-long", "s-noreason", "s-forward", "s-denied"],
        "{report}"
    );
    for change in changes {
        assert_eq!(change["from"], "warn", "{change}");
        assert_eq!(change["to"], "deny", "{change}");
        assert_eq!(change["changed"], serde_json::json!(["tagged/prod-reason"]));
    }
}

#[test]
fn the_same_set_changes_nothing_and_exits_0() {
    let run = diff("old", "old", &[EXPORT]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("6 records compared, 0 changed"),
        "{}",
        run.stdout
    );
    let builtin = super::support::run(&[
        "diff",
        "--now",
        NOW,
        "--from",
        "builtin",
        "--to",
        "default",
        "examples/sessions.json",
    ]);
    assert_eq!(builtin.code, 0, "{}", builtin.stderr);
}

#[test]
fn text_lists_each_change_then_the_summary() {
    let run = diff("old", "renamed", &[EXPORT]);
    assert_eq!(
        run.stdout.lines().take(4).collect::<Vec<_>>(),
        [
            "tests/fixtures/diff/export.jsonl:4 (record 4) s-noreason on i-0bbb by \
             arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_1a2b/ben",
            "  warn -> warn (same)",
            "  + access/reason-required",
            "  - access/reason-present",
        ]
    );
    assert!(
        run.stdout
            .contains("6 records compared, 2 changed: 0 tighten, 0 loosen, 2 same")
    );
}

#[test]
fn output_is_identical_for_every_number_of_jobs() {
    // Enough records for several batches, so that the parallel pipeline reorders.
    let dir = scratch_dir("diff-jobs");
    let export = std::fs::read_to_string(root().join(EXPORT)).unwrap();
    let many = dir.join("many.jsonl");
    std::fs::write(&many, export.repeat(1000)).unwrap();
    let many = many.to_str().unwrap();
    let one = diff("old", "renamed", &["--format", "json", "--jobs", "1", many]);
    let four = diff("old", "renamed", &["--format", "json", "--jobs", "4", many]);
    assert_eq!(one.code, 1);
    assert!(one.stdout == four.stdout, "--jobs 1 and --jobs 4 differ");
    assert_eq!(one.json()["summary"]["changed"], 2000);
}

#[test]
fn exit_code_is_2_when_either_set_does_not_load_and_3_when_input_is_lost() {
    let missing = diff("old", "no-such-folder", &[EXPORT]);
    assert_eq!(missing.code, 2);
    assert!(missing.stdout.is_empty());
    assert!(missing.stderr.contains("--to"), "{}", missing.stderr);
    let broken = run(&[
        "diff",
        "--from",
        "tests/fixtures/broken",
        "--to",
        "builtin",
        EXPORT,
    ]);
    assert_eq!(broken.code, 2, "{}", broken.stderr);
    let bad_rev = run(&[
        "diff",
        "--from",
        "no-such-rev-xyz:policies",
        "--to",
        "builtin",
        EXPORT,
    ]);
    assert_eq!(bad_rev.code, 2);
    assert!(bad_rev.stderr.contains("git"), "{}", bad_rev.stderr);

    let lost = diff(
        "old",
        "tightened",
        &["--format", "json", EXPORT, "no/such/export.json"],
    );
    assert_eq!(lost.code, 3, "input lost outranks changes");
    assert_eq!(lost.json()["summary"]["changed"], 1);
}

// ------------------------------------------------------------------ REV:PATH

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", repo)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_git_revision_is_read_without_a_checkout() {
    let repo = scratch_dir("diff-git");
    let policies = repo.join("policies/access");
    std::fs::create_dir_all(&policies).unwrap();
    let fixture = root().join(DIR);
    for file in ["access.yaml", "access.test.yaml"] {
        std::fs::copy(fixture.join("old").join(file), policies.join(file)).unwrap();
    }
    std::fs::copy(root().join(EXPORT), repo.join("export.jsonl")).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "policies"]);
    std::fs::copy(
        fixture.join("tightened/access.yaml"),
        policies.join("access.yaml"),
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "tighten the cap"]);
    // The working tree changes again, so the revision is plainly not read from it.
    std::fs::copy(
        fixture.join("new-rule/access.yaml"),
        policies.join("access.yaml"),
    )
    .unwrap();

    let diff = |from: &str, to: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_ssm-guard"))
            .args([
                "diff", "--now", NOW, "--format", "json", "--from", from, "--to", to,
            ])
            .arg("export.jsonl")
            .current_dir(&repo)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (code, stdout, stderr) = diff("HEAD~1:policies", "HEAD:policies");
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        changes(&report),
        [change(
            "s-long",
            "allow",
            "deny",
            "tighten",
            "access/duration-cap",
            ""
        )]
    );

    // Against the working tree: the cap is back to OLD's in the working file, and the new rule
    // is in it, so only the new rule's record changes.
    let (code, stdout, stderr) = diff("HEAD~1:policies", "policies");
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        changes(&report),
        [change(
            "s-forward",
            "allow",
            "deny",
            "tighten",
            "access/approved-documents",
            ""
        )]
    );

    // Diagnostics name files as `REV:FILE`.
    std::fs::write(repo.join("policies/access/access.yaml"), "policy: [\n").unwrap();
    git(&repo, &["commit", "-q", "-am", "break it"]);
    let (code, _, stderr) = diff("HEAD:policies", "HEAD~1:policies");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("HEAD:policies/access/access.yaml"),
        "{stderr}"
    );
}
