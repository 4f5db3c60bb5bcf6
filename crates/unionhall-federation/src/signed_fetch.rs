//! Our signed GETs. Every fetch the `activitypub_federation` library makes
//! (actors, objects, collections) goes through this middleware of its HTTP
//! client, which signs it with the instance actor's key as Mastodon signs:
//! draft-cavage `rsa-sha256` over `(request-target) host date accept`, with the
//! same aws-lc-rs signer as our deliveries. Servers in authorized-fetch mode
//! require `host` and `date`; the library's own signing (the `rsa` crate, no
//! `host`) is never used: it is given no key.
//!
//! A fetch refused for its signature (401 or 403) is logged as refused, with
//! the status, and fails with that reason instead of a parse error.

use crate::signatures::signed_get_headers;
use crate::{Error, Result};
use aws_lc_rs::signature::RsaKeyPair;
use reqwest::{Method, Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};
use std::sync::Arc;
use std::time::SystemTime;

/// Signs GETs as the instance actor. The instance actor's key is never rotated
/// (rotation is per group, `actors::rotate_key`), so it is parsed once.
pub struct SignedFetches {
    key_id: String,
    key: Arc<RsaKeyPair>,
}

impl SignedFetches {
    pub fn new(key_id: String, key: Arc<RsaKeyPair>) -> Self {
        Self { key_id, key }
    }

    async fn sign(&self, request: &mut Request) -> Result<()> {
        let accept = request
            .headers()
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/activity+json")
            .to_owned();
        let (key, key_id, url) = (self.key.clone(), self.key_id.clone(), request.url().clone());
        let headers = tokio::task::spawn_blocking(move || {
            signed_get_headers(&key, &key_id, &url, &accept, SystemTime::now())
        })
        .await
        .map_err(|err| Error::Internal(format!("signing a fetch: {err}")))??;
        request.headers_mut().extend(headers);
        Ok(())
    }
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
        self.sign(&mut request)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let url = request.url().clone();
        let response = next.run(request, extensions).await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            tracing::warn!(%url, status = status.as_u16(), "our signed fetch was refused");
            return Err(reqwest_middleware::Error::middleware(Error::Remote(
                format!("{url} refused our signed fetch ({status})"),
            )));
        }
        Ok(response)
    }
}
