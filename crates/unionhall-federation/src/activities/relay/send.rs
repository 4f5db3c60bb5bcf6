//! Our union bodies relay what a member addresses to them, as the member sent
//! it (its integrity proof in it), to every other member.

use super::members_url;
use crate::activities::wake;
use crate::delivery::enqueue;
use crate::protocol::Announce;
use crate::{Data, Error, Result};
use activitypub_federation::kinds::activity::AnnounceType;
use unionhall_domain::ActorKind;
use unionhall_store::actors as store_actors;
use unionhall_store::unions;
use unionhall_store::Connection;
use url::Url;

/// The first of `addressees` that is a union body of this instance.
pub(crate) async fn our_body_among(data: &Data, addressees: &[Url]) -> Result<Option<Url>> {
    for url in addressees.iter().filter(|u| data.urls.is_local(u)) {
        if let Some(actor) = store_actors::by_ap_id(&data.store, url).await? {
            if actor.kind == ActorKind::Union {
                return Ok(Some(actor.ap_id));
            }
        }
    }
    Ok(None)
}

/// The bodies `chapter` is an admitted member of. What a chapter sends to all
/// its unions (a strike and its picket shifts) names each in `cc`: a body of
/// another instance gets it in its inbox, and every body relays it to its
/// other members.
pub(crate) async fn admitted_bodies(conn: &mut Connection, chapter: &Url) -> Result<Vec<Url>> {
    Ok(unions::bodies_of_in(conn, chapter)
        .await?
        .into_iter()
        .filter(|m| m.accepted_at.is_some())
        .map(|m| m.body)
        .collect())
}

/// The inboxes of those of `bodies` on other instances.
pub(crate) async fn remote_body_inboxes(
    conn: &mut Connection,
    data: &Data,
    bodies: &[Url],
) -> Result<Vec<Url>> {
    let mut inboxes = Vec::new();
    for body in bodies.iter().filter(|b| !data.urls.is_local(b)) {
        if let Some(actor) = store_actors::by_ap_id_in(conn, body).await? {
            inboxes.push(actor.delivery_inbox().clone());
        }
    }
    Ok(inboxes)
}

/// Those of `bodies` on this instance relay `activity` of their member
/// `sender` at once, in the sender's transaction.
pub(crate) async fn relay_through_local_bodies(
    conn: &mut Connection,
    data: &Data,
    bodies: &[Url],
    sender: &Url,
    activity: &serde_json::Value,
) -> Result<()> {
    for body in bodies.iter().filter(|b| data.urls.is_local(b)) {
        relay_if_addressed(conn, data, std::slice::from_ref(body), sender, activity).await?;
    }
    Ok(())
}

/// If `to` names one of our bodies and `sender` is an admitted member of it, the
/// body relays `activity` to its other members. Returns the body.
pub(crate) async fn relay_if_addressed(
    conn: &mut Connection,
    data: &Data,
    to: &[Url],
    sender: &Url,
    activity: &serde_json::Value,
) -> Result<Option<Url>> {
    for url in to.iter().filter(|u| data.urls.is_local(u)) {
        let Some(body) = store_actors::by_ap_id_in(conn, url)
            .await?
            .filter(|a| a.kind == ActorKind::Union)
        else {
            continue;
        };
        let members = unions::members_of(conn, &body.ap_id).await?;
        if !members
            .iter()
            .any(|m| &m.chapter == sender && m.accepted_at.is_some())
        {
            return Err(Error::Forbidden(format!(
                "{sender} is not a member of {}",
                body.ap_id
            )));
        }
        let mut inboxes = Vec::new();
        for member in members
            .iter()
            .filter(|m| m.accepted_at.is_some() && &m.chapter != sender)
        {
            if let Some(actor) = store_actors::by_ap_id_in(conn, &member.chapter).await? {
                inboxes.push(actor.delivery_inbox().clone());
            }
        }
        let announce = Announce {
            kind: AnnounceType::Announce,
            id: data.urls.new_activity_id(),
            actor: body.ap_id.clone(),
            object: activity.clone(),
            to: vec![members_url(&body.ap_id)],
            cc: Vec::new(),
        };
        enqueue(conn, data, &body, &announce.id, &announce, &inboxes, false).await?;
        wake(data);
        return Ok(Some(body.ap_id));
    }
    Ok(None)
}
