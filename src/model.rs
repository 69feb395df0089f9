//! The data policies judge: a Session record, its fields, and the values derived from them.

mod field;
mod owner;
mod record;
mod session;
mod tags;
mod timestamp;

pub use field::{Field, FieldKind};
pub use owner::OwnerArn;
pub use record::{
    ECS_EVENT_SOURCE, EventInfo, Likely, MAX_NESTING, MAX_VALUE_NESTING, ParsedRecord, RecordError,
    SSM_EVENT_SOURCE, SkippedEvent, Unrecognized, member_like, parse_event, parse_record,
    parse_record_text,
};
pub use session::{
    Actual, JsonType, NO_TAG_SOURCE, Read, Session, Unreadable, UnreadableOperand, Value, is_blank,
};
pub use tags::{SessionTags, TagFamilies, TagFamily, TagField, TagRead, TagSet, Tags};
pub use timestamp::{Timestamp, TimestampError};
