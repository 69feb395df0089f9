//! `StartDate`, `EndDate`, the evaluation time, `Duration` between them and
//! `MaxSessionDuration`, chosen together by boundary values.
//!
//! Each instant's literals cut the time line at their constants and, for `during`, at the
//! window's edges, which repeat every week; between cuts every literal keeps its truth. So a
//! point of each piece (the constants, one microsecond either side, and the window edges in a
//! week after each cut) covers every case of one instant on its own. `Duration` links the start
//! to the end (or to the evaluation time while the session is active) by a difference: the
//! start's candidates then also include each end candidate less each duration bound, and the
//! end's the start plus each bound, which covers the corners of the difference constraints.
//!
//! That covering is complete where a linked instant has no `during` window and `Duration` is
//! not compared with `MaxSessionDuration`; elsewhere the candidates still find witnesses, but
//! finding none proves nothing, and the answer is "unknown".

use serde_json::{Value as Json, json};

use super::Context;
use super::automaton::{Constraint, Found};
use super::literal::{Atom, Literal};
use super::solve::{Solution, session_of};
use super::text::TextSpec;
use crate::model::{Field, Timestamp};
use crate::operator::{Operand, Operator, Window};

const SECOND: i64 = 1_000_000;
const MINUTE: f64 = 60.0 * 1_000_000.0;
const DAY: i64 = 86_400 * SECOND;
const WEEK: i64 = 7 * DAY;
/// 0001-01-01T00:00:00Z and the last microsecond of 9999: the instants records can hold.
const EARLIEST: i64 = -62_135_596_800 * SECOND;
const LATEST: i64 = 253_402_300_800 * SECOND - 1;
/// The most candidates of one instant tried with each of another's: beyond this the search
/// is cut, and says "unknown" if it finds nothing.
const MAX_CANDIDATES: usize = 4000;

/// The values of the group: absent where `None`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimeValues {
    pub start: Option<Json>,
    pub end: Option<Json>,
    pub max_duration: Option<Json>,
    pub now: Timestamp,
}

/// What the literals say of one instant (`StartDate`, `EndDate` or the evaluation time).
#[derive(Debug, Default)]
struct Instant<'p> {
    constants: Vec<i64>,
    windows: Vec<&'p Window>,
}

/// The literals of the group, read for their constants and links.
#[derive(Debug, Default)]
struct Reading<'p> {
    start: Instant<'p>,
    end: Instant<'p>,
    now: Instant<'p>,
    /// Bounds and values that `Duration` is compared with, in minutes.
    durations: Vec<f64>,
    /// Values `MaxSessionDuration` is compared with.
    maxima: Vec<f64>,
    /// `StartDate` and `EndDate` compared with each other.
    linked_instants: bool,
    /// `Duration` compared with `MaxSessionDuration`.
    linked_maximum: bool,
    typed: [bool; 3],
    blank: [bool; 3],
}

fn read<'p>(literals: &[&Literal<'p>]) -> Reading<'p> {
    let mut reading = Reading::default();
    for literal in literals {
        let (field, operator) = match literal.atom {
            Atom::StartedBefore(at) => {
                // Against the start where it is readable, else against the evaluation time.
                reading.start.constants.push(at.as_micros());
                reading.now.constants.push(at.as_micros());
                continue;
            }
            Atom::Check { field, operator } => (field, operator),
        };
        let slot = match field {
            Field::StartDate => 0,
            Field::EndDate => 1,
            _ => 2,
        };
        let instant = match field {
            Field::StartDate => Some(&mut reading.start),
            Field::EndDate => Some(&mut reading.end),
            _ => None,
        };
        match operator {
            Operator::Type(_) => {
                if let Some(flag) = reading.typed.get_mut(slot) {
                    *flag = true;
                }
            }
            Operator::Present(_) => {
                if let Some(flag) = reading.blank.get_mut(slot) {
                    *flag = true;
                }
            }
            Operator::Membership(set) => {
                if let Some(instant) = instant {
                    instant
                        .constants
                        .extend(set.instants().iter().map(|t| t.as_micros()));
                } else if field == Field::Duration {
                    reading.durations.extend(set.numbers());
                } else {
                    reading.maxima.extend(set.numbers());
                }
            }
            Operator::Time(bound) => match (bound.operand(), instant) {
                (Operand::Value(at), Some(instant)) => instant.constants.push(at.as_micros()),
                (Operand::Field(other), _) if other != field => reading.linked_instants = true,
                _ => {}
            },
            Operator::During(window) => {
                if let Some(instant) = instant {
                    instant.windows.push(window);
                }
            }
            Operator::Compare(comparison) => match (comparison.operand(), field) {
                (Operand::Value(n), Field::Duration) => reading.durations.push(n),
                (Operand::Value(n), _) => reading.maxima.push(n),
                (Operand::Field(other), _) if other != field => reading.linked_maximum = true,
                _ => {}
            },
            Operator::Exists(_)
            | Operator::Glob(_)
            | Operator::Pattern(_)
            | Operator::Length { .. } => {}
        }
    }
    if reading.linked_maximum {
        let (durations, maxima) = (reading.durations.clone(), reading.maxima.clone());
        reading.maxima.extend(durations);
        reading.durations.extend(maxima);
    }
    reading
}

