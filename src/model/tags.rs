//! Tag fields (`TargetTags.<key>`, `TargetClusterTags.<key>`, `OwnerTags.<key>`) and the tags a
//! session is judged with: a set per family, known (a key missing from it is absent) or unknown
//! (it could not be learned, and a condition on it is neither true nor false).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// Whose tags a tag field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TagFamily {
    /// The target's own: the EC2 instance, the managed node, the ECS task.
    Target,
    /// The cluster of an ECS target.
    TargetCluster,
    /// The IAM role or user behind `Owner`.
    Owner,
}

impl TagFamily {
    /// Every family, in the order the language reference lists them.
    pub const ALL: [TagFamily; 3] = [Self::Target, Self::TargetCluster, Self::Owner];

    /// The prefix policies write before the first `.`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Target => "TargetTags",
            Self::TargetCluster => "TargetClusterTags",
            Self::Owner => "OwnerTags",
        }
    }

    /// Whether keys match without regard to case, as IAM's tag keys do.
    pub const fn case_insensitive_keys(self) -> bool {
        matches!(self, Self::Owner)
    }

    /// Its bit in a [`TagFamilies`] set.
    const fn bit(self) -> u8 {
        match self {
            Self::Target => 1,
            Self::TargetCluster => 2,
            Self::Owner => 4,
        }
    }
}

impl fmt::Display for TagFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// A set of tag families: those a compiled policy set reads, so that only they are looked up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TagFamilies(u8);

impl TagFamilies {
    /// No family.
    pub const NONE: TagFamilies = TagFamilies(0);

    /// Adds a family.
    pub fn insert(&mut self, family: TagFamily) {
        self.0 |= family.bit();
    }

    /// Whether the set holds `family`.
    pub fn contains(self, family: TagFamily) -> bool {
        self.0 & family.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The union of two sets.
    pub fn union(self, other: TagFamilies) -> TagFamilies {
        TagFamilies(self.0 | other.0)
    }

    /// The families in the set.
    pub fn iter(self) -> impl Iterator<Item = TagFamily> {
        TagFamily::ALL
            .into_iter()
            .filter(move |f| self.contains(*f))
    }
}

/// One tag field, as a policy names it: the family and the literal key after the first `.`.
///
/// It is an index into a table of the tag fields the process has resolved, so that a field
/// stays a small `Copy` value, as the record's own fields are, and the check of a policy set that
/// reads no tag copies no more than it did; a policy set names few keys, and they are kept for
/// the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagField(u32);

/// What a [`TagField`] stands for.
#[derive(Debug, Clone, Copy)]
struct TagInfo {
    family: TagFamily,
    /// `TargetTags.Environment`.
    name: &'static str,
    /// `Environment`: what comes after the first `.` of `name`.
    key: &'static str,
}

fn table() -> &'static RwLock<Vec<TagInfo>> {
    static TABLE: OnceLock<RwLock<Vec<TagInfo>>> = OnceLock::new();
    TABLE.get_or_init(|| RwLock::new(Vec::new()))
}

impl TagField {
    /// Resolves `TargetTags.<key>` and the like; `None` for other names, and for an empty key.
    pub fn from_name(name: &str) -> Option<TagField> {
        let (prefix, key) = name.split_once('.')?;
        let family = TagFamily::ALL.into_iter().find(|f| f.prefix() == prefix)?;
        if key.is_empty() {
            return None;
        }
        let known = |infos: &[TagInfo]| infos.iter().position(|info| info.name == name);
        if let Ok(infos) = table().read()
            && let Some(index) = known(&infos)
        {
            return u32::try_from(index).ok().map(TagField);
        }
        let mut infos = match table().write() {
            Ok(infos) => infos,
            Err(poisoned) => poisoned.into_inner(),
        };
        let index = match known(&infos) {
            Some(index) => index,
            None => {
                let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
                let key = name.get(prefix.len() + 1..)?;
                infos.push(TagInfo { family, name, key });
                infos.len() - 1
            }
        };
        u32::try_from(index).ok().map(TagField)
    }

    fn info(self) -> TagInfo {
        let infos = match table().read() {
            Ok(infos) => infos,
            Err(poisoned) => poisoned.into_inner(),
        };
        let index = usize::try_from(self.0).unwrap_or(usize::MAX);
        // Every TagField was made by `from_name`, which put its entry in the table.
        infos.get(index).copied().unwrap_or(TagInfo {
            family: TagFamily::Target,
            name: "TargetTags.?",
            key: "?",
        })
    }

