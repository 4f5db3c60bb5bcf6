//! The operator's levers on the queue (CLI and API): try a peer now, and give
//! dead deliveries another life, all or by peer or by activity.

use crate::{Error, FederationShared, Result};
use unionhall_store::deliveries::{self, DeadFilter};
use unionhall_store::{now_millis, peers};

/// Clears a peer's back-off and makes everything queued for it due now. An
/// unknown peer, or one with nothing queued, is NotFound.
pub async fn retry_peer(data: &FederationShared, host: &str) -> Result<()> {
    let host = host.trim().to_lowercase();
    if host.is_empty() {
        return Err(Error::BadRequest("name the peer: its host".into()));
    }
    if !peers::retry_now(&data.store, &host, now_millis()).await? {
        return Err(Error::NotFound(format!(
            "nothing is known or queued for {host}"
        )));
    }
    data.delivery_wakeup.notify_one();
    Ok(())
}

/// Dead deliveries (not those dropped by a block) due again now, with a new
/// expiry: all of them, or those to one peer, or of one activity. Returns how
/// many.
pub async fn retry_dead(
    data: &FederationShared,
    host: Option<&str>,
    activity: Option<&str>,
) -> Result<u64> {
    let filter = DeadFilter {
        host: host.map(|h| h.trim().to_lowercase()),
        activity: activity.map(|a| a.trim().to_owned()),
    };
    let revived = deliveries::retry_dead(&data.store, &filter, now_millis()).await?;
    if revived > 0 {
        data.delivery_wakeup.notify_one();
    }
    Ok(revived)
}
