//! What anyone on the fediverse does with our objects: likes, Lemmy's
//! dislikes and boosts of a call, strike or post (counted: "shared 14 times,
//! liked 30 times"), and "I'll
//! be there" to a call's event: Mobilizon's `Join` (answered with an
//! `Accept`, as Mobilizon expects), Friendica's `Accept` of the event. A join
//! counts toward the call's people as a pledge from the fediverse and brings
//! the call's later Updates to the one who joined. Friendica's
//! `TentativeAccept` ("maybe") is counted apart, not among the people coming,
//! and brings the Updates too; one answer replaces the other. `Leave`,
//! `Reject` or `Undo` takes either back.
//!
//! Only counts are ever shown or federated: who liked, shared or joined is
//! kept only to take it back and to send a joiner the call's Updates.
//! Joins, and likes, dislikes and boosts together, are limited per actor and
//! per domain (`flood.rs`), and one actor counts once per object and kind
//! however often it repeats itself.

use super::{call, first_time, wake};
use crate::delivery::enqueue_to;
use crate::flood::Flood;
use crate::protocol::activities::{Answer, Answered};
use crate::protocol::{Accept, InboxActivity, Join};
use crate::{Data, Error, Result};
use activitypub_federation::kinds::activity::AcceptType;
use unionhall_store::actors as store_actors;
use unionhall_store::interactions::{self, Kind};
use unionhall_store::objects::{self, Kind as ObjectKind};
use unionhall_store::{calls, Connection};
use url::Url;

/// What one received activity does with one of our objects.
enum Interaction<'a> {
    Add {
        kind: Kind,
        object: Url,
        /// A Join is answered with an Accept.
        join: Option<&'a Join>,
    },
    /// Takes back whichever of `kinds` the actor did (going or maybe).
    Remove { kinds: &'static [Kind], object: Url },
    /// An Undo of something, by that thing's id.
    Undo { activity: Url },
}

/// Handles `activity` if it is an interaction with one of our objects: None if
/// it is not (a Follow, an Accept of our Follow, a chapter's Join of a body).
pub async fn receive(activity: &InboxActivity, data: &Data) -> Option<Result<()>> {
    let interaction = interaction_of(activity, data).await?;
    let (id, actor) = (activity.id(), activity.actor());
    Some(apply(data, id, actor, interaction).await)
}

async fn interaction_of<'a>(activity: &'a InboxActivity, data: &Data) -> Option<Interaction<'a>> {
    let ours = |object: &Url| data.urls.is_local(object).then(|| object.clone());
    match activity {
        // A like of something not ours is not one: taken, and nothing changes.
        InboxActivity::Like(like) => ours(&like.object).map(|object| Interaction::Add {
            kind: Kind::Like,
            object,
            join: None,
        }),
        InboxActivity::Dislike(dislike) => ours(&dislike.object).map(|object| Interaction::Add {
            kind: Kind::Dislike,
            object,
            join: None,
        }),
        InboxActivity::Announce(announce) => {
            let object = match &announce.object {
                serde_json::Value::String(id) => Url::parse(id).ok(),
                _ => None,
            }?;
            ours(&object).map(|object| Interaction::Add {
                kind: Kind::Share,
                object,
                join: None,
            })
        }
        InboxActivity::Join(join) => is_call(data, &join.object).await.then(|| Interaction::Add {
            kind: Kind::Join,
            object: join.object.clone(),
            join: Some(join),
        }),
        // Friendica: going, or maybe (counted apart).
        InboxActivity::Accept(Answer { object, .. }) => {
            event_answer(data, object)
                .await
                .map(|object| Interaction::Add {
                    kind: Kind::Join,
                    object,
                    join: None,
                })
        }
        InboxActivity::TentativeAccept(Answer { object, .. }) => event_answer(data, object)
            .await
            .map(|object| Interaction::Add {
                kind: Kind::Maybe,
                object,
                join: None,
            }),
        InboxActivity::Leave(leave) => {
            is_call(data, &leave.object)
                .await
                .then(|| Interaction::Remove {
                    kinds: ATTENDANCE,
                    object: leave.object.clone(),
                })
        }
        InboxActivity::Reject(answer) => {
            event_answer(data, &answer.object)
                .await
                .map(|object| Interaction::Remove {
                    kinds: ATTENDANCE,
                    object,
                })
        }
        InboxActivity::Undo(undo) => match &undo.object {
            crate::protocol::activities::UndoObject::Follow(_) => None,
            other => other.id().map(|activity| Interaction::Undo { activity }),
        },
        _ => None,
    }
}

/// The answers to a call's event: each replaces the other, and a Leave or a
/// Reject takes back either.
const ATTENDANCE: &[Kind] = &[Kind::Join, Kind::Maybe];

/// The call an Accept, TentativeAccept or Reject answers, if it answers one of
/// our calls itself (not a Follow or a Join).
async fn event_answer(data: &Data, answered: &Answered) -> Option<Url> {
    match answered {
        Answered::Id(id) | Answered::Object { id } => is_call(data, id).await.then(|| id.clone()),
        Answered::Follow(_) | Answered::Join(_) => None,
    }
}

