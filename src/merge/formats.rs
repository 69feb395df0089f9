//! The report formats `check` and `merge` write, by the names `--format` gives them, and the
//! reporter of each: one place that makes them, for both.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::SourceMap;
use crate::check::Reporter;
use crate::model::Timestamp;
use crate::policy::CompiledPolicySet;
use crate::report::{
    AsffReporter, AsffSettings, GithubReporter, HtmlReporter, JsonLinesReporter, JsonReporter,
    JunitReporter, SarifReporter, TextReporter,
};

/// A report format, named as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Jsonl,
    Sarif,
    Junit,
    Github,
    Html,
    /// AWS Security Finding Format: one JSON array, the `Findings` of `BatchImportFindings`.
    Asff,
    /// JSON Lines of ASFF arrays of at most 100 findings, one `BatchImportFindings` call each.
    AsffBatches,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 9] = [
        Self::Text,
        Self::Json,
        Self::Jsonl,
        Self::Sarif,
        Self::Junit,
        Self::Github,
        Self::Html,
        Self::Asff,
        Self::AsffBatches,
    ];

    /// Whether it writes ASFF findings.
    pub fn is_asff(self) -> bool {
        matches!(self, Self::Asff | Self::AsffBatches)
    }

    /// Its name (`asff-batches`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Jsonl => "jsonl",
            Self::Sarif => "sarif",
            Self::Junit => "junit",
            Self::Github => "github",
            Self::Html => "html",
            Self::Asff => "asff",
            Self::AsffBatches => "asff-batches",
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReportFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{text}`; one of {}", names.join(", "))
            })
    }
}

/// What reporters need besides their output.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext<'a, 'p> {
    pub set: &'p CompiledPolicySet,
    /// The policies' texts, for SARIF's rule locations, when they were loaded from files.
    pub sources: Option<&'a SourceMap>,
    pub now: Timestamp,
    pub asff: &'a AsffSettings,
    pub color: bool,
    /// Where ASFF reporters count the violations they cannot attribute to an account.
    pub unattributed: Option<&'a Arc<AtomicU64>>,
}

/// The reporter of `format` writing to `out`, as `check` makes it.
pub fn reporter<'a, 'p: 'a>(
    format: ReportFormat,
    out: Box<dyn Write + 'a>,
    context: &ReportContext<'_, 'p>,
) -> Box<dyn Reporter<'p> + 'a> {
    match format {
        ReportFormat::Text => Box::new(TextReporter::new(out, context.color)),
        ReportFormat::Json => Box::new(JsonReporter::new(out)),
        ReportFormat::Jsonl => Box::new(JsonLinesReporter::new(out)),
        ReportFormat::Sarif => {
            let sarif = SarifReporter::new(out, context.set);
            match context.sources {
                Some(sources) => Box::new(sarif.with_sources(sources)),
                None => Box::new(sarif),
            }
        }
        ReportFormat::Junit => Box::new(JunitReporter::new(out, context.set)),
        ReportFormat::Github => Box::new(GithubReporter::new(out)),
        ReportFormat::Html => Box::new(HtmlReporter::new(out, context.set, context.now)),
        ReportFormat::Asff | ReportFormat::AsffBatches => {
            let settings = context.asff.clone();
            let asff = if format == ReportFormat::Asff {
                AsffReporter::new(out, settings)
            } else {
                AsffReporter::batches(out, settings)
            };
            match context.unattributed {
                Some(counter) => Box::new(asff.count_unattributed(counter.clone())),
                None => Box::new(asff),
            }
        }
    }
}
