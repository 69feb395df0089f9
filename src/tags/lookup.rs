//! Live lookups of tags, through a [`TagApi`] (the AWS SDK's clients, or a test's double),
//! for the families a policy set reads, with a cache ([`super::cache`]).
//!
//! EC2 instances, ECS tasks and ECS clusters are read from the Resource Groups Tagging API's
//! listing of their resource type, one paginated listing for every target of a type; managed
//! nodes (`mi-`) from Systems Manager's `ListTagsForResource`, node by node; owners from IAM's
//! `ListRoleTags` and `ListUserTags`. A listing holds only resources that have tags, and a new
//! one after an indexing delay: a target missing from it has unknown tags, never "none".

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::cache::{Clock, OWNER_TTL, SystemClock, TARGET_TTL, TtlCache};
use super::{OwnerRef, TagSubject, TargetRef, no_cluster, per_family};
use crate::model::{SessionTags, TagFamilies, TagFamily, TagSet, Tags};

/// The resource types read from the Resource Groups Tagging API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListedType {
    Instance,
    Task,
    Cluster,
}

impl ListedType {
    /// The API's `ResourceTypeFilters` value.
    pub fn filter(self) -> &'static str {
        match self {
            Self::Instance => "ec2:instance",
            Self::Task => "ecs:task",
            Self::Cluster => "ecs:cluster",
        }
    }
}

/// A lookup that failed: why, as the reason of unknown tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError(pub String);

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The calls tags are looked up with.
pub trait TagApi: Send + Sync {
    /// Every resource of `kind` that the Resource Groups Tagging API lists, by id (instance
    /// id, task id, cluster name), with its tags: every page of `GetResources`.
    fn list_tagged(
        &self,
        kind: ListedType,
    ) -> impl Future<Output = Result<HashMap<String, Tags>, LookupError>> + Send;

    /// A managed node's tags: `ssm:ListTagsForResource`.
    fn node_tags(&self, node: &str) -> impl Future<Output = Result<Tags, LookupError>> + Send;

    /// An IAM role's or user's tags: `iam:ListRoleTags` or `iam:ListUserTags`.
    fn owner_tags(
        &self,
        owner: &OwnerRef,
    ) -> impl Future<Output = Result<Tags, LookupError>> + Send;
}

/// No lookups: what a sweep without tags is typed with. Every call fails.
#[derive(Debug, Clone, Copy)]
pub struct NoLookups;

impl TagApi for NoLookups {
    async fn list_tagged(&self, _kind: ListedType) -> Result<HashMap<String, Tags>, LookupError> {
        Err(LookupError("tags are not looked up here".to_owned()))
    }

    async fn node_tags(&self, _node: &str) -> Result<Tags, LookupError> {
        Err(LookupError("tags are not looked up here".to_owned()))
    }

    async fn owner_tags(&self, _owner: &OwnerRef) -> Result<Tags, LookupError> {
        Err(LookupError("tags are not looked up here".to_owned()))
    }
}

type Listing = Arc<HashMap<String, Tags>>;

/// Tags looked up live and cached: targets for 5 minutes, owners for 15.
#[derive(Debug)]
pub struct LiveTags<A> {
    api: A,
    clock: Arc<dyn Clock>,
    listings: Mutex<TtlCache<ListedType, Listing>>,
    nodes: Mutex<TtlCache<String, Tags>>,
    owners: Mutex<TtlCache<OwnerRef, Tags>>,
    calls: AtomicU64,
}

impl<A: TagApi> LiveTags<A> {
    /// Lookups through `api`, on the clock.
    pub fn new(api: A) -> Self {
        Self::with_clock(api, Arc::new(SystemClock))
    }

    /// Lookups through `api`, with the cache on `clock`.
    pub fn with_clock(api: A, clock: Arc<dyn Clock>) -> Self {
        Self {
            api,
            clock,
            listings: Mutex::new(TtlCache::new(TARGET_TTL)),
            nodes: Mutex::new(TtlCache::new(TARGET_TTL)),
            owners: Mutex::new(TtlCache::new(OWNER_TTL)),
            calls: AtomicU64::new(0),
        }
    }

    /// The calls made so far (each listing counts once, whatever its pages).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The client.
    pub fn api(&self) -> &A {
        &self.api
    }

