//! A value read from the database and kept for a second: what every request
//! consults (the federation policy, the actors blocked by our groups) without
//! a query per request. Changes made in this process take effect at once (the
//! change invalidates the copy); those of other processes (the CLI) within
//! [`FRESH_FOR`].

use crate::Result;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a copy read from the database stays in force in this process.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

pub struct Fresh<T> {
    loaded: RwLock<Loaded<T>>,
    /// One read of the database at a time. When the copy goes stale under
    /// load, the first caller reads it and the others wait for that read:
    /// before, every delivery and inbox request in flight read the policy at
    /// once, which opened every pooled connection each second (and each
    /// SQLite connection keeps a page cache of its own).
    loading: tokio::sync::Mutex<()>,
}

struct Loaded<T> {
    /// Counts invalidations, so that a read begun before a change in this
    /// process is not kept as fresh after it.
    generation: u64,
    value: Option<(Instant, Arc<T>)>,
}

impl<T> Default for Fresh<T> {
    fn default() -> Self {
        Self {
            loaded: RwLock::new(Loaded {
                generation: 0,
                value: None,
            }),
            loading: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> Fresh<T> {
    /// The copy if fresh, else the value `load` reads (once, however many
    /// callers wait for it).
    pub async fn get_or<F>(&self, load: F) -> Result<Arc<T>>
    where
        F: Future<Output = Result<T>>,
    {
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        let _loading = self.loading.lock().await;
        // Read while this caller waited its turn.
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        let generation = self.read().generation;
        let value = Arc::new(load.await?);
        let mut loaded = self.write();
        if loaded.generation == generation {
            loaded.value = Some((Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// Drops the copy: the next caller reads the database again.
    pub fn invalidate(&self) {
        let mut loaded = self.write();
        loaded.generation += 1;
        loaded.value = None;
    }

    fn fresh(&self) -> Option<Arc<T>> {
        self.read()
            .value
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, value)| value.clone())
    }

    // A panic while the lock was held cannot leave `Loaded` half-written
    // (each write is one assignment), so a poisoned lock is still usable.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded<T>> {
        self.loaded.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Loaded<T>> {
        self.loaded.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn callers_of_a_stale_copy_share_one_read() {
        let cache = Arc::new(Fresh::<String>::default());
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let (cache, reads) = (cache.clone(), reads.clone());
                tokio::spawn(async move {
                    cache
                        .get_or(async {
                            reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok("bad.example".to_owned())
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            let value = caller.await.expect("task").expect("value");
            assert_eq!(*value, "bad.example");
        }
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_read_begun_before_a_change_is_not_kept() {
        let cache = Fresh::<String>::default();
        let (change, changed) = tokio::sync::oneshot::channel::<()>();
        let read = cache.get_or(async {
            // The value changes in this process while the old one is read.
            let _ = changed.await;
            Ok("old.example".to_owned())
        });
        let (old, ()) = tokio::join!(read, async {
            tokio::task::yield_now().await;
            cache.invalidate();
            let _ = change.send(());
        });
        assert_eq!(*old.expect("value"), "old.example");
        let now = cache
            .get_or(async { Ok("new.example".to_owned()) })
            .await
            .expect("value");
        assert_eq!(*now, "new.example", "read again after the change");
    }
}
