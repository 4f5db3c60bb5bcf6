//! Facts about the instance itself (`instance_meta`): written once, read at start.

use crate::database::now_millis;
use crate::{Result, Store};
use sqlx::Row;

/// The public URL the instance was first started with.
pub const PUBLIC_URL: &str = "public_url";
/// When the database was first set up, in Unix milliseconds.
pub const CREATED_AT: &str = "created_at";

#[tracing::instrument(skip(store))]
pub async fn get(store: &Store, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM instance_meta WHERE key = $1")
        .bind(key)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Stores `value` under `key`, replacing what was there.
pub async fn set(store: &Store, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO instance_meta (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Stores `value` under `key` unless a value is there already; returns the value
/// that is stored afterwards, so two processes starting at once agree.
#[tracing::instrument(skip(store))]
pub async fn get_or_set(store: &Store, key: &str, value: &str) -> Result<String> {
    sqlx::query(
        "INSERT INTO instance_meta (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(value)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    get(store, key)
        .await?
        .ok_or_else(|| crate::Error::Corrupt(format!("instance_meta lost the key {key}")))
}

/// Records the first start (its time and public URL) if this is it, and returns
/// the public URL the database was first started with.
pub async fn remember_first_start(store: &Store, public_url: &str) -> Result<String> {
    get_or_set(store, CREATED_AT, &now_millis().to_string()).await?;
    get_or_set(store, PUBLIC_URL, public_url).await
}
