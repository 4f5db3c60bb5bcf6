//! The delivery queue: claiming due deliveries, recording outcomes, and per-peer
//! back-off.
//!
//! A claim sets `locked_until` (a short lease) and `claimed_by` (the worker
//! process); the worker renews the lease of what it still has in flight (a
//! heartbeat, [`renew`]). A worker that dies stops renewing: its claims run out
//! within one lease, seconds, and are taken over. On PostgreSQL the claim skips
//! rows another process is claiming at the same moment (`FOR UPDATE SKIP
//! LOCKED`), so several processes share the queue; SQLite serialises writers,
//! so its single UPDATE is atomic already. A worker that stalls past its lease
//! (a frozen process) can send a row another worker sends too: delivery is at
//! least once, and receivers drop an activity id they have seen.

use crate::database::now_millis;
use crate::rows::{json_param, json_rows};
use crate::{Backend, Result, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub activity: String,
    pub inbox: String,
    pub host: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Due deliveries, not held by a claim, to peers not backed off; to a peer
/// that is failing (peers.rs), only the oldest due one, its probe, and none
/// while that one is held.
const CLAIM_CANDIDATES: &str = "SELECT d.id FROM deliveries d \
    WHERE d.delivered_at IS NULL AND d.dead_at IS NULL AND d.next_attempt_at <= $1 \
      AND (d.locked_until IS NULL OR d.locked_until < $1) \
      AND NOT EXISTS (SELECT 1 FROM peers p WHERE p.host = d.host AND p.retry_after > $1) \
      AND (NOT EXISTS (SELECT 1 FROM peers p WHERE p.host = d.host \
                         AND p.consecutive_failures > 0) \
           OR d.id = (SELECT MIN(o.id) FROM deliveries o WHERE o.host = d.host \
                        AND o.delivered_at IS NULL AND o.dead_at IS NULL \
                        AND o.next_attempt_at <= $1)) \
    ORDER BY d.next_attempt_at, d.id LIMIT $3";

/// Claims up to `limit` due deliveries for `lease_ms`, for `worker`.
#[tracing::instrument(skip(store))]
pub async fn claim(store: &Store, limit: i64, lease_ms: i64, worker: &str) -> Result<Vec<Claimed>> {
    let now = now_millis();
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE OF d SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE deliveries SET locked_until = $2, claimed_by = $4 \
         WHERE id IN ({CLAIM_CANDIDATES}{lock}) \
         RETURNING id, activity, inbox, host, attempts, created_at"
    );
    // A write: on SQLite it takes the writers' turn like any other, rather
    // than find the write lock held by the recorder of outcomes and sleep in
    // SQLite's busy handler (a millisecond and more at a time, the workers
    // idle meanwhile).
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query(&sql)
        .bind(now)
        .bind(now + lease_ms)
        .bind(limit)
        .bind(worker)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|row| {
            Ok(Claimed {
                id: row.try_get("id")?,
                activity: row.try_get("activity")?,
                inbox: row.try_get("inbox")?,
                host: row.try_get("host")?,
                attempts: row.try_get("attempts")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// The heartbeat: `worker` still holds `ids` (in flight or waiting for their
/// peer's turn), for another `lease_ms` from now. A row another worker took
/// over meanwhile is left to it. Returns how many were renewed.
pub async fn renew(store: &Store, worker: &str, ids: &[i64], lease_ms: i64) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut tx = store.begin_write().await?;
    let sql = format!(
        "UPDATE deliveries SET locked_until = $1 \
         WHERE claimed_by = $2 AND locked_until IS NOT NULL \
           AND id IN (SELECT CAST(value->>0 AS BIGINT) FROM {})",
        json_rows(&tx, "$3")
    );
    let ids: Vec<(i64,)> = ids.iter().map(|id| (*id,)).collect();
    let done = sqlx::query(&sql)
        .bind(now_millis() + lease_ms)
        .bind(worker)
        .bind(json_param(&ids)?)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Deliveries held by a live claim now, by worker: (worker, how many, when
/// the last of its claims runs out unless renewed, Unix ms).
pub async fn claims(store: &Store) -> Result<Vec<(String, i64, i64)>> {
    sqlx::query(
        "SELECT COALESCE(claimed_by, '') AS worker, COUNT(*) AS held, \
                MAX(locked_until) AS until FROM deliveries \
         WHERE locked_until > $1 AND delivered_at IS NULL AND dead_at IS NULL \
         GROUP BY claimed_by ORDER BY held DESC",
    )
    .bind(now_millis())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("worker")?,
            row.try_get("held")?,
            row.try_get("until")?,
        ))
    })
    .collect()
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Try again at `retry_at` (Unix ms).
    Retry {
        retry_at: i64,
        error: String,
        /// The peer failed (down, erroring); false when it is up and asked
        /// for the activity later (425), which says nothing of its health.
        peer_failed: bool,
    },
    /// Give up: refused by the peer, or expired.
    Dead {
        error: String,
    },
    /// Not sent: this instance no longer federates with the peer.
    Dropped,
}

/// Records outcomes of a batch, and marks the peers that took a delivery healthy,
/// in one transaction: one commit (one fsync on SQLite) per batch, one
/// statement for all that were delivered, the common case, and one for the
/// peers. Everything queued for a peer that was failing and took a delivery
/// now is due at once; returns how many such peers came back.
pub async fn record(
    store: &Store,
    outcomes: &[(i64, Outcome)],
    healthy_peers: &[String],
) -> Result<u64> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    let now = now_millis();
    let mut tx = store.begin_write().await?;
    let delivered: Vec<i64> = outcomes
        .iter()
        .filter(|(_, outcome)| *outcome == Outcome::Delivered)
        .map(|(id, _)| *id)
        .collect();
    if !delivered.is_empty() {
        let sql = format!(
            "UPDATE deliveries SET delivered_at = $1, locked_until = NULL, claimed_by = NULL, attempts = attempts + 1 \
             WHERE id IN (SELECT CAST(value->>0 AS BIGINT) FROM {})",
            json_rows(&tx, "$2")
        );
        let ids: Vec<(i64,)> = delivered.iter().map(|id| (*id,)).collect();
        sqlx::query(&sql)
            .bind(now)
            .bind(json_param(&ids)?)
            .execute(&mut *tx)
            .await?;
    }
    for (id, outcome) in outcomes {
        let query = match outcome {
            Outcome::Delivered => continue,
            Outcome::Retry {
                retry_at, error, ..
            } => sqlx::query(
                "UPDATE deliveries SET next_attempt_at = $2, locked_until = NULL, claimed_by = NULL, \
                 attempts = attempts + 1, last_error = $3 WHERE id = $1",
            )
            .bind(*id)
            .bind(*retry_at)
            .bind(error),
            Outcome::Dead { error } => sqlx::query(
                "UPDATE deliveries SET dead_at = $2, locked_until = NULL, claimed_by = NULL, \
                 attempts = attempts + 1, last_error = $3 WHERE id = $1",
            )
            .bind(*id)
            .bind(now)
            .bind(error),
            Outcome::Dropped => sqlx::query(
                "UPDATE deliveries SET dead_at = $2, dropped_at = $2, locked_until = NULL, claimed_by = NULL \
                 WHERE id = $1",
            )
            .bind(*id)
            .bind(now),
        };
        query.execute(&mut *tx).await?;
    }
    let mut recovered_peers = 0;
    if !healthy_peers.is_empty() {
        // One statement for all; a host named twice would be updated twice by
        // it, which PostgreSQL refuses.
        let mut hosts: Vec<(&str,)> = healthy_peers.iter().map(|h| (h.as_str(),)).collect();
        hosts.sort_unstable();
        hosts.dedup();
        let recovered_sql = format!(
            "SELECT COUNT(*) FROM peers WHERE consecutive_failures > 0 \
               AND host IN (SELECT value->>0 FROM {})",
            json_rows(&tx, "$1")
        );
        let recovered: i64 = sqlx::query_scalar(&recovered_sql)
            .bind(json_param(&hosts)?)
            .fetch_one(&mut *tx)
            .await?;
        recovered_peers = recovered as u64;
        // A peer that comes back gets its whole queue now, not each delivery
        // at the end of its own wait.
        let sql = format!(
            "UPDATE deliveries SET next_attempt_at = $1 \
             WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at > $1 \
               AND host IN (SELECT host FROM peers WHERE consecutive_failures > 0 \
                 AND host IN (SELECT value->>0 FROM {}))",
            json_rows(&tx, "$2")
        );
        sqlx::query(&sql)
            .bind(now)
            .bind(json_param(&hosts)?)
            .execute(&mut *tx)
            .await?;
        let sql = format!(
            "INSERT INTO peers (host, consecutive_failures, retry_after, last_success_at) \
             SELECT value->>0, 0, 0, $1 FROM {} WHERE true \
             ON CONFLICT (host) DO UPDATE SET consecutive_failures = 0, \
             retry_after = 0, last_error = NULL, last_success_at = $1",
            json_rows(&tx, "$2")
        );
        sqlx::query(&sql)
            .bind(now)
            .bind(json_param(&hosts)?)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(recovered_peers)
}

/// Which dead deliveries to try again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadFilter {
    pub host: Option<String>,
    pub activity: Option<String>,
}

