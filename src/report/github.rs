//! `--format github`: GitHub Actions workflow commands, one annotation per violation.
//!
//! `::error` for violations that deny, `::warning` for those that warn, `::notice` for rules of
//! severity `info` and for waived violations, each with the input file, the line where the
//! record starts and a title naming the rule. Values are escaped as the runner expects:
//! in the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in properties also `:` and `,`
//! (`%3A`, `%2C`).

use std::io::{self, Write};

use super::{Level, message_with_reason};
use crate::check::{InputError, RecordResult, Reporter, Summary};

/// Writes a workflow command per violation and per input error, and a closing notice.
#[derive(Debug)]
pub struct GithubReporter<W: Write> {
    out: W,
}

impl<W: Write> GithubReporter<W> {
    pub fn new(out: W) -> Self {
        Self { out }
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
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value.
pub fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

impl<'p, W: Write> Reporter<'p> for GithubReporter<W> {
    fn record(&mut self, result: &RecordResult<'p>) -> io::Result<()> {
        for violation in &result.evaluation.violations {
            let rule = violation.rule;
            let session = result.session_id.as_deref().unwrap_or("(no SessionId)");
            let mut title = format!("{} ({} {})", violation.id(), rule.severity(), rule.action());
            let said = message_with_reason(violation);
            let (name, message) = match violation.waived_by {
                Some(exception) => {
                    title.push_str(" waived");
                    (
                        "notice",
                        format!(
                            "{said} [session {session}; waived by {}: {}]",
                            exception.id(),
                            exception.reason()
                        ),
                    )
                }
                None => (
                    match Level::of(rule) {
                        Level::Error => "error",
                        Level::Warning => "warning",
                        Level::Note => "notice",
                    },
                    format!("{said} [session {session}]"),
                ),
            };
            self.command(
                name,
                Some(&result.source),
                Some(result.line),
                None,
                &title,
                &message,
            )?;
        }
        Ok(())
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
