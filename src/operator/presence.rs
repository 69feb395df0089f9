//! `exists`, `present` and `type`: whether a field is there, is not blank, and has a JSON type.

use marked_yaml::Node;

use crate::compile::{CompileError, Compiler, Compiles};
use crate::model::{Field, JsonType, Read, Session, Timestamp, is_blank};

/// `present`: exists and, if a string, has a non-whitespace character.
pub(super) fn is_present(field: Field, session: &Session<'_>, now: Timestamp) -> bool {
    match session.text(field) {
        Read::Value(text) => !is_blank(text),
        // Not a string, or not text at all (`Duration`): present where it exists.
        Read::Absent | Read::Unreadable(_) => session.exists(field, now),
    }
}

pub(super) fn compile_type(cx: &mut Compiler<'_>, arg: &Node) -> Compiles<JsonType> {
    let name = cx.string(arg, "`type`")?;
    match JsonType::from_name(name) {
        Some(t) => Ok(t),
        None => Err(cx.error_at(
            arg,
            CompileError::UnknownValue {
                value: name.to_owned(),
                what: "JSON type",
                allowed: &["string", "number", "boolean", "object", "array"],
                suggestion: crate::diagnostic::closest(
                    name,
                    JsonType::ALL.iter().map(|t| t.name()),
                ),
            },
        )),
    }
}
