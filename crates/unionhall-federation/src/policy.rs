//! The instance's federation policy in force: read from the database (where the
//! CLI changes it), cached for a second (`fresh.rs`) so the inbox does not
//! query it on every request, and enforced at each point where this instance
//! meets another: the inbox (before any key is fetched), every fetch and
//! WebFinger lookup (the library's URL verifier), and every delivery (dropped,
//! not sent).

use crate::fresh::Fresh;
use crate::{Error, FederationData, Result};
use std::sync::Arc;
use unionhall_domain::blocklist::{self, Listed, Severity};
use unionhall_domain::{normalize_domain, FederationMode, FederationPolicy};
use unionhall_store::unions::{self, Side};
use unionhall_store::{deliveries, follows, policy as store, Store};
use url::Url;

/// The policy in force, as read from the database at most a second ago.
pub type PolicyCache = Fresh<FederationPolicy>;

impl PolicyCache {
    pub async fn current(&self, store: &Store) -> Result<Arc<FederationPolicy>> {
        self.get_or(load(store)).await
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
    cut_off(data).await
}

/// What importing a block list did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Domains blocked now that were not before.
    pub blocked: Vec<String>,
    /// Domains of the list blocked here already (their reasons kept).
    pub already: usize,
    /// Rows not imported, and why.
    pub skipped: Vec<(String, &'static str)>,
    /// What the new blocks undid at once.
    pub undone: Blocked,
}

/// Blocks every `suspend` domain of a list read by
/// [`unionhall_domain::blocklist::parse`] (and `silence` ones if
/// `include_silenced`), with the list's comment as the reason, then cuts them
/// off as [`block`] does.
pub async fn import_blocks(
    data: &FederationData,
    listed: Vec<Listed>,
    include_silenced: bool,
) -> Result<Imported> {
    let mut imported = Imported::default();
    let mut wanted = Vec::new();
    for row in listed {
        match row {
            Listed::Obfuscated { domain } => imported.skipped.push((
                domain,
                "obfuscated by its source: cannot be blocked by name",
            )),
            Listed::Block {
                domain,
                severity: Severity::Silence,
                ..
            } if !include_silenced => imported.skipped.push((
                domain,
                "silenced, not suspended, at its source (--include-silenced blocks these too)",
            )),
            Listed::Block {
                domain,
                severity: Severity::Noop,
                ..
            } => imported
                .skipped
                .push((domain, "not blocked at its source (severity noop)")),
            Listed::Block {
                domain, comment, ..
            } => {
                if !wanted.iter().any(|(d, _)| d == &domain) {
                    wanted.push((domain, comment));
                }
            }
        }
    }
    imported.blocked = store::block_new(&data.store, &wanted).await?;
    imported.already = wanted.len() - imported.blocked.len();
    imported.undone = cut_off(data).await?;
    Ok(imported)
}

/// The block list as Mastodon exports it.
pub async fn export_blocks(data: &FederationData) -> Result<String> {
    let blocked = store::load(&data.store).await?.1;
    Ok(blocklist::to_csv(
        blocked
            .iter()
            .map(|b| (b.domain.as_str(), b.reason.as_str())),
    ))
}

/// Drops what is queued for blocked servers and ends follows and memberships
/// with them, after a change of the block list.
async fn cut_off(data: &FederationData) -> Result<Blocked> {
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

    #[test]
    fn ports_are_not_part_of_the_host() {
        assert_eq!(bare_host("example.org:8443"), "example.org");
        assert_eq!(bare_host("example.org"), "example.org");
    }
}
