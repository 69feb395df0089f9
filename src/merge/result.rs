//! The result object: everything one `check` over some inputs hands its reporters, as JSON
//! Lines, so that `merge` can hand the same to them again. A header (the policies' rules, the
//! evaluation time, the inputs), a line per record and per input error in input order, and an
//! end line with the counts reporters are given only in the summary (inputs, events passed
//! over, warnings). A result object without its end line is incomplete.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::check::{InputError, RecordResult, Reporter, Summary};
use crate::input::InputSource;
use crate::model::Timestamp;
use crate::policy::{CompiledPolicySet, Decision};

/// The version of the format; `merge` refuses others.
pub const FORMAT_VERSION: u32 = 1;

/// One line of a result object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Line {
    Header(Header),
    Record(RecordLine),
    Error(ErrorLine),
    End(EndLine),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// [`FORMAT_VERSION`].
    pub(crate) ssm_guard_result: u32,
    /// The version of ssm-guard that wrote it.
    pub(crate) version: String,
    /// The evaluation time, RFC 3339.
    pub(crate) now: String,
    /// `policy/rule` of every rule of the set, in load order: a merge with another set would
    /// give reports of rules that were never evaluated.
    pub(crate) rules: Vec<String>,
    /// The inputs, in the order they were read.
    pub(crate) inputs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RecordLine {
    pub(crate) source: String,
    pub(crate) record: u64,
    pub(crate) line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    /// The session's start, RFC 3339 in UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) start: Option<String>,
    pub(crate) decision: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) violations: Vec<ViolationLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ViolationLine {
    /// `policy/rule`.
    pub(crate) rule: String,
    pub(crate) field: String,
    pub(crate) message: String,
    pub(crate) actual: serde_json::Value,
    pub(crate) expected: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unreadable: Option<String>,
    /// The id of the exception that waived it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) waived_by: Option<String>,
    /// The action it acted with where the rule could not be judged (its `on_unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unjudged: Option<crate::policy::Action>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ErrorLine {
    pub(crate) source: String,
    pub(crate) record: Option<u64>,
    pub(crate) line: Option<u64>,
    pub(crate) column: Option<u64>,
    pub(crate) message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EndLine {
    pub(crate) inputs: u64,
    pub(crate) skipped_events: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) warnings: Vec<WarningLine>,
}

/// Keys that are not members of `Session`, per input, with how many records named each: the
/// warning's sentence is made from them again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WarningLine {
    pub(crate) source: String,
    pub(crate) unknown_keys: BTreeMap<String, u64>,
}

pub(crate) fn decision_name(decision: Decision) -> &'static str {
    match decision {
        Decision::Deny => "deny",
        Decision::Warn => "warn",
        Decision::Allow => "allow",
    }
}

pub(crate) fn decision_of(name: &str) -> Option<Decision> {
    match name {
        "deny" => Some(Decision::Deny),
        "warn" => Some(Decision::Warn),
        "allow" => Some(Decision::Allow),
        _ => None,
    }
}

/// A reporter that writes the result object of a run. Its checker must identify clean records
/// (the default), so that a merge can give the JSON report its records' ids.
#[derive(Debug)]
pub struct ResultWriter<W: Write> {
    out: W,
}

impl<W: Write> ResultWriter<W> {
    /// Writes the header: the set's rules, `now`, and `inputs` in the order they will be read.
    pub fn new(
        mut out: W,
        set: &CompiledPolicySet,
        now: Timestamp,
        inputs: &[InputSource],
    ) -> io::Result<Self> {
        let header = Line::Header(Header {
            ssm_guard_result: FORMAT_VERSION,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            now: now.to_string(),
            rules: set
                .rules()
                .iter()
                .map(|rule| rule.qualified_id().to_owned())
                .collect(),
            inputs: inputs.iter().map(ToString::to_string).collect(),
        });
        write_line(&mut out, &header)?;
        Ok(Self { out })
    }

    /// The output, after [`Reporter::finish`].
    pub fn into_inner(self) -> W {
        self.out
    }
}

fn write_line(out: &mut impl Write, line: &Line) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

impl<'p, W: Write> Reporter<'p> for ResultWriter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        let line = Line::Record(RecordLine {
            source: result.source.to_string(),
            record: result.record,
            line: result.line,
            session_id: result.session_id.clone(),
            target: result.target.clone(),
            owner: result.owner.clone(),
            start: result.start.map(|start| start.to_string()),
            decision: decision_name(result.evaluation.decision).to_owned(),
            violations: result
                .evaluation
                .violations
                .iter()
                .map(|violation| ViolationLine {
                    rule: violation.id().to_owned(),
                    field: violation.field.name().to_owned(),
                    message: violation.message.clone(),
                    actual: violation.actual.clone(),
                    expected: violation.expected.to_string(),
                    unreadable: violation.unreadable.as_ref().map(ToString::to_string),
                    waived_by: violation
                        .waived_by
                        .map(|exception| exception.id().to_owned()),
                    unjudged: violation.unjudged,
                })
                .collect(),
        });
        write_line(&mut self.out, &line)
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        let line = Line::Error(ErrorLine {
            source: error.source.to_string(),
            record: error.record,
            line: error.line,
            column: error.column,
            message: error.problem.to_string(),
        });
        write_line(&mut self.out, &line)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let line = Line::End(EndLine {
            inputs: summary.inputs,
            skipped_events: summary.skipped_events.clone(),
            warnings: summary
                .warnings
                .iter()
                .map(|warning| WarningLine {
                    source: warning.source.to_string(),
                    unknown_keys: warning
                        .unknown_keys
                        .iter()
                        .map(|key| (key.key.clone(), key.records))
                        .collect(),
                })
                .collect(),
        });
        write_line(&mut self.out, &line)?;
        self.out.flush()
    }
}
