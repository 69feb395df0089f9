//! Combining result objects: the shards of one check, each over some of the inputs, made into
//! the reports one `check` over all the inputs would give. Each shard's records, input errors
//! and counts are handed to the reporters again, in the order of the inputs, with the
//! violations bound to the rules of the same compiled set; the summary is counted from them as
//! `check` counts it.

mod formats;
mod result;

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::sync::Arc;

pub use formats::{ReportContext, ReportFormat, reporter};
use result::{ErrorLine, Line, RecordLine, decision_of};
pub use result::{FORMAT_VERSION, ResultWriter};

use crate::check::{InputError, InputProblem, InputWarning, RecordResult, Reporter, Summary};
use crate::input::{InputSource, open_input};
use crate::model::{Field, Timestamp, UnreadableOperand};
use crate::policy::{CompiledPolicySet, Evaluation, Exception, Policy, Rule, Violation};

/// One result object, read and checked, ready to be replayed.
#[derive(Debug)]
pub struct Shard {
    /// Where it was read from: its name in an input error about it.
    pub name: Arc<str>,
    lines: Result<Vec<Line>, String>,
}

impl Shard {
    /// Reads a result object (gzip or not) from `source`; what cannot be read is kept as the
    /// shard's error, reported when it is merged.
    pub fn read(source: &InputSource) -> Self {
        let name: Arc<str> = Arc::from(source.to_string());
        let lines = open_input(source)
            .map_err(|error| format!("cannot read the result object: {error}"))
            .and_then(read_lines);
        Self { name, lines }
    }

    /// A result object held in memory.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Self {
        Self::read(&InputSource::memory(name, bytes))
    }

    /// The first input it read, which orders it among the others; `None` when it is unreadable
    /// or read nothing.
    pub fn first_input(&self) -> Option<&str> {
        match self.lines.as_ref().ok()?.first()? {
            Line::Header(header) => header.inputs.first().map(String::as_str),
            _ => None,
        }
    }

    /// The evaluation time its header names.
    pub fn now(&self) -> Option<Timestamp> {
        match self.lines.as_ref().ok()?.first()? {
            Line::Header(header) => Timestamp::parse(&header.now).ok(),
            _ => None,
        }
    }
}

fn read_lines(reader: Box<dyn BufRead + Send>) -> Result<Vec<Line>, String> {
    let mut lines = Vec::new();
    for (number, text) in reader.lines().enumerate() {
        let text = text.map_err(|error| format!("cannot read the result object: {error}"))?;
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(&text).map_err(|error| {
            format!(
                "line {} is not a line of an ssm-guard result object: {error}",
                number + 1
            )
        })?;
        lines.push(line);
    }
    match lines.first() {
        Some(Line::Header(header)) if header.ssm_guard_result == FORMAT_VERSION => {}
        Some(Line::Header(header)) => {
            return Err(format!(
                "it is a result object of format {}, and this ssm-guard reads format {FORMAT_VERSION}",
                header.ssm_guard_result
            ));
        }
        _ => return Err("it is not an ssm-guard result object (no header line)".to_owned()),
    }
    if !matches!(lines.last(), Some(Line::End(_))) {
        return Err(
            "the result object is incomplete (it has no end line): its shard did not finish"
                .to_owned(),
        );
    }
    Ok(lines)
}

