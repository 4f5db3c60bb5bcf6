//! Email for accounts: an account's own address (sealed like the roster,
//! confirmed by a link mailed to it), the password reset its holder asks for
//! themself, and the messages this crate writes into the durable mail queue
//! (`unionhall_store::mail_queue`), sealed whole. The unionhall-mail crate
//! sends them; nothing here talks to a mail server.
//!
//! A message goes only to the account holder's own confirmed address (the
//! confirmation link excepted, which goes to the address being confirmed)
//! and names no one else.

use crate::crypto::secrets;
use crate::mail_texts::{self as texts, Words};
use crate::{Error, Members, Principal, Result};
use serde::{Deserialize, Serialize};
use unionhall_domain::Language;
use unionhall_store::account_emails::{self, EmailRow};
use unionhall_store::accounts as store;
use unionhall_store::mail_queue::{self, QueuedMail};
use unionhall_store::mail_reminders::{self, Preference};
use unionhall_store::{account_resets, now_millis, Connection};
use url::Url;

const CONFIRM_PREFIX: &str = "uhc_";
const RESET_PREFIX: &str = "uhr_";
/// How long a confirmation link works.
const CONFIRM_HOURS: i64 = 48;
/// How long a reset link asked for by mail works: short, as it travels by mail.
const RESET_MINUTES: i64 = 60;
/// Reset mails one account is sent an hour at most; more requests are
/// answered the same way and send nothing.
const RESETS_PER_HOUR: i64 = 3;
/// Confirmation mails one account may have sent an hour: setting addresses
/// over and over must not turn this server into a mailer of strangers.
const CONFIRMS_PER_HOUR: i64 = 3;
/// Longest address taken (RFC 5321's limit on a path).
const MAX_ADDRESS: usize = 254;

/// Mail is on: where links point, and how the instance is named in them.
#[derive(Debug, Clone)]
pub struct MailPolicy {
    pub public_url: Url,
    pub instance_name: String,
    /// What mail is written in for accounts that chose no language, and for
    /// invitations.
    pub language: Language,
}

/// One message, as queued (sealed) and as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An event to add to a calendar, as iCalendar text (attached as `.ics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// The one-click link that stops mail of this kind (RFC 8058).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<String>,
}

/// An invitation its sender mailed that the mail server refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedInvitation {
    /// The address the sender typed.
    pub address: String,
    /// The mail server's words.
    pub reason: String,
    pub refused_at: i64,
}

/// How long a refused invitation is shown to who sent it.
const REFUSED_SHOWN_DAYS: i64 = 7;

/// Which language an account is written to in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageChoice {
    /// Its holder's, if they chose one.
    pub chosen: Option<Language>,
    /// The server's, for everyone who did not.
    pub server: Language,
}

/// An account's address, as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailState {
    None,
    /// Waiting for its holder to follow the link mailed to it.
    Unconfirmed(String),
    Confirmed(String),
    /// The mail server refused it for good.
    Bouncing {
        address: String,
        reason: String,
    },
}

/// `address` as typed, if it reads as one mail can be sent to.
pub fn check_address(address: &str) -> Result<String> {
    let address = address.trim();
    let bad = |reason: &str| Error::Invalid {
        field: "email",
        reason: reason.into(),
    };
    if address.len() > MAX_ADDRESS {
        return Err(bad("is longer than 254 characters"));
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(bad(
            "needs an @ between name and domain, as in ada@example.org",
        ));
    };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"@".contains(c);
    if local.is_empty() || local.len() > 64 || local.chars().any(forbidden) {
        return Err(bad("has a name part that mail cannot be sent to"));
    }
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
    if !domain.contains('.') || !labels_ok {
        return Err(bad("needs a domain such as example.org after the @"));
    }
    Ok(address.to_owned())
}

pub(crate) fn address_context(account_id: i64) -> String {
    format!("account_email:{account_id}")
}

/// What an address's lookup tag is made of: the address as its holder would
/// type it any day (mail servers treat its case alike).
fn lookup_form(address: &str) -> String {
    address.trim().to_lowercase()
}

/// The lookup tags kind of email addresses.
const ADDRESS_TAG: &str = "account_email";

