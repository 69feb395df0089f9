//! Session Manager's API through the AWS SDK for Rust: `DescribeSessions` read page by page into
//! the JSON the API returns, and `TerminateSession`. Everything above this module (the `ssm:`
//! inputs, the gate's reading of a started session, the sweep) goes through [`SessionApi`], so
//! that it can be tested without the SDK, and errors come back as [`ApiError`]s that say what
//! to fix.

mod api;
mod client;
mod error;
mod json;
mod reader;
mod tags;

pub use api::{
    DescribeOutcome, Listing, PAGE_SIZE, Page, SessionApi, describe_started_session, list_sessions,
};
pub use client::SsmApi;
pub use error::{ApiError, ApiErrorKind};
pub use json::session_json;
pub use reader::open_sessions;
pub use tags::{BlockingTags, SdkTagApi};
