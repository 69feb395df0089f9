//! Shell completions and man pages: the bash script is loaded in bash and asked to complete,
//! the other shells' scripts name every subcommand, and the man pages are roff.

use std::process::{Command, Stdio};

use crate::support::{run, scratch_dir};

const SUBCOMMANDS: [&str; 10] = [
    "check",
    "diff",
    "hook",
    "validate",
    "test",
    "rules",
    "explain",
    "schema",
    "completions",
    "man",
];

/// Runs `script` in a non-interactive bash after sourcing the completion script at `path`.
fn bash(path: &std::path::Path, script: &str) -> Option<String> {
    let program = format!("source {}\n{script}", path.display());
    let output = match Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "bash cannot be run: {error}"
            );
            eprintln!("SKIPPED: bash cannot be run: {error}");
            return None;
        }
    };
    assert!(
        output.status.success(),
        "bash failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}

/// Completes the words of a command line, the cursor after the last, as bash would: calls
/// `function` (what `complete -p ssm-guard` names) with `COMP_WORDS` and `COMP_CWORD` set.
fn complete(path: &std::path::Path, function: &str, words: &[&str]) -> Option<Vec<String>> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "COMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n\
         {function} ssm-guard \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let out = bash(path, &script)?;
    Some(
        out.lines()
            .map(|line| line.trim().to_owned())
            .filter(|line| !line.is_empty())
            .collect(),
    )
}

#[test]
fn the_bash_completion_loads_and_completes_subcommands_and_values() {
    let dir = scratch_dir("completions");
    let script = run(&["completions", "bash"]);
    assert_eq!(script.code, 0, "{}", script.stderr);
    let path = dir.join("ssm-guard.bash");
    std::fs::write(&path, &script.stdout).unwrap();
    let Some(registered) = bash(&path, "complete -p ssm-guard") else {
        return;
    };
    // `complete -o ... -F FUNCTION ssm-guard`: bash calls FUNCTION to complete ssm-guard.
    let words: Vec<&str> = registered.split_whitespace().collect();
    assert_eq!(words.last(), Some(&"ssm-guard"), "{registered}");
    let function = words
        .windows(2)
        .find(|pair| pair[0] == "-F")
        .map(|pair| pair[1])
        .unwrap_or_else(|| panic!("no -F function in {registered}"));
    // `ssm-guard ch<TAB>` gives `check`; `ssm-guard <TAB>` every subcommand.
    let Some(check) = complete(&path, function, &["ssm-guard", "ch"]) else {
        return;
    };
    assert_eq!(check, ["check"]);
    let all = complete(&path, function, &["ssm-guard", ""]).unwrap();
    for subcommand in SUBCOMMANDS {
        assert!(
            all.iter().any(|w| w == subcommand),
            "{subcommand} in {all:?}"
        );
    }
    // Values of an option: `check --format j<TAB>`.
    let formats = complete(&path, function, &["ssm-guard", "check", "--format", "j"]).unwrap();
    assert_eq!(formats, ["json", "jsonl", "junit"]);
    let shells = complete(&path, function, &["ssm-guard", "completions", "p"]).unwrap();
    assert_eq!(shells, ["powershell"]);
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = run(&["completions", shell]);
        assert_eq!(script.code, 0, "{shell}: {}", script.stderr);
        for subcommand in SUBCOMMANDS {
            assert!(
                script.stdout.contains(subcommand),
                "{shell} script lacks {subcommand}"
            );
        }
    }
    let unknown = run(&["completions", "tcsh"]);
    assert_eq!(unknown.code, 2);
}

#[test]
fn man_pages_are_roff_for_the_command_and_each_subcommand() {
    let page = run(&["man"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert!(
        page.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &page.stdout[..80]
    );
    assert!(page.stdout.contains(".TH ssm-guard 1"), "{}", page.stdout);
    assert!(page.stdout.contains("check"));
    let dir = scratch_dir("man");
    let written = run(&["man", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    for name in [
        "ssm-guard.1",
        "ssm-guard-check.1",
        "ssm-guard-completions.1",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.contains(".TH"), "{name}");
    }
    let check = std::fs::read_to_string(dir.join("ssm-guard-check.1")).unwrap();
    assert!(check.contains("sarif"), "the check page lists the formats");
}
