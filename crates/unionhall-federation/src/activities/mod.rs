//! What happens when an activity arrives or is sent. Each handler checks that the
//! actor acts only for itself and on what it owns, records the activity id and
//! applies the change in one transaction, and enqueues any answer in the same one.

pub mod follow;
pub mod post;

use crate::{Data, Error, Result};
use unionhall_store::{inbox_seen, Connection};
use url::Url;

/// Records `id` as received inside the handler's transaction. False means a
/// concurrent redelivery already applied it: the caller changes nothing.
pub(crate) async fn first_time(conn: &mut Connection, id: &Url, actor: &Url) -> Result<bool> {
    Ok(inbox_seen::record(conn, id, actor).await?)
}

/// The actor named inside an activity must be the one that sent it.
pub(crate) fn same_actor(claimed: &Url, acting: &Url, what: &str) -> Result<()> {
    if claimed == acting {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "{acting} cannot {what} on behalf of {claimed}"
        )))
    }
}

pub(crate) fn wake(data: &Data) {
    data.wake_delivery();
}
