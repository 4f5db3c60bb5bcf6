//! The one entry point for received activities (per-actor inboxes and the shared
//! `/inbox` alike).
//!
//! Order matters (DESIGN.md invariants 2 and 4): cheap refusals first (no
//! signature, stale date, not JSON, no id), then redeliveries are acknowledged
//! without work, then the library checks the digest, fetches the sender's key
//! and verifies the signature, and only then does a handler change anything.

use crate::activities::{follow, post};
use crate::actors::DbActor;
use crate::protocol::InboxActivity;
use crate::{Data, Error, FederationData, Result};
use activitypub_federation::axum::inbox::{receive_activity, ActivityData};
use activitypub_federation::traits::Activity;
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};
use unionhall_store::inbox_seen;
use url::Url;

/// How far a request's `Date` may lie in the past (Mastodon allows 12 hours).
const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// How far in the future, for clocks running fast.
const MAX_SKEW: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    Applied,
    /// Seen before: acknowledged, nothing changed.
    Duplicate,
}

/// The refusals that need neither the database nor the network. Returns the
/// activity id.
pub fn precheck(headers: &HeaderMap, body: &[u8]) -> Result<Url> {
    if !headers.contains_key("signature") {
        let hint = if headers.contains_key("signature-input") {
            "; RFC 9421 signatures are not accepted yet, sign with draft-cavage (rsa-sha256 or hs2019)"
        } else {
            ""
        };
        return Err(Error::Unauthorized(format!(
            "activities must carry an HTTP Signature header{hint}"
        )));
    }
    let date = headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Unauthorized("the request has no Date header".into()))?;
    let date = httpdate::parse_http_date(date)
        .map_err(|_| Error::Unauthorized(format!("unreadable Date header {date:?}")))?;
    let now = SystemTime::now();
    if now.duration_since(date).is_ok_and(|age| age > MAX_AGE)
        || date.duration_since(now).is_ok_and(|ahead| ahead > MAX_SKEW)
    {
        return Err(Error::Unauthorized(
            "the Date header is outside the accepted window (12 hours back, 1 hour ahead)".into(),
        ));
    }
    #[derive(serde::Deserialize)]
    struct Envelope {
        id: Url,
    }
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|err| Error::BadRequest(format!("not an activity: {err}")))?;
    Ok(envelope.id)
}

/// Verifies and applies one activity (after [`precheck`]).
pub async fn receive(data: &Data, activity: ActivityData, id: &Url) -> Result<Received> {
    if inbox_seen::seen(&data.store, id).await? {
        return Ok(Received::Duplicate);
    }
    receive_activity::<InboxActivity, DbActor, FederationData>(activity, data).await?;
    Ok(Received::Applied)
}

#[async_trait::async_trait]
impl Activity for InboxActivity {
    type DataType = FederationData;
    type Error = Error;

    fn id(&self) -> &Url {
        InboxActivity::id(self)
    }

    fn actor(&self) -> &Url {
        InboxActivity::actor(self)
    }

    /// The library has verified the signature against `actor`'s key; ownership
    /// of objects is checked by each handler, inside its transaction.
    async fn verify(&self, _data: &Data) -> Result<()> {
        Ok(())
    }

    async fn receive(self, data: &Data) -> Result<()> {
        match self {
            Self::Follow(a) => follow::receive_follow(a, data).await,
            Self::Accept(a) => follow::receive_accept(a, data).await,
            Self::Reject(a) => follow::receive_reject(a, data).await,
            Self::Undo(a) => follow::receive_undo(a, data).await,
            Self::Create(a) => post::receive_create(a, data).await,
            Self::Update(a) => post::receive_update(a, data).await,
            Self::Delete(a) => post::receive_delete(a, data).await,
        }
    }
}
