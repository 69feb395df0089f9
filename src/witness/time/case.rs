//! One combination of shapes of the group, searched over its candidate instants and numbers:
//! each candidate filtered first by the literals that read it alone, then combined.

use serde_json::Value as Json;

use super::points::{spans, tidy, unary};
use super::{
    END, Instant, MAX_CANDIDATES, MAX_TRIES, MAXIMUM, NOW, Reading, START, Shape, TimeValues,
    holds, instant_json, is_minutes,
};
use crate::model::{Field, Timestamp};
use crate::operator::{Operand, Operator, Order};
use crate::witness::Context;
use crate::witness::literal::{Atom, Literal};

/// What the literals allow of the difference between the linked instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Difference {
    /// Nothing: the shapes cannot meet the literals.
    Empty,
    /// Everything above a bound, or below one, or everything.
    HalfLine,
    /// Bounded on both sides, or compared with another number.
    Bounded,
}

/// One combination of shapes, searched over its candidate instants and numbers.
pub(super) struct Case<'r, 'l, 'p> {
    pub literals: &'l [&'l Literal<'p>],
    pub reading: &'r Reading<'p>,
    pub start: Shape,
    pub end: Shape,
    pub maxima: Vec<Option<Json>>,
    /// Whether the maxima cover every case of `MaxSessionDuration`'s own literals.
    pub maxima_complete: bool,
    /// The seed's start, end and evaluation time, in microseconds.
    pub anchors: (i64, i64, i64),
    pub pinned_now: Option<Timestamp>,
}

