//! The page's charts, drawn here as inline SVG so that the page needs nothing to show them:
//! the share of sessions per decision, unwaived violations ranked by rule, target and owner,
//! and their count per day (or month) of session start.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::check::Summary;

use super::{Collected, Day, SECONDS_PER_DAY, esc};

/// How many bars a ranking chart shows; the rest are summed into one.
const TOP_BARS: usize = 15;
/// Up to this many days of starts, the time chart has a column per day; past it, per month.
const MAX_DAILY_COLUMNS: i64 = 180;

/// The section of charts: unwaived violations by rule, target and owner, and over time.
pub(super) fn section(html: &mut String, summary: &Summary, collected: &Collected) {
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
    let mut by_target: Vec<(String, u64)> = collected
        .targets
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    sort_ranking(&mut by_target);
    chart_box(
        html,
        "chart-target",
        "By target",
        &bar_chart(&by_target, "#00897b"),
    );
    let mut by_owner: Vec<(String, u64)> = collected
        .owners
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    sort_ranking(&mut by_owner);
    chart_box(
        html,
        "chart-owner",
        "By owner",
        &bar_chart(&by_owner, "#8e24aa"),
    );
    let (unit, columns) = time_columns(&collected.days);
    let mut chart = time_chart(&columns);
    if collected.undated.deny_violations + collected.undated.warn_violations > 0 {
        let _ = write!(
            chart,
            "<p class=\"meta\">{} violations of sessions without a readable start are not shown.</p>",
            collected.undated.deny_violations + collected.undated.warn_violations
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
fn time_columns(days: &BTreeMap<i64, Day>) -> (&'static str, Vec<(String, Day)>) {
    let (Some((&first, _)), Some((&last, _))) = (days.first_key_value(), days.last_key_value())
    else {
        return ("per day", Vec::new());
    };
    if last - first < MAX_DAILY_COLUMNS {
        let columns = (first..=last)
            .map(|day| {
                let counts = days.get(&day).copied().unwrap_or_default();
                (day_label(day), counts)
            })
            .collect();
        return ("per day", columns);
    }
    let mut months: BTreeMap<(i32, u8), Day> = BTreeMap::new();
    for (&day, counts) in days {
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
pub(super) fn decision_bar(deny: u64, warn: u64, allow: u64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_keep_their_end() {
        assert_eq!(shorten("abcdef", 4), "…def");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
