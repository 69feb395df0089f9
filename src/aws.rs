//! Session Manager's API through the AWS SDK for Rust: `DescribeSessions` read page by page into
//! the JSON the API returns, and `TerminateSession`. Everything above this module (the `ssm:`
//! inputs, the gate's reading of a started session, the sweep) goes through [`SessionApi`], so
//! that it can be tested without the SDK, and errors come back as [`ApiError`]s that say what
//! to fix. S3 (`s3://` inputs, result objects) is in its own module.

mod api;
mod client;
mod error;
mod json;
mod reader;
mod s3;
mod s3_prefix;
mod tags;

pub use api::{
    DescribeOutcome, Listing, PAGE_SIZE, Page, SessionApi, describe_started_session, list_sessions,
};
pub use client::SsmApi;
pub use error::{ApiError, ApiErrorKind};
pub use json::session_json;
pub use reader::open_sessions;
pub use s3::{
    DEFAULT_CONCURRENCY, ListedObject, S3Store, get_bytes, list_inputs, object_inputs, put_object,
};
pub use s3_prefix::{PrefixInputs, prefix_inputs};
pub use tags::{BlockingTags, SdkTagApi};
