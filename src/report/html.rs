//! `--format html`: one self-contained page for audits: totals, charts, and the violations.
//!
//! The page needs nothing from the network: styles and the script are inline, the charts are
//! SVG drawn here, and the violations travel as a JSON blob that the script turns into a
//! table sortable by its headers and filtered by a text box and by decision, rule and severity
//! (the filter is kept in the URL's fragment, so a filtered view can be linked). Waived findings
//! are listed apart with the exception, its reason, approver and expiry.
//!
//! This file is the reporter, which keeps what the page needs while records stream past;
//! `page` writes the document at the end, and `charts` draws its SVG.
//!
//! Memory: counts per target, owner and start day, and one row per violation.

mod charts;
mod page;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde_json::{Value, json};

use super::message_with_reason;
use crate::check::{InputError, RecordResult, Reporter, Summary};
use crate::model::Timestamp;
use crate::policy::{Action, CompiledPolicySet, Decision};

use page::Page;

const SECONDS_PER_DAY: i64 = 86_400;

/// The row layout of the JSON blob: the script finds each column by these names.
const COLUMNS: [&str; 14] = [
    "decision", "severity", "action", "rule", "session", "target", "owner", "start", "field",
    "actual", "expected", "message", "source", "line",
];

/// Gathers counts and rows, then writes the page.
#[derive(Debug)]
pub struct HtmlReporter<'p, W: Write> {
    out: W,
    set: &'p CompiledPolicySet,
    now: Timestamp,
    collected: Collected,
}

/// What the page is made of, gathered record by record.
#[derive(Debug, Default)]
struct Collected {
    targets: HashMap<String, u64>,
    owners: HashMap<String, u64>,
    /// Per day since the epoch (UTC) of the session's start.
    days: BTreeMap<i64, Day>,
    /// Sessions, and their unwaived violations, without a readable start.
    undated: Day,
    /// One JSON array per unwaived violation, already escaped for the page's script block.
    rows: Vec<String>,
    waived: Vec<Waived>,
    errors: Vec<InputError>,
    sources: Vec<String>,
}

/// The counts of one day (or of the undated sessions), for the time chart.
#[derive(Debug, Default, Clone, Copy)]
struct Day {
    /// Sessions per decision, in [`decision_index`] order.
    sessions: [u64; 3],
    deny_violations: u64,
    warn_violations: u64,
}

impl Day {
    fn add(&mut self, other: &Day) {
        for (mine, theirs) in self.sessions.iter_mut().zip(other.sessions) {
            *mine += theirs;
        }
        self.deny_violations += other.deny_violations;
        self.warn_violations += other.warn_violations;
    }
}

/// A waived violation, as its table row shows it.
#[derive(Debug)]
struct Waived {
    rule: String,
    session: String,
    target: String,
    owner: String,
    start: String,
    message: String,
    exception: String,
    reason: String,
    approved_by: String,
    expires: Option<Timestamp>,
    location: String,
}

impl<'p, W: Write> HtmlReporter<'p, W> {
    /// `now` is the evaluation time, shown on the page and used to mark expired waivers.
    pub fn new(out: W, set: &'p CompiledPolicySet, now: Timestamp) -> Self {
        Self {
            out,
            set,
            now,
            collected: Collected::default(),
        }
    }
}

impl Collected {
    fn note_source(&mut self, source: &str) {
        if self.sources.last().is_none_or(|last| last != source)
            && !self.sources.iter().any(|s| s == source)
        {
            self.sources.push(source.to_owned());
        }
    }
}

fn decision_index(decision: Decision) -> usize {
    match decision {
        Decision::Deny => 0,
        Decision::Warn => 1,
        Decision::Allow => 2,
    }
}

impl<'p, W: Write> Reporter<'p> for HtmlReporter<'p, W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        self.collected.note_source(&result.source);
        let evaluation = &result.evaluation;
        let mut day = Day::default();
        if let Some(slot) = day.sessions.get_mut(decision_index(evaluation.decision)) {
            *slot += 1;
        }
        let session = result.session_id.as_deref().unwrap_or("-");
        let target = result.target.as_deref().unwrap_or("-");
        let owner = result.owner.as_deref().unwrap_or("-");
        let start = result.start.map(|s| s.to_string()).unwrap_or_default();
        let location = format!("{}:{}", result.source, result.line);
        for violation in &evaluation.violations {
            let rule = violation.rule;
            if let Some(exception) = violation.waived_by {
                self.collected.waived.push(Waived {
                    rule: violation.id().to_owned(),
                    session: session.to_owned(),
                    target: target.to_owned(),
                    owner: owner.to_owned(),
                    start: start.clone(),
                    message: message_with_reason(violation).into_owned(),
                    exception: exception.id().to_owned(),
                    reason: exception.reason().to_owned(),
                    approved_by: exception.approved_by().unwrap_or("").to_owned(),
                    expires: exception.expires(),
                    location: location.clone(),
                });
                continue;
            }
            match rule.action() {
                Action::Deny => day.deny_violations += 1,
                Action::Warn => day.warn_violations += 1,
            }
            *self.collected.targets.entry(target.to_owned()).or_default() += 1;
            *self.collected.owners.entry(owner.to_owned()).or_default() += 1;
            let actual = match &violation.actual {
                Value::Null => String::new(),
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let row = json!([
                evaluation.decision.name(),
                rule.severity().name(),
                rule.action().name(),
                violation.id(),
                session,
                target,
                owner,
                start,
                violation.field.name(),
                actual,
                violation.expected,
                message_with_reason(violation),
                result.source.as_ref(),
                result.line,
            ]);
            self.collected.rows.push(script_json(&row));
        }
        match result.start {
            Some(start) => self
                .collected
                .days
                .entry(start.epoch_seconds().div_euclid(SECONDS_PER_DAY))
                .or_default()
                .add(&day),
            None => self.collected.undated.add(&day),
        }
        Ok(())
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.collected.note_source(&error.source);
        self.collected.errors.push(error.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let page = Page {
            set: self.set,
            now: self.now,
            summary,
            collected: &self.collected,
        };
        page.write(&mut self.out)
    }
}

/// Escapes text for HTML content and quoted attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON that can sit inside a `<script>` element: `<`, `>` and `&` are written as `\u` escapes,
/// which JSON reads back as the same characters, so no `</script>` can end the block early.
fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let value = json!(["</script><b>&"]);
        let text = script_json(&value);
        assert!(!text.contains('<'));
        let back: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, value);
    }
}