pub(crate) fn mail_context(id: &str) -> String {
    format!("mail:{id}")
}

impl Members {
    /// Whether this instance sends mail (an `[email]` section is set).
    pub fn email_on(&self) -> bool {
        self.policy.mail.is_some()
    }

    /// The caller's own address and its state.
    pub async fn email_of(&self, principal: &Principal) -> Result<EmailState> {
        let mut conn = self.store.acquire().await?;
        let Some(row) = account_emails::of_account(&mut conn, principal.account_id).await? else {
            return Ok(EmailState::None);
        };
        let address = self.open_address(&row)?;
        Ok(match (&row.bounced_at, &row.confirmed_at) {
            (Some(_), _) => EmailState::Bouncing {
                address,
                reason: row.bounce_reason.unwrap_or_default(),
            },
            (None, Some(_)) => EmailState::Confirmed(address),
            (None, None) => EmailState::Unconfirmed(address),
        })
    }

    /// Sets the caller's address (empty: removes it). It is used once its
    /// holder follows the confirmation link mailed to it.
    pub async fn set_email(&self, principal: &Principal, address: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        if address.trim().is_empty() {
            account_emails::remove(&mut tx, principal.account_id).await?;
            unionhall_store::commit(tx).await?;
            return Ok(());
        }
        let Some(mail) = &self.policy.mail else {
            return Err(Error::Conflict(
                "this server sends no email: ask its operator to set it up".into(),
            ));
        };
        let address = check_address(address)?;
        let now = now_millis();
        let sent =
            mail_queue::count_since(&mut tx, principal.account_id, "confirm", now - 3_600_000)
                .await?;
        if sent >= CONFIRMS_PER_HOUR {
            return Err(Error::Conflict(
                "an address was set three times this hour already: try again in an hour".into(),
            ));
        }
        let token = secrets::new_secret(CONFIRM_PREFIX)?;
        let sealed = self
            .keyring
            .seal(&address_context(principal.account_id), address.as_bytes())?;
        let lookup = self.address_tag(&address);
        account_emails::set(
            &mut tx,
            principal.account_id,
            account_emails::NewAddress {
                sealed: &sealed,
                lookup: &lookup,
            },
            &secrets::hash_secret(&token),
            now + CONFIRM_HOURS * 3_600_000,
            now,
        )
        .await?;
        let link = link(&mail.public_url, &format!("/email/confirm/{token}"));
        let words = Words::of(self.reader_in(&mut tx, principal.account_id).await?.1);
        let confirm = texts::confirm(
            words,
            &mail.instance_name,
            &principal.username,
            &address,
            &link,
        );
        self.queue_mail(&mut tx, Some(principal.account_id), "confirm", &confirm)
            .await?;
        unionhall_store::commit(tx).await?;
        tracing::info!(
            username = principal.username,
            "email address set, to be confirmed"
        );
        Ok(())
    }

    /// Follows a confirmation link: the address is the account's, confirmed.
    /// Returns the account's username.
    pub async fn confirm_email(&self, token: &str) -> Result<String> {
        let unknown = || Error::NotFound("no such link: set your address again".into());
        if !token.starts_with(CONFIRM_PREFIX) {
            return Err(unknown());
        }
        let hash = secrets::hash_secret(token);
        let row = account_emails::by_confirm_hash(&self.store, &hash)
            .await?
            .ok_or_else(unknown)?;
        if row.confirm_expires_at.is_none_or(|at| at <= now_millis()) {
            return Err(Error::Gone(
                "this link has expired: set your address again".into(),
            ));
        }
        let account = store::account_by_id(&self.store, row.account_id)
            .await?
            .ok_or_else(|| Error::Gone("that account is gone".into()))?;
        let mut tx = self.store.begin_write().await?;
        if !account_emails::confirm(&mut tx, &hash, now_millis()).await? {
            return Err(Error::Gone("this link has been used already".into()));
        }
        unionhall_store::commit(tx).await?;
        tracing::info!(username = account.username, "email address confirmed");
        Ok(account.username)
    }

