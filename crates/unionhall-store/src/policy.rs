//! The instance's federation policy: blocked and allowed domains, and the mode.

use crate::database::now_millis;
use crate::{instance, Result, Store};
use sqlx::Row;

/// The instance_meta key of the mode.
pub const MODE_KEY: &str = "federation_mode";

/// A blocked domain and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub domain: String,
    pub reason: String,
    pub created_at: i64,
}

/// Everything the policy holds: (mode, blocked, allowed).
pub async fn load(store: &Store) -> Result<(Option<String>, Vec<Blocked>, Vec<String>)> {
    let mode = instance::get(store, MODE_KEY).await?;
    let blocked =
        sqlx::query("SELECT domain, reason, created_at FROM blocked_domains ORDER BY domain")
            .fetch_all(store.pool())
            .await?
            .iter()
            .map(|row| {
                Ok(Blocked {
                    domain: row.try_get("domain")?,
                    reason: row.try_get("reason")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<_>>()?;
    let allowed = sqlx::query("SELECT domain FROM allowed_domains ORDER BY domain")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok(row.try_get::<String, _>("domain")?))
        .collect::<Result<_>>()?;
    Ok((mode, blocked, allowed))
}

pub async fn block(store: &Store, domain: &str, reason: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO blocked_domains (domain, reason, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (domain) DO UPDATE SET reason = excluded.reason",
    )
    .bind(domain)
    .bind(reason)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Blocks each domain not blocked yet, in one transaction, keeping the reason
/// of those already blocked; the domains newly blocked.
pub async fn block_new(store: &Store, blocks: &[(String, String)]) -> Result<Vec<String>> {
    let mut tx = store.begin_write().await?;
    let mut added = Vec::new();
    for (domain, reason) in blocks {
        let done = sqlx::query(
            "INSERT INTO blocked_domains (domain, reason, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (domain) DO NOTHING",
        )
        .bind(domain)
        .bind(reason)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            added.push(domain.clone());
        }
    }
    tx.commit().await?;
    Ok(added)
}

pub async fn unblock(store: &Store, domain: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM blocked_domains WHERE domain = $1")
        .bind(domain)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn allow(store: &Store, domain: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO allowed_domains (domain, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(domain)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn disallow(store: &Store, domain: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM allowed_domains WHERE domain = $1")
        .bind(domain)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_mode(store: &Store, mode: &str) -> Result<()> {
    instance::set(store, MODE_KEY, mode).await
}
