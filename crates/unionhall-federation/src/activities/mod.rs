//! What happens when an activity arrives or is sent. Each handler checks that the
//! actor acts only for itself and on what it owns, records the activity id and
//! applies the change in one transaction, and enqueues any answer in the same one.

//! Below the features, what they share: `time` (RFC 3339 on the wire),
//! `audience` (who an object is for), `envelope` (what our groups send, with
//! their proof), `lookup` (finding actors), `relay` (union bodies relaying, both ways) and `receive`
//! (every received Create, Update and Delete, dispatched by object). The
//! features (`call`, `strike`, `action`, `campaign`, `post`, `union`,
//! `follow`, `report`, `backfill`) build on these and on each other in one
//! direction only: a strike opens calls for its shifts, a body sends its
//! standing actions, a campaign's updates are posts.

pub mod action;
mod audience;
pub mod backfill;
pub mod call;
pub mod campaign;
pub mod community;
mod envelope;
pub mod follow;
pub mod interaction;
pub mod lookup;
pub mod over;
pub mod post;
pub mod receive;
pub mod relay;
pub mod reply;
pub mod report;
pub mod strike;
mod time;
pub mod union;

pub use audience::Audience;
pub(crate) use lookup::{local_group, resolve};
pub(crate) use time::{parse_time, published_or_now};
pub use time::{rfc3339, zone_of};

use crate::{Data, Error, Result};
use unionhall_domain::{Authority, Permission};
use unionhall_store::{inbox_seen, Connection};
use url::Url;

/// An activity as it reached a handler: its id, its author, and how it came.
#[derive(Clone, Copy)]
pub(crate) struct Received<'a> {
    pub id: &'a Url,
    pub actor: &'a Url,
    /// The JSON as its author sent it (with its integrity proof, if any): what
    /// a body of ours relays, byte for byte. None where nothing is relayed: a
    /// relay from another body, a backfilled object.
    pub raw: Option<&'a [u8]>,
    /// The union body that relayed it, once the relay was proven (`relay.rs`).
    pub relayed_by: Option<&'a Url>,
}

impl<'a> Received<'a> {
    pub fn direct(id: &'a Url, actor: &'a Url, raw: &'a [u8]) -> Self {
        Self {
            id,
            actor,
            raw: Some(raw),
            relayed_by: None,
        }
    }

    /// The activity as sent, to relay as it is.
    pub fn raw_json(&self) -> Result<Option<serde_json::Value>> {
        self.raw
            .map(serde_json::from_slice)
            .transpose()
            .map_err(|err| Error::BadRequest(format!("the activity: {err}")))
    }
}

/// Refuses (403) a change to `group` that `by` has no role for.
pub(crate) fn authorize(
    by: &Authority,
    group: &Url,
    permission: Permission,
    what: &str,
) -> Result<()> {
    if by.allows(group, permission) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "your role does not allow you to {what}"
        )))
    }
}

/// One of our groups of `kind` by its handle, if `by` may do `what` there
/// (`permission`): 404 for no such group, 403 for no such right.
pub(crate) async fn local_group_for(
    data: &Data,
    by: &Authority,
    handle: &str,
    kind: unionhall_domain::ActorKind,
    permission: Permission,
    what: &str,
) -> Result<unionhall_store::actors::ActorRow> {
    let group = local_group(data, handle, kind).await?;
    authorize(by, &group.ap_id, permission, what)?;
    Ok(group)
}

/// Records `id` as received inside the handler's transaction. False means a
/// concurrent redelivery already applied it: the caller changes nothing.
pub(crate) async fn first_time(conn: &mut Connection, id: &Url, actor: &Url) -> Result<bool> {
    Ok(inbox_seen::record(conn, id, actor).await?)
}

/// The actor named inside an activity must be the one that sent it.
pub(crate) fn same_actor(claimed: &Url, acting: &Url, what: &str) -> Result<()> {
    if claimed == acting {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "{acting} cannot {what} on behalf of {claimed}"
        )))
    }
}

pub(crate) fn wake(data: &Data) {
    data.wake_delivery();
}

/// The actors an activity we sent is meant for: its addressees (`to`, `cc`,
/// `bto`, `bcc`, `audience`) and the actors it acts on (a Follow's object, the
/// follower an Accept answers, the chapter an Undo(Follow) leaves).
pub fn audience_of(activity: &serde_json::Value) -> Vec<Url> {
    fn urls(value: Option<&serde_json::Value>, out: &mut Vec<Url>) {
        match value {
            Some(serde_json::Value::String(s)) => out.extend(Url::parse(s).ok()),
            Some(serde_json::Value::Array(items)) => {
                for item in items {
                    urls(Some(item), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for field in ["to", "cc", "bto", "bcc", "audience", "object"] {
        urls(activity.get(field), &mut out);
    }
    if let Some(object) = activity.get("object").filter(|o| o.is_object()) {
        for field in ["actor", "object", "attributedTo"] {
            urls(object.get(field), &mut out);
        }
    }
    out.retain(|url| url.as_str() != crate::protocol::PUBLIC);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accept_is_meant_for_the_follower() {
        let accept = serde_json::json!({
            "type": "Accept", "actor": "https://a.example/actors/bakers",
            "object": {"type": "Follow", "actor": "https://b.example/actor", "object": "https://a.example/actors/bakers"}
        });
        let audience: Vec<String> = audience_of(&accept).iter().map(|u| u.to_string()).collect();
        assert!(audience.contains(&"https://b.example/actor".to_owned()));
        let note = serde_json::json!({"to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": "https://c.example/f"});
        assert_eq!(audience_of(&note).len(), 1);
    }
}
