//! `s3://bucket/prefix`: every object under a prefix named as inputs, one input per object. This
//! is the form alone (the URI, the dates of CloudTrail's key layout that `--since`/`--until`
//! prune by, and the object an input reads); the calls are made by `crate::aws`, so that a
//! build without the AWS SDK still knows the form and can say what it lacks.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::{self, Read};
use std::sync::Arc;

use crate::model::Timestamp;

/// What comes before the bucket.
pub const S3_SCHEME: &str = "s3://";

/// `s3://bucket/prefix`: a bucket and a key prefix (empty for the whole bucket).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl S3Uri {
    /// Whether a command-line argument is written as an S3 location.
    pub fn is_uri(text: &str) -> bool {
        text.starts_with(S3_SCHEME)
    }

    /// Reads `s3://bucket`, `s3://bucket/` or `s3://bucket/prefix`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix(S3_SCHEME) else {
            return Err(format!("`{text}` does not start with `{S3_SCHEME}`"));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!(
                "`{text}` names no bucket; write `s3://BUCKET/PREFIX`"
            ));
        }
        // Bucket names are 3 to 63 lowercase letters, digits, dots and hyphens; checking the
        // characters here turns a typo into an error of usage rather than of the call.
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return Err(format!(
                "`{text}`: `{bucket}` is not a bucket name (lowercase letters, digits, `.` and `-`)"
            ));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The URI of one object of the same bucket.
    pub fn object(&self, key: &str) -> Self {
        Self {
            bucket: self.bucket.clone(),
            key: key.to_owned(),
        }
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{S3_SCHEME}{}/{}", self.bucket, self.key)
    }
}

/// The days an object's key must fall on to be read: `--since` and `--until`. Only keys in
/// CloudTrail's layout have a day; every other key is read whatever the dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct KeyDates {
    /// The earliest instant of interest.
    pub since: Option<Timestamp>,
    /// The latest instant of interest.
    pub until: Option<Timestamp>,
}

const DAY_MICROS: i64 = 86_400 * 1_000_000;

impl KeyDates {
    /// Whether any date is set.
    pub fn is_set(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether the object at `key` is read: its CloudTrail day overlaps the dates, or it has
    /// none.
    pub fn admits(&self, key: &str) -> bool {
        let Some(day) = cloudtrail_day(key) else {
            return true;
        };
        let start = day.as_micros();
        let end = start.saturating_add(DAY_MICROS);
        self.since.is_none_or(|since| end > since.as_micros())
            && self.until.is_none_or(|until| start <= until.as_micros())
    }
}

/// `--until DATE`: a date alone means the whole of that day.
pub fn until_end_of(text: &str) -> Result<Timestamp, String> {
    let instant = Timestamp::parse_instant_or_date(text)
        .map_err(|error| format!("`{text}` is not a date or an RFC 3339 time: {error}"))?;
    if text.len() == "YYYY-MM-DD".len() {
        return Ok(Timestamp::from_micros(
            instant.as_micros().saturating_add(DAY_MICROS - 1),
        ));
    }
    Ok(instant)
}

/// `--since DATE`: a date alone means the start of that day.
pub fn since_start_of(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_instant_or_date(text)
        .map_err(|error| format!("`{text}` is not a date or an RFC 3339 time: {error}"))
}

/// The day (midnight UTC) of a key in CloudTrail's layout,
/// `AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`; `None` for any other key.
pub fn cloudtrail_day(key: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = key.split('/').collect();
    let logs = parts.iter().position(|part| *part == "AWSLogs")?;
    let trail = logs
        + 1
        + parts
            .get(logs + 1..)?
            .iter()
            .position(|part| *part == "CloudTrail")?;
    let account = parts.get(trail.checked_sub(1)?)?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let [year, month, day] = [2, 3, 4].map(|n| parts.get(trail + n).copied());
    let (year, month, day) = (year?, month?, day?);
    let digits = |text: &str, len| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) || !digits(day, 2) {
        return None;
    }
    Timestamp::parse_instant_or_date(&format!("{year}-{month}-{day}")).ok()
}

