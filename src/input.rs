//! Reading session records from files, standard input and Session Manager's API: opening (gzip,
//! BOM, `ssm:` queries), framing into records.

mod framing;
mod open;
mod ssm;

pub use framing::{
    Batch, Container, DEFAULT_MAX_RECORD_SIZE, Frame, FrameError, FrameErrorKind, Framer,
};
pub use open::{InputSource, open_input};
pub use ssm::{AwsSettings, Filter, FilterKey, SCHEME, SessionQuery, SessionState};
