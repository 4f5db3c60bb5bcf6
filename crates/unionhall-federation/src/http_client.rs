//! The HTTP client every outbound request uses (fetches, WebFinger, deliveries),
//! always behind the outbound-request guard (`outbound_guard.rs`).

use crate::outbound_guard::OutboundGuard;
use crate::{Data, Error, FederationSettings, Result};
use std::sync::Arc;

/// A client that resolves through `guard` and follows redirects only as far as
/// `guard` allows (or none at all with `follow_redirects` off).
pub fn build(
    settings: &FederationSettings,
    guard: &Arc<OutboundGuard>,
    follow_redirects: bool,
) -> Result<reqwest::Client> {
    let redirects = if follow_redirects {
        guard.redirect_policy()
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .timeout(settings.request_timeout)
        .connect_timeout(settings.request_timeout)
        .redirect(redirects)
        .dns_resolver(guard.resolver())
        .user_agent(concat!("Unionhall/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(settings.per_peer_concurrency)
        // reqwest retries only HTTP/2 and HTTP/3 refusals, which this HTTP/1
        // client never meets, yet copies every request's headers in case it
        // must; deliveries are retried by the queue, with back-off.
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .build()
        .map_err(|err| Error::Internal(format!("HTTP client: {err}")))
}

/// GETs `url` with the fetch client, once the federation policy and the
/// outbound guard let it through (their refusals are returned as they are),
/// and reads its JSON answer of at most `limit` bytes; any other failure is
/// "`what` failed: why".
pub(crate) async fn get_small_json<T: serde::de::DeserializeOwned>(
    data: &Data,
    url: &url::Url,
    accept: &str,
    limit: usize,
    what: &str,
) -> Result<T> {
    crate::policy::check(data, url).await?;
    data.guard
        .check_url(url)
        .map_err(|refused| Error::Forbidden(refused.to_string()))?;
    let failed = |why: String| Error::Remote(format!("{what} failed: {why}"));
    let mut response = data
        .client
        .get(url.clone())
        .header("accept", accept)
        .send()
        .await
        .map_err(|err| failed(err.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("the server answered {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if body.len() + chunk.len() > limit {
            return Err(failed("the answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|err| failed(format!("unreadable answer: {err}")))
}
