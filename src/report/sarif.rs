//! `--format sarif`: SARIF 2.1.0 for code scanning, one run, one result per violation, streamed.
//!
//! The document's head (the tool and every loaded rule) is written before the first result,
//! results are written as they arrive, and input errors, which are few, are kept for the
//! invocation at the end. Memory stays flat whatever the number of records.
//!
//! A result is written by hand, byte for byte as serde_json would write it as a `Value`: when
//! this is the only output, where its record is evaluated, and the writer only puts results in
//! order, with commas between them and record numbers written in.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::finding::{Finding, InstantText, Subject, each_breach};
use super::jsonl::{Scratch, push_opt_str, write_spliced};
use super::{Level, push_fingerprint};
use crate::check::{InputError, InputWarning, RecordResult, Rendering, Reporter, Summary};
use crate::json_text::{Text, push_str};
use crate::model::{Session, Timestamp};
use crate::policy::{CompiledPolicySet, Rule, Severity};
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
    /// A result rendered here (when results were not rendered where records were evaluated),
    /// and where its record number goes.
    line: Vec<u8>,
    splices: Vec<usize>,
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
            line: Vec::new(),
            splices: Vec::new(),
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
}

/// Renders a record's results where the record is, from what evaluation found: each result
/// as [`write_result`] writes it, the first after a line break and the others after a comma
/// and a line break (the writer puts a comma before a record's first result when results came
/// before it, since only it knows). Record numbers are left out, their offsets pushed to
/// `splices`.
pub(crate) fn render_breaches(
    out: &mut Scratch<'_>,
    subject: &Subject<'_>,
    session: &Session<'_>,
    now: Timestamp,
) {
    let mut first = true;
    each_breach(out, session, now, false, |text, splices, finding| {
        text.extend_from_slice(if first { b"\n" } else { b",\n" });
        first = false;
        write_result(text, splices, subject, finding);
    });
}

