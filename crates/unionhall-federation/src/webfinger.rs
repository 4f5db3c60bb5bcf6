//! Looking up `handle@domain` with WebFinger (RFC 7033), for following a remote
//! chapter by its handle.
//!
//! Done here rather than by the library, whose lookup uses plain http for every
//! host as soon as any peer may: here only the peers the outbound guard trusts
//! with http get it, everyone else is asked over https.

use crate::{Data, Error, Result};
use serde::Deserialize;
use url::Url;

/// A WebFinger answer is a few hundred bytes; anything past this is not one.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct Link {
    rel: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    href: Option<Url>,
}

/// The ActivityPub id of `acct` (`handle@domain`, the domain may carry a port).
pub async fn actor_id(data: &Data, acct: &str) -> Result<Url> {
    let domain = acct
        .split_once('@')
        .map(|(_, domain)| domain)
        .filter(|d| !d.is_empty() && !d.contains(['/', '?', '#', '@']))
        .ok_or_else(|| Error::BadRequest(format!("{acct:?} is not handle@domain")))?;
    let host = domain.rsplit_once(':').map_or(domain, |(host, _)| host);
    let scheme = if data.guard.plain_http_allowed(host) {
        "http"
    } else {
        "https"
    };
    let mut url = Url::parse(&format!("{scheme}://{domain}/.well-known/webfinger"))?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{acct}"));
    let answer: Answer = crate::http_client::get_small_json(
        data,
        &url,
        "application/jrd+json, application/json",
        MAX_ANSWER_BYTES,
        &format!("WebFinger lookup of {acct}"),
    )
    .await?;
    answer
        .links
        .into_iter()
        .find(|link| {
            link.rel == "self"
                && link.kind.as_deref().is_some_and(|kind| {
                    kind.starts_with("application/activity+json")
                        || kind.starts_with("application/ld+json")
                })
        })
        .and_then(|link| link.href)
        .ok_or_else(|| {
            Error::Remote(format!(
                "WebFinger lookup of {acct} failed: no ActivityPub actor in the answer"
            ))
        })
}
