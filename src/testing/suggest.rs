//! `ssm-guard test --suggest`: a test file that makes every rule and case fail and pass (and
//! every exception waive), for what the tests beside the policies leave uncovered. The sessions
//! come from the witness engine; each expectation is what the policies give the session, so
//! the file passes `ssm-guard test --strict`, and says at its top that it must be reviewed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::{Suite, TestCase, load_folder, run_text};
use crate::diagnostic::Diagnostic;
use crate::model::{Field, Session, TagFamily, Timestamp};
use crate::policy::{Body, CompiledPolicySet, Evaluation};
use crate::source::SourceMap;
use crate::witness::{Answer, Budget, Engine, Outcome, Query, Witness};

/// The name `--write` gives the file, in the folder of the policies.
pub const FILE_NAME: &str = "suggested.test.yaml";

/// A suggested test file for one folder.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub folder: PathBuf,
    /// The test file.
    pub text: String,
    /// How many tests it holds.
    pub tests: usize,
    /// Outcomes that neither the tests beside the policies nor the suggestion cover, each
    /// with why: `policy/rule can never pass (proved)`.
    pub gaps: Vec<String>,
    /// Whether, with the tests beside them, every rule is covered (`test --strict` passes).
    pub complete: bool,
}

/// One outcome a test can show: a rule (or one of its cases) failing or passing, or an
/// exception waiving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Fails { rule: usize, case: Option<usize> },
    Passes { rule: usize, case: Option<usize> },
    Waives { policy: usize, exception: usize },
}

/// The outcomes a run of tests showed.
#[derive(Debug, Default)]
struct Shown {
    targets: BTreeSet<Target>,
}

impl Shown {
    /// Notes what one session shows: for each rule that applies, its case and whether it
    /// failed, and which exceptions waived.
    fn add(&mut self, set: &CompiledPolicySet, session: &Session<'_>, now: Timestamp) {
        let evaluation = set.evaluate(session, now);
        for (index, rule) in set.rules.iter().enumerate() {
            let Some((_, case)) = rule.requirement(session, now) else {
                continue;
            };
            let case = match (&rule.body, case) {
                (Body::Cases(cases), Some(chosen)) => {
                    cases.iter().position(|c| std::ptr::eq(c, chosen))
                }
                _ => None,
            };
            let failed = evaluation
                .violations
                .iter()
                .any(|v| std::ptr::eq(v.rule, rule));
            let mut note = |case| {
                self.targets.insert(if failed {
                    Target::Fails { rule: index, case }
                } else {
                    Target::Passes { rule: index, case }
                });
            };
            note(None);
            if case.is_some() {
                note(case);
            }
        }
        for violation in &evaluation.violations {
            let Some(waiver) = violation.waived_by else {
                continue;
            };
            for (policy, p) in set.policies.iter().enumerate() {
                if let Some(exception) = p.exceptions.iter().position(|e| std::ptr::eq(e, waiver)) {
                    self.targets.insert(Target::Waives { policy, exception });
                }
            }
        }
    }
}

/// Every outcome worth a test: each rule fails and passes, each case of a rule with cases
/// does, and each exception waives.
fn targets(set: &CompiledPolicySet) -> Vec<Target> {
    let mut fails = Vec::new();
    let mut passes = Vec::new();
    for (rule, r) in set.rules.iter().enumerate() {
        let cases: Vec<Option<usize>> = match &r.body {
            Body::Require(_) => vec![None],
            Body::Cases(cases) => (0..cases.len()).map(Some).collect(),
        };
        for case in cases {
            fails.push(Target::Fails { rule, case });
            passes.push(Target::Passes { rule, case });
        }
    }
    let mut all = fails;
    all.extend(passes);
    for (policy, p) in set.policies.iter().enumerate() {
        for exception in 0..p.exceptions.len() {
            all.push(Target::Waives { policy, exception });
        }
    }
    all
}

/// A test to write.
struct Suggested {
    name: String,
    witness: Witness,
    evaluation: Expected,
}

/// What a test expects, from the evaluation of its session.
struct Expected {
    decision: &'static str,
    violations: Vec<String>,
    waived: Vec<String>,
}

