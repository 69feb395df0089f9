//! GitHub workflow commands: escaped, located, at the mapped levels.

use super::*;

// ---------------------------------------------------------------- GitHub

/// What the runner makes of a workflow command line: its name, properties and message.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    fn unescape(text: &str) -> String {
        text.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    }
    let rest = line.strip_prefix("::").unwrap();
    let (head, message) = rest.split_once("::").unwrap();
    let (name, properties) = head.split_once(' ').unwrap_or((head, ""));
    let properties = properties
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_owned(), unescape(v))
        })
        .collect();
    (name.to_owned(), properties, unescape(message))
}

#[test]
fn github_commands_are_escaped_and_located() {
    let dir = scratch_dir("github, odd: dir");
    let policy = write(
        &dir,
        "t.yaml",
        "policy: t\nrules:\n  - id: r\n    require: { Reason: { present: true } }\n    message: \"no reason: {SessionId} 100%\"\n",
    );
    let input = write(
        &dir,
        "a,b.jsonl",
        "{\"SessionId\":\"s-1\\r\\nx\"}\n{\"SessionId\":\"s-2\",\"Reason\":\"ok\"}\n{\"SessionId\":\"s-3\"}\n",
    );
    let output = check(&[
        "-p",
        policy.to_str().unwrap(),
        "--format",
        "github",
        input.to_str().unwrap(),
    ]);
    assert_eq!(output.code, 1);
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", output.stdout);
    let (name, properties, message) = parse_command(lines[0]);
    assert_eq!(name, "error");
    assert_eq!(
        properties,
        [
            ("file".to_owned(), input.to_str().unwrap().to_owned()),
            ("line".to_owned(), "1".to_owned()),
            ("title".to_owned(), "t/r (medium deny)".to_owned()),
        ]
    );
    assert_eq!(message, "no reason: s-1\r\nx 100% [session s-1\r\nx]");
    let (_, properties, _) = parse_command(lines[1]);
    assert_eq!(properties[1], ("line".to_owned(), "3".to_owned()));
    let (name, _, message) = parse_command(lines[2]);
    assert_eq!(name, "notice");
    assert!(
        message.starts_with("3 records checked: 2 deny"),
        "{message}"
    );
}

#[test]
fn github_levels_follow_the_mapping() {
    let dir = scratch_dir("github-levels");
    let policy = write(&dir, "t.yaml", POLICY);
    let input = write(
        &dir,
        "in.jsonl",
        "{\"SessionId\":\"s-1\",\"Target\":\"i-1\",\"MaxSessionDuration\":\"90\"}\n{\"SessionId\":\"s-2\",\"Target\":\"mi-2\",\"MaxSessionDuration\":\"30\",\"DocumentName\":\"SSM-SessionManagerRunShell\"}\n",
    );
    let output = check(&[
        "-p",
        policy.to_str().unwrap(),
        "--format",
        "github",
        input.to_str().unwrap(),
    ]);
    let names: Vec<String> = output.stdout.lines().map(|l| parse_command(l).0).collect();
    assert_eq!(names, ["error", "warning", "notice", "notice", "notice"]);
    assert!(
        output
            .stdout
            .lines()
            .nth(3)
            .unwrap()
            .contains("waived by robots")
    );
}