    /// Someone who forgot their password asks for a reset link by mail,
    /// giving their username or their address (any account it is the
    /// confirmed address of gets its own link). The answer is the same
    /// whatever happens (an unknown username or address, no confirmed
    /// address, too many asks this hour): only the address's holder learns
    /// anything, by mail. The link works once, for an hour, and ends no
    /// session until it is used.
    pub async fn request_reset(&self, username_or_address: &str) -> Result<()> {
        if self.policy.mail.is_none() {
            return Err(Error::Conflict(
                "this server sends no email: ask its operator for a reset link".into(),
            ));
        }
        let asked = username_or_address.trim();
        // Read first, then one transaction per account: no transaction is
        // held while another connection is asked of the pool.
        let rows = if asked.contains('@') {
            let tags = self.keyring.lookup_tags(ADDRESS_TAG, &lookup_form(asked));
            let mut conn = self.store.acquire().await?;
            account_emails::by_lookup(&mut conn, &tags).await?
        } else {
            let Some(account) = store::account_by_username(&self.store, asked).await? else {
                return Ok(());
            };
            let mut conn = self.store.acquire().await?;
            account_emails::of_account(&mut conn, account.id)
                .await?
                .into_iter()
                .collect()
        };
        for row in rows {
            if row.confirmed_at.is_none() || row.bounced_at.is_some() {
                continue;
            }
            let Some(account) = store::account_by_id(&self.store, row.account_id).await? else {
                continue;
            };
            let mut tx = self.store.begin_write().await?;
            self.queue_reset(&mut tx, &account, &row).await?;
            unionhall_store::commit(tx).await?;
        }
        Ok(())
    }

    /// A reset link for `row`'s account, mailed to its address, unless three
    /// went this hour.
    async fn queue_reset(
        &self,
        tx: &mut Connection,
        account: &store::AccountRow,
        row: &EmailRow,
    ) -> Result<()> {
        let Some(mail) = &self.policy.mail else {
            return Ok(());
        };
        let since = now_millis() - 3_600_000;
        if mail_queue::count_since(tx, account.id, "reset", since).await? >= RESETS_PER_HOUR {
            tracing::info!(
                username = account.username,
                "reset mail not sent: asked too often"
            );
            return Ok(());
        }
        let token = secrets::new_secret(RESET_PREFIX)?;
        let now = now_millis();
        account_resets::replace(
            tx,
            &secrets::hash_secret(&token),
            &account_resets::ResetRow {
                account_id: account.id,
                remove_second_factor: false,
                expires_at: now + RESET_MINUTES * 60_000,
            },
            now,
        )
        .await?;
        let address = self.open_address(row)?;
        let link = link(&mail.public_url, &format!("/reset/{token}"));
        let words = Words::of(self.reader_in(tx, account.id).await?.1);
        let reset = texts::reset(
            words,
            &mail.instance_name,
            &account.username,
            &address,
            &link,
        );
        self.queue_mail(tx, Some(account.id), "reset", &reset)
            .await?;
        tracing::info!(username = account.username, "reset link mailed");
        Ok(())
    }

    /// Tags addresses stored before they had lookup tags (migration 30), so
    /// a reset by address finds them. Run at start; the number tagged.
    pub async fn tag_untagged_addresses(&self) -> Result<usize> {
        let mut tx = self.store.begin_write().await?;
        let untagged = account_emails::without_lookup(&mut tx).await?;
        for row in &untagged {
            let lookup = self.address_tag(&self.open_address(row)?);
            account_emails::set_lookup(&mut tx, row.account_id, &lookup).await?;
        }
        unionhall_store::commit(tx).await?;
        Ok(untagged.len())
    }

    /// The lookup tag of `address` under the current key (rotation renews
    /// each address's with its seal).
    pub(crate) fn address_tag(&self, address: &str) -> String {
        self.keyring.lookup_tag(ADDRESS_TAG, &lookup_form(address))
    }

