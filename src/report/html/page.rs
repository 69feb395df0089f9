//! The HTML document: the head with its inline style, the sections of totals, charts,
//! violations, waivers and input errors, then the violations' data block and the script that
//! turns it into a table.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::json;

use crate::check::Summary;
use crate::model::Timestamp;
use crate::policy::{CompiledPolicySet, Severity};

use super::{COLUMNS, Collected, charts, esc, script_json};

/// The page's styles, kept in a file of their own so that they can be read and edited as CSS.
const STYLE: &str = include_str!("report.css");

/// The script that turns the data block into the violations table: one file, so that it can be
/// read and linted as JavaScript.
const SCRIPT: &str = include_str!("report.js");

/// What the page shows: the run's totals and what the reporter collected.
pub(super) struct Page<'a> {
    pub(super) set: &'a CompiledPolicySet,
    pub(super) now: Timestamp,
    pub(super) summary: &'a Summary,
    pub(super) collected: &'a Collected,
}

impl Page<'_> {
    /// Writes the whole page to `out`.
    pub(super) fn write<W: Write>(&self, out: &mut W) -> io::Result<()> {
        out.write_all(self.before_data().as_bytes())?;
        // The rows, which are most of the page, go out one by one.
        out.write_all(b"<script type=\"application/json\" id=\"violations-data\">")?;
        out.write_all(b"{\"columns\":")?;
        out.write_all(script_json(&json!(COLUMNS)).as_bytes())?;
        out.write_all(b",\"rows\":[")?;
        for (index, row) in self.collected.rows.iter().enumerate() {
            out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
            out.write_all(row.as_bytes())?;
        }
        out.write_all(b"]}")?;
        out.write_all(b"</script>\n<script>\n")?;
        out.write_all(SCRIPT.as_bytes())?;
        out.write_all(b"</script>\n</body>\n</html>\n")?;
        out.flush()
    }

    /// Everything before the data block.
    fn before_data(&self) -> String {
        let mut html = String::with_capacity(64 * 1024);
        html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // No request may leave the page: a policy that forbids them says so to the browser too.
        html.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
        html.push_str("<title>ssm-guard report</title>\n<style>\n");
        html.push_str(STYLE);
        html.push_str("</style>\n</head>\n<body>\n");
        self.header(&mut html);
        self.totals(&mut html);
        charts::section(&mut html, self.summary, self.collected);
        self.violations(&mut html);
        self.waivers(&mut html);
        self.input_errors(&mut html);
        let _ = writeln!(
            html,
            "<footer>ssm-guard {} &middot; policy rules loaded: {} &middot; this page makes no network requests</footer>",
            env!("CARGO_PKG_VERSION"),
            self.set.rules().len()
        );
        html
    }

    fn header(&self, html: &mut String) {
        let _ = writeln!(
            html,
            "<header><h1>Session Manager sessions: policy report</h1><p class=\"meta\">Evaluated at <b>{}</b> &middot; {} input{}: {}</p></header>",
            esc(&self.now.to_string()),
            self.summary.inputs,
            if self.summary.inputs == 1 { "" } else { "s" },
            esc(&self.collected.sources.join(", "))
        );
    }

    fn totals(&self, html: &mut String) {
        let d = self.summary.decisions;
        html.push_str("<section id=\"totals\"><h2>Totals</h2><div class=\"cards\">\n");
        let cards: [(&str, &str, u64); 7] = [
            ("sessions", "Sessions checked", self.summary.evaluated),
            ("deny", "Denied", d.deny),
            ("warn", "Warned", d.warn),
            ("allow", "Allowed", d.allow),
            ("violations", "Violations", self.summary.violations),
            ("waived", "Waived", self.summary.waived),
            ("errors", "Input errors", self.summary.errors),
        ];
        for (class, label, value) in cards {
            let _ = writeln!(
                html,
                "<div class=\"card {class}\" data-total=\"{class}\"><div class=\"value\">{value}</div><div class=\"label\">{label}</div></div>"
            );
        }
        html.push_str("</div>\n");
        html.push_str(&charts::decision_bar(d.deny, d.warn, d.allow));
        let s = self.summary.by_severity;
        let _ = writeln!(
            html,
            "<p class=\"meta\">Unwaived violations by severity: {} critical, {} high, {} medium, {} low, {} info</p></section>",
            s.critical, s.high, s.medium, s.low, s.info
        );
    }

    fn violations(&self, html: &mut String) {
        html.push_str("<section id=\"violations-section\"><h2>Violations, not waived</h2>\n<div class=\"controls\">");
        html.push_str("<input id=\"filter\" type=\"search\" placeholder=\"Filter: any text\" aria-label=\"Filter violations\">");
        html.push_str("<select id=\"filter-decision\" aria-label=\"Decision\"><option value=\"\">every decision</option><option>deny</option><option>warn</option></select>");
        html.push_str(
            "<select id=\"filter-rule\" aria-label=\"Rule\"><option value=\"\">every rule</option>",
        );
        let mut rules: Vec<&str> = self
            .summary
            .by_rule
            .iter()
            .filter(|r| r.violations > 0)
            .map(|r| r.rule.as_str())
            .collect();
        rules.sort_unstable();
        for rule in rules {
            let _ = write!(html, "<option>{}</option>", esc(rule));
        }
        html.push_str("</select>");
        html.push_str("<select id=\"filter-severity\" aria-label=\"Severity\"><option value=\"\">every severity</option>");
        for severity in Severity::ALL.iter().rev() {
            let _ = write!(html, "<option>{}</option>", severity.name());
        }
        html.push_str("</select><span id=\"count\" class=\"meta\"></span></div>\n");
        html.push_str("<div class=\"scroll\"><table id=\"violations\"><thead><tr>");
        for (name, label) in COLUMN_LABELS {
            let _ = write!(
                html,
                "<th data-column=\"{name}\" title=\"Sort by {label}\">{label}</th>"
            );
        }
        let _ = writeln!(
            html,
            "</tr></thead><tbody></tbody></table></div>\n<p><button id=\"more\" type=\"button\">Show more</button></p>\n<noscript><p>The table of {} violations needs JavaScript; the data is in this file's <code>violations-data</code> block.</p></noscript></section>",
            self.collected.rows.len()
        );
    }

    fn waivers(&self, html: &mut String) {
        let _ = writeln!(
            html,
            "<section id=\"waived\"><h2>Waived findings ({})</h2>",
            self.collected.waived.len()
        );
        if self.collected.waived.is_empty() {
            html.push_str("<p class=\"meta\">No violation was waived.</p></section>\n");
            return;
        }
        html.push_str("<p class=\"meta\">Violations that an exception waived: they do not count towards decisions. A waiver applies to sessions that started before it expires.</p>\n");
        html.push_str("<div class=\"scroll\"><table id=\"waived-table\"><thead><tr><th>Rule</th><th>Session</th><th>Target</th><th>Owner</th><th>Start</th><th>Message</th><th>Exception</th><th>Reason</th><th>Approved by</th><th>Expires</th><th>Location</th></tr></thead><tbody>\n");
        for w in &self.collected.waived {
            let expires = match w.expires {
                Some(expires) if expires <= self.now => format!(
                    "{} <span class=\"badge expired\">expired at evaluation time</span>",
                    esc(&expires.to_string())
                ),
                Some(expires) => esc(&expires.to_string()),
                None => "<span class=\"badge expired\">never</span>".to_owned(),
            };
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"reason\">{}</td><td>{}</td><td>{expires}</td><td>{}</td></tr>",
                esc(&w.rule),
                esc(&w.session),
                esc(&w.target),
                esc(&w.owner),
                esc(&w.start),
                esc(&w.message),
                esc(&w.exception),
                esc(&w.reason),
                esc(&w.approved_by),
                esc(&w.location)
            );
        }
        html.push_str("</tbody></table></div></section>\n");
    }

    fn input_errors(&self, html: &mut String) {
        if self.collected.errors.is_empty() {
            return;
        }
        let _ = writeln!(
            html,
            "<section id=\"input-errors\"><h2>Input errors ({})</h2><p class=\"meta\">Records that could not be read: the report is incomplete.</p><ul>",
            self.collected.errors.len()
        );
        for error in &self.collected.errors {
            let mut place = error.source.to_string();
            if let Some(line) = error.line {
                let _ = write!(place, ":{line}");
            }
            if let Some(record) = error.record {
                let _ = write!(place, " (record {record})");
            }
            let _ = writeln!(
                html,
                "<li><code>{}</code>: {}</li>",
                esc(&place),
                esc(&error.problem.to_string())
            );
        }
        html.push_str("</ul></section>\n");
    }
}

