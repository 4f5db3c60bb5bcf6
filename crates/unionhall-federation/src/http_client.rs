//! The HTTP client every outbound request uses (fetches, WebFinger, deliveries),
//! always behind the outbound-request guard (`outbound_guard.rs`).

use crate::outbound_guard::OutboundGuard;
use crate::{Error, FederationSettings, Result};
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
