//! Ids of activities already received: the inbox acknowledges and ignores a
//! redelivery, across restarts.

use crate::database::now_millis;
use crate::rows::opt_url;
use crate::{Result, Store};
use sqlx::AnyConnection;
use url::Url;

/// What the inbox asks before it does any work for an activity.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Before {
    /// The id was received before.
    pub seen: bool,
    /// The local chapters and bodies that have blocked the sender.
    pub blockers: Vec<Url>,
}

/// Whether `ap_id` was seen, and who blocked `sender`, in one round trip (the
/// inbox asks for every activity).
pub async fn before(store: &Store, ap_id: &Url, sender: &Url) -> Result<Before> {
    // A seen id is a row without a blocker.
    let rows = sqlx::query(
        "SELECT NULL AS local_actor FROM inbox_seen WHERE ap_id = $1 \
         UNION ALL SELECT local_actor FROM actor_blocks WHERE blocked = $2",
    )
    .bind(ap_id.as_str())
    .bind(sender.as_str())
    .fetch_all(store.pool())
    .await?;
    let mut before = Before::default();
    for row in &rows {
        match opt_url(row, "local_actor")? {
            None => before.seen = true,
            Some(blocker) => before.blockers.push(blocker),
        }
    }
    Ok(before)
}

/// Records the id inside the transaction that applies the activity; false if it
/// was recorded already (a concurrent redelivery won the race: roll back).
pub async fn record(conn: &mut AnyConnection, ap_id: &Url, actor: &Url) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO inbox_seen (ap_id, actor, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (ap_id) DO NOTHING",
    )
    .bind(ap_id.as_str())
    .bind(actor.as_str())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn count(store: &Store) -> Result<i64> {
    use sqlx::Row;
    Ok(sqlx::query("SELECT COUNT(*) FROM inbox_seen")
        .fetch_one(store.pool())
        .await?
        .try_get(0)?)
}
