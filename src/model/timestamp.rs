//! Instants read from every timestamp form AWS tools write, compared as instants, never as text.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant, in microseconds since the Unix epoch.
///
/// Microseconds are the finest unit any AWS tool writes (CLI v2 prints six fraction digits),
/// so the epoch-seconds and ISO-8601 forms of one instant compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why a value is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("`{text}` is not an RFC 3339 timestamp")]
    Malformed { text: String },
    #[error("`{value}` is outside the years 1 to 9999")]
    OutOfRange { value: String },
}

const MICROS_PER_SECOND: i64 = 1_000_000;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years RFC 3339 can write.
const MIN_SECONDS: f64 = -62_135_596_800.0;
const MAX_SECONDS: f64 = 253_402_300_799.0;

impl Timestamp {
    /// The instant `micros` microseconds after the Unix epoch.
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Reads epoch seconds, as the raw API and AWS CLI v1 write them (`1550676938.352`).
    pub fn from_epoch_seconds(seconds: f64) -> Result<Self, TimestampError> {
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            return Err(TimestampError::OutOfRange {
                value: seconds.to_string(),
            });
        }
        // Rounding, not truncating: 1550676938.352 is 1550676938.35199999... as a double.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "the range check above bounds it"
        )]
        let micros = (seconds * MICROS_PER_SECOND as f64).round() as i64;
        Ok(Self(micros))
    }

    /// Reads RFC 3339 / ISO-8601 with a `Z` or numeric offset and any number of fraction digits.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        match parse_common(text.as_bytes()) {
            Some(micros) if Self::RANGE.contains(&micros) => Ok(Self(micros)),
            _ => Self::parse_uncommon(text),
        }
    }

    /// Both parsers read year 0000, and an offset can carry year 1 or 9999 past the range:
    /// the same bounds as epoch seconds, so that no form of an instant is read where another
    /// is not.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the bounds are whole seconds well inside i64 microseconds"
    )]
    const RANGE: std::ops::Range<i64> =
        MIN_SECONDS as i64 * MICROS_PER_SECOND..(MAX_SECONDS as i64 + 1) * MICROS_PER_SECOND;

    /// What the fast path leaves: other forms, and instants out of range. Out of line, so that
    /// the general parser's code is not fetched with the fast path's twice a record.
    #[cold]
    #[inline(never)]
    fn parse_uncommon(text: &str) -> Result<Self, TimestampError> {
        let malformed = |_| TimestampError::Malformed {
            text: text.to_owned(),
        };
        let instant =
            Self::from_datetime(OffsetDateTime::parse(text, &Rfc3339).map_err(malformed)?);
        if !Self::RANGE.contains(&instant.0) {
            return Err(TimestampError::OutOfRange {
                value: text.to_owned(),
            });
        }
        Ok(instant)
    }

    /// Reads a policy's timestamp argument: RFC 3339, or a date meaning the start of that day in UTC.
    pub fn parse_instant_or_date(text: &str) -> Result<Self, TimestampError> {
        Self::parse(text).or_else(|error| match parse_date(text) {
            Some(day) => Ok(day),
            None => Err(error),
        })
    }

    /// Reads an expiry: a date is valid through its end (UTC), so it expires at the next midnight.
    pub fn parse_expiry(text: &str) -> Result<Self, TimestampError> {
        match parse_date(text) {
            Some(day) => Ok(Self(day.0 + 86_400 * MICROS_PER_SECOND)),
            None => Self::parse(text),
        }
    }

    fn from_datetime(datetime: OffsetDateTime) -> Self {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "years 1..=9999 fit in i64 microseconds"
        )]
        // Finer digits are dropped toward the earlier instant, as the fast path drops them:
        // plain division would round instants before 1970 the other way.
        let micros = datetime.unix_timestamp_nanos().div_euclid(1_000) as i64;
        Self(micros)
    }

    /// Whole seconds since the epoch, rounded down.
    pub fn epoch_seconds(self) -> i64 {
        self.0.div_euclid(MICROS_PER_SECOND)
    }

    /// Minutes from `earlier` to `self`, fractional.
    pub fn minutes_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / (60 * MICROS_PER_SECOND) as f64
    }
}

