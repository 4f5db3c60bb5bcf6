//! Relays received: a union body's `Announce` of what a member chapter said.
//!
//! A relay is a claim by the body that the member said something. It is taken
//! only when every rule below holds (FEDERATION.md, "What we accept from
//! whom"), checked in this order, cheapest first:
//!
//! 1. the body has admitted a chapter of ours (an application is not enough;
//!    a relay arriving before the Accept is answered 425, and retried);
//! 2. the relayed activity is a Create or Update of a call or a strike, and
//!    names nothing of this instance (no relay changes what we say);
//! 3. its author's server passes our domain policy, and its author is not
//!    blocked by the group it is aimed at, as if it had sent it itself;
//! 4. it is proven: its integrity proof verifies with the author's published
//!    Ed25519 key, or, without a proof, the object is fetched from the author's
//!    server and that copy is used;
//! 5. the object is public or addressed to the relaying body (a relay never
//!    widens or changes an audience), and its author is an admitted member of
//!    the body, as the body's members collection says.

use crate::activities::{call, strike, Received};
use crate::actors::DbActor;
use crate::protocol::{ActivityObject, Announce, InboxActivity, PUBLIC};
use crate::{integrity, Data, Error, Result};
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::verification::verify_domains_match;
use serde_json::Value;
use unionhall_store::now_millis;
use unionhall_store::unions::{self, Standing};
use url::Url;

/// A cached author whose key does not match a proof is fetched again (the
/// author may have a new key) only when the copy is this old: a forged proof
/// cannot make us fetch an actor on every request.
const REFRESH_AUTHOR_AFTER_MS: i64 = 60_000;

pub async fn receive_announce(announce: Announce, data: &Data) -> Result<()> {
    let body = &announce.actor;
    match unions::our_standing_with(&data.store, body).await? {
        Standing::Admitted => {}
        // What a body sends a member it admits comes with its Accept, and may
        // overtake it: the body's server tries again.
        Standing::Applied => {
            return Err(refused(
                "not_admitted",
                Error::TooEarly(format!(
                    "{body} has not admitted a chapter of ours yet; send this after the Accept"
                )),
            ))
        }
        Standing::Stranger => {
            return Err(refused(
                "not_admitted",
                Error::Forbidden(format!("{body} is not a union body we belong to")),
            ))
        }
    }
    let raw = announce.object;
    let inner: InboxActivity = serde_json::from_value(raw.clone())
        .map_err(|err| Error::BadRequest(format!("the announced activity: {err}")))?;
    let (id, author, claimed) = match inner {
        InboxActivity::Create(a) => (a.id, a.actor, a.object),
        InboxActivity::Update(a) => (a.id, a.actor, a.object),
        _ => {
            return Err(Error::BadRequest(
                "a body relays only Create and Update of calls and strikes".into(),
            ))
        }
    };
    let object_id = relayable_id(&claimed)?.clone();
    for url in [&id, &author, &object_id] {
        if data.urls.is_local(url) {
            return Err(refused(
                "ours",
                Error::Forbidden(format!(
                    "{url} is of this instance: no relay changes what it says"
                )),
            ));
        }
    }
    verify_domains_match(&id, &author)?;
    verify_domains_match(&object_id, &author)?;
    crate::inbox::check_schemes(data, [&id, &author])?;
    crate::policy::check(data, &author).await?;
    let raw_bytes = serde_json::to_vec(&raw).map_err(|err| Error::Internal(err.to_string()))?;
    crate::moderation::check_actor_blocks(data, &author, &raw_bytes, None).await?;
    let object = proven(data, &raw, &author, claimed, &object_id).await?;
    let (to, cc) = match &object {
        ActivityObject::Call(c) => (&c.to, &c.cc),
        ActivityObject::Strike(s) => (&s.to, &s.cc),
        _ => {
            return Err(Error::BadRequest(format!(
                "{object_id} is not a call or a strike"
            )))
        }
    };
    let addressees: Vec<&Url> = to.iter().chain(cc).collect();
    if !addressees
        .iter()
        .any(|u| u.as_str() == PUBLIC || *u == body)
    {
        return Err(refused(
            "audience",
            Error::Forbidden(format!(
                "{object_id} is not addressed to {body}: a relay does not change who a call is for"
            )),
        ));
    }
    if !super::is_member(data, body, &author).await? {
        return Err(refused(
            "not_a_member",
            Error::Forbidden(format!("{author} is not an admitted member of {body}")),
        ));
    }
    let received = Received {
        id: &id,
        actor: &author,
        raw: None,
        relayed_by: Some(body),
    };
    match object {
        ActivityObject::Call(c) => call::receive_call(data, received, *c).await,
        ActivityObject::Strike(s) => strike::receive_strike(data, received, *s).await,
        _ => Err(Error::BadRequest(
            "a body relays only calls and strikes".into(),
        )),
    }
}

/// Counts a refusal of a relay by its reason, for `/metrics`.
fn refused(reason: &'static str, error: Error) -> Error {
    metrics::counter!("unionhall_relays_refused_total", "reason" => reason).increment(1);
    error
}

fn relayable_id(object: &ActivityObject) -> Result<&Url> {
    match object {
        ActivityObject::Call(c) => Ok(&c.id),
        ActivityObject::Strike(s) => Ok(&s.id),
        _ => Err(Error::BadRequest(
            "a body relays only calls for support and strikes".into(),
        )),
    }
}

/// The object as its author said it: the relayed one if the author's proof
/// verifies, else the copy its author's server serves now.
async fn proven(
    data: &Data,
    raw: &Value,
    author: &Url,
    claimed: ActivityObject,
    object_id: &Url,
) -> Result<ActivityObject> {
    let author_id = ObjectId::<DbActor>::from(author.clone());
    if let Some(key_id) = integrity::proof_key_id(raw) {
        let mut actor = author_id.dereference(data).await?;
        let stale = now_millis() - actor.0.fetched_at >= REFRESH_AUTHOR_AFTER_MS;
        if actor.0.assertion_key_id.as_deref() != Some(key_id) && stale {
            actor = author_id.dereference_forced(data).await?;
        }
        return match (&actor.0.assertion_key_id, &actor.0.assertion_public_key) {
            (Some(ours), Some(key)) if ours == key_id => integrity::verify(raw, key_id, key)
                .map(|()| claimed)
                .map_err(|err| refused("proof", err)),
            _ => Err(refused(
                "proof",
                Error::Forbidden(format!(
                    "integrity proof: {key_id} is not an assertion key of {author}"
                )),
            )),
        };
    }
    let fetched = fetch_object_http::<_, Value>(object_id, &data.reset_request_count())
        .await
        .map_err(|err| {
            refused(
                "unconfirmed",
                Error::Forbidden(format!(
                    "{object_id} carries no integrity proof and could not be confirmed at its origin: {err}"
                )),
            )
        })?
        .object;
    if fetched.get("id").and_then(Value::as_str) != Some(object_id.as_str()) {
        return Err(refused(
            "unconfirmed",
            Error::Forbidden(format!("{object_id} answered with another object")),
        ));
    }
    serde_json::from_value(fetched)
        .map_err(|err| Error::BadRequest(format!("{object_id} as its origin serves it: {err}")))
}
