//! A cache of looked-up tags with a time to live: tags change rarely, and a sweep or a check
//! of many sessions on few targets should not ask again for each. Only answers are kept;
//! failures are never cached, so the next session asks again.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How long a target's tags (an EC2 instance, a managed node, an ECS task or cluster) are kept.
pub const TARGET_TTL: Duration = Duration::from_secs(5 * 60);
/// How long an owner's tags (an IAM role or user) are kept: they change more rarely still.
pub const OWNER_TTL: Duration = Duration::from_secs(15 * 60);

/// What the cache reads the time from: the clock, or a test's hand.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Instant;
}

/// The monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Entries kept for `ttl` after they were put.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: HashMap<K, (Instant, V)>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// An empty cache.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: HashMap::new(),
        }
    }

    /// The entry of `key`, if it was put less than the TTL before `now`.
    pub fn get(&self, key: &K, now: Instant) -> Option<V> {
        let (at, value) = self.entries.get(key)?;
        (now.saturating_duration_since(*at) < self.ttl).then(|| value.clone())
    }

    /// Keeps `value` from `now`; entries past their TTL are dropped meanwhile, so that the
    /// cache holds no more than what was asked for within one TTL.
    pub fn put(&mut self, key: K, value: V, now: Instant) {
        let ttl = self.ttl;
        self.entries
            .retain(|_, (at, _)| now.saturating_duration_since(*at) < ttl);
        self.entries.insert(key, (now, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_their_ttl() {
        let start = Instant::now();
        let mut cache = TtlCache::new(Duration::from_secs(300));
        cache.put("i-1", 1, start);
        assert_eq!(cache.get(&"i-1", start + Duration::from_secs(299)), Some(1));
        assert_eq!(cache.get(&"i-1", start + Duration::from_secs(300)), None);
        cache.put("i-2", 2, start + Duration::from_secs(301));
        assert_eq!(cache.entries.len(), 1, "the expired entry is dropped");
    }
}
