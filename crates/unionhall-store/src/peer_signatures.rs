//! How each peer takes our signed deliveries: the signature scheme that last
//! worked with it, and when that was learned (the federation crate's
//! `delivery/knock.rs` decides what to do with it).

use crate::{Result, Store};
use sqlx::Row;

/// Every remembered peer: (host, scheme, learned at).
pub async fn all(store: &Store) -> Result<Vec<(String, String, i64)>> {
    sqlx::query("SELECT host, scheme, learned_at FROM peer_signatures")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("host")?,
                row.try_get("scheme")?,
                row.try_get("learned_at")?,
            ))
        })
        .collect()
}

/// Remembers that `host` took `scheme` at `now`.
pub async fn remember(store: &Store, host: &str, scheme: &str, now: i64) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO peer_signatures (host, scheme, learned_at) VALUES ($1, $2, $3) \
         ON CONFLICT (host) DO UPDATE SET scheme = excluded.scheme, learned_at = excluded.learned_at",
    )
    .bind(host)
    .bind(scheme)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::commit(tx).await
}
