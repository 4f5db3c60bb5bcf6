//! Calls whose time is over close themselves. A picket at 6am on Saturday is
//! over by Sunday whether or not an organizer remembers to close it: this
//! instance closes its own calls once their time is over
//! (`CallForSupport::over_at`) and sends each one's Update, so that boards
//! here and on every server that follows the chapter (Lemmy posts included)
//! see it closed, and no one pledges to what has happened. Calls received
//! from servers that never close theirs are left out of boards by the time
//! stored with each (`calls::open` reads only those whose time is not over).
//!
//! Closing because the time is over is not calling off: no one who pledged
//! is mailed about it (the members crate's `reminders.rs`).

use super::call;
use crate::{Data, Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use unionhall_store::{calls, now_millis};

/// Closes every call of this instance whose time is over, each with its
/// Update; how many it closed. A call that cannot be read or closed is
/// logged and left for the next round, without holding up the others.
pub async fn close_what_is_over(data: &Data) -> Result<usize> {
    let now = now_millis();
    let mut closed = 0;
    for row in calls::local_standing(&data.store).await? {
        let over = match call::record_of(&row) {
            Ok(record) => record.is_over(now),
            Err(err) => {
                tracing::warn!(call = row.id, "a call of ours cannot be read: {err}");
                false
            }
        };
        if !over {
            continue;
        }
        match call::close_as_over(data, row.id).await {
            Ok(true) => closed += 1,
            Ok(false) => {}
            Err(err) => tracing::warn!(call = row.id, "closing a call that is over failed: {err}"),
        }
    }
    Ok(closed)
}

/// Runs [`close_what_is_over`] every `data.settings.close_calls_every` until
/// `shutdown`; a failure is logged and tried again the next round.
pub fn spawn_closer(data: Data, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(data.settings.close_calls_every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
            match close_what_is_over(&data).await {
                Ok(0) => {}
                Ok(closed) => tracing::info!(closed, "closed calls whose time is over"),
                Err(err) => tracing::warn!("closing calls whose time is over failed: {err}"),
            }
        }
    })
}
