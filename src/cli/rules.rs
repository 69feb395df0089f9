//! `ssm-guard rules`: list the rules of a loaded set, with their severity, action and the first
//! sentence of their description.

use std::io::{self, Write};

use clap::ValueEnum;
use ssm_guard::Timestamp;

use super::exit;
use super::policies::{PolicyArgs, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// An aligned table, one rule a line.
    Text,
    /// A JSON array, one object per rule, with the whole description.
    Json,
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
    let rows: Vec<Row<'_>> = set
        .rules()
        .iter()
        .map(|rule| Row {
            id: rule.qualified_id(),
            severity: rule.severity().name(),
            action: rule.action().name(),
            tags: rule
                .tag_families()
                .iter()
                .map(|family| family.prefix())
                .collect(),
            on_unknown: rule.on_unknown().name(),
            description: rule.description().unwrap_or(""),
            location: rule
                .location()
                .map(|at| format!("{}:{}", sources.name(at.source), at.line)),
        })
        .collect();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = match args.format {
        Format::Text => write_text(&rows, set.policies().len(), &mut out),
        Format::Json => write_json(&rows, &mut out),
    };
    match written {
        Ok(()) => exit::OK,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(error) => {
            let _ = writeln!(stderr.lock(), "error: cannot write the rules: {error}");
            exit::USAGE
        }
    }
}

/// One rule as listed.
struct Row<'a> {
    id: &'a str,
    severity: &'static str,
    action: &'static str,
    /// The tag families the rule reads (`TargetTags`, ...).
    tags: Vec<&'static str>,
    on_unknown: &'static str,
    description: &'a str,
    location: Option<String>,
}

fn write_text(rows: &[Row<'_>], policies: usize, out: &mut impl Write) -> io::Result<()> {
    let width = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    writeln!(out, "{:<width$}  SEVERITY  ACTION  DESCRIPTION", "ID")?;
    for row in rows {
        writeln!(
            out,
            "{:<width$}  {:<8}  {:<6}  {}",
            row.id,
            row.severity,
            row.action,
            summary(row.description)
        )?;
    }
    writeln!(
        out,
        "\n{} rule{} in {policies} polic{}; `ssm-guard explain ID` shows one in full",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        if policies == 1 { "y" } else { "ies" },
    )
}

fn write_json(rows: &[Row<'_>], out: &mut impl Write) -> io::Result<()> {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "id": row.id,
                "severity": row.severity,
                "action": row.action,
                "tags": row.tags,
                "on_unknown": row.on_unknown,
                "description": row.description,
                "location": row.location,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list)?;
    writeln!(out)
}

/// The first sentence of a description, on one line and at most 100 characters, so the table
/// stays a table; `explain` prints the rest.
fn summary(description: &str) -> String {
    let flat = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = flat.get(..sentence_end(&flat)).unwrap_or(&flat);
    const LIMIT: usize = 100;
    if sentence.chars().count() > LIMIT {
        let cut: String = sentence.chars().take(LIMIT - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        sentence.to_owned()
    }
}

/// The byte length of the first sentence: up to a `.` followed by a space, outside quotes and
/// parentheses (`(API reference: "Type: String ...")` is part of a sentence), and not in `...`.
fn sentence_end(text: &str) -> usize {
    let mut depth = 0usize;
    let mut quoted = false;
    let mut previous = ' ';
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '.' if depth == 0
                && !quoted
                && previous != '.'
                && chars.peek().is_some_and(|(_, next)| *next == ' ') =>
            {
                return at + 1;
            }
            _ => {}
        }
        previous = c;
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn a_summary_is_the_first_sentence_on_one_line() {
        assert_eq!(
            summary("Sessions use only\n  approved documents. A record without one..."),
            "Sessions use only approved documents."
        );
        assert_eq!(summary(""), "");
        assert_eq!(
            summary("Details is a string (API reference: \"Details ... Type: String\"). More."),
            "Details is a string (API reference: \"Details ... Type: String\")."
        );
        assert_eq!(summary(&"x".repeat(150)).chars().count(), 100);
    }
}
