//! Moderation below and beside the instance policy (`policy.rs`):
//! - a chapter or body blocks one remote actor (an organizer's choice): the
//!   actor's follow and union membership end, and nothing it sends to that
//!   group is taken any more (403);
//! - this instance reports a remote object to its server (a `Flag` from the
//!   instance actor, naming no local account);
//! - an admin removes a local post (a `Delete` to the author's followers).

use crate::activities::lookup::resolve;
use crate::actors::ensure_instance_actor;
use crate::delivery::{enqueue, enqueue_to};
use crate::protocol::activities::IdOrObject;
use crate::protocol::{Delete, PUBLIC};
use crate::{Data, Error, FederationData, Result};
use activitypub_federation::kinds::activity::DeleteType;
use serde_json::{json, Value};
use std::collections::HashMap;
use unionhall_store::actor_blocks::{self, ActorBlock};
use unionhall_store::reports::{self, SentReport};
use unionhall_store::unions::{self, Side};
use unionhall_store::{actors as store_actors, follows, objects, posts};
use url::Url;

/// Longest comment sent with a report, in bytes.
const MAX_REPORT_COMMENT: usize = 2000;

/// What blocking an actor undid at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorBlocked {
    pub actor: Url,
    pub follow_removed: bool,
    pub membership_removed: bool,
}

/// `group` (a local handle) blocks `target` (`@handle@domain` or an actor id).
/// The blocked actor is not told (telling would invite it to come back under
/// another name); it simply receives nothing more from the group.
pub async fn block_actor(
    data: &Data,
    group: &str,
    target: &str,
    reason: &str,
) -> Result<ActorBlocked> {
    let local = local_group(data, group).await?;
    let actor = target_id(data, target).await?;
    if data.urls.is_local(&actor) {
        return Err(Error::BadRequest(format!(
            "{actor} is on this instance: blocks are for remote actors"
        )));
    }
    let mut tx = data.store.begin_write().await?;
    actor_blocks::insert(&mut tx, &local.ap_id, &actor, reason.trim()).await?;
    let follow_removed = follows::remove_follower(&mut tx, &local.ap_id, &actor)
        .await?
        .is_some();
    let membership_removed = unions::remove(&mut tx, Side::Body, &local.ap_id, &actor).await?;
    unionhall_store::commit(tx).await?;
    data.actor_blocks.invalidate();
    Ok(ActorBlocked {
        actor,
        follow_removed,
        membership_removed,
    })
}

pub async fn unblock_actor(data: &Data, group: &str, actor: &Url) -> Result<bool> {
    let local = local_group(data, group).await?;
    let removed = actor_blocks::remove(&data.store, &local.ap_id, actor).await?;
    data.actor_blocks.invalidate();
    Ok(removed)
}

pub async fn blocks_of(data: &Data, group: &str) -> Result<Vec<ActorBlock>> {
    let local = local_group(data, group).await?;
    Ok(actor_blocks::of(&data.store, &local.ap_id).await?)
}

async fn local_group(data: &Data, handle: &str) -> Result<store_actors::ActorRow> {
    store_actors::local_by_handle(&data.store, handle)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no chapter or body @{handle} here")))
}

/// An actor id as given, or looked up by `@handle@domain`. An id is taken as
/// it is: a hostile actor's server need not answer for it to be blocked.
async fn target_id(data: &Data, target: &str) -> Result<Url> {
    let target = target.trim();
    if target.starts_with("http://") || target.starts_with("https://") {
        return Ok(Url::parse(target)?);
    }
    Ok(resolve(data, target).await?.0.ap_id)
}

/// Remote actors blocked by our chapters and bodies: the blocked actor's id,
/// and the groups that block it. Kept in memory for a second (`fresh.rs`): the
/// inbox consults it for every activity.
pub type BlockedActors = HashMap<String, Vec<Url>>;

async fn load_blocks(store: &unionhall_store::Store) -> Result<BlockedActors> {
    let mut blocked: BlockedActors = HashMap::new();
    for (actor, blocker) in actor_blocks::all(store).await? {
        blocked.entry(actor.into()).or_default().push(blocker);
    }
    Ok(blocked)
}

/// The local groups that have blocked `actor`.
pub async fn blockers_of(data: &FederationData, actor: &Url) -> Result<Vec<Url>> {
    let blocked = data.actor_blocks.get_or(load_blocks(&data.store)).await?;
    Ok(blocked.get(actor.as_str()).cloned().unwrap_or_default())
}

/// Refuses (403) an activity from `actor` aimed at a local group that blocks
/// it: the group is addressed, acted on, or owns an object the activity names,
/// or the activity came to the group's own inbox.
pub async fn check_actor_blocks(
    data: &Data,
    actor: &Url,
    body: &[u8],
    inbox_of: Option<&str>,
) -> Result<()> {
    let blockers = blockers_of(data, actor).await?;
    if blockers.is_empty() {
        return Ok(());
    }
    let mut aimed_at = Vec::new();
    if let Some(handle) = inbox_of {
        aimed_at.push(data.urls.actor(handle));
    }
    let activity: Value = serde_json::from_slice(body)?;
    let mut named = Vec::new();
    if !local_urls(data, &activity, 0, &mut named) {
        // Padding an activity with our URLs must not carry it past a block.
        return Err(Error::Forbidden(format!(
            "{actor} is blocked here by some groups, and this activity names more of \
             this instance's URLs ({MAX_NAMED}) or nests deeper ({MAX_DEPTH}) than are checked"
        )));
    }
    for url in named {
        match actor_blocks::author_of(&data.store, &url).await? {
            Some(author) => aimed_at.push(author),
            None => aimed_at.push(url),
        }
    }
    match blockers.iter().find(|b| aimed_at.contains(b)) {
        Some(blocker) => Err(Error::Forbidden(format!("{blocker} has blocked {actor}"))),
        None => Ok(()),
    }
}

