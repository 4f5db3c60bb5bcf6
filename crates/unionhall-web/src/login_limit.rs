//! Failed logins counted per client address, on top of the members service's
//! count per username: one address trying many usernames (credential stuffing)
//! is slowed down without locking anyone out of their own account.
//!
//! Kept in memory: a restart forgets, which only gives an attacker a fresh
//! window now and then; the per-username count is in the database.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses remembered at most; older windows are dropped first.
const REMEMBERED: usize = 10_000;

pub(crate) struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// None if `ip` may try to log in now, else how long it must wait.
    pub fn check(&self, ip: IpAddr) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, since) = failures.get(&ip)?;
        let left = self.window.checked_sub(since.elapsed())?;
        (*count >= self.max_failures).then_some(left)
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= REMEMBERED {
            let window = self.window;
            failures.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = failures.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stopped_after_its_failures_and_others_are_not() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let (one, two): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(limiter.check(one), None);
            limiter.failed(one);
        }
        assert!(limiter
            .check(one)
            .is_some_and(|wait| wait <= Duration::from_secs(60)));
        assert_eq!(limiter.check(two), None);
    }

    #[test]
    fn the_window_passes() {
        let limiter = LoginLimiter::new(1, Duration::from_millis(20));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        limiter.failed(ip);
        assert!(limiter.check(ip).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(limiter.check(ip), None);
        limiter.failed(ip);
        assert!(limiter.check(ip).is_some(), "a new window counts afresh");
    }
}
