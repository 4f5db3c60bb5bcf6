//! Who signed a request: the HTTP signature checks shared by inboxes (signed
//! POSTs) and by fetches of non-public objects (signed GETs), for draft-cavage
//! signatures and RFC 9421 ones alike.

use crate::actors::DbActor;
use crate::signatures::rfc9421::{self, Rfc9421Signature};
use crate::signatures::SignatureHeader;
use crate::{Data, Error, Result};
use activitypub_federation::fetch::object_id::ObjectId;
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};
use unionhall_store::now_millis;
use url::Url;

/// How far a request's `Date` may lie in the past (Mastodon allows 12 hours).
const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// How far in the future, for clocks running fast.
const MAX_SKEW: Duration = Duration::from_secs(3600);
/// A cached key that fails to verify is refetched (the actor may have rotated
/// it) when it is at least this old; younger ones are not, so that forged
/// requests cannot make us hammer a server.
const REFRESH_KEY_AFTER_MS: i64 = 60_000;

/// A request as it arrived, for signature checks.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
}

/// A request's signature, of either kind.
pub enum RequestSignature {
    /// `Signature: keyId=...,headers=...` (draft-cavage, Mastodon).
    Cavage(SignatureHeader),
    /// `Signature-Input` and `Signature` (RFC 9421, Fedify, Mastodon 4.5).
    Rfc9421(Rfc9421Signature),
}

impl RequestSignature {
    /// The actor whose key signed: the key id without its fragment.
    pub fn key_owner(&self) -> Result<Url> {
        match self {
            Self::Cavage(signature) => signature.key_owner(),
            Self::Rfc9421(signature) => signature.key_owner(),
        }
    }

    /// Checks the body against the digest the signature covers (`Digest`, or
    /// RFC 9421's `Content-Digest`).
    pub fn verify_body(&self, headers: &HeaderMap, body: &[u8]) -> Result<()> {
        match self {
            Self::Cavage(_) => crate::signatures::verify_digest(headers, body),
            Self::Rfc9421(_) => rfc9421::verify_content_digest(headers, body),
        }
    }
}

/// The signer a request names, if its signature can be read at all (for
/// rate limits; anything else is refused later, with a reason).
pub fn claimed_signer(headers: &HeaderMap) -> Option<Url> {
    if headers.contains_key("signature-input") {
        return Rfc9421Signature::parse(headers).ok()?.key_owner().ok();
    }
    let value = headers.get("signature")?.to_str().ok()?;
    SignatureHeader::parse(value).ok()?.key_owner().ok()
}

