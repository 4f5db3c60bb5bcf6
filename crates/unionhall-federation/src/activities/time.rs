//! Times on the wire: RFC 3339 (to the millisecond, as we send them) to and
//! from the Unix milliseconds the store keeps.

use crate::{Error, Result};

/// Unix milliseconds as RFC 3339, to the millisecond, in UTC.
pub fn rfc3339(millis: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// An optional RFC 3339 field as Unix milliseconds; a 400 naming `field` if
/// unreadable.
pub(crate) fn parse_time(text: &Option<String>, field: &str) -> Result<Option<i64>> {
    text.as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp_millis())
                .map_err(|_| Error::BadRequest(format!("{field} {t:?} is not an RFC 3339 time")))
        })
        .transpose()
}

/// When the author says it was published, if that is readable and not ahead of
/// our clock; else now. A backfilled campaign or update keeps its place among
/// the others this way.
pub(crate) fn published_or_now(published: &Option<String>) -> i64 {
    let now = unionhall_store::now_millis();
    match parse_time(published, "published") {
        Ok(Some(at)) => at.min(now),
        _ => now,
    }
}

/// The zone a local group posts in, when one was set and can be read: what a
/// call or strike it posts carries, so that readers anywhere see its times on
/// the clocks where it happens.
pub async fn zone_of(
    store: &unionhall_store::Store,
    group: &url::Url,
) -> Result<Option<unionhall_domain::Zone>> {
    Ok(unionhall_store::time_zones::of_group(store, group)
        .await?
        .and_then(|name| unionhall_domain::Zone::parse(&name).ok()))
}

/// The zone a received call or strike (`object`) names, if we know it. One we
/// do not know is left out, and said so in the log: its times are then shown
/// in the reader's zone, still right, only not on the local clocks.
pub(crate) fn received_zone(
    name: Option<&str>,
    object: &url::Url,
) -> Option<unionhall_domain::Zone> {
    let name = name?;
    match unionhall_domain::Zone::parse(name) {
        Ok(zone) => Some(zone),
        Err(_) => {
            tracing::info!(%object, zone = name, "a received time zone is not one we know: left out");
            None
        }
    }
}