/// Gives dead deliveries (not those dropped by a block) another life: due now,
/// with a new expiry from now, their peers' back-off cleared (the operator
/// asked for them now). Returns how many.
pub async fn retry_dead(store: &Store, filter: &DeadFilter, now: i64) -> Result<u64> {
    let mut tx = store.begin_write().await?;
    let done = sqlx::query(
        "UPDATE deliveries SET dead_at = NULL, next_attempt_at = $1, created_at = $1, \
         locked_until = NULL, claimed_by = NULL \
         WHERE dead_at IS NOT NULL AND dropped_at IS NULL \
           AND ($2 IS NULL OR host = $2) AND ($3 IS NULL OR activity = $3)",
    )
    .bind(now)
    .bind(filter.host.as_deref())
    .bind(filter.activity.as_deref())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE peers SET retry_after = 0 WHERE retry_after > $1 AND host IN \
         (SELECT host FROM deliveries WHERE created_at = $1 AND next_attempt_at = $1 \
            AND delivered_at IS NULL AND dead_at IS NULL)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Queue figures, for the admin and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
    /// Not sent because their peer was blocked.
    pub dropped: i64,
}

pub async fn stats(store: &Store) -> Result<QueueStats> {
    let row = sqlx::query(
        "SELECT \
           COALESCE(SUM(CASE WHEN delivered_at IS NULL AND dead_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
           COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS delivered, \
           COALESCE(SUM(CASE WHEN dead_at IS NOT NULL AND dropped_at IS NULL THEN 1 ELSE 0 END), 0) AS dead, \
           COALESCE(SUM(CASE WHEN dropped_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS dropped \
         FROM deliveries",
    )
    .fetch_one(store.pool())
    .await?;
    Ok(QueueStats {
        pending: row.try_get("pending")?,
        delivered: row.try_get("delivered")?,
        dead: row.try_get("dead")?,
        dropped: row.try_get("dropped")?,
    })
}

/// How many deliveries are pending (not delivered, dead or dropped). Cheap
/// enough to poll: the partial index `deliveries_due` answers it alone.
pub async fn pending(store: &Store) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE delivered_at IS NULL AND dead_at IS NULL",
    )
    .fetch_one(store.pool())
    .await?)
}