/// The form every AWS tool writes, `2026-03-08T01:52:10.204000-05:00` or `...Z`, read without
/// the general parser: this runs twice per record on the hot path. Anything else (lowercase
/// `t`, leap seconds, odd digits) returns `None` and goes to `time`'s RFC 3339 parser, which
/// decides; the fast path accepts nothing that parser would reject.
fn parse_common(b: &[u8]) -> Option<i64> {
    let (head, rest) = b.split_first_chunk::<19>()?;
    let [year, month, day, hour, minute, second] = read_head(head)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let (micros, zone) = match rest.split_first() {
        Some((b'.', fraction)) => read_fraction(fraction)?,
        _ => (0, rest),
    };
    let offset = match *zone {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h0, h1, b':', m0, m1] => {
            if ![h0, h1, m0, m1].iter().all(u8::is_ascii_digit) {
                return None;
            }
            let (h, m) = (decimal(&[h0, h1]), decimal(&[m0, m1]));
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = h * 3600 + m * 60;
            if sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds * MICROS_PER_SECOND + micros)
}

/// Reads `YYYY-MM-DDTHH:MM:SS` as three eight-byte words (the last overlapping the middle one),
/// each checked against its template at once: year, month, day, hour, minute, second.
fn read_head(head: &[u8; 19]) -> Option<[i64; 6]> {
    // A word as the values of its digits, or `None` if a digit or punctuation is wrong. After
    // XOR with the template, a digit is its value and matching punctuation is 0.
    let word = |bytes: &[u8], template: &[u8; 8]| -> Option<u64> {
        let (word, _) = bytes.split_first_chunk::<8>()?;
        let value = u64::from_le_bytes(*word) ^ u64::from_le_bytes(*template);
        let digits = u64::from_le_bytes(template.map(|t| if t == b'0' { 0xff } else { 0 }));
        (over_nine(value) & digits == 0 && value & !digits == 0).then_some(value)
    };
    let a = word(head, b"0000-00-")?;
    let b = word(head.get(8..)?, b"00T00:00")?;
    let c = word(head.get(11..)?, b"00:00:00")?;
    let digit = |word: u64, at: u32| i64::from((word >> (8 * at)) as u8);
    let two = |word: u64, at: u32| digit(word, at) * 10 + digit(word, at + 1);
    Some([
        two(a, 0) * 100 + two(a, 2),
        two(a, 5),
        two(b, 0),
        two(b, 3),
        two(b, 6),
        two(c, 6),
    ])
}

/// The digits after the seconds' `.` as microseconds (finer digits dropped, as the general
/// path drops them), and what follows them. Eight bytes are looked at in one step, which
/// holds the six digits AWS tools write and the zone's first bytes.
#[inline(always)]
fn read_fraction(fraction: &[u8]) -> Option<(i64, &[u8])> {
    const SCALE: [i64; 7] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    if let Some(word) = fraction.first_chunk::<8>() {
        let digits = u64::from_le_bytes(*word) ^ u64::from_ne_bytes([b'0'; 8]);
        let count = over_nine(digits).trailing_zeros() as usize / 8;
        if (1..8).contains(&count) {
            // The kept digits moved to the top bytes, with zeros, as leading zeros, below.
            let kept = count.min(6);
            let value = eight_digits(digits << (8 * (8 - kept)));
            return Some((value * SCALE.get(kept)?, fraction.get(count..)?));
        }
    }
    let count = match fraction.first_chunk::<8>() {
        Some(word) => {
            let value = u64::from_le_bytes(*word) ^ u64::from_ne_bytes([b'0'; 8]);
            match over_nine(value).trailing_zeros() as usize / 8 {
                8 => {
                    8 + fraction
                        .iter()
                        .skip(8)
                        .take_while(|c| c.is_ascii_digit())
                        .count()
                }
                digits => digits,
            }
        }
        None => fraction.iter().take_while(|c| c.is_ascii_digit()).count(),
    };
    if count == 0 || count > 9 {
        return None;
    }
    let kept = count.min(6);
    let value = decimal(fraction.get(..kept)?);
    Some((value * SCALE.get(kept)?, fraction.get(count..)?))
}

