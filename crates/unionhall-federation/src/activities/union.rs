//! Industrial union bodies: groups of chapters on any instance. A chapter
//! applies (Join), an officer admits it (Accept) or not (Reject), it may Leave.
//! The body relays (Announce, as FEP-1b12 groups do) what a member chapter
//! addresses to it (calls for support, strikes), to every other member.

use super::{first_time, local_group, local_group_for, resolve, wake};
use crate::delivery::enqueue_to;
use crate::protocol::activities::{Answer, Answered};
use crate::protocol::{Accept, Join, Leave, Reject};
use crate::{Data, Error, Result};
use activitypub_federation::kinds::activity::{AcceptType, RejectType};
use unionhall_domain::{ActorKind, Authority, Permission};
use unionhall_store::actor_blocks;
use unionhall_store::actors::{self as store_actors, ActorRow};
use unionhall_store::unions::{self, Membership, Side};
use unionhall_store::{now_millis, outbox};
use url::Url;

/// The body a chapter wants to join: one of ours by handle or id, or a remote
/// one by `@handle@domain` or id.
async fn find_body(data: &Data, target: &str) -> Result<ActorRow> {
    let target = target.trim();
    if let Ok(url) = Url::parse(target) {
        if data.urls.is_local(&url) {
            return store_actors::by_ap_id(&data.store, &url)
                .await?
                .filter(|a| a.kind == ActorKind::Union)
                .ok_or_else(|| Error::NotFound(format!("{url} is not a union body here")));
        }
        return Ok(resolve(data, target).await?.0);
    }
    let handle = target.trim_start_matches('@');
    let local = match handle.split_once('@') {
        None => Some(handle),
        Some((name, domain)) if domain == data.urls.domain() => Some(name),
        Some(_) => None,
    };
    match local {
        Some(handle) => local_group(data, handle, ActorKind::Union).await,
        None => Ok(resolve(data, target).await?.0),
    }
}

/// A chapter of ours applies to join a body.
pub async fn apply(
    data: &Data,
    by: &Authority,
    chapter_handle: &str,
    body: &str,
) -> Result<Membership> {
    let chapter = local_group_for(
        data,
        by,
        chapter_handle,
        ActorKind::Chapter,
        Permission::ManageRoles,
        "decide for this chapter",
    )
    .await?;
    let body = find_body(data, body).await?;
    let join = Join::new(
        data.urls.new_activity_id(),
        chapter.ap_id.clone(),
        body.ap_id.clone(),
    );
    let mut tx = data.store.begin_write().await?;
    if unions::get(&mut tx, Side::Chapter, &body.ap_id, &chapter.ap_id)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "{chapter_handle} has applied to {} already",
            body.ap_id
        )));
    }
    unions::apply(
        &mut tx,
        Side::Chapter,
        &body.ap_id,
        &chapter.ap_id,
        &join.id,
    )
    .await?;
    if body.is_local {
        unions::apply(&mut tx, Side::Body, &body.ap_id, &chapter.ap_id, &join.id).await?;
    } else {
        enqueue_to(&mut tx, data, &chapter, &join.id, &join, &body).await?;
    }
    let membership = unions::get(&mut tx, Side::Chapter, &body.ap_id, &chapter.ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the application vanished".into()))?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(membership)
}

