//! The report formats a merge writes, by the names `check --format` gives them, and the
//! reporter of each: the same reporters `check` uses.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use crate::SourceMap;
use crate::check::Reporter;
use crate::model::Timestamp;
use crate::policy::CompiledPolicySet;
use crate::report::{
    AsffReporter, AsffSettings, GithubReporter, HtmlReporter, JsonLinesReporter, JsonReporter,
    JunitReporter, SarifReporter, TextReporter,
};

/// A report format, named as `check --format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Text,
    Json,
    Jsonl,
    Sarif,
    Junit,
    Github,
    Html,
    Asff,
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
        ReportFormat::Asff => Box::new(AsffReporter::new(out, context.asff.clone())),
        ReportFormat::AsffBatches => Box::new(AsffReporter::batches(out, context.asff.clone())),
    }
}
