//! What a chapter published before we followed it. Deliveries only bring what
//! comes after the chapter's Accept, so a member who follows a campaign would
//! otherwise see none of its earlier updates, calls or strikes. Once the Accept
//! arrives, the newest public Creates of the chapter's outbox are taken, oldest
//! first, and each object is fetched as it now is (a call met since, a strike
//! ended since, an update deleted since) and stored as if it had been delivered.
//!
//! The Accept's transaction records the backfill as due (`following.backfill_due`),
//! and the attempt starts at once. An attempt that fails (the chapter's server
//! unreachable, say) is tried again after five times `retry_base`, then after
//! waits as long as the time since the Accept (so they double), until
//! `delivery_expiry` after the Accept; one cut short by a crash is taken up
//! again when its lease ends, by the runner every instance process starts. The
//! fetches are signed by the instance actor and carry nothing about who here
//! follows the chapter.

use super::receive::receive_object;
use crate::protocol::ActivityObject;
use crate::{Data, Error, FederationSettings, Result};
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::protocol::verification::verify_domains_match;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use unionhall_store::{follows, now_millis};
use url::Url;

/// At most this many of the outbox's items are taken (ours shows 20).
const MOST_ITEMS: usize = 20;
/// Claimed backfills per round of the runner.
const CLAIMS_PER_ROUND: i64 = 4;

/// How long an attempt holds its backfill before another may take it: time
/// for every fetch of one attempt to time out.
pub(crate) fn lease_ms(settings: &FederationSettings) -> i64 {
    settings.request_timeout.as_millis() as i64 * (MOST_ITEMS as i64 + 4)
}

/// Attempts the backfill of `chapter` now, in the background.
pub(crate) fn spawn(data: &Data, chapter: Url) {
    let data = data.reset_request_count();
    tokio::spawn(async move { attempt(&data, &chapter, now_millis()).await });
}

/// Takes up the backfills that are due (failed before, or cut short by a
/// stop), every `retry_base`, until `shutdown` turns true.
pub fn spawn_runner(data: Data, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(data.settings.retry_base) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
            let lease_until = now_millis() + lease_ms(&data.settings);
            let due = follows::claim_due_backfills(&data.store, CLAIMS_PER_ROUND, lease_until);
            for claimed in due.await.unwrap_or_else(|err| {
                tracing::warn!("claiming due backfills failed: {err}");
                Vec::new()
            }) {
                attempt(&data, &claimed.target, claimed.accepted_at).await;
            }
        }
    })
}

/// One attempt; records it done, or when to try again, or that it is given up.
async fn attempt(data: &Data, chapter: &Url, accepted_at: i64) {
    let next = match backfill(data, chapter).await {
        Ok(stored) => {
            tracing::info!(%chapter, stored, "backfilled what the chapter published before");
            None
        }
        Err(err)
            if now_millis() - accepted_at > data.settings.delivery_expiry.as_millis() as i64 =>
        {
            tracing::warn!(%chapter, "backfill given up: {err}");
            None
        }
        Err(err) => {
            tracing::warn!(%chapter, "backfill failed, to be tried again: {err}");
            // Waits that double, as a delivery's: a server whose outbox never
            // answers costs a dozen tries in three days, not one every round.
            let first_wait = 5 * data.settings.retry_base.as_millis() as i64;
            Some(now_millis() + first_wait.max(now_millis() - accepted_at))
        }
    };
    if let Err(err) = follows::set_backfill_due(&data.store, chapter, next).await {
        tracing::warn!(%chapter, "recording the backfill failed: {err}");
    }
}

