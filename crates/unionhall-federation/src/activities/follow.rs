//! Follow, Accept, Reject and Undo(Follow): chapters being followed by remote
//! instances, and this instance following remote chapters.
//!
//! This instance follows through its instance actor, once for all its members: the
//! remote side learns that an instance follows, never who (DESIGN.md section 3).

use super::{first_time, resolve, same_actor, wake};
use crate::actors::{ensure_instance_actor, DbActor};
use crate::delivery::enqueue_to;
use crate::protocol::activities::{Answer, Answered, UndoObject};
use crate::protocol::campaign::CampaignJson;
use crate::protocol::{Accept, Follow, Reject, Undo};
use crate::{Data, Error, Result};
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{AcceptType, RejectType, UndoType};
use activitypub_federation::protocol::verification::verify_domains_match;
use unionhall_domain::ActorKind;
use unionhall_store::actors::{self as store_actors, ActorRow};
use unionhall_store::campaigns::{self, CampaignRow};
use unionhall_store::{actor_blocks, follows, now_millis};
use url::Url;

/// Makes this instance follow a remote chapter or body. Returns the target; the
/// follow counts once the target's Accept arrives.
pub async fn follow_remote(data: &Data, target: &str) -> Result<ActorRow> {
    let target = resolve(data, target).await?.0;
    if target.is_local {
        return Err(Error::BadRequest(format!(
            "{} is on this instance",
            target.ap_id
        )));
    }
    let follower = follower_for(data, &target.ap_id).await?;
    let follow = Follow::new(
        data.urls.new_activity_id(),
        follower.ap_id.clone(),
        target.ap_id.clone(),
    );
    let mut tx = data.store.begin_write().await?;
    follows::insert_following(&mut tx, &target.ap_id, &follower.ap_id, &follow.id).await?;
    enqueue_to(&mut tx, data, &follower, &follow.id, &follow, &target).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(target)
}

/// Stops following a remote chapter: sends Undo(Follow) and forgets the follow.
pub async fn unfollow_remote(data: &Data, target: &str) -> Result<ActorRow> {
    let target = resolve(data, target).await?.0;
    let Some(current) = follows::following(&data.store)
        .await?
        .into_iter()
        .find(|f| f.target == target.ap_id)
    else {
        return Err(Error::NotFound(format!(
            "this instance does not follow {}",
            target.ap_id
        )));
    };
    let follower = match store_actors::by_ap_id(&data.store, &current.follower).await? {
        Some(row) if row.is_local => row,
        _ => follower_for(data, &target.ap_id).await?,
    };
    let undo = Undo {
        kind: UndoType::Undo,
        id: data.urls.new_activity_id(),
        actor: follower.ap_id.clone(),
        object: UndoObject::Follow(Follow::new(
            current.follow_id,
            follower.ap_id.clone(),
            target.ap_id.clone(),
        )),
    };
    let mut tx = data.store.begin_write().await?;
    follows::remove_following(&mut tx, &target.ap_id).await?;
    enqueue_to(&mut tx, data, &follower, &undo.id, &undo, &target).await?;
    unionhall_store::commit(tx).await?;
    data.recent.following.forget(&target.ap_id);
    wake(data);
    Ok(target)
}

/// Who of ours follows `target`: the instance actor, or on a group-aware
/// server (a Lemmy community), the reader, an actor such servers deliver to.
async fn follower_for(data: &Data, target: &Url) -> Result<ActorRow> {
    if crate::software::is_group_aware(data, target).await? {
        return crate::actors::ensure_reader_actor(&data.store, &data.urls, &data.vault).await;
    }
    Ok(ensure_instance_actor(&data.store, &data.urls, &data.vault)
        .await?
        .0)
}

/// The local chapter or body a Follow or Undo names, or 404.
async fn local_group(data: &Data, id: &Url) -> Result<ActorRow> {
    match store_actors::by_ap_id(&data.store, id).await? {
        Some(row) if row.is_local && matches!(row.kind, ActorKind::Chapter | ActorKind::Union) => {
            Ok(row)
        }
        _ => Err(Error::NotFound(format!(
            "no chapter or union body {id} here"
        ))),
    }
}

