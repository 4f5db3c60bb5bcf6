//! How many requests one peer gets at once, and what a slow answer holds.
//!
//! A peer starts with `per_peer_concurrency` requests in flight. A request to
//! it that times out halves that (down to one): a slow server is slowed, not
//! silenced, and not backed off as if it were down. Each answer in time gives
//! one back, up to the most (additive increase, multiplicative decrease).
//!
//! Separately, a request still unanswered after [`SLOW_ANSWER`] gives back its
//! wire slot (`delivery_concurrency`, shared by all peers) and waits on its
//! socket alone, so that a hundred slow servers cannot hold up the fast ones.
//! What it still holds is its claim, and claims are bounded by the worker's
//! budget, so sockets stay bounded too.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

/// How long a request holds a wire slot while waiting for its answer: past
/// this, it waits on its socket alone. Signing and sending are done by then
/// (they take well under a millisecond); a healthy peer answers within it on a
/// good day, a slow one holds no slot another could use.
pub(super) const SLOW_ANSWER: Duration = Duration::from_millis(200);

/// The limits of every peer this worker has sent to.
pub(super) struct PeerLimits {
    most: usize,
    peers: Mutex<HashMap<String, Arc<PeerLimit>>>,
}

impl PeerLimits {
    pub(super) fn new(most: usize) -> Self {
        Self {
            most: most.max(1),
            peers: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn of(&self, host: &str) -> Arc<PeerLimit> {
        let mut peers = self
            .peers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        peers
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(PeerLimit::new(self.most)))
            .clone()
    }
}

pub(super) struct PeerLimit {
    slots: Arc<Semaphore>,
    /// Requests allowed at once now (slots handed out plus free).
    limit: AtomicUsize,
    most: usize,
}

impl PeerLimit {
    fn new(most: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(most)),
            limit: AtomicUsize::new(most),
            most,
        }
    }

    /// Waits for this peer's turn.
    pub(super) async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().acquire_owned().await.ok()
    }

    pub(super) fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// A request timed out: half as many at once from now on.
    pub(super) fn timed_out(&self) {
        let current = self.limit.load(Ordering::Relaxed);
        let halved = (current / 2).max(1);
        if halved == current
            || self
                .limit
                .compare_exchange(current, halved, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // The slots in use now come back to the semaphore as they finish;
        // these are taken out of it for good as soon as they do.
        let slots = self.slots.clone();
        let cut = (current - halved) as u32;
        tokio::spawn(async move {
            if let Ok(taken) = slots.acquire_many_owned(cut).await {
                taken.forget();
            }
        });
    }

    /// An answer in time: one more at once, up to the most.
    pub(super) fn answered(&self) {
        let current = self.limit.load(Ordering::Relaxed);
        if current < self.most
            && self
                .limit
                .compare_exchange(current, current + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.slots.add_permits(1);
        }
    }
}

/// Runs `request` holding `slot` for at most [`SLOW_ANSWER`], then without it.
pub(super) async fn without_holding_up_others<F: Future>(
    request: F,
    slot: SemaphorePermit<'_>,
) -> F::Output {
    tokio::pin!(request);
    tokio::select! {
        done = &mut request => done,
        () = tokio::time::sleep(SLOW_ANSWER) => {
            drop(slot);
            request.await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeouts_halve_the_limit_and_answers_give_it_back_one_by_one() {
        let limits = PeerLimits::new(8);
        let peer = limits.of("slow.example");
        peer.timed_out();
        peer.timed_out();
        assert_eq!(peer.limit(), 2);
        tokio::task::yield_now().await;
        let (a, b) = (peer.turn().await.unwrap(), peer.turn().await.unwrap());
        assert!(
            peer.slots.clone().try_acquire_owned().is_err(),
            "two at once"
        );
        drop((a, b));
        for _ in 0..10 {
            peer.answered();
        }
        assert_eq!(peer.limit(), 8, "back up to the most, not beyond");
        peer.timed_out();
        peer.timed_out();
        peer.timed_out();
        peer.timed_out();
        assert_eq!(peer.limit(), 1, "never below one: slowed, not silenced");
        assert_eq!(limits.of("other.example").limit(), 8);
    }
}
