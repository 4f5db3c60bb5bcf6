//! The HTTP client every outbound request uses (fetches, WebFinger, deliveries).
//!
//! Unless `allow_private_peers` is on, names are resolved by the library's
//! validating resolver, which refuses loopback and private addresses (a first
//! guard against server-side request forgery). With it on (tests, closed
//! networks) the static `hosts` map pins peer names to addresses, like
//! /etc/hosts, so that instances on 127.0.0.2, .3, .4 can have names.

use crate::{Error, FederationSettings, Result};
use activitypub_federation::resolver::ValidatingDnsResolver;
use reqwest::redirect::Policy;
use std::net::SocketAddr;

pub fn build(settings: &FederationSettings, redirects: Policy) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(settings.request_timeout)
        .connect_timeout(settings.request_timeout)
        .redirect(redirects)
        .user_agent(concat!("Unionhall/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(settings.per_peer_concurrency);
    if settings.allow_private_peers {
        for (name, ip) in &settings.hosts {
            // Port 0: the port of each URL is used.
            builder = builder.resolve(name, SocketAddr::new(*ip, 0));
        }
    } else {
        builder = builder.dns_resolver(ValidatingDnsResolver::new(Vec::new(), true));
    }
    builder
        .build()
        .map_err(|err| Error::Internal(format!("HTTP client: {err}")))
}
