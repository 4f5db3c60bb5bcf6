//! The accounts that run the instance (migration 17): a flag of the account,
//! not a role in a group (read with the account, `accounts::AccountRow`).

use crate::database::now_millis;
use crate::{Result, Store};
use sqlx::Row;

/// Makes an account an instance admin, or no longer one; false if it already
/// was what was asked.
pub async fn set(store: &Store, account_id: i64, admin: bool) -> Result<bool> {
    let done = if admin {
        sqlx::query(
            "INSERT INTO instance_admins (account_id, granted_at) VALUES ($1, $2) \
             ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(account_id)
        .bind(now_millis())
        .execute(store.pool())
        .await?
    } else {
        sqlx::query("DELETE FROM instance_admins WHERE account_id = $1")
            .bind(account_id)
            .execute(store.pool())
            .await?
    };
    Ok(done.rows_affected() > 0)
}

/// The usernames of the instance admins, in order.
pub async fn usernames(store: &Store) -> Result<Vec<String>> {
    sqlx::query(
        "SELECT accounts.username FROM instance_admins \
         JOIN accounts ON accounts.id = instance_admins.account_id ORDER BY accounts.username",
    )
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| Ok(row.try_get("username")?))
    .collect()
}
