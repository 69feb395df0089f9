//! Running a list of calls with at most N in flight, results in the list's order: the sweep's
//! terminations, without spawning tasks (the futures borrow the API client) and without a
//! dependency for a dozen lines.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

/// Awaits every future, at most `limit` (at least one) at a time; the outputs in input order.
pub(crate) async fn in_order_bounded<F: Future>(futures: Vec<F>, limit: usize) -> Vec<F::Output> {
    let limit = limit.max(1);
    let count = futures.len();
    let mut waiting: VecDeque<(usize, F)> = futures.into_iter().enumerate().collect();
    let mut running: Vec<(usize, Pin<Box<F>>)> = Vec::with_capacity(limit);
    let mut outputs: Vec<Option<F::Output>> = (0..count).map(|_| None).collect();
    poll_fn(|cx| {
        loop {
            while running.len() < limit
                && let Some((index, future)) = waiting.pop_front()
            {
                running.push((index, Box::pin(future)));
            }
            let mut finished = false;
            let mut position = 0;
            while let Some((index, future)) = running.get_mut(position) {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    if let Some(slot) = outputs.get_mut(*index) {
                        *slot = Some(output);
                    }
                    running.swap_remove(position);
                    finished = true;
                } else {
                    position += 1;
                }
            }
            if running.is_empty() && waiting.is_empty() {
                return Poll::Ready(());
            }
            // Something finished: start the next ones before waiting. Otherwise every running
            // future has registered to be woken.
            if !finished {
                return Poll::Pending;
            }
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn at_most_the_limit_run_at_once_and_outputs_keep_their_order() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let work = |n: u64| {
            let (running, most) = (&running, &most);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Later items finish sooner, so that completion order differs from input order.
                tokio::time::sleep(Duration::from_millis(40 - n * 3)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                n
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let outputs = runtime.block_on(in_order_bounded((0..10).map(work).collect(), 3));
        assert_eq!(outputs, (0..10).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3);
        let none: Vec<std::future::Ready<u8>> = Vec::new();
        assert!(runtime.block_on(in_order_bounded(none, 3)).is_empty());
    }
}
