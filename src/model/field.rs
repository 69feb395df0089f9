//! The fields a policy may name: the API's `Session` fields and the engine's derived fields.

use std::fmt;

use super::tags::TagField;

/// How a field's value is read by operators, which decides the operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A JSON string.
    Text,
    /// An instant: an RFC 3339 string or epoch seconds.
    Timestamp,
    /// A string holding whole minutes (`MaxSessionDuration`): text to string operators,
    /// a number to numeric ones.
    Minutes,
    /// A number the engine computes (`Duration`).
    Number,
    /// A JSON object (`OutputUrl`); its members are fields of their own.
    Object,
}

impl FieldKind {
    /// Whether numeric operators (`lt`, `lte`, `gt`, `gte`) apply.
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Minutes | Self::Number)
    }

    /// Whether string operators (`glob`, `matches`, lengths) apply.
    pub fn is_textual(self) -> bool {
        matches!(self, Self::Text | Self::Minutes)
    }

    /// The noun used in diagnostics.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Text => "a string",
            Self::Timestamp => "a timestamp",
            Self::Minutes => "a string of minutes",
            Self::Number => "a number",
            Self::Object => "an object",
        }
    }
}

macro_rules! fields {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $kind:ident, $derived:literal; )*) => {
        /// A field of a Session record, resolved from its name once when policies compile.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $( $(#[$doc])* $variant, )*
            /// A tag of the target, its cluster or the owner (`TargetTags.Environment`): not in
            /// the record, but learned from an inventory or a lookup.
            Tag(TagField),
        }

        /// The record's fields in order, for their slots.
        #[derive(Clone, Copy)]
        enum Order { $( $variant, )* }

        impl Field {
            /// Every field of the record and every derived one, in the order of the API
            /// reference, derived fields last; tag fields, which any key makes, are not listed.
            pub const ALL: &'static [Field] = &[$(Field::$variant),*];

            /// The name policies use: the API's PascalCase name, dotted for nested members.
            pub fn name(self) -> &'static str {
                match self {
                    Field::Tag(tag) => tag.name(),
                    other => other.record_name(),
                }
            }

            /// The name of a field of the record or a derived one, known while compiling (the
            /// record reader's keys are made from it); empty for tag fields, which are named at
            /// run time.
            pub(crate) const fn record_name(self) -> &'static str {
                match self { $(Field::$variant => $name,)* Field::Tag(_) => "" }
            }

            /// How operators read this field.
            pub fn kind(self) -> FieldKind {
                match self { $(Field::$variant => FieldKind::$kind,)* Field::Tag(_) => FieldKind::Text }
            }

            /// Whether the engine computes this field instead of reading it from the record.
            pub fn is_derived(self) -> bool {
                match self { $(Field::$variant => $derived,)* Field::Tag(_) => true }
            }

            /// The field's place among all of `ALL`; `None` for tag fields.
            #[cfg(test)]
            fn order(self) -> Option<usize> {
                match self { $(Field::$variant => Some(Order::$variant as usize),)* Field::Tag(_) => None }
            }

            /// The slot of a field stored in a record, `None` for derived fields: one match,
            /// since every record read asks it.
            pub(crate) fn slot(self) -> Option<usize> {
                match self {
                    $(Field::$variant => if $derived { None } else { Some(Order::$variant as usize) },)*
                    Field::Tag(_) => None,
                }
            }
        }
    };
}

fields! {
    /// `Standard` or `JustInTime`.
    AccessType = "AccessType", Text, false;
    /// Reserved by the API.
    Details = "Details", Text, false;
    /// The session document, e.g. `SSM-SessionManagerRunShell`.
    DocumentName = "DocumentName", Text, false;
    /// When the session began.
    StartDate = "StartDate", Timestamp, false;
    /// When the session ended; absent while it is active.
    EndDate = "EndDate", Timestamp, false;
    /// The cap on the session's length, whole minutes as a string.
    MaxSessionDuration = "MaxSessionDuration", Minutes, false;
    /// The object holding the output locations.
    OutputUrl = "OutputUrl", Object, false;
    /// Where the session's output went in S3.
    S3OutputUrl = "OutputUrl.S3OutputUrl", Text, false;
    /// Where the session's output went in CloudWatch Logs.
    CloudWatchOutputUrl = "OutputUrl.CloudWatchOutputUrl", Text, false;
    /// The ARN of the principal that started the session.
    Owner = "Owner", Text, false;
    /// Why the session was started.
    Reason = "Reason", Text, false;
    /// The session's id.
    SessionId = "SessionId", Text, false;
    /// `Connected`, `Terminated`, ...
    Status = "Status", Text, false;
    /// The managed node, e.g. `i-0123456789abcdef0`.
    Target = "Target", Text, false;
    /// Minutes from `StartDate` to `EndDate`, or to the evaluation time while active.
    Duration = "Duration", Number, true;
    /// The account id in the `Owner` ARN.
    OwnerAccount = "OwnerAccount", Text, true;
    /// The last `/`-separated part of the `Owner` ARN's resource.
    OwnerName = "OwnerName", Text, true;
    /// The role name of an `assumed-role` `Owner` ARN.
    OwnerRole = "OwnerRole", Text, true;
}

impl Field {
    /// Resolves a policy's field name; exact and case-sensitive, as the API's names are.
    /// Tag fields (`TargetTags.<key>`, ...) keep everything after the first `.` as the key.
    pub fn from_name(name: &str) -> Option<Field> {
        Self::ALL
            .iter()
            .copied()
            .find(|field| field.name() == name)
            .or_else(|| TagField::from_name(name).map(Field::Tag))
    }

    /// The tag field, for tag fields.
    pub fn tag(self) -> Option<TagField> {
        match self {
            Field::Tag(tag) => Some(tag),
            _ => None,
        }
    }
}

/// How many fields a record stores (the derived ones come after them in `Field`).
pub(crate) const STORED_FIELDS: usize = Order::Target as usize + 1;

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_resolves_from_its_own_name() {
        for &field in Field::ALL {
            assert_eq!(Field::from_name(field.name()), Some(field));
        }
        assert_eq!(Field::from_name("reason"), None);
    }

    #[test]
    fn stored_fields_come_before_derived_ones() {
        for &field in Field::ALL {
            assert_eq!(
                field.slot().is_some(),
                field.order().is_some_and(|order| order < STORED_FIELDS)
            );
        }
    }
}