/// Puts shards in the order of their inputs: a shard's first input's name (`s3://bucket/key`
/// sorts as S3 lists keys), then its own name; unreadable shards last, by name.
pub fn order(shards: &mut [Shard]) {
    shards.sort_by(|a, b| {
        let key = |shard: &Shard| {
            (
                shard.first_input().is_none(),
                shard.first_input().map(str::to_owned),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
}

/// Replays `shards`, in the order given, to `reporter` as one check with `set` would have
/// reported their inputs, and returns the summary after the reporter's `finish`. With
/// `identify_clean` off, records without violations are handed without their ids, as `check`
/// does unless the JSON report is among its outputs.
pub fn merge<'p>(
    set: &'p CompiledPolicySet,
    shards: &[Shard],
    identify_clean: bool,
    reporter: &mut dyn Reporter<'p>,
) -> io::Result<Summary> {
    let rules = Rules::of(set);
    let mut summary = Summary::new(set);
    for shard in shards {
        let lines = match &shard.lines {
            Ok(lines) => lines,
            Err(message) => {
                shard_error(shard, message.clone(), reporter, &mut summary)?;
                continue;
            }
        };
        if let Some(Line::Header(header)) = lines.first()
            && header.rules != rules.ids
        {
            let message = "the result object was written with other policies (its rules differ): merge with the `-p`/`--builtin` its check had".to_owned();
            shard_error(shard, message, reporter, &mut summary)?;
            continue;
        }
        let records: Result<Vec<RecordResult<'p>>, String> = lines
            .iter()
            .filter_map(|line| match line {
                Line::Record(record) => Some(rules.result(record, identify_clean)),
                _ => None,
            })
            .collect();
        let mut records = match records {
            Ok(records) => records.into_iter(),
            Err(message) => {
                shard_error(shard, message, reporter, &mut summary)?;
                continue;
            }
        };
        for line in lines {
            match line {
                Line::Header(_) => {}
                Line::Record(_) => {
                    if let Some(result) = records.next() {
                        summary.count(&result.evaluation);
                        reporter.record(&result)?;
                    }
                }
                Line::Error(error) => {
                    if error.record.is_some() {
                        summary.records += 1;
                    }
                    summary.errors += 1;
                    reporter.input_error(&input_error(error))?;
                }
                Line::End(end) => {
                    summary.inputs += end.inputs;
                    for (source, count) in &end.skipped_events {
                        *summary.skipped_events.entry(source.clone()).or_default() += count;
                    }
                    for warning in &end.warnings {
                        summary.warnings.push(InputWarning::unknown_keys(
                            Arc::from(warning.source.as_str()),
                            warning.unknown_keys.clone(),
                        ));
                    }
                }
            }
        }
    }
    reporter.finish(&summary)?;
    Ok(summary)
}

/// A shard that cannot be merged: one input error naming it.
fn shard_error<'p>(
    shard: &Shard,
    message: String,
    reporter: &mut dyn Reporter<'p>,
    summary: &mut Summary,
) -> io::Result<()> {
    summary.inputs += 1;
    summary.errors += 1;
    reporter.input_error(&InputError {
        source: shard.name.clone(),
        record: None,
        line: None,
        column: None,
        problem: InputProblem::Recorded(message),
    })
}

fn input_error(error: &ErrorLine) -> InputError {
    InputError {
        source: Arc::from(error.source.as_str()),
        record: error.record,
        line: error.line,
        column: error.column,
        problem: InputProblem::Recorded(error.message.clone()),
    }
}

/// The rules of the set by `policy/rule`, with their policies and waiving exceptions.
struct Rules<'p> {
    ids: Vec<String>,
    by_id: HashMap<&'p str, (&'p Policy, &'p Rule, Vec<&'p Exception>)>,
}

impl<'p> Rules<'p> {
    fn of(set: &'p CompiledPolicySet) -> Self {
        let ids = set
            .rules()
            .iter()
            .map(|rule| rule.qualified_id().to_owned())
            .collect();
        let by_id = set
            .rules()
            .iter()
            .filter_map(|rule| {
                let policy = set.policy_of(rule)?;
                Some((
                    rule.qualified_id(),
                    (policy, rule, set.exceptions_for(rule)),
                ))
            })
            .collect();
        Self { ids, by_id }
    }

    /// The record as the checker handed it to its reporters.
    fn result(&self, line: &RecordLine, identify_clean: bool) -> Result<RecordResult<'p>, String> {
        let decision = decision_of(&line.decision)
            .ok_or_else(|| format!("`{}` is not a decision", line.decision))?;
        let violations = line
            .violations
            .iter()
            .map(|violation| {
                let (policy, rule, exceptions) = self
                    .by_id
                    .get(violation.rule.as_str())
                    .ok_or_else(|| format!("`{}` is not a rule of the policies", violation.rule))?;
                let field = Field::from_name(&violation.field)
                    .ok_or_else(|| format!("`{}` is not a field of Session", violation.field))?;
                let waived_by = match &violation.waived_by {
                    Some(id) => Some(
                        exceptions
                            .iter()
                            .copied()
                            .find(|exception| exception.id() == id)
                            .ok_or_else(|| {
                                format!("`{id}` is not an exception of `{}`", violation.rule)
                            })?,
                    ),
                    None => None,
                };
                Ok(Violation {
                    policy,
                    rule,
                    message: violation.message.clone(),
                    field,
                    actual: violation.actual.clone(),
                    expected: std::borrow::Cow::Owned(violation.expected.clone()),
                    unreadable: violation
                        .unreadable
                        .clone()
                        .map(UnreadableOperand::Recorded),
                    waived_by,
                    unjudged: violation.unjudged,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let start = match &line.start {
            Some(text) => {
                Some(Timestamp::parse(text).map_err(|error| format!("`{text}`: {error}"))?)
            }
            None => None,
        };
        let identify = identify_clean || !violations.is_empty();
        let id = |value: &Option<String>| value.clone().filter(|_| identify);
        Ok(RecordResult {
            source: Arc::from(line.source.as_str()),
            record: line.record,
            line: line.line,
            session_id: id(&line.session_id),
            target: id(&line.target),
            owner: id(&line.owner),
            start,
            evaluation: Evaluation {
                decision,
                violations,
            },
            baseline: None,
        })
    }
}

#[cfg(test)]
mod tests;
