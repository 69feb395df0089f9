//! Input errors carry a typed cause: each kind of input that cannot be read, read through the
//! library, gives its own `InputProblem`, whose text is the `message` every output writes.

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use ssm_guard::check::{Checker, InputError, InputProblem, RecordResult, Reporter, Summary};
use ssm_guard::input::{FrameErrorKind, InputSource};
use ssm_guard::model::RecordError;

use crate::support::{compile_policy, now, requiring, scratch_dir};

/// Keeps the input errors of a run.
#[derive(Default)]
struct Errors(Vec<InputError>);

impl<'p> Reporter<'p> for Errors {
    fn record(&mut self, _: &RecordResult<'p>) -> io::Result<()> {
        Ok(())
    }
    fn input_error(&mut self, error: &InputError) -> io::Result<()> {
        self.0.push(error.clone());
        Ok(())
    }
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// The input errors of linting `inputs` (file names and contents) in `dir`, plus `missing`,
/// a file that does not exist, on `jobs` threads.
fn errors_of(inputs: &[(&str, &[u8])], jobs: usize) -> Vec<InputError> {
    let compiled = compile_policy(&requiring("Reason: { present: true }"));
    let dir = scratch_dir("input-errors");
    let mut sources: Vec<InputSource> = inputs
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            InputSource::File(path)
        })
        .collect();
    sources.push(InputSource::File(dir.join("missing.json")));
    let mut errors = Errors::default();
    Checker::new(&compiled.set, now(), jobs)
        .run(&sources, &mut errors)
        .unwrap();
    errors.0
}

/// 3000 records, gzipped and cut short.
fn truncated_gzip() -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    for i in 0..3000 {
        writeln!(encoder, "{{\"SessionId\":\"s-{i}\",\"Target\":\"i-{i}\"}}").unwrap();
    }
    let mut gz = encoder.finish().unwrap();
    gz.truncate(gz.len() / 2);
    gz
}

/// A good record, then one not closed on its line, one that is not a Session, and one that is
/// not UTF-8.
const RECORDS: &[u8] = b"{\"SessionId\":\"s-0\",\"Target\":\"i-0\"}\n\
    {\"SessionId\":\"s-1\",\n\
    {\"foo\": 1}\n\
    {\"SessionId\":\"s-2\",\"Target\":\"\xff\"}\n";

#[test]
fn each_input_that_cannot_be_read_has_its_own_typed_cause() {
    let gz = truncated_gzip();
    let inputs: [(&str, &[u8]); 4] = [
        ("records.jsonl", RECORDS),
        (
            "pretty.json",
            b"[\n  {\"SessionId\": \"s-1\",\n   \"Owner\": nope}\n]\n",
        ),
        ("empty.json", b"  \n"),
        ("cut.jsonl.gz", &gz),
    ];
    for jobs in [1, 3] {
        let errors = errors_of(&inputs, jobs);
        let texts: Vec<String> = errors.iter().map(|e| e.problem.to_string()).collect();
        assert_eq!(errors.len(), 7, "{texts:#?}");

        assert!(matches!(
            errors[0].problem,
            InputProblem::Frame(FrameErrorKind::UnterminatedLine)
        ));
        assert_eq!(texts[0], "value is not closed before the end of its line");

        let InputProblem::Record {
            error: RecordError::NotASession(unrecognized),
            at_character: None,
        } = &errors[1].problem
        else {
            panic!("{:?}", errors[1]);
        };
        assert_eq!(unrecognized.keys, ["foo"]);
        assert_eq!(texts[1], unrecognized.to_string());

        assert!(matches!(
            &errors[2].problem,
            InputProblem::Record {
                error: RecordError::Malformed { .. },
                at_character: Some(30),
            }
        ));
        assert_eq!(texts[2], "invalid UTF-8 (at character 30 of the record)");

        // On a later line of its record, the input error's line and column place it.
        assert!(matches!(
            &errors[3].problem,
            InputProblem::Record {
                error: RecordError::Malformed { line: 2, .. },
                at_character: None,
            }
        ));
        assert_eq!((errors[3].line, errors[3].column), (Some(3), Some(14)));

        assert_eq!(errors[4].problem, InputProblem::Empty);
        assert_eq!(
            texts[4],
            "the input is empty: it holds no JSON value (no bytes, or only whitespace)"
        );

        let InputProblem::ReadFailed {
            after_record,
            error,
        } = &errors[5].problem
        else {
            panic!("{:?}", errors[5]);
        };
        assert!(*after_record > 0 && *after_record < 3000);
        assert_eq!(
            texts[5],
            format!("reading stopped after record {after_record}: {error}")
        );

        let InputProblem::Unopened { error } = &errors[6].problem else {
            panic!("{:?}", errors[6]);
        };
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert_eq!(texts[6], format!("cannot read input: {}", error.error()));
        assert_eq!(errors[6].record, None);
    }
}

#[test]
fn an_input_error_is_written_with_its_problem_as_the_message() {
    let errors = errors_of(&[("empty.json", b"")], 1);
    let json = serde_json::to_string(&errors[0]).unwrap();
    let source = serde_json::to_string(&*errors[0].source).unwrap();
    assert_eq!(
        json,
        format!(
            "{{\"source\":{source},\"record\":null,\"line\":null,\"column\":null,\"message\":\"the input is empty: it holds no JSON value (no bytes, or only whitespace)\"}}"
        )
    );
}