fn accept_of(data: &Data, local: &ActorRow, follow: Follow) -> Accept {
    Accept {
        kind: AcceptType::Accept,
        id: data.urls.new_activity_id(),
        actor: local.ap_id.clone(),
        object: Answered::Follow(follow),
    }
}

pub async fn receive_follow(follow: Follow, data: &Data) -> Result<()> {
    let local = local_group(data, &follow.object).await?;
    let follower = store_actors::by_ap_id(&data.store, &follow.actor)
        .await?
        .ok_or_else(|| Error::Internal(format!("{} was not cached", follow.actor)))?;
    let auto_accept = !local.manually_approves_followers;
    // Before anything is sent to it: whether its server reads groups as
    // Lemmy does (`group_posts.rs`).
    crate::software::learn(data, &follow.actor).await;
    let mut tx = data.store.begin_write().await?;
    // Checked again where the follow is written: the inbox's copy of the
    // blocks may be a second old, and a block must not be raced.
    if actor_blocks::blocks(&mut tx, &local.ap_id, &follow.actor).await? {
        return Err(Error::Forbidden(format!(
            "{} has blocked {}",
            local.ap_id, follow.actor
        )));
    }
    if !first_time(&mut tx, &follow.id, &follow.actor).await? {
        return Ok(());
    }
    follows::upsert_follower(
        &mut tx,
        &local.ap_id,
        &follow.actor,
        &follow.id,
        auto_accept,
    )
    .await?;
    if auto_accept {
        let accept = accept_of(data, &local, follow);
        enqueue_to(&mut tx, data, &local, &accept.id, &accept, &follower).await?;
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(())
}

/// What an organizer decides about a follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Approve a pending follower (chapters that approve by hand).
    Accept,
    /// Refuse a pending follower, or remove an accepted one.
    Reject,
}