/// A chapter elsewhere applies to one of our bodies; an officer decides.
pub async fn receive_join(join: Join, data: &Data) -> Result<()> {
    let body = store_actors::by_ap_id(&data.store, &join.object)
        .await?
        .filter(|a| a.is_local && a.kind == ActorKind::Union)
        .ok_or_else(|| Error::NotFound(format!("{} is not a union body here", join.object)))?;
    let mut tx = data.store.begin_write().await?;
    // As for a Follow: the block is checked where the application is written.
    if actor_blocks::blocks(&mut tx, &body.ap_id, &join.actor).await? {
        return Err(Error::Forbidden(format!(
            "{} has blocked {}",
            body.ap_id, join.actor
        )));
    }
    if first_time(&mut tx, &join.id, &join.actor).await? {
        unions::apply(&mut tx, Side::Body, &body.ap_id, &join.actor, &join.id).await?;
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}

/// An officer admits a chapter that applied, or refuses it (also: removes a
/// member). The chapter is told with an Accept or a Reject of its Join.
pub async fn decide(
    data: &Data,
    by: &Authority,
    body_handle: &str,
    chapter: &Url,
    admit: bool,
) -> Result<()> {
    let body = local_group_for(
        data,
        by,
        body_handle,
        ActorKind::Union,
        Permission::AdmitChapters,
        "admit chapters",
    )
    .await?;
    let mut tx = data.store.begin_write().await?;
    let membership = unions::get(&mut tx, Side::Body, &body.ap_id, chapter)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{chapter} has not applied to {body_handle}")))?;
    if admit {
        unions::accept(&mut tx, Side::Body, &body.ap_id, chapter).await?;
    } else {
        unions::remove(&mut tx, Side::Body, &body.ap_id, chapter).await?;
    }
    if data.urls.is_local(chapter) {
        if admit {
            unions::accept(&mut tx, Side::Chapter, &body.ap_id, chapter).await?;
        } else {
            unions::remove(&mut tx, Side::Chapter, &body.ap_id, chapter).await?;
        }
    } else {
        let applicant = store_actors::by_ap_id_in(&mut tx, chapter)
            .await?
            .ok_or_else(|| Error::Internal(format!("{chapter} applied but is unknown")))?;
        let join = Answered::Join(Join::new(
            membership.join_id,
            chapter.clone(),
            body.ap_id.clone(),
        ));
        let id = data.urls.new_activity_id();
        if admit {
            let answer: Accept = Answer {
                kind: AcceptType::Accept,
                id: id.clone(),
                actor: body.ap_id.clone(),
                object: join,
            };
            enqueue_to(&mut tx, data, &body, &id, &answer, &applicant).await?;
            super::action::send_standing_actions_to(&mut tx, data, &body, &applicant).await?;
            // What the body relayed of late (its members' union calls and
            // strikes, each change), as it was sent: the newest state wins
            // at the chapter's server, whatever the order of arrival.
            let since = now_millis() - RELAYS_FOR_NEW_MEMBERS.as_millis() as i64;
            let inbox = applicant.delivery_inbox();
            outbox::resend_to(&mut tx, &body.ap_id, "Announce", since, MOST_RELAYS, inbox).await?;
        } else {
            let answer: Reject = Answer {
                kind: RejectType::Reject,
                id: id.clone(),
                actor: body.ap_id.clone(),
                object: join,
            };
            enqueue_to(&mut tx, data, &body, &id, &answer, &applicant).await?;
        }
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(())
}

/// An Accept or Reject from a body answering one of our chapters' Joins. True
/// if it was one (the caller handles follows otherwise).
pub(crate) async fn receive_answer(
    data: &Data,
    id: &Url,
    body: &Url,
    answered: &Answered,
    admitted: bool,
) -> Result<bool> {
    let mut tx = data.store.begin_write().await?;
    let Some(membership) = unions::by_join_id(&mut tx, body, answered.id()).await? else {
        return Ok(false);
    };
    if let Answered::Join(join) = answered {
        if &join.object != body || join.actor != membership.chapter {
            return Err(Error::Forbidden(format!("{body} cannot answer that Join")));
        }
    }
    if first_time(&mut tx, id, body).await? {
        if admitted {
            unions::accept(&mut tx, Side::Chapter, body, &membership.chapter).await?;
        } else {
            unions::remove(&mut tx, Side::Chapter, body, &membership.chapter).await?;
        }
    }
    unionhall_store::commit(tx).await?;
    Ok(true)
}

/// A chapter of ours leaves a body (or withdraws its application).
pub async fn leave(data: &Data, by: &Authority, chapter_handle: &str, body: &Url) -> Result<()> {
    let chapter = local_group_for(
        data,
        by,
        chapter_handle,
        ActorKind::Chapter,
        Permission::ManageRoles,
        "decide for this chapter",
    )
    .await?;
    let mut tx = data.store.begin_write().await?;
    if !unions::remove(&mut tx, Side::Chapter, body, &chapter.ap_id).await? {
        return Err(Error::NotFound(format!(
            "{chapter_handle} is not in {body}"
        )));
    }
    if data.urls.is_local(body) {
        unions::remove(&mut tx, Side::Body, body, &chapter.ap_id).await?;
    } else {
        let target = store_actors::by_ap_id_in(&mut tx, body)
            .await?
            .ok_or_else(|| Error::Internal(format!("{body} is unknown")))?;
        let leave = Leave::new(
            data.urls.new_activity_id(),
            chapter.ap_id.clone(),
            body.clone(),
        );
        enqueue_to(&mut tx, data, &chapter, &leave.id, &leave, &target).await?;
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(())
}

pub async fn receive_leave(leave: Leave, data: &Data) -> Result<()> {
    let mut tx = data.store.begin_write().await?;
    if first_time(&mut tx, &leave.id, &leave.actor).await? {
        unions::remove(&mut tx, Side::Body, &leave.object, &leave.actor).await?;
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}

/// The admitted members of one of our bodies.
pub async fn members(data: &Data, body: &Url) -> Result<Vec<Url>> {
    let mut conn = data.store.acquire().await?;
    Ok(unions::members_of(&mut conn, body)
        .await?
        .into_iter()
        .filter(|m| m.accepted_at.is_some())
        .map(|m| m.chapter)
        .collect())
}

/// A newly admitted member gets what the body relayed in this time...
const RELAYS_FOR_NEW_MEMBERS: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);
/// ...at most this many relays, the newest.
const MOST_RELAYS: i64 = 500;
