//! The health of each peer (`peers`): a failing peer is backed off as a
//! whole, by failed *rounds*: the deliveries that fail together (everything
//! that was in flight when it went down) count once. When its wait ends it is
//! sent one delivery, its probe (the claim in `deliveries.rs` allows no more);
//! when a delivery to it succeeds, everything queued for it is due at once.

use crate::{Backend, Result, Store};
use sqlx::Row;

/// Records a failed delivery to `host` at `now`. While the peer is backed off
/// already (the rest of a round that failed together), the failure is not
/// counted; otherwise it starts a new round: returns that round's number, and
/// the peer is left alone until `now + wait_ms(round)`.
pub async fn failed(
    store: &Store,
    host: &str,
    error: &str,
    now: i64,
    wait_ms: impl Fn(i64) -> i64,
) -> Result<Option<i64>> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO peers (host, consecutive_failures, retry_after) VALUES ($1, 0, 0) \
         ON CONFLICT (host) DO NOTHING",
    )
    .bind(host)
    .execute(&mut *tx)
    .await?;
    // Two processes recording failures of one round count it once.
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let row = sqlx::query(&format!(
        "SELECT consecutive_failures, retry_after FROM peers WHERE host = $1{lock}"
    ))
    .bind(host)
    .fetch_one(&mut *tx)
    .await?;
    let (rounds, retry_after): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let new_round = retry_after <= now;
    let (rounds, retry_after) = if new_round {
        (rounds + 1, now + wait_ms(rounds + 1))
    } else {
        (rounds, retry_after)
    };
    sqlx::query(
        "UPDATE peers SET consecutive_failures = $2, retry_after = $3, last_error = $4 \
         WHERE host = $1",
    )
    .bind(host)
    .bind(rounds)
    .bind(retry_after)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    crate::commit(tx).await?;
    Ok(new_round.then_some(rounds))
}

/// A peer's failed rounds in a row (0: healthy or unknown).
pub async fn failed_rounds(store: &Store, host: &str) -> Result<i64> {
    Ok(
        sqlx::query("SELECT consecutive_failures FROM peers WHERE host = $1")
            .bind(host)
            .fetch_optional(store.pool())
            .await?
            .map(|row| row.try_get(0))
            .transpose()?
            .unwrap_or(0),
    )
}

/// The operator's "try it now": the peer's back-off is cleared (it is probed
/// at once) and everything queued for it is due now. False if nothing was
/// known or queued for it.
pub async fn retry_now(store: &Store, host: &str, now: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let peer = sqlx::query("UPDATE peers SET retry_after = 0 WHERE host = $1")
        .bind(host)
        .execute(&mut *tx)
        .await?;
    let queued = sqlx::query(
        "UPDATE deliveries SET next_attempt_at = $2 \
         WHERE host = $1 AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at > $2",
    )
    .bind(host)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::commit(tx).await?;
    Ok(peer.rows_affected() + queued.rows_affected() > 0)
}
