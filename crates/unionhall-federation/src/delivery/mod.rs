//! The durable outbound queue (DESIGN.md invariant 3).
//!
//! [`enqueue`] writes an activity and its deliveries inside the caller's
//! transaction; [`worker`] claims due deliveries, signs and sends them, and records
//! the outcome. Nothing is sent that was not first stored, and nothing stored is
//! forgotten: a worker renews its claims while it works (a heartbeat), so the
//! claims of a crashed process run out within `federation.claim_lease_seconds`
//! and another process sends those rows again. Delivery is at least once; the
//! receiver drops a repeat by its activity id.

pub mod knock;
mod peer_limit;
pub mod retry;
mod signing;
pub mod worker;

use crate::group_posts::{self, Form};
use crate::protocol::context;
use crate::vault::KeyVault;
use crate::{Error, FederationShared, Result};
use serde::Serialize;
use unionhall_domain::ActorKind;
use unionhall_store::actors::ActorRow;
use unionhall_store::outbox::{self, OutboundActivity};
use unionhall_store::Connection;
use url::Url;

/// Stores `activity` (with the JSON-LD context) as sent by `actor`, and one
/// delivery per distinct remote inbox. Call inside the transaction of the change
/// that caused it, then wake the workers after the commit.
pub async fn enqueue<A: Serialize>(
    conn: &mut Connection,
    data: &FederationShared,
    actor: &ActorRow,
    id: &Url,
    activity: &A,
    inboxes: &[Url],
    public: bool,
) -> Result<()> {
    // Members never send: only chapters, bodies and the instance speak for the
    // instance (DESIGN.md invariant 1).
    if !actor.is_local || actor.kind == ActorKind::Remote {
        return Err(Error::Internal(format!(
            "{} cannot send activities",
            actor.ap_id
        )));
    }
    let json = envelope(&data.vault, actor, activity)?;
    let urls = &data.urls;
    let ap_type = json
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_owned();
    let mut remote: Vec<Url> = inboxes
        .iter()
        .filter(|i| !urls.is_local(i))
        .cloned()
        .collect();
    // Followers on group-aware servers get the group's form of a post
    // (`group_posts.rs`), everyone else the activity as it is.
    let group_aware = group_aware_inboxes(conn, actor, &mut remote).await?;
    let announced = match group_aware.is_empty() {
        true => None,
        false => match group_posts::form_of(actor, &json) {
            Form::AsIs => {
                remote.extend(group_aware);
                None
            }
            Form::Announce(announce) => Some((announce, group_aware)),
            Form::Nothing => None,
        },
    };
    let stored = OutboundActivity {
        ap_id: id.clone(),
        actor: actor.ap_id.clone(),
        ap_type,
        body: json.to_string(),
        public,
    };
    outbox::enqueue(conn, &stored, &remote).await?;
    if let Some((announce, inboxes)) = announced {
        let json = envelope(&data.vault, actor, &announce)?;
        let stored = OutboundActivity {
            ap_id: activity_id(&json)?,
            actor: actor.ap_id.clone(),
            ap_type: group_posts::STORED_AS.into(),
            body: json.to_string(),
            public,
        };
        outbox::enqueue(conn, &stored, &inboxes).await?;
    }
    Ok(())
}

/// Takes out of `inboxes` those on group-aware servers (`group_posts.rs`),
/// which read what our groups send in another form, and returns them.
async fn group_aware_inboxes(
    conn: &mut Connection,
    actor: &ActorRow,
    inboxes: &mut Vec<Url>,
) -> Result<Vec<Url>> {
    // Only groups have another form: the instance actor and the reader (a
    // Follow, an Undo) cost no query.
    if !matches!(actor.kind, ActorKind::Chapter | ActorKind::Union) || inboxes.is_empty() {
        return Ok(Vec::new());
    }
    let hosts: Vec<String> = inboxes.iter().map(outbox::host_of).collect();
    let aware =
        unionhall_store::peer_software::running(conn, &hosts, group_posts::GROUP_AWARE).await?;
    if aware.is_empty() {
        return Ok(Vec::new());
    }
    let (group_aware, others) = std::mem::take(inboxes)
        .into_iter()
        .partition(|inbox| aware.contains(&outbox::host_of(inbox)));
    *inboxes = others;
    Ok(group_aware)
}

fn activity_id(json: &serde_json::Value) -> Result<Url> {
    json.get("id")
        .and_then(|id| id.as_str())
        .and_then(|id| Url::parse(id).ok())
        .ok_or_else(|| Error::Internal("an activity we built has no id".into()))
}

/// An activity as `actor` sends it: with the JSON-LD context and the actor's
/// integrity proof (integrity.rs). One already enveloped (it has its proof) is
/// taken as it is, so that what a chapter sends and what its union body
/// relays are the same bytes, proof and all.
pub fn envelope<A: Serialize>(
    vault: &KeyVault,
    actor: &ActorRow,
    activity: &A,
) -> Result<serde_json::Value> {
    let mut json = serde_json::to_value(activity)
        .map_err(|err| Error::Internal(format!("serialising an activity: {err}")))?;
    let Some(object) = json.as_object_mut() else {
        return Err(Error::Internal("an activity is a JSON object".into()));
    };
    if object.contains_key("proof") {
        return Ok(json);
    }
    object.insert("@context".into(), context());
    let actor = vault.open(actor)?;
    if let (Some(key_id), Some(private_key)) =
        (&actor.assertion_key_id, &actor.assertion_private_key)
    {
        crate::integrity::sign(
            &mut json,
            key_id,
            private_key,
            unionhall_store::now_millis(),
        )?;
    }
    Ok(json)
}

/// [`enqueue`] for an activity meant for one actor only (a Follow, its answer,
/// an Undo): not public, delivered to that actor's server.
pub async fn enqueue_to<A: Serialize>(
    conn: &mut Connection,
    data: &FederationShared,
    actor: &ActorRow,
    id: &Url,
    activity: &A,
    recipient: &ActorRow,
) -> Result<()> {
    let inbox = [recipient.delivery_inbox().clone()];
    enqueue(conn, data, actor, id, activity, &inbox, false).await
}
