//! What software a peer runs, from its NodeInfo (`/.well-known/nodeinfo`,
//! then the 2.x document it links to), learned when one of its actors follows
//! one of our groups and remembered for a day: group-aware servers (Lemmy and
//! its kin) read what a group publishes only in the FEP-1b12 form
//! (`group_posts.rs`). A peer whose NodeInfo cannot be read is taken for an
//! ordinary server, and asked again the next day.

use crate::{Data, Error, Result};
use serde::Deserialize;
use unionhall_store::outbox::host_of;
use unionhall_store::{now_millis, peer_software};
use url::Url;

/// How long what a peer runs is taken as known.
const KNOWN_FOR_MS: i64 = 24 * 3600 * 1000;

/// Largest NodeInfo document read, in bytes.
const MAX_BYTES: usize = 64 * 1024;

/// Finds out (unless known) what the server of `actor` runs, and remembers it.
pub(crate) async fn learn(data: &Data, actor: &Url) {
    let host = host_of(actor);
    match peer_software::of(&data.store, &host).await {
        Ok(Some((_, checked_at))) if now_millis() - checked_at < KNOWN_FOR_MS => return,
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(%host, "reading what a peer runs failed: {err}");
            return;
        }
    }
    let software = match read_nodeinfo(data, actor).await {
        Ok(name) => name,
        Err(err) => {
            tracing::info!(%host, "the peer's NodeInfo could not be read: {err}");
            String::new()
        }
    };
    if let Err(err) = peer_software::remember(&data.store, &host, &software, now_millis()).await {
        tracing::warn!(%host, "remembering what a peer runs failed: {err}");
    }
}

/// Whether the server of `actor` reads groups as Lemmy does (found out now,
/// unless known).
pub(crate) async fn is_group_aware(data: &Data, actor: &Url) -> Result<bool> {
    learn(data, actor).await;
    known_group_aware(data, actor).await
}

/// Whether the server of `actor` is known to read groups as Lemmy does
/// (without asking it).
pub(crate) async fn known_group_aware(data: &Data, actor: &Url) -> Result<bool> {
    let known = peer_software::of(&data.store, &host_of(actor)).await?;
    Ok(known.is_some_and(|(name, _)| crate::group_posts::GROUP_AWARE.contains(&name.as_str())))
}

#[derive(Deserialize)]
struct Links {
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct Link {
    rel: String,
    href: Url,
}

#[derive(Deserialize)]
struct NodeInfo {
    software: Software,
}

#[derive(Deserialize)]
struct Software {
    name: String,
}

/// The software name of the server `actor` lives on, lower case.
async fn read_nodeinfo(data: &Data, actor: &Url) -> Result<String> {
    let mut well_known = actor.clone();
    well_known.set_path("/.well-known/nodeinfo");
    well_known.set_query(None);
    well_known.set_fragment(None);
    let links: Links = get_json(&well_known, data).await?;
    let document = links
        .links
        .into_iter()
        .filter(|l| {
            l.rel
                .starts_with("http://nodeinfo.diaspora.software/ns/schema/2.")
        })
        .map(|l| l.href)
        .find(|href| host_of(href) == host_of(actor))
        .ok_or_else(|| Error::Remote("no NodeInfo 2.x on the server itself".into()))?;
    let info: NodeInfo = get_json(&document, data).await?;
    Ok(info.software.name.to_lowercase())
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &Url, data: &Data) -> Result<T> {
    let what = format!("reading {url}");
    crate::http_client::get_small_json(data, url, "application/json", MAX_BYTES, &what).await
}
