//! Answers read from the database, remembered for a moment so that the inbox
//! does not ask again for every activity of a busy sender: whom this instance
//! follows, and a sender's cached actor and key. (Who has blocked a sender is
//! read every time: a block holds from the next activity.)
//!
//! Each use says how long an answer stays good. Changes made in this process
//! forget what they change at once; those of other processes (the CLI, a second
//! server on PostgreSQL) are seen within that time.

use crate::actors::DbActor;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

/// What the inbox remembers between activities.
pub struct InboxCaches {
    /// Actors this instance follows (only "yes" is remembered: a follow that
    /// has just been accepted counts at once).
    pub following: Recent<Url, ()>,
    /// Senders as cached in the database, with their keys. A key that no longer
    /// verifies is fetched again whatever this says (see `authentication`).
    pub actors: Recent<Url, DbActor>,
    /// The admitted members of remote union bodies, as their members
    /// collections said (checked for every relay, `activities/relay.rs`).
    pub body_members: Recent<Url, std::sync::Arc<Vec<Url>>>,
}

impl Default for InboxCaches {
    fn default() -> Self {
        Self {
            following: Recent::new(Duration::from_secs(5), 10_000),
            // An actor with its key and summary is a few KB: a thousand
            // senders active within a minute is a busy instance already.
            actors: Recent::new(Duration::from_secs(60), 1_000),
            body_members: Recent::new(Duration::from_secs(60), 100),
        }
    }
}

pub struct Recent<K, V> {
    fresh_for: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    pub fn new(fresh_for: Duration, capacity: usize) -> Self {
        Self {
            fresh_for,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.fresh_for).then(|| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity {
            let fresh_for = self.fresh_for;
            entries.retain(|_, (at, _)| at.elapsed() < fresh_for);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_for_their_time_and_forgotten_on_request() {
        let recent = Recent::new(Duration::from_millis(50), 10);
        recent.put("a", 1);
        assert_eq!(recent.get(&"a"), Some(1));
        recent.forget(&"a");
        assert_eq!(recent.get(&"a"), None);
        recent.put("b", 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(recent.get(&"b"), None, "stale");
    }

    #[test]
    fn a_full_cache_makes_room() {
        let recent = Recent::new(Duration::from_secs(60), 2);
        recent.put(1, ());
        recent.put(2, ());
        recent.put(3, ());
        assert_eq!(recent.get(&3), Some(()));
        assert!(recent.entries.lock().unwrap().len() <= 2);
    }
}
