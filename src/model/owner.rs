//! The parts of an `Owner` ARN that policies name: account, principal name and role.

use std::cell::Cell;
use std::ops::Range;

/// An `Owner` value split as an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerArn<'a> {
    text: &'a str,
    parts: OwnerParts,
}

impl<'a> OwnerArn<'a> {
    /// Splits `owner`; `None` when it is not an ARN.
    pub fn parse(owner: &'a str) -> Option<Self> {
        Some(Self {
            text: owner,
            parts: OwnerParts::find(owner)?,
        })
    }

    /// The 12-digit account id, when the ARN has one.
    pub fn account(&self) -> Option<&'a str> {
        self.parts.account(self.text)
    }

    /// The last `/`-separated part of the resource: `jdoe` in `user/jdoe` and
    /// `assumed-role/Admin/jdoe`.
    pub fn name(&self) -> Option<&'a str> {
        self.parts.name(self.text)
    }

    /// The role of an `assumed-role/Role/session` resource.
    pub fn role(&self) -> Option<&'a str> {
        self.parts.role(self.text)
    }
}

/// Where an `Owner`'s account, role and name lie in its text, an empty span where it has no
/// such part (every part an ARN gives is non-empty). A record keeps them once found, since
/// the rules of a large set read them many times a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OwnerParts {
    account: Span,
    role: Span,
    name: Span,
}

impl OwnerParts {
    /// The parts of `owner`: none where it is not an ARN.
    pub(crate) fn of(owner: &str) -> Self {
        Self::find(owner).unwrap_or_default()
    }

    /// The parts of `owner`; `None` when it is not an ARN. An ARN's fields are split at the
    /// first five colons (a session name may hold more) and the resource's at `/`; bytes are
    /// searched, not characters, since both separators are ASCII.
    fn find(owner: &str) -> Option<Self> {
        let bytes = owner.as_bytes();
        if !bytes.starts_with(b"arn:") {
            return None;
        }
        let colon = |from: usize| {
            let rest = bytes.get(from..)?;
            Some(from + rest.iter().position(|&b| b == b':')?)
        };
        // Partition, service and region are skipped; the account and resource are kept.
        let region_end = colon(colon(colon(4)? + 1)? + 1)?;
        let account_end = colon(region_end + 1)?;
        let account = region_end + 1..account_end;
        let resource = account_end + 1..bytes.len();
        let is_account_id = bytes
            .get(account.clone())
            .is_some_and(|id| id.len() == 12 && id.iter().all(u8::is_ascii_digit));
        let text = bytes.get(resource.clone())?;
        let name_start = text
            .iter()
            .rposition(|&b| b == b'/')
            .map_or(resource.start, |slash| resource.start + slash + 1);
        let role = text.strip_prefix(b"assumed-role/").map(|role| {
            let start = resource.start + "assumed-role/".len();
            let len = role.iter().position(|&b| b == b'/').unwrap_or(role.len());
            start..start + len
        });
        Some(Self {
            account: if is_account_id {
                Span::new(account)
            } else {
                Span::default()
            },
            role: role.map(Span::new).unwrap_or_default(),
            name: Span::new(name_start..resource.end),
        })
    }

    pub(crate) fn account<'s>(&self, owner: &'s str) -> Option<&'s str> {
        self.account.of(owner)
    }

    pub(crate) fn role<'s>(&self, owner: &'s str) -> Option<&'s str> {
        self.role.of(owner)
    }

    pub(crate) fn name<'s>(&self, owner: &'s str) -> Option<&'s str> {
        self.name.of(owner)
    }
}

/// A record's [`OwnerParts`], found the first time a rule reads one and kept for the rest: a
/// cache, not part of the record's value, so any two are equal.
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnerCache(Cell<Option<OwnerParts>>);

impl OwnerCache {
    /// The parts of `owner`, the record's `Owner`.
    pub(crate) fn parts(&self, owner: &str) -> OwnerParts {
        if let Some(parts) = self.0.get() {
            return parts;
        }
        let parts = OwnerParts::of(owner);
        self.0.set(Some(parts));
        parts
    }
}

impl PartialEq for OwnerCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A byte range of an `Owner`'s text, kept in 32 bits; empty for a part that is not there. An
/// `Owner` of 4 GiB or more has no parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn new(range: Range<usize>) -> Self {
        match (u32::try_from(range.start), u32::try_from(range.end)) {
            (Ok(start), Ok(end)) => Self { start, end },
            _ => Self::default(),
        }
    }

    fn of(self, text: &str) -> Option<&str> {
        if self.start >= self.end {
            return None;
        }
        text.get(self.start as usize..self.end as usize)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn assumed_role_arns_give_account_role_and_name() {
        let arn = OwnerArn::parse("arn:aws:sts::123456789012:assumed-role/Admin/jdoe").unwrap();
        assert_eq!(arn.account(), Some("123456789012"));
        assert_eq!(arn.role(), Some("Admin"));
        assert_eq!(arn.name(), Some("jdoe"));
    }

    #[test]
    fn user_arns_have_no_role() {
        let arn = OwnerArn::parse("arn:aws:iam::123456789012:user/jdoe").unwrap();
        assert_eq!(arn.role(), None);
        assert_eq!(arn.name(), Some("jdoe"));
    }

    #[test]
    fn a_root_arn_names_root() {
        let arn = OwnerArn::parse("arn:aws:iam::123456789012:root").unwrap();
        assert_eq!(arn.name(), Some("root"));
    }

    #[test]
    fn non_arns_give_nothing() {
        assert_eq!(OwnerArn::parse("jdoe"), None);
        assert_eq!(OwnerArn::parse("arn:aws:iam"), None);
        assert_eq!(OwnerParts::of("jdoe").name("jdoe"), None);
    }

    #[test]
    fn session_names_with_colons_stay_whole() {
        let arn = OwnerArn::parse("arn:aws:sts::123456789012:assumed-role/R/a:b").unwrap();
        assert_eq!(arn.name(), Some("a:b"));
    }

    /// The parts as the ARN's definition gives them, by splitting strings: what the byte
    /// search must agree with.
    fn split(owner: &str) -> Option<[Option<&str>; 3]> {
        let mut parts = owner.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let (_partition, _service, _region) = (parts.next()?, parts.next()?, parts.next()?);
        let account = parts.next()?;
        let resource = parts.next()?;
        let is_account_id = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        let mut segments = resource.split('/');
        let role = match segments.next() {
            Some("assumed-role") => segments.next().filter(|role| !role.is_empty()),
            _ => None,
        };
        let name = resource.rsplit('/').next().filter(|name| !name.is_empty());
        Some([is_account_id.then_some(account), role, name])
    }

    proptest! {
        #[test]
        fn the_byte_search_finds_the_parts_splitting_finds(
            owner in "(arn:)?[a-z0-9:/é-]{0,12}(:[0-9]{12}:)?(assumed-role/|user/)?[A-Za-z0-9:/é_-]{0,12}",
        ) {
            let parsed = OwnerArn::parse(&owner).map(|arn| [arn.account(), arn.role(), arn.name()]);
            prop_assert_eq!(parsed, split(&owner));
            let parts = OwnerParts::of(&owner);
            let kept = [parts.account(&owner), parts.role(&owner), parts.name(&owner)];
            prop_assert_eq!(kept, split(&owner).unwrap_or_default());
        }
    }
}
