//! `--format sarif`: SARIF 2.1.0 for code scanning, one run, one result per violation, streamed.
//!
//! The document's head (the tool and every loaded rule) is written before the first result,
//! results are written as they arrive, and input errors, which are few, are kept for the
//! invocation at the end. Memory stays flat whatever the number of records.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{Level, fingerprint};
use crate::check::{InputError, InputWarning, RecordResult, Reporter, Summary};
use crate::policy::{CompiledPolicySet, Rule, Severity, Violation};
use crate::source::SourceMap;

/// The schema the output is valid against (the OASIS errata 01 copy).
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of `partialFingerprints` that holds [`super::fingerprint`].
pub const FINGERPRINT_KEY: &str = "ssmGuardFinding/v1";

/// Writes one SARIF log with one run.
#[derive(Debug)]
pub struct SarifReporter<'p, W: Write> {
    out: W,
    set: &'p CompiledPolicySet,
    /// `file:line` of each rule's definition, where the sources are known.
    rule_sources: Vec<Option<String>>,
    started: bool,
    results: u64,
    errors: Vec<InputError>,
}

impl<'p, W: Write> SarifReporter<'p, W> {
    pub fn new(out: W, set: &'p CompiledPolicySet) -> Self {
        Self {
            out,
            set,
            rule_sources: Vec::new(),
            started: false,
            results: 0,
            errors: Vec::new(),
        }
    }

    /// Names where each rule is defined (`policies/x.yaml:12`) in its descriptor's properties.
    pub fn with_sources(mut self, sources: &SourceMap) -> Self {
        self.rule_sources = self
            .set
            .rules()
            .iter()
            .map(|rule| {
                let policy = self.set.policy_of(rule)?;
                let name = sources.name(policy.source());
                Some(match rule.location() {
                    Some(location) => format!("{name}:{}", location.line),
                    None => name.to_owned(),
                })
            })
            .collect();
        self
    }

    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let rules: Vec<Value> = self
            .set
            .rules()
            .iter()
            .map(|rule| self.descriptor(rule))
            .collect();
        let driver = json!({
            "name": "ssm-guard",
            "fullName": concat!("ssm-guard ", env!("CARGO_PKG_VERSION")),
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": env!("CARGO_PKG_REPOSITORY"),
            "rules": rules,
        });
        // The head is written by hand up to the open `results` array, so that results can
        // follow one by one; the rest of the run is closed in `finish`.
        self.out.write_all(b"{\"$schema\":")?;
        serde_json::to_writer(&mut self.out, SCHEMA)?;
        self.out
            .write_all(b",\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":")?;
        serde_json::to_writer(&mut self.out, &driver)?;
        self.out.write_all(b"},\"results\":[")
    }

    fn descriptor(&self, rule: &Rule) -> Value {
        let policy = self.set.policy_of(rule);
        let id = rule.qualified_id();
        let full = rule.description().unwrap_or(id).to_owned();
        let short = first_sentence(&full);
        let mut help = format!("{full}\n\n{}", rule.describe().join("\n"));
        help.push_str(&format!(
            "\n\nseverity {}, action {}",
            rule.severity(),
            rule.action()
        ));
        if let Some(policy) = policy {
            help.push_str(&format!("\n\npolicy {}", policy.id()));
            if let Some(description) = policy.description() {
                help.push_str(&format!(": {description}"));
            }
        }
        let mut properties = Map::new();
        properties.insert("policy".into(), json!(policy.map_or("", |p| p.id())));
        properties.insert("severity".into(), json!(rule.severity()));
        properties.insert("action".into(), json!(rule.action()));
        properties.insert("tags".into(), json!(["security", "ssm-session-manager"]));
        // GitHub code scanning ranks security alerts by this CVSS-like score.
        properties.insert(
            "security-severity".into(),
            json!(security_severity(rule.severity())),
        );
        if let Some(Some(source)) = self.rule_sources.get(rule.index().index()) {
            properties.insert("source".into(), json!(source));
        }
        json!({
            "id": id,
            "name": rule.id(),
            "shortDescription": { "text": short },
            "fullDescription": { "text": full },
            "help": { "text": help },
            "defaultConfiguration": { "level": Level::of(rule).sarif() },
            "properties": properties,
        })
    }

