//! Floods of reports (`Flag`), follows, joins of our calls' events, replies
//! and reactions (likes, dislikes, boosts): each costs an admin's attention,
//! or a fetch, an Accept and (for a join) an Update of the call to everyone,
//! or a row kept, so each is limited per remote actor and per remote domain
//! (the registrable domain: a server cannot multiply its allowance with
//! subdomains), per hour. A server that makes up actors by the thousand to
//! swell a call's "liked 30 times" or to fill the database is stopped at its
//! domain's allowance.
//!
//! The allowance is looked at before the sender's signature is checked (so
//! that a flood of new actors is refused before each is fetched) and spent
//! only once the signature verified (so that forged requests cannot spend a
//! server's allowance for it).
//!
//! The counters are in the database (the store's `floods.rs`), so that every
//! process on it counts against the same hourly figure; two requests checked
//! at the same instant may both pass, so a flood can overshoot by what is in
//! flight at once, not more.

use crate::{Error, Result};
use unionhall_store::{floods, now_millis, Store};
use url::Url;

const WINDOW_MS: i64 = 3_600_000;

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flood {
    Reports,
    Follows,
    /// Joins (or Accepts) of our calls from elsewhere on the fediverse.
    Joins,
    /// Replies to our objects (Lemmy comments, Mastodon replies): each is
    /// kept, so an actor or a server may not fill the database with them.
    Replies,
    /// Likes, Lemmy's dislikes and boosts of our objects: each is a row kept
    /// (to be taken back by its Undo) and a count organizers read.
    Reactions,
}

impl Flood {
    fn name(self) -> &'static str {
        match self {
            Self::Reports => "reports",
            Self::Follows => "follows",
            Self::Joins => "joins",
            Self::Replies => "replies",
            Self::Reactions => "reactions",
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
    pub joins_per_actor: u32,
    pub joins_per_domain: u32,
    pub replies_per_actor: u32,
    pub replies_per_domain: u32,
    pub reactions_per_actor: u32,
    pub reactions_per_domain: u32,
}

impl Default for FloodLimits {
    fn default() -> Self {
        Self {
            reports_per_actor: 5,
            reports_per_domain: 20,
            follows_per_actor: 20,
            follows_per_domain: 100,
            joins_per_actor: 10,
            joins_per_domain: 50,
            replies_per_actor: 30,
            replies_per_domain: 300,
            reactions_per_actor: 100,
            reactions_per_domain: 1000,
        }
    }
}

#[derive(Default)]
pub struct FloodGate {
    limits: FloodLimits,
}

impl FloodGate {
    pub fn new(limits: FloodLimits) -> Self {
        Self { limits }
    }

    /// The actor's counter and its domain's, with their limits.
    fn keys(&self, flood: Flood, actor: &Url) -> ([String; 2], [u32; 2]) {
        let (per_actor, per_domain) = match flood {
            Flood::Reports => (
                self.limits.reports_per_actor,
                self.limits.reports_per_domain,
            ),
            Flood::Follows => (
                self.limits.follows_per_actor,
                self.limits.follows_per_domain,
            ),
            Flood::Joins => (self.limits.joins_per_actor, self.limits.joins_per_domain),
            Flood::Replies => (
                self.limits.replies_per_actor,
                self.limits.replies_per_domain,
            ),
            Flood::Reactions => (
                self.limits.reactions_per_actor,
                self.limits.reactions_per_domain,
            ),
        };
        let domain = registrable_domain(actor.host_str().unwrap_or_default());
        (
            [actor.as_str().to_owned(), format!("domain:{domain}")],
            [per_actor, per_domain],
        )
    }

    /// Refuses (429) if `actor` or its domain has no allowance left.
    pub async fn check(&self, store: &Store, flood: Flood, actor: &Url) -> Result<()> {
        let now = now_millis();
        let (keys, limits) = self.keys(flood, actor);
        let counts = floods::counts(
            store,
            flood.name(),
            &[keys[0].as_str(), keys[1].as_str()],
            now - WINDOW_MS,
        )
        .await?;
        for (key, limit) in keys.iter().zip(limits) {
            let Some(&(since, count)) = counts.get(key) else {
                continue;
            };
            if count >= i64::from(limit) {
                metrics::counter!("unionhall_inbox_floods_refused_total", "kind" => flood.name())
                    .increment(1);
                let who = key.strip_prefix("domain:").unwrap_or(actor.as_str());
                return Err(Error::TooManyRequests {
                    message: format!("too many {} from {who}: {limit} an hour", flood.name()),
                    retry_after_seconds: ((since + WINDOW_MS - now) / 1000).max(1) as u64,
                });
            }
        }
        Ok(())
    }

    /// Spends one of `actor`'s allowance (and its domain's).
    pub async fn spend(&self, store: &Store, flood: Flood, actor: &Url) -> Result<()> {
        let now = now_millis();
        let (keys, _) = self.keys(flood, actor);
        floods::spend(
            store,
            flood.name(),
            &[keys[0].as_str(), keys[1].as_str()],
            now,
            now - WINDOW_MS,
        )
        .await?;
        Ok(())
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

    #[test]
    fn subdomains_share_their_domain() {
        assert_eq!(registrable_domain("a.b.evil.example"), "evil.example");
        assert_eq!(registrable_domain("x.evil.co.uk"), "evil.co.uk");
        assert_eq!(registrable_domain("evil.example"), "evil.example");
        assert_eq!(registrable_domain("127.0.0.2"), "127.0.0.2");
    }
}
