//! The inbox under pressure: what is refused before any work is done.
//!
//! A chapter's instance is usually one small server. A flood (a spammer, a
//! misbehaving relay, forged signatures) must cost it little and must not grow
//! its memory, so before a body is even read:
//! - each client address and each sending server (the host of the signature's
//!   `keyId`, which costs nothing to read) has a token bucket: over it, 429 with
//!   `Retry-After`;
//! - the requests being worked on at once are bounded: when all slots are taken,
//!   503 with `Retry-After`. Senders retry both (Mastodon and Unionhall do), so
//!   nothing is lost, only delayed.
//!
//! Fetches of the signers' keys are guarded separately (`KeyFetches`): one fetch
//! per key owner at a time, and an owner that failed to resolve is not tried again
//! for a while, so forged signatures naming made-up actors cannot make the server
//! fetch-storm anyone.

use crate::{Error, Result};
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// The inbox limits of the settings.
#[derive(Debug, Clone)]
pub struct InboxLimits {
    /// Requests a minute from one client address (and as many at once).
    pub per_ip_per_minute: u32,
    /// Requests a minute signed by one server (and as many at once).
    pub per_instance_per_minute: u32,
    /// Inbox requests being worked on at once.
    pub max_in_flight: usize,
    /// How long an actor that failed to resolve is not fetched again.
    pub failed_actor_ttl: Duration,
}

impl Default for InboxLimits {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 1200,
            per_instance_per_minute: 1200,
            max_in_flight: 64,
            failed_actor_ttl: Duration::from_secs(60),
        }
    }
}

/// What a 503 asks the sender to wait.
const BUSY_RETRY_AFTER_SECONDS: u64 = 5;

pub struct InboxGate {
    per_ip: RateLimiter,
    per_instance: RateLimiter,
    in_flight: Arc<Semaphore>,
}

