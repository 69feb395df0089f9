//! The types of YAML scalars in test files, read as the YAML 1.2 core schema reads them (a
//! quoted `"60"` is a string, a plain `60` an integer), and a test's inline session turned into
//! the JSON record it stands for.
//!
//! The rules are those of serde_yaml 0.9, which read test files before: a property test holds
//! [`json`] equal to serde_yaml's reading (see the tests below), so that no test file changes
//! meaning. Beyond the core schema that means: `True`/`TRUE` and `False`/`FALSE` are booleans,
//! `0b` integers are read, a `+` may precede any number, and digits with a leading zero
//! (`0123`) are a string.

use std::collections::HashSet;
use std::num::ParseIntError;

use marked_yaml::Node;
use marked_yaml::types::MarkedScalarNode;
use serde_json::{Map, Number, Value};

/// What a scalar means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    /// Within `i64` or `u64`, which is what a record can hold.
    Int(i128),
    /// An integer beyond 64 bits.
    TooLarge,
    Float(f64),
    Text(&'a str),
}

/// The meaning of a scalar of a document loaded with coercion prevented for quoted and block
/// scalars, which are always text.
pub(crate) fn scalar(node: &MarkedScalarNode) -> Scalar<'_> {
    if node.may_coerce() {
        plain(node.as_str())
    } else {
        Scalar::Text(node.as_str())
    }
}

/// The meaning of a plain scalar's text.
fn plain(text: &str) -> Scalar<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        _ => {}
    }
    if let Some(int) = unsigned(text, u64::from_str_radix) {
        return Scalar::Int(i128::from(int));
    }
    if let Some(int) = signed(text, i64::from_str_radix) {
        return Scalar::Int(i128::from(int));
    }
    if unsigned(text, u128::from_str_radix).is_some()
        || signed(text, i128::from_str_radix).is_some()
    {
        return Scalar::TooLarge;
    }
    if !leading_zero(text)
        && let Some(float) = float(text)
    {
        return Scalar::Float(float);
    }
    Scalar::Text(text)
}

/// A non-negative integer: `+` at most once, then `0x`, `0o` or `0b` digits, or decimal digits
/// without a leading zero.
fn unsigned<T>(text: &str, parse: fn(&str, u32) -> Result<T, ParseIntError>) -> Option<T> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = unsigned.strip_prefix(prefix) {
            // `from_str_radix` takes a sign of its own, which YAML does not put after the prefix.
            if digits.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = parse(digits, radix) {
                return Some(int);
            }
        }
    }
    if unsigned.starts_with(['+', '-']) || leading_zero(text) {
        return None;
    }
    parse(unsigned, 10).ok()
}

/// An integer that [`unsigned`] does not read: a negative one (`-0x10` too), or `-0`.
fn signed<T>(text: &str, parse: fn(&str, u32) -> Result<T, ParseIntError>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(digits) = text.strip_prefix(prefix)
            && let Ok(int) = parse(&format!("-{digits}"), radix)
        {
            return Some(int);
        }
    }
    if leading_zero(text) {
        return None;
    }
    parse(text, 10).ok()
}

