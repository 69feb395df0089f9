//! `ssm-guard test`: run the `*.test.yaml` files under the paths, then report rule coverage.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use ssm_guard::Timestamp;
use ssm_guard::report::xml;
use ssm_guard::testing::{self, TestReport, suggest};
use ssm_guard::witness::Budget;

use super::exit;
use super::policies::{ErrorFormat, print_diagnostics, use_color};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to search for `*.test.yaml` (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also fail (exit 1) when a rule is uncovered or a test is vacuous.
    #[arg(long)]
    strict: bool,
    /// How problems in the policies and tests are printed.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    /// Instead of running tests, print a test file of generated sessions that make every rule
    /// and case of the policies under PATH fail and pass, where the tests beside them do not.
    #[arg(long)]
    suggest: bool,
    /// With --suggest: write each file to PATH/suggested.test.yaml instead of printing it.
    #[arg(long, requires = "suggest")]
    write: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
}

pub fn run(args: Args) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let clock = Timestamp::now();
    let stderr = io::stderr();
    if args.suggest {
        return suggest(&paths, args.write, args.error_format, clock);
    }
    let suites = match testing::load_suites(&paths, clock) {
        Ok(suites) => suites,
        Err((sources, diagnostics)) => {
            print_diagnostics(
                &sources,
                &diagnostics,
                args.error_format,
                &mut stderr.lock(),
                use_color(&stderr),
            );
            return exit::USAGE;
        }
    };
    for suite in &suites {
        print_diagnostics(
            &suite.sources,
            &suite.warnings,
            args.error_format,
            &mut stderr.lock(),
            use_color(&stderr),
        );
    }
    let report = testing::run(&suites, clock);
    let stdout = io::stdout();
    let color = use_color(&stdout);
    let mut out = stdout.lock();
    let written = match args.format {
        Format::Text => write_text(&report, &mut out, color),
        Format::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Junit => write_junit(&report, &mut out),
    };
    if let Err(error) = written
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(stderr.lock(), "error: cannot write the report: {error}");
        return exit::USAGE;
    }
    if report.passes(args.strict) {
        exit::OK
    } else {
        exit::FAILED
    }
}

/// `--suggest`: a test file per PATH, printed (one PATH) or written beside the policies.
fn suggest(paths: &[PathBuf], write: bool, format: ErrorFormat, clock: Timestamp) -> u8 {
    let stderr = io::stderr();
    if paths.len() > 1 && !write {
        let _ = writeln!(
            stderr.lock(),
            "error: --suggest prints one test file: give one PATH, or add --write to write a file beside each"
        );
        return exit::USAGE;
    }
    let mut complete = true;
    for path in paths {
        let suggestion = match suggest::suggest(path, clock, Budget::default()) {
            Ok(suggestion) => suggestion,
            Err((sources, diagnostics)) => {
                print_diagnostics(
                    &sources,
                    &diagnostics,
                    format,
                    &mut stderr.lock(),
                    use_color(&stderr),
                );
                return exit::USAGE;
            }
        };
        complete &= suggestion.complete;
        for gap in &suggestion.gaps {
            let _ = writeln!(stderr.lock(), "not covered: {gap}");
        }
        if write {
            let target = suggestion.folder.join(suggest::FILE_NAME);
            if suggestion.tests == 0 {
                let _ = writeln!(
                    stderr.lock(),
                    "{}: nothing to suggest, the tests there cover every rule and case",
                    suggestion.folder.display()
                );
                continue;
            }
            if target.exists() {
                let _ = writeln!(
                    stderr.lock(),
                    "error: {} exists: review it, rename it, and run --suggest again",
                    target.display()
                );
                return exit::USAGE;
            }
            if let Err(error) = std::fs::write(&target, &suggestion.text) {
                let _ = writeln!(
                    stderr.lock(),
                    "error: cannot write {}: {error}",
                    target.display()
                );
                return exit::USAGE;
            }
            let _ = writeln!(
                stderr.lock(),
                "wrote {} ({} tests)",
                target.display(),
                suggestion.tests
            );
        } else {
            let mut out = io::stdout().lock();
            if let Err(error) = out.write_all(suggestion.text.as_bytes())
                && error.kind() != io::ErrorKind::BrokenPipe
            {
                let _ = writeln!(stderr.lock(), "error: cannot write: {error}");
                return exit::USAGE;
            }
        }
    }
    if complete { exit::OK } else { exit::FAILED }
}

