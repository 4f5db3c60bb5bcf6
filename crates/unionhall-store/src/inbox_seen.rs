//! Ids of activities already received: the inbox acknowledges and ignores a
//! redelivery, across restarts.

use crate::database::now_millis;
use crate::{Result, Store};
use sqlx::AnyConnection;
use url::Url;

/// Whether `ap_id` was received (and recorded) before.
pub async fn seen(store: &Store, ap_id: &Url) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM inbox_seen WHERE ap_id = $1")
        .bind(ap_id.as_str())
        .fetch_optional(store.pool())
        .await?;
    Ok(row.is_some())
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
