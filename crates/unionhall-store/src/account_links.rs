//! Which member record an account is, sealed (migration 19): the row says
//! that an account has a record, never which one. Sealing happens in
//! unionhall-members.

use crate::members::{sealed, Sealed};
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};

pub async fn get(store: &Store, account_id: i64) -> Result<Option<Sealed>> {
    sqlx::query("SELECT key_id, sealed FROM account_links WHERE id = $1")
        .bind(account_id)
        .fetch_optional(store.pool())
        .await?
        .as_ref()
        .map(sealed)
        .transpose()
}

/// Whether the account has a record linked already.
pub async fn exists(conn: &mut AnyConnection, account_id: i64) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM account_links WHERE id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Links the account to its record; false if it had one already (an account
/// is one person, with one record).
pub async fn insert(conn: &mut AnyConnection, account_id: i64, link: &Sealed) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO account_links (id, key_id, sealed) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(account_id)
    .bind(&link.key_id)
    .bind(link.bytes.clone())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Links written in plain text by releases before migration 19: (account id,
/// member id), for sealing.
pub async fn plain(conn: &mut AnyConnection) -> Result<Vec<(i64, i64)>> {
    sqlx::query("SELECT id, member_id FROM accounts WHERE member_id IS NOT NULL")
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("member_id")?)))
        .collect()
}

/// Clears plain-text links: the account's (once sealed), and those of used
/// invitations (whose account now holds the sealed link).
pub async fn clear_plain(conn: &mut AnyConnection, account_id: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET member_id = NULL WHERE id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE invites SET member_id = NULL WHERE used_by = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}
