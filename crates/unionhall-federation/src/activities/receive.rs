//! Every received Create, Update and Delete, whatever its object: one
//! dispatch by object, and one Delete for every kind. Each object's handler
//! checks that the sender wrote it and that it lives on the sender's server,
//! and stores it only if it is not older than what we hold.

use super::{action, call, campaign, first_time, post, relay, strike, Received};
use crate::protocol::{ActivityObject, Create, Delete, Update};
use crate::{Data, Error, Result};
use std::future::Future;
use unionhall_store::{objects, Connection};
use url::Url;

/// One received version of an object a group publishes (a call, a strike, an
/// action, a campaign), checked and ready to be stored.
pub(crate) trait Version: Sync {
    fn object_id(&self) -> &Url;
    /// Stores it, unless the version we hold is newer (the store decides).
    fn store<'a>(
        &'a self,
        conn: &'a mut Connection,
    ) -> impl Future<Output = Result<()>> + Send + 'a;
}

/// Authorship, checked before anything is read: the object is attributed to
/// the sender, lives on the sender's server, and is not one of ours.
pub(crate) fn check_authorship(
    data: &Data,
    object_id: &Url,
    attributed_to: &Url,
    actor: &Url,
    what: &str,
) -> Result<()> {
    super::same_actor(attributed_to, actor, what)?;
    activitypub_federation::protocol::verification::verify_domains_match(object_id, actor)?;
    if data.urls.is_local(object_id) {
        return Err(Error::Forbidden(format!(
            "{object_id} is of this instance: no other server changes it"
        )));
    }
    Ok(())
}

/// What every received version of a group's object goes through, whatever its
/// kind, in one transaction: a redelivery changes nothing; a version of
/// another author's object, or of one of ours, is refused; the store keeps it
/// only if it is not older than ours; and if it is addressed to a body of
/// ours (`relay_to`: its addressees), the body relays it as it was sent.
pub(crate) async fn apply(
    data: &Data,
    received: Received<'_>,
    version: &impl Version,
    relay_to: Option<&[Url]>,
) -> Result<()> {
    let relayed = match relay_to {
        Some(_) => received.raw_json()?,
        None => None,
    };
    let mut tx = data.store.begin_write().await?;
    if !first_time(&mut tx, received.id, received.actor).await? {
        return Ok(unionhall_store::commit(tx).await?);
    }
    let id = version.object_id();
    if let Some(owner) = objects::owner_of(&mut tx, id).await? {
        if &owner.author != received.actor || owner.is_local {
            return Err(Error::Forbidden(format!(
                "{} cannot change {id}: it is not theirs",
                received.actor
            )));
        }
    }
    version.store(&mut tx).await?;
    if let (Some(addressees), Some(activity)) = (relay_to, relayed) {
        relay::relay_if_addressed(&mut tx, data, addressees, received.actor, &activity).await?;
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}

/// A Create or an Update: both store the object as it now is.
pub(crate) async fn receive_object(
    data: &Data,
    received: Received<'_>,
    object: ActivityObject,
) -> Result<()> {
    let (id, actor) = (received.id, received.actor);
    match object {
        ActivityObject::Note(note) => post::receive_note(data, id, actor, note).await,
        ActivityObject::Call(call) => call::receive_call(data, received, *call).await,
        ActivityObject::Action(action) => action::receive_action(data, received, *action).await,
        ActivityObject::ActionAnswer(answer) => {
            action::receive_answer(data, id, actor, answer).await
        }
        ActivityObject::Campaign(campaign) => {
            campaign::receive_campaign(data, received, *campaign).await
        }
        ActivityObject::Strike(strike) => strike::receive_strike(data, received, *strike).await,
        ActivityObject::PledgeTotal(total) => {
            call::receive_pledge_total(data, id, actor, total).await
        }
    }
}

pub async fn receive_create(create: Create, raw: &[u8], data: &Data) -> Result<()> {
    let received = Received::direct(&create.id, &create.actor, raw);
    receive_object(data, received, create.object).await
}

pub async fn receive_update(update: Update, raw: &[u8], data: &Data) -> Result<()> {
    let received = Received::direct(&update.id, &update.actor, raw);
    receive_object(data, received, update.object).await
}

/// A Delete: only the author deletes, and nothing of this instance is deleted
/// by another server. What is not here (or gone already) is acknowledged.
pub async fn receive_delete(delete: Delete, data: &Data) -> Result<()> {
    let target = delete.object.id();
    if data.urls.is_local(target) {
        return Err(Error::Forbidden(format!(
            "{target} is of this instance: no other server deletes it"
        )));
    }
    let mut tx = data.store.begin_write().await?;
    let owner = objects::owner_of(&mut tx, target).await?;
    if let Some(owner) = &owner {
        if owner.author != delete.actor || owner.is_local {
            return Err(Error::Forbidden(format!(
                "{} cannot delete {target}: it is not theirs",
                delete.actor
            )));
        }
    }
    if first_time(&mut tx, &delete.id, &delete.actor).await? {
        match owner {
            Some(owner) => objects::delete(&mut tx, owner.kind, target, &delete.actor).await?,
            // A reply to one of ours, taken back by its author.
            None => unionhall_store::replies::delete(&mut tx, target, &delete.actor).await?,
        };
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}