/// The shapes an instant field is tried in: readable, absent, or present but unreadable.
fn instant_shapes(seed: Option<&Json>, typed: bool, blank: bool) -> Vec<Option<Json>> {
    let mut shapes = vec![None, Some(json!("not a timestamp"))];
    if blank {
        shapes.push(Some(json!(" ")));
    }
    if typed {
        // Epoch seconds past the year 9999 are a number no timestamp form reads.
        shapes.extend([
            Some(json!(1e15)),
            Some(json!(true)),
            Some(json!([])),
            Some(json!({})),
        ]);
    }
    // `Some(Null)` stands for "readable": its instant is chosen below.
    let readable = Some(Json::Null);
    if seed.is_some() {
        shapes.insert(0, readable);
    } else {
        shapes.insert(1, readable);
    }
    shapes
}

/// The shapes `MaxSessionDuration` is tried in; `Some(Null)` stands for a number of minutes
/// (as text and as a JSON number, chosen below).
fn maximum_shapes(typed: bool, blank: bool) -> Vec<Option<Json>> {
    let mut shapes = vec![Some(Json::Null), None, Some(json!("unlimited"))];
    if blank {
        shapes.push(Some(json!(" ")));
    }
    if typed {
        shapes.extend([Some(json!(true)), Some(json!([])), Some(json!({}))]);
    }
    shapes
}

/// Points of every piece of the time line that an instant's literals cut, nearest the
/// anchor first.
fn unary(instant: &Instant<'_>, anchor: i64) -> Vec<i64> {
    let mut points = vec![anchor];
    let mut starts = Vec::new();
    for &c in &instant.constants {
        points.extend([c - 1, c, c + 1]);
        starts.extend([c + 1, c - WEEK - 2]);
    }
    starts.push(anchor);
    if !instant.windows.is_empty() {
        for &start in &starts {
            for window in &instant.windows {
                points.extend(edges(window, start, start + WEEK + DAY));
            }
        }
    }
    tidy(points, anchor)
}

/// The instants in `from..=to` where a window opens or closes, or its day changes.
fn edges(window: &Window, from: i64, to: i64) -> Vec<i64> {
    let offset = window.offset() * SECOND;
    let (open, close) = window.bounds();
    let local_day = (from + offset).div_euclid(DAY) * DAY;
    let mut found = Vec::new();
    for day in -1..=9 {
        let midnight = local_day + day * DAY - offset;
        for at in [
            midnight,
            midnight + open * SECOND,
            midnight + close * SECOND,
        ] {
            if (from..=to).contains(&at) {
                found.extend([at, at - 1]);
            }
        }
    }
    found
}

/// Candidates within the years records can hold, distinct, whole seconds and those nearest
/// the anchor first.
fn tidy(mut points: Vec<i64>, anchor: i64) -> Vec<i64> {
    points.retain(|p| (EARLIEST..=LATEST).contains(p));
    points.sort_unstable();
    points.dedup();
    points.sort_by_key(|p| (p % SECOND != 0, (p - anchor).unsigned_abs()));
    points
}

