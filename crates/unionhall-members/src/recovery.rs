//! What the operator does for accounts at the command line: lift a lock, make
//! a one-time link for someone who lost their password or second factor, and
//! say who runs the instance.

use crate::accounts::hash_password;
use crate::crypto::{password, secrets};
use crate::{Error, Members, Result};
use unionhall_store::account_resets::{self, ResetRow};
use unionhall_store::accounts as store;
use unionhall_store::{instance_admins, now_millis};

const RESET_PREFIX: &str = "uhr_";

/// A reset link's secret, shown once, and when it stops working.
#[derive(Debug, Clone)]
pub struct NewReset {
    pub token: String,
    pub expires_at: i64,
}

/// Whose account a reset link is for, shown on its page.
#[derive(Debug, Clone)]
pub struct ResetView {
    pub username: String,
    pub removes_second_factor: bool,
}

impl Members {
    /// Lifts the lock of failed logins on an account (its owner, locked out
    /// by someone guessing).
    pub async fn unlock(&self, username: &str) -> Result<()> {
        self.account_named(username).await?;
        let mut conn = self.store.acquire().await?;
        Ok(store::clear_login_failures(&mut conn, username).await?)
    }

    /// Makes a one-time link with which the owner of `username` sets a new
    /// password (and, with `remove_second_factor`, loses the second factor
    /// they can no longer produce). Every session and token of the account
    /// ends now: whoever is locked out may be locked out because someone
    /// else got in. A new link replaces an unused older one.
    pub async fn reset_link(&self, username: &str, remove_second_factor: bool) -> Result<NewReset> {
        let account = self.account_named(username).await?;
        let token = secrets::new_secret(RESET_PREFIX)?;
        let now = now_millis();
        let expires_at = now + (self.policy.invite_hours as i64) * 3_600_000;
        let mut tx = self.store.begin_write().await?;
        account_resets::replace(
            &mut tx,
            &secrets::hash_secret(&token),
            &ResetRow {
                account_id: account.id,
                remove_second_factor,
                expires_at,
            },
            now,
        )
        .await?;
        store::revoke_credentials_in(&mut tx, account.id).await?;
        unionhall_store::commit(tx).await?;
        tracing::info!(username, remove_second_factor, "reset link made");
        Ok(NewReset { token, expires_at })
    }

    /// The account a reset link is for, if it still works.
    pub async fn reset(&self, token: &str) -> Result<ResetView> {
        let row = self.usable_reset(token).await?;
        let account = store::account_by_id(&self.store, row.account_id)
            .await?
            .ok_or_else(|| Error::Gone("that account is gone".into()))?;
        Ok(ResetView {
            username: account.username,
            removes_second_factor: row.remove_second_factor,
        })
    }

    /// Uses a reset link: the new password is in force, the second factor is
    /// gone if the link said so, the lock of failed logins is lifted, and
    /// every session and token ends. Returns the username.
    pub async fn use_reset(&self, token: &str, new_password: &str) -> Result<String> {
        password::check_strength(new_password)?;
        let row = self.usable_reset(token).await?;
        let hash = hash_password(new_password.into()).await?;
        let account = store::account_by_id(&self.store, row.account_id)
            .await?
            .ok_or_else(|| Error::Gone("that account is gone".into()))?;
        let mut tx = self.store.begin_write().await?;
        if !account_resets::take(&mut tx, &secrets::hash_secret(token)).await? {
            return Err(Error::Gone("this link has been used already".into()));
        }
        store::set_password_hash(&mut tx, account.id, &hash).await?;
        if row.remove_second_factor {
            store::remove_totp(&mut tx, account.id).await?;
        }
        store::revoke_credentials_in(&mut tx, account.id).await?;
        store::clear_login_failures(&mut tx, &account.username).await?;
        unionhall_store::commit(tx).await?;
        tracing::info!(username = account.username, "password reset");
        Ok(account.username)
    }

    async fn usable_reset(&self, token: &str) -> Result<ResetRow> {
        let unknown = || Error::NotFound("no such link: ask for a new one".into());
        if !token.starts_with(RESET_PREFIX) {
            return Err(unknown());
        }
        let row = account_resets::by_hash(&self.store, &secrets::hash_secret(token))
            .await?
            .ok_or_else(unknown)?;
        if row.expires_at <= now_millis() {
            return Err(Error::Gone(
                "this link has expired: ask for a new one".into(),
            ));
        }
        Ok(row)
    }

    /// Makes an account an instance admin (`admin`) or no longer one. Only
    /// the operator does this, at the command line: no role in a group leads
    /// to it.
    pub async fn set_instance_admin(&self, username: &str, admin: bool) -> Result<bool> {
        let account = self.account_named(username).await?;
        let changed = instance_admins::set(&self.store, account.id, admin).await?;
        if changed {
            tracing::info!(username, admin, "instance admin changed");
        }
        Ok(changed)
    }

    /// The usernames of the instance admins.
    pub async fn instance_admins(&self) -> Result<Vec<String>> {
        Ok(instance_admins::usernames(&self.store).await?)
    }

    async fn account_named(&self, username: &str) -> Result<store::AccountRow> {
        store::account_by_username(&self.store, username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no account {username:?}")))
    }
}
