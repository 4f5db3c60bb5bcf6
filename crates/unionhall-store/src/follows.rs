//! Who follows our chapters (`followers`) and whom this instance follows
//! (`following`).

use crate::database::now_millis;
use crate::rows::{opt_url, url};
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub follower: Url,
    pub follow_id: Url,
    pub accepted: bool,
}

/// Records a follow request; a repeated Follow refreshes its id (the Accept must
/// name the latest one) and keeps an acceptance already given.
pub async fn upsert_follower(
    conn: &mut AnyConnection,
    local_actor: &Url,
    follower: &Url,
    follow_id: &Url,
    accept_now: bool,
) -> Result<()> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO followers (local_actor, follower, follow_id, accepted_at, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (local_actor, follower) DO UPDATE SET follow_id = excluded.follow_id, \
           accepted_at = COALESCE(followers.accepted_at, excluded.accepted_at)",
    )
    .bind(local_actor.as_str())
    .bind(follower.as_str())
    .bind(follow_id.as_str())
    .bind(accept_now.then_some(now))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Approves a pending follower; returns the Follow id to answer, if there was one.
pub async fn accept_follower(
    conn: &mut AnyConnection,
    local_actor: &Url,
    follower: &Url,
) -> Result<Option<Url>> {
    let row = sqlx::query(
        "UPDATE followers SET accepted_at = $3 WHERE local_actor = $1 AND follower = $2 \
         RETURNING follow_id",
    )
    .bind(local_actor.as_str())
    .bind(follower.as_str())
    .bind(now_millis())
    .fetch_optional(conn)
    .await?;
    row.map(|r| url(&r, "follow_id")).transpose()
}

/// Removes a follower; returns the id of its Follow if there was one.
pub async fn remove_follower(
    conn: &mut AnyConnection,
    local_actor: &Url,
    follower: &Url,
) -> Result<Option<Url>> {
    let row = sqlx::query(
        "DELETE FROM followers WHERE local_actor = $1 AND follower = $2 RETURNING follow_id",
    )
    .bind(local_actor.as_str())
    .bind(follower.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|r| url(&r, "follow_id")).transpose()
}

pub async fn followers_of(store: &Store, local_actor: &Url) -> Result<Vec<Follower>> {
    sqlx::query(
        "SELECT follower, follow_id, accepted_at FROM followers WHERE local_actor = $1 \
         ORDER BY created_at",
    )
    .bind(local_actor.as_str())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(Follower {
            follower: url(row, "follower")?,
            follow_id: url(row, "follow_id")?,
            accepted: row.try_get::<Option<i64>, _>("accepted_at")?.is_some(),
        })
    })
    .collect()
}

/// Whether an actor of the server at `origin` (`https://host[:port]`) follows
/// `local_actor`, accepted. Chapters on other Unionhall instances follow
/// through their instance's actor, so a chapter's server is what follows.
pub async fn has_follower_at(store: &Store, local_actor: &Url, origin: &str) -> Result<bool> {
    let prefix = format!("{}/", origin.trim_end_matches('/'));
    let count: i64 = sqlx::query(
        "SELECT COUNT(*) FROM followers WHERE local_actor = $1 \
         AND substr(follower, 1, length($2)) = $2 AND accepted_at IS NOT NULL",
    )
    .bind(local_actor.as_str())
    .bind(prefix)
    .fetch_one(store.pool())
    .await?
    .try_get(0)?;
    Ok(count > 0)
}