impl Case<'_, '_, '_> {
    fn readable(shape: &Shape) -> bool {
        *shape == Shape::Instant
    }

    /// Whether the start is tied to the end, or to the evaluation time, by a difference.
    fn linked(&self) -> (bool, bool) {
        let durations = !self.reading.durations.is_empty() || self.reading.linked_maximum;
        let start = Self::readable(&self.start);
        let to_end =
            start && Self::readable(&self.end) && (durations || self.reading.linked_instants);
        let to_now = start && self.end == Shape::Fixed(None) && durations;
        (to_end, to_now)
    }

    /// The lowest and highest values `MaxSessionDuration`'s comparisons with constants and
    /// its numeric `in` allow it (infinite where they do not bound it).
    fn maximum_range(&self) -> (f64, f64) {
        let (mut low, mut high) = (f64::NEG_INFINITY, f64::INFINITY);
        for literal in self.literals {
            let Atom::Check {
                field: Field::MaxSessionDuration,
                operator,
            } = literal.atom
            else {
                continue;
            };
            match operator {
                Operator::Compare(comparison) => {
                    let Operand::Value(value) = comparison.operand() else {
                        continue;
                    };
                    let above = matches!(
                        (comparison.order(), literal.want),
                        (Order::Gt | Order::Gte, true) | (Order::Lt | Order::Lte, false)
                    );
                    // Asked only where the maximum is a number: `not (<= 60)` is `> 60` then.
                    if above {
                        low = low.max(value);
                    } else {
                        high = high.min(value);
                    }
                }
                Operator::Membership(set)
                    if literal.want && !set.is_negated() && set.texts().is_empty() =>
                {
                    let numbers = set.numbers();
                    low = low.max(numbers.iter().copied().fold(f64::INFINITY, f64::min));
                    high = high.min(numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max));
                }
                _ => {}
            }
        }
        (low, high)
    }

    /// Whether the maximum is a number of minutes in this case.
    fn maximum_numeric(&self) -> bool {
        self.maxima.iter().flatten().any(|m| match m {
            Json::Number(_) => true,
            Json::String(text) => is_minutes(text),
            _ => false,
        })
    }

    /// The differences (end or evaluation time, less start, in minutes) that the literals
    /// allow, where the start is linked.
    pub(super) fn difference(&self) -> Difference {
        let (to_end, to_now) = self.linked();
        if !to_end && !to_now {
            return Difference::HalfLine;
        }
        let mut lower = (f64::NEG_INFINITY, false);
        let mut upper = (f64::INFINITY, false);
        let mut other = false;
        // What `MaxSessionDuration`'s own comparisons allow it, for `Duration` compared with it.
        let (maximum_low, maximum_high) = self.maximum_range();
        let mut bound = |above: bool, value: f64, strict: bool| {
            if above {
                if value > lower.0 || (value == lower.0 && strict) {
                    lower = (value, strict);
                }
            } else if value < upper.0 || (value == upper.0 && strict) {
                upper = (value, strict);
            }
        };
        for literal in self.literals {
            let Atom::Check { field, operator } = literal.atom else {
                continue;
            };
            let want = literal.want;
            match (field, operator) {
                // A comparison with a maximum that is no number never holds: where it must,
                // nothing does; where it must not, it says nothing.
                (Field::Duration, Operator::Compare(comparison))
                    if !self.maximum_numeric()
                        && comparison.operand() == Operand::Field(Field::MaxSessionDuration)
                        && want =>
                {
                    return Difference::Empty;
                }
                (Field::Duration, Operator::Compare(comparison))
                    if !self.maximum_numeric()
                        && comparison.operand() == Operand::Field(Field::MaxSessionDuration) => {}
                (Field::MaxSessionDuration, Operator::Compare(comparison))
                    if comparison.operand() == Operand::Field(Field::Duration) =>
                {
                    if !self.maximum_numeric() && want {
                        return Difference::Empty;
                    }
                    other |= self.maximum_numeric();
                }
                (Field::Duration, Operator::Compare(comparison))
                    if comparison.operand() == Operand::Field(Field::MaxSessionDuration) =>
                {
                    other = true;
                    // `Duration < M` puts it below M's highest value; `not (Duration <= M)`
                    // above M's lowest.
                    let above = matches!(
                        (comparison.order(), want),
                        (Order::Gt | Order::Gte, true) | (Order::Lt | Order::Lte, false)
                    );
                    if above {
                        bound(true, maximum_low, false);
                    } else {
                        bound(false, maximum_high, false);
                    }
                }
                (Field::Duration, Operator::Compare(comparison)) => match comparison.operand() {
                    Operand::Value(value) => {
                        let (above, strict) = match (comparison.order(), want) {
                            (Order::Gt, true) | (Order::Lte, false) => (true, true),
                            (Order::Gte, true) | (Order::Lt, false) => (true, false),
                            (Order::Lt, true) | (Order::Gte, false) => (false, true),
                            (Order::Lte, true) | (Order::Gt, false) => (false, false),
                        };
                        bound(above, value, strict);
                    }
                    Operand::Field(_) => other = true,
                },
                (Field::Duration, Operator::Membership(_)) => other = true,
                (Field::EndDate | Field::StartDate, Operator::Time(time)) if to_end => {
                    if let Operand::Field(other_field) = time.operand()
                        && other_field != field
                    {
                        // `EndDate after StartDate` and `StartDate before EndDate` are a
                        // positive difference.
                        let positive = time.is_after() == (field == Field::EndDate);
                        bound(positive == want, 0.0, want);
                    }
                }
                _ => {}
            }
        }
        let empty = lower.0 > upper.0 || (lower.0 == upper.0 && (lower.1 || upper.1));
        if empty {
            Difference::Empty
        } else if other || (lower.0.is_finite() && upper.0.is_finite()) {
            Difference::Bounded
        } else {
            Difference::HalfLine
        }
    }

    /// Whether an empty search here proves nothing.
    ///
    /// Where the difference is allowed only above (or only below) a bound, the earliest (or
    /// latest) point of each piece of the start is a candidate, and the other instant's pieces
    /// within a week of it are, which covers every case. A difference bounded on both sides
    /// (or compared with `MaxSessionDuration`) between instants with windows can fall between
    /// candidates.
    pub(super) fn incomplete(&self) -> bool {
        let (to_end, to_now) = self.linked();
        let windows = |i: &Instant<'_>| !i.windows.is_empty();
        let windowed = (to_end && (windows(&self.reading.start) || windows(&self.reading.end)))
            || (to_now && windows(&self.reading.start));
        windowed && self.difference() == Difference::Bounded
    }

    fn values(&self, start: i64, end: i64, now: i64, maximum: &Option<Json>) -> TimeValues {
        TimeValues {
            start: match &self.start {
                Shape::Fixed(value) => value.clone(),
                _ => Some(instant_json(start)),
            },
            end: match &self.end {
                Shape::Fixed(value) => value.clone(),
                _ => Some(instant_json(end)),
            },
            max_duration: maximum.clone(),
            now: Timestamp::from_micros(now),
        }
    }

    /// Tries the candidates, each filtered first by the literals that read it alone. `proved`
    /// is set where an instant, or the maximum, meets its own literals nowhere: its candidates
    /// cover every case of those, so no link can help.
    pub(super) fn search(
        &self,
        cx: &mut Context,
        cut: &mut bool,
        proved: &mut bool,
    ) -> Option<TimeValues> {
        let (start_anchor, end_anchor, now_anchor) = self.anchors;
        let (to_end, to_now) = self.linked();
        let literals = self.literals;
        let only = |mask: u8| move |deps: u8| deps & !mask == 0;
        let base = self.values(start_anchor, end_anchor, now_anchor, &None);
        // Literals that read nothing variable here are settled by the shapes alone.
        if !holds(literals, &base, |deps| deps == 0) {
            *proved = true;
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
        if maxima.is_empty() && self.maxima_complete {
            *proved = true;
            return None;
        }
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
            None => unary(&self.reading.now, now_anchor, &[]),
        };
        let end_points = unary(&self.reading.end, end_anchor, &[]);
        let starts = if Self::readable(&self.start) {
            // The other instant's constants, less each difference: where the start must be
            // for the other to meet them.
            let others: Vec<i64> = match (to_end, to_now, self.pinned_now) {
                (true, _, _) => self.reading.end.constants.clone(),
                (_, true, Some(now)) => vec![now.as_micros()],
                (_, true, None) => self.reading.now.constants.clone(),
                _ => Vec::new(),
            };
            let linked: Vec<i64> = others
                .iter()
                .flat_map(|other| spans.iter().map(move |d| other - d))
                .collect();
            let mut points = unary(&self.reading.start, start_anchor, &linked);
            let transferred = match (to_end, to_now) {
                (true, _) => &end_points,
                (_, true) => &now_points,
                _ => &Vec::new(),
            };
            for other in transferred.iter().take(64) {
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
        let end_alone = !Self::readable(&self.end)
            || end_points.iter().any(|e| {
                let values = self.values(start_anchor, *e, now_anchor, &None);
                holds(literals, &values, only(END))
            });
        if starts.is_empty() || !end_alone {
            *proved = true;
            return None;
        }
        if starts.len() > MAX_CANDIDATES {
            *cut = true;
        }
        let mut tries = 0;
        for maximum in maxima {
            for &start in starts.iter().take(MAX_CANDIDATES) {
                let offset = start - start_anchor;
                // Where the start moved, the seed's end and evaluation time move with it first:
                // the session keeps its length, and `now` stays after it.
                let ends = if Self::readable(&self.end) {
                    let mut points = end_points.clone();
                    points.push(end_anchor + offset);
                    if to_end {
                        let linked: Vec<i64> = spans.iter().map(|d| start + d).collect();
                        points.extend(unary(&self.reading.end, start, &linked));
                    }
                    tidy(points, end_anchor + offset)
                } else {
                    vec![end_anchor]
                };
                let nows = match self.pinned_now {
                    None => {
                        let mut points = now_points.clone();
                        points.push(now_anchor + offset);
                        if to_now {
                            points.extend(spans.iter().map(|d| start + d));
                        }
                        tidy(points, now_anchor + offset)
                    }
                    Some(_) => now_points.clone(),
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
                        tries += 1;
                        if !cx.meter.tick(1) || tries > MAX_TRIES {
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
