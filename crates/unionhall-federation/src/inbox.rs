//! The one entry point for received activities (per-actor inboxes and the shared
//! `/inbox` alike).
//!
//! Order matters (DESIGN.md invariants 2 and 4): cheap refusals first (no
//! signature, stale date, not JSON), then the digest, the activity's shape and
//! the signer's identity are checked, the signer's key is fetched (or taken
//! from the cache) and the signature verified, and only then does a handler
//! change anything.
//!
//! A redelivery is recognised where its id is recorded: each handler records
//! the activity id in the transaction that applies it (`first_time`, or the
//! inbox writer for notes), and a recorded id changes nothing. A read of the
//! seen ids before any work, as there was, cost every new activity a query
//! (about a sixth of the inbox's time) to spare a rare redelivery one
//! signature check.

use crate::activities::{community, follow, interaction, receive, relay, report, union};
use crate::authentication::{parse_signature, verify_signer, SignedRequest};
use crate::flood::Flood;
use crate::protocol::InboxActivity;
use crate::{Data, Error, Result};
use activitypub_federation::protocol::verification::verify_domains_match;
use reqwest::header::HeaderMap;
use url::Url;

/// A POST to an inbox, as it arrived.
pub struct InboxRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Verifies and applies one activity (a redelivery changes nothing).
pub async fn receive(data: &Data, request: InboxRequest<'_>) -> Result<()> {
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
    signature.verify_body(request.headers, request.body)?;
    let activity = parse_activity(request.body)?;
    check_ids(data, &activity)?;
    if &signer != activity.actor() {
        return Err(Error::Unauthorized(format!(
            "signed by {signer} but the activity's actor is {}",
            activity.actor()
        )));
    }
    // A flood of reports or follows is refused before its actors are fetched,
    // and counted only once a signature verified.
    let flood = match &activity {
        InboxActivity::Follow(_) => Some(Flood::Follows),
        InboxActivity::Flag(_) => Some(Flood::Reports),
        _ => None,
    };
    if let Some(flood) = flood {
        data.floods.check(&data.store, flood, &signer).await?;
    }
    verify_signer(data, &signed, &signature).await?;
    if let Some(flood) = flood {
        data.floods.spend(&data.store, flood, &signer).await?;
    }
    let inbox_of = request
        .path_and_query
        .strip_prefix("/actors/")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(_, tail)| tail.starts_with("inbox"))
        .map(|(handle, _)| handle);
    crate::moderation::check_actor_blocks(data, &signer, request.body, inbox_of).await?;
    dispatch(activity, request.body, data).await
}

/// A received body as a typed activity (no IO: the fuzz target calls it).
pub fn parse_activity(body: &[u8]) -> Result<InboxActivity> {
    // Read once; only a body that fails is read again, for the clearer of
    // the two reasons (not JSON with an id at all, or not an activity we take).
    InboxActivity::from_json(body).map_err(|err| match not_an_activity(body) {
        Some(reason) => reason,
        None => Error::BadRequest(format!("cannot read activity: {err}")),
    })
}

fn not_an_activity(body: &[u8]) -> Option<Error> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[allow(dead_code)] // read only to be checked
        id: Url,
    }
    serde_json::from_slice::<Envelope>(body)
        .err()
        .map(|err| Error::BadRequest(format!("not an activity: {err}")))
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
    check_schemes(data, [id, actor])
}

/// Ids must be http(s), plain http only where private peers are allowed.
pub(crate) fn check_schemes<'a>(
    data: &Data,
    urls: impl IntoIterator<Item = &'a Url>,
) -> Result<()> {
    for url in urls {
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

async fn dispatch(activity: InboxActivity, raw: &[u8], data: &Data) -> Result<()> {
    // Likes, boosts and joins of our objects, by anyone: counted, not named.
    if let Some(done) = interaction::receive(&activity, data).await {
        return done;
    }
    match activity {
        InboxActivity::Follow(a) => follow::receive_follow(a, data).await,
        InboxActivity::Accept(a) => follow::receive_accept(a, data).await,
        InboxActivity::Reject(a) => follow::receive_reject(a, data).await,
        InboxActivity::Undo(a) => follow::receive_undo(a, data).await,
        InboxActivity::Create(a) => receive::receive_create(a, raw, data).await,
        InboxActivity::Update(a) => receive::receive_update(a, raw, data).await,
        InboxActivity::Delete(a) => receive::receive_delete(a, data).await,
        InboxActivity::Join(a) => union::receive_join(a, data).await,
        InboxActivity::Leave(a) => union::receive_leave(a, data).await,
        // From a community we follow on a group-aware server: its members'
        // posts. From anyone else: a union body relaying (or refused).
        InboxActivity::Announce(a) if community::is_followed(data, &a.actor).await? => {
            community::receive_announce(a, data).await
        }
        InboxActivity::Announce(a) => relay::receive_announce(a, data).await,
        InboxActivity::Flag(a) => report::receive_flag(a, data).await,
        // A maybe that answers none of our calls, a like of nothing of ours.
        InboxActivity::TentativeAccept(_) | InboxActivity::Like(_) | InboxActivity::Dislike(_) => {
            Ok(())
        }
    }
}
