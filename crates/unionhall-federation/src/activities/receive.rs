//! Every received Create, Update and Delete, whatever its object: one
//! dispatch by object, and one Delete for every kind. Each object's handler
//! checks that the sender wrote it and that it lives on the sender's server,
//! and stores it only if it is not older than what we hold.

use super::{action, call, campaign, first_time, post, strike, Received};
use crate::protocol::{ActivityObject, Create, Delete, Update};
use crate::{Data, Error, Result};
use unionhall_store::objects;

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
        ActivityObject::Action(action) => action::receive_action(data, id, actor, *action).await,
        ActivityObject::ActionAnswer(answer) => {
            action::receive_answer(data, id, actor, answer).await
        }
        ActivityObject::Campaign(campaign) => {
            campaign::receive_campaign(data, id, actor, *campaign).await
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
        if let Some(owner) = owner {
            objects::delete(&mut tx, owner.kind, target, &delete.actor).await?;
        }
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}
