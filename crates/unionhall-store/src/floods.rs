//! Hourly allowances of reports and follows from remote actors and domains
//! (the federation crate's `flood.rs`), kept here so that several processes on
//! one database share them: each counter is a window start and a count.

use crate::{Result, Store};
use sqlx::Row;
use std::collections::HashMap;

/// The counters of `keys` whose window started after `since`: key to (window
/// start, count).
pub async fn counts(
    store: &Store,
    kind: &str,
    keys: &[&str; 2],
    since: i64,
) -> Result<HashMap<String, (i64, i64)>> {
    sqlx::query(
        "SELECT key, window_start, count FROM flood_counts \
         WHERE kind = $1 AND (key = $2 OR key = $3) AND window_start > $4",
    )
    .bind(kind)
    .bind(keys[0])
    .bind(keys[1])
    .bind(since)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("key")?,
            (row.try_get("window_start")?, row.try_get("count")?),
        ))
    })
    .collect()
}

/// Counts one against each of `keys`: a window that started at or before
/// `since` (or none) starts again at `now` with a count of one.
pub async fn spend(
    store: &Store,
    kind: &str,
    keys: &[&str; 2],
    now: i64,
    since: i64,
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for key in keys {
        sqlx::query(
            "INSERT INTO flood_counts (kind, key, window_start, count) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (kind, key) DO UPDATE SET \
             count = CASE WHEN flood_counts.window_start > $4 THEN flood_counts.count + 1 ELSE 1 END, \
             window_start = CASE WHEN flood_counts.window_start > $4 \
                 THEN flood_counts.window_start ELSE $3 END",
        )
        .bind(kind)
        .bind(*key)
        .bind(now)
        .bind(since)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
