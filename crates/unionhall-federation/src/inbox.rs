//! The one entry point for received activities (per-actor inboxes and the shared
//! `/inbox` alike).
//!
//! Order matters (DESIGN.md invariants 2 and 4): cheap refusals first (no
//! signature, stale date, not JSON), then redeliveries are acknowledged without
//! work, then the digest, the activity's shape and the signer's identity are
//! checked, the signer's key is fetched (or taken from the cache) and the
//! signature verified, and only then does a handler change anything.

use crate::activities::{follow, post, report, union};
use crate::authentication::{parse_signature, verify_signer, SignedRequest};
use crate::protocol::InboxActivity;
use crate::signatures::verify_digest;
use crate::{Data, Error, Result};
use activitypub_federation::protocol::verification::verify_domains_match;
use reqwest::header::HeaderMap;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    Applied,
    /// Seen before: acknowledged, nothing changed.
    Duplicate,
}

/// A POST to an inbox, as it arrived.
pub struct InboxRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Verifies and applies one activity.
pub async fn receive(data: &Data, request: InboxRequest<'_>) -> Result<Received> {
    let signed = SignedRequest {
        method: request.method,
        path_and_query: request.path_and_query,
        headers: request.headers,
    };
    let signature = parse_signature(&signed)?;
    // A server this instance does not federate with is refused before anything
    // else is done for it, its key fetched least of all.
    let signer = signature.key_owner()?;
    crate::policy::check(data, &signer).await?;
    let id = envelope_id(request.body)?;
    let before = data.inbox_reads.before(id, signer.clone()).await?;
    if before.seen {
        return Ok(Received::Duplicate);
    }
    verify_digest(request.headers, request.body)?;
    let activity = parse_typed(request.body)?;
    check_ids(data, &activity)?;
    if &signer != activity.actor() {
        return Err(Error::Unauthorized(format!(
            "signed by {signer} but the activity's actor is {}",
            activity.actor()
        )));
    }
    verify_signer(data, &signed, &signature).await?;
    let inbox_of = request
        .path_and_query
        .strip_prefix("/actors/")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(_, tail)| tail.starts_with("inbox"))
        .map(|(handle, _)| handle);
    crate::moderation::check_actor_blocks(data, &signer, &before.blockers, request.body, inbox_of)
        .await?;
    dispatch(activity, data).await?;
    Ok(Received::Applied)
}

/// A received body as a typed activity (no IO: the fuzz target calls it).
pub fn parse_activity(body: &[u8]) -> Result<InboxActivity> {
    envelope_id(body)?;
    parse_typed(body)
}

/// [`parse_activity`] of a body whose envelope was read already.
fn parse_typed(body: &[u8]) -> Result<InboxActivity> {
    InboxActivity::from_json(body)
        .map_err(|err| Error::BadRequest(format!("cannot read activity: {err}")))
}

fn envelope_id(body: &[u8]) -> Result<Url> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        id: Url,
    }
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|err| Error::BadRequest(format!("not an activity: {err}")))?;
    Ok(envelope.id)
}

/// The activity id must be on its actor's server (no one speaks for another
/// server) and not on ours; ids must be http(s), plain http only where private
/// peers are allowed.
fn check_ids(data: &Data, activity: &InboxActivity) -> Result<()> {
    let (id, actor) = (activity.id(), activity.actor());
    verify_domains_match(id, actor)?;
    if data.urls.is_local(id) {
        return Err(Error::BadRequest(format!("{id} is an id of this instance")));
    }
    for url in [id, actor] {
        match url.scheme() {
            "https" => {}
            "http"
                if data
                    .guard
                    .plain_http_allowed(url.host_str().unwrap_or_default()) => {}
            other => {
                return Err(Error::BadRequest(format!(
                    "{url}: {other} URLs are not accepted"
                )))
            }
        }
    }
    Ok(())
}

async fn dispatch(activity: InboxActivity, data: &Data) -> Result<()> {
    match activity {
        InboxActivity::Follow(a) => follow::receive_follow(a, data).await,
        InboxActivity::Accept(a) => follow::receive_accept(a, data).await,
        InboxActivity::Reject(a) => follow::receive_reject(a, data).await,
        InboxActivity::Undo(a) => follow::receive_undo(a, data).await,
        InboxActivity::Create(a) => post::receive_create(a, data).await,
        InboxActivity::Update(a) => post::receive_update(a, data).await,
        InboxActivity::Delete(a) => post::receive_delete(a, data).await,
        InboxActivity::Join(a) => union::receive_join(a, data).await,
        InboxActivity::Leave(a) => union::receive_leave(a, data).await,
        InboxActivity::Announce(a) => union::receive_announce(a, data).await,
        InboxActivity::Flag(a) => report::receive_flag(a, data).await,
    }
}
