//! The two calls ssm-guard makes, as a trait the SDK client and test doubles implement, and
//! what is built on them: every page of a listing, and the record of a session that has just
//! started, which Session Manager may list a moment after the event that reported it.

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::error::{ApiError, ApiErrorKind};
use crate::input::{Filter, FilterKey, SessionState};

/// `MaxResults` of every `DescribeSessions` call: the API's largest page.
pub const PAGE_SIZE: i32 = 200;

/// One page of `DescribeSessions`: its sessions as the API's JSON, and the token of the next.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub sessions: Vec<Value>,
    pub next_token: Option<String>,
}

/// Session Manager's calls that ssm-guard makes.
pub trait SessionApi: Send + Sync {
    /// One `DescribeSessions` call (`MaxResults` [`PAGE_SIZE`]).
    fn describe_page(
        &self,
        state: SessionState,
        filters: &[Filter],
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page, ApiError>> + Send;

    /// One `TerminateSession` call.
    fn terminate(&self, session_id: &str) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// Walks the pages of one listing, and stops on a token it has already followed: an API (or a
/// stand-in) that hands the same token back would otherwise be read forever.
#[derive(Debug)]
pub(crate) struct Pages<'q> {
    state: SessionState,
    filters: &'q [Filter],
    next: Option<String>,
    seen: HashSet<String>,
    done: bool,
    /// The calls made so far.
    pub(crate) calls: u32,
}

impl<'q> Pages<'q> {
    pub(crate) fn new(state: SessionState, filters: &'q [Filter]) -> Self {
        Self {
            state,
            filters,
            next: None,
            seen: HashSet::new(),
            done: false,
            calls: 0,
        }
    }

    /// The next page; `None` after the last.
    pub(crate) async fn next<A: SessionApi + ?Sized>(
        &mut self,
        api: &A,
    ) -> Option<Result<Page, ApiError>> {
        if self.done {
            return None;
        }
        self.calls += 1;
        let page = api
            .describe_page(self.state, self.filters, self.next.take())
            .await;
        match &page {
            Ok(page) => match &page.next_token {
                Some(token) if !token.is_empty() => {
                    if !self.seen.insert(token.clone()) {
                        self.done = true;
                        return Some(Err(ApiError::new(
                            ApiErrorKind::Service,
                            "DescribeSessions handed back a NextToken it had already given: the listing stops here",
                        )));
                    }
                    self.next = Some(token.clone());
                }
                _ => self.done = true,
            },
            Err(_) => self.done = true,
        }
        Some(page)
    }
}

/// Every session of a listing, with the number of calls it took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub sessions: Vec<Value>,
    pub calls: u32,
}

/// Reads every page of `DescribeSessions` for `state` and `filters`.
pub async fn list_sessions<A: SessionApi + ?Sized>(
    api: &A,
    state: SessionState,
    filters: &[Filter],
) -> Result<Listing, ApiError> {
    let mut pages = Pages::new(state, filters);
    let mut sessions = Vec::new();
    while let Some(page) = pages.next(api).await {
        sessions.extend(page?.sessions);
    }
    Ok(Listing {
        sessions,
        calls: pages.calls,
    })
}

/// What reading a just-started session gave.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeOutcome {
    /// The API's record, or why there is none.
    pub record: Result<Value, String>,
    /// `DescribeSessions` calls made.
    pub calls: u32,
    /// The time it took.
    pub elapsed: Duration,
}

/// The first wait before asking again for a session that is not listed yet; it doubles.
const FIRST_RETRY: Duration = Duration::from_millis(250);
/// Pages followed in one attempt: a filter on one session id gives at most one session, though
/// the API may hand out empty pages with a token before it.
const PAGES_PER_ATTEMPT: u32 = 5;

