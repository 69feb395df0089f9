//! The options of `s3://bucket/prefix` inputs: the days of CloudTrail's key layout to read.

#[cfg(feature = "aws")]
use ssm_guard::input::KeyDates;
use ssm_guard::input::{since_start_of, until_end_of};
use ssm_guard::model::Timestamp;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct S3Args {
    /// Of `s3://` inputs, skip the objects whose CloudTrail key
    /// (`AWSLogs/[ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/...`) is of a day before this date
    /// (or RFC 3339 time), without reading them; other keys are always read.
    #[arg(long, value_name = "DATE", value_parser = since_start_of)]
    pub since: Option<Timestamp>,
    /// Of `s3://` inputs, skip the objects whose CloudTrail key is of a day after this date
    /// (a date includes its whole day), without reading them.
    #[arg(long, value_name = "DATE", value_parser = until_end_of)]
    pub until: Option<Timestamp>,
}

impl S3Args {
    /// The dates given (read only where the build can list S3).
    #[cfg(feature = "aws")]
    pub fn dates(&self) -> KeyDates {
        KeyDates {
            since: self.since,
            until: self.until,
        }
    }
}
