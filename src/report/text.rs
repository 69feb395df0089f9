//! `--format text`: violations grouped by session, coloured by severity on a terminal, then a
//! summary of the run.

use std::collections::HashMap;
use std::io::{self, Write};

use super::message_with_reason;
use crate::check::{InputError, RecordResult, Reporter, Summary};
use crate::policy::{Decision, Severity};

/// Writes a block per session with violations, input errors in place, and the summary.
#[derive(Debug)]
pub struct TextReporter<W: Write> {
    out: W,
    color: bool,
    targets: Tallies,
    owners: Tallies,
}

const RESET: &str = "\x1b[0m";
/// How many targets and owners the summary ranks.
const TOP: usize = 10;
/// How many distinct targets (and owners) are counted; past that, new ones are only summed,
/// so that memory stays bounded on exports with millions of distinct values.
const MAX_TALLIED: usize = 100_000;

/// Unwaived violations and the sessions they made deny or warn, per target or owner.
#[derive(Debug, Default)]
struct Tallies {
    counts: HashMap<String, Tally>,
    /// Violations of values that came after the map was full.
    untallied: u64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    violations: u64,
    deny: u64,
    warn: u64,
}

impl Tallies {
    fn add(&mut self, key: Option<&str>, violations: u64, decision: Decision) {
        let key = key.unwrap_or("-");
        let add = |tally: &mut Tally| {
            tally.violations += violations;
            match decision {
                Decision::Deny => tally.deny += 1,
                Decision::Warn => tally.warn += 1,
                Decision::Allow => {}
            }
        };
        if let Some(tally) = self.counts.get_mut(key) {
            add(tally);
        } else if self.counts.len() < MAX_TALLIED {
            add(self.counts.entry(key.to_owned()).or_default());
        } else {
            self.untallied += violations;
        }
    }

    /// The most violated, most first, ties by name.
    fn top(&self) -> Vec<(&str, Tally)> {
        let mut all: Vec<(&str, Tally)> = self
            .counts
            .iter()
            .map(|(key, tally)| (key.as_str(), *tally))
            .collect();
        all.sort_by(|a, b| {
            (b.1.violations, b.1.deny, b.1.warn)
                .cmp(&(a.1.violations, a.1.deny, a.1.warn))
                .then(a.0.cmp(b.0))
        });
        all.truncate(TOP);
        all
    }
}

impl<W: Write> TextReporter<W> {
    pub fn new(out: W, color: bool) -> Self {
        Self {
            out,
            color,
            targets: Tallies::default(),
            owners: Tallies::default(),
        }
    }

