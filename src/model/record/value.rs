//! A field's JSON value as the readers keep it: scalars as they are, arrays and objects whole
//! for the `type` operator and for reports, and `OutputUrl`'s members as fields of their own.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::MAX_VALUE_NESTING;
use crate::model::field::Field;
use crate::model::session::Value;

/// A field's JSON value, whatever its type: policies judge types, the reader does not.
pub(super) struct FieldValue<'a>(pub(super) Value<'a>);

impl<'de> Deserialize<'de> for FieldValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(FieldValue)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        composite(value)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        composite(value)
    }
}

/// An array or object kept for the `type` operator and for reports, if it is not too deep.
fn composite<'de, E: de::Error>(value: serde_json::Value) -> Result<Value<'de>, E> {
    if nesting(&value) > MAX_VALUE_NESTING {
        return Err(E::custom(format_args!(
            "a field's value nested deeper than {MAX_VALUE_NESTING} levels"
        )));
    }
    Ok(Value::Composite(Box::new(value)))
}

/// Levels of arrays and objects in a value, counted without recursion.
fn nesting(value: &serde_json::Value) -> usize {
    use serde_json::Value as Json;
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            Json::Array(items) => stack.extend(items.iter().map(|item| (item, depth + 1))),
            Json::Object(members) => stack.extend(members.values().map(|item| (item, depth + 1))),
            _ => continue,
        }
        deepest = depth.max(deepest);
    }
    deepest
}

/// The members of `OutputUrl`, resolved without allocating the key.
enum OutputUrlKey {
    S3,
    CloudWatch,
    Other,
}

impl<'de> Deserialize<'de> for OutputUrlKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = OutputUrlKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<OutputUrlKey, E> {
                Ok(match name {
                    "S3OutputUrl" => OutputUrlKey::S3,
                    "CloudWatchOutputUrl" => OutputUrlKey::CloudWatch,
                    _ => OutputUrlKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `OutputUrl`: an object whose members become fields of their own, or any other value as is.
pub(super) struct OutputUrl<'a> {
    pub(super) value: Option<Value<'a>>,
    pub(super) members: Vec<(Field, Option<Value<'a>>)>,
}

impl<'de> Deserialize<'de> for OutputUrl<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OutputUrlVisitor)
    }
}

struct OutputUrlVisitor;

impl<'de> Visitor<'de> for OutputUrlVisitor {
    type Value = OutputUrl<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(OutputUrl {
            value: None,
            members: Vec::new(),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<OutputUrlKey>()? {
            let member = match key {
                OutputUrlKey::S3 => Field::S3OutputUrl,
                OutputUrlKey::CloudWatch => Field::CloudWatchOutputUrl,
                OutputUrlKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let value = map.next_value::<Option<FieldValue<'de>>>()?;
            members.push((member, value.map(|v| v.0)));
        }
        Ok(OutputUrl {
            value: Some(Value::OutputUrl),
            members,
        })
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_borrowed_str(v)?)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_str(v)?)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.scalar(Value::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_i64(v)?)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.scalar(ValueVisitor.visit_u64(v)?)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.scalar(Value::Bool(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.scalar(ValueVisitor.visit_seq(seq)?)
    }
}

impl OutputUrlVisitor {
    fn scalar<'de, E>(self, value: Value<'de>) -> Result<OutputUrl<'de>, E> {
        Ok(OutputUrl {
            value: Some(value),
            members: Vec::new(),
        })
    }
}