/// Held while one inbox request is worked on.
pub struct InboxPermit(#[allow(dead_code)] OwnedSemaphorePermit);

impl InboxGate {
    pub fn new(limits: &InboxLimits) -> Self {
        Self {
            per_ip: RateLimiter::per_minute(limits.per_ip_per_minute),
            per_instance: RateLimiter::per_minute(limits.per_instance_per_minute),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
        }
    }

    /// Lets a request in, or says why not, from its client address and headers
    /// alone (call it before reading the body).
    pub fn admit(&self, client: Option<IpAddr>, headers: &HeaderMap) -> Result<InboxPermit> {
        let ip = client.map(|ip| ip.to_string());
        if let Some(ip) = &ip {
            self.per_ip
                .take(ip)
                .map_err(|wait| too_many(format!("from {ip}"), wait))?;
        }
        let host = signer_host(headers);
        if let Some(host) = &host {
            if let Err(wait) = self.per_instance.take(host) {
                if let Some(ip) = &ip {
                    self.per_ip.give_back(ip);
                }
                return Err(too_many(format!("signed by {host}"), wait));
            }
        }
        match self.in_flight.clone().try_acquire_owned() {
            Ok(permit) => Ok(InboxPermit(permit)),
            Err(_) => {
                // Turned away for our own lack of room: the sender's allowance
                // is not spent, so its retries are not then refused with 429.
                if let Some(ip) = &ip {
                    self.per_ip.give_back(ip);
                }
                if let Some(host) = &host {
                    self.per_instance.give_back(host);
                }
                Err(Error::Busy {
                    message: "the inbox is busy; try again shortly".into(),
                    retry_after_seconds: BUSY_RETRY_AFTER_SECONDS,
                })
            }
        }
    }
}

fn too_many(whom: String, wait_seconds: u64) -> Error {
    Error::TooManyRequests {
        message: format!("too many inbox requests {whom}; try again in {wait_seconds} s"),
        retry_after_seconds: wait_seconds,
    }
}

/// The host of the signature's key owner, if the request has a readable
/// `Signature` header (anything else is refused later, with a reason).
fn signer_host(headers: &HeaderMap) -> Option<String> {
    let owner = crate::authentication::claimed_signer(headers)?;
    owner.host_str().map(str::to_ascii_lowercase)
}

/// Token buckets by key: `burst` requests at once, refilled at `per_second`.
struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Keys tracked before full (idle) buckets are forgotten, so that a flood from
/// many addresses cannot grow the map without bound.
const MAX_TRACKED: usize = 10_000;

impl RateLimiter {
    fn per_minute(limit: u32) -> Self {
        let limit = f64::from(limit.max(1));
        Self {
            per_second: limit / 60.0,
            burst: limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Returns a token taken for a request that was then not worked on.
    fn give_back(&self, key: &str) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = buckets.get_mut(key) {
            bucket.tokens = (bucket.tokens + 1.0).min(self.burst);
        }
    }

    /// Takes one token for `key`, or says how many seconds until there is one.
    fn take(&self, key: &str) -> std::result::Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(key) {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < burst
            });
            if buckets.len() >= MAX_TRACKED {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// One fetch per key owner at a time, and a short memory of owners that failed.
#[derive(Default)]
pub struct KeyFetches {
    in_progress: Mutex<HashMap<Url, Arc<tokio::sync::Mutex<()>>>>,
    failed: Mutex<HashMap<Url, Instant>>,
}

impl KeyFetches {
    /// Runs `fetch` for `owner` unless it failed less than `ttl` ago; concurrent
    /// callers for the same owner wait for the first (whose result is then in
    /// the actor cache, so they fetch nothing).
    pub async fn run<T, F>(&self, owner: &Url, ttl: Duration, fetch: F) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        if self.failed_recently(owner, ttl) {
            return Err(Error::Unauthorized(format!(
                "the signer {owner} could not be fetched a moment ago; try again later"
            )));
        }
        let lock = {
            let mut in_progress = self.in_progress.lock().unwrap_or_else(|e| e.into_inner());
            in_progress.entry(owner.clone()).or_default().clone()
        };
        let guard = lock.lock().await;
        let result = if self.failed_recently(owner, ttl) {
            Err(Error::Unauthorized(format!(
                "the signer {owner} could not be fetched a moment ago; try again later"
            )))
        } else {
            fetch.await
        };
        // Only failures to reach or read the actor are remembered: a bad
        // signature from a real actor is not a reason to stop fetching it.
        if let Err(Error::Remote(_) | Error::NotFound(_) | Error::Forbidden(_)) = &result {
            let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            if failed.len() >= MAX_TRACKED {
                failed.retain(|_, at| at.elapsed() < ttl);
            }
            failed.insert(owner.clone(), Instant::now());
        }
        drop(guard);
        let mut in_progress = self.in_progress.lock().unwrap_or_else(|e| e.into_inner());
        // The last one out removes the entry (the map holds one reference).
        if in_progress
            .get(owner)
            .is_some_and(|l| Arc::strong_count(l) <= 2)
        {
            in_progress.remove(owner);
        }
        // A signer we cannot fetch is a signature we cannot verify: 401, not a
        // server error the sender would retry.
        result.map_err(|err| match err {
            Error::Remote(why) | Error::NotFound(why) => {
                Error::Unauthorized(format!("the signer {owner} could not be fetched: {why}"))
            }
            other => other,
        })
    }

    fn failed_recently(&self, owner: &Url, ttl: Duration) -> bool {
        let failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        failed.get(owner).is_some_and(|at| at.elapsed() < ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_bucket_allows_its_burst_then_says_how_long_to_wait() {
        let limiter = RateLimiter::per_minute(3);
        assert!(limiter.take("a").is_ok());
        assert!(limiter.take("a").is_ok());
        assert!(limiter.take("a").is_ok());
        assert_eq!(limiter.take("a"), Err(20), "one token every 20 s");
        assert!(limiter.take("b").is_ok(), "buckets are per key");
    }

    #[test]
    fn the_gate_refuses_when_every_slot_is_taken() {
        let gate = InboxGate::new(&InboxLimits {
            max_in_flight: 1,
            ..InboxLimits::default()
        });
        let first = gate.admit(None, &HeaderMap::new()).unwrap();
        assert!(matches!(
            gate.admit(None, &HeaderMap::new()),
            Err(Error::Busy { .. })
        ));
        drop(first);
        assert!(gate.admit(None, &HeaderMap::new()).is_ok());
    }

    #[tokio::test]
    async fn one_fetch_per_owner_and_failures_are_remembered() {
        let fetches = Arc::new(KeyFetches::default());
        let owner = Url::parse("https://example.org/actors/x").unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let ttl = Duration::from_secs(60);
        let attempt = |fetches: Arc<KeyFetches>, calls: Arc<AtomicUsize>, owner: Url| async move {
            fetches
                .run(&owner, ttl, async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err::<(), _>(Error::Remote("unreachable".into()))
                })
                .await
        };
        let tasks: Vec<_> = (0..10)
            .map(|_| tokio::spawn(attempt(fetches.clone(), calls.clone(), owner.clone())))
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_err());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "ten callers, one fetch");
        assert!(fetches.in_progress.lock().unwrap().is_empty());
    }
}