fn write_text(report: &TestReport, out: &mut impl Write, color: bool) -> io::Result<()> {
    let paint = |code: &str, text: &str| {
        if color {
            format!("{code}{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut file = "";
    for outcome in &report.outcomes {
        if outcome.file != file {
            file = &outcome.file;
            writeln!(out, "{}", paint("\x1b[1m", file))?;
        }
        let status = if outcome.passed {
            paint("\x1b[32m", "ok  ")
        } else {
            paint("\x1b[1;31m", "FAIL")
        };
        let vacuous = if outcome.vacuous {
            paint("\x1b[33m", " (vacuous: no rule applied)")
        } else {
            String::new()
        };
        writeln!(out, "  {status} {}{vacuous}", outcome.name)?;
        if !outcome.passed {
            for mismatch in &outcome.mismatches {
                writeln!(out, "         {mismatch}")?;
            }
            writeln!(out, "         decision: {}", outcome.decision)?;
            for (id, message) in &outcome.actual {
                writeln!(out, "         violation {id}: {message}")?;
            }
            for (id, message) in &outcome.actual_waived {
                writeln!(out, "         waived    {id}: {message}")?;
            }
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "rule coverage (tests that applied / saw it pass / made it fail):"
    )?;
    let width = report
        .coverage
        .iter()
        .map(|c| c.rule.len())
        .max()
        .unwrap_or(4);
    for rule in &report.coverage {
        let mark = if rule.is_covered() {
            "  "
        } else {
            &paint("\x1b[33m", "! ")
        };
        writeln!(
            out,
            "  {mark}{:<width$}  {:>4} {:>4} {:>4}",
            rule.rule, rule.applied, rule.passed, rule.failed
        )?;
    }
    let uncovered: Vec<_> = report.uncovered().collect();
    if !uncovered.is_empty() {
        writeln!(out, "\nuncovered rules:")?;
        for rule in uncovered {
            writeln!(out, "  {}: {}", rule.rule, rule.gap().unwrap_or_default())?;
        }
    }
    let vacuous: Vec<_> = report.vacuous().collect();
    if !vacuous.is_empty() {
        writeln!(
            out,
            "\nvacuous tests (expect no violations, but no rule applied):"
        )?;
        for outcome in vacuous {
            writeln!(out, "  {}: {}", outcome.file, outcome.name)?;
        }
    }
    writeln!(
        out,
        "\n{} passed, {} failed",
        report.passed(),
        report.failed()
    )
}

/// A suite per test file, a case per test; a failed test's mismatches are its failure.
fn write_junit(report: &TestReport, out: &mut impl Write) -> io::Result<()> {
    let mut document = String::from(xml::DECLARATION);
    xml::testsuites(
        &mut document,
        &[
            ("name", &"ssm-guard test"),
            ("tests", &report.outcomes.len()),
            ("failures", &report.failed()),
        ],
    );
    document.push('\n');
    let mut files: Vec<&str> = report.outcomes.iter().map(|o| o.file.as_str()).collect();
    files.dedup();
    for file in files {
        let cases: Vec<_> = report.outcomes.iter().filter(|o| o.file == file).collect();
        let failures = cases.iter().filter(|o| !o.passed).count();
        document.push_str("  ");
        xml::testsuite(
            &mut document,
            &[
                ("name", &file),
                ("tests", &cases.len()),
                ("failures", &failures),
            ],
        );
        document.push('\n');
        for case in cases {
            let attributes: [xml::Attr<'_>; 2] = [("classname", &file), ("name", &case.name)];
            document.push_str("    ");
            if case.passed {
                xml::empty(&mut document, "testcase", &attributes);
                document.push('\n');
            } else {
                xml::testcase(&mut document, &attributes);
                document.push_str("\n      ");
                xml::failure(
                    &mut document,
                    case.mismatches.first().map_or("", String::as_str),
                    None,
                    &case.mismatches.join("\n"),
                );
                document.push_str("\n    ");
                xml::end(&mut document, "testcase");
                document.push('\n');
            }
        }
        document.push_str("  ");
        xml::end(&mut document, "testsuite");
        document.push('\n');
    }
    xml::end(&mut document, "testsuites");
    document.push('\n');
    out.write_all(document.as_bytes())
}
