//! The instance's federation policy in force: read from the database (where the
//! CLI changes it), cached for a second so the inbox does not query it on every
//! request, and enforced at each point where this instance meets another: the
//! inbox (before any key is fetched), every fetch and WebFinger lookup (the
//! library's URL verifier), and every delivery (dropped, not sent).

use crate::{Error, FederationData, Result};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use unionhall_domain::{normalize_domain, FederationMode, FederationPolicy};
use unionhall_store::unions::{self, Side};
use unionhall_store::{deliveries, follows, policy as store, Store};
use url::Url;

/// How long a policy read from the database stays in force in this process;
/// changes made here take effect at once, those of other processes (the CLI)
/// within this.
const FRESH_FOR: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct PolicyCache {
    loaded: RwLock<Loaded>,
    /// One read of the database at a time. When the policy goes stale under
    /// load, the first caller reads it and the others wait for that read:
    /// before, every delivery and inbox request in flight read it at once,
    /// which opened every pooled connection each second (and each SQLite
    /// connection keeps a page cache of its own).
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Loaded {
    /// Counts invalidations, so that a read begun before a change in this
    /// process is not kept as fresh after it.
    generation: u64,
    policy: Option<(Instant, Arc<FederationPolicy>)>,
}

impl PolicyCache {
    pub async fn current(&self, store: &Store) -> Result<Arc<FederationPolicy>> {
        self.current_or(load(store)).await
    }

    /// The cached policy if fresh, else the one `load` reads (once, however
    /// many callers wait for it).
    async fn current_or<F>(&self, load: F) -> Result<Arc<FederationPolicy>>
    where
        F: std::future::Future<Output = Result<FederationPolicy>>,
    {
        if let Some(policy) = self.fresh() {
            return Ok(policy);
        }
        let _loading = self.loading.lock().await;
        // Read while this caller waited its turn.
        if let Some(policy) = self.fresh() {
            return Ok(policy);
        }
        let generation = self.read().generation;
        let policy = Arc::new(load.await?);
        let mut loaded = self.write();
        if loaded.generation == generation {
            loaded.policy = Some((Instant::now(), policy.clone()));
        }
        Ok(policy)
    }

    pub fn invalidate(&self) {
        let mut loaded = self.write();
        loaded.generation += 1;
        loaded.policy = None;
    }

    fn fresh(&self) -> Option<Arc<FederationPolicy>> {
        self.read()
            .policy
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, policy)| policy.clone())
    }

    // A panic while the lock was held cannot leave `Loaded` half-written
    // (each write is one assignment), so a poisoned lock is still usable.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.loaded.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Loaded> {
        self.loaded.write().unwrap_or_else(|e| e.into_inner())
    }
}

pub async fn load(store: &Store) -> Result<FederationPolicy> {
    let (mode, blocked, allowed) = store::load(store).await?;
    Ok(FederationPolicy {
        mode: mode
            .as_deref()
            .map(FederationMode::parse)
            .transpose()?
            .unwrap_or_default(),
        blocked: blocked.into_iter().map(|b| b.domain).collect(),
        allowed,
    })
}

/// The host part of a `host` or `host:port` string.
fn bare_host(host: &str) -> &str {
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
}

/// Why the policy refuses `host` (`host` or `host:port`), if it does.
pub async fn refusal(data: &FederationData, host: &str) -> Result<Option<String>> {
    let policy = data.policy.current(&data.store).await?;
    let host = bare_host(host);
    Ok(policy.refuses(host).map(|why| format!("{host} {why}")))
}

/// Refuses (403) anything to do with a server the policy excludes.
pub async fn check(data: &FederationData, url: &Url) -> Result<()> {
    match refusal(data, url.host_str().unwrap_or_default()).await? {
        Some(why) => Err(Error::Forbidden(format!(
            "this instance does not federate: {why}"
        ))),
        None => Ok(()),
    }
}

/// The library's hook before every fetch and WebFinger lookup: the outbound
/// guard's URL check, then the federation policy.
#[derive(Clone)]
pub(crate) struct PolicyVerifier {
    pub data: FederationData,
}

#[async_trait::async_trait]
impl activitypub_federation::config::UrlVerifier for PolicyVerifier {
    async fn verify(
        &self,
        url: &Url,
    ) -> std::result::Result<(), activitypub_federation::error::Error> {
        if self.data.guard.check_url(url).is_err() {
            return Err(activitypub_federation::error::Error::UrlVerificationError(
                "that address may not be requested (private, loopback or not http(s))",
            ));
        }
        match refusal(&self.data, url.host_str().unwrap_or_default()).await {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err(activitypub_federation::error::Error::UrlVerificationError(
                "this instance does not federate with that server",
            )),
            Err(_) => Err(activitypub_federation::error::Error::UrlVerificationError(
                "the federation policy could not be read",
            )),
        }
    }
}

/// What blocking a domain undid at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blocked {
    /// Deliveries waiting for it, dropped (and counted as dropped).
    pub deliveries_dropped: u64,
    /// Its follows of our chapters and bodies, removed.
    pub followers_removed: u64,
    /// Our follows of its actors, ended.
    pub following_removed: u64,
    /// Its chapters' places in our union bodies, and our chapters' in its bodies.
    pub memberships_removed: u64,
}

