//! Our signed GETs. Every fetch the `activitypub_federation` library makes
//! (actors, objects, collections) goes through this middleware of its HTTP
//! client, which signs it as the instance actor with the same aws-lc-rs
//! signer as our deliveries. The library's own signing (the `rsa` crate, no
//! `host`) is never used: it is given no key.
//!
//! A fetch is signed as its server is known to take our deliveries
//! (`delivery/knock.rs`): RFC 9421 (Ed25519 or RSA) where it took that,
//! else draft-cavage `rsa-sha256` over `(request-target) host date accept`,
//! as Mastodon signs and as servers in authorized-fetch mode require. An RFC
//! 9421 fetch refused is tried once more with draft-cavage, and that server's
//! fetches are then signed with draft-cavage alone for as long as the knock
//! remembers a scheme (a server can take RFC 9421 deliveries and still refuse
//! such fetches: Fedify apps that look the signer's key up in its
//! `publicKey`). Servers we have not delivered to yet are not knocked on
//! twice for a fetch: they get draft-cavage, which every server takes.
//!
//! A fetch refused for its signature (401 or 403) is logged as refused, with
//! the status, and fails with that reason instead of a parse error.

use crate::delivery::knock::{Knocks, Scheme, REMEMBER_FOR};
use crate::signatures::{rfc9421, signed_get_headers, unix_now};
use crate::{Error, Result};
use aws_lc_rs::signature::{Ed25519KeyPair, RsaKeyPair};
use reqwest::{Method, Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

/// The most hosts [`SignedFetches`] remembers refusing RFC 9421 fetches;
/// past it, those remembered longest ago are forgotten first.
const MOST_REMEMBERED: usize = 10_000;

/// Signs GETs as the instance actor. The instance actor's keys are never
/// rotated (rotation is per group, `actors::rotate_key`), so they are parsed
/// once.
pub struct SignedFetches {
    key_id: String,
    key: Arc<RsaKeyPair>,
    /// The instance actor's Ed25519 key (id, key), for RFC 9421.
    ed25519: Option<(String, Arc<Ed25519KeyPair>)>,
    knocks: Arc<Knocks>,
    /// Hosts that refused an RFC 9421 fetch and took draft-cavage, and when.
    cavage_only: Mutex<HashMap<String, Instant>>,
}

impl SignedFetches {
    pub fn new(
        key_id: String,
        key: Arc<RsaKeyPair>,
        ed25519: Option<(String, Arc<Ed25519KeyPair>)>,
        knocks: Arc<Knocks>,
    ) -> Self {
        Self {
            key_id,
            key,
            ed25519,
            knocks,
            cavage_only: Mutex::default(),
        }
    }

    fn cavage_only(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.cavage_only
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `host` refused an RFC 9421 fetch not long ago.
    fn takes_only_cavage(&self, host: &str) -> bool {
        self.cavage_only()
            .get(host)
            .is_some_and(|since| since.elapsed() < REMEMBER_FOR)
    }

    fn remember_cavage_only(&self, host: String) {
        let mut known = self.cavage_only();
        if known.len() >= MOST_REMEMBERED {
            known.retain(|_, since| since.elapsed() < REMEMBER_FOR);
            if known.len() >= MOST_REMEMBERED {
                if let Some(oldest) = known
                    .iter()
                    .min_by_key(|(_, s)| **s)
                    .map(|(h, _)| h.clone())
                {
                    known.remove(&oldest);
                }
            }
        }
        known.insert(host, Instant::now());
    }

    /// How to sign a fetch from `request`'s server.
    fn scheme_for(&self, request: &Request) -> Scheme {
        let host = unionhall_store::outbox::host_of(request.url());
        if self.takes_only_cavage(&host) {
            return Scheme::Cavage;
        }
        match self.knocks.known(&host) {
            Some(Scheme::Rfc9421Ed25519) if self.ed25519.is_some() => Scheme::Rfc9421Ed25519,
            Some(Scheme::Rfc9421Rsa) => Scheme::Rfc9421Rsa,
            _ => Scheme::Cavage,
        }
    }

    async fn sign(&self, request: &mut Request, scheme: Scheme) -> Result<()> {
        let accept = request
            .headers()
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/activity+json")
            .to_owned();
        let url = request.url().clone();
        let headers = match (scheme, &self.ed25519) {
            // A few microseconds: made here.
            (Scheme::Rfc9421Ed25519, Some((key_id, key))) => rfc9421::signed_headers(
                rfc9421::SigningKey::Ed25519(key),
                key_id,
                "GET",
                &url,
                None,
                unix_now(),
            )?,
            // RSA: about a third of a millisecond, on a blocking thread.
            (scheme, _) => {
                let (key, key_id) = (self.key.clone(), self.key_id.clone());
                tokio::task::spawn_blocking(move || {
                    if scheme == Scheme::Rfc9421Rsa {
                        rfc9421::signed_headers(
                            rfc9421::SigningKey::Rsa(&key),
                            &key_id,
                            "GET",
                            &url,
                            None,
                            unix_now(),
                        )
                    } else {
                        signed_get_headers(&key, &key_id, &url, &accept, SystemTime::now())
                    }
                })
                .await
                .map_err(|err| Error::Internal(format!("signing a fetch: {err}")))??
            }
        };
        request.headers_mut().extend(headers);
        Ok(())
    }
}

fn refused(status: StatusCode) -> bool {
    status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
}

#[async_trait::async_trait]
impl Middleware for SignedFetches {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if request.method() != Method::GET {
            return next.run(request, extensions).await;
        }
        let scheme = self.scheme_for(&request);
        // Kept to knock again with draft-cavage if RFC 9421 is refused.
        let again = (scheme != Scheme::Cavage)
            .then(|| request.try_clone())
            .flatten();
        self.sign(&mut request, scheme)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let url = request.url().clone();
        let mut response = next.clone().run(request, extensions).await?;
        if let (true, Some(mut again)) = (refused(response.status()), again) {
            tracing::debug!(%url, scheme = scheme.as_str(), "a signed fetch refused: again with draft-cavage");
            self.sign(&mut again, Scheme::Cavage)
                .await
                .map_err(reqwest_middleware::Error::middleware)?;
            response = next.run(again, extensions).await?;
            if !refused(response.status()) {
                self.remember_cavage_only(unionhall_store::outbox::host_of(&url));
            }
        }
        let status = response.status();
        if refused(status) {
            tracing::warn!(%url, status = status.as_u16(), "our signed fetch was refused");
            return Err(reqwest_middleware::Error::middleware(Error::Remote(
                format!("{url} refused our signed fetch ({status})"),
            )));
        }
        Ok(response)
    }
}