/// The table's columns, in order: each header names its column for the script, which takes
/// them from the data block by that name, except `location`, which it makes of `source` and
/// `line`.
const COLUMN_LABELS: [(&str, &str); 13] = [
    ("decision", "Decision"),
    ("severity", "Severity"),
    ("action", "Action"),
    ("rule", "Rule"),
    ("session", "Session"),
    ("target", "Target"),
    ("owner", "Owner"),
    ("start", "Start"),
    ("field", "Field"),
    ("actual", "Actual"),
    ("expected", "Expected"),
    ("message", "Message"),
    ("location", "Location"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_the_page_names_is_in_the_data() {
        let in_data = |name: &str| COLUMNS.contains(&name);
        for (name, _) in COLUMN_LABELS {
            assert!(name == "location" || in_data(name), "header {name}");
        }
        for call in SCRIPT.split("get(row, \"").skip(1) {
            let name = &call[..call.find('"').unwrap_or(0)];
            assert!(in_data(name), "the script reads {name:?}");
        }
        let shown: Vec<&str> = COLUMN_LABELS.iter().map(|(name, _)| *name).collect();
        for name in COLUMNS {
            let in_location = name == "source" || name == "line";
            assert!(
                in_location || shown.contains(&name),
                "column {name} is not shown"
            );
        }
    }
}
