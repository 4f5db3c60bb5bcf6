//! What software each peer runs, as its NodeInfo says, and when that was
//! checked (the federation crate's `software.rs` asks; `group_posts.rs`
//! decides what a group-aware server is sent).

use crate::{Result, Store};
use sqlx::{AnyConnection, Row};

/// The software `host` was found running, and when it was checked.
pub async fn of(store: &Store, host: &str) -> Result<Option<(String, i64)>> {
    let row = sqlx::query("SELECT software, checked_at FROM peer_software WHERE host = $1")
        .bind(host)
        .fetch_optional(store.pool())
        .await?;
    row.map(|row| Ok((row.try_get("software")?, row.try_get("checked_at")?)))
        .transpose()
}

/// Remembers that `host` runs `software` (lower case; empty when it did not
/// say), checked at `now`.
pub async fn remember(store: &Store, host: &str, software: &str, now: i64) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO peer_software (host, software, checked_at) VALUES ($1, $2, $3) \
         ON CONFLICT (host) DO UPDATE SET software = excluded.software, checked_at = excluded.checked_at",
    )
    .bind(host)
    .bind(software)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::commit(tx).await
}

/// Which of `hosts` run one of `software`, in the caller's transaction.
pub async fn running(
    conn: &mut AnyConnection,
    hosts: &[String],
    software: &[&str],
) -> Result<Vec<String>> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=software.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT host FROM peer_software WHERE software IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for name in software {
        query = query.bind(*name);
    }
    let all = query.fetch_all(conn).await?;
    Ok(all.into_iter().filter(|h| hosts.contains(h)).collect())
}