/// Reads the record of session `session_id` with `DescribeSessions(State=Active,
/// Filters=[SessionId])`, asking again after 250 ms, 500 ms, 1 s, ... while it is not listed,
/// for at most `wait`. An error of the API ends the wait at once: it will not list the session
/// any sooner, and the caller judges the event alone.
pub async fn describe_started_session<A: SessionApi + ?Sized>(
    api: &A,
    session_id: &str,
    wait: Duration,
) -> DescribeOutcome {
    let start = Instant::now();
    let deadline = start + wait;
    let filters = [Filter {
        key: FilterKey::SessionId,
        value: session_id.to_owned(),
    }];
    let mut calls = 0;
    let mut delay = FIRST_RETRY;
    let outcome = |record, calls| DescribeOutcome {
        record,
        calls,
        elapsed: start.elapsed(),
    };
    loop {
        let mut pages = Pages::new(SessionState::Active, &filters);
        let left = deadline.saturating_duration_since(Instant::now());
        let attempt = async {
            while pages.calls < PAGES_PER_ATTEMPT
                && let Some(page) = pages.next(api).await
            {
                let found = page?.sessions.into_iter().find(|session| {
                    session.get("SessionId").and_then(Value::as_str) == Some(session_id)
                });
                if found.is_some() {
                    return Ok(found);
                }
            }
            Ok::<_, ApiError>(None)
        };
        let answer = tokio::time::timeout(left, attempt).await;
        calls += pages.calls;
        match answer {
            Ok(Ok(Some(record))) => return outcome(Ok(record), calls),
            Ok(Ok(None)) => {}
            Ok(Err(error)) => return outcome(Err(error.message), calls),
            Err(_) => {
                let why = format!(
                    "DescribeSessions did not answer within the {} ms left to read the session",
                    left.as_millis()
                );
                return outcome(Err(why), calls);
            }
        }
        if Instant::now() + delay >= deadline {
            let why = format!(
                "DescribeSessions (State=Active) did not list the session in {calls} calls over {} ms",
                start.elapsed().as_millis()
            );
            return outcome(Err(why), calls);
        }
        tokio::time::sleep(delay).await;
        delay = delay.saturating_mul(2);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::sync::Mutex;

    use serde_json::json;

    use super::*;

    /// Lists `s-late` from its third call on, in pages of one session.
    #[derive(Debug, Default)]
    struct Slow {
        calls: Mutex<Vec<(Option<String>, usize)>>,
        fail: bool,
        loop_tokens: bool,
    }

    impl SessionApi for Slow {
        async fn describe_page(
            &self,
            _state: SessionState,
            filters: &[Filter],
            next_token: Option<String>,
        ) -> Result<Page, ApiError> {
            let mut calls = self.calls.lock().unwrap();
            calls.push((next_token.clone(), filters.len()));
            if self.fail {
                return Err(ApiError::new(ApiErrorKind::AccessDenied, "denied"));
            }
            if self.loop_tokens {
                return Ok(Page {
                    sessions: vec![json!({"SessionId": "s-1"})],
                    next_token: Some("again".into()),
                });
            }
            if !filters.is_empty() {
                let listed = calls.len() >= 3;
                return Ok(Page {
                    sessions: if listed {
                        vec![json!({"SessionId": "s-late", "MaxSessionDuration": "60"})]
                    } else {
                        Vec::new()
                    },
                    next_token: None,
                });
            }
            let n: usize = next_token.map_or(0, |t| t.parse().unwrap());
            Ok(Page {
                sessions: vec![json!({"SessionId": format!("s-{n}")})],
                next_token: (n < 2).then(|| (n + 1).to_string()),
            })
        }

        async fn terminate(&self, _session_id: &str) -> Result<(), ApiError> {
            Ok(())
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_listing_follows_every_page() {
        let api = Slow::default();
        let listing = block_on(list_sessions(&api, SessionState::Active, &[]));
        let listing = listing.unwrap();
        assert_eq!(listing.calls, 3);
        let ids: Vec<&str> = listing
            .sessions
            .iter()
            .map(|s| s["SessionId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["s-0", "s-1", "s-2"]);
    }

    #[test]
    fn a_token_handed_back_twice_ends_the_listing_with_an_error() {
        let api = Slow {
            loop_tokens: true,
            ..Slow::default()
        };
        let error = block_on(list_sessions(&api, SessionState::Active, &[])).unwrap_err();
        assert!(error.message.contains("NextToken"), "{error}");
        assert_eq!(api.calls.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_started_session_is_asked_for_again_until_it_is_listed() {
        let api = Slow::default();
        let outcome = block_on(describe_started_session(
            &api,
            "s-late",
            Duration::from_secs(5),
        ));
        assert_eq!(outcome.record.unwrap()["MaxSessionDuration"], "60");
        assert_eq!(outcome.calls, 3);
        assert!(outcome.elapsed >= Duration::from_millis(750));
    }

    #[test]
    fn the_wait_is_bounded_and_errors_end_it_at_once() {
        let api = Slow::default();
        let outcome = block_on(describe_started_session(
            &api,
            "s-late",
            Duration::from_millis(300),
        ));
        let why = outcome.record.unwrap_err();
        assert!(why.contains("did not list the session in 2 calls"), "{why}");
        let api = Slow {
            fail: true,
            ..Slow::default()
        };
        let outcome = block_on(describe_started_session(
            &api,
            "s-late",
            Duration::from_secs(5),
        ));
        assert_eq!(outcome.record.unwrap_err(), "denied");
        assert_eq!(outcome.calls, 1);
    }
}
