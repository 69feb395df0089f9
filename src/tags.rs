//! Where tags come from: offline inventories (`--tags FILE`) and live lookups (`--lookup-tags`,
//! the Lambda function, `sweep`), both answering, per session, the tags of its target, of an
//! ECS target's cluster and of its owner, for the families a policy set reads.

pub mod cache;
pub mod inventory;
pub mod lookup;

use std::fmt;
use std::sync::Arc;

use crate::model::{Field, OwnerArn, Read, Session, SessionTags, TagFamilies, TagFamily, TagSet};

pub use inventory::{Inventory, InventoryError};
pub use lookup::{ListedType, LiveTags, LookupError, TagApi};

/// What a session's `Target` names, as tags are looked up for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetRef {
    /// An EC2 instance: `i-0123456789abcdef0`.
    Instance(String),
    /// A hybrid managed node: `mi-0123456789abcdef0`.
    ManagedNode(String),
    /// An ECS task: `ecs:<cluster>_<task>_<runtime>`.
    EcsTask { cluster: String, task: String },
}

impl TargetRef {
    /// Reads a session's target. ECS targets are read from the right: a cluster name may hold
    /// `_`, a task id and a runtime id do not.
    pub fn parse(target: &str) -> Option<TargetRef> {
        if let Some(rest) = target.strip_prefix("ecs:") {
            let (rest, _runtime) = rest.rsplit_once('_')?;
            let (cluster, task) = rest.rsplit_once('_')?;
            if cluster.is_empty() || task.is_empty() {
                return None;
            }
            return Some(Self::EcsTask {
                cluster: cluster.to_owned(),
                task: task.to_owned(),
            });
        }
        if target.starts_with("mi-") {
            return Some(Self::ManagedNode(target.to_owned()));
        }
        if target.starts_with("i-") {
            return Some(Self::Instance(target.to_owned()));
        }
        None
    }

    /// The cluster of an ECS task.
    pub fn cluster(&self) -> Option<&str> {
        match self {
            Self::EcsTask { cluster, .. } => Some(cluster),
            _ => None,
        }
    }
}

impl fmt::Display for TargetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Instance(id) | Self::ManagedNode(id) => f.write_str(id),
            Self::EcsTask { cluster, task } => write!(f, "ECS task {task} of cluster {cluster}"),
        }
    }
}

/// The IAM principal behind an `Owner` ARN, whose tags `OwnerTags` reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OwnerRef {
    /// A role, from an `assumed-role/<role>/<session>` ARN or a `role/<path>/<role>` one.
    Role(String),
    /// An IAM user, from a `user/<path>/<user>` ARN.
    User(String),
}

impl OwnerRef {
    /// Reads an `Owner` ARN; `None` for a principal that is neither a role nor a user (root,
    /// a federated user) and for text that is no ARN.
    pub fn parse(owner: &str) -> Option<OwnerRef> {
        let arn = OwnerArn::parse(owner)?;
        if let Some(role) = arn.role() {
            return Some(Self::Role(role.to_owned()));
        }
        let resource = owner.splitn(6, ':').nth(5)?;
        let name = arn.name()?.to_owned();
        match resource.split('/').next()? {
            "role" => Some(Self::Role(name)),
            "user" => Some(Self::User(name)),
            _ => None,
        }
    }

    /// IAM names are unique regardless of case: the form tags are kept under.
    pub fn folded(&self) -> OwnerRef {
        match self {
            Self::Role(name) => Self::Role(name.to_ascii_lowercase()),
            Self::User(name) => Self::User(name.to_ascii_lowercase()),
        }
    }
}

impl fmt::Display for OwnerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Role(name) => write!(f, "role {name}"),
            Self::User(name) => write!(f, "user {name}"),
        }
    }
}

/// What a session's tags are looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagSubject {
    pub target: Result<TargetRef, String>,
    pub owner: Result<OwnerRef, String>,
}

