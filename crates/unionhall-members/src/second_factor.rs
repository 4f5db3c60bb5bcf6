//! The optional second factor: a TOTP secret per account, sealed with the
//! member-data key (a stolen database cannot mint codes). Turning it on takes a
//! code from the app, so nobody locks themselves out with a mistyped secret; each
//! code works once.

use crate::crypto::totp;
use crate::{Error, Members, Principal, Result};
use unionhall_store::accounts as store;

pub(crate) fn context(account_id: i64) -> String {
    format!("totp:{account_id}")
}

/// What the person types or scans into their authenticator app.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_uri: String,
}

fn unix_seconds() -> u64 {
    (unionhall_store::now_millis() / 1000).max(0) as u64
}

impl Members {
    /// Starts turning the second factor on: a new secret, not in force until
    /// [`Members::confirm_totp`] gets a code made with it.
    pub async fn begin_totp(&self, principal: &Principal, issuer: &str) -> Result<TotpSetup> {
        let mut secret = [0u8; totp::SECRET_LEN];
        aws_lc_rs::rand::fill(&mut secret).map_err(|_| Error::Crypto("no randomness".into()))?;
        let sealed = self.keyring.seal(&context(principal.account_id), &secret)?;
        if !store::begin_totp(&self.store, principal.account_id, &sealed).await? {
            return Err(Error::Conflict(
                "a second factor is on already; turn it off first to set up a new one".into(),
            ));
        }
        Ok(TotpSetup {
            secret: totp::base32(&secret),
            otpauth_uri: totp::otpauth_uri(issuer, &principal.username, &secret),
        })
    }

    /// Puts the second factor in force with a first code from the app.
    pub async fn confirm_totp(&self, principal: &Principal, code: &str) -> Result<()> {
        match store::totp(&self.store, principal.account_id).await? {
            Some(row) if row.confirmed_at.is_none() => {
                self.check_code(principal.account_id, &row, code).await
            }
            Some(_) => Err(Error::Conflict("the second factor is on already".into())),
            None => Err(Error::NotFound(
                "start setting up a second factor first".into(),
            )),
        }
    }

    /// Turns the second factor off; it takes a current code.
    pub async fn disable_totp(&self, principal: &Principal, code: &str) -> Result<()> {
        let row = store::totp(&self.store, principal.account_id)
            .await?
            .ok_or_else(|| Error::NotFound("no second factor is set up".into()))?;
        if row.confirmed_at.is_some() {
            self.check_code(principal.account_id, &row, code).await?;
        }
        store::remove_totp(&mut *self.store.acquire().await?, principal.account_id).await?;
        Ok(())
    }

    pub async fn totp_enabled(&self, account_id: i64) -> Result<bool> {
        Ok(store::totp(&self.store, account_id)
            .await?
            .is_some_and(|row| row.confirmed_at.is_some()))
    }

    /// For login: Ok if the account has no second factor in force, or `code` is
    /// a fresh valid one.
    pub(crate) async fn check_second_factor(
        &self,
        account_id: i64,
        code: Option<&str>,
    ) -> Result<()> {
        match store::totp(&self.store, account_id).await? {
            Some(row) if row.confirmed_at.is_some() => {
                self.check_code(account_id, &row, code.unwrap_or("")).await
            }
            _ => Ok(()),
        }
    }

    async fn check_code(&self, account_id: i64, row: &store::TotpRow, code: &str) -> Result<()> {
        let secret = self.keyring.open(&context(account_id), &row.sealed)?;
        let wrong = || {
            Error::Unauthenticated(
                "the code from your authenticator app is missing or wrong".into(),
            )
        };
        let step = totp::verify(&secret, code, unix_seconds()).ok_or_else(wrong)?;
        if store::use_totp_step(&self.store, account_id, step as i64).await? {
            Ok(())
        } else {
            // A code seen before: someone may be replaying it.
            Err(wrong())
        }
    }
}
