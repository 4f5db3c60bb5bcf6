//! Remote actors blocked by one chapter or body (not by the whole instance).

use crate::database::now_millis;
use crate::rows::url;
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorBlock {
    pub local_actor: Url,
    pub blocked: Url,
    pub reason: String,
    pub created_at: i64,
}

/// Blocks `blocked` for `local_actor`; blocking again keeps the first reason.
pub async fn insert(
    conn: &mut AnyConnection,
    local_actor: &Url,
    blocked: &Url,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO actor_blocks (local_actor, blocked, reason, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (local_actor, blocked) DO NOTHING",
    )
    .bind(local_actor.as_str())
    .bind(blocked.as_str())
    .bind(reason)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn remove(store: &Store, local_actor: &Url, blocked: &Url) -> Result<bool> {
    let done = sqlx::query("DELETE FROM actor_blocks WHERE local_actor = $1 AND blocked = $2")
        .bind(local_actor.as_str())
        .bind(blocked.as_str())
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every block: (blocked actor, the local chapter or body that blocked it).
/// The inbox keeps them in memory (they are few, and consulted for every
/// activity).
pub async fn all(store: &Store) -> Result<Vec<(Url, Url)>> {
    sqlx::query("SELECT blocked, local_actor FROM actor_blocks")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok((url(row, "blocked")?, url(row, "local_actor")?)))
        .collect()
}

/// Whether `local_actor` blocks `blocked`, read inside a transaction: what
/// grants a relationship (a Follow, a Join) checks it where it writes, so that
/// a block committed a moment before cannot be raced.
pub async fn blocks(conn: &mut AnyConnection, local_actor: &Url, blocked: &Url) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM actor_blocks WHERE local_actor = $1 AND blocked = $2")
        .bind(local_actor.as_str())
        .bind(blocked.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

pub async fn of(store: &Store, local_actor: &Url) -> Result<Vec<ActorBlock>> {
    sqlx::query(
        "SELECT local_actor, blocked, reason, created_at FROM actor_blocks \
         WHERE local_actor = $1 ORDER BY created_at",
    )
    .bind(local_actor.as_str())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(ActorBlock {
            local_actor: url(row, "local_actor")?,
            blocked: url(row, "blocked")?,
            reason: row.try_get("reason")?,
            created_at: row.try_get("created_at")?,
        })
    })
    .collect()
}

/// The author (a chapter or body) of a post, call, strike, action or campaign
/// this instance holds, by its id.
pub async fn author_of(store: &Store, object: &Url) -> Result<Option<Url>> {
    let row = sqlx::query(
        "SELECT author FROM posts WHERE ap_id = $1 \
         UNION ALL SELECT author FROM calls WHERE ap_id = $1 \
         UNION ALL SELECT author FROM strikes WHERE ap_id = $1 \
         UNION ALL SELECT author FROM actions WHERE ap_id = $1 \
         UNION ALL SELECT author FROM campaigns WHERE ap_id = $1",
    )
    .bind(object.as_str())
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| url(&r, "author")).transpose()
}
