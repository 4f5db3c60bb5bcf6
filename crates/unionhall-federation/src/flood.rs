//! Floods of reports (`Flag`) and follows: each costs an admin's attention or a
//! fetch and an Accept, so each is limited per remote actor and per remote
//! domain (the registrable domain: a server cannot multiply its allowance with
//! subdomains), per hour.
//!
//! The allowance is looked at before the sender's signature is checked (so
//! that a flood of new actors is refused before each is fetched) and spent
//! only once the signature verified (so that forged requests cannot spend a
//! server's allowance for it).

use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

const WINDOW: Duration = Duration::from_secs(3600);
/// Counters kept at most; past that, expired ones are dropped, and if none
/// has expired the oldest window goes (memory stays bounded under any flood).
const MAX_COUNTERS: usize = 20_000;

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flood {
    Reports,
    Follows,
}

impl Flood {
    fn name(self) -> &'static str {
        match self {
            Self::Reports => "reports",
            Self::Follows => "follows",
        }
    }
}

/// How many an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodLimits {
    pub reports_per_actor: u32,
    pub reports_per_domain: u32,
    pub follows_per_actor: u32,
    pub follows_per_domain: u32,
}

impl Default for FloodLimits {
    fn default() -> Self {
        Self {
            reports_per_actor: 5,
            reports_per_domain: 20,
            follows_per_actor: 20,
            follows_per_domain: 100,
        }
    }
}

#[derive(Default)]
pub struct FloodGate {
    limits: FloodLimits,
    counters: Mutex<HashMap<(Flood, String), (Instant, u32)>>,
}

impl FloodGate {
    pub fn new(limits: FloodLimits) -> Self {
        Self {
            limits,
            counters: Mutex::default(),
        }
    }

    fn keys(&self, flood: Flood, actor: &Url) -> [((Flood, String), u32); 2] {
        let (per_actor, per_domain) = match flood {
            Flood::Reports => (
                self.limits.reports_per_actor,
                self.limits.reports_per_domain,
            ),
            Flood::Follows => (
                self.limits.follows_per_actor,
                self.limits.follows_per_domain,
            ),
        };
        let domain = registrable_domain(actor.host_str().unwrap_or_default());
        [
            ((flood, actor.as_str().to_owned()), per_actor),
            ((flood, format!("domain:{domain}")), per_domain),
        ]
    }

    /// Refuses (429) if `actor` or its domain has no allowance left.
    pub fn check(&self, flood: Flood, actor: &Url) -> Result<()> {
        let now = Instant::now();
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for (key, limit) in self.keys(flood, actor) {
            if let Some((since, count)) = counters.get(&key) {
                let age = now.duration_since(*since);
                if age < WINDOW && *count >= limit {
                    metrics::counter!("unionhall_inbox_floods_refused_total", "kind" => flood.name())
                        .increment(1);
                    return Err(Error::TooManyRequests {
                        message: format!(
                            "too many {} from {}: {limit} an hour",
                            flood.name(),
                            if key.1.starts_with("domain:") {
                                &key.1[7..]
                            } else {
                                actor.as_str()
                            }
                        ),
                        retry_after_seconds: (WINDOW - age).as_secs().max(1),
                    });
                }
            }
        }
        Ok(())
    }

    /// Spends one of `actor`'s allowance (and its domain's).
    pub fn spend(&self, flood: Flood, actor: &Url) {
        let now = Instant::now();
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        // Room for the two counters of this call.
        if counters.len() + 2 > MAX_COUNTERS {
            counters.retain(|_, (since, _)| now.duration_since(*since) < WINDOW);
            while counters.len() + 2 > MAX_COUNTERS {
                let Some(oldest) = counters
                    .iter()
                    .min_by_key(|(_, (since, _))| *since)
                    .map(|(key, _)| key.clone())
                else {
                    break;
                };
                counters.remove(&oldest);
            }
        }
        for (key, _) in self.keys(flood, actor) {
            let entry = counters.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 = entry.1.saturating_add(1);
        }
    }
}

/// The part of a host name one registrant controls: the last two labels, or
/// three under a country's common second levels (`example.co.uk`). An
/// approximation of the Public Suffix List that errs towards grouping more
/// hosts together; an IP address is its own domain.
pub fn registrable_domain(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n <= 2 {
        return host;
    }
    const SECOND_LEVELS: &[&str] = &["co", "com", "net", "org", "gov", "ac", "edu", "or", "ne"];
    let country = labels[n - 1].len() == 2;
    let take = if country && SECOND_LEVELS.contains(&labels[n - 2]) {
        3
    } else {
        2
    };
    labels[n - take.min(n)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn subdomains_share_their_domain() {
        assert_eq!(registrable_domain("a.b.evil.example"), "evil.example");
        assert_eq!(registrable_domain("x.evil.co.uk"), "evil.co.uk");
        assert_eq!(registrable_domain("evil.example"), "evil.example");
        assert_eq!(registrable_domain("127.0.0.2"), "127.0.0.2");
    }

    #[test]
    fn an_actor_and_its_domain_are_each_limited() {
        let gate = FloodGate::new(FloodLimits {
            reports_per_actor: 2,
            reports_per_domain: 3,
            ..FloodLimits::default()
        });
        let one = url("https://s1.evil.example/u/one");
        for _ in 0..2 {
            gate.check(Flood::Reports, &one).unwrap();
            gate.spend(Flood::Reports, &one);
        }
        assert!(
            gate.check(Flood::Reports, &one).is_err(),
            "the actor's limit"
        );
        let two = url("https://s2.evil.example/u/two");
        gate.check(Flood::Reports, &two).unwrap();
        gate.spend(Flood::Reports, &two);
        assert!(
            gate.check(Flood::Reports, &two).is_err(),
            "the domain's limit"
        );
        gate.check(Flood::Follows, &two).unwrap();
        gate.check(Flood::Reports, &url("https://honest.example/u/x"))
            .unwrap();
    }

    #[test]
    fn memory_stays_bounded() {
        let gate = FloodGate::default();
        for n in 0..(MAX_COUNTERS + 500) {
            gate.spend(Flood::Follows, &url(&format!("https://h{n}.example/u")));
        }
        assert!(gate.counters.lock().unwrap().len() <= MAX_COUNTERS);
    }
}
