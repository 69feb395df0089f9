//! Reading session records from files and standard input: opening (gzip, BOM), framing into records.

mod framing;
mod open;

pub use framing::{
    Batch, Container, DEFAULT_MAX_RECORD_SIZE, Frame, FrameError, FrameErrorKind, Framer,
};
pub use open::{InputSource, open_input};
