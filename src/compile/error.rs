//! Every problem compiling a policy set can find, with the help that goes with each.

use crate::model::FieldKind;
use crate::operator::OperatorName;

/// A problem in a policy's text, found while compiling it, before any record is evaluated.
///
/// Messages are one lowercase line with user values in backticks; the fix is in
/// [`CompileError::help`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    #[error("{count} rules in one policy, more than the limit of {limit}")]
    TooManyRules { count: usize, limit: usize },
    #[error("{count} patterns in one `{operator}`, more than the limit of {limit}")]
    TooManyGlobs {
        operator: OperatorName,
        count: usize,
        limit: usize,
    },
    #[error("invalid YAML: {message}")]
    Yaml { message: String },
    #[error("YAML anchors and aliases are not supported in policies")]
    YamlAnchor,
    #[error("duplicate key `{key}`")]
    DuplicateKey { key: String },
    #[error("{what} must be {expected}, found {found}")]
    WrongShape {
        what: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("unknown key `{key}` in {context}")]
    UnknownKey {
        key: String,
        context: &'static str,
        suggestion: Option<&'static str>,
    },
    #[error("{context} is missing `{key}`")]
    MissingKey {
        key: &'static str,
        context: &'static str,
    },
    #[error("invalid {what} id `{id}`")]
    InvalidId { id: String, what: &'static str },
    #[error("policy `{id}` is defined twice")]
    DuplicatePolicy { id: String, first: String },
    #[error("rule `{id}` is defined twice in policy `{policy}`")]
    DuplicateRule { id: String, policy: String },
    #[error("exception `{id}` is defined twice in policy `{policy}`")]
    DuplicateException { id: String, policy: String },
    #[error("`{value}` is not a valid {what}")]
    UnknownValue {
        value: String,
        what: &'static str,
        allowed: &'static [&'static str],
        suggestion: Option<&'static str>,
    },
    #[error("a rule needs exactly one of `require` and `cases`, found {found}")]
    RequireXorCases { found: &'static str },
    #[error("the case without `when` must be last: the cases after it can never be chosen")]
    DefaultCaseNotLast,
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("unknown field `{name}`")]
    UnknownField {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("unknown operator `{name}`")]
    UnknownOperator {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("`{operator}` does not apply to `{field}`, which is {}", kind.noun())]
    OperatorOnWrongType {
        operator: OperatorName,
        field: &'static str,
        kind: FieldKind,
    },
    #[error("`{operator}` needs {expected}, found {found}")]
    InvalidArgument {
        operator: OperatorName,
        expected: &'static str,
        found: String,
    },
    #[error("invalid regex `{pattern}`: {error}")]
    InvalidRegex { pattern: String, error: String },
    #[error("invalid glob `{pattern}`: {error}")]
    InvalidGlob { pattern: String, error: String },
    #[error("`{text}` is not an RFC 3339 timestamp or a date")]
    InvalidTimestamp { text: String },
    #[error("`{text}` is not a time of day")]
    InvalidTimeOfDay { text: String },
    #[error("`{text}` is not a UTC offset")]
    InvalidOffset { text: String },
    #[error("the window from `{from}` to `{to}` is empty")]
    EmptyWindow { from: String, to: String },
    #[error("unknown placeholder `{{{name}}}` in message")]
    UnknownPlaceholder {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("unclosed `{{` in message")]
    UnclosedPlaceholder,
    #[error("exception names unknown rule `{rule}`")]
    UnknownExceptionRule {
        rule: String,
        policy: String,
        suggestion: Option<String>,
    },
    #[error("the text after the first YAML document starts another: a policy file holds one")]
    SecondDocument,
    #[error("exception `{id}` has no `expires`")]
    ExceptionWithoutExpiry { id: String },
    #[error("exception `{id}` expired on {expires}")]
    ExpiredException { id: String, expires: String },
    #[error("this `when` can never hold: the API never gives `{field}` the value `{value}`")]
    WhenNeverHolds {
        field: &'static str,
        value: String,
        allowed: &'static [&'static str],
        suggestion: Option<&'static str>,
    },
    #[error(
        "the API never gives `{field}` the value `{value}`, so this comparison never matches it"
    )]
    ValueNeverGiven {
        field: &'static str,
        value: String,
        allowed: &'static [&'static str],
        suggestion: Option<&'static str>,
    },
    #[error("YAML reads `{value}` as {read_as}, and `{field}` is a tag, whose values are text")]
    TagValueNotText {
        field: &'static str,
        value: String,
        read_as: &'static str,
    },
}

