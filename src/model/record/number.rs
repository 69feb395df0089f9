//! JSON numbers read without serde, where the result cannot differ from serde_json's.
//!
//! Exports written from the API's wire format carry timestamps as epoch seconds
//! (`1771155085.699496`) and `MaxSessionDuration` as a number; the flat reader took every such
//! record to serde. serde_json reads a number as its digits times or over a power of ten, one
//! rounding (or, built with `float_roundtrip`, as the correctly rounded value). Where the
//! digits make at most 2^53 and the power is at most 10^22, both are exact operands and the one
//! rounding is the correct one (Clinger's fast path), so every reading agrees; anything else
//! declines and is read by serde.

/// Powers of ten that a double holds exactly.
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Digits that convert to a double exactly: up to 2^53.
const EXACT_DIGITS: u64 = 1 << 53;

/// The JSON number `bytes` start with, and how many bytes it takes; `None` for anything that
/// is not one, or that serde_json might read to another value than this.
pub(super) fn read_number(bytes: &[u8]) -> Option<(f64, usize)> {
    let negative = bytes.first() == Some(&b'-');
    let mut at = usize::from(negative);
    let mut digits = 0u64;
    // The integer part: `0`, or digits that do not start with one.
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at = accumulate(bytes, at, &mut digits)?,
        _ => return None,
    }
    let mut exponent = 0i32;
    if bytes.get(at) == Some(&b'.') {
        let start = at + 1;
        at = accumulate(bytes, start, &mut digits)?;
        if at == start {
            return None;
        }
        exponent -= i32::try_from(at - start).ok()?;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        let negative_power = bytes.get(at) == Some(&b'-');
        at += usize::from(matches!(bytes.get(at), Some(b'-' | b'+')));
        let start = at;
        let mut written = 0u64;
        at = accumulate(bytes, start, &mut written)?;
        // More than three digits of exponent is far outside the exact powers anyway.
        if at == start || at - start > 3 {
            return None;
        }
        let written = i32::try_from(written).ok()?;
        exponent += if negative_power { -written } else { written };
    }
    if digits > EXACT_DIGITS {
        return None;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "at most 2^53, which a double holds exactly"
    )]
    let exact = digits as f64;
    let power = EXACT_POWERS.get(usize::try_from(exponent.unsigned_abs()).ok()?)?;
    let magnitude = if exponent < 0 {
        exact / power
    } else {
        exact * power
    };
    // Negated last, as serde_json does: `-0` is negative zero there too.
    Some((if negative { -magnitude } else { magnitude }, at))
}

/// Adds the digits from `at` on to `value`; returns where they end, or `None` on overflow.
fn accumulate(bytes: &[u8], mut at: usize, value: &mut u64) -> Option<usize> {
    while let Some(digit) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
        *value = value
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
        at += 1;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_json reads `text` as, the way the full reader takes numbers.
    fn serde(text: &str) -> f64 {
        match serde_json::from_str::<serde_json::Value>(text).unwrap() {
            serde_json::Value::Number(n) => n
                .as_u64()
                .map(|n| n as f64)
                .or_else(|| n.as_i64().map(|n| n as f64))
                .or_else(|| n.as_f64())
                .unwrap(),
            other => panic!("{other} is not a number"),
        }
    }

    #[test]
    fn numbers_read_here_are_what_serde_json_and_the_standard_library_read() {
        for text in [
            "0",
            "-0",
            "7",
            "-3",
            "60",
            "240",
            "1771155085.699496",
            "1771155085",
            "0.1",
            "0.5",
            "-1.5e3",
            "1e22",
            "1E+2",
            "1e-7",
            "2.5e-8",
            "-0.0",
            "123.456e-2",
            "9007199254740992",
            "0.000001",
            "1.500",
            "4503599627370.5",
        ] {
            let (value, length) = read_number(text.as_bytes()).expect(text);
            assert_eq!(length, text.len(), "{text}");
            let expected = serde(text);
            assert_eq!(
                value.to_bits(),
                expected.to_bits(),
                "{text}: {value} vs {expected}"
            );
            assert_eq!(value, text.parse::<f64>().unwrap(), "{text}");
        }
    }

    #[test]
    fn what_serde_json_might_read_otherwise_or_is_not_json_declines() {
        for text in [
            "9007199254740993",
            "1e23",
            "1.7976931348623157e308",
            "123456789012345678901",
            "0.1e-22",
            "1e1000",
            "-",
            "1.",
            ".5",
            "+1",
            "1e",
            "1e+",
            "-a",
            "",
            "1e0001",
            "4503599627370497.5",
            "4503599627370496.5",
        ] {
            assert!(read_number(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn a_number_ends_where_the_json_after_it_starts() {
        assert_eq!(read_number(b"60,\"x\""), Some((60.0, 2)));
        assert_eq!(read_number(b"-2.5}"), Some((-2.5, 4)));
        assert_eq!(read_number(b"1e3 "), Some((1000.0, 3)));
        // A leading zero is a number of its own: what follows it is the reader's to refuse.
        assert_eq!(read_number(b"01"), Some((0.0, 1)));
        assert_eq!(read_number(b"0x10"), Some((0.0, 1)));
    }
}