    /// The invitation `token` to `group`, mailed to `address` in `language`
    /// (None: the server's).
    pub(crate) async fn queue_invitation(
        &self,
        conn: &mut Connection,
        (group, role): (&crate::Group, unionhall_domain::Role),
        (token, expires_at): (&str, i64),
        (address, language): (&str, Option<Language>),
        asked_by: Option<i64>,
    ) -> Result<()> {
        let Some(mail) = &self.policy.mail else {
            return Ok(());
        };
        // One account mails strangers only so often: a stolen organizer
        // account must not make this server a mailer of spam.
        if let Some(account_id) = asked_by {
            let since = now_millis() - 3_600_000;
            let sent = mail_queue::count_asked_since(conn, account_id, "invite", since).await?;
            if sent >= i64::from(self.policy.invite_mails_per_hour) {
                return Err(Error::TooOften {
                    what: format!(
                        "you mailed {sent} invitations this hour, as many as this server allows"
                    ),
                    retry_after_seconds: 3600,
                });
            }
        }
        let link = link(&mail.public_url, &format!("/invite/{token}"));
        let days = ((expires_at - now_millis()) / 86_400_000).max(1);
        let invitation = texts::invitation(
            Words::of(language.unwrap_or(mail.language)),
            &mail.instance_name,
            (group.handle.as_str(), role),
            days,
            address,
            &link,
        );
        let parties = mail_queue::Parties {
            account_id: None,
            asked_by,
        };
        self.queue_sealed(conn, parties, "invite", &invitation)
            .await
    }

    /// Where mail of kind `what` for `account_id` goes, if it may: the
    /// account's confirmed address that does not bounce, if it wants `what`.
    pub(crate) async fn recipient(
        &self,
        conn: &mut Connection,
        account_id: i64,
        what: Preference,
    ) -> Result<Option<String>> {
        let row = account_emails::of_account(conn, account_id)
            .await?
            .filter(|row| row.confirmed_at.is_some() && row.bounced_at.is_none());
        match row {
            Some(row) if mail_reminders::wants(conn, account_id, what).await? => {
                Ok(Some(self.open_address(&row)?))
            }
            _ => Ok(None),
        }
    }

    /// A one-click link that turns `what` off for `account_id` (RFC 8058),
    /// stored in the caller's transaction.
    pub(crate) async fn stop_link(
        &self,
        conn: &mut Connection,
        base: &Url,
        account_id: i64,
        what: Preference,
        now: i64,
    ) -> Result<String> {
        let token = secrets::new_secret(crate::reminders::UNSUBSCRIBE_PREFIX)?;
        mail_reminders::add_unsubscribe(
            conn,
            &secrets::hash_secret(&token),
            account_id,
            what.as_str(),
            now,
        )
        .await?;
        Ok(link(base, &format!("/unsubscribe/{token}")))
    }

    /// The zone an account reads times in: its own, else its chapter's.
    pub async fn zone_of_account(&self, account_id: i64) -> Result<unionhall_domain::Zone> {
        let mut conn = self.store.acquire().await?;
        Ok(self.reader_in(&mut conn, account_id).await?.0)
    }

    /// How to write to `account_id`: the zone it reads times in and its
    /// language, read in the caller's connection or transaction (a scan
    /// holding a transaction takes no second connection from the pool).
    pub(crate) async fn reader_in(
        &self,
        conn: &mut Connection,
        account_id: i64,
    ) -> Result<(unionhall_domain::Zone, Language)> {
        let zones = unionhall_store::time_zones::of_account_in(conn, account_id).await?;
        let zone = zones
            .own
            .or(zones.chapter)
            .and_then(|name| unionhall_domain::Zone::parse(&name).ok())
            .unwrap_or_default();
        let chosen = unionhall_store::time_zones::language_of_account_in(conn, account_id)
            .await?
            .and_then(|code| Language::parse(&code).ok());
        let default = self.policy.mail.as_ref().map(|m| m.language);
        Ok((zone, chosen.or(default).unwrap_or_default()))
    }

    /// Accounts of `group` whose address the mail server refuses, and since
    /// when, for those who manage its roles: who will not get its mail. The
    /// address and the server's words stay with the account's holder.
    pub async fn bouncing_in(
        &self,
        principal: &Principal,
        group: &crate::Group,
    ) -> Result<std::collections::HashMap<i64, i64>> {
        principal.require(
            group,
            unionhall_domain::Permission::ManageRoles,
            "see whose mail bounces",
        )?;
        let members: std::collections::HashSet<i64> =
            store::roles_in_group(&self.store, &group.ap_id)
                .await?
                .into_iter()
                .map(|row| row.account_id)
                .collect();
        Ok(account_emails::bouncing(&self.store)
            .await?
            .into_iter()
            .filter(|(account_id, _)| members.contains(account_id))
            .collect())
    }

