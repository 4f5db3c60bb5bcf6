//! Members and accounts: the records that never leave the instance.
//!
//! - [`roster`]: member records and one-on-one logs, sealed at rest with the key
//!   ring of [`crypto::sealing`], filtered after opening (the database sees only
//!   ciphertext); CSV import and export in [`csv`].
//! - [`accounts`]: invitations, logins, sessions, API tokens and roles;
//!   [`recovery`]: what the operator does for accounts (reset links, unlocking,
//!   instance admins).
//! - [`audit`]: who viewed, exported or changed what, written in the same
//!   transaction as the change.
//! - The workplace chart: [`relationships`] between coworkers, [`assignments`]
//!   of coworkers to committee members, [`structure_tests`], and the [`chart`]
//!   itself; all sealed like the roster.
//!
//! Architecture invariant: nothing here is reachable from the federation crate.
//! Member data has no ActivityPub form; the only way out is an authorised local
//! account through the web or the CLI.

pub mod accounts;
pub mod assignments;
pub mod audit;
pub mod chart;
pub mod crypto;
pub mod csv;
pub mod email;
mod error;
pub mod keys;
mod links;
pub mod mail_texts;
pub mod news;
pub mod pledge_notices;
mod pledgers;
pub mod principal;
pub mod recovery;
pub mod relationships;
pub mod reminders;
pub mod roster;
pub mod roster_view;
mod second_factor;
pub mod structure_tests;
mod talk_dates;
pub use second_factor::TotpSetup;
pub mod rotation;

pub use error::{Error, Result};
pub use pledgers::Pledger;
pub use principal::{Group, Principal, TokenScope, Via};

use crypto::sealing::Keyring;
use std::sync::Arc;
use unionhall_domain::ActorKind;
use unionhall_store::Store;

/// Limits of sessions, invitations and login attempts.
#[derive(Debug, Clone)]
pub struct Policy {
    pub session_hours: u64,
    /// How long an API token works.
    pub token_days: u64,
    pub invite_hours: u64,
    /// Invitations one account may mail an hour.
    pub invite_mails_per_hour: u32,
    /// Failed logins allowed per account within `login_window_minutes`.
    pub login_max_failures: u32,
    pub login_window_minutes: u64,
    /// Mail is sent (`[email]` is set): links point here. None: no mail.
    pub mail: Option<email::MailPolicy>,
}

/// The members service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Members {
    store: Store,
    keyring: Arc<Keyring>,
    policy: Arc<Policy>,
    talk_dates: Arc<talk_dates::TalkDates>,
}

impl Members {
    pub fn new(store: Store, keyring: Keyring, policy: Policy) -> Self {
        Self {
            store,
            keyring: Arc::new(keyring),
            policy: Arc::new(policy),
            talk_dates: Arc::default(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The key ring, for what else is sealed with it: local actors' private
    /// keys (unionhall-federation's key vault).
    pub fn sealer(&self) -> Arc<dyn unionhall_store::members::Sealer> {
        self.keyring.clone()
    }

    /// A chapter or union body of this instance by handle.
    pub async fn group(&self, handle: &str) -> Result<Group> {
        let row = unionhall_store::actors::local_by_handle(&self.store, handle)
            .await?
            .filter(|row| matches!(row.kind, ActorKind::Chapter | ActorKind::Union))
            .ok_or_else(|| Error::NotFound(format!("no chapter or union body {handle:?} here")))?;
        Ok(Group {
            handle: row.handle.unwrap_or_default(),
            ap_id: row.ap_id,
            kind: row.kind,
        })
    }

    /// Like [`Members::group`], for what only chapters have (a roster).
    pub async fn chapter(&self, handle: &str) -> Result<Group> {
        let group = self.group(handle).await?;
        if group.kind == ActorKind::Chapter {
            Ok(group)
        } else {
            Err(Error::NotFound(format!(
                "{handle:?} is a union body; only chapters keep a roster"
            )))
        }
    }

    /// A local chapter or body by its ActivityPub id.
    pub async fn group_by_id(&self, ap_id: &url::Url) -> Result<Group> {
        let group = self.group_by_ap_id(ap_id).await?;
        if matches!(group.kind, ActorKind::Chapter | ActorKind::Union) {
            Ok(group)
        } else {
            Err(Error::NotFound(format!(
                "{ap_id} is not a chapter or body here"
            )))
        }
    }

    /// The group an id names (from a row that refers to it).
    pub(crate) async fn group_by_ap_id(&self, ap_id: &url::Url) -> Result<Group> {
        let row = unionhall_store::actors::by_ap_id(&self.store, ap_id)
            .await?
            .ok_or_else(|| Error::NotFound("that chapter or body is gone".into()))?;
        Ok(Group::from(row))
    }
}