/// The refusals that need neither the database nor the network: a signature
/// that parses, a Date (or `created`) inside the window, and what a request of
/// this kind must cover.
pub fn parse_signature(request: &SignedRequest<'_>) -> Result<RequestSignature> {
    let headers = request.headers;
    let now = crate::signatures::unix_now();
    if headers.contains_key("signature-input") {
        let signature = Rfc9421Signature::parse(headers)?;
        signature.check_covers(request.method, now)?;
        let created = signature.created.unwrap_or_default().max(0) as u64;
        check_window(SystemTime::UNIX_EPOCH + Duration::from_secs(created))?;
        return Ok(RequestSignature::Rfc9421(signature));
    }
    let Some(signature) = headers.get("signature") else {
        return Err(Error::Unauthorized(
            "requests must be signed: an HTTP Signature (draft-cavage) or RFC 9421 Signature-Input and Signature".into(),
        ));
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
    if request.method.eq_ignore_ascii_case("post") {
        signature.check_covers_post(now)?;
    } else {
        signature.check_covers_get(now)?;
    }
    Ok(RequestSignature::Cavage(signature))
}

fn check_window(date: SystemTime) -> Result<()> {
    let now = SystemTime::now();
    if now.duration_since(date).is_ok_and(|age| age > MAX_AGE)
        || date.duration_since(now).is_ok_and(|ahead| ahead > MAX_SKEW)
    {
        return Err(Error::Unauthorized(
            "the Date (or created time) is outside the accepted window (12 hours back, 1 hour ahead)"
                .into(),
        ));
    }
    Ok(())
}

/// Fetches (or takes from the cache) the key owner's actor and verifies the
/// signature with its key, refetching an aged copy once if it fails (key
/// rotation). Returns the signer.
pub async fn verify_signer(
    data: &Data,
    request: &SignedRequest<'_>,
    signature: &RequestSignature,
) -> Result<DbActor> {
    let domain = data.urls.domain();
    let message = match signature {
        RequestSignature::Cavage(signature) => {
            check_host(
                request.headers,
                signature,
                &domain,
                data.urls.base().scheme(),
            )?;
            signature.signing_string(
                request.method,
                request.path_and_query,
                request.headers,
                &domain,
            )?
        }
        // Rebuilt with our own address for the request: a signature made
        // for another server's URL does not verify here.
        RequestSignature::Rfc9421(signature) => {
            let target = Url::parse(&format!(
                "{}://{domain}{}",
                data.urls.base().scheme(),
                request.path_and_query
            ))
            .map_err(|_| Error::BadRequest("unreadable request target".into()))?;
            signature.base(request.method, &target, request.headers)?
        }
    };
    let owner = signature.key_owner()?;
    let actor_id: ObjectId<DbActor> = owner.clone().into();
    let actor = match data.recent.actors.get(&owner) {
        Some(actor) => actor,
        None => {
            let ttl = data.settings.inbox.failed_actor_ttl;
            let actor = data
                .key_fetches
                .run(&owner, ttl, actor_id.dereference(data))
                .await?;
            data.recent.actors.put(owner.clone(), actor.clone());
            actor
        }
    };
    if verifies(data, &actor, &message, signature)? {
        return Ok(actor);
    }
    data.recent.actors.forget(&owner);
    let cached_for = now_millis() - actor.0.fetched_at;
    if actor.0.is_local || cached_for < REFRESH_KEY_AFTER_MS {
        return Err(Error::Unauthorized("HTTP signature invalid".into()));
    }
    let refreshed = actor_id.dereference_forced(data).await?;
    if verifies(data, &refreshed, &message, signature)? {
        data.recent.actors.put(owner, refreshed.clone());
        Ok(refreshed)
    } else {
        Err(Error::Unauthorized("HTTP signature invalid".into()))
    }
}

/// A signed `Host` must name this instance: a request signed for another server
/// cannot be replayed here.
fn check_host(
    headers: &HeaderMap,
    signature: &SignatureHeader,
    domain: &str,
    scheme: &str,
) -> Result<()> {
    if !signature.headers.iter().any(|h| h == "host") {
        return Ok(());
    }
    let Some(host) = headers.get("host").and_then(|h| h.to_str().ok()) else {
        return Ok(()); // HTTP/2 has none: the signing string uses our domain.
    };
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let host = host.strip_suffix(default_port).unwrap_or(host);
    if host.eq_ignore_ascii_case(domain) {
        Ok(())
    } else {
        Err(Error::Unauthorized(format!(
            "the request was signed for {host}, not for this instance ({domain})"
        )))
    }
}

fn verifies(
    data: &Data,
    actor: &DbActor,
    message: &str,
    signature: &RequestSignature,
) -> Result<bool> {
    let (bytes, ed25519_key_id) = match signature {
        RequestSignature::Cavage(signature) => (&signature.signature, None),
        RequestSignature::Rfc9421(signature) => {
            // Ed25519 is the actor's FEP-521a assertion key, named by its id
            // or by its key document; anything else, its RSA key.
            let ed25519 = signature.alg.as_deref() == Some(rfc9421::ALG_ED25519)
                || (signature.alg.is_none()
                    && crate::actors::names_ed25519_key_of(&actor.0, &signature.key_id));
            (&signature.signature, ed25519.then_some(&signature.key_id))
        }
    };
    let Some(key_id) = ed25519_key_id else {
        return data
            .verifier
            .verify(&actor.0.public_key_pem, message.as_bytes(), bytes);
    };
    if !crate::actors::names_ed25519_key_of(&actor.0, key_id) {
        return Ok(false);
    }
    let key = actor
        .0
        .assertion_public_key
        .as_deref()
        .and_then(crate::integrity::decode_multibase_key)
        .ok_or_else(|| Error::Unauthorized("the signer has no usable Ed25519 key".into()))?;
    let key = aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, key);
    Ok(key.verify(message.as_bytes(), bytes).is_ok())
}

/// A non-public object is served to a signed request from a server in its
/// audience (DESIGN.md invariant 5): the signer must be on the same server as
/// one of the actors the object is addressed to. Unsigned: 401; signed by anyone
/// else: 404, so that its existence is not revealed.
pub async fn authorize_fetch(
    data: &Data,
    request: &SignedRequest<'_>,
    audience: &[Url],
) -> Result<()> {
    let signature = parse_signature(request)?;
    let signer = verify_signer(data, request, &signature).await?;
    let host = |url: &Url| unionhall_store::outbox::host_of(url);
    let signer_host = host(&signer.0.ap_id);
    if audience.iter().any(|member| host(member) == signer_host) {
        Ok(())
    } else {
        Err(Error::NotFound("no such object".into()))
    }
}
