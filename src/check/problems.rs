//! What a run reports about its inputs besides their records: input errors (a record, or a
//! whole input, that could not be read), each with a typed cause, and input warnings.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::Arc;

use serde::Serialize;

use crate::input::FrameErrorKind;
use crate::model::{Field, RecordError, member_like};

/// A record, or a whole input, that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    pub source: Arc<str>,
    /// The record number it took, `None` when the input could not be opened or read on.
    pub record: Option<u64>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// Why; outputs write it as the `message` member, the sentence it displays as.
    #[serde(rename = "message")]
    pub problem: InputProblem,
}

/// Why a record or an input could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputProblem {
    /// The record could not be delimited in the input.
    Frame(FrameErrorKind),
    /// The record's JSON could not be read as a record. A fault on the record's first line is
    /// placed `at_character` of the record, since the column of its start in the input is not
    /// known (the framer may have skipped indentation); on later lines the input error's
    /// column places it.
    Record {
        error: RecordError,
        at_character: Option<usize>,
    },
    /// The input could not be opened; nothing is reported from it.
    Unopened { error: IoFailure },
    /// Reading failed part way; nothing after record `after_record` is reported.
    ReadFailed { after_record: u64, error: IoFailure },
    /// The input holds no JSON value: the trace of a command that failed before it wrote
    /// anything.
    Empty,
    /// The problem as a result object wrote it, read back by `merge`.
    Recorded(String),
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(kind) => kind.fmt(f),
            Self::Record {
                error,
                at_character,
            } => {
                f.write_str(&error.problem())?;
                match at_character {
                    Some(at) => write!(f, " (at character {at} of the record)"),
                    None => Ok(()),
                }
            }
            Self::Unopened { error } => write!(f, "cannot read input: {error}"),
            Self::ReadFailed {
                after_record,
                error,
            } => write!(f, "reading stopped after record {after_record}: {error}"),
            Self::Empty => f.write_str(
                "the input is empty: it holds no JSON value (no bytes, or only whitespace)",
            ),
            Self::Recorded(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for InputProblem {}

/// Outputs write the problem as the sentence it displays as.
impl Serialize for InputProblem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An I/O error, shared so that the input error that holds it can be cloned.
#[derive(Debug, Clone)]
pub struct IoFailure(Arc<io::Error>);

impl IoFailure {
    /// The error itself.
    pub fn error(&self) -> &io::Error {
        &self.0
    }

    /// Its kind.
    pub fn kind(&self) -> io::ErrorKind {
        self.0.kind()
    }
}

impl From<io::Error> for IoFailure {
    fn from(error: io::Error) -> Self {
        Self(Arc::new(error))
    }
}

impl fmt::Display for IoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Two failures are the same when they are of one kind and say the same: an `io::Error` cannot
/// be compared otherwise.
impl PartialEq for IoFailure {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.to_string() == other.to_string()
    }
}

impl Eq for IoFailure {}

/// Records of an input that name keys that are not members of `Session`. They are read, since
/// AWS adds members to `Session`, but a misspelt column is a rule that silently never applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputWarning {
    pub source: Arc<str>,
    pub message: String,
    pub unknown_keys: Vec<UnknownKey>,
}

/// A key that is not a member of `Session`, and how many records of an input name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownKey {
    pub key: String,
    pub records: u64,
    /// The member it resembles, if any (`Tagret`: `Target`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<&'static str>,
}

impl InputWarning {
    pub(crate) fn unknown_keys(source: Arc<str>, counts: BTreeMap<String, u64>) -> Self {
        let mut unknown_keys: Vec<UnknownKey> = counts
            .into_iter()
            .map(|(key, records)| UnknownKey {
                did_you_mean: member_like(&key).map(Field::name),
                key,
                records,
            })
            .collect();
        unknown_keys.sort_by(|a, b| b.records.cmp(&a.records).then(a.key.cmp(&b.key)));
        let message = UnknownKeysMessage(&unknown_keys).to_string();
        Self {
            source,
            message,
            unknown_keys,
        }
    }
}

struct UnknownKeysMessage<'a>(&'a [UnknownKey]);

impl fmt::Display for UnknownKeysMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("records name keys that are not members of Session, and were not read: ")?;
        for (i, key) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let plural = if key.records == 1 { "" } else { "s" };
            write!(f, "{sep}`{}` ({} record{plural}", key.key, key.records)?;
            if let Some(member) = key.did_you_mean {
                write!(f, "; did you mean `{member}`?")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}
