//! Accounts, their roles in chapters and bodies, invitations, login sessions, API
//! tokens and failed logins. Secrets are stored as hashes only; hashing happens in
//! unionhall-members.

use crate::database::now_millis;
use crate::rows::url;
use crate::{Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub created_at: i64,
    /// It runs the instance (`instance_admins`), read with the account so that
    /// authenticating a request costs no query more.
    pub instance_admin: bool,
}

/// The record an account is linked to is not here: it is sealed, in
/// `account_links`.
const ACCOUNT_COLUMNS: &str =
    "accounts.id, accounts.username, accounts.password_hash, accounts.created_at, \
     (SELECT COUNT(*) FROM instance_admins WHERE account_id = accounts.id) AS instance_admin";

fn account_from_row(row: &AnyRow) -> Result<AccountRow> {
    Ok(AccountRow {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        instance_admin: row.try_get::<i64, _>("instance_admin")? > 0,
    })
}

/// Creates an account; None if the username is taken.
pub async fn insert_account(
    conn: &mut AnyConnection,
    username: &str,
    password_hash: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO accounts (username, password_hash, created_at) \
         VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(username)
    .bind(password_hash)
    .bind(now_millis())
    .fetch_optional(conn)
    .await?;
    row.map(|row| Ok(row.try_get("id")?)).transpose()
}

pub async fn account_by_username(store: &Store, username: &str) -> Result<Option<AccountRow>> {
    sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(account_from_row)
    .transpose()
}

pub async fn account_by_id(store: &Store, id: i64) -> Result<Option<AccountRow>> {
    sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(account_from_row)
    .transpose()
}