/// Opens the objects of a listing for reading.
pub trait OpenObject: fmt::Debug + Send + Sync {
    /// The body of `object`, as a stream; an object that cannot be fetched is an error naming
    /// why.
    fn open(&self, object: &S3Object) -> io::Result<Box<dyn Read + Send>>;
}

/// One object as an input: its URI (its name in every report), its place in the listing it
/// came from, and what reads it. Two are equal when they name the same object at the same place.
#[derive(Debug, Clone)]
pub struct S3Object {
    pub uri: Arc<str>,
    pub key: String,
    /// Its place among the objects `opener` reads, which it fetches ahead in this order.
    pub index: usize,
    pub opener: Arc<dyn OpenObject>,
}

impl S3Object {
    /// The object's body.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        self.opener.open(self)
    }
}

impl PartialEq for S3Object {
    fn eq(&self, other: &Self) -> bool {
        self.uri == other.uri && self.index == other.index
    }
}

impl Eq for S3Object {}

impl Hash for S3Object {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uri.hash(state);
        self.index.hash(state);
    }
}

impl fmt::Display for S3Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)
    }
}

/// An opener that fails with one message: a listing that could not be made is one input
/// error, named by the prefix, and the other inputs are still read.
#[derive(Debug)]
pub struct Unlisted(pub String);

impl OpenObject for Unlisted {
    fn open(&self, _object: &S3Object) -> io::Result<Box<dyn Read + Send>> {
        Err(io::Error::other(self.0.clone()))
    }
}

impl S3Object {
    /// The input a listing that failed leaves: reading it gives `message`.
    pub fn unlisted(uri: &S3Uri, message: String) -> Self {
        Self {
            uri: Arc::from(uri.to_string()),
            key: uri.key.clone(),
            index: 0,
            opener: Arc::new(Unlisted(message)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn uris_read_bucket_and_prefix() {
        let uri = S3Uri::parse("s3://trail-bucket/AWSLogs/o-abc/").unwrap();
        assert_eq!(uri.bucket, "trail-bucket");
        assert_eq!(uri.key, "AWSLogs/o-abc/");
        assert_eq!(uri.to_string(), "s3://trail-bucket/AWSLogs/o-abc/");
        assert_eq!(S3Uri::parse("s3://b").unwrap().key, "");
        assert!(S3Uri::parse("s3:///x").unwrap_err().contains("no bucket"));
        assert!(S3Uri::parse("s3://Bad_Bucket/x").is_err());
    }

    #[test]
    fn cloudtrail_keys_have_a_day_with_or_without_an_organization() {
        let day = |key| cloudtrail_day(key).map(|t| t.to_string());
        let org = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/03/09/111122223333_CloudTrail_eu-west-1_20260309T0000Z_x.json.gz";
        assert_eq!(day(org).as_deref(), Some("2026-03-09T00:00:00Z"));
        let account = "p/AWSLogs/111122223333/CloudTrail/us-east-1/2025/12/31/f.json.gz";
        assert_eq!(day(account).as_deref(), Some("2025-12-31T00:00:00Z"));
        for other in [
            "exports/2026/03/09/sessions.json",
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/09/d.json.gz",
            "AWSLogs/1111/CloudTrail/us-east-1/2026/03/09/f.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/3/09/f.json.gz",
        ] {
            assert_eq!(day(other), None, "{other}");
        }
    }

    #[test]
    fn dates_prune_only_cloudtrail_keys_outside_them() {
        let dates = KeyDates {
            since: Some(since_start_of("2026-03-02").unwrap()),
            until: Some(until_end_of("2026-03-03").unwrap()),
        };
        let key = |d: &str| format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/{d}/f.gz");
        assert!(!dates.admits(&key("01")));
        assert!(dates.admits(&key("02")));
        assert!(dates.admits(&key("03")));
        assert!(!dates.admits(&key("04")));
        assert!(dates.admits("exports/2020/01/01/sessions.json"));
        let noon = KeyDates {
            since: Some(since_start_of("2026-03-02T12:00:00Z").unwrap()),
            until: None,
        };
        assert!(noon.admits(&key("02")));
        assert!(!noon.admits(&key("01")));
    }
}