/// Digits with a leading zero, signed or not (`0123`, `-007`): a string in YAML 1.2.
fn leading_zero(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A float: `.inf`, `-.inf` or `.nan` in any of YAML's three spellings, or a finite number
/// that Rust reads (`1.5`, `1e3`, `.5`); Rust's own `inf` and `NaN` are strings.
fn float(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(f64::INFINITY);
    }
    if matches!(text, "-.inf" | "-.Inf" | "-.INF") {
        return Some(f64::NEG_INFINITY);
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A YAML node as the JSON a record is read from: scalars typed, mappings with their keys as
/// text as JSON needs (`1: x` has the key `"1"`). Fails on what JSON cannot hold: a null or
/// non-finite key, an integer beyond 64 bits, and two keys of the same value (`1` and `0x1`).
pub(crate) fn json(node: &Node) -> Result<Value, String> {
    match node {
        Node::Scalar(scalar) => scalar_json(scalar),
        Node::Sequence(items) => items
            .iter()
            .map(json)
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Node::Mapping(map) => {
            let mut seen = HashSet::with_capacity(map.len());
            let mut object = Map::new();
            for (key, value) in map.iter() {
                let typed = scalar(key);
                if !seen.insert(KeyIdentity::of(typed)) {
                    return Err(format!("duplicate entry with key `{}`", key.as_str()));
                }
                let key = match typed {
                    Scalar::Text(text) => text.to_owned(),
                    Scalar::Bool(b) => b.to_string(),
                    Scalar::Int(int) => int.to_string(),
                    Scalar::Float(float) => Number::from_f64(float)
                        .map(|n| n.to_string())
                        .ok_or("float key must be finite (got NaN or +/-inf)")?,
                    Scalar::Null => return Err("key must be a string".to_owned()),
                    Scalar::TooLarge => return Err(too_large(key.as_str())),
                };
                object.insert(key, json(value)?);
            }
            Ok(Value::Object(object))
        }
    }
}

fn scalar_json(node: &MarkedScalarNode) -> Result<Value, String> {
    Ok(match scalar(node) {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        // An `Int` holds a `u64` or an `i64`, so one of the two takes it.
        Scalar::Int(int) => match u64::try_from(int) {
            Ok(int) => Value::from(int),
            Err(_) => i64::try_from(int).map_or(Value::Null, Value::from),
        },
        // JSON has no infinity or NaN: serde_json writes them as null.
        Scalar::Float(float) => Value::from(float),
        Scalar::Text(text) => Value::String(text.to_owned()),
        Scalar::TooLarge => return Err(too_large(node.as_str())),
    })
}

fn too_large(text: &str) -> String {
    format!("the integer `{text}` does not fit in 64 bits")
}

/// What makes two keys the same key: their typed value, with every NaN alike and `0.0` equal to
/// `-0.0`, as YAML compares them.
#[derive(Debug, PartialEq, Eq, Hash)]
enum KeyIdentity<'a> {
    Null,
    Bool(bool),
    Int(i128),
    TooLarge,
    Float(u64),
    Text(&'a str),
}

impl<'a> KeyIdentity<'a> {
    fn of(scalar: Scalar<'a>) -> Self {
        match scalar {
            Scalar::Null => Self::Null,
            Scalar::Bool(b) => Self::Bool(b),
            Scalar::Int(int) => Self::Int(int),
            Scalar::TooLarge => Self::TooLarge,
            Scalar::Float(float) => Self::Float(if float.is_nan() {
                f64::NAN.to_bits()
            } else if float == 0.0 {
                0
            } else {
                float.to_bits()
            }),
            Scalar::Text(text) => Self::Text(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use marked_yaml::LoaderOptions;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn load(text: &str) -> Node {
        let options = LoaderOptions::default()
            .error_on_duplicate_keys(true)
            .prevent_coercion(true);
        marked_yaml::parse_yaml_with_options(0, text, options).unwrap()
    }

    /// serde_yaml's reading of a document, as the JSON it serializes to.
    fn serde_yaml_reading(text: &str) -> Result<Value, String> {
        let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        serde_json::to_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn scalars_are_typed_by_the_core_schema_and_quoting_makes_text() {
        let text = "quoted: \"60\"\nsingle: '60'\nplain: 60\nyes: true\nTitle: True\nnothing: null\n\
            tilde: ~\nempty:\ninf: .inf\nminus_inf: -.inf\nnan: .nan\nhex: 0x1F\noctal: 0o17\n\
            binary: 0b101\nnegative_hex: -0x10\nzeros: 0123\nfloat: 1.5e3\nword: yes\n\
            date: 2026-03-13T21:30:00Z\nbig: 99999999999999999999999999999999999999999\n\
            block: |\n  60\n";
        let expected = json!({
            "quoted": "60", "single": "60", "plain": 60, "yes": true, "Title": true,
            "nothing": null, "tilde": null, "empty": null, "inf": null, "minus_inf": null,
            "nan": null, "hex": 31, "octal": 15, "binary": 5, "negative_hex": -16,
            "zeros": "0123", "float": 1500.0, "word": "yes", "date": "2026-03-13T21:30:00Z",
            "big": 1e41, "block": "60\n"
        });
        assert_eq!(json(&load(text)).unwrap(), expected);
        assert_eq!(serde_yaml_reading(text).unwrap(), expected);
    }

    #[test]
    fn keys_become_text_and_what_json_cannot_hold_is_refused() {
        assert_eq!(
            json(&load("1: a\ntrue: b\n1.5: c\n\"x\": d\n")).unwrap(),
            json!({"1": "a", "true": "b", "1.5": "c", "x": "d"})
        );
        for text in [
            "~: a\n",
            ".nan: a\n",
            "a: 18446744073709551616\n",
            "1: a\n0x1: b\n",
        ] {
            assert!(json(&load(text)).is_err(), "{text}");
            assert!(serde_yaml_reading(text).is_err(), "{text}");
        }
    }

    /// A scalar as written in a document.
    #[derive(Debug, Clone)]
    enum Written {
        Plain(String),
        Single(String),
        Double(String),
        Empty,
    }

    impl Written {
        fn render(&self) -> String {
            match self {
                Self::Plain(text) => text.clone(),
                Self::Single(text) => format!("'{}'", text.replace('\'', "''")),
                Self::Double(text) => {
                    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
                }
                Self::Empty => String::new(),
            }
        }

        /// The text a loader sees, which is what makes two keys the same.
        fn text(&self) -> &str {
            match self {
                Self::Plain(text) | Self::Single(text) | Self::Double(text) => text,
                Self::Empty => "",
            }
        }
    }

    fn token() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            "~",
            "null",
            "Null",
            "NULL",
            "true",
            "True",
            "TRUE",
            "false",
            "FALSE",
            "yes",
            "no",
            "on",
            "off",
            ".inf",
            "-.inf",
            "+.inf",
            ".Inf",
            "-.INF",
            ".nan",
            ".NaN",
            ".NAN",
            "+.nan",
            "-.nan",
            "inf",
            "nan",
            "infinity",
            "0x1F",
            "0o17",
            "0b101",
            "-0x1F",
            "+0x1F",
            "-0o17",
            "-0b11",
            "0x-1",
            "0x+1",
            "+-1",
            "0123",
            "-0123",
            "+0123",
            "00",
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0",
            "1e3",
            "1E-3",
            "1.",
            ".5",
            "-.5",
            "1_000",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "340282366920938463463374607431768211456",
            "1e400",
            "0x",
            "0o",
            "0b2",
            "1.5e+3",
            "2026-03-13",
            "2026-03-13T21:30:00Z",
            "12:30",
            "i-1",
        ])
        .prop_map(str::to_owned);
        prop_oneof![
            special,
            "[-+.]?[0-9a-zA-Z_][0-9a-zA-Z._+-]{0,10}",
            "[-+]?(0[xob])?[0-9a-fA-F_]{1,22}(\\.[0-9]{0,3})?([eE][-+]?[0-9]{1,3})?",
        ]
    }

    fn key() -> impl Strategy<Value = Written> {
        prop_oneof![
            4 => token().prop_map(Written::Plain),
            1 => "[ -~]{0,8}".prop_map(Written::Single),
            1 => "[ -~]{0,8}".prop_map(Written::Double),
        ]
    }

    fn scalar_value() -> impl Strategy<Value = Written> {
        prop_oneof![
            6 => token().prop_map(Written::Plain),
            2 => token().prop_map(Written::Double),
            1 => "[ -~]{0,12}".prop_map(Written::Single),
            1 => "[ -~]{0,12}".prop_map(Written::Double),
            1 => Just(Written::Empty),
        ]
    }

    #[derive(Debug, Clone)]
    enum Entry {
        Scalar(Written),
        Sequence(Vec<Written>),
        Mapping(Vec<(Written, Written)>),
    }

    fn entry() -> impl Strategy<Value = Entry> {
        prop_oneof![
            4 => scalar_value().prop_map(Entry::Scalar),
            1 => prop::collection::vec(scalar_value(), 1..4).prop_map(Entry::Sequence),
            1 => prop::collection::vec((key(), scalar_value()), 1..4).prop_map(Entry::Mapping),
        ]
    }

    /// A block mapping; keys that a loader would see as the same text are written once, since
    /// marked_yaml refuses those (`"1"` and `1`) where serde_yaml may take both.
    fn document(entries: &[(Written, Entry)]) -> String {
        fn unique<T: Clone>(entries: &[(Written, T)]) -> Vec<(Written, T)> {
            let mut by_text = BTreeMap::new();
            for (key, value) in entries {
                by_text
                    .entry(key.text().to_owned())
                    .or_insert((key.clone(), value.clone()));
            }
            by_text.into_values().collect()
        }
        let mut text = String::new();
        for (key, entry) in unique(entries) {
            let key = key.render();
            match entry {
                Entry::Scalar(value) => text.push_str(&format!("{key}: {}\n", value.render())),
                Entry::Sequence(items) => {
                    text.push_str(&format!("{key}:\n"));
                    for item in items {
                        text.push_str(&format!("  - {}\n", item.render()));
                    }
                }
                Entry::Mapping(pairs) => {
                    text.push_str(&format!("{key}:\n"));
                    for (inner, value) in unique(&pairs) {
                        text.push_str(&format!("  {}: {}\n", inner.render(), value.render()));
                    }
                }
            }
        }
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_json_of_a_document_is_serde_yaml_s(
            entries in prop::collection::vec((key(), entry()), 1..6)
        ) {
            let text = document(&entries);
            let expected = serde_yaml_reading(&text);
            let node = marked_yaml::parse_yaml_with_options(
                0,
                &text,
                LoaderOptions::default().error_on_duplicate_keys(true).prevent_coercion(true),
            );
            let node = match node {
                Ok(node) => node,
                Err(error) => {
                    prop_assert!(expected.is_err(), "marked_yaml refused {text:?}: {error}");
                    return Ok(());
                }
            };
            match (json(&node), expected) {
                (Ok(ours), Ok(theirs)) => prop_assert_eq!(ours, theirs, "{:?}", text),
                (Err(_), Err(_)) => {}
                (ours, theirs) => prop_assert!(false, "{text:?}: {ours:?} but serde_yaml {theirs:?}"),
            }
        }
    }
}