pub async fn set_password_hash(conn: &mut AnyConnection, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session and API token of an account, inside the caller's
/// transaction (with the change of password that calls for it).
pub async fn revoke_credentials_in(conn: &mut AnyConnection, account_id: i64) -> Result<()> {
    let now = now_millis();
    sqlx::query("DELETE FROM calendar_keys WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    for table in ["sessions", "api_tokens"] {
        sqlx::query(&format!(
            "UPDATE {table} SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL"
        ))
        .bind(account_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Gives an account a new calendar key (the hash of it), replacing any.
pub async fn set_calendar_key(store: &Store, account_id: i64, key_hash: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO calendar_keys (account_id, key_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET key_hash = excluded.key_hash, \
         created_at = excluded.created_at",
    )
    .bind(account_id)
    .bind(key_hash)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The account a calendar key (its hash) belongs to.
pub async fn account_of_calendar_key(store: &Store, key_hash: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query("SELECT account_id FROM calendar_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(store.pool())
            .await?
            .map(|row| row.try_get("account_id"))
            .transpose()?,
    )
}

/// An account's role in one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub account_id: i64,
    pub username: String,
    pub group: Url,
    pub role: String,
    pub granted_at: i64,
}

fn role_from_row(row: &AnyRow) -> Result<RoleRow> {
    Ok(RoleRow {
        account_id: row.try_get("account_id")?,
        username: row.try_get("username")?,
        group: url(row, "grp")?,
        role: row.try_get("role")?,
        granted_at: row.try_get("granted_at")?,
    })
}

const ROLE_SELECT: &str = "SELECT roles.account_id, accounts.username, roles.grp, roles.role, \
     roles.granted_at FROM roles JOIN accounts ON accounts.id = roles.account_id";

/// Gives an account a role in a group, replacing the one it had there.
pub async fn set_role(
    conn: &mut AnyConnection,
    account_id: i64,
    group: &Url,
    role: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO roles (account_id, grp, role, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, grp) DO UPDATE SET role = excluded.role, \
         granted_at = excluded.granted_at",
    )
    .bind(account_id)
    .bind(group.as_str())
    .bind(role)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_role(conn: &mut AnyConnection, account_id: i64, group: &Url) -> Result<bool> {
    let done = sqlx::query("DELETE FROM roles WHERE account_id = $1 AND grp = $2")
        .bind(account_id)
        .bind(group.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn roles_of_account(store: &Store, account_id: i64) -> Result<Vec<RoleRow>> {
    roles_of_account_with(store.pool(), account_id).await
}

/// [`roles_of_account`] inside a write transaction.
pub async fn roles_of_account_in(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<Vec<RoleRow>> {
    roles_of_account_with(conn, account_id).await
}

async fn roles_of_account_with<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: i64,
) -> Result<Vec<RoleRow>> {
    sqlx::query(&format!(
        "{ROLE_SELECT} WHERE roles.account_id = $1 ORDER BY roles.grp"
    ))
    .bind(account_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(role_from_row)
    .collect()
}

pub async fn roles_in_group(store: &Store, group: &Url) -> Result<Vec<RoleRow>> {
    roles_in_group_with(store.pool(), group).await
}

/// [`roles_in_group`] inside a write transaction.
pub async fn roles_in_group_in(conn: &mut AnyConnection, group: &Url) -> Result<Vec<RoleRow>> {
    roles_in_group_with(conn, group).await
}

async fn roles_in_group_with<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    group: &Url,
) -> Result<Vec<RoleRow>> {
    sqlx::query(&format!(
        "{ROLE_SELECT} WHERE roles.grp = $1 ORDER BY accounts.username"
    ))
    .bind(group.as_str())
    .fetch_all(executor)
    .await?
    .iter()
    .map(role_from_row)
    .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRow {
    pub group: Url,
    pub role: String,
    pub member_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_invite(
    conn: &mut AnyConnection,
    token_hash: &str,
    invite: &InviteRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO invites (token_hash, grp, role, member_id, created_by, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash)
    .bind(invite.group.as_str())
    .bind(&invite.role)
    .bind(invite.member_id)
    .bind(invite.created_by)
    .bind(invite.created_at)
    .bind(invite.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads an invite inside the transaction that will use it.
pub async fn invite_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<InviteRow>> {
    sqlx::query(
        "SELECT grp, role, member_id, created_by, created_at, expires_at, used_at \
         FROM invites WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok(InviteRow {
            group: url(&row, "grp")?,
            role: row.try_get("role")?,
            member_id: row.try_get("member_id")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
        })
    })
    .transpose()
}

/// Marks an unused invite used; false if it was used already (a race lost).
pub async fn use_invite(
    conn: &mut AnyConnection,
    token_hash: &str,
    account_id: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invites SET used_at = $2, used_by = $3, member_id = NULL \
         WHERE token_hash = $1 AND used_at IS NULL",
    )
    .bind(token_hash)
    .bind(now_millis())
    .bind(account_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A login session or an API token, found by the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    pub id: i64,
    pub account_id: i64,
    /// `session` for sessions; the token's scope for API tokens.
    pub scope: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

pub async fn insert_session(
    store: &Store,
    token_hash: &str,
    account_id: i64,
    expires_at: i64,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(now_millis())
    .bind(expires_at)
    .fetch_one(store.pool())
    .await?
    .try_get("id")?)
}

/// A live session: not revoked, not expired.
pub async fn live_session(store: &Store, token_hash: &str) -> Result<Option<CredentialRow>> {
    sqlx::query(
        "SELECT id, account_id, created_at, expires_at FROM sessions \
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_millis())
    .fetch_optional(store.pool())
    .await?
    .map(|row| {
        Ok(CredentialRow {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            scope: "session".into(),
            name: String::new(),
            created_at: row.try_get("created_at")?,
            expires_at: Some(row.try_get("expires_at")?),
            last_used_at: None,
        })
    })
    .transpose()
}

pub async fn live_sessions_of(store: &Store, account_id: i64) -> Result<Vec<CredentialRow>> {
    sqlx::query(
        "SELECT id, account_id, created_at, expires_at FROM sessions \
         WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY id",
    )
    .bind(account_id)
    .bind(now_millis())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(CredentialRow {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            scope: "session".into(),
            name: String::new(),
            created_at: row.try_get("created_at")?,
            expires_at: Some(row.try_get("expires_at")?),
            last_used_at: None,
        })
    })
    .collect()
}

/// Revokes one session of an account (`Some(id)`) or all of them.
pub async fn revoke_sessions(store: &Store, account_id: i64, id: Option<i64>) -> Result<u64> {
    let query = match id {
        Some(id) => sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(account_id)
        .bind(now_millis())
        .bind(id),
        None => sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
        )
        .bind(account_id)
        .bind(now_millis()),
    };
    Ok(query.execute(store.pool()).await?.rows_affected())
}

pub async fn revoke_session_by_hash(store: &Store, token_hash: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn insert_token(
    store: &Store,
    token_hash: &str,
    account_id: i64,
    name: &str,
    scope: &str,
    expires_at: i64,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO api_tokens (token_hash, account_id, name, scope, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(name)
    .bind(scope)
    .bind(now_millis())
    .bind(expires_at)
    .fetch_one(store.pool())
    .await?
    .try_get("id")?)
}

fn token_from_row(row: &AnyRow) -> Result<CredentialRow> {
    Ok(CredentialRow {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        scope: row.try_get("scope")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

/// A token that is neither revoked nor expired; marks it used.
pub async fn use_token(store: &Store, token_hash: &str) -> Result<Option<CredentialRow>> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL \
         AND expires_at > $2 \
         RETURNING id, account_id, scope, name, created_at, expires_at, last_used_at",
    )
    .bind(token_hash)
    .bind(now_millis())
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(token_from_row)
    .transpose()
}

pub async fn tokens_of(store: &Store, account_id: i64) -> Result<Vec<CredentialRow>> {
    sqlx::query(
        "SELECT id, account_id, scope, name, created_at, expires_at, last_used_at \
         FROM api_tokens WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY id",
    )
    .bind(account_id)
    .bind(now_millis())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(token_from_row)
    .collect()
}

/// Revokes every token of an account; how many were live.
pub async fn revoke_tokens_of(store: &Store, account_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}

pub async fn revoke_token(store: &Store, account_id: i64, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE account_id = $1 AND id = $2 \
         AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(id)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Failed logins of one username within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    /// From anywhere.
    pub total: i64,
    /// From the one source asked about.
    pub from_source: i64,
}

/// Records a failed login of `username` from `source`; older rows are pruned
/// on the way.
pub async fn record_login_failure(
    store: &Store,
    username: &str,
    source: &str,
    since: i64,
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(since)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO login_failures (username, at, source) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(now_millis())
        .bind(source)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The failed logins of `username` since `since`, in all and from `source`.
pub async fn login_failures_since(
    store: &Store,
    username: &str,
    source: &str,
    since: i64,
) -> Result<Failures> {
    let row = sqlx::query(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN source = $3 THEN 1 ELSE 0 END), 0) \
         FROM login_failures WHERE username = $1 AND at >= $2",
    )
    .bind(username)
    .bind(since)
    .bind(source)
    .fetch_one(store.pool())
    .await?;
    Ok(Failures {
        total: row.try_get(0)?,
        from_source: row.try_get(1)?,
    })
}

pub async fn clear_login_failures(conn: &mut AnyConnection, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(conn)
        .await?;
    Ok(())
}

/// An account's second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRow {
    pub sealed: crate::members::Sealed,
    pub confirmed_at: Option<i64>,
    pub last_step: Option<i64>,
}

pub async fn totp(store: &Store, account_id: i64) -> Result<Option<TotpRow>> {
    sqlx::query("SELECT key_id, sealed, confirmed_at, last_step FROM totp WHERE id = $1")
        .bind(account_id)
        .fetch_optional(store.pool())
        .await?
        .map(|row| {
            Ok(TotpRow {
                sealed: crate::members::Sealed {
                    key_id: row.try_get("key_id")?,
                    bytes: row.try_get("sealed")?,
                },
                confirmed_at: row.try_get("confirmed_at")?,
                last_step: row.try_get("last_step")?,
            })
        })
        .transpose()
}

/// Stores a new, unconfirmed secret, replacing an unconfirmed one; false if the
/// account has a confirmed second factor already.
pub async fn begin_totp(
    store: &Store,
    account_id: i64,
    sealed: &crate::members::Sealed,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO totp (id, key_id, sealed) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, \
         last_step = NULL WHERE totp.confirmed_at IS NULL",
    )
    .bind(account_id)
    .bind(&sealed.key_id)
    .bind(sealed.bytes.clone())
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Uses a time step: true only if it is later than every step used before, so
/// that a code works once. Confirms the factor on first use.
pub async fn use_totp_step(store: &Store, account_id: i64, step: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE totp SET last_step = $2, confirmed_at = COALESCE(confirmed_at, $3) \
         WHERE id = $1 AND (last_step IS NULL OR last_step < $2)",
    )
    .bind(account_id)
    .bind(step)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn remove_totp(conn: &mut AnyConnection, account_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM totp WHERE id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