/// The high bit of each byte of `value` that is more than 9: adding 0x76 sets it (or it was
/// set already); clearing the high bits first keeps the additions from carrying into the next
/// byte. Digits XORed with `'0'` are their values, so this flags the bytes that were not digits.
fn over_nine(value: u64) -> u64 {
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    (((value & !HIGHS) + u64::from_ne_bytes([0x76; 8])) | value) & HIGHS
}

/// The number eight digit values (0 to 9, the first in the lowest byte) make, in three
/// multiplications instead of eight steps (the method of simdjson and fast_float).
#[inline]
fn eight_digits(digits: u64) -> i64 {
    let pairs = (digits.wrapping_mul(10 * 256 + 1) >> 8) & 0x00ff_00ff_00ff_00ff;
    let fours = (pairs.wrapping_mul(100 * 65_536 + 1) >> 16) & 0x0000_ffff_0000_ffff;
    let eight = fours.wrapping_mul(10_000 * (1 << 32) + 1) >> 32;
    // At most 99,999,999.
    i64::try_from(eight & 0xffff_ffff).unwrap_or(0)
}

/// The value of ASCII digits already checked to be digits.
fn decimal(digits: &[u8]) -> i64 {
    digits
        .iter()
        .fold(0i64, |n, digit| n * 10 + i64::from(digit - b'0'))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
#[inline(always)]
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn parse_date(text: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, format).ok()?;
    Some(Timestamp::from_datetime(date.midnight().assume_utc()))
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, with the fraction only when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.0) * 1_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(datetime) => match datetime.format(&Rfc3339) {
                Ok(text) => f.write_str(&text),
                Err(_) => write!(f, "{}µs", self.0),
            },
            Err(_) => write!(f, "{}µs", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_aws_form_of_one_instant_is_equal() {
        let api = Timestamp::from_epoch_seconds(1_550_676_938.352).unwrap();
        let cli_v2 = Timestamp::parse("2019-02-20T07:35:38.352000-08:00").unwrap();
        let zulu = Timestamp::parse("2019-02-20T15:35:38.352Z").unwrap();
        assert_eq!(api, cli_v2);
        assert_eq!(api, zulu);
    }

    #[test]
    fn fractions_of_every_length_are_read_to_the_microsecond() {
        for digits in [
            "1",
            "12",
            "123",
            "1234",
            "12345",
            "123456",
            "1234567",
            "12345678",
            "987654321",
        ] {
            for zone in ["Z", "+01:30"] {
                let text = format!("2026-03-09T14:00:00.{digits}{zone}");
                let fraction = &text.as_bytes()[20..];
                let micros: i64 = format!("{digits:0<6}")[..6].parse().unwrap();
                assert_eq!(
                    read_fraction(fraction),
                    Some((micros, zone.as_bytes())),
                    "{text}"
                );
            }
        }
        assert_eq!(eight_digits(u64::from_le_bytes([9; 8])), 99_999_999);
        assert_eq!(
            eight_digits(u64::from_le_bytes([1, 2, 3, 4, 5, 6, 7, 8])),
            12_345_678
        );
    }

    #[test]
    fn zero_fraction_digits_and_offsets_are_read() {
        let a = Timestamp::parse("2026-03-09T14:00:00-04:00").unwrap();
        let b = Timestamp::parse("2026-03-09T18:00:00Z").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn instants_across_a_daylight_saving_change_compare_by_time_not_text() {
        let start = Timestamp::parse("2026-03-08T01:52:10.204000-05:00").unwrap();
        let end = Timestamp::parse("2026-03-08T03:05:44.918000-04:00").unwrap();
        let minutes = end.minutes_since(start);
        assert!((minutes - 13.579).abs() < 0.001, "{minutes}");
    }

    #[test]
    fn garbage_and_out_of_range_values_are_errors() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("10000-01-01T00:00:00Z").is_err());
        assert!(Timestamp::from_epoch_seconds(f64::NAN).is_err());
        assert!(Timestamp::from_epoch_seconds(1e300).is_err());
        assert!(Timestamp::from_epoch_seconds(-1.5).is_ok());
    }

    #[test]
    fn text_outside_the_years_1_to_9999_is_out_of_range_like_epoch_seconds() {
        for text in [
            "0000-01-01T00:00:00Z",
            "0000-12-31T23:59:59.999999Z",
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
            "0000-06-01t00:00:00z",
        ] {
            assert!(
                matches!(
                    Timestamp::parse(text),
                    Err(TimestampError::OutOfRange { .. })
                ),
                "{text}"
            );
        }
        let first = Timestamp::parse("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(first, Timestamp::from_epoch_seconds(MIN_SECONDS).unwrap());
        let last = Timestamp::parse("9999-12-31T23:59:59.999999Z").unwrap();
        assert!(last > Timestamp::from_epoch_seconds(MAX_SECONDS).unwrap());
    }

    #[test]
    fn a_date_expiry_lasts_through_the_end_of_that_day() {
        let expiry = Timestamp::parse_expiry("2026-12-31").unwrap();
        assert_eq!(expiry, Timestamp::parse("2027-01-01T00:00:00Z").unwrap());
        let exact = Timestamp::parse_expiry("2026-12-31T12:00:00Z").unwrap();
        assert_eq!(exact, Timestamp::parse("2026-12-31T12:00:00Z").unwrap());
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_parser() {
        let samples = [
            "2019-02-20T07:35:38.352000-08:00",
            "2026-03-08T01:52:10.204000-05:00",
            "2026-03-09T14:00:00-04:00",
            "2025-11-14T16:12:09Z",
            "2024-02-29T23:59:59.999999+05:30",
            "1969-12-31T23:59:59.5Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.123456789+00:00",
        ];
        for text in samples {
            let general = OffsetDateTime::parse(text, &Rfc3339).unwrap();
            let fast = parse_common(text.as_bytes()).unwrap();
            assert_eq!(fast, Timestamp::from_datetime(general).0, "{text}");
        }
        for rejected in [
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00+0100",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00Zx",
            "2026-01-01T00:00:00+01:0a",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00-05:00 ",
            "2026-1-01T00:00:00Z",
            "+026-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_common(rejected.as_bytes()), None, "{rejected}");
        }
    }

    #[test]
    fn display_is_rfc3339_utc() {
        let t = Timestamp::parse("2019-02-20T07:35:38-08:00").unwrap();
        assert_eq!(t.to_string(), "2019-02-20T15:35:38Z");
    }

    mod properties {
        use proptest::prelude::*;
        use time::OffsetDateTime;
        use time::format_description::well_known::Rfc3339;

        use super::super::{Timestamp, parse_common};

        /// Text of the AWS form with any character at any place now and then.
        fn near_aws_form() -> impl Strategy<Value = String> {
            let form = "[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{1,9})?(Z|[+-][0-2][0-9]:[0-6][0-9])";
            (form, any::<u8>(), any::<char>()).prop_map(|(text, at, c)| {
                let mut chars: Vec<char> = text.chars().collect();
                if at % 4 == 0 {
                    let at = usize::from(at) % chars.len();
                    chars[at] = c;
                }
                chars.into_iter().collect()
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

            /// What the fast path reads, the general parser reads to the same instant.
            #[test]
            fn the_fast_path_never_disagrees_with_the_general_parser(text in near_aws_form()) {
                if let Some(fast) = parse_common(text.as_bytes()) {
                    let general = OffsetDateTime::parse(&text, &Rfc3339);
                    prop_assert!(general.is_ok(), "{} read by the fast path only", text);
                    prop_assert_eq!(fast, Timestamp::from_datetime(general.unwrap()).0, "{}", text);
                }
            }
        }
    }
}
