//! Replies from anywhere on the fediverse to our calls, strikes and posts: a
//! Lemmy comment on a call it shows as a post, a Mastodon reply. Each is kept
//! under the object it answers (a comment on a comment, under the same one),
//! counted, and shown to the chapter's own members on the object's page (a
//! call's, a strike's or a post's), limited per actor and per domain an hour
//! (`flood.rs`). It is never sent on: a chapter's followers get
//! what the chapter says, not what strangers answer.

use super::first_time;
use crate::flood::Flood;
use crate::protocol::NoteJson;
use crate::{Data, Result};
use unionhall_store::objects;
use unionhall_store::replies::{self, Reply};
use url::Url;

/// The object of ours that a reply to `target` belongs under: `target` itself
/// if it is ours, the object a reply we hold answers, else None (not a reply
/// to anything of ours).
pub(crate) async fn thread_of(data: &Data, target: &Url) -> Result<Option<Url>> {
    let mut conn = data.store.acquire().await?;
    if data.urls.is_local(target) {
        return Ok(objects::owner_of(&mut conn, target)
            .await?
            .filter(|owner| owner.is_local)
            .map(|_| target.clone()));
    }
    Ok(replies::thread_of(&mut conn, target).await?)
}

/// Keeps `note` (checked already: its author sent it, from its own server) as
/// a reply under `object`; a redelivery changes nothing, an edit by its
/// author replaces the text.
pub(crate) async fn receive(
    data: &Data,
    id: &Url,
    actor: &Url,
    note: NoteJson,
    object: &Url,
) -> Result<()> {
    let reply = Reply {
        ap_id: note.id,
        author: actor.clone(),
        content: note.content.unwrap_or_default(),
        published_at: super::published_or_now(&note.published),
    };
    data.floods
        .check(&data.store, Flood::Replies, actor)
        .await?;
    let mut tx = data.store.begin_write().await?;
    let kept =
        first_time(&mut tx, id, actor).await? && replies::upsert(&mut tx, object, &reply).await?;
    unionhall_store::commit(tx).await?;
    if kept {
        data.floods
            .spend(&data.store, Flood::Replies, actor)
            .await?;
        tracing::debug!("a reply to one of our objects kept");
    }
    Ok(())
}