impl Expected {
    fn of(evaluation: &Evaluation<'_>) -> Self {
        let ids = |waived: bool| -> Vec<String> {
            let mut ids: Vec<String> = evaluation
                .violations
                .iter()
                .filter(|v| v.is_waived() == waived)
                .map(|v| v.id().to_owned())
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        Self {
            decision: evaluation.decision.name(),
            violations: ids(false),
            waived: ids(true),
        }
    }
}

/// Suggests tests for the policies of a folder (a file stands for its folder).
pub fn suggest(
    path: &Path,
    clock: Timestamp,
    budget: Budget,
) -> Result<Suggestion, (SourceMap, Vec<Diagnostic>)> {
    if let Err(error) = std::fs::metadata(path) {
        let problem = super::TestFileError::Io {
            path: path.display().to_string(),
            message: error.to_string(),
        };
        return Err((
            SourceMap::new(),
            vec![Diagnostic {
                level: crate::diagnostic::Level::Error,
                location: None,
                problem: problem.into(),
            }],
        ));
    }
    let folder = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let suite = load_folder(&folder, clock)?;
    let set = &suite.set;
    let mut shown = Shown::default();
    for test in &suite.tests {
        shown.add(set, &test.session, test.now.unwrap_or(clock));
    }
    let mut engine = Engine::new(set).with_budget(budget);
    if let Some(clean) = engine.clean_session() {
        engine = engine.with_seed(&clean);
    }
    let mut suggested: Vec<Suggested> = Vec::new();
    let mut gaps = Vec::new();
    for target in targets(set) {
        if shown.targets.contains(&target) {
            continue;
        }
        let (answer, name) = find(&mut engine, set, target);
        match answer {
            Answer::Found(witness) => {
                let Some(session) = crate::witness::read_record(&witness.record) else {
                    continue;
                };
                let evaluation = set.evaluate(&session, witness.now);
                shown.add(set, &session, witness.now);
                suggested.push(Suggested {
                    name,
                    evaluation: Expected::of(&evaluation),
                    witness,
                });
            }
            Answer::Impossible => gaps.push(format!("{name}: impossible (proved)")),
            Answer::Unknown => gaps.push(format!("{name}: no session found within the budget")),
        }
    }
    let reads_tags = !set.tag_families().is_empty();
    let mut text = write(&folder, &suggested, &gaps, reads_tags);
    // The file is read back and run as `ssm-guard test` would: a test that does not pass is
    // left out (none should be), so that what is suggested always passes.
    let mut tests = suggested.len();
    if let Ok(report) = run_text(&suite, FILE_NAME, &text, clock) {
        let failed: Vec<&str> = report
            .outcomes
            .iter()
            .filter(|o| !o.passed)
            .map(|o| o.name.as_str())
            .collect();
        if !failed.is_empty() {
            suggested.retain(|s| !failed.contains(&s.name.as_str()));
            tests = suggested.len();
            text = write(&folder, &suggested, &gaps, reads_tags);
        }
    }
    let complete = covered(&suite, &text, clock);
    Ok(Suggestion {
        folder,
        text,
        tests,
        gaps,
        complete,
    })
}

/// Whether the tests beside the policies and the suggested ones cover every rule.
fn covered(suite: &Suite, text: &str, clock: Timestamp) -> bool {
    let Ok(suggested) = run_text(suite, FILE_NAME, text, clock) else {
        return false;
    };
    let beside: Vec<&TestCase> = suite.tests.iter().collect();
    suggested
        .coverage
        .iter()
        .enumerate()
        .all(|(index, coverage)| {
            let rule = suite.set.rules.get(index);
            let (mut failed, mut passed) = (coverage.failed > 0, coverage.passed > 0);
            for test in &beside {
                let now = test.now.unwrap_or(clock);
                let Some(rule) = rule else { continue };
                if !suite.set.applies(rule, &test.session, now) {
                    continue;
                }
                let evaluation = suite.set.evaluate(&test.session, now);
                if evaluation
                    .violations
                    .iter()
                    .any(|v| std::ptr::eq(v.rule, rule))
                {
                    failed = true;
                } else {
                    passed = true;
                }
            }
            failed && passed
        })
}

/// Asks the engine for a target's session; a rule whose violations are always waived is
/// shown failing through a waiver.
fn find(engine: &mut Engine<'_>, set: &CompiledPolicySet, target: Target) -> (Answer, String) {
    let id = |rule: usize| {
        set.rules.get(rule).map_or_else(String::new, |r| {
            format!("{}/{}", set.policy_of(r).map_or("", |p| p.id()), r.id())
        })
    };
    let case_words = |rule: usize, case: Option<usize>| -> String {
        let Some(case) = case else {
            return String::new();
        };
        match set.rules.get(rule).map(|r| &r.body) {
            Some(Body::Cases(cases)) => match cases.get(case).and_then(|c| c.when.as_ref()) {
                Some(when) => format!(" in case {} ({})", case + 1, when.describe()),
                None => format!(" in case {} (the default)", case + 1),
            },
            _ => String::new(),
        }
    };
    match target {
        Target::Fails { rule, case } => {
            let name = format!("{} fails{}", id(rule), case_words(rule, case));
            let query = Query {
                rule,
                case,
                outcome: Outcome::Fails,
            };
            let answer = engine.find_quiet(&query);
            if matches!(answer, Answer::Found(_)) {
                return (answer, name);
            }
            // Every violation waived: a waived one still shows the rule failing.
            for exception in 0..policy_exceptions(set, rule) {
                let waived = engine.find(&Query {
                    rule,
                    case,
                    outcome: Outcome::Waived(exception),
                });
                if let Answer::Found(_) = waived {
                    return (waived, format!("{name}, waived"));
                }
            }
            (answer, name)
        }
        Target::Passes { rule, case } => {
            let name = format!("{} passes{}", id(rule), case_words(rule, case));
            let query = Query {
                rule,
                case,
                outcome: Outcome::Passes,
            };
            (engine.find_quiet(&query), name)
        }
        Target::Waives { policy, exception } => {
            let Some(p) = set.policies.get(policy) else {
                return (Answer::Impossible, String::new());
            };
            let Some(e) = p.exceptions.get(exception) else {
                return (Answer::Impossible, String::new());
            };
            let name = format!("exception {}/{} waives a violation", p.id(), e.id());
            let mut last = Answer::Impossible;
            for (rule, r) in set.rules.iter().enumerate() {
                if r.policy != policy
                    || e.rules.as_ref().is_some_and(|named| !named.contains(&rule))
                {
                    continue;
                }
                let answer = engine.find(&Query {
                    rule,
                    case: None,
                    outcome: Outcome::Waived(exception),
                });
                match answer {
                    Answer::Found(_) => {
                        return (
                            answer,
                            format!("exception {}/{} waives {}", p.id(), e.id(), id(rule)),
                        );
                    }
                    Answer::Unknown => last = Answer::Unknown,
                    Answer::Impossible => {}
                }
            }
            (last, name)
        }
    }
}

/// How many exceptions the rule's policy has (queries index them in the policy).
fn policy_exceptions(set: &CompiledPolicySet, rule: usize) -> usize {
    set.rules
        .get(rule)
        .and_then(|r| set.policy_of(r))
        .map_or(0, |p| p.exceptions().len())
}

/// With `reads_tags`, each test gives the tags its session was judged with.
fn write(folder: &Path, suggested: &[Suggested], gaps: &[String], reads_tags: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Suggested by `ssm-guard test --suggest` for the policies under {}: sessions that make",
        folder.display()
    );
    out.push_str(
        "# each rule and case that the tests beside them leave uncovered fail and pass.\n\
         # REVIEW EVERY CASE BEFORE COMMITTING IT. The sessions were generated to reach each\n\
         # outcome, and each expectation is what the policies give that session today, not what\n\
         # they should give: a rule that is wrong is wrong here too. Rename the tests for what\n\
         # they show, and keep those you would have written yourself.\n",
    );
    if !gaps.is_empty() {
        out.push_str("#\n# Not covered:\n");
        for gap in gaps {
            let _ = writeln!(out, "#   {gap}");
        }
    }
    if suggested.is_empty() {
        out.push_str("tests: []\n");
        return out;
    }
    out.push_str("tests:\n");
    let mut names: Vec<String> = Vec::new();
    for test in suggested {
        let mut name = test.name.clone();
        let mut counter = 2;
        while names.contains(&name) {
            name = format!("{} ({counter})", test.name);
            counter += 1;
        }
        names.push(name.clone());
        let _ = writeln!(out, "  - name: {}", yaml_string(&name));
        let record = &test.witness.record;
        if let Some(tags) = tags_of(record, reads_tags) {
            let _ = writeln!(out, "    tags: {tags}");
        }
        out.push_str("    session:\n");
        for key in crate::witness::ordered_keys(record) {
            if Field::from_name(key).is_some_and(|field| field.tag().is_some()) {
                continue;
            }
            if let Some(value) = record.get(key) {
                let _ = writeln!(out, "      {}: {}", yaml_key(key), yaml_flow(value));
            }
        }
        let _ = writeln!(
            out,
            "    now: {}",
            yaml_string(&test.witness.now.to_string())
        );
        out.push_str("    expect:\n");
        let _ = writeln!(out, "      decision: {}", test.evaluation.decision);
        let _ = writeln!(
            out,
            "      violations: [{}]",
            test.evaluation.violations.join(", ")
        );
        if !test.evaluation.waived.is_empty() {
            let _ = writeln!(out, "      waived: [{}]", test.evaluation.waived.join(", "));
        }
        out.push('\n');
    }
    out
}