/// Blocks a domain (and its subdomains): nothing more is taken from it, sent to
/// it or fetched from it, and what is already queued for it is dropped.
pub async fn block(data: &FederationData, domain: &str, reason: &str) -> Result<Blocked> {
    let domain = normalize_domain(domain)?;
    store::block(&data.store, &domain, reason.trim()).await?;
    data.policy.invalidate();
    let policy = data.policy.current(&data.store).await?;
    let refused = |host: &str| policy.refuses(bare_host(host)).is_some();
    let mut done = Blocked::default();
    let dropped: Vec<(i64, deliveries::Outcome)> = deliveries::pending_hosts(&data.store)
        .await?
        .into_iter()
        .filter(|(_, host)| refused(host))
        .map(|(id, _)| (id, deliveries::Outcome::Dropped))
        .collect();
    done.deliveries_dropped = dropped.len() as u64;
    deliveries::record(&data.store, &dropped, &[]).await?;
    // Read first, then write: a write transaction reads only through itself.
    let mut followers = Vec::new();
    let mut memberships = Vec::new();
    let mut read = data.store.acquire().await?;
    for group in unionhall_store::actors::list_local_groups(&data.store).await? {
        for follower in follows::followers_of(&data.store, &group.ap_id).await? {
            if refused(follower.follower.host_str().unwrap_or_default()) {
                followers.push((group.ap_id.clone(), follower.follower));
            }
        }
        // A body does not keep (or relay to) chapters of a blocked server, and
        // our chapters leave its bodies.
        for member in unions::members_of(&mut read, &group.ap_id).await? {
            if refused(member.chapter.host_str().unwrap_or_default()) {
                memberships.push((Side::Body, group.ap_id.clone(), member.chapter));
            }
        }
        for membership in unions::bodies_of(&data.store, &group.ap_id).await? {
            if refused(membership.body.host_str().unwrap_or_default()) {
                memberships.push((Side::Chapter, membership.body, group.ap_id.clone()));
            }
        }
    }
    drop(read);
    let following: Vec<Url> = follows::following(&data.store)
        .await?
        .into_iter()
        .map(|f| f.target)
        .filter(|target| refused(target.host_str().unwrap_or_default()))
        .collect();
    let mut tx = data.store.begin_write().await?;
    for (group, follower) in &followers {
        follows::remove_follower(&mut tx, group, follower).await?;
        done.followers_removed += 1;
    }
    for (side, body, chapter) in &memberships {
        if unions::remove(&mut tx, *side, body, chapter).await? {
            done.memberships_removed += 1;
        }
    }
    for target in &following {
        if follows::remove_following(&mut tx, target).await? {
            done.following_removed += 1;
        }
    }
    unionhall_store::commit(tx).await?;
    data.recent.following.clear();
    Ok(done)
}

pub async fn unblock(data: &FederationData, domain: &str) -> Result<bool> {
    let removed = store::unblock(&data.store, &normalize_domain(domain)?).await?;
    data.policy.invalidate();
    Ok(removed)
}

pub async fn allow(data: &FederationData, domain: &str) -> Result<()> {
    store::allow(&data.store, &normalize_domain(domain)?).await?;
    data.policy.invalidate();
    Ok(())
}

pub async fn disallow(data: &FederationData, domain: &str) -> Result<bool> {
    let removed = store::disallow(&data.store, &normalize_domain(domain)?).await?;
    data.policy.invalidate();
    Ok(removed)
}

pub async fn set_mode(data: &FederationData, mode: FederationMode) -> Result<()> {
    store::set_mode(&data.store, mode.as_str()).await?;
    data.policy.invalidate();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocking(domain: &str) -> FederationPolicy {
        FederationPolicy {
            mode: FederationMode::default(),
            blocked: vec![domain.to_owned()],
            allowed: Vec::new(),
        }
    }

    #[tokio::test]
    async fn callers_of_a_stale_policy_share_one_read() {
        let cache = Arc::new(PolicyCache::default());
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let (cache, reads) = (cache.clone(), reads.clone());
                tokio::spawn(async move {
                    cache
                        .current_or(async {
                            reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok(blocking("bad.example"))
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            let policy = caller.await.expect("task").expect("policy");
            assert_eq!(policy.blocked, ["bad.example"]);
        }
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_read_begun_before_a_change_is_not_kept() {
        let cache = PolicyCache::default();
        let (change, changed) = tokio::sync::oneshot::channel::<()>();
        let read = cache.current_or(async {
            // The policy changes in this process while the old one is read.
            let _ = changed.await;
            Ok(blocking("old.example"))
        });
        let (old, ()) = tokio::join!(read, async {
            tokio::task::yield_now().await;
            cache.invalidate();
            let _ = change.send(());
        });
        assert_eq!(old.expect("policy").blocked, ["old.example"]);
        let now = cache
            .current_or(async { Ok(blocking("new.example")) })
            .await
            .expect("policy");
        assert_eq!(now.blocked, ["new.example"], "read again after the change");
    }

    #[test]
    fn ports_are_not_part_of_the_host() {
        assert_eq!(bare_host("example.org:8443"), "example.org");
        assert_eq!(bare_host("example.org"), "example.org");
    }
}