/// Whether `id` is one of our own calls (the events one can join).
async fn is_call(data: &Data, id: &Url) -> bool {
    if !data.urls.is_local(id) {
        return false;
    }
    let Ok(mut conn) = data.store.acquire().await else {
        return false;
    };
    matches!(
        objects::owner_of(&mut conn, id).await,
        Ok(Some(owner)) if owner.kind == ObjectKind::Call && owner.is_local
    )
}

/// The allowance an added interaction spends: taking one back spends none.
fn flood_of(interaction: &Interaction<'_>) -> Option<Flood> {
    match interaction {
        Interaction::Add {
            kind: Kind::Join | Kind::Maybe,
            ..
        } => Some(Flood::Joins),
        Interaction::Add {
            kind: Kind::Like | Kind::Dislike | Kind::Share,
            ..
        } => Some(Flood::Reactions),
        Interaction::Remove { .. } | Interaction::Undo { .. } => None,
    }
}

async fn apply(data: &Data, id: &Url, actor: &Url, interaction: Interaction<'_>) -> Result<()> {
    let flood = flood_of(&interaction);
    if let Some(flood) = flood {
        data.floods.check(&data.store, flood, actor).await?;
    }
    // Whose the object is, read before the write lock is taken: a like of
    // an id of ours that names nothing costs no write.
    let owner = match &interaction {
        Interaction::Add { object, .. } => {
            let mut conn = data.store.acquire().await?;
            match objects::owner_of(&mut conn, object).await? {
                Some(owner) if owner.is_local => Some(owner),
                _ => return Ok(()), // not ours, or gone: nothing to count
            }
        }
        _ => None,
    };
    let mut tx = data.store.begin_write().await?;
    // What changed: the object, and whether its joins (the people coming)
    // did.
    let changed = match &interaction {
        Interaction::Add { kind, object, join } => {
            let Some(owner) = &owner else {
                return Ok(()); // read above for every Add
            };
            let attendance = ATTENDANCE.contains(kind);
            if attendance {
                check_joinable(&mut tx, object).await?;
            }
            if !first_time(&mut tx, id, actor).await? {
                return Ok(());
            }
            let added = interactions::add(&mut tx, object, *kind, actor, id).await?;
            // Going after maybe, or maybe after going: the earlier answer goes.
            let mut replaced = None;
            if added && attendance {
                for other in ATTENDANCE.iter().filter(|other| *other != kind) {
                    if interactions::remove(&mut tx, object, *other, actor).await? {
                        replaced = Some(*other);
                    }
                }
            }
            if let Some(join) = join {
                answer_join(&mut tx, data, &owner.author, join).await?;
            }
            added.then(|| {
                let joins = *kind == Kind::Join || replaced == Some(Kind::Join);
                (object.clone(), joins)
            })
        }
        Interaction::Remove { kinds, object } => {
            if !first_time(&mut tx, id, actor).await? {
                return Ok(());
            }
            let mut removed = None;
            for kind in *kinds {
                if interactions::remove(&mut tx, object, *kind, actor).await? {
                    removed = Some(*kind);
                }
            }
            removed.map(|kind| (object.clone(), kind == Kind::Join))
        }
        Interaction::Undo { activity } => {
            if !first_time(&mut tx, id, actor).await? {
                return Ok(());
            }
            interactions::remove_by_activity(&mut tx, activity, actor)
                .await?
                .map(|(object, kind)| (object, kind == Kind::Join))
        }
    };
    if let Some((object, true)) = &changed {
        call::publish_running_total_of(&mut tx, data, object).await?;
    }
    unionhall_store::commit(tx).await?;
    // Only what was counted spends: a repeat of one's own like does not.
    if let (Some(flood), Some(_)) = (flood, &changed) {
        data.floods.spend(&data.store, flood, actor).await?;
    }
    if changed.is_some() {
        // Not who: only that it was counted.
        tracing::debug!("an interaction with one of our objects counted");
        wake(data);
    }
    Ok(())
}

/// A call can be joined by anyone only if it is public and still takes
/// pledges; otherwise the join is refused with the reason.
async fn check_joinable(conn: &mut Connection, object: &Url) -> Result<()> {
    let call = calls::by_ap_id(conn, object)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no call {object} here")))?;
    if call.audience != unionhall_domain::Audience::Public {
        return Err(Error::NotFound(format!("no public call {object} here")));
    }
    if call.deleted_at.is_some() {
        return Err(Error::Conflict(format!(
            "this call is {}: it takes no more pledges",
            call.status.as_str()
        )));
    }
    super::call::check_takes_pledges(&call)
}

/// Mobilizon waits for the organizer's Accept of a participant's Join.
async fn answer_join(conn: &mut Connection, data: &Data, author: &Url, join: &Join) -> Result<()> {
    let chapter = store_actors::by_ap_id_in(conn, author)
        .await?
        .ok_or_else(|| Error::Internal(format!("the chapter {author} is gone")))?;
    let joiner = store_actors::by_ap_id_in(conn, &join.actor)
        .await?
        .ok_or_else(|| Error::Internal(format!("{} was not cached", join.actor)))?;
    let accept: Accept = Answer {
        kind: AcceptType::Accept,
        id: data.urls.new_activity_id(),
        actor: chapter.ap_id.clone(),
        object: Answered::Join(join.clone()),
    };
    enqueue_to(conn, data, &chapter, &accept.id, &accept, &joiner).await
}