    /// The invitations the caller mailed this past week that the mail
    /// server refused for good, newest first: the address they typed and
    /// the server's words, so they can correct it.
    pub async fn refused_invitations(
        &self,
        principal: &Principal,
    ) -> Result<Vec<RefusedInvitation>> {
        let since = now_millis() - REFUSED_SHOWN_DAYS * 86_400_000;
        let refused =
            mail_queue::given_up_asked_by(&self.store, principal.account_id, "invite", since)
                .await?;
        refused
            .into_iter()
            .map(|refused| {
                Ok(RefusedInvitation {
                    address: self.open_mail(&refused.mail)?.to,
                    reason: refused.failure,
                    refused_at: refused.failed_at,
                })
            })
            .collect()
    }

    /// The language `account_id` is written to in: its holder's choice, or
    /// the server's.
    pub async fn language_of_account(&self, account_id: i64) -> Result<Language> {
        let mut conn = self.store.acquire().await?;
        Ok(self.reader_in(&mut conn, account_id).await?.1)
    }

    /// The caller's own choice of language, if any, and the server's.
    pub async fn language_choice(&self, principal: &Principal) -> Result<LanguageChoice> {
        let chosen =
            unionhall_store::time_zones::language_of_account(&self.store, principal.account_id)
                .await?
                .and_then(|code| Language::parse(&code).ok());
        Ok(LanguageChoice {
            chosen,
            server: self
                .policy
                .mail
                .as_ref()
                .map(|m| m.language)
                .unwrap_or_default(),
        })
    }

    /// Sets the language the caller is written to in; None: the server's.
    pub async fn set_language(
        &self,
        principal: &Principal,
        language: Option<Language>,
    ) -> Result<()> {
        unionhall_store::time_zones::set_account_language(
            &self.store,
            principal.account_id,
            language.map(Language::code),
        )
        .await?;
        Ok(())
    }

    /// A queued message, opened for sending.
    pub fn open_mail(&self, queued: &QueuedMail) -> Result<Mail> {
        let json = self
            .keyring
            .open(&mail_context(&queued.id), &queued.sealed)?;
        serde_json::from_slice(&json)
            .map_err(|err| Error::Crypto(format!("mail {} is unreadable: {err}", queued.id)))
    }

    /// Writes `mail` for `account_id` into the queue inside the caller's
    /// transaction, sealed.
    pub(crate) async fn queue_mail(
        &self,
        conn: &mut Connection,
        account_id: Option<i64>,
        kind: &str,
        mail: &Mail,
    ) -> Result<()> {
        let parties = mail_queue::Parties {
            account_id,
            asked_by: None,
        };
        self.queue_sealed(conn, parties, kind, mail).await
    }

    async fn queue_sealed(
        &self,
        conn: &mut Connection,
        parties: mail_queue::Parties,
        kind: &str,
        mail: &Mail,
    ) -> Result<()> {
        let id = format!("{}.{kind}", secrets::new_secret("")?);
        let json = serde_json::to_vec(mail).map_err(|err| Error::Internal(err.to_string()))?;
        let sealed = self.keyring.seal(&mail_context(&id), &json)?;
        mail_queue::enqueue(conn, &id, parties, kind, &sealed).await?;
        Ok(())
    }

    pub(crate) fn open_address(&self, row: &EmailRow) -> Result<String> {
        let bytes = self
            .keyring
            .open(&address_context(row.account_id), &row.sealed)?;
        String::from_utf8(bytes).map_err(|err| Error::Crypto(err.to_string()))
    }
}

pub(crate) fn link(base: &Url, path: &str) -> String {
    let mut url = base.clone();
    url.set_path(path);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_where_they_are_typed() {
        assert_eq!(
            check_address("  ada@example.org ").unwrap(),
            "ada@example.org"
        );
        for bad in [
            "ada",
            "ada@",
            "@example.org",
            "ada@localhost",
            "a da@example.org",
            "ada@exa mple.org",
            "<ada@example.org>",
            "ada@example..org",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }
}