impl CompileError {
    /// The fix, or the closest valid name, when there is one.
    pub fn help(&self) -> Option<String> {
        let did_you_mean = |s: &Option<&'static str>| s.map(|s| format!("did you mean `{s}`?"));
        match self {
            Self::YamlAnchor => Some("write the repeated condition out in full".to_owned()),
            Self::TooManyRules { .. } => Some("split the rules into several policies".to_owned()),
            Self::TooManyGlobs { .. } => {
                Some("match the common part with one glob (`i-0prod*`), or split the condition".to_owned())
            }
            Self::DuplicateKey { .. } => Some("a key may appear once in a mapping; merge the two".to_owned()),
            Self::UnknownKey { suggestion, .. } | Self::UnknownField { suggestion, .. } | Self::UnknownOperator { suggestion, .. } => {
                did_you_mean(suggestion)
            }
            Self::UnknownPlaceholder { suggestion, .. } => {
                suggestion.map(|s| format!("did you mean `{{{s}}}`?")).or_else(|| {
                    Some("placeholders are field names and `rule`, `policy`, `severity`".to_owned())
                })
            }
            Self::UnknownValue { suggestion, allowed, .. } => {
                did_you_mean(suggestion).or_else(|| Some(format!("expected one of {}", list(allowed))))
            }
            Self::InvalidId { .. } => Some("ids match `[a-z0-9][a-z0-9._-]{0,63}`".to_owned()),
            Self::DuplicatePolicy { first, .. } => Some(format!("first defined at {first}")),
            Self::DuplicateRule { .. } | Self::DuplicateException { .. } => {
                Some("ids must be unique within their policy; rename one".to_owned())
            }
            Self::RequireXorCases { .. } => {
                Some("use `require` for one condition, or `cases` for a condition per group".to_owned())
            }
            Self::DefaultCaseNotLast => Some("move the case without `when` to the end of `cases`".to_owned()),
            Self::OperatorOnWrongType { kind, .. } => Some(OperatorName::help_for(*kind)),
            Self::SecondDocument => Some("split the documents into files of their own".to_owned()),
            Self::InvalidTimestamp { .. } => {
                Some("write e.g. `2026-12-31T18:00:00Z`, `2026-12-31T19:00:00+01:00` or `2026-12-31`".to_owned())
            }
            Self::InvalidTimeOfDay { .. } => Some("write `HH:MM`, e.g. `07:00`; `to` may be `24:00`".to_owned()),
            Self::InvalidOffset { .. } => Some("write `+HH:MM` or `-HH:MM`, e.g. `+01:00`".to_owned()),
            Self::EmptyWindow { .. } => Some("omit `from` and `to` for the whole day".to_owned()),
            Self::UnclosedPlaceholder => Some("close it with `}`, or write `{{` for a literal brace".to_owned()),
            Self::UnknownExceptionRule { suggestion, .. } => suggestion.as_ref().map(|s| format!("did you mean `{s}`?")),
            Self::ExceptionWithoutExpiry { .. } => {
                Some("add `expires: YYYY-MM-DD` so the waiver ends on its own".to_owned())
            }
            Self::ExpiredException { .. } => {
                Some("it still waives sessions that started before then; remove it when old exports no longer matter".to_owned())
            }
            Self::TagValueNotText { value, .. } => Some(format!(
                "quote it (`\"{value}\"`) so that it is compared as the tag's text"
            )),
            Self::WhenNeverHolds { field, allowed, suggestion, .. } | Self::ValueNeverGiven { field, allowed, suggestion, .. } => {
                let values = format!("the API's values of `{field}` are {}", list(allowed));
                Some(match suggestion {
                    Some(s) => format!("did you mean `{s}`? {values}"),
                    None => values,
                })
            }
            Self::Empty { .. } | Self::MissingKey { .. } | Self::WrongShape { .. } | Self::InvalidArgument { .. } | Self::InvalidRegex { .. } | Self::InvalidGlob { .. } | Self::Yaml { .. } => None,
        }
    }
}

pub(crate) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}