/// The `tags` of a test whose witness names tag fields: every family given, as the engine
/// searched them (known, a key not named absent); `None` where it names none.
fn tags_of(record: &serde_json::Map<String, serde_json::Value>, always: bool) -> Option<String> {
    let mut families: [Vec<String>; 3] = Default::default();
    let mut any = always;
    for (key, value) in record {
        let Some(tag) = Field::from_name(key).and_then(Field::tag) else {
            continue;
        };
        any = true;
        let serde_json::Value::String(_) = value else {
            continue;
        };
        let index = match tag.family() {
            TagFamily::Target => 0,
            TagFamily::TargetCluster => 1,
            TagFamily::Owner => 2,
        };
        if let Some(family) = families.get_mut(index) {
            family.push(format!("{}: {}", yaml_key(tag.key()), yaml_flow(value)));
        }
    }
    if !any {
        return None;
    }
    let [target, cluster, owner] = families;
    Some(format!(
        "{{ target: {{ {} }}, cluster: {{ {} }}, owner: {{ {} }} }}",
        target.join(", "),
        cluster.join(", "),
        owner.join(", ")
    ))
}

/// A key as written: plain where it is a field name.
fn yaml_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain {
        key.to_owned()
    } else {
        yaml_string(key)
    }
}

/// A JSON value in YAML's flow style, strings double-quoted so that none changes type.
fn yaml_flow(value: &Json) -> String {
    match value {
        Json::String(text) => yaml_string(text),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(yaml_flow).collect();
            format!("[{}]", items.join(", "))
        }
        Json::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}: {}", yaml_key(k), yaml_flow(v)))
                .collect();
            if members.is_empty() {
                "{}".to_owned()
            } else {
                format!("{{ {} }}", members.join(", "))
            }
        }
        other => other.to_string(),
    }
}

/// A YAML double-quoted string: every character that YAML would read otherwise, or that is
/// not printable, escaped.
fn yaml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if u32::from(c) < 0xa0
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_so_that_yaml_reads_them_back_as_written() {
        for text in [
            "60",
            "true",
            "null",
            "a \"b\" \\ c",
            "line\nbreak",
            "\u{85}x\u{2028}",
            "é",
            "~",
            "",
        ] {
            let yaml = format!("v: {}\n", yaml_string(text));
            let read: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
            assert_eq!(read["v"].as_str(), Some(text), "{yaml}");
        }
    }
}
