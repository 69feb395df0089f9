//! Reporters: pure functions of finished results, one file per output format.

pub mod asff;
mod finding;
pub(crate) mod github;
mod html;
pub(crate) mod json;
pub(crate) mod jsonl;
pub(crate) mod junit;
mod progress;
pub(crate) mod sarif;
mod tee;
mod text;
pub mod xml;

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::check::RecordResult;
use crate::model::{Field, UnreadableOperand};
use crate::policy::{Action, Rule, Severity, Violation};
use finding::InstantText;
pub(crate) use finding::Subject;

pub use asff::{AsffReporter, AsffSettings};
pub use github::GithubReporter;
pub use html::HtmlReporter;
pub use json::JsonReporter;
pub use jsonl::JsonLinesReporter;
pub use junit::JunitReporter;
pub use progress::Progress;
pub use sarif::SarifReporter;
pub use tee::Tee;
pub use text::TextReporter;

/// How loudly a violation is reported by the CI formats (SARIF `level`, GitHub commands):
/// a rule of severity `info` is a note whatever its action; otherwise action `deny` is an error
/// and `warn` a warning. Waived violations keep their rule's level and are marked as waived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    /// The level of a rule's violations.
    pub fn of(rule: &Rule) -> Self {
        match (rule.severity(), rule.action()) {
            (Severity::Info, _) => Self::Note,
            (_, Action::Deny) => Self::Error,
            (_, Action::Warn) => Self::Warning,
        }
    }

    /// SARIF's name for the level.
    pub fn sarif(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// The version tag of [`fingerprint`]'s definition; a change of definition changes it.
pub const FINGERPRINT_VERSION: &str = "ssm-guard/v1";

/// A finding's identity across exports: the lowercase hex SHA-256 of the UTF-8 text
/// `ssm-guard/v1␟policy/rule␟session␟SessionId`, where `␟` is the unit separator U+001F; for a
/// record without a `SessionId`, the part after the rule is `fallback␟Target␟Owner␟StartDate`
/// (absent parts empty; the start as RFC 3339 in UTC, so the CLI v2 and raw API forms of one
/// instant agree).
///
/// Neither the file, the line, the record number nor the failing field takes part: a rule gives
/// at most one violation per record, and the failing field of an active session may change
/// between two exports of it, while the finding stays the same.
pub fn fingerprint(result: &RecordResult<'_>, violation: &Violation<'_>) -> String {
    let mut hex = Vec::with_capacity(64);
    push_fingerprint(&mut hex, violation.id(), &Subject::of(result));
    String::from_utf8(hex).unwrap_or_default()
}

/// Appends the [`fingerprint`] of rule `id`'s finding in `subject`, its digest fed part by part
/// so that nothing is allocated.
pub(crate) fn push_fingerprint(out: &mut Vec<u8>, id: &str, subject: &Subject<'_>) {
    const SEP: &[u8] = b"\x1f";
    let mut digest = Sha256::new();
    digest.update(FINGERPRINT_VERSION);
    digest.update(SEP);
    digest.update(id);
    digest.update(SEP);
    match subject.session_id.filter(|id| !id.is_empty()) {
        Some(id) => {
            digest.update("session");
            digest.update(SEP);
            digest.update(id);
        }
        None => {
            digest.update("fallback");
            for part in [subject.target, subject.owner] {
                digest.update(SEP);
                digest.update(part.unwrap_or(""));
            }
            digest.update(SEP);
            if let Some(start) = subject.start {
                digest.update(InstantText::of(start).as_str());
            }
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for byte in digest.finalize() {
        let digit = |nibble: u8| HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
        out.extend_from_slice(&[digit(byte >> 4), digit(byte & 0xf)]);
    }
}

/// A violation as every JSON format writes it: the fields of the policy language's contract.
/// Keys are in alphabetical order, as a `serde_json::Value` object would have them.
#[derive(Debug, Serialize)]
pub struct ViolationView<'a> {
    pub action: Action,
    pub actual: &'a Value,
    pub expected: &'a str,
    pub field: &'static str,
    pub message: &'a str,
    pub policy: &'a str,
    pub rule: &'a str,
    pub severity: Severity,
    /// Present only for a value the failing check could not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<&'a UnreadableOperand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver_reason: Option<&'a str>,
}

impl<'a> ViolationView<'a> {
    /// Borrows the parts of a violation; nothing is copied.
    pub fn of(violation: &'a Violation<'_>) -> Self {
        Self {
            action: violation.action(),
            actual: &violation.actual,
            expected: &violation.expected,
            field: violation.field.name(),
            message: &violation.message,
            policy: violation.policy.id(),
            rule: violation.rule.id(),
            severity: violation.rule.severity(),
            unreadable: violation.unreadable.as_ref(),
            waived_by: violation.waived_by.map(|e| e.id()),
            waiver_reason: violation.waived_by.map(|e| e.reason()),
        }
    }
}

/// A violation detached from its compiled set, for results that outlive it (the hook's
/// decision). It serializes exactly as [`ViolationView`] does.
#[derive(Debug, Clone, PartialEq)]
pub struct ViolationRecord {
    /// `policy/rule`.
    id: String,
    policy: String,
    rule: String,
    action: Action,
    severity: Severity,
    field: Field,
    actual: Value,
    expected: String,
    message: String,
    unreadable: Option<UnreadableOperand>,
    waived_by: Option<String>,
    waiver_reason: Option<String>,
}

impl ViolationRecord {
    /// Copies what a violation says.
    pub fn of(violation: &Violation<'_>) -> Self {
        Self {
            id: violation.id().to_owned(),
            policy: violation.policy.id().to_owned(),
            rule: violation.rule.id().to_owned(),
            action: violation.action(),
            severity: violation.rule.severity(),
            field: violation.field,
            actual: violation.actual.clone(),
            expected: violation.expected.to_string(),
            message: violation.message.clone(),
            unreadable: violation.unreadable.clone(),
            waived_by: violation.waived_by.map(|e| e.id().to_owned()),
            waiver_reason: violation.waived_by.map(|e| e.reason().to_owned()),
        }
    }

    /// `policy/rule`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The policy id.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// The rule id, unique within its policy.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The rule's action.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The field whose check failed.
    pub fn field(&self) -> Field {
        self.field
    }

    /// The field's value in the record, `null` where absent.
    pub fn actual(&self) -> &Value {
        &self.actual
    }

    /// What the check expected, in a few words.
    pub fn expected(&self) -> &str {
        &self.expected
    }

    /// The rule's message, or the default one.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Why a value the check needed was unreadable, when that is why it failed.
    pub fn unreadable(&self) -> Option<&UnreadableOperand> {
        self.unreadable.as_ref()
    }

    /// The exception that waived it, if one did.
    pub fn waived_by(&self) -> Option<&str> {
        self.waived_by.as_deref()
    }

    /// That exception's reason.
    pub fn waiver_reason(&self) -> Option<&str> {
        self.waiver_reason.as_deref()
    }

    fn view(&self) -> ViolationView<'_> {
        ViolationView {
            action: self.action,
            actual: &self.actual,
            expected: &self.expected,
            field: self.field.name(),
            message: &self.message,
            policy: &self.policy,
            rule: &self.rule,
            severity: self.severity,
            unreadable: self.unreadable.as_ref(),
            waived_by: self.waived_by.as_deref(),
            waiver_reason: self.waiver_reason.as_deref(),
        }
    }
}

impl Serialize for ViolationRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

/// A violation's message as the formats read by people show it: with the reason a value was
/// unreadable added when the message does not give it, which is when the rule writes its own
/// (the default message always says why).
pub(crate) fn message_with_reason<'a>(violation: &'a Violation<'_>) -> Cow<'a, str> {
    let mut said = Cow::Borrowed(violation.message.as_str());
    if violation.unreadable.is_some() && violation.rule.has_message() {
        finding::add_reason(said.to_mut(), violation.rule, violation.unreadable.as_ref());
    }
    said
}

/// A violation as a JSON value, for callers that build documents of their own.
pub fn violation_json(violation: &Violation<'_>) -> Value {
    serde_json::to_value(ViolationView::of(violation)).unwrap_or(Value::Null)
}

/// A list of violations, serialized without collecting views first.
pub(crate) struct Violations<'a, 'p>(&'a [Violation<'p>]);

