//! Keeping the event's secrets out of logs and answers: the `tokenValue` and `streamUrl` of a
//! `StartSession`, `ResumeSession` or ECS Exec `ExecuteCommand` response open the session's
//! data channel to whoever holds them.

use serde_json::Value;

/// What replaces secrets of the event wherever they would be logged or answered.
pub(super) const REDACTED: &str = "[redacted]";

/// The secrets an event carries: every string under a `tokenValue` or `streamUrl` key (any case,
/// any depth). An event that is not JSON has none that could be quoted back: JSON syntax errors
/// name a position, never a value.
pub(super) fn secrets_of(event: &[u8]) -> Vec<String> {
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(text) if !text.is_empty() => out.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
            Value::Object(map) => map.values().for_each(|item| strings(item, out)),
            _ => {}
        }
    }
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            Value::Object(map) => {
                for (key, item) in map {
                    if key.eq_ignore_ascii_case("tokenValue")
                        || key.eq_ignore_ascii_case("streamUrl")
                    {
                        strings(item, out);
                    } else {
                        walk(item, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_slice::<Value>(event) {
        walk(&value, &mut out);
    }
    // Longest first, so that a secret containing another is replaced whole.
    out.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    out.dedup();
    out
}

/// Replaces every secret in every string of `value`.
pub(super) fn redact(value: &mut Value, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    match value {
        Value::String(text) => {
            for secret in secrets {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), REDACTED);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact(item, secrets)),
        Value::Object(map) => map.values_mut().for_each(|item| redact(item, secrets)),
        _ => {}
    }
}
