//! `ssm-guard explain ID`: one rule in full: its policy, description, severity and action, its
//! conditions in words, the exceptions that can waive it, its YAML source as an example, and
//! the tests beside its policy that name it.

use std::io::{self, Write};
use std::path::Path;

use ssm_guard::policy::Rule;
use ssm_guard::source::is_test_file;
use ssm_guard::testing;
use ssm_guard::witness::{self, Answer, Budget};
use ssm_guard::{CompiledPolicySet, SourceMap, Timestamp};

use super::exit;
use super::policies::{PolicyArgs, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rule: `policy/rule`, or a rule id that only one loaded policy uses.
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    policies: PolicyArgs,
    /// Also show a failing and a passing session, for the rule and for each case, found by
    /// the witness engine.
    #[arg(long)]
    examples: bool,
}

pub fn run(args: Args) -> u8 {
    let stderr = io::stderr();
    let color = use_color(&stderr);
    let Ok((sources, compiled)) = args
        .policies
        .load(Timestamp::now(), &mut stderr.lock(), color)
    else {
        return exit::USAGE;
    };
    let set = &compiled.set;
    let Some(rule) = set.find_rule(&args.id) else {
        let _ = writeln!(stderr.lock(), "{}", not_found(set, &args.id));
        return exit::USAGE;
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = write_explanation(set, &sources, rule, &mut out).and_then(|()| {
        if args.examples {
            write_examples(set, rule, &mut out)
        } else {
            Ok(())
        }
    });
    match written {
        Ok(()) => exit::OK,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(error) => {
            let _ = writeln!(stderr.lock(), "error: cannot write: {error}");
            exit::USAGE
        }
    }
}

/// Why no rule was found: ambiguous between policies, or unknown (with the closest id).
fn not_found(set: &CompiledPolicySet, id: &str) -> String {
    let same_id: Vec<&str> = set
        .rules()
        .iter()
        .filter(|r| r.id() == id)
        .map(Rule::qualified_id)
        .collect();
    if same_id.len() > 1 {
        return format!(
            "error: rule `{id}` is in several policies\n  = help: name one of {}",
            same_id.join(", ")
        );
    }
    let ids: Vec<&str> = set.rules().iter().map(Rule::qualified_id).collect();
    let bare: Vec<&str> = set.rules().iter().map(Rule::id).collect();
    let suggestion = ssm_guard::diagnostic::closest(id, ids.iter().copied()).or_else(|| {
        let index = bare
            .iter()
            .position(|b| ssm_guard::diagnostic::closest(id, [*b]).is_some())?;
        ids.get(index).copied()
    });
    // A part of an id (`duration-cap` for `duration-cap-per-target`) is worth a list.
    let lowered = id.to_lowercase();
    let containing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|full| full.to_lowercase().contains(&lowered))
        .collect();
    let suggestion = suggestion.or(match containing.as_slice() {
        [only] => Some(*only),
        _ => None,
    });
    let help = match (suggestion, containing.as_slice()) {
        (Some(s), _) => format!("did you mean `{s}`?"),
        (None, []) => "`ssm-guard rules` lists the rules of the set".to_owned(),
        (None, many) => {
            let shown: Vec<String> = many.iter().take(5).map(|s| format!("`{s}`")).collect();
            format!("rules whose id contains it: {}", shown.join(", "))
        }
    };
    format!("error: no rule `{id}` in the loaded policies\n  = help: {help}")
}

fn write_explanation(
    set: &CompiledPolicySet,
    sources: &SourceMap,
    rule: &Rule,
    out: &mut impl Write,
) -> io::Result<()> {
    let policy = set.policy_of(rule);
    let policy_id = policy.map_or("", |p| p.id());
    writeln!(out, "{}", rule.qualified_id())?;
    writeln!(out)?;
    let mut facts = vec![("policy", policy_id.to_owned())];
    facts.push(("severity", rule.severity().to_string()));
    facts.push(("action", rule.action().to_string()));
    let families = rule.tag_families();
    if !families.is_empty() {
        let read: Vec<&str> = families.iter().map(|family| family.prefix()).collect();
        facts.push(("tags read", read.join(", ")));
        facts.push(("on unknown", rule.on_unknown().to_string()));
    }
    if let Some(at) = rule.location() {
        facts.push((
            "defined at",
            format!("{}:{}", sources.name(at.source), at.line),
        ));
    }
    for (label, value) in facts {
        writeln!(out, "  {:<11} {value}", format!("{label}:"))?;
    }
    if let Some(description) = rule.description() {
        writeln!(out)?;
        for line in wrap(description, 88) {
            writeln!(out, "  {line}")?;
        }
    }

    writeln!(out, "\nconditions:")?;
    for line in rule.describe() {
        writeln!(out, "  {line}")?;
    }

    writeln!(out, "\nexceptions that can waive it:")?;
    let exceptions = set.exceptions_for(rule);
    if exceptions.is_empty() {
        writeln!(out, "  none")?;
    }
    for exception in exceptions {
        let mut terms = Vec::new();
        if let Some(when) = exception.describe() {
            terms.push(format!("when {when}"));
        }
        match exception.expires() {
            Some(expires) => terms.push(format!("for sessions started before {expires}")),
            None => terms.push("without expiry".to_owned()),
        }
        if let Some(approver) = exception.approved_by() {
            terms.push(format!("approved by {approver}"));
        }
        writeln!(out, "  {}", exception.id())?;
        for term in terms {
            writeln!(out, "    {term}")?;
        }
        for line in wrap(&format!("reason: {}", exception.reason()), 84) {
            writeln!(out, "    {line}")?;
        }
    }

    if let Some(at) = rule.location()
        && let Some(example) = rule_source(sources.text(at.source), at.line)
    {
        writeln!(
            out,
            "\nexample, as written in {}:{}:",
            sources.name(at.source),
            at.line
        )?;
        for line in example {
            writeln!(out, "  {line}")?;
        }
    }

    if let Some(at) = rule.location() {
        let tests = tests_naming(Path::new(sources.name(at.source)), rule.qualified_id());
        if !tests.is_empty() {
            writeln!(out, "\ntests that name it:")?;
            for test in tests {
                writeln!(
                    out,
                    "  {}:{}: {} ({})",
                    test.file, test.line, test.name, test.how
                )?;
            }
        }
    }
    Ok(())
}