    fn result(&self, result: &RecordResult<'_>, violation: &Violation<'_>) -> Value {
        let id = violation.id();
        let message = if violation.message.is_empty() {
            id
        } else {
            &violation.message
        };
        let field = violation.field.name();
        let session = match &result.session_id {
            Some(id) => id.clone(),
            None => format!("(no SessionId, record {})", result.record),
        };
        let mut location = Map::new();
        if let Some(physical) = physical_location(&result.source, Some(result.line), None) {
            location.insert("physicalLocation".into(), physical);
        }
        location.insert(
            "logicalLocations".into(),
            json!([{
                "name": field,
                "fullyQualifiedName": format!("{session}/{field}"),
                "kind": "property",
            }]),
        );
        let mut properties = Map::new();
        properties.insert("policy".into(), json!(violation.policy.id()));
        properties.insert("rule".into(), json!(violation.rule.id()));
        properties.insert("severity".into(), json!(violation.rule.severity()));
        properties.insert("action".into(), json!(violation.rule.action()));
        properties.insert("decision".into(), json!(result.evaluation.decision));
        properties.insert("field".into(), json!(field));
        properties.insert("actual".into(), violation.actual.clone());
        properties.insert("expected".into(), json!(violation.expected));
        if let Some(reason) = &violation.unreadable {
            properties.insert("unreadable".into(), json!(reason));
        }
        properties.insert("sessionId".into(), json!(result.session_id));
        properties.insert("target".into(), json!(result.target));
        properties.insert("owner".into(), json!(result.owner));
        properties.insert(
            "startDate".into(),
            json!(result.start.map(|s| s.to_string())),
        );
        properties.insert("record".into(), json!(result.record));
        let mut object = Map::new();
        object.insert("ruleId".into(), json!(id));
        object.insert("ruleIndex".into(), json!(violation.rule.index().index()));
        object.insert("level".into(), json!(Level::of(violation.rule).sarif()));
        object.insert("message".into(), json!({ "text": message }));
        object.insert("locations".into(), json!([location]));
        object.insert(
            "partialFingerprints".into(),
            json!({ FINGERPRINT_KEY: fingerprint(result, violation) }),
        );
        if let Some(exception) = violation.waived_by {
            let mut waiver = Map::new();
            waiver.insert("exception".into(), json!(exception.id()));
            if let Some(approved_by) = exception.approved_by() {
                waiver.insert("approvedBy".into(), json!(approved_by));
            }
            if let Some(expires) = exception.expires() {
                waiver.insert("expires".into(), json!(expires.to_string()));
            }
            object.insert(
                "suppressions".into(),
                json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": exception.reason(),
                    "properties": waiver,
                }]),
            );
            properties.insert("waivedBy".into(), json!(exception.id()));
        }
        object.insert("properties".into(), Value::Object(properties));
        Value::Object(object)
    }
}

/// The first sentence of a description, for `shortDescription`: up to the first `.` followed
/// by a space that is outside parentheses and quotes, whitespace collapsed, at most 200
/// characters.
pub(crate) fn first_sentence(text: &str) -> String {
    let (mut depth, mut quoted, mut end) = (0usize, false, text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            '"' => quoted = !quoted,
            '.' if depth == 0
                && !quoted
                && chars.peek().is_none_or(|(_, next)| next.is_whitespace()) =>
            {
                end = at;
                break;
            }
            _ => {}
        }
    }
    let sentence = text
        .get(..end)
        .unwrap_or(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if sentence.chars().count() <= 200 {
        return sentence;
    }
    let cut: String = sentence.chars().take(199).collect();
    format!("{cut}…")
}

/// GitHub's `security-severity`: critical is 9.0 and up, high 7.0 to 8.9, medium 4.0 to 6.9,
/// low below 4.0.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// The `uri` of an input: a relative path stays relative (code scanning resolves it against
/// the repository), an absolute one becomes a `file:` URI, an S3 object keeps its `s3:` URI;
/// standard input has none. Characters
/// that a URI reference cannot hold are percent-encoded.
pub(crate) fn artifact_uri(source: &str) -> Option<String> {
    if source == "<stdin>" || source.is_empty() {
        return None;
    }
    // An S3 object (`s3://bucket/key`) is already an absolute URI: its key is encoded after it.
    let (scheme, path) = match source.strip_prefix("s3://") {
        Some(key) => ("s3://", key.to_owned()),
        None => ("", source.replace('\\', "/")),
    };
    let mut uri = String::with_capacity(path.len() + 8);
    uri.push_str(scheme);
    if scheme.is_empty() && path.starts_with('/') {
        uri.push_str("file://");
    }
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => uri.push(char::from(byte)),
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    Some(uri)
}

