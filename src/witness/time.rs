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

mod case;
mod points;

use case::{Case, Difference};
use points::numbers;

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
/// The most combinations one combination of shapes tries: a search that needs more is one
/// the covering cannot decide anyway (windows linked by a bounded difference).
const MAX_TRIES: u64 = 20_000;

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
            Operator::SameAs(_) => {}
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

/// Whether text reads as minutes (what [`NUMERIC`] matches).
fn is_minutes(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}

/// Whether a literal on `MaxSessionDuration` reads its text as text, not as the number of
/// minutes it holds.
fn reads_text(literal: &Literal<'_>) -> bool {
    match literal.operator() {
        Some(Operator::Glob(_) | Operator::Pattern(_) | Operator::Length { .. }) => true,
        Some(Operator::Present(_)) => true,
        Some(Operator::Membership(set)) => !set.texts().is_empty(),
        _ => false,
    }
}

/// What kind of value a field of the group is tried with.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// A readable instant, chosen among the candidates.
    Instant,
    /// Minutes as text (`"60"`), chosen among the candidates.
    MinutesText,
    /// Minutes as a JSON number (`60`), chosen among the candidates.
    MinutesNumber,
    /// This value as it is: absent (`None`), or one no reading turns into an instant or minutes.
    Fixed(Option<Json>),
}

/// The shapes an instant field is tried in: readable, absent, or present but unreadable.
fn instant_shapes(seed: Option<&Json>, typed: bool, blank: bool) -> Vec<Shape> {
    let mut shapes = vec![
        Shape::Fixed(None),
        Shape::Fixed(Some(json!("not a timestamp"))),
    ];
    if blank {
        shapes.push(Shape::Fixed(Some(json!(" "))));
    }
    if typed {
        // Epoch seconds past the year 9999 are a number no timestamp form reads.
        shapes.extend(
            [json!(1e15), json!(true), json!([]), json!({})].map(|v| Shape::Fixed(Some(v))),
        );
    }
    if seed.is_some() {
        shapes.insert(0, Shape::Instant);
    } else {
        shapes.insert(1, Shape::Instant);
    }
    shapes
}

