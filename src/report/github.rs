//! `--format github`: GitHub Actions workflow commands, one annotation per violation.
//!
//! `::error` for violations that deny, `::warning` for those that warn, `::notice` for rules of
//! severity `info` and for waived violations, each with the input file, the line where the
//! record starts and a title naming the rule. Values are escaped as the runner expects:
//! in the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in properties also `:` and `,`
//! (`%3A`, `%2C`).
//!
//! A violation's command is rendered where its record is evaluated, when this is the only
//! output: the writer then only puts commands in order.

use std::io::{self, Write};

use super::finding::{Finding, Subject, each_breach};
use super::jsonl::Scratch;
use super::{Level, message_with_reason};
use crate::check::{InputError, RecordResult, Rendering, Reporter, Summary};
use crate::model::{Session, Timestamp};

/// Writes a workflow command per violation and per input error, and a closing notice.
#[derive(Debug)]
pub struct GithubReporter<W: Write> {
    out: W,
    /// A record's commands, when they were not rendered where it was evaluated.
    line: Vec<u8>,
}

impl<W: Write> GithubReporter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::new(),
        }
    }

    fn command(
        &mut self,
        name: &str,
        file: Option<&str>,
        line: Option<u64>,
        column: Option<u64>,
        title: &str,
        message: &str,
    ) -> io::Result<()> {
        let mut properties = Vec::new();
        if let Some(file) = file.filter(|f| *f != "<stdin>") {
            properties.push(format!("file={}", escape_property(file)));
            if let Some(line) = line.filter(|&l| l >= 1) {
                properties.push(format!("line={line}"));
                if let Some(column) = column.filter(|&c| c >= 1) {
                    properties.push(format!("col={column}"));
                }
            }
        }
        properties.push(format!("title={}", escape_property(title)));
        writeln!(
            self.out,
            "::{name} {}::{}",
            properties.join(","),
            escape_data(message)
        )
    }
}

/// Escapes a command's message.
pub fn escape_data(value: &str) -> String {
    let mut escaped = Vec::with_capacity(value.len());
    push_escaped(&mut escaped, value, false);
    String::from_utf8(escaped).unwrap_or_default()
}

/// Escapes a command's property value.
pub fn escape_property(value: &str) -> String {
    let mut escaped = Vec::with_capacity(value.len());
    push_escaped(&mut escaped, value, true);
    String::from_utf8(escaped).unwrap_or_default()
}

/// Appends `value` escaped as a command's message, or as a property value (`property`). Each
/// character is escaped on its own, so that parts of one value can be escaped one by one.
fn push_escaped(out: &mut Vec<u8>, value: &str, property: bool) {
    let mut plain = 0;
    for (at, byte) in value.bytes().enumerate() {
        let escaped: &[u8] = match byte {
            b'%' => b"%25",
            b'\r' => b"%0D",
            b'\n' => b"%0A",
            b':' if property => b"%3A",
            b',' if property => b"%2C",
            _ => continue,
        };
        out.extend_from_slice(value.as_bytes().get(plain..at).unwrap_or_default());
        out.extend_from_slice(escaped);
        plain = at + 1;
    }
    out.extend_from_slice(value.as_bytes().get(plain..).unwrap_or_default());
}

/// Renders a record's commands where the record is, from what evaluation found, as
/// [`write_command`] writes them.
pub(crate) fn render_breaches(
    out: &mut Scratch<'_>,
    subject: &Subject<'_>,
    session: &Session<'_>,
    now: Timestamp,
) {
    each_breach(out, session, now, true, |text, _, finding| {
        write_command(text, subject, finding);
    });
}

/// Writes one violation's command, its line break included: `::error file=F,line=L,title=T::M`
/// with `title` naming the rule and the message naming the session (and the waiver).
fn write_command(text: &mut Vec<u8>, subject: &Subject<'_>, finding: &Finding<'_>) {
    let rule = finding.rule;
    let name = match (finding.waived_by, Level::of(rule)) {
        (Some(_), _) | (None, Level::Note) => "notice",
        (None, Level::Error) => "error",
        (None, Level::Warning) => "warning",
    };
    text.extend_from_slice(b"::");
    text.extend_from_slice(name.as_bytes());
    text.push(b' ');
    if subject.source != "<stdin>" {
        text.extend_from_slice(b"file=");
        push_escaped(text, subject.source, true);
        if subject.line >= 1 {
            text.extend_from_slice(b",line=");
            text.extend_from_slice(itoa::Buffer::new().format(subject.line).as_bytes());
        }
        text.push(b',');
    }
    text.extend_from_slice(b"title=");
    push_escaped(text, finding.id(), true);
    text.extend_from_slice(b" (");
    text.extend_from_slice(rule.severity().name().as_bytes());
    text.push(b' ');
    text.extend_from_slice(rule.action().name().as_bytes());
    text.push(b')');
    if finding.waived_by.is_some() {
        text.extend_from_slice(b" waived");
    }
    text.extend_from_slice(b"::");
    push_escaped(text, finding.message, false);
    text.extend_from_slice(b" [session ");
    push_escaped(text, subject.session_id.unwrap_or("(no SessionId)"), false);
    if let Some(exception) = finding.waived_by {
        text.extend_from_slice(b"; waived by ");
        push_escaped(text, exception.id(), false);
        text.extend_from_slice(b": ");
        push_escaped(text, exception.reason(), false);
    }
    text.extend_from_slice(b"]\n");
}

impl<'p, W: Write> Reporter<'p> for GithubReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        let subject = Subject::of(result);
        for violation in &result.evaluation.violations {
            let said = message_with_reason(violation);
            self.line.clear();
            write_command(&mut self.line, &subject, &Finding::of(violation, &said));
            self.out.write_all(&self.line)?;
        }
        Ok(())
    }

    fn rendering(&self) -> Option<Rendering> {
        Some(Rendering::Github)
    }

    /// Commands name no record number: the text is written as it is.
    fn rendered(
        &mut self,
        _result: &RecordResult<'p>,
        text: &[u8],
        _splices: &[usize],
    ) -> io::Result<()> {
        self.out.write_all(text)
    }

    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        let message = match error.record {
            Some(record) => format!("record {record}: {}", error.problem),
            None => error.problem.to_string(),
        };
        self.command(
            "error",
            Some(&error.source),
            error.line,
            error.column,
            "ssm-guard input error",
            &message,
        )
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        for warning in &summary.warnings {
            self.command(
                "warning",
                Some(&warning.source),
                None,
                None,
                "ssm-guard input warning",
                &warning.message,
            )?;
        }
        let d = summary.decisions;
        let message = format!(
            "{} records checked: {} deny, {} warn, {} allow; {} violations ({} waived), {} input errors",
            summary.records,
            d.deny,
            d.warn,
            d.allow,
            summary.violations,
            summary.waived,
            summary.errors
        );
        self.command("notice", None, None, None, "ssm-guard summary", &message)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(
            escape_data("50% done\r\nnext: a,b"),
            "50%25 done%0D%0Anext: a,b"
        );
        assert_eq!(escape_property("C:\\x,y%\n"), "C%3A\\x%2Cy%25%0A");
    }
}
