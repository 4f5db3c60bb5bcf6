//! Which member record an account is (an invitation tied to a record makes
//! the link, so that its owner can read it). The link is sealed like the
//! record: a stolen database shows that an account has a record, not which.

use crate::{Error, Members, Result};
use unionhall_store::account_links;
use unionhall_store::Connection;

/// What a link is sealed for: the account's row.
pub(crate) fn context(account_id: i64) -> String {
    format!("account_link:{account_id}")
}

impl Members {
    /// The record `account_id` is, if its invitation linked one.
    pub(crate) async fn member_of_account(&self, account_id: i64) -> Result<Option<i64>> {
        let Some(sealed) = account_links::get(&self.store, account_id).await? else {
            return Ok(None);
        };
        let plain = self.keyring.open(&context(account_id), &sealed)?;
        let id = std::str::from_utf8(&plain)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| Error::Crypto(format!("{}: not a record id", context(account_id))))?;
        Ok(Some(id))
    }

    /// Links an account to its record; false if it has one already.
    pub(crate) async fn link(
        &self,
        conn: &mut Connection,
        account_id: i64,
        member_id: i64,
    ) -> Result<bool> {
        if account_links::exists(conn, account_id).await? {
            return Ok(false);
        }
        let sealed = self
            .keyring
            .seal(&context(account_id), member_id.to_string().as_bytes())?;
        Ok(account_links::insert(conn, account_id, &sealed).await?)
    }

    /// Seals the links older releases kept in plain text (`accounts.member_id`)
    /// and clears them; run at every start, a no-op once done. Returns how
    /// many were sealed.
    pub async fn seal_plain_links(&self) -> Result<usize> {
        let mut tx = self.store.begin_write().await?;
        let plain = account_links::plain(&mut tx).await?;
        for (account_id, member_id) in &plain {
            self.link(&mut tx, *account_id, *member_id).await?;
            account_links::clear_plain(&mut tx, *account_id).await?;
        }
        unionhall_store::commit(tx).await?;
        Ok(plain.len())
    }
}