/// A failing and a passing session for the rule and each case, with what the set gives each.
fn write_examples(set: &CompiledPolicySet, rule: &Rule, out: &mut impl Write) -> io::Result<()> {
    let Some(index) = set.rules().iter().position(|r| std::ptr::eq(r, rule)) else {
        return Ok(());
    };
    writeln!(
        out,
        "\nexamples (generated by the witness engine; each assumes the `now` shown):"
    )?;
    for example in witness::examples(set, index, Budget::default()) {
        let heading = match (example.case, &example.when) {
            (None, _) => "the rule".to_owned(),
            (Some(case), Some(when)) => format!("case {} (when {when})", case + 1),
            (Some(case), None) => format!("case {} (otherwise)", case + 1),
        };
        writeln!(out, "  {heading}:")?;
        for (label, answer) in [("fails", &example.fails), ("passes", &example.passes)] {
            match answer {
                Answer::Found(witness) => {
                    let summary = witness::read_record(&witness.record)
                        .map(|session| summarize(set, &session, witness.now))
                        .unwrap_or_default();
                    writeln!(out, "    {label}, at {}: {summary}", witness.now)?;
                    writeln!(out, "      {}", witness::record_line(&witness.record))?;
                }
                Answer::Impossible => writeln!(out, "    {label}: never (proved)")?,
                Answer::Unknown => {
                    writeln!(out, "    {label}: no session found within the budget")?;
                }
            }
        }
    }
    Ok(())
}

/// What the set gives a session: its decision and the rules it breaks or that are waived.
fn summarize(set: &CompiledPolicySet, session: &ssm_guard::Session<'_>, now: Timestamp) -> String {
    let evaluation = set.evaluate(session, now);
    let mut parts = vec![evaluation.decision.to_string()];
    for violation in &evaluation.violations {
        match violation.waived_by {
            Some(exception) => {
                parts.push(format!("{} (waived by {})", violation.id(), exception.id()))
            }
            None => parts.push(violation.id().to_owned()),
        }
    }
    parts.join(", ")
}

/// The lines of a rule's YAML: its first line (from `- `) and every line after it that is
/// blank or indented at least as far as the rule's keys, without trailing blank lines, and
/// without the indentation they share. The keys' indentation is read from the text, since
/// the rule's location gives its line but not reliably the column of its first key.
fn rule_source(text: &str, line: usize) -> Option<Vec<String>> {
    let mut lines = text.lines().skip(line.checked_sub(1)?).peekable();
    let first = lines.next()?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let after_dash = first.trim_start().strip_prefix('-');
    let key_indent = match after_dash {
        Some(rest) if !rest.trim().is_empty() => first.len() - rest.trim_start().len(),
        Some(_) => lines.peek().map_or(0, |next| indent(next)),
        None => indent(first),
    };
    let mut block = vec![first];
    for next in lines {
        if !next.trim().is_empty() && indent(next) < key_indent {
            break;
        }
        block.push(next);
    }
    while block.last().is_some_and(|l| l.trim().is_empty()) {
        block.pop();
    }
    let shared = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()
        .unwrap_or(0);
    Some(
        block
            .into_iter()
            .map(|l| l.get(shared..).unwrap_or("").to_owned())
            .collect(),
    )
}

/// A test that names a rule among its expected violations or waivers.
struct NamedTest {
    file: String,
    line: usize,
    name: String,
    how: &'static str,
}

/// The tests in the test files beside a policy file that expect the rule `id` to be violated
/// or waived, read by the loader that `ssm-guard test` uses, so that both name the same tests.
/// A test file that does not load is passed over; builtin packs (`<builtin>/...`) have no
/// folder, so none.
fn tests_naming(policy_file: &Path, id: &str) -> Vec<NamedTest> {
    let Some(folder) = policy_file.parent().filter(|f| f.is_dir()) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_test_file(p))
        .collect();
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(document) = testing::read_test_file(0, &text) else {
            continue;
        };
        for test in document.tests {
            let how = if test.expects(id, false) {
                "violates it"
            } else if test.expects(id, true) {
                "waived"
            } else {
                continue;
            };
            found.push(NamedTest {
                file: file.display().to_string(),
                line: test.name.at.map_or(0, |at| at.line),
                name: test.name.value,
                how,
            });
        }
    }
    found
}

/// Words of `text` in lines of at most `width` characters (a longer word gets its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "policy: p\nrules:\n  # first\n  - id: a\n    require:\n      Reason: { present: true }\n\n    # inside\n    message: x\n\n  # ----- next\n  - id: b\n    require: { Reason: { present: true } }\n";

    #[test]
    fn a_rule_source_is_its_block_without_the_next_rule_or_its_comment() {
        let block = rule_source(POLICY, 4).unwrap();
        assert_eq!(
            block,
            [
                "- id: a",
                "  require:",
                "    Reason: { present: true }",
                "",
                "  # inside",
                "  message: x"
            ]
        );
        assert_eq!(
            rule_source(POLICY, 12).unwrap(),
            ["- id: b", "  require: { Reason: { present: true } }"]
        );
    }

    #[test]
    fn text_wraps_at_word_boundaries() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert!(wrap("", 10).is_empty());
    }
}
