//! The time zone a chapter or union body posts in, and the one an account
//! reads in. Stored as IANA names; the domain's `Zone` reads them. Beside
//! them, the language an account is written to in.

use crate::{Result, Store};
use sqlx::Row;
use url::Url;

/// The zone `group` posts in, if one was set.
pub async fn of_group(store: &Store, group: &Url) -> Result<Option<String>> {
    Ok(
        sqlx::query("SELECT time_zone FROM group_time_zones WHERE grp = $1")
            .bind(group.as_str())
            .fetch_optional(store.pool())
            .await?
            .map(|row| row.try_get("time_zone"))
            .transpose()?,
    )
}

pub async fn set_group(store: &Store, group: &Url, zone: &str) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO group_time_zones (grp, time_zone) VALUES ($1, $2) \
         ON CONFLICT (grp) DO UPDATE SET time_zone = excluded.time_zone",
    )
    .bind(group.as_str())
    .bind(zone)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// What an account reads times in: the zone it chose, else that of the first
/// group it joined that has one.
pub async fn of_account(store: &Store, account_id: i64) -> Result<AccountZones> {
    let mut conn = store.acquire().await?;
    of_account_in(&mut conn, account_id).await
}

/// [`of_account`] inside the caller's connection or transaction.
pub async fn of_account_in(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
) -> Result<AccountZones> {
    let row = sqlx::query(
        "SELECT a.time_zone AS own, \
           (SELECT z.time_zone FROM roles r JOIN group_time_zones z ON z.grp = r.grp \
            WHERE r.account_id = a.id ORDER BY r.granted_at, r.grp LIMIT 1) AS chapter \
         FROM accounts a WHERE a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => AccountZones {
            own: row.try_get("own")?,
            chapter: row.try_get("chapter")?,
        },
        None => AccountZones::default(),
    })
}

/// An account's own choice of zone and its chapter's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountZones {
    pub own: Option<String>,
    pub chapter: Option<String>,
}

/// Sets the zone an account reads in; None goes back to its chapter's.
pub async fn set_account(store: &Store, account_id: i64, zone: Option<&str>) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE accounts SET time_zone = $1 WHERE id = $2")
        .bind(zone)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// The language an account's holder chose (a code such as `es`); None: the
/// server's. Kept beside the zone: both say how to write to them.
pub async fn language_of_account(store: &Store, account_id: i64) -> Result<Option<String>> {
    let mut conn = store.acquire().await?;
    language_of_account_in(&mut conn, account_id).await
}

/// [`language_of_account`] inside the caller's connection or transaction.
pub async fn language_of_account_in(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT language FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

/// Sets the language an account is written to in; None goes back to the
/// server's.
pub async fn set_account_language(
    store: &Store,
    account_id: i64,
    language: Option<&str>,
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE accounts SET language = $1 WHERE id = $2")
        .bind(language)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