    /// The tags of a session's target, its cluster and its owner, for `families`. With
    /// `fresh`, nothing is read from the cache (what is read is cached): the read before a
    /// termination.
    pub async fn lookup(
        &self,
        subject: &TagSubject,
        families: TagFamilies,
        fresh: bool,
    ) -> SessionTags {
        let mut sets = HashMap::new();
        for family in families.iter() {
            let set = match family {
                TagFamily::Target => self.target(subject, fresh).await,
                TagFamily::TargetCluster => self.cluster(subject, fresh).await,
                TagFamily::Owner => self.owner(subject, fresh).await,
            };
            sets.insert(family, set);
        }
        per_family(families, |family| {
            sets.remove(&family)
                .unwrap_or_else(|| TagSet::Unknown("not looked up".to_owned()))
        })
    }

    async fn target(&self, subject: &TagSubject, fresh: bool) -> TagSet {
        match &subject.target {
            Err(reason) => TagSet::Unknown(reason.clone()),
            Ok(TargetRef::Instance(id)) => self.listed(ListedType::Instance, id, fresh).await,
            Ok(TargetRef::EcsTask { task, .. }) => self.listed(ListedType::Task, task, fresh).await,
            Ok(TargetRef::ManagedNode(id)) => {
                let cached = match fresh {
                    true => None,
                    false => lock(&self.nodes).get(id, self.clock.now()),
                };
                if let Some(tags) = cached {
                    return TagSet::Known(tags);
                }
                self.calls.fetch_add(1, Ordering::Relaxed);
                match self.api.node_tags(id).await {
                    Ok(tags) => {
                        lock(&self.nodes).put(id.clone(), tags.clone(), self.clock.now());
                        TagSet::Known(tags)
                    }
                    Err(error) => {
                        TagSet::Unknown(format!("the tags of `{id}` could not be read: {error}"))
                    }
                }
            }
        }
    }

    async fn cluster(&self, subject: &TagSubject, fresh: bool) -> TagSet {
        match &subject.target {
            Err(reason) => TagSet::Unknown(reason.clone()),
            Ok(TargetRef::EcsTask { cluster, .. }) => {
                self.listed(ListedType::Cluster, cluster, fresh).await
            }
            Ok(_) => no_cluster(),
        }
    }

    async fn owner(&self, subject: &TagSubject, fresh: bool) -> TagSet {
        let owner = match &subject.owner {
            Err(reason) => return TagSet::Unknown(reason.clone()),
            Ok(owner) => owner.folded(),
        };
        let cached = match fresh {
            true => None,
            false => lock(&self.owners).get(&owner, self.clock.now()),
        };
        if let Some(tags) = cached {
            return TagSet::Known(tags);
        }
        let asked = match &subject.owner {
            Ok(asked) => asked,
            Err(_) => &owner,
        };
        self.calls.fetch_add(1, Ordering::Relaxed);
        match self.api.owner_tags(asked).await {
            Ok(tags) => {
                lock(&self.owners).put(owner, tags.clone(), self.clock.now());
                TagSet::Known(tags)
            }
            Err(error) => TagSet::Unknown(format!(
                "the tags of IAM {asked} could not be read: {error}"
            )),
        }
    }

    /// A resource of a listed type: from the cached listing, or a new one.
    async fn listed(&self, kind: ListedType, id: &str, fresh: bool) -> TagSet {
        let cached = match fresh {
            true => None,
            false => lock(&self.listings).get(&kind, self.clock.now()),
        };
        let listing = match cached {
            Some(listing) => listing,
            None => {
                self.calls.fetch_add(1, Ordering::Relaxed);
                match self.api.list_tagged(kind).await {
                    Ok(listing) => {
                        let listing = Arc::new(listing);
                        lock(&self.listings).put(kind, listing.clone(), self.clock.now());
                        listing
                    }
                    Err(error) => {
                        return TagSet::Unknown(format!(
                            "the tags of {} resources could not be read: {error}",
                            kind.filter()
                        ));
                    }
                }
            }
        };
        match listing.get(id) {
            Some(tags) => TagSet::Known(tags.clone()),
            None => TagSet::Unknown(format!(
                "`{id}` is not in the Resource Groups Tagging API's listing of {} (it has no tag, is not indexed yet, or does not exist)",
                kind.filter()
            )),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests;
