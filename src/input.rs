//! Reading session records from files, standard input and Session Manager's API: opening (gzip,
//! BOM, `ssm:` queries, `s3://` objects), framing into records.

mod framing;
mod open;
mod s3;
mod ssm;

pub use framing::{
    Batch, Container, DEFAULT_MAX_RECORD_SIZE, Frame, FrameError, FrameErrorKind, Framer,
};
pub use open::{InputSource, open_input};
pub use s3::{
    KeyDates, OpenObject, S3_SCHEME, S3Object, S3Uri, Unlisted, cloudtrail_day, since_start_of,
    until_end_of,
};
pub use ssm::{AwsSettings, Filter, FilterKey, SCHEME, SessionQuery, SessionState};