/// Pending deliveries (not delivered, dead or dropped): (id, host), to drop
/// those to a newly blocked peer.
pub async fn pending_hosts(store: &Store) -> Result<Vec<(i64, String)>> {
    sqlx::query("SELECT id, host FROM deliveries WHERE delivered_at IS NULL AND dead_at IS NULL")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("host")?)))
        .collect()
}

/// Dead deliveries with their last error, newest first, for the admin.
pub async fn dead(store: &Store, limit: i64) -> Result<Vec<(String, String, String)>> {
    sqlx::query(
        "SELECT activity, inbox, COALESCE(last_error, '') AS last_error FROM deliveries \
         WHERE dead_at IS NOT NULL AND dropped_at IS NULL ORDER BY dead_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("activity")?,
            row.try_get("inbox")?,
            row.try_get("last_error")?,
        ))
    })
    .collect()
}

/// What an operator watches: the queue's depth and age, dead deliveries by
/// peer, and the peers backed off now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueHealth {
    pub pending: i64,
    pub dead: i64,
    /// How long the oldest pending delivery has waited (0 when none).
    pub oldest_pending_age_ms: i64,
    /// (peer, dead deliveries), most first.
    pub dead_by_peer: Vec<(String, i64)>,
    /// (peer, until when in Unix ms, its last error).
    pub backed_off: Vec<(String, i64, String)>,
    /// Deliveries held by live claims: (worker, how many, claimed until).
    pub claims: Vec<(String, i64, i64)>,
}

pub async fn health(store: &Store) -> Result<QueueHealth> {
    let now = now_millis();
    let row = sqlx::query(
        "SELECT COUNT(*) AS pending, COALESCE(MIN(created_at), 0) AS oldest FROM deliveries \
         WHERE delivered_at IS NULL AND dead_at IS NULL",
    )
    .fetch_one(store.pool())
    .await?;
    let pending: i64 = row.try_get("pending")?;
    let oldest: i64 = row.try_get("oldest")?;
    let dead_by_peer: Vec<(String, i64)> = sqlx::query(
        "SELECT host, COUNT(*) AS dead FROM deliveries \
         WHERE dead_at IS NOT NULL AND dropped_at IS NULL GROUP BY host ORDER BY dead DESC, host",
    )
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| Ok((row.try_get("host")?, row.try_get("dead")?)))
    .collect::<Result<_>>()?;
    let backed_off = sqlx::query(
        "SELECT host, retry_after, COALESCE(last_error, '') AS last_error FROM peers \
         WHERE retry_after > $1 ORDER BY retry_after DESC",
    )
    .bind(now)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("host")?,
            row.try_get("retry_after")?,
            row.try_get("last_error")?,
        ))
    })
    .collect::<Result<_>>()?;
    Ok(QueueHealth {
        pending,
        dead: dead_by_peer.iter().map(|(_, n)| n).sum(),
        oldest_pending_age_ms: if pending > 0 {
            (now - oldest).max(0)
        } else {
            0
        },
        dead_by_peer,
        backed_off,
        claims: claims(store).await?,
    })
}
