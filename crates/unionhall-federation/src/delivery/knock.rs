//! The double knock: how each peer takes our signed deliveries, learned by
//! trying and remembered.
//!
//! A peer we have not met is sent an RFC 9421 signature first, made with the
//! sender's Ed25519 key (a fraction of an RSA signature's cost; Unionhall
//! verifies it, Fedify 2.3.6 takes the delivery on its integrity proof made
//! with the same key); on 401 or 400 the same delivery is signed again
//! with RFC 9421 and RSA (Mastodon 4.5), then with draft-cavage (every
//! server). The first that is taken is remembered for the peer, in memory and
//! in the database (`peer_signatures`), and used alone from then on: for
//! [`REMEMBER_FOR`], after which the better schemes are tried again (a peer
//! may have upgraded), or until it is refused with 401, when the peer is
//! knocked on again from the start.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use unionhall_store::{now_millis, peer_signatures, Store};

/// How long a peer's scheme is used without trying a better one.
pub const REMEMBER_FOR: Duration = Duration::from_secs(7 * 86_400);

/// How a delivery is signed, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Rfc9421Ed25519,
    Rfc9421Rsa,
    Cavage,
}

impl Scheme {
    const ALL: [Scheme; 3] = [Self::Rfc9421Ed25519, Self::Rfc9421Rsa, Self::Cavage];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rfc9421Ed25519 => "rfc9421-ed25519",
            Self::Rfc9421Rsa => "rfc9421-rsa",
            Self::Cavage => "cavage",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

/// What each peer took, by host: the scheme and when it was learned.
#[derive(Default)]
pub struct Knocks {
    known: Mutex<HashMap<String, (Scheme, i64)>>,
}

impl Knocks {
    /// Takes what earlier runs learned.
    pub async fn load(&self, store: &Store) -> unionhall_store::Result<()> {
        let rows = peer_signatures::all(store).await?;
        let mut known = self.lock();
        for (host, scheme, learned_at) in rows {
            if let Some(scheme) = Scheme::parse(&scheme) {
                known.insert(host, (scheme, learned_at));
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Scheme, i64)>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The schemes to try with `host`, in order: the remembered one alone,
    /// else every one the sender can make (`ed25519`: it has an Ed25519 key),
    /// best first.
    pub fn order(&self, host: &str, ed25519: bool) -> Vec<Scheme> {
        let usable = |s: &Scheme| ed25519 || *s != Scheme::Rfc9421Ed25519;
        if let Some(&(scheme, learned_at)) = self.lock().get(host) {
            let fresh = now_millis() - learned_at < REMEMBER_FOR.as_millis() as i64;
            if fresh && usable(&scheme) {
                return vec![scheme];
            }
        }
        Scheme::ALL.into_iter().filter(usable).collect()
    }

    /// The scheme `host` is remembered to take, if any.
    pub fn known(&self, host: &str) -> Option<Scheme> {
        self.lock().get(host).map(|(scheme, _)| *scheme)
    }

    /// Remembers that `host` took `scheme`; true if that is news (to be
    /// written down).
    pub fn learned(&self, host: &str, scheme: Scheme) -> bool {
        let now = now_millis();
        let mut known = self.lock();
        match known.get(host) {
            Some(&(old, at)) if old == scheme && now - at < REMEMBER_FOR.as_millis() as i64 / 2 => {
                false
            }
            _ => {
                known.insert(host.to_owned(), (scheme, now));
                true
            }
        }
    }

    /// Forgets `host`'s scheme (it was refused with it): knocked on afresh.
    pub fn forget(&self, host: &str) {
        self.lock().remove(host);
    }

    /// Writes down what `host` took, for the next run.
    pub async fn write(&self, store: &Store, host: &str, scheme: Scheme) {
        if let Err(err) =
            peer_signatures::remember(store, host, scheme.as_str(), now_millis()).await
        {
            tracing::warn!(%host, "remembering how the peer takes signatures failed: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stranger_is_knocked_on_best_first_and_a_known_peer_once() {
        let knocks = Knocks::default();
        assert_eq!(
            knocks.order("new.example", true),
            [Scheme::Rfc9421Ed25519, Scheme::Rfc9421Rsa, Scheme::Cavage]
        );
        assert_eq!(
            knocks.order("new.example", false),
            [Scheme::Rfc9421Rsa, Scheme::Cavage]
        );
        assert!(knocks.learned("old.example", Scheme::Cavage));
        assert!(!knocks.learned("old.example", Scheme::Cavage), "not news");
        assert_eq!(knocks.order("old.example", true), [Scheme::Cavage]);
        knocks.forget("old.example");
        assert_eq!(knocks.order("old.example", true).len(), 3);
        // A remembered Ed25519 peer, for a sender without that key: all it can.
        knocks.learned("ed.example", Scheme::Rfc9421Ed25519);
        assert_eq!(
            knocks.order("ed.example", false),
            [Scheme::Rfc9421Rsa, Scheme::Cavage]
        );
    }
}