/// An organizer's answer to a follower of one of this instance's chapters: the
/// follower's server gets an Accept or a Reject of its Follow.
pub async fn answer_follower(
    data: &Data,
    handle: &str,
    follower: &Url,
    decision: Decision,
) -> Result<()> {
    let local = store_actors::local_by_handle(&data.store, handle)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no chapter or body @{handle} here")))?;
    let not_following = || Error::NotFound(format!("{follower} does not follow @{handle}"));
    let follower_row = store_actors::by_ap_id(&data.store, follower)
        .await?
        .ok_or_else(not_following)?;
    let mut tx = data.store.begin_write().await?;
    let follow_id = match decision {
        Decision::Accept => follows::accept_follower(&mut tx, &local.ap_id, follower).await?,
        Decision::Reject => follows::remove_follower(&mut tx, &local.ap_id, follower).await?,
    }
    .ok_or_else(not_following)?;
    let follow = Answered::Follow(Follow::new(
        follow_id,
        follower.clone(),
        local.ap_id.clone(),
    ));
    let (id, actor) = (data.urls.new_activity_id(), local.ap_id.clone());
    match decision {
        Decision::Accept => {
            let answer = Answer {
                kind: AcceptType::Accept,
                id,
                actor,
                object: follow,
            };
            enqueue_to(&mut tx, data, &local, &answer.id, &answer, &follower_row).await?;
        }
        Decision::Reject => {
            let answer = Answer {
                kind: RejectType::Reject,
                id,
                actor,
                object: follow,
            };
            enqueue_to(&mut tx, data, &local, &answer.id, &answer, &follower_row).await?;
        }
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(())
}

/// The object of an Accept or Reject must be a Follow of the accepting actor.
fn check_answered_follow(answer: &Answered, answering: &Url) -> Result<()> {
    match answer {
        Answered::Follow(follow) => same_actor(&follow.object, answering, "answer a follow"),
        Answered::Join(join) => same_actor(&join.object, answering, "answer a join"),
        Answered::Id(_) | Answered::Object { .. } => Ok(()),
    }
}

pub async fn receive_accept(accept: Accept, data: &Data) -> Result<()> {
    check_answered_follow(&accept.object, &accept.actor)?;
    if super::union::receive_answer(data, &accept.id, &accept.actor, &accept.object, true).await? {
        return Ok(());
    }
    let mut tx = data.store.begin_write().await?;
    if !first_time(&mut tx, &accept.id, &accept.actor).await? {
        return Ok(());
    }
    // Matches only our follow of this very actor with this very Follow id.
    // The backfill is due once this attempt's lease ends: recorded with the
    // Accept, it is not lost if the attempt is cut short.
    let backfill_due = now_millis() + super::backfill::lease_ms(&data.settings);
    let ours =
        follows::mark_following_accepted(&mut tx, &accept.actor, accept.object.id(), backfill_due)
            .await?;
    unionhall_store::commit(tx).await?;
    if ours {
        super::backfill::spawn(data, accept.actor);
    }
    Ok(())
}

pub async fn receive_reject(reject: Reject, data: &Data) -> Result<()> {
    check_answered_follow(&reject.object, &reject.actor)?;
    if super::union::receive_answer(data, &reject.id, &reject.actor, &reject.object, false).await? {
        return Ok(());
    }
    let ours = follows::following(&data.store)
        .await?
        .into_iter()
        .any(|f| f.target == reject.actor && &f.follow_id == reject.object.id());
    let mut tx = data.store.begin_write().await?;
    if !first_time(&mut tx, &reject.id, &reject.actor).await? {
        return Ok(());
    }
    if ours {
        follows::remove_following(&mut tx, &reject.actor).await?;
    }
    unionhall_store::commit(tx).await?;
    data.recent.following.forget(&reject.actor);
    Ok(())
}

pub async fn receive_undo(undo: Undo, data: &Data) -> Result<()> {
    let mut tx = data.store.begin_write().await?;
    if let UndoObject::Follow(follow) = &undo.object {
        same_actor(&follow.actor, &undo.actor, "undo a follow")?;
    }
    if !first_time(&mut tx, &undo.id, &undo.actor).await? {
        return Ok(());
    }
    if let UndoObject::Follow(follow) = &undo.object {
        follows::remove_follower(&mut tx, &follow.object, &undo.actor).await?;
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}

/// Finds a campaign by its address (ours, one we have, or one fetched from its
/// chapter's server), and follows its chapter for all of this instance's
/// members, unless it does already.
pub async fn follow_campaign(data: &Data, url: &Url) -> Result<CampaignRow> {
    let mut conn = data.store.acquire().await?;
    if let Some(row) = campaigns::by_ap_id(&mut conn, url).await? {
        drop(conn);
        ensure_following(data, &row.author).await?;
        return Ok(row);
    }
    drop(conn);
    if data.urls.is_local(url) {
        return Err(Error::NotFound(format!("no campaign {url} here")));
    }
    let fetched = fetch_object_http::<_, CampaignJson>(url, data)
        .await?
        .object;
    if &fetched.id != url {
        return Err(Error::Remote(format!(
            "{url} answered with another object, {}",
            fetched.id
        )));
    }
    verify_domains_match(&fetched.id, &fetched.attributed_to)?;
    ObjectId::<DbActor>::from(fetched.attributed_to.clone())
        .dereference(data)
        .await?;
    let mut tx = data.store.begin_write().await?;
    super::campaign::store_campaign(&mut tx, &fetched).await?;
    let row = campaigns::by_ap_id(&mut tx, url)
        .await?
        .ok_or_else(|| Error::Internal("the campaign vanished".into()))?;
    unionhall_store::commit(tx).await?;
    ensure_following(data, &row.author).await?;
    Ok(row)
}

async fn ensure_following(data: &Data, chapter: &Url) -> Result<()> {
    if data.urls.is_local(chapter) || follows::is_following(&data.store, chapter).await? {
        return Ok(());
    }
    follow_remote(data, chapter.as_str()).await?;
    Ok(())
}
