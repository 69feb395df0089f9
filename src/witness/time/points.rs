//! Candidate points: one in each piece that constants and window edges cut the time line
//! (or the number line) into, nearest the seed first.

use super::{DAY, EARLIEST, Instant, LATEST, MINUTE, SECOND, WEEK};
use crate::operator::Window;

/// Points of every piece of the time line that an instant's literals cut, nearest the
/// anchor first. `linked` are points that another instant's constants put this one at (by a
/// link between them): each starts pieces too, so that the window edges near it are tried.
pub(super) fn unary(instant: &Instant<'_>, anchor: i64, linked: &[i64]) -> Vec<i64> {
    let mut points = vec![anchor];
    let mut starts = vec![anchor];
    for &c in instant.constants.iter().chain(linked) {
        points.extend([c - 1, c, c + 1]);
        starts.extend([c + 1, c - WEEK - 2]);
    }
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
pub(super) fn edges(window: &Window, from: i64, to: i64) -> Vec<i64> {
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
pub(super) fn tidy(mut points: Vec<i64>, anchor: i64) -> Vec<i64> {
    points.retain(|p| (EARLIEST..=LATEST).contains(p));
    points.sort_unstable();
    points.dedup();
    points.sort_by_key(|p| (p % SECOND != 0, (p - anchor).unsigned_abs()));
    points
}

/// Minutes as microseconds, with the microseconds either side (durations are compared as
/// floating-point minutes, so a bound falls between two microseconds).
pub(super) fn spans(minutes: &[f64]) -> Vec<i64> {
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
pub(super) fn numbers(constants: &[f64], anchor: f64) -> Vec<f64> {
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
    }
}
