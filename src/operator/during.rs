//! `during`: whether an instant, seen at a UTC offset, falls on given weekdays within a daily window.

use marked_yaml::Node;

use crate::compile::{CompileError, Compiler, Compiles, Failures};
use crate::model::Timestamp;

/// The day names `during` accepts, Monday first.
pub(crate) const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const SECONDS_PER_DAY: i64 = 86_400;

/// A weekly window: days as a bit set (bit 0 Monday), seconds of the day, and the offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    days: u8,
    from: i64,
    to: i64,
    offset: i64,
    shown: String,
}

impl Window {
    pub(super) fn compile(cx: &mut Compiler<'_>, arg: &Node) -> Compiles<Self> {
        let map = cx.mapping(arg, "the argument of `during`")?;
        let mut failures = Failures::default();
        failures.note(cx.check_keys(map, &["days", "from", "to", "offset"], "`during`"));
        let mut days = 0u8;
        let mut day_names = Vec::new();
        if let Some(node) = map.get_node("days") {
            if let Some(list) = failures.note(cx.sequence(node, "`days`")) {
                for day in list.iter() {
                    let Some(name) = failures.note(cx.string(day, "a day")) else {
                        continue;
                    };
                    match DAYS.iter().position(|d| *d == name) {
                        Some(index) => {
                            days |= 1 << index;
                            day_names.push(name.to_owned());
                        }
                        None => failures.add(cx.error_at(
                            day,
                            CompileError::UnknownValue {
                                value: name.to_owned(),
                                what: "day",
                                allowed: &DAYS,
                                suggestion: crate::diagnostic::closest(name, DAYS),
                            },
                        )),
                    }
                }
            }
        } else {
            days = 0x7f;
        }
        let mut time_of_day = |key: &str, default: i64| match map.get_node(key) {
            None => Ok(default),
            Some(node) => {
                let text = cx.string(node, "a time of day")?;
                match parse_time_of_day(text) {
                    Some(seconds) if seconds < SECONDS_PER_DAY || key == "to" => Ok(seconds),
                    _ => Err(cx.error_at(
                        node,
                        CompileError::InvalidTimeOfDay {
                            text: text.to_owned(),
                        },
                    )),
                }
            }
        };
        // All three are read, and their problems reported, before any of them stops the rest.
        let from = time_of_day("from", 0);
        let to = time_of_day("to", SECONDS_PER_DAY);
        let offset = match map.get_node("offset") {
            None => Ok(0),
            Some(node) => cx.string(node, "`offset`").and_then(|text| {
                parse_offset(text).ok_or_else(|| {
                    cx.error_at(
                        node,
                        CompileError::InvalidOffset {
                            text: text.to_owned(),
                        },
                    )
                })
            }),
        };
        let (from, to, offset) = (from?, to?, offset?);
        if from == to || (from == 0 && to == 0) {
            return Err(cx.error_at(
                arg,
                CompileError::EmptyWindow {
                    from: clock(from),
                    to: clock(to),
                },
            ));
        }
        let days_shown = if days == 0x7f {
            "any day".to_owned()
        } else {
            day_names.join(",")
        };
        let sign = if offset < 0 { '-' } else { '+' };
        let shown = format!(
            "during {days_shown} {}-{} {sign}{:02}:{:02}",
            clock(from),
            clock(to),
            offset.abs() / 3600,
            offset.abs() % 3600 / 60
        );
        failures.finish(|| Self {
            days,
            from,
            to,
            offset,
            shown,
        })
    }

    /// Whether the instant falls in the window.
    pub(crate) fn contains(&self, instant: Timestamp) -> bool {
        let local = instant.epoch_seconds() + self.offset;
        let day = local.div_euclid(SECONDS_PER_DAY);
        let second = local.rem_euclid(SECONDS_PER_DAY);
        // 1970-01-01 was a Thursday: index 3 with Monday as 0.
        let weekday = (day + 3).rem_euclid(7);
        if self.days & (1 << weekday) == 0 {
            return false;
        }
        if self.from < self.to {
            self.from <= second && second < self.to
        } else {
            // Wraps past midnight, e.g. 22:00 to 06:00.
            second >= self.from || second < self.to
        }
    }

    /// Where the daily window starts and ends, in seconds after midnight at the offset; `to`
    /// is earlier than `from` when the window wraps past midnight.
    pub(crate) fn bounds(&self) -> (i64, i64) {
        (self.from, self.to)
    }

    /// The UTC offset, in seconds.
    pub(crate) fn offset(&self) -> i64 {
        self.offset
    }

    pub(super) fn expected(&self) -> String {
        self.shown.clone()
    }
}

fn parse_time_of_day(text: &str) -> Option<i64> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
    let valid = (hours < 24 && minutes < 60) || (hours == 24 && minutes == 0);
    valid.then_some(hours * 3600 + minutes * 60)
}

fn parse_offset(text: &str) -> Option<i64> {
    if text == "Z" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, text.get(1..)?),
        b'-' => (-1, text.get(1..)?),
        _ => return None,
    };
    let seconds = parse_time_of_day(rest)?;
    (seconds <= 18 * 3600).then_some(sign * seconds)
}

fn clock(seconds: i64) -> String {
    format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: u8, from: &str, to: &str, offset: &str) -> Window {
        Window {
            days,
            from: parse_time_of_day(from).unwrap(),
            to: parse_time_of_day(to).unwrap(),
            offset: parse_offset(offset).unwrap(),
            shown: String::new(),
        }
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn business_hours_are_judged_at_the_offset() {
        let weekdays = window(0b001_1111, "07:00", "19:00", "+01:00");
        // 06:30Z is 07:30 at +01:00 on a Monday.
        assert!(weekdays.contains(at("2026-11-02T06:30:00Z")));
        assert!(!weekdays.contains(at("2026-11-02T05:59:59Z")));
        // `to` is exclusive: 19:00 local is outside.
        assert!(!weekdays.contains(at("2026-11-02T18:00:00Z")));
        // Saturday.
        assert!(!weekdays.contains(at("2026-11-07T10:00:00Z")));
    }

    #[test]
    fn windows_wrap_past_midnight() {
        let night = window(0x7f, "22:00", "06:00", "Z");
        assert!(night.contains(at("2026-11-02T23:00:00Z")));
        assert!(night.contains(at("2026-11-02T05:00:00Z")));
        assert!(!night.contains(at("2026-11-02T12:00:00Z")));
    }

    #[test]
    fn offsets_and_times_are_validated() {
        assert_eq!(parse_offset("-05:30"), Some(-(5 * 3600 + 30 * 60)));
        assert_eq!(parse_offset("01:00"), None);
        assert_eq!(parse_time_of_day("24:00"), Some(86_400));
        assert_eq!(parse_time_of_day("7:00"), None);
        assert_eq!(parse_time_of_day("12:60"), None);
    }
}