/// Writes one result object, byte for byte as serde_json writes a `Value` of it (keys in
/// alphabetical order, no spaces), with the record number left out: its offsets go to
/// `splices`. Ids match `[a-z0-9][a-z0-9._-]*` and names are the report's own: written as they
/// are, as in the JSON Lines report.
fn write_result(
    text: &mut Vec<u8>,
    splices: &mut Vec<usize>,
    subject: &Subject<'_>,
    finding: &Finding<'_>,
) {
    let (rule, id, field) = (finding.rule, finding.id(), finding.field.name());
    text.extend_from_slice(b"{\"level\":\"");
    text.extend_from_slice(Level::of(rule).sarif().as_bytes());
    text.extend_from_slice(b"\",\"locations\":[{\"logicalLocations\":[{\"fullyQualifiedName\":");
    match subject.session_id {
        Some(session) => {
            push_str(text, session);
            // The string goes on after the session: its closing quote is taken back.
            text.pop();
        }
        None => {
            text.extend_from_slice(b"\"(no SessionId, record ");
            splices.push(text.len());
            text.push(b')');
        }
    }
    text.push(b'/');
    text.extend_from_slice(field.as_bytes());
    text.extend_from_slice(b"\",\"kind\":\"property\",\"name\":\"");
    text.extend_from_slice(field.as_bytes());
    text.extend_from_slice(b"\"}]");
    if subject.source != "<stdin>" && !subject.source.is_empty() {
        text.extend_from_slice(b",\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"");
        write_uri(text, subject.source);
        text.extend_from_slice(b"\"}");
        if subject.line >= 1 {
            text.extend_from_slice(b",\"region\":{\"startLine\":");
            text.extend_from_slice(itoa::Buffer::new().format(subject.line).as_bytes());
            text.push(b'}');
        }
        text.push(b'}');
    }
    text.extend_from_slice(b"}],\"message\":{\"text\":");
    push_str(
        text,
        if finding.message.is_empty() {
            id
        } else {
            finding.message
        },
    );
    text.extend_from_slice(b"},\"partialFingerprints\":{\"");
    text.extend_from_slice(FINGERPRINT_KEY.as_bytes());
    text.extend_from_slice(b"\":\"");
    push_fingerprint(text, id, subject);
    text.extend_from_slice(b"\"},\"properties\":{\"action\":\"");
    text.extend_from_slice(rule.action().name().as_bytes());
    text.extend_from_slice(b"\",\"actual\":");
    finding.actual.write(text);
    text.extend_from_slice(b",\"decision\":\"");
    text.extend_from_slice(subject.decision.name().as_bytes());
    text.extend_from_slice(b"\",\"expected\":");
    push_str(text, finding.expected);
    text.extend_from_slice(b",\"field\":\"");
    text.extend_from_slice(field.as_bytes());
    text.extend_from_slice(b"\",\"owner\":");
    push_opt_str(text, subject.owner.map(Text::Any));
    text.extend_from_slice(b",\"policy\":\"");
    text.extend_from_slice(finding.policy.id().as_bytes());
    text.extend_from_slice(b"\",\"record\":");
    splices.push(text.len());
    text.extend_from_slice(b",\"rule\":\"");
    text.extend_from_slice(rule.id().as_bytes());
    text.extend_from_slice(b"\",\"sessionId\":");
    push_opt_str(text, subject.session_id.map(Text::Any));
    text.extend_from_slice(b",\"severity\":\"");
    text.extend_from_slice(rule.severity().name().as_bytes());
    text.extend_from_slice(b"\",\"startDate\":");
    match subject.start {
        Some(start) => push_str(text, InstantText::of(start).as_str()),
        None => text.extend_from_slice(b"null"),
    }
    text.extend_from_slice(b",\"target\":");
    push_opt_str(text, subject.target.map(Text::Any));
    if let Some(reason) = finding.unreadable {
        text.extend_from_slice(b",\"unreadable\":");
        // Writing into a vector cannot fail.
        drop(serde_json::to_writer(&mut *text, reason));
    }
    if let Some(exception) = finding.waived_by {
        text.extend_from_slice(b",\"waivedBy\":\"");
        text.extend_from_slice(exception.id().as_bytes());
        text.push(b'"');
    }
    text.extend_from_slice(b"},\"ruleId\":\"");
    text.extend_from_slice(id.as_bytes());
    text.extend_from_slice(b"\",\"ruleIndex\":");
    text.extend_from_slice(itoa::Buffer::new().format(rule.index().index()).as_bytes());
    if let Some(exception) = finding.waived_by {
        text.extend_from_slice(b",\"suppressions\":[{\"justification\":");
        push_str(text, exception.reason());
        text.extend_from_slice(b",\"kind\":\"external\",\"properties\":{");
        if let Some(approved_by) = exception.approved_by() {
            text.extend_from_slice(b"\"approvedBy\":");
            push_str(text, approved_by);
            text.push(b',');
        }
        text.extend_from_slice(b"\"exception\":\"");
        text.extend_from_slice(exception.id().as_bytes());
        text.push(b'"');
        if let Some(expires) = exception.expires() {
            text.extend_from_slice(b",\"expires\":");
            push_str(text, InstantText::of(expires).as_str());
        }
        text.extend_from_slice(b"},\"status\":\"accepted\"}]");
    }
    text.push(b'}');
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
/// standard input has none. Characters that a URI reference cannot hold are percent-encoded.
pub(crate) fn artifact_uri(source: &str) -> Option<String> {
    if source == "<stdin>" || source.is_empty() {
        return None;
    }
    let mut uri = Vec::with_capacity(source.len() + 8);
    write_uri(&mut uri, source);
    String::from_utf8(uri).ok()
}

/// Appends the [`artifact_uri`] of an input that has one. What it writes needs no escape in a
/// JSON string.
fn write_uri(uri: &mut Vec<u8>, source: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // An S3 object (`s3://bucket/key`) is already an absolute URI: its key is encoded after it.
    // Elsewhere a backslash separates folders, as on Windows.
    let (path, folders) = match source.strip_prefix("s3://") {
        Some(key) => {
            uri.extend_from_slice(b"s3://");
            (key, false)
        }
        None => (source, true),
    };
    if folders && matches!(path.as_bytes().first(), Some(b'/' | b'\\')) {
        uri.extend_from_slice(b"file://");
    }
    for byte in path.bytes() {
        match byte {
            b'\\' if folders => uri.push(b'/'),
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
            | b'@' => uri.push(byte),
            _ => {
                let digit = |nibble: u8| HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
                uri.extend_from_slice(&[b'%', digit(byte >> 4), digit(byte & 0xf)]);
            }
        }
    }
}

impl<'p, W: Write> Reporter<'p> for SarifReporter<'p, W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        if result.evaluation.violations.is_empty() {
            return Ok(());
        }
        self.start()?;
        let subject = Subject::of(result);
        for violation in &result.evaluation.violations {
            self.line.clear();
            self.splices.clear();
            let finding = Finding::of(violation, &violation.message);
            write_result(&mut self.line, &mut self.splices, &subject, &finding);
            self.out
                .write_all(if self.results == 0 { b"\n" } else { b",\n" })?;
            write_spliced(&mut self.out, result.record, &self.line, &self.splices)?;
            self.results += 1;
        }
        Ok(())
    }

    fn rendering(&self) -> Option<Rendering> {
        Some(Rendering::Sarif)
    }

    fn rendered(
        &mut self,
        result: &RecordResult<'p>,
        text: &[u8],
        splices: &[usize],
    ) -> io::Result<()> {
        self.start()?;
        if self.results > 0 {
            self.out.write_all(b",")?;
        }
        write_spliced(&mut self.out, result.record, text, splices)?;
        self.results += result.evaluation.violations.len() as u64;
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
