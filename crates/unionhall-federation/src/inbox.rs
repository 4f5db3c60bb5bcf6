//! The one entry point for received activities (per-actor inboxes and the shared
//! `/inbox` alike).
//!
//! Order matters (DESIGN.md invariants 2 and 4): cheap refusals first (no
//! signature, stale date, not JSON), then redeliveries are acknowledged without
//! work, then the digest, the activity's shape and the signer's identity are
//! checked, the signer's key is fetched (or taken from the cache) and the
//! signature verified, and only then does a handler change anything.

use crate::activities::{follow, post};
use crate::actors::DbActor;
use crate::protocol::InboxActivity;
use crate::signatures::{verify_digest, SignatureHeader};
use crate::{Data, Error, Result};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::verification::verify_domains_match;
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};
use unionhall_store::{inbox_seen, now_millis};
use url::Url;

/// How far a request's `Date` may lie in the past (Mastodon allows 12 hours).
const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// How far in the future, for clocks running fast.
const MAX_SKEW: Duration = Duration::from_secs(3600);
/// A cached key that fails to verify is refetched (the actor may have rotated
/// it) when it is at least this old; younger ones are not, so that forged
/// requests cannot make us hammer a server.
const REFRESH_KEY_AFTER_MS: i64 = 60_000;

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
    let signature = precheck(request.headers)?;
    let now = SystemTime::now();
    let now_secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    signature.check_covers_post(now_secs)?;
    let id = envelope_id(request.body)?;
    if inbox_seen::seen(&data.store, &id).await? {
        return Ok(Received::Duplicate);
    }
    verify_digest(request.headers, request.body)?;
    let activity: InboxActivity = serde_json::from_slice(request.body)
        .map_err(|err| Error::BadRequest(format!("cannot read activity: {err}")))?;
    check_ids(data, &activity)?;
    let signer = signature.key_owner()?;
    if &signer != activity.actor() {
        return Err(Error::Unauthorized(format!(
            "signed by {signer} but the activity's actor is {}",
            activity.actor()
        )));
    }
    let message = signature.signing_string(
        request.method,
        request.path_and_query,
        request.headers,
        &data.urls.domain(),
    )?;
    let actor_id: ObjectId<DbActor> = signer.into();
    let actor = actor_id.dereference(data).await?;
    if !verifies(data, &actor, &message, &signature)? {
        let cached_for = now_millis() - actor.0.fetched_at;
        let refreshed = if !actor.0.is_local && cached_for >= REFRESH_KEY_AFTER_MS {
            Some(actor_id.dereference_forced(data).await?)
        } else {
            None
        };
        let valid = match &refreshed {
            Some(actor) => verifies(data, actor, &message, &signature)?,
            None => false,
        };
        if !valid {
            return Err(Error::Unauthorized("HTTP signature invalid".into()));
        }
    }
    dispatch(activity, data).await?;
    Ok(Received::Applied)
}

fn verifies(
    data: &Data,
    actor: &DbActor,
    message: &str,
    signature: &SignatureHeader,
) -> Result<bool> {
    data.verifier.verify(
        &actor.0.public_key_pem,
        message.as_bytes(),
        &signature.signature,
    )
}

/// The refusals that need neither the database nor the network.
fn precheck(headers: &HeaderMap) -> Result<SignatureHeader> {
    let Some(signature) = headers.get("signature") else {
        let hint = if headers.contains_key("signature-input") {
            "; RFC 9421 signatures are not accepted yet, sign with draft-cavage (rsa-sha256 or hs2019)"
        } else {
            ""
        };
        return Err(Error::Unauthorized(format!(
            "activities must carry an HTTP Signature header{hint}"
        )));
    };
    let signature = signature
        .to_str()
        .map_err(|_| Error::Unauthorized("the Signature header is not text".into()))?;
    let signature = SignatureHeader::parse(signature)?;
    if let Some(date) = headers.get("date") {
        let date = date
            .to_str()
            .ok()
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .ok_or_else(|| Error::Unauthorized("unreadable Date header".into()))?;
        check_window(date)?;
    } else if let Some(created) = signature.created {
        check_window(SystemTime::UNIX_EPOCH + Duration::from_secs(created.max(0) as u64))?;
    } else {
        return Err(Error::Unauthorized("the request has no Date header".into()));
    }
    Ok(signature)
}

fn check_window(date: SystemTime) -> Result<()> {
    let now = SystemTime::now();
    if now.duration_since(date).is_ok_and(|age| age > MAX_AGE)
        || date.duration_since(now).is_ok_and(|ahead| ahead > MAX_SKEW)
    {
        return Err(Error::Unauthorized(
            "the Date header is outside the accepted window (12 hours back, 1 hour ahead)".into(),
        ));
    }
    Ok(())
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
            "http" if data.settings.allow_private_peers => {}
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
    }
}