/// Minutes as microseconds, with the microseconds either side (durations are compared as
/// floating-point minutes, so a bound falls between two microseconds).
fn spans(minutes: &[f64]) -> Vec<i64> {
    let mut spans = vec![0, 1, -1];
    for m in minutes {
        let micros = (m * MINUTE).round();
        if micros.is_finite() && micros.abs() < 1e18 {
            #[expect(clippy::cast_possible_truncation, reason = "finite and bounded above")]
            let micros = micros as i64;
            spans.extend((-2..=2).map(|d| micros + d));
        }
    }
    spans.sort_unstable();
    spans.dedup();
    spans
}

/// Numbers covering every piece that the constants cut the number line into, the anchor
/// and whole numbers first.
fn numbers(constants: &[f64], anchor: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = constants
        .iter()
        .copied()
        .filter(|c| c.is_finite())
        .collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut out = vec![anchor];
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            let whole = a.floor() + 1.0;
            out.push(if whole < *b { whole } else { (a + b) / 2.0 });
        }
    }
    out.extend(sorted.iter().copied());
    if let (Some(first), Some(last)) = (sorted.first(), sorted.last()) {
        out.push(first.ceil() - 1.0);
        out.push(last.floor() + 1.0);
    }
    out.sort_by(|a, b| {
        let key = |v: &f64| (v.fract() != 0.0, (v - anchor).abs());
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    out.dedup();
    out
}

/// Minutes as `MaxSessionDuration` text: digits, with a fraction only where there is one.
pub(crate) fn minutes_text(minutes: f64) -> String {
    if minutes.fract() == 0.0 && minutes.abs() < 1e15 {
        #[expect(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
        let whole = minutes as i64;
        whole.to_string()
    } else {
        minutes.to_string()
    }
}

/// Minutes as a JSON number: whole numbers without a fraction, as records write them.
fn minutes_number(minutes: f64) -> Option<Json> {
    if minutes.fract() == 0.0 && minutes.abs() < 1e15 {
        #[expect(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
        return Some(Json::from(minutes as i64));
    }
    serde_json::Number::from_f64(minutes).map(Json::Number)
}

fn instant_json(micros: i64) -> Json {
    Json::String(Timestamp::from_micros(micros).to_string())
}

/// The instant of a seed value, if it has one.
fn seed_instant(value: Option<&Json>) -> Option<i64> {
    match value? {
        Json::String(text) => Timestamp::parse(text).ok().map(Timestamp::as_micros),
        _ => None,
    }
}

/// Values of the group that meet the literals.
pub(crate) fn solve(
    literals: &[&Literal<'_>],
    seed: &TimeValues,
    pinned_now: Option<Timestamp>,
    cx: &mut Context,
) -> Solution<TimeValues> {
    let mut seed = seed.clone();
    if let Some(now) = pinned_now {
        seed.now = now;
    }
    if holds(literals, &seed, |_| true) {
        return Solution::Sat(seed);
    }
    let reading = read(literals);
    let start_anchor =
        seed_instant(seed.start.as_ref()).unwrap_or(seed.now.as_micros() - 3600 * SECOND);
    let end_anchor = seed_instant(seed.end.as_ref()).unwrap_or(start_anchor + 1800 * SECOND);
    let seed_minutes = match seed.max_duration.as_ref() {
        Some(Json::String(text)) => text.parse().unwrap_or(60.0),
        Some(Json::Number(n)) => n.as_f64().unwrap_or(60.0),
        _ => 60.0,
    };
    let mut incomplete = reading.linked_maximum;
    let maximum_literals: Vec<&Literal<'_>> = literals
        .iter()
        .copied()
        .filter(|l| l.field() == Field::MaxSessionDuration)
        .collect();
    let textual = TextSpec::of(&maximum_literals, cx);
    let textual = !textual.product.constraints.is_empty() || textual.min > 0;
    let starts = shapes_that_fit(
        Field::StartDate,
        instant_shapes(seed.start.as_ref(), reading.typed[0], reading.blank[0]),
        literals,
    );
    let ends = shapes_that_fit(
        Field::EndDate,
        instant_shapes(seed.end.as_ref(), reading.typed[1], reading.blank[1]),
        literals,
    );
    let maxima_shapes = shapes_that_fit(
        Field::MaxSessionDuration,
        maximum_shapes(reading.typed[2], reading.blank[2]),
        literals,
    );
    for start_shape in &starts {
        for end_shape in &ends {
            for maximum_shape in &maxima_shapes {
                let maxima = match maximum_shape {
                    Some(Json::Null) => {
                        let mut values = Vec::new();
                        for minutes in numbers(&reading.maxima, seed_minutes) {
                            values.push(Some(Json::String(minutes_text(minutes))));
                            values.push(minutes_number(minutes));
                        }
                        // Text that is also a number of minutes: the automata's choice too,
                        // but the two kinds of literal are not decided together.
                        if textual {
                            incomplete = true;
                            if let Some(text) = numeric_text(&maximum_literals, cx) {
                                values.insert(0, Some(Json::String(text)));
                            }
                        }
                        values
                    }
                    Some(Json::String(_)) if textual => {
                        match non_numeric_text(&maximum_literals, cx) {
                            Found::Text(text) => vec![Some(Json::String(text))],
                            Found::None => continue,
                            Found::Unknown => {
                                incomplete = true;
                                continue;
                            }
                        }
                    }
                    other => vec![other.clone()],
                };
                let case = Case {
                    literals,
                    reading: &reading,
                    start: start_shape.clone(),
                    end: end_shape.clone(),
                    maxima,
                    anchors: (start_anchor, end_anchor, seed.now.as_micros()),
                    pinned_now,
                };
                let mut cut = false;
                match case.search(cx, &mut cut) {
                    Some(found) => return Solution::Sat(found),
                    None => incomplete |= case.incomplete() || cut,
                }
                if cx.meter.exhausted() {
                    return Solution::Unknown;
                }
            }
        }
    }
    if incomplete {
        Solution::Unknown
    } else {
        Solution::Unsat
    }
}

/// The shapes of a field that its own literals allow, judging only what the shape decides
/// alone (`exists`, `type`, `present`; for a value that is absent or unreadable, every
/// operator): the rest is for the candidates.
fn shapes_that_fit(
    field: Field,
    shapes: Vec<Option<Json>>,
    literals: &[&Literal<'_>],
) -> Vec<Option<Json>> {
    let own: Vec<&&Literal<'_>> = literals
        .iter()
        .filter(|l| matches!(l.atom, Atom::Check { field: f, .. } if f == field))
        .collect();
    shapes
        .into_iter()
        .filter(|shape| {
            let placeholder = match shape {
                // A readable instant, or a number of minutes (as text).
                Some(Json::Null) if field == Field::MaxSessionDuration => Some(json!("60")),
                Some(Json::Null) => Some(instant_json(0)),
                other => other.clone(),
            };
            let readable = matches!(shape, Some(Json::Null));
            let session = session_of(&[(field, placeholder.as_ref())]);
            own.iter().all(|literal| {
                let decided = match literal.operator() {
                    Some(Operator::Exists(_) | Operator::Type(_)) => true,
                    Some(Operator::Present(_)) => field != Field::MaxSessionDuration,
                    _ => !readable && field != Field::MaxSessionDuration,
                };
                !decided || literal.holds(&session, Timestamp::from_micros(0))
            })
        })
        .collect()
}

/// Whether the literals whose instants and numbers `wanted` accepts (by the mask of
/// [`depends`]) hold on the values.
fn holds(literals: &[&Literal<'_>], values: &TimeValues, wanted: impl Fn(u8) -> bool) -> bool {
    let session = session_of(&[
        (Field::StartDate, values.start.as_ref()),
        (Field::EndDate, values.end.as_ref()),
        (Field::MaxSessionDuration, values.max_duration.as_ref()),
    ]);
    literals
        .iter()
        .filter(|l| wanted(depends(l, values)))
        .all(|l| l.holds(&session, values.now))
}

const START: u8 = 1;
const END: u8 = 2;
const NOW: u8 = 4;
const MAXIMUM: u8 = 8;

/// The values a literal reads, as a mask: `Duration` reads the start and the end (or the
/// evaluation time while there is no end), where they are readable.
fn depends(literal: &Literal<'_>, values: &TimeValues) -> u8 {
    let readable = |v: &Option<Json>| {
        v.as_ref()
            .and_then(Json::as_str)
            .is_some_and(|t| Timestamp::parse(t).is_ok())
    };
    let (start, end) = (readable(&values.start), readable(&values.end));
    let duration = match (start, end, values.end.is_none()) {
        (true, true, _) => START | END,
        (true, false, true) => START | NOW,
        _ => 0,
    };
    let field_mask = |field: Field| match field {
        Field::StartDate => START,
        Field::EndDate => END,
        Field::Duration => duration,
        _ => MAXIMUM,
    };
    match literal.atom {
        Atom::StartedBefore(_) => {
            if start {
                START
            } else {
                NOW
            }
        }
        Atom::Check { field, operator } => {
            let other = match operator {
                Operator::Compare(c) => match c.operand() {
                    Operand::Field(other) => field_mask(other),
                    Operand::Value(_) => 0,
                },
                Operator::Time(t) => match t.operand() {
                    Operand::Field(other) => field_mask(other),
                    Operand::Value(_) => 0,
                },
                _ => 0,
            };
            field_mask(field) | other
        }
    }
}

/// A string of minutes (digits, maybe a sign and fraction) that the text literals accept.
fn numeric_text(literals: &[&Literal<'_>], cx: &mut Context) -> Option<String> {
    let mut spec = TextSpec::of(literals, cx);
    let lang = cx.lang(NUMERIC)?;
    spec.product.constraints.push(Constraint {
        lang,
        positive: true,
    });
    match spec.search(&mut cx.meter) {
        Found::Text(text) => Some(text),
        _ => None,
    }
}

/// What `MaxSessionDuration` text numeric operators read as minutes.
const NUMERIC: &str = r"^-?[0-9]+(\.[0-9]+)?$";

/// A string that is not a number of minutes and that the text literals accept.
fn non_numeric_text(literals: &[&Literal<'_>], cx: &mut Context) -> Found {
    let mut spec = TextSpec::of(literals, cx);
    let Some(lang) = cx.lang(NUMERIC) else {
        return Found::Unknown;
    };
    spec.product.constraints.push(Constraint {
        lang,
        positive: false,
    });
    // Numeric literals read such text as unreadable whatever it is: they are judged on the
    // value found, not in the automata.
    spec.relaxed = false;
    spec.search(&mut cx.meter)
}

/// One combination of shapes, searched over its candidate instants and numbers.
struct Case<'r, 'l, 'p> {
    literals: &'l [&'l Literal<'p>],
    reading: &'r Reading<'p>,
    start: Option<Json>,
    end: Option<Json>,
    maxima: Vec<Option<Json>>,
    anchors: (i64, i64, i64),
    pinned_now: Option<Timestamp>,
}

impl Case<'_, '_, '_> {
    fn readable(shape: &Option<Json>) -> bool {
        matches!(shape, Some(Json::Null))
    }

    /// Whether the start is tied to the end, or to the evaluation time, by a difference.
    fn linked(&self) -> (bool, bool) {
        let durations = !self.reading.durations.is_empty() || self.reading.linked_maximum;
        let start = Self::readable(&self.start);
        let to_end =
            start && Self::readable(&self.end) && (durations || self.reading.linked_instants);
        let to_now = start && self.end.is_none() && durations;
        (to_end, to_now)
    }

    /// Whether an empty search here proves nothing.
    fn incomplete(&self) -> bool {
        let (to_end, to_now) = self.linked();
        let windows = |i: &Instant<'_>| !i.windows.is_empty();
        (to_end && (windows(&self.reading.start) || windows(&self.reading.end)))
            || (to_now && windows(&self.reading.start))
    }

    fn values(&self, start: i64, end: i64, now: i64, maximum: &Option<Json>) -> TimeValues {
        TimeValues {
            start: match &self.start {
                Some(Json::Null) => Some(instant_json(start)),
                other => other.clone(),
            },
            end: match &self.end {
                Some(Json::Null) => Some(instant_json(end)),
                other => other.clone(),
            },
            max_duration: maximum.clone(),
            now: Timestamp::from_micros(now),
        }
    }

    /// Tries the candidates, each filtered first by the literals that read it alone.
    fn search(&self, cx: &mut Context, cut: &mut bool) -> Option<TimeValues> {
        let (start_anchor, end_anchor, now_anchor) = self.anchors;
        let (to_end, to_now) = self.linked();
        let literals = self.literals;
        let only = |mask: u8| move |deps: u8| deps & !mask == 0;
        let base = self.values(start_anchor, end_anchor, now_anchor, &None);
        // Literals that read nothing variable here are settled by the shapes alone.
        if !holds(literals, &base, |deps| deps == 0) {
            return None;
        }
        let maxima: Vec<&Option<Json>> = self
            .maxima
            .iter()
            .filter(|m| {
                let values = self.values(start_anchor, end_anchor, now_anchor, m);
                holds(literals, &values, only(MAXIMUM))
            })
            .collect();
        let mut differences: Vec<f64> = self.reading.durations.clone();
        for maximum in maxima.iter().copied().flatten() {
            match maximum {
                Json::String(text) => differences.extend(text.parse::<f64>().ok()),
                Json::Number(n) => differences.extend(n.as_f64()),
                _ => {}
            }
        }
        let spans = spans(&differences);
        let now_points = match self.pinned_now {
            Some(now) => vec![now.as_micros()],
            None => unary(&self.reading.now, now_anchor),
        };
        let end_points = unary(&self.reading.end, end_anchor);
        let starts = if Self::readable(&self.start) {
            let mut points = unary(&self.reading.start, start_anchor);
            let others: &[i64] = match (to_end, to_now) {
                (true, _) => &end_points,
                (_, true) => &now_points,
                _ => &[],
            };
            for other in others.iter().take(64) {
                points.extend(spans.iter().map(|d| other - d));
            }
            tidy(points, start_anchor)
        } else {
            vec![start_anchor]
        };
        let starts: Vec<i64> = starts
            .into_iter()
            .filter(|s| {
                let values = self.values(*s, end_anchor, now_anchor, &None);
                holds(literals, &values, only(START))
            })
            .collect();
        if starts.len() > MAX_CANDIDATES {
            *cut = true;
        }
        for maximum in maxima {
            for &start in starts.iter().take(MAX_CANDIDATES) {
                let offset = start - start_anchor;
                let ends = if Self::readable(&self.end) {
                    let mut points = end_points.clone();
                    if to_end {
                        points.extend(spans.iter().map(|d| start + d));
                        for window in &self.reading.end.windows {
                            points.extend(edges(window, start, start + WEEK + DAY));
                        }
                    }
                    tidy(points, end_anchor + offset)
                } else {
                    vec![end_anchor]
                };
                let nows = if to_now && self.pinned_now.is_none() {
                    let mut points = now_points.clone();
                    points.extend(spans.iter().map(|d| start + d));
                    tidy(points, now_anchor + offset)
                } else {
                    now_points.clone()
                };
                let keep = |points: Vec<i64>, mask: u8, at: &dyn Fn(i64) -> TimeValues| {
                    points
                        .into_iter()
                        .filter(|p| holds(literals, &at(*p), only(mask)))
                        .collect::<Vec<i64>>()
                };
                let ends = keep(ends, END, &|e| self.values(start, e, now_anchor, maximum));
                let nows = keep(nows, NOW, &|n| self.values(start, end_anchor, n, maximum));
                if ends.len() > MAX_CANDIDATES || nows.len() > MAX_CANDIDATES {
                    *cut = true;
                }
                for &end in ends.iter().take(MAX_CANDIDATES) {
                    for &now in nows.iter().take(MAX_CANDIDATES) {
                        if !cx.meter.tick(1) {
                            *cut = true;
                            return None;
                        }
                        let values = self.values(start, end, now, maximum);
                        if holds(literals, &values, |_| true) {
                            return Some(values);
                        }
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_cover_every_piece_between_constants() {
        let found = numbers(&[60.0, 30.0, 60.5], 45.0);
        for expected in [45.0, 30.0, 29.0, 60.0, 60.5, 61.0] {
            assert!(found.contains(&expected), "{found:?}");
        }
        assert!(found.iter().any(|n| *n > 60.0 && *n < 60.5), "{found:?}");
        assert_eq!(minutes_text(60.0), "60");
        assert_eq!(minutes_text(60.5), "60.5");
    }
}