/// Stores what `chapter` published before we followed it; returns how many
/// objects were taken.
pub async fn backfill(data: &Data, chapter: &Url) -> Result<usize> {
    crate::policy::check(data, chapter).await?;
    let actor = fetch_json(data, chapter).await?;
    // Without an outbox there is nothing to take, now or later.
    let Some(outbox) = url_field(&actor, "outbox") else {
        return Ok(0);
    };
    verify_domains_match(&outbox, chapter)?;
    let items = items_of(data, chapter, fetch_json(data, &outbox).await?).await?;
    let mut stored = 0;
    // Outboxes list the newest first; applied oldest first, as they happened.
    for item in items.iter().take(MOST_ITEMS).rev() {
        match take(data, chapter, item).await {
            Ok(true) => stored += 1,
            Ok(false) => {}
            Err(err) => tracing::debug!(%chapter, "an outbox item was left out: {err}"),
        }
    }
    Ok(stored)
}

/// A collection's items, inline or on its first page.
async fn items_of(data: &Data, chapter: &Url, collection: Value) -> Result<Vec<Value>> {
    let inline = |page: &Value| {
        ["orderedItems", "items"]
            .iter()
            .find_map(|field| page.get(field).and_then(Value::as_array).cloned())
    };
    if let Some(items) = inline(&collection) {
        return Ok(items);
    }
    let first = match collection.get("first") {
        Some(Value::String(url)) => {
            let url = Url::parse(url).map_err(|err| Error::Remote(format!("first page: {err}")))?;
            verify_domains_match(&url, chapter)?;
            fetch_json(data, &url).await?
        }
        Some(page @ Value::Object(_)) => page.clone(),
        _ => Value::Null,
    };
    Ok(inline(&first).unwrap_or_default())
}

/// Stores one outbox item if it is a Create by the chapter (bare, or as the
/// chapter's Announce of it, the form group-aware servers read: see
/// `group_posts.rs`; a Lemmy community's Announce of its member's post)
/// whose object can still be fetched; false for anything else. Only the object's id is taken from the item: the object is read
/// from the chapter's server as it now is.
async fn take(data: &Data, chapter: &Url, item: &Value) -> Result<bool> {
    let kind = |v: &Value| v.get("type").and_then(Value::as_str).map(str::to_owned);
    let by_chapter = url_field(item, "actor").as_ref() == Some(chapter);
    let create = match kind(item).as_deref() {
        Some("Create") if by_chapter => item,
        Some("Announce") if by_chapter => match item.get("object") {
            Some(inner) if kind(inner).as_deref() == Some("Create") => inner,
            _ => return Ok(false),
        },
        _ => return Ok(false),
    };
    let id = url_field(create, "id").ok_or_else(|| Error::Remote("a Create without id".into()))?;
    verify_domains_match(&id, chapter)?;
    let object_id = match create.get("object") {
        Some(Value::String(url)) => Url::parse(url).ok(),
        Some(object) => url_field(object, "id"),
        None => None,
    }
    .ok_or_else(|| Error::Remote(format!("{id} names no object")))?;
    verify_domains_match(&object_id, chapter)?;
    // A community's post: its author is one of the community's members.
    if super::community::is_followed(data, chapter).await? {
        return super::community::take(data, chapter, &id, &object_id).await;
    }
    // As it is now, not as it was created; a deleted one is gone (an error).
    let data = data.reset_request_count();
    let current = fetch_json(&data, &object_id).await?;
    if url_field(&current, "id").as_ref() != Some(&object_id) {
        return Err(Error::Remote(format!(
            "{object_id} answered with another object"
        )));
    }
    let object: ActivityObject = serde_json::from_value(current)
        .map_err(|err| Error::Remote(format!("{object_id} is unreadable: {err}")))?;
    let received = super::Received {
        id: &id,
        actor: chapter,
        raw: None,
        relayed_by: None,
    };
    receive_object(&data, received, object).await?;
    Ok(true)
}

async fn fetch_json(data: &Data, url: &Url) -> Result<Value> {
    Ok(fetch_object_http::<_, Value>(url, data).await?.object)
}

fn url_field(value: &Value, field: &str) -> Option<Url> {
    value.get(field)?.as_str().and_then(|s| Url::parse(s).ok())
}
