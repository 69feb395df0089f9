//! `--format html`: one self-contained page for audits: totals, charts, and the violations.
//!
//! The page needs nothing from the network: styles and the script are inline, the charts are
//! SVG written here, and the violations travel as a JSON blob that the script turns into a
//! table sortable by its headers and filtered by a text box and by decision, rule and severity
//! (the filter is kept in the URL's fragment, so a filtered view can be linked). Waived findings
//! are listed apart with the exception, its reason, approver and expiry.
//!
//! Memory: counts per target, owner and start day, and one row per violation.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{Value, json};

use crate::lint::{InputError, RecordResult, Reporter, Summary};
use crate::model::Timestamp;
use crate::policy::{Action, CompiledPolicySet, Decision, Severity};

/// How many bars a ranking chart shows; the rest are summed into one.
const TOP_BARS: usize = 15;
/// Up to this many days of starts, the time chart has a column per day; past it, per month.
const MAX_DAILY_COLUMNS: i64 = 180;
const SECONDS_PER_DAY: i64 = 86_400;

/// Gathers counts and rows, then writes the page.
#[derive(Debug)]
pub struct HtmlReporter<'p, W: Write> {
    out: W,
    set: &'p CompiledPolicySet,
    now: Timestamp,
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

#[derive(Debug, Default, Clone, Copy)]
struct Day {
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
            targets: HashMap::new(),
            owners: HashMap::new(),
            days: BTreeMap::new(),
            undated: Day::default(),
            rows: Vec::new(),
            waived: Vec::new(),
            errors: Vec::new(),
            sources: Vec::new(),
        }
    }

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
        self.note_source(&result.source);
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
                self.waived.push(Waived {
                    rule: violation.id(),
                    session: session.to_owned(),
                    target: target.to_owned(),
                    owner: owner.to_owned(),
                    start: start.clone(),
                    message: violation.message.clone(),
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
            *self.targets.entry(target.to_owned()).or_default() += 1;
            *self.owners.entry(owner.to_owned()).or_default() += 1;
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
                violation.message,
                result.source.as_ref(),
                result.line,
            ]);
            self.rows.push(script_json(&row));
        }
        match result.start {
            Some(start) => self
                .days
                .entry(start.epoch_seconds().div_euclid(SECONDS_PER_DAY))
                .or_default()
                .add(&day),
            None => self.undated.add(&day),
        }
        Ok(())
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.note_source(&error.source);
        self.errors.push(error.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let page = self.page(summary);
        self.out.write_all(page.as_bytes())?;
        // The rows, which are most of the page, go out one by one.
        self.out
            .write_all(b"<script type=\"application/json\" id=\"violations-data\">")?;
        self.out.write_all(b"{\"columns\":")?;
        self.out
            .write_all(script_json(&json!(COLUMNS)).as_bytes())?;
        self.out.write_all(b",\"rows\":[")?;
        for (index, row) in self.rows.iter().enumerate() {
            self.out
                .write_all(if index == 0 { b"\n" } else { b",\n" })?;
            self.out.write_all(row.as_bytes())?;
        }
        self.out.write_all(b"]}")?;
        self.out.write_all(b"</script>\n<script>\n")?;
        self.out.write_all(SCRIPT.as_bytes())?;
        self.out.write_all(b"</script>\n</body>\n</html>\n")?;
        self.out.flush()
    }
}