    /// The family.
    pub fn family(self) -> TagFamily {
        self.info().family
    }

    /// The key, as written.
    pub fn key(self) -> &'static str {
        self.info().key
    }

    /// The name the policy wrote.
    pub fn name(self) -> &'static str {
        self.info().name
    }
}

/// The tags of one resource: known (a key missing from them is absent), or unknown, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagSet {
    Known(Tags),
    Unknown(String),
}

impl TagSet {
    /// Known, with no tag.
    pub fn empty() -> Self {
        Self::Known(Tags::default())
    }
}

/// Tag keys and values, as the resource has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(BTreeMap<String, String>);

impl Tags {
    /// Adds a tag; a later value of the same key replaces an earlier one.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// The value of `key`; with `any_case`, the key matches without regard to case (IAM's
    /// tag keys are unique regardless of case).
    pub fn get(&self, key: &str, any_case: bool) -> Option<&str> {
        if let Some(value) = self.0.get(key) {
            return Some(value);
        }
        if any_case {
            return self
                .0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str());
        }
        None
    }

    /// The tags, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no tag.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Tags {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut tags = Tags::default();
        for (k, v) in iter {
            tags.insert(k, v);
        }
        tags
    }
}

/// The tags a session is judged with, one set per family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTags {
    pub target: TagSet,
    pub cluster: TagSet,
    pub owner: TagSet,
}

impl SessionTags {
    /// Every family unknown, for the same reason.
    pub fn unknown(reason: &str) -> Self {
        Self {
            target: TagSet::Unknown(reason.to_owned()),
            cluster: TagSet::Unknown(reason.to_owned()),
            owner: TagSet::Unknown(reason.to_owned()),
        }
    }

    /// The set of a family.
    pub fn family(&self, family: TagFamily) -> &TagSet {
        match family {
            TagFamily::Target => &self.target,
            TagFamily::TargetCluster => &self.cluster,
            TagFamily::Owner => &self.owner,
        }
    }
}

/// What a tag field reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagRead<'t> {
    Value(&'t str),
    Absent,
    /// The family's tags could not be learned; why.
    Unknown(&'t str),
}

impl SessionTags {
    /// The value of a tag field.
    pub fn read(&self, field: TagField) -> TagRead<'_> {
        match self.family(field.family()) {
            TagSet::Unknown(reason) => TagRead::Unknown(reason),
            TagSet::Known(tags) => {
                match tags.get(field.key(), field.family().case_insensitive_keys()) {
                    Some(value) => TagRead::Value(value),
                    None => TagRead::Absent,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_after_the_first_dot_is_the_key() {
        let field = TagField::from_name("TargetTags.kubernetes.io/cluster/prod").unwrap();
        assert_eq!(field.family(), TagFamily::Target);
        assert_eq!(field.key(), "kubernetes.io/cluster/prod");
        assert_eq!(field.name(), "TargetTags.kubernetes.io/cluster/prod");
        let spaced = TagField::from_name("TargetTags.Cost Center").unwrap();
        assert_eq!(spaced.key(), "Cost Center");
        let cluster = TagField::from_name("TargetClusterTags.aws:ecs:clusterName").unwrap();
        assert_eq!(cluster.family(), TagFamily::TargetCluster);
        assert_eq!(cluster.key(), "aws:ecs:clusterName");
        assert_eq!(TagField::from_name("TargetTags."), None);
        assert_eq!(TagField::from_name("Tags.Environment"), None);
        assert_eq!(
            TagField::from_name("TargetTags.a"),
            TagField::from_name("TargetTags.a")
        );
    }

    #[test]
    fn owner_keys_match_in_any_case_and_target_keys_exactly() {
        let tags = SessionTags {
            target: TagSet::Known([("Environment", "prod")].into_iter().collect()),
            cluster: TagSet::Unknown("throttled".to_owned()),
            owner: TagSet::Known([("Team", "payments")].into_iter().collect()),
        };
        let read = |name| tags.read(TagField::from_name(name).unwrap());
        assert_eq!(read("OwnerTags.team"), TagRead::Value("payments"));
        assert_eq!(read("TargetTags.environment"), TagRead::Absent);
        assert_eq!(read("TargetTags.Environment"), TagRead::Value("prod"));
        assert_eq!(
            read("TargetClusterTags.Environment"),
            TagRead::Unknown("throttled")
        );
    }
}
