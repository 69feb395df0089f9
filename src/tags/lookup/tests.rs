use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::*;
use crate::model::{TagField, TagRead};

/// Runs a future whose every await is ready at once, as the double's are.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[derive(Debug)]
struct HandClock(Mutex<Instant>);

impl HandClock {
    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for HandClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

/// Answers from queues: each call takes the next answer, the last one repeating.
#[derive(Debug, Default)]
struct Double {
    instances: Mutex<VecDeque<Result<HashMap<String, Tags>, LookupError>>>,
    owners: Mutex<VecDeque<Result<Tags, LookupError>>>,
}

fn next<T: Clone>(queue: &Mutex<VecDeque<T>>) -> T {
    let mut queue = queue.lock().unwrap();
    if queue.len() > 1 {
        queue.pop_front().unwrap()
    } else {
        queue.front().unwrap().clone()
    }
}

impl TagApi for Double {
    async fn list_tagged(&self, kind: ListedType) -> Result<HashMap<String, Tags>, LookupError> {
        assert_eq!(kind, ListedType::Instance);
        next(&self.instances)
    }

    async fn node_tags(&self, _node: &str) -> Result<Tags, LookupError> {
        Err(LookupError("ThrottlingException: Rate exceeded".to_owned()))
    }

    async fn owner_tags(&self, _owner: &OwnerRef) -> Result<Tags, LookupError> {
        next(&self.owners)
    }
}

fn env(value: &str) -> HashMap<String, Tags> {
    HashMap::from([(
        "i-0aaa".to_owned(),
        [("Environment", value)].into_iter().collect(),
    )])
}

fn families() -> TagFamilies {
    let mut families = TagFamilies::NONE;
    families.insert(TagFamily::Target);
    families.insert(TagFamily::Owner);
    families
}

fn subject(target: &str) -> TagSubject {
    TagSubject {
        target: TargetRef::parse(target).ok_or_else(|| "no target".to_owned()),
        owner: Ok(OwnerRef::Role("Admin".to_owned())),
    }
}

fn environment(tags: &SessionTags) -> TagRead<'_> {
    tags.read(TagField::from_name("TargetTags.Environment").unwrap())
}

#[test]
fn targets_are_cached_for_five_minutes_and_owners_for_fifteen() {
    let double = Double::default();
    double
        .instances
        .lock()
        .unwrap()
        .extend([Ok(env("prod")), Ok(env("dev"))]);
    double
        .owners
        .lock()
        .unwrap()
        .push_back(Ok([("team", "ops")].into_iter().collect()));
    let clock = Arc::new(HandClock(Mutex::new(Instant::now())));
    let live = LiveTags::with_clock(double, clock.clone());
    let first = ready(live.lookup(&subject("i-0aaa"), families(), false));
    assert_eq!(environment(&first), TagRead::Value("prod"));
    assert_eq!(live.calls(), 2);
    clock.advance(Duration::from_secs(299));
    let cached = ready(live.lookup(&subject("i-0aaa"), families(), false));
    assert_eq!(environment(&cached), TagRead::Value("prod"));
    assert_eq!(live.calls(), 2, "both from the cache");
    clock.advance(Duration::from_secs(2));
    let renewed = ready(live.lookup(&subject("i-0aaa"), families(), false));
    assert_eq!(environment(&renewed), TagRead::Value("dev"));
    assert_eq!(
        live.calls(),
        3,
        "the target is read again, the owner is not"
    );
    clock.advance(Duration::from_secs(15 * 60));
    ready(live.lookup(&subject("i-0aaa"), families(), false));
    assert_eq!(live.calls(), 5);
}

#[test]
fn failures_are_unknown_and_never_cached() {
    let double = Double::default();
    double.instances.lock().unwrap().extend([
        Err(LookupError("ThrottlingException: Rate exceeded".to_owned())),
        Ok(env("prod")),
    ]);
    double.owners.lock().unwrap().push_back(Ok(Tags::default()));
    let live = LiveTags::new(double);
    let failed = ready(live.lookup(&subject("i-0aaa"), families(), false));
    let TagRead::Unknown(reason) = environment(&failed) else {
        panic!("a failed lookup passed as tags");
    };
    assert!(reason.contains("Rate exceeded"), "{reason}");
    let next = ready(live.lookup(&subject("i-0aaa"), families(), false));
    assert_eq!(environment(&next), TagRead::Value("prod"));
    let missing = ready(live.lookup(&subject("i-0bbb"), families(), false));
    assert!(matches!(environment(&missing), TagRead::Unknown(_)));
    let node = ready(live.lookup(&subject("mi-0ccc"), families(), false));
    assert!(matches!(environment(&node), TagRead::Unknown(r) if r.contains("mi-0ccc")));
}

#[test]
fn a_fresh_read_skips_the_cache_and_renews_it() {
    let double = Double::default();
    double
        .instances
        .lock()
        .unwrap()
        .extend([Ok(env("prod")), Ok(env("dev"))]);
    double.owners.lock().unwrap().push_back(Ok(Tags::default()));
    let live = LiveTags::new(double);
    ready(live.lookup(&subject("i-0aaa"), families(), false));
    let fresh = ready(live.lookup(&subject("i-0aaa"), families(), true));
    assert_eq!(environment(&fresh), TagRead::Value("dev"));
    let cached = ready(live.lookup(&subject("i-0aaa"), families(), false));
    assert_eq!(environment(&cached), TagRead::Value("dev"));
}