    fn write_top(&mut self, what: &str, tallies: &Tallies) -> io::Result<()> {
        let top = tallies.top();
        if top.is_empty() {
            return Ok(());
        }
        writeln!(
            self.out,
            "top {what} (violations, sessions denied, sessions warned):"
        )?;
        for (name, tally) in top {
            writeln!(
                self.out,
                "  {:>6}  {:>6}  {:>6}  {name}",
                tally.violations, tally.deny, tally.warn
            )?;
        }
        if tallies.untallied > 0 {
            writeln!(
                self.out,
                "  ({} violations of {what} past the first {MAX_TALLIED} are not ranked)",
                tallies.untallied
            )?;
        }
        Ok(())
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "\x1b[1;35m",
        Severity::High => "\x1b[1;31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

fn decision_style(decision: Decision) -> &'static str {
    match decision {
        Decision::Deny => "\x1b[1;31m",
        Decision::Warn => "\x1b[1;33m",
        Decision::Allow => "\x1b[32m",
    }
}

impl<'p, W: Write> Reporter<'p> for TextReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        let evaluation = &result.evaluation;
        if evaluation.violations.is_empty() {
            return Ok(());
        }
        let unwaived = evaluation
            .violations
            .iter()
            .filter(|v| !v.is_waived())
            .count() as u64;
        if unwaived > 0 {
            self.targets
                .add(result.target.as_deref(), unwaived, evaluation.decision);
            self.owners
                .add(result.owner.as_deref(), unwaived, evaluation.decision);
        }
        let decision = self.paint(
            decision_style(evaluation.decision),
            evaluation.decision.name(),
        );
        let session = result.session_id.as_deref().unwrap_or("(no SessionId)");
        let target = result.target.as_deref().unwrap_or("(no Target)");
        let heading = self.paint("\x1b[1m", session);
        writeln!(
            self.out,
            "{heading} on {target}: {decision}  {}:{} (record {})",
            result.source, result.line, result.record
        )?;
        for violation in &evaluation.violations {
            let severity = violation.rule.severity();
            let label = format!("{:<8}", severity.name());
            let id = violation.id();
            let message = message_with_reason(violation);
            match violation.waived_by {
                None => writeln!(
                    self.out,
                    "  {} {:<5} {id}: {message}",
                    self.paint(severity_style(severity), &label),
                    violation.action().name(),
                )?,
                Some(exception) => writeln!(
                    self.out,
                    "  {} {:<5} {id}: {message} [waived by {}: {}]",
                    self.paint("\x1b[2m", &label),
                    "-",
                    exception.id(),
                    exception.reason()
                )?,
            }
        }
        writeln!(self.out)
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        let mut place = error.source.to_string();
        if let Some(line) = error.line {
            place.push_str(&format!(":{line}"));
            if let Some(column) = error.column {
                place.push_str(&format!(":{column}"));
            }
        }
        let record = error
            .record
            .map(|r| format!(" (record {r})"))
            .unwrap_or_default();
        let label = self.paint("\x1b[1;31m", "input error");
        writeln!(self.out, "{label} {place}{record}: {}\n", error.problem)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        for warning in &summary.warnings {
            let label = self.paint("\x1b[1;33m", "input warning");
            writeln!(
                self.out,
                "{label} {}: {}\n",
                warning.source, warning.message
            )?;
        }
        let d = summary.decisions;
        writeln!(
            self.out,
            "{} records read from {} input{}: {} evaluated, {} input error{}{}",
            summary.records,
            summary.inputs,
            if summary.inputs == 1 { "" } else { "s" },
            summary.evaluated,
            summary.errors,
            if summary.errors == 1 { "" } else { "s" },
            skipped_events(summary)
        )?;
        if summary.records == 0 && summary.errors == 0 {
            writeln!(self.out, "no sessions: the inputs hold no Session records")?;
        }
        writeln!(
            self.out,
            "decisions: {} deny, {} warn, {} allow",
            self.paint(decision_style(Decision::Deny), &d.deny.to_string()),
            self.paint(decision_style(Decision::Warn), &d.warn.to_string()),
            self.paint(decision_style(Decision::Allow), &d.allow.to_string()),
        )?;
        let s = summary.by_severity;
        writeln!(
            self.out,
            "violations: {} ({} waived); by severity: {} critical, {} high, {} medium, {} low, {} info",
            summary.violations, summary.waived, s.critical, s.high, s.medium, s.low, s.info
        )?;
        let mut rules: Vec<_> = summary
            .by_rule
            .iter()
            .filter(|r| r.violations + r.waived > 0)
            .collect();
        rules.sort_by(|a, b| {
            (b.violations, b.waived)
                .cmp(&(a.violations, a.waived))
                .then(a.rule.cmp(&b.rule))
        });
        if !rules.is_empty() {
            writeln!(self.out, "by rule:")?;
            for rule in rules {
                let waived = if rule.waived > 0 {
                    format!(" (+{} waived)", rule.waived)
                } else {
                    String::new()
                };
                writeln!(
                    self.out,
                    "  {:>6}  {:<8} {}{waived}",
                    rule.violations,
                    rule.severity.name(),
                    rule.rule
                )?;
            }
        }
        let targets = std::mem::take(&mut self.targets);
        self.write_top("targets", &targets)?;
        let owners = std::mem::take(&mut self.owners);
        self.write_top("owners", &owners)?;
        self.out.flush()
    }
}

/// The events passed over, by source: `, 4 events that started no Session Manager session
/// passed over (3 ssm.amazonaws.com, 1 athena.amazonaws.com)`.
fn skipped_events(summary: &Summary) -> String {
    let total: u64 = summary.skipped_events.values().sum();
    if total == 0 {
        return String::new();
    }
    let by_source: Vec<String> = summary
        .skipped_events
        .iter()
        .map(|(source, count)| format!("{count} {source}"))
        .collect();
    format!(
        ", {total} event{} that started no Session Manager session passed over ({})",
        if total == 1 { "" } else { "s" },
        by_source.join(", ")
    )
}