/// How many distinct URLs of ours, and how deep, an activity from a blocked
/// actor is searched for the groups it is aimed at.
const MAX_NAMED: usize = 64;
const MAX_DEPTH: usize = 8;

/// Every URL of this instance anywhere in `value` (bounded in depth and count:
/// the body is at most the inbox's size limit, but nesting costs stack and
/// each URL a lookup). False if the bound was reached before the end.
fn local_urls(data: &Data, value: &Value, depth: usize, out: &mut Vec<Url>) -> bool {
    match value {
        Value::String(s) if s.starts_with("http") => {
            if let Ok(url) = Url::parse(s) {
                if data.urls.is_local(&url) && !out.contains(&url) {
                    if out.len() == MAX_NAMED {
                        return false;
                    }
                    out.push(url);
                }
            }
            true
        }
        Value::Array(_) | Value::Object(_) if depth >= MAX_DEPTH => false,
        Value::Array(items) => items.iter().all(|v| local_urls(data, v, depth + 1, out)),
        Value::Object(map) => map.values().all(|v| local_urls(data, v, depth + 1, out)),
        _ => true,
    }
}

/// Reports `object` (a remote actor or post) to its server: a `Flag` from the
/// instance actor naming the object and its author, with `comment`. The other
/// server learns that this instance reported it, never which account asked.
pub async fn report_remote(data: &Data, object: &Url, comment: &str) -> Result<SentReport> {
    if data.urls.is_local(object) {
        return Err(Error::BadRequest(format!(
            "{object} is on this instance: remove it instead of reporting it"
        )));
    }
    let comment = comment.trim();
    if comment.len() > MAX_REPORT_COMMENT {
        return Err(Error::BadRequest(format!(
            "the comment is longer than {MAX_REPORT_COMMENT} bytes"
        )));
    }
    crate::policy::check(data, object).await?;
    let author = author_of_remote(data, object).await?;
    let instance = ensure_instance_actor(&data.store, &data.urls, &data.vault)
        .await?
        .0;
    let mut named = vec![author.ap_id.clone()];
    if *object != author.ap_id {
        named.push(object.clone());
    }
    let id = data.urls.new_activity_id();
    let flag = json!({
        "type": "Flag", "id": id, "actor": instance.ap_id,
        "object": named, "content": comment, "to": [author.ap_id],
    });
    let mut tx = data.store.begin_write().await?;
    let sent = reports::insert_sent(&mut tx, &id, object, comment).await?;
    enqueue_to(&mut tx, data, &instance, &id, &flag, &author).await?;
    unionhall_store::commit(tx).await?;
    data.wake_delivery();
    Ok(sent)
}

/// The actor `object` is, or the one it is attributed to.
async fn author_of_remote(data: &Data, object: &Url) -> Result<store_actors::ActorRow> {
    if let Ok(actor) = resolve(data, object.as_str()).await {
        return Ok(actor.0);
    }
    let fetched: Value = activitypub_federation::fetch::fetch_object_http::<_, Value>(object, data)
        .await?
        .object;
    let author = ["attributedTo", "actor"]
        .iter()
        .find_map(|field| match fetched.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(items)) => items.first().and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        })
        .ok_or_else(|| Error::Remote(format!("{object} names no author")))?;
    Ok(resolve(data, &author).await?.0)
}

/// Removes a local post (a note or campaign update) as an admin: it is marked
/// deleted here and a `Delete` goes to its author's followers.
pub async fn remove_local_post(data: &Data, post: &Url) -> Result<()> {
    let found = posts::by_ap_id(&data.store, post)
        .await?
        .filter(|p| p.is_local && p.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no post {post} on this instance")))?;
    let author = store_actors::by_ap_id(&data.store, &found.author)
        .await?
        .ok_or_else(|| Error::Internal(format!("the author of {post} is gone")))?;
    let delete = Delete {
        kind: DeleteType::Delete,
        id: data.urls.new_activity_id(),
        actor: author.ap_id.clone(),
        object: IdOrObject::Id(post.clone()),
        to: Url::parse(PUBLIC).into_iter().collect(),
    };
    let mut tx = data.store.begin_write().await?;
    objects::delete(&mut tx, objects::Kind::Post, post, &author.ap_id).await?;
    let inboxes = follows::follower_inboxes(&mut tx, &author.ap_id).await?;
    enqueue(&mut tx, data, &author, &delete.id, &delete, &inboxes, true).await?;
    unionhall_store::commit(tx).await?;
    data.wake_delivery();
    Ok(())
}