impl<'p, W: Write> Reporter<'p> for SarifReporter<'p, W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        if result.evaluation.violations.is_empty() {
            return Ok(());
        }
        self.start()?;
        for violation in &result.evaluation.violations {
            let value = self.result(result, violation);
            self.out
                .write_all(if self.results == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &value)?;
            self.results += 1;
        }
        Ok(())
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.errors.push(error.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.start()?;
        let notifications: Vec<Value> = self
            .errors
            .iter()
            .map(notification)
            .chain(summary.warnings.iter().map(warning_notification))
            .collect();
        let invocation = json!({
            "executionSuccessful": summary.errors == 0,
            "toolExecutionNotifications": notifications,
        });
        self.out.write_all(b"\n],\"invocations\":[")?;
        serde_json::to_writer(&mut self.out, &invocation)?;
        self.out.write_all(b"],\"properties\":{\"summary\":")?;
        serde_json::to_writer(&mut self.out, summary)?;
        self.out.write_all(b"}}]}\n")?;
        self.out.flush()
    }
}

/// An input error as a tool execution notification, located where it is known.
fn notification(error: &InputError) -> Value {
    let mut text = error.problem.to_string();
    if let Some(record) = error.record {
        text = format!("record {record}: {text}");
    }
    let mut object = Map::new();
    object.insert("level".into(), json!("error"));
    object.insert("message".into(), json!({ "text": text }));
    object.insert("descriptor".into(), json!({ "id": "input-error" }));
    if let Some(physical) = physical_location(&error.source, error.line, error.column) {
        object.insert(
            "locations".into(),
            json!([{ "physicalLocation": physical }]),
        );
    }
    Value::Object(object)
}

/// An input warning (keys that are not Session members) as a tool execution notification.
fn warning_notification(warning: &InputWarning) -> Value {
    let mut object = Map::new();
    object.insert("level".into(), json!("warning"));
    object.insert("message".into(), json!({ "text": warning.message }));
    object.insert("descriptor".into(), json!({ "id": "input-warning" }));
    if let Some(physical) = physical_location(&warning.source, None, None) {
        object.insert(
            "locations".into(),
            json!([{ "physicalLocation": physical }]),
        );
    }
    Value::Object(object)
}

/// A file and, where known, the line (and column) in it; `None` for standard input.
fn physical_location(source: &str, line: Option<u64>, column: Option<u64>) -> Option<Value> {
    let uri = artifact_uri(source)?;
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), json!({ "uri": uri }));
    if let Some(line) = line.filter(|&l| l >= 1) {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(line));
        if let Some(column) = column.filter(|&c| c >= 1) {
            region.insert("startColumn".into(), json!(column));
        }
        physical.insert("region".into(), Value::Object(region));
    }
    Some(Value::Object(physical))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_file_or_absent() {
        assert_eq!(
            artifact_uri("exports/a.json").as_deref(),
            Some("exports/a.json")
        );
        assert_eq!(
            artifact_uri("/tmp/my export 100%.json").as_deref(),
            Some("file:///tmp/my%20export%20100%25.json")
        );
        assert_eq!(
            artifact_uri("c:x/é.json").as_deref(),
            Some("c%3Ax/%C3%A9.json")
        );
        assert_eq!(
            artifact_uri("s3://trail/AWSLogs/1 2.json.gz").as_deref(),
            Some("s3://trail/AWSLogs/1%202.json.gz")
        );
        assert_eq!(artifact_uri("<stdin>"), None);
    }

    #[test]
    fn short_descriptions_are_the_first_sentence() {
        assert_eq!(first_sentence("One (a. b). Two."), "One (a. b)");
        assert_eq!(
            first_sentence("Say \"x. y\" now.\nMore"),
            "Say \"x. y\" now"
        );
        assert_eq!(first_sentence("v1.2 is\n  fine"), "v1.2 is fine");
    }
}
