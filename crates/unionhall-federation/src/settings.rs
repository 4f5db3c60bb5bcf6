//! The federation part of the instance settings.

use std::time::Duration;
use url::Url;

#[derive(Debug, Clone)]
pub struct FederationSettings {
    pub public_url: Url,
    pub instance_name: String,
    /// Plain http, explicit ports and private or loopback peers (tests only).
    pub allow_private_peers: bool,
    /// Peer names pinned to addresses; only used with `allow_private_peers`.
    pub hosts: Vec<(String, std::net::IpAddr)>,
    /// First retry after this long; doubled per failure up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Deliveries still failing this long after they were queued are given up.
    pub delivery_expiry: Duration,
    /// Deliveries in flight at once, over all peers.
    pub delivery_concurrency: usize,
    /// Deliveries in flight at once to one peer.
    pub per_peer_concurrency: usize,
    /// How often workers look for due deliveries queued by other processes.
    pub queue_poll: Duration,
    pub request_timeout: Duration,
    /// How long a delivery worker's claim holds unless renewed (it renews
    /// three times as often): how long a crashed process's work waits.
    pub claim_lease: Duration,
    /// What the inbox takes before it answers 429 or 503.
    pub inbox: crate::InboxLimits,
    /// Reports and follows taken an hour per remote actor and domain.
    pub floods: crate::FloodLimits,
    /// The largest totals one chapter may report for one of our calls.
    pub max_pledged: PledgeBounds,
    /// How often our calls whose time is over are closed (`activities/over.rs`).
    pub close_calls_every: Duration,
}

/// Bounds of one chapter's pledge totals: people (and actions), and money in
/// cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PledgeBounds {
    pub people: u64,
    pub amount: u64,
}

impl Default for PledgeBounds {
    fn default() -> Self {
        Self {
            people: 100_000,
            amount: 100_000_000,
        }
    }
}
