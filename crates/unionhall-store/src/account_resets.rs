//! One-time links that let someone locked out set a new password (migration
//! 18). A link is deleted when used; making a new one replaces the old.

use crate::{Result, Store};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRow {
    pub account_id: i64,
    pub remove_second_factor: bool,
    pub expires_at: i64,
}

/// Stores the link for an account, replacing any it had.
pub async fn replace(
    conn: &mut AnyConnection,
    token_hash: &str,
    reset: &ResetRow,
    created_at: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM account_resets WHERE account_id = $1")
        .bind(reset.account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO account_resets \
         (token_hash, account_id, remove_second_factor, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(reset.account_id)
    .bind(i64::from(reset.remove_second_factor))
    .bind(created_at)
    .bind(reset.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The link behind a secret's hash, live or expired.
pub async fn by_hash(store: &Store, token_hash: &str) -> Result<Option<ResetRow>> {
    sqlx::query(
        "SELECT account_id, remove_second_factor, expires_at FROM account_resets \
         WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?
    .map(|row| {
        Ok(ResetRow {
            account_id: row.try_get("account_id")?,
            remove_second_factor: row.try_get::<i64, _>("remove_second_factor")? != 0,
            expires_at: row.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// Uses a link up: false if another request used it first.
pub async fn take(conn: &mut AnyConnection, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM account_resets WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