/// The shapes `MaxSessionDuration` is tried in.
fn maximum_shapes(typed: bool, blank: bool) -> Vec<Shape> {
    let mut shapes = vec![
        Shape::MinutesText,
        Shape::MinutesNumber,
        Shape::Fixed(None),
        Shape::Fixed(Some(json!("unlimited"))),
    ];
    if blank {
        shapes.push(Shape::Fixed(Some(json!(" "))));
    }
    if typed {
        shapes.extend([json!(true), json!([]), json!({})].map(|v| Shape::Fixed(Some(v))));
    }
    shapes
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
    let mut incomplete = false;
    // Where `Duration` is compared with `MaxSessionDuration`, a corner of the constraints can
    // put the maximum at the distance between two instants' constants.
    let mut maxima = reading.maxima.clone();
    if reading.linked_maximum {
        // Instants compared with each other bound the difference at 0.
        maxima.push(0.0);
        let points = |instant: &Instant<'_>| -> Vec<i64> {
            instant
                .constants
                .iter()
                .flat_map(|c| [c - 1, *c, c + 1])
                .collect()
        };
        let mut others = points(&reading.end);
        others.extend(points(&reading.now));
        others.extend(pinned_now.map(Timestamp::as_micros));
        for start in points(&reading.start) {
            for other in &others {
                #[expect(clippy::cast_precision_loss, reason = "minutes need no more")]
                maxima.push((other - start) as f64 / MINUTE);
            }
        }
    }
    let maximum_literals: Vec<&Literal<'_>> = literals
        .iter()
        .copied()
        .filter(|l| l.field() == Field::MaxSessionDuration)
        .collect();
    let textual = maximum_literals.iter().any(|l| reads_text(l));
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
                    Shape::MinutesText => {
                        let mut values: Vec<Option<Json>> = Vec::new();
                        for minutes in numbers(&maxima, seed_minutes) {
                            let text = minutes_text(minutes);
                            // Other ways of writing it, for literals on the text.
                            if textual {
                                values.push(Some(Json::String(format!("0{text}"))));
                                if !text.contains('.') {
                                    values.push(Some(Json::String(format!("{text}.0"))));
                                }
                            }
                            values.insert(0, Some(Json::String(text)));
                        }
                        // Text that is also a number of minutes: the automata's choice too,
                        // but the two kinds of literal are not decided together. Where one of
                        // these meets every literal of `MaxSessionDuration` alone, the others
                        // cannot do better unless `Duration` is compared with it.
                        if textual {
                            if let Some(text) = numeric_text(&maximum_literals, cx) {
                                values.insert(0, Some(Json::String(text)));
                            }
                            let meets = |value: &Option<Json>, all: bool| {
                                let session =
                                    session_of(&[(Field::MaxSessionDuration, value.as_ref())]);
                                maximum_literals
                                    .iter()
                                    .filter(|l| all || !reads_text(l))
                                    .all(|l| l.holds(&session, seed.now))
                            };
                            // No number meets the numeric literals: no text of one does.
                            if !values.iter().any(|v| meets(v, false)) {
                                continue;
                            }
                            incomplete |= !values.iter().any(|v| meets(v, true));
                        }
                        values
                    }
                    Shape::MinutesNumber => numbers(&maxima, seed_minutes)
                        .into_iter()
                        .map(minutes_number)
                        .collect(),
                    Shape::Fixed(Some(Json::String(_))) if textual => {
                        match non_numeric_text(&maximum_literals, cx) {
                            Found::Text(text) => vec![Some(Json::String(text))],
                            Found::None => continue,
                            Found::Unknown => {
                                incomplete = true;
                                continue;
                            }
                        }
                    }
                    Shape::Fixed(value) => vec![value.clone()],
                    Shape::Instant => continue,
                };
                let case = Case {
                    literals,
                    reading: &reading,
                    start: start_shape.clone(),
                    end: end_shape.clone(),
                    maxima,
                    maxima_complete: !(textual && *maximum_shape == Shape::MinutesText),
                    anchors: (start_anchor, end_anchor, seed.now.as_micros()),
                    pinned_now,
                };
                if case.difference() == Difference::Empty {
                    continue;
                }
                let (mut cut, mut proved) = (false, false);
                match case.search(cx, &mut cut, &mut proved) {
                    Some(found) => return Solution::Sat(found),
                    None => incomplete |= (case.incomplete() || cut) && !proved,
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
fn shapes_that_fit(field: Field, shapes: Vec<Shape>, literals: &[&Literal<'_>]) -> Vec<Shape> {
    let own: Vec<&&Literal<'_>> = literals
        .iter()
        .filter(|l| matches!(l.atom, Atom::Check { field: f, .. } if f == field))
        .collect();
    shapes
        .into_iter()
        .filter(|shape| {
            let (placeholder, chosen) = match shape {
                Shape::Instant => (Some(instant_json(0)), true),
                Shape::MinutesText => (Some(json!("60")), true),
                Shape::MinutesNumber => (Some(json!(60)), true),
                Shape::Fixed(value) => (value.clone(), false),
            };
            let session = session_of(&[(field, placeholder.as_ref())]);
            own.iter().all(|literal| {
                let decided = match literal.operator() {
                    Some(Operator::Exists(_) | Operator::Type(_)) => true,
                    Some(Operator::Present(_)) => *shape != Shape::MinutesText,
                    _ => !chosen && field != Field::MaxSessionDuration,
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
    let readable = |field: Field| matches!(session.instant(field), crate::model::Read::Value(_));
    let readable = (readable(Field::StartDate), readable(Field::EndDate));
    literals
        .iter()
        .filter(|l| wanted(depends(l, readable, values.end.is_none())))
        .all(|l| l.holds(&session, values.now))
}

const START: u8 = 1;
const END: u8 = 2;
const NOW: u8 = 4;
const MAXIMUM: u8 = 8;

/// The values a literal reads, as a mask: `Duration` reads the start and the end (or the
/// evaluation time while there is no end), where they are readable.
fn depends(literal: &Literal<'_>, (start, end): (bool, bool), no_end: bool) -> u8 {
    let duration = match (start, end, no_end) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_written_as_records_write_them() {
        assert_eq!(minutes_text(60.0), "60");
        assert_eq!(minutes_text(60.5), "60.5");
        assert_eq!(minutes_number(60.0), Some(json!(60)));
        assert!(is_minutes("060") && is_minutes("-1.5") && !is_minutes("inf") && !is_minutes("1."));
    }
}