/// The distinct inboxes (shared where the follower's server has one) of a local
/// actor's accepted followers: one delivery per remote server, not per follower.
pub async fn follower_inboxes(conn: &mut AnyConnection, local_actor: &Url) -> Result<Vec<Url>> {
    let rows = sqlx::query(
        "SELECT DISTINCT COALESCE(a.shared_inbox, a.inbox) AS inbox \
         FROM followers f JOIN actors a ON a.ap_id = f.follower \
         WHERE f.local_actor = $1 AND f.accepted_at IS NOT NULL",
    )
    .bind(local_actor.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(|row| url(row, "inbox")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Following {
    pub target: Url,
    /// Which of our actors follows it (the instance actor, or the reader).
    pub follower: Url,
    pub follow_id: Url,
    pub accepted: bool,
    pub inbox: Url,
    pub shared_inbox: Option<Url>,
}

pub async fn insert_following(
    conn: &mut AnyConnection,
    target: &Url,
    follower: &Url,
    follow_id: &Url,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO following (target, follower, follow_id, accepted_at, created_at) \
         VALUES ($1, $2, $3, NULL, $4) \
         ON CONFLICT (target) DO UPDATE SET follow_id = excluded.follow_id",
    )
    .bind(target.as_str())
    .bind(follower.as_str())
    .bind(follow_id.as_str())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks our follow of `target` accepted, if `follow_id` is the one we sent (an
/// Accept of something else changes nothing), with its backfill due at
/// `backfill_due` (Unix ms). True if it matched.
pub async fn mark_following_accepted(
    conn: &mut AnyConnection,
    target: &Url,
    follow_id: &Url,
    backfill_due: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE following SET accepted_at = COALESCE(accepted_at, $3), backfill_due = $4 \
         WHERE target = $1 AND follow_id = $2",
    )
    .bind(target.as_str())
    .bind(follow_id.as_str())
    .bind(now_millis())
    .bind(backfill_due)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A followed actor whose backfill was due, claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueBackfill {
    pub target: Url,
    pub accepted_at: i64,
}

/// Claims up to `limit` accepted follows whose backfill is due: each one's due
/// time moves to `lease_until` (Unix ms), so that no other worker takes it
/// while this one works on it.
pub async fn claim_due_backfills(
    store: &Store,
    limit: i64,
    lease_until: i64,
) -> Result<Vec<DueBackfill>> {
    let now = now_millis();
    // The outer condition is checked again on PostgreSQL for a row another
    // process claimed meanwhile: it no longer holds, and the row is skipped.
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query(
        "UPDATE following SET backfill_due = $2 WHERE backfill_due <= $1 \
         AND accepted_at IS NOT NULL AND target IN (SELECT target FROM following \
         WHERE backfill_due <= $1 AND accepted_at IS NOT NULL ORDER BY backfill_due LIMIT $3) \
         RETURNING target, accepted_at",
    )
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter()
        .map(|row| {
            Ok(DueBackfill {
                target: url(row, "target")?,
                accepted_at: row.try_get("accepted_at")?,
            })
        })
        .collect()
}

/// Sets when the backfill of `target` is next due; None when it is done.
pub async fn set_backfill_due(store: &Store, target: &Url, due: Option<i64>) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE following SET backfill_due = $2 WHERE target = $1")
        .bind(target.as_str())
        .bind(due)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Drops our follow of `target` (after an Undo we sent, or a Reject we got).
pub async fn remove_following(conn: &mut AnyConnection, target: &Url) -> Result<bool> {
    let done = sqlx::query("DELETE FROM following WHERE target = $1")
        .bind(target.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn following(store: &Store) -> Result<Vec<Following>> {
    sqlx::query(
        "SELECT f.target, f.follower, f.follow_id, f.accepted_at, a.inbox, a.shared_inbox \
         FROM following f JOIN actors a ON a.ap_id = f.target ORDER BY f.created_at",
    )
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(Following {
            target: url(row, "target")?,
            follower: url(row, "follower")?,
            follow_id: url(row, "follow_id")?,
            accepted: row.try_get::<Option<i64>, _>("accepted_at")?.is_some(),
            inbox: url(row, "inbox")?,
            shared_inbox: opt_url(row, "shared_inbox")?,
        })
    })
    .collect()
}

/// The actors `follower` follows, accepted only (the communities the reader
/// follows, say).
pub async fn followed_by(store: &Store, follower: &Url) -> Result<Vec<Url>> {
    sqlx::query(
        "SELECT target FROM following WHERE follower = $1 AND accepted_at IS NOT NULL \
         ORDER BY created_at",
    )
    .bind(follower.as_str())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| url(row, "target"))
    .collect()
}

/// True if this instance follows `target` and the follow was accepted.
pub async fn is_following(store: &Store, target: &Url) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM following WHERE target = $1 AND accepted_at IS NOT NULL")
            .bind(target.as_str())
            .fetch_optional(store.pool())
            .await?
            .is_some(),
    )
}

/// How many remote actors follow `local_actor` (accepted only).
pub async fn count_accepted(store: &Store, local_actor: &Url) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM followers WHERE local_actor = $1 AND accepted_at IS NOT NULL",
    )
    .bind(local_actor.as_str())
    .fetch_one(store.pool())
    .await?
    .try_get(0)?)
}
