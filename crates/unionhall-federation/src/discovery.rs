//! WebFinger and NodeInfo: how other servers find our actors and learn what this
//! instance is.

use crate::{Data, Error, Result};
use serde_json::{json, Value};
use unionhall_store::actors as store_actors;

/// What a WebFinger `resource` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource<'a> {
    /// `acct:name@host`
    Acct { name: &'a str, host: &'a str },
    /// An actor's URL.
    Url(url::Url),
}

/// Reads a WebFinger `resource` parameter (no IO: the fuzz target calls it).
pub fn parse_resource(resource: &str) -> Result<Resource<'_>> {
    if let Some(acct) = resource.strip_prefix("acct:") {
        let (name, host) = acct
            .rsplit_once('@')
            .filter(|(name, host)| !name.is_empty() && !host.is_empty())
            .ok_or_else(|| Error::BadRequest(format!("{resource:?} is not acct:name@domain")))?;
        let name = name.strip_prefix('@').unwrap_or(name);
        return Ok(Resource::Acct { name, host });
    }
    if resource.starts_with("http://") || resource.starts_with("https://") {
        return Ok(Resource::Url(url::Url::parse(resource)?));
    }
    // mailto:, did:, anything else: a resource we do not serve (RFC 7033
    // section 4.2: 404), not a malformed request.
    Err(Error::NotFound(format!(
        "no resource {resource:?} here: this server answers for acct:name@domain and actor URLs"
    )))
}

/// The WebFinger document for `acct:handle@domain` (or the actor's URL). The
/// instance actor answers to `acct:domain@domain`, as Mastodon's does.
pub async fn webfinger(data: &Data, resource: &str) -> Result<Value> {
    let domain = data.urls.domain();
    let actor = match parse_resource(resource)? {
        Resource::Acct { name, host } => {
            if !host.eq_ignore_ascii_case(&domain) {
                return Err(Error::NotFound(format!(
                    "{host} is not this instance ({domain})"
                )));
            }
            if name == domain || name == domain.split(':').next().unwrap_or_default() {
                store_actors::instance_actor(&data.store).await?
            } else {
                store_actors::local_by_handle(&data.store, name).await?
            }
        }
        Resource::Url(url) => store_actors::by_ap_id(&data.store, &url)
            .await?
            .filter(|a| a.is_local),
    };
    let actor = actor.ok_or_else(|| Error::NotFound(format!("no actor {resource} here")))?;
    Ok(json!({
        "subject": format!("acct:{}@{domain}", actor.preferred_username),
        "aliases": [actor.ap_id],
        "links": [
            { "rel": "self", "type": "application/activity+json", "href": actor.ap_id },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor.ap_id }
        ]
    }))
}

/// `/.well-known/nodeinfo`: where the NodeInfo 2.1 document is.
pub fn nodeinfo_links(data: &Data) -> Value {
    let mut href = data.urls.base().clone();
    href.set_path("/nodeinfo/2.1");
    json!({
        "links": [{ "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": href }]
    })
}

/// NodeInfo 2.1. Counts chapters and bodies as its "users": member numbers are
/// nobody else's business.
pub async fn nodeinfo(data: &Data) -> Result<Value> {
    let groups = store_actors::count_local_groups(&data.store).await?;
    Ok(json!({
        "version": "2.1",
        "software": {
            "name": "unionhall",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": false,
        "usage": { "users": { "total": groups } },
        "metadata": { "nodeName": data.settings.instance_name }
    }))
}

/// `/.well-known/host-meta` (XRD), for servers that look WebFinger up through it.
pub fn host_meta(data: &Data) -> String {
    let mut template = data.urls.base().clone();
    template.set_path("/.well-known/webfinger");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{template}?resource={{uri}}\"/>\n</XRD>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_acct_or_urls() {
        assert_eq!(
            parse_resource("acct:bakers@example.org").unwrap(),
            Resource::Acct {
                name: "bakers",
                host: "example.org"
            }
        );
        assert!(matches!(
            parse_resource("https://example.org/actors/x"),
            Ok(Resource::Url(_))
        ));
        for bad in [
            "acct:bakers",
            "acct:@example.org",
            "acct:bakers@",
            "bakers@example.org",
            "",
        ] {
            assert!(parse_resource(bad).is_err(), "{bad:?}");
        }
    }
}