impl TagSubject {
    /// The target and owner of a session, or why each cannot be looked up.
    pub fn of(session: &Session<'_>) -> Self {
        let target = match session.text(Field::Target) {
            Read::Value(target) => TargetRef::parse(target).ok_or_else(|| {
                format!("the target `{target}` is no EC2 instance, managed node or ECS task")
            }),
            _ => Err("the session has no Target".to_owned()),
        };
        let owner = match session.text(Field::Owner) {
            Read::Value(owner) => OwnerRef::parse(owner)
                .ok_or_else(|| format!("the owner `{owner}` is no IAM role or user")),
            _ => Err("the session has no Owner".to_owned()),
        };
        Self { target, owner }
    }
}

/// A source of tags: an inventory, or live lookups.
pub trait TagSource: Send + Sync + fmt::Debug {
    /// The tags of the target, its cluster and the owner, for the families asked for; the
    /// others are left unknown, since nothing reads them.
    fn tags(&self, subject: &TagSubject, families: TagFamilies) -> SessionTags;
}

/// Judges sessions with the tags of a source, for the families a policy set reads.
#[derive(Debug, Clone)]
pub struct TagContext {
    source: Option<Arc<dyn TagSource>>,
    families: TagFamilies,
}

impl TagContext {
    /// Tags from `source` (none: every tag unknown), for `families`.
    pub fn new(source: Option<Arc<dyn TagSource>>, families: TagFamilies) -> Self {
        Self { source, families }
    }

    /// Gives a session its tags, where the set reads any.
    pub fn attach(&self, session: &mut Session<'_>) {
        if self.families.is_empty() {
            return;
        }
        if let Some(source) = &self.source {
            let subject = TagSubject::of(session);
            session.set_tags(Arc::new(source.tags(&subject, self.families)));
        }
    }
}

/// Not read by the set: never judged.
const NOT_READ: &str = "not read by the policies";

/// The set of a family that the policies do not read.
pub(crate) fn not_read() -> TagSet {
    TagSet::Unknown(NOT_READ.to_owned())
}

/// The cluster family for a target that is no ECS task: it has no cluster, so its cluster
/// tags are known and empty.
pub(crate) fn no_cluster() -> TagSet {
    TagSet::empty()
}

/// The families asked for, each answered by `answer`, the others unread.
pub(crate) fn per_family(
    families: TagFamilies,
    mut answer: impl FnMut(TagFamily) -> TagSet,
) -> SessionTags {
    let mut get = |family| match families.contains(family) {
        true => answer(family),
        false => not_read(),
    };
    SessionTags {
        target: get(TagFamily::Target),
        cluster: get(TagFamily::TargetCluster),
        owner: get(TagFamily::Owner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_targets_are_read_from_the_right() {
        assert_eq!(
            TargetRef::parse("ecs:checkout_prod_0123abcd_0123abcd-4567"),
            Some(TargetRef::EcsTask {
                cluster: "checkout_prod".to_owned(),
                task: "0123abcd".to_owned()
            })
        );
        assert_eq!(TargetRef::parse("ecs:lonely"), None);
        assert_eq!(
            TargetRef::parse("mi-0abc"),
            Some(TargetRef::ManagedNode("mi-0abc".to_owned()))
        );
        assert_eq!(
            TargetRef::parse("i-0abc"),
            Some(TargetRef::Instance("i-0abc".to_owned()))
        );
    }

    #[test]
    fn owners_are_roles_or_users() {
        assert_eq!(
            OwnerRef::parse("arn:aws:sts::123456789012:assumed-role/Admin/jdoe"),
            Some(OwnerRef::Role("Admin".to_owned()))
        );
        assert_eq!(
            OwnerRef::parse("arn:aws:iam::123456789012:user/ops/ana"),
            Some(OwnerRef::User("ana".to_owned()))
        );
        assert_eq!(
            OwnerRef::parse("arn:aws:iam::123456789012:role/service/Deploy"),
            Some(OwnerRef::Role("Deploy".to_owned()))
        );
        assert_eq!(OwnerRef::parse("arn:aws:iam::123456789012:root"), None);
        assert_eq!(OwnerRef::parse("ana"), None);
    }
}
