//! JUnit XML: a suite per policy, counts that add up, input errors as errors.

use super::*;

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_parses_with_a_suite_per_policy_and_counts_that_add_up() {
    let dir = scratch_dir("junit");
    let policy = write(&dir, "t.yaml", POLICY);
    // Markup, quotes, a CDATA end, a control character and a newline in what is reported.
    let hostile = json!({
        "SessionId": "s-<&>\"'",
        "Target": "i-1",
        "MaxSessionDuration": "90",
        "DocumentName": "]]><x>\u{1}\nevil",
        "StartDate": "2026-03-01T10:00:00Z"
    });
    let input = write(
        &dir,
        "in.jsonl",
        &format!(
            "{hostile}\n{}\n",
            r#"{"SessionId":"s-2","Target":"mi-2","MaxSessionDuration":"30","DocumentName":"SSM-SessionManagerRunShell"}"#
        ),
    );
    let output = check(&[
        "-p",
        policy.to_str().unwrap(),
        "--format",
        "junit",
        input.to_str().unwrap(),
    ]);
    assert_eq!(output.code, 1);
    let document = roxmltree::Document::parse(&output.stdout)
        .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{}", output.stdout));
    let root_element = document.root_element();
    assert_eq!(root_element.tag_name().name(), "testsuites");
    let suites: Vec<_> = root_element
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("t"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .count()
            .to_string()
    };
    assert_eq!(
        suite.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    assert_eq!(suite.attribute("failures"), Some(count("failure").as_str()));
    assert_eq!(suite.attribute("skipped"), Some(count("skipped").as_str()));
    // s-1 breaks all three rules; s-2's needs-reason is waived.
    assert_eq!(count("failure"), "3");
    assert_eq!(count("skipped"), "1");
    let failure = cases
        .iter()
        .find(|c| c.attribute("classname") == Some("t.note"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
        .unwrap();
    assert_eq!(
        cases[0].attribute("name"),
        Some("s-<&>\"'"),
        "the session id survives escaping"
    );
    let message = failure.attribute("message").unwrap();
    assert_eq!(message, "document ]]><x>\\u{1}\nevil");
    let skipped = cases
        .iter()
        .find_map(|c| c.children().find(|n| n.has_tag_name("skipped")))
        .unwrap();
    assert_eq!(
        skipped.attribute("message"),
        Some("waived by robots: robots \"never\" explain, 100% sure")
    );
    assert_eq!(
        root_element.attribute("failures"),
        suite.attribute("failures")
    );
}

#[test]
fn junit_of_the_examples_and_of_input_errors_parses() {
    for input in EXAMPLES {
        let output = check(&["--format", "junit", input]);
        let document = roxmltree::Document::parse(&output.stdout).unwrap();
        let names: Vec<&str> = document
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .filter_map(|n| n.attribute("name"))
            .collect();
        // One suite per loaded policy, in load order.
        let log = valid_sarif(&check(&["--format", "sarif", input]).stdout);
        let mut policies: Vec<String> = Vec::new();
        for rule in log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
        {
            let policy = rule["properties"]["policy"].as_str().unwrap().to_owned();
            if !policies.contains(&policy) {
                policies.push(policy);
            }
        }
        assert_eq!(names, policies, "{input}");
    }
    let dir = scratch_dir("junit-errors");
    let input = write(&dir, "bad.jsonl", "{\"SessionId\":\"a\"}\n{oops\n");
    let output = check(&["--format", "junit", input.to_str().unwrap()]);
    assert_eq!(output.code, 3);
    let document = roxmltree::Document::parse(&output.stdout).unwrap();
    let errors = document
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .count();
    assert_eq!(errors, 1);
    assert_eq!(document.root_element().attribute("errors"), Some("1"));
}