impl<W: Write> HtmlReporter<'_, W> {
    /// Everything before the data block.
    fn page(&self, summary: &Summary) -> String {
        let mut html = String::with_capacity(64 * 1024);
        html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // No request may leave the page: a policy that forbids them says so to the browser too.
        html.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
        html.push_str("<title>ssm-guard report</title>\n<style>\n");
        html.push_str(STYLE);
        html.push_str("</style>\n</head>\n<body>\n");
        self.header(&mut html, summary);
        self.totals(&mut html, summary);
        self.charts(&mut html, summary);
        self.violations(&mut html, summary);
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

    fn header(&self, html: &mut String, summary: &Summary) {
        let _ = writeln!(
            html,
            "<header><h1>Session Manager sessions: policy report</h1><p class=\"meta\">Evaluated at <b>{}</b> &middot; {} input{}: {}</p></header>",
            esc(&self.now.to_string()),
            summary.inputs,
            if summary.inputs == 1 { "" } else { "s" },
            esc(&self.sources.join(", "))
        );
    }

    fn totals(&self, html: &mut String, summary: &Summary) {
        let d = summary.decisions;
        html.push_str("<section id=\"totals\"><h2>Totals</h2><div class=\"cards\">\n");
        let cards: [(&str, &str, u64); 7] = [
            ("sessions", "Sessions checked", summary.evaluated),
            ("deny", "Denied", d.deny),
            ("warn", "Warned", d.warn),
            ("allow", "Allowed", d.allow),
            ("violations", "Violations", summary.violations),
            ("waived", "Waived", summary.waived),
            ("errors", "Input errors", summary.errors),
        ];
        for (class, label, value) in cards {
            let _ = writeln!(
                html,
                "<div class=\"card {class}\" data-total=\"{class}\"><div class=\"value\">{value}</div><div class=\"label\">{label}</div></div>"
            );
        }
        html.push_str("</div>\n");
        html.push_str(&decision_bar(d.deny, d.warn, d.allow));
        let s = summary.by_severity;
        let _ = writeln!(
            html,
            "<p class=\"meta\">Unwaived violations by severity: {} critical, {} high, {} medium, {} low, {} info</p></section>",
            s.critical, s.high, s.medium, s.low, s.info
        );
    }

    fn charts(&self, html: &mut String, summary: &Summary) {
        html.push_str("<section id=\"charts\"><h2>Violations</h2><div class=\"grid\">\n");
        let mut by_rule: Vec<(String, u64)> = summary
            .by_rule
            .iter()
            .filter(|r| r.violations > 0)
            .map(|r| (r.rule.clone(), r.violations))
            .collect();
        sort_ranking(&mut by_rule);
        chart_box(
            html,
            "chart-rule",
            "By rule",
            &bar_chart(&by_rule, "#5c6bc0"),
        );
        let mut by_target: Vec<(String, u64)> =
            self.targets.iter().map(|(k, v)| (k.clone(), *v)).collect();
        sort_ranking(&mut by_target);
        chart_box(
            html,
            "chart-target",
            "By target",
            &bar_chart(&by_target, "#00897b"),
        );
        let mut by_owner: Vec<(String, u64)> =
            self.owners.iter().map(|(k, v)| (k.clone(), *v)).collect();
        sort_ranking(&mut by_owner);
        chart_box(
            html,
            "chart-owner",
            "By owner",
            &bar_chart(&by_owner, "#8e24aa"),
        );
        let (unit, columns) = self.time_columns();
        let mut chart = time_chart(&columns);
        if self.undated.deny_violations + self.undated.warn_violations > 0 {
            let _ = write!(
                chart,
                "<p class=\"meta\">{} violations of sessions without a readable start are not shown.</p>",
                self.undated.deny_violations + self.undated.warn_violations
            );
        }
        chart_box(
            html,
            "chart-time",
            &format!("By session start ({unit}, UTC)"),
            &chart,
        );
        html.push_str("</div></section>\n");
    }

    /// The time chart's columns: per day when the starts span few enough days, else per month;
    /// days or months without a session are shown empty.
    fn time_columns(&self) -> (&'static str, Vec<(String, Day)>) {
        let (Some((&first, _)), Some((&last, _))) =
            (self.days.first_key_value(), self.days.last_key_value())
        else {
            return ("per day", Vec::new());
        };
        if last - first < MAX_DAILY_COLUMNS {
            let columns = (first..=last)
                .map(|day| {
                    let counts = self.days.get(&day).copied().unwrap_or_default();
                    (day_label(day), counts)
                })
                .collect();
            return ("per day", columns);
        }
        let mut months: BTreeMap<(i32, u8), Day> = BTreeMap::new();
        for (&day, counts) in &self.days {
            months.entry(year_month(day)).or_default().add(counts);
        }
        let mut columns = Vec::new();
        if let (Some((&(y0, m0), _)), Some((&(y1, m1), _))) =
            (months.first_key_value(), months.last_key_value())
        {
            let (mut y, mut m) = (y0, m0);
            while (y, m) <= (y1, m1) && columns.len() < 1200 {
                let counts = months.get(&(y, m)).copied().unwrap_or_default();
                columns.push((format!("{y:04}-{m:02}"), counts));
                (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            }
        }
        ("per month", columns)
    }

    fn violations(&self, html: &mut String, summary: &Summary) {
        html.push_str("<section id=\"violations-section\"><h2>Violations, not waived</h2>\n<div class=\"controls\">");
        html.push_str("<input id=\"filter\" type=\"search\" placeholder=\"Filter: any text\" aria-label=\"Filter violations\">");
        html.push_str("<select id=\"filter-decision\" aria-label=\"Decision\"><option value=\"\">every decision</option><option>deny</option><option>warn</option></select>");
        html.push_str(
            "<select id=\"filter-rule\" aria-label=\"Rule\"><option value=\"\">every rule</option>",
        );
        let mut rules: Vec<&str> = summary
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
        for (index, (_, label)) in COLUMN_LABELS.iter().enumerate() {
            let _ = write!(
                html,
                "<th data-col=\"{index}\" title=\"Sort by {label}\">{label}</th>"
            );
        }
        let _ = writeln!(
            html,
            "</tr></thead><tbody></tbody></table></div>\n<p><button id=\"more\" type=\"button\">Show more</button></p>\n<noscript><p>The table of {} violations needs JavaScript; the data is in this file's <code>violations-data</code> block.</p></noscript></section>",
            self.rows.len()
        );
    }

    fn waivers(&self, html: &mut String) {
        let _ = writeln!(
            html,
            "<section id=\"waived\"><h2>Waived findings ({})</h2>",
            self.waived.len()
        );
        if self.waived.is_empty() {
            html.push_str("<p class=\"meta\">No violation was waived.</p></section>\n");
            return;
        }
        html.push_str("<p class=\"meta\">Violations that an exception waived: they do not count towards decisions. A waiver applies to sessions that started before it expires.</p>\n");
        html.push_str("<div class=\"scroll\"><table id=\"waived-table\"><thead><tr><th>Rule</th><th>Session</th><th>Target</th><th>Owner</th><th>Start</th><th>Message</th><th>Exception</th><th>Reason</th><th>Approved by</th><th>Expires</th><th>Location</th></tr></thead><tbody>\n");
        for w in &self.waived {
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
        if self.errors.is_empty() {
            return;
        }
        let _ = writeln!(
            html,
            "<section id=\"input-errors\"><h2>Input errors ({})</h2><p class=\"meta\">Records that could not be read: the report is incomplete.</p><ul>",
            self.errors.len()
        );
        for error in &self.errors {
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
                esc(&error.message)
            );
        }
        html.push_str("</ul></section>\n");
    }
}

/// The row layout of the JSON blob, and the table's columns in that order.
const COLUMNS: [&str; 14] = [
    "decision", "severity", "action", "rule", "session", "target", "owner", "start", "field",
    "actual", "expected", "message", "source", "line",
];
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

/// Most first, ties by name, so that the page is the same for the same input.
fn sort_ranking(items: &mut [(String, u64)]) {
    items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

fn chart_box(html: &mut String, id: &str, title: &str, body: &str) {
    let _ = writeln!(
        html,
        "<figure class=\"chart\" id=\"{id}\"><figcaption>{}</figcaption>{body}</figure>",
        esc(title)
    );
}

/// A horizontal bar per item, the largest first, past [`TOP_BARS`] summed into one.
fn bar_chart(items: &[(String, u64)], color: &str) -> String {
    if items.is_empty() {
        return "<p class=\"empty\">No violations.</p>".to_owned();
    }
    let mut bars: Vec<(String, u64, &str)> = items
        .iter()
        .take(TOP_BARS)
        .map(|(label, value)| (label.clone(), *value, color))
        .collect();
    if items.len() > TOP_BARS {
        let rest: u64 = items.iter().skip(TOP_BARS).map(|(_, v)| v).sum();
        bars.push((
            format!("{} others", items.len() - TOP_BARS),
            rest,
            "#9e9e9e",
        ));
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let (width, label_width, row) = (640.0, 280.0, 22.0);
    let bar_space = width - label_width - 60.0;
    let height = bars.len() as f64 * row + 8.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, value, fill)) in bars.iter().enumerate() {
        let y = i as f64 * row + 4.0;
        let w = (*value as f64 / max * bar_space).max(1.0);
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}<title>{}</title></text>",
            label_width - 6.0,
            y + 13.0,
            esc(&shorten(label, 40)),
            esc(label)
        );
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{label_width:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"16\" fill=\"{fill}\" data-label=\"{}\" data-value=\"{value}\"><title>{}: {value}</title></rect>",
            esc(label),
            esc(label)
        );
        let _ = write!(
            svg,
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{value}</text>",
            label_width + w + 4.0,
            y + 13.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Columns of unwaived violations per period, stacked by action (deny below, warn above).
fn time_chart(columns: &[(String, Day)]) -> String {
    let total: u64 = columns
        .iter()
        .map(|(_, d)| d.deny_violations + d.warn_violations)
        .sum();
    if columns.is_empty() || total == 0 {
        return "<p class=\"empty\">No violations.</p>".to_owned();
    }
    let max = columns
        .iter()
        .map(|(_, d)| d.deny_violations + d.warn_violations)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (width, height, left, bottom, top) = (640.0, 230.0, 44.0, 40.0, 10.0);
    let plot_w = width - left - 10.0;
    let plot_h = height - bottom - top;
    let step = plot_w / columns.len() as f64;
    let bar_w = (step * 0.8).max(1.0);
    let label_every = columns.len().div_ceil(8).max(1);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let base = top + plot_h;
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#888\"/><text class=\"value\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text><text class=\"value\" x=\"{}\" y=\"{base}\" text-anchor=\"end\">0</text>",
        width - 10.0,
        left - 4.0,
        top + 10.0,
        left - 4.0
    );
    for (i, (label, day)) in columns.iter().enumerate() {
        let x = left + i as f64 * step + (step - bar_w) / 2.0;
        let deny_h = day.deny_violations as f64 / max * plot_h;
        let warn_h = day.warn_violations as f64 / max * plot_h;
        let [deny_s, warn_s, allow_s] = day.sessions;
        let title = format!(
            "{label}: {} violations ({} deny, {} warn); sessions {} deny, {} warn, {} allow",
            day.deny_violations + day.warn_violations,
            day.deny_violations,
            day.warn_violations,
            deny_s,
            warn_s,
            allow_s
        );
        let _ = write!(
            svg,
            "<g class=\"column\" data-label=\"{label}\" data-value=\"{}\"><title>{}</title>",
            day.deny_violations + day.warn_violations,
            esc(&title)
        );
        if day.deny_violations > 0 {
            let _ = write!(
                svg,
                "<rect class=\"bar deny\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{deny_h:.1}\" fill=\"#c62828\" data-value=\"{}\"/>",
                base - deny_h,
                day.deny_violations
            );
        }
        if day.warn_violations > 0 {
            let _ = write!(
                svg,
                "<rect class=\"bar warn\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{warn_h:.1}\" fill=\"#ef8f00\" data-value=\"{}\"/>",
                base - deny_h - warn_h,
                day.warn_violations
            );
        }
        svg.push_str("</g>");
        if i % label_every == 0 {
            let _ = write!(
                svg,
                "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
                x + bar_w / 2.0,
                base + 16.0
            );
        }
    }
    let _ = write!(
        svg,
        "<rect x=\"{left}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#c62828\"/><text class=\"value\" x=\"{}\" y=\"{}\">deny</text><rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#ef8f00\"/><text class=\"value\" x=\"{}\" y=\"{}\">warn</text>",
        height - 12.0,
        left + 14.0,
        height - 3.0,
        left + 60.0,
        height - 12.0,
        left + 74.0,
        height - 3.0
    );
    svg.push_str("</svg>");
    svg
}

/// The share of sessions per decision, as one stacked bar with its legend.
fn decision_bar(deny: u64, warn: u64, allow: u64) -> String {
    let total = deny + warn + allow;
    if total == 0 {
        return "<p class=\"empty\">No sessions were checked.</p>".to_owned();
    }
    let mut svg = String::from(
        "<svg id=\"decision-bar\" viewBox=\"0 0 640 44\" width=\"100%\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">",
    );
    let mut x = 0.0;
    for (name, value, fill) in [
        ("deny", deny, "#c62828"),
        ("warn", warn, "#ef8f00"),
        ("allow", allow, "#2e7d32"),
    ] {
        let w = value as f64 / total as f64 * 640.0;
        if value > 0 {
            let _ = write!(
                svg,
                "<rect class=\"bar {name}\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"22\" fill=\"{fill}\" data-value=\"{value}\"><title>{name}: {value} sessions</title></rect>"
            );
        }
        x += w;
    }
    let _ = write!(
        svg,
        "<text class=\"value\" x=\"0\" y=\"38\">deny {deny} &#183; warn {warn} &#183; allow {allow} (of {total} sessions)</text></svg>"
    );
    svg
}

/// The end of a long label, which is where ARNs and ids differ.
fn shorten(label: &str, max: usize) -> String {
    let count = label.chars().count();
    if count <= max {
        return label.to_owned();
    }
    let tail: String = label.chars().skip(count - (max - 1)).collect();
    format!("…{tail}")
}

fn day_label(day: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(day * SECONDS_PER_DAY) {
        Ok(datetime) => {
            let date = datetime.date();
            format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        }
        Err(_) => day.to_string(),
    }
}

fn year_month(day: i64) -> (i32, u8) {
    match time::OffsetDateTime::from_unix_timestamp(day * SECONDS_PER_DAY) {
        Ok(datetime) => (datetime.year(), u8::from(datetime.month())),
        Err(_) => (0, 1),
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

/// The page's styles, kept in a file of their own so that they can be read and edited as CSS.
const STYLE: &str = include_str!("html/report.css");

/// The script that turns the data block into the violations table: one file, so that it can be
/// read and linted as JavaScript.
const SCRIPT: &str = include_str!("html/report.js");

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

    #[test]
    fn long_labels_keep_their_end() {
        assert_eq!(shorten("abcdef", 4), "…def");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
