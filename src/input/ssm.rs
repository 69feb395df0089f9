//! `ssm:active` and `ssm:history?owner=...`: Session Manager's `DescribeSessions` named as an
//! input. This is the query alone, read from its text; the calls are made by `crate::aws`, so
//! that a build without the AWS SDK still knows the form and can say what it lacks.

use std::fmt;

use crate::model::Timestamp;

/// What comes before the query: every `ssm:` input starts with it.
pub const SCHEME: &str = "ssm:";

/// `DescribeSessions`' `State`: the sessions still open, or those that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    Active,
    History,
}

impl SessionState {
    /// The API's name for it.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::History => "History",
        }
    }
}

/// A key of `DescribeSessions`' `Filters`, by the name the query gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterKey {
    Owner,
    Target,
    After,
    Before,
    Status,
    AccessType,
    SessionId,
}

impl FilterKey {
    const ALL: [FilterKey; 7] = [
        Self::Owner,
        Self::Target,
        Self::After,
        Self::Before,
        Self::Status,
        Self::AccessType,
        Self::SessionId,
    ];

    /// The name in a query (`access-type`).
    pub fn query_name(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Target => "target",
            Self::After => "after",
            Self::Before => "before",
            Self::Status => "status",
            Self::AccessType => "access-type",
            Self::SessionId => "session-id",
        }
    }

    /// The API's `SessionFilterKey` (`InvokedAfter`, `TargetId`, ...).
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Target => "Target",
            Self::After => "InvokedAfter",
            Self::Before => "InvokedBefore",
            Self::Status => "Status",
            Self::AccessType => "AccessType",
            Self::SessionId => "SessionId",
        }
    }

    fn from_query_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|key| key.query_name() == name)
    }
}

/// One filter: a key and the value the API is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    pub key: FilterKey,
    pub value: String,
}

/// Where the SDK looks for the account: the settings a command line may override. Unset, the
/// SDK's own chain decides (`AWS_REGION`, `AWS_PROFILE`, the profile files, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// One `ssm:` input: the text as given (its name in reports), the state and the filters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionQuery {
    uri: String,
    pub state: SessionState,
    pub filters: Vec<Filter>,
    pub settings: AwsSettings,
}

/// The `Status` values `DescribeSessions` takes in a filter.
const STATUSES: [&str; 6] = [
    "Connected",
    "Connecting",
    "Disconnected",
    "Terminated",
    "Terminating",
    "Failed",
];
const ACCESS_TYPES: [&str; 2] = ["Standard", "JustInTime"];

impl SessionQuery {
    /// Whether a command-line argument is written as an `ssm:` input.
    pub fn is_query(text: &str) -> bool {
        text.starts_with(SCHEME)
    }

    /// Reads `ssm:active` or `ssm:history`, each optionally followed by `?key=value&...`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix(SCHEME) else {
            return Err(format!("`{text}` does not start with `{SCHEME}`"));
        };
        let (kind, query) = match rest.split_once('?') {
            Some((kind, query)) => (kind, Some(query)),
            None => (rest, None),
        };
        let state = match kind {
            "active" => SessionState::Active,
            "history" => SessionState::History,
            other => {
                return Err(format!(
                    "`{text}`: `{other}` is not a kind of sessions; write `ssm:active` (open sessions) or `ssm:history` (ended ones)"
                ));
            }
        };
        let mut filters: Vec<Filter> = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name).map_err(|e| format!("`{text}`: {e}"))?;
            let Some(key) = FilterKey::from_query_name(&name) else {
                let known: Vec<&str> = FilterKey::ALL.iter().map(|k| k.query_name()).collect();
                return Err(format!(
                    "`{text}`: unknown filter `{name}`; the filters are {}",
                    known.join(", ")
                ));
            };
            if filters.iter().any(|filter| filter.key == key) {
                return Err(format!(
                    "`{text}`: `{name}` is given twice; DescribeSessions takes each filter once"
                ));
            }
            let value = decode(value).map_err(|e| format!("`{text}`: {e}"))?;
            let value =
                filter_value(key, &value).map_err(|e| format!("`{text}`: `{name}`: {e}"))?;
            filters.push(Filter { key, value });
        }
        Ok(Self {
            uri: text.to_owned(),
            state,
            filters,
            settings: AwsSettings::default(),
        })
    }

    /// The same query, read with these settings.
    pub fn with_settings(mut self, settings: AwsSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The query as it was written: the input's name in every report.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

impl fmt::Display for SessionQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)
    }
}

/// Checks a value and writes it as the API takes it: timestamps as RFC 3339 in UTC, enums in
/// the API's own case.
fn filter_value(key: FilterKey, value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err("the value is empty".to_owned());
    }
    let one_of = |choices: &[&str]| {
        choices
            .iter()
            .find(|choice| choice.eq_ignore_ascii_case(value))
            .map(|choice| (*choice).to_owned())
            .ok_or_else(|| format!("`{value}` is not one of {}", choices.join(", ")))
    };
    match key {
        FilterKey::After | FilterKey::Before => Timestamp::parse_instant_or_date(value)
            .map(|instant| instant.to_string())
            .map_err(|error| format!("`{value}` is not a date or an RFC 3339 time: {error}")),
        FilterKey::Status => one_of(&STATUSES),
        FilterKey::AccessType => one_of(&ACCESS_TYPES),
        FilterKey::Owner | FilterKey::Target | FilterKey::SessionId => Ok(value.to_owned()),
    }
}

/// Percent-decoding, for values that hold `&`, `=` or spaces.
fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok())
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| {
                    format!("`{text}` has a `%` that is not followed by two hex digits")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` decodes to bytes that are not UTF-8"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_two_kinds_and_every_filter() {
        let active = SessionQuery::parse("ssm:active").unwrap();
        assert_eq!(active.state, SessionState::Active);
        assert!(active.filters.is_empty());
        assert_eq!(active.to_string(), "ssm:active");
        let text = "ssm:history?owner=arn:aws:sts::1:assumed-role/R/ana&target=i-1&after=2026-01-01&before=2026-02-01T10:00:00%2B01:00&status=terminated&access-type=JustInTime&session-id=s-1";
        let history = SessionQuery::parse(text).unwrap();
        assert_eq!(history.state, SessionState::History);
        assert_eq!(history.uri(), text);
        let filters: Vec<(&str, &str)> = history
            .filters
            .iter()
            .map(|f| (f.key.api_name(), f.value.as_str()))
            .collect();
        assert_eq!(
            filters,
            [
                ("Owner", "arn:aws:sts::1:assumed-role/R/ana"),
                ("Target", "i-1"),
                ("InvokedAfter", "2026-01-01T00:00:00Z"),
                ("InvokedBefore", "2026-02-01T09:00:00Z"),
                ("Status", "Terminated"),
                ("AccessType", "JustInTime"),
                ("SessionId", "s-1"),
            ]
        );
    }

    #[test]
    fn mistakes_say_what_to_write() {
        for (text, expected) in [
            ("ssm:histroy", "write `ssm:active`"),
            ("ssm:active?onwer=x", "unknown filter `onwer`"),
            ("ssm:active?owner=a&owner=b", "given twice"),
            ("ssm:active?status=Open", "not one of Connected"),
            ("ssm:active?after=yesterday", "not a date"),
            ("ssm:active?target=", "empty"),
            ("ssm:active?target=%zz", "two hex digits"),
        ] {
            let error = SessionQuery::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
