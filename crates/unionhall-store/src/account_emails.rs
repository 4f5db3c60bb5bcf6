//! An account's email address, sealed (the members crate seals and opens it),
//! with its confirmation and whether the mail server refuses it (migration 28).

use crate::members::Sealed;
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};

/// One account's address, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRow {
    pub account_id: i64,
    pub sealed: Sealed,
    pub confirmed_at: Option<i64>,
    pub confirm_expires_at: Option<i64>,
    pub bounced_at: Option<i64>,
    pub bounce_reason: Option<String>,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<EmailRow> {
    Ok(EmailRow {
        account_id: row.try_get("account_id")?,
        sealed: Sealed {
            key_id: row.try_get("key_id")?,
            bytes: row.try_get("sealed")?,
        },
        confirmed_at: row.try_get("confirmed_at")?,
        confirm_expires_at: row.try_get("confirm_expires_at")?,
        bounced_at: row.try_get("bounced_at")?,
        bounce_reason: row.try_get("bounce_reason")?,
    })
}

const COLUMNS: &str =
    "account_id, key_id, sealed, confirmed_at, confirm_expires_at, bounced_at, bounce_reason";

/// A new address, sealed, with the tag it is found by (`lookup`: a keyed
/// hash the members crate makes, never the address).
pub struct NewAddress<'a> {
    pub sealed: &'a Sealed,
    pub lookup: &'a str,
}

/// Sets an account's address, unconfirmed, waiting for the link whose
/// secret hashes to `confirm_hash`.
pub async fn set(
    conn: &mut AnyConnection,
    account_id: i64,
    address: NewAddress<'_>,
    confirm_hash: &str,
    confirm_expires_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_emails (account_id, key_id, sealed, lookup, confirm_hash, \
         confirm_expires_at, confirmed_at, bounced_at, bounce_reason, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, $7) \
         ON CONFLICT (account_id) DO UPDATE SET key_id = excluded.key_id, \
         sealed = excluded.sealed, lookup = excluded.lookup, \
         confirm_hash = excluded.confirm_hash, \
         confirm_expires_at = excluded.confirm_expires_at, confirmed_at = NULL, \
         bounced_at = NULL, bounce_reason = NULL, updated_at = excluded.updated_at",
    )
    .bind(account_id)
    .bind(&address.sealed.key_id)
    .bind(&address.sealed.bytes)
    .bind(address.lookup)
    .bind(confirm_hash)
    .bind(confirm_expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The addresses whose lookup tag is one of `tags`.
pub async fn by_lookup(conn: &mut AnyConnection, tags: &[String]) -> Result<Vec<EmailRow>> {
    let mut found = Vec::new();
    for tag in tags {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM account_emails WHERE lookup = $1 ORDER BY account_id"
        ))
        .bind(tag)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            found.push(from_row(row)?);
        }
    }
    Ok(found)
}

/// Sets the lookup tag of an account's address (after a rotation, or for an
/// address stored before there were tags).
pub async fn set_lookup(conn: &mut AnyConnection, account_id: i64, lookup: &str) -> Result<()> {
    sqlx::query("UPDATE account_emails SET lookup = $2 WHERE account_id = $1")
        .bind(account_id)
        .bind(lookup)
        .execute(conn)
        .await?;
    Ok(())
}

/// Addresses stored before they had lookup tags (migration 30).
pub async fn without_lookup(conn: &mut AnyConnection) -> Result<Vec<EmailRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM account_emails WHERE lookup IS NULL"
    ))
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Removes an account's address.
pub async fn remove(conn: &mut AnyConnection, account_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM account_emails WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn of_account(conn: &mut AnyConnection, account_id: i64) -> Result<Option<EmailRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM account_emails WHERE account_id = $1"
    ))
    .bind(account_id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The address waiting for the link whose secret hashes to `confirm_hash`.
pub async fn by_confirm_hash(store: &Store, confirm_hash: &str) -> Result<Option<EmailRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM account_emails WHERE confirm_hash = $1"
    ))
    .bind(confirm_hash)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Confirms the address whose link's secret hashes to `confirm_hash`: false
/// if another request used the link first.
pub async fn confirm(conn: &mut AnyConnection, confirm_hash: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE account_emails SET confirmed_at = $2, confirm_hash = NULL, \
         confirm_expires_at = NULL, updated_at = $2 WHERE confirm_hash = $1",
    )
    .bind(confirm_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records that the mail server refused the account's address for good.
pub async fn bounced(
    conn: &mut AnyConnection,
    account_id: i64,
    reason: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE account_emails SET bounced_at = $2, bounce_reason = $3, updated_at = $2 \
         WHERE account_id = $1",
    )
    .bind(account_id)
    .bind(now)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// The accounts with a confirmed address that does not bounce.
pub async fn confirmed_accounts(store: &Store) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM account_emails \
         WHERE confirmed_at IS NOT NULL AND bounced_at IS NULL ORDER BY account_id",
    )
    .fetch_all(store.pool())
    .await?)
}

/// The accounts whose address the mail server refuses, and since when.
pub async fn bouncing(store: &Store) -> Result<Vec<(i64, i64)>> {
    sqlx::query("SELECT account_id, bounced_at FROM account_emails WHERE bounced_at IS NOT NULL")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}