impl Serialize for Violations<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ViolationView::of))
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Arc;

    use super::*;
    use crate::check::{InputError, Reporter, Summary};
    use crate::model::{ParsedRecord, Timestamp, parse_record};
    use crate::{Compiled, SourceMap, compile};

    const POLICY: &str = "policy: t\nrules:\n  - id: r\n    require: { Reason: { present: true } }\n  - id: w\n    action: warn\n    require: { Reason: { present: true } }\n  - id: i\n    severity: info\n    require: { Reason: { present: true } }\n";

    fn compiled() -> Compiled {
        let mut sources = SourceMap::new();
        sources.add("t.yaml", POLICY);
        match compile(&sources, Timestamp::from_micros(0)) {
            Ok(compiled) => compiled,
            Err(diagnostics) => unreachable!("{diagnostics:?}"),
        }
    }

    fn result<'p>(
        compiled: &'p Compiled,
        session_id: Option<&str>,
        start: Option<&str>,
    ) -> RecordResult<'p> {
        let Ok(ParsedRecord::Session(session)) = parse_record(b"{\"Target\":\"i-1\"}") else {
            unreachable!("a session")
        };
        RecordResult {
            source: Arc::from("x.json"),
            record: 7,
            line: 70,
            session_id: session_id.map(str::to_owned),
            target: Some("i-1".to_owned()),
            owner: None,
            start: start.and_then(|s| Timestamp::parse(s).ok()),
            evaluation: compiled.set.evaluate(&session, Timestamp::from_micros(0)),
            baseline: None,
        }
    }

    /// The definition written down in `fingerprint`'s docs, checked against digests computed
    /// elsewhere (Python's hashlib): changing it would re-open every finding in code scanning.
    #[test]
    fn fingerprints_follow_their_written_definition() {
        let compiled = compiled();
        let with_id = result(&compiled, Some("s-1"), None);
        let violation = &with_id.evaluation.violations[0];
        assert_eq!(
            fingerprint(&with_id, violation),
            "5a5f4105d6d51d2d076f5456a5c0524911da3cac84ff362efb18c2ccebdb369f"
        );
        // Without an id: target, owner (absent) and start, in UTC whatever the offset written.
        let without = result(&compiled, None, Some("2026-03-01T05:00:00-05:00"));
        assert_eq!(
            fingerprint(&without, &without.evaluation.violations[0]),
            "e63879fe3e04f3c986c0fde1dba0fec47f0169d0d8dcd4efc14ad0148ec2b8e6"
        );
    }

    #[test]
    fn levels_map_action_and_severity() {
        let compiled = compiled();
        let levels: Vec<Level> = compiled.set.rules().iter().map(Level::of).collect();
        assert_eq!(levels, [Level::Error, Level::Warning, Level::Note]);
    }

    struct Failing;

    impl<'p> Reporter<'p> for Failing {
        fn record(&mut self, _: &RecordResult<'p>) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn input_error(&mut self, _: &InputError) -> io::Result<()> {
            Ok(())
        }
        fn finish(&mut self, _: &Summary) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn tee_goes_on_when_one_output_fails() {
        let compiled = compiled();
        let record = result(&compiled, Some("s-1"), None);
        let mut written = Vec::new();
        {
            let mut tee = Tee::new();
            tee.add("broken", Box::new(Failing));
            tee.add("json lines", Box::new(JsonLinesReporter::new(&mut written)));
            assert!(tee.record(&record).is_ok());
            assert!(tee.finish(&Summary::default()).is_ok());
            let errors: Vec<_> = tee.errors().map(|(label, e)| (label, e.kind())).collect();
            assert_eq!(errors, [("broken", io::ErrorKind::BrokenPipe)]);
        }
        assert_eq!(String::from_utf8_lossy(&written).lines().count(), 3);
        let mut alone = Tee::new();
        alone.add("broken", Box::new(Failing));
        assert!(alone.record(&record).is_err(), "every output failed: stop");
    }
}
