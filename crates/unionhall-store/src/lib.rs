//! Unionhall's storage: one API over SQLite (the embedded default) and PostgreSQL.
//!
//! Architecture invariant: all SQL of the project lives in this crate. Queries are
//! checked at run time (sqlx's `Any` driver), not by macros against one database,
//! because every query must run on both backends; the test suite runs on both.
//! Where the two dialects differ, the query is chosen by [`Backend`] in the module
//! that needs it, next to its twin.
//!
//! Portable column types only: `BIGINT` integers (timestamps are Unix milliseconds),
//! `TEXT`, `BLOB`/`BYTEA`. Flags are nullable timestamps (`accepted_at`), which also
//! say when.

pub mod account_emails;
pub mod account_links;
pub mod account_resets;
pub mod accounts;
pub mod actions;
pub mod actor_blocks;
pub mod actors;
pub mod audit;
pub mod backup;
pub mod calls;
pub mod campaigns;
pub mod chart;
mod database;
pub mod deliveries;
mod error;
pub mod floods;
pub mod follows;
pub mod inbox_seen;
pub mod instance;
pub mod instance_admins;
pub mod interactions;
pub mod mail_queue;
pub mod mail_reminders;
pub mod members;
pub mod objects;
pub mod outbox;
pub mod peer_signatures;
pub mod peer_software;
pub mod peers;
pub mod policy;
pub mod posts;
pub mod received_notes;
pub mod replies;
pub mod reports;
pub mod retention;
mod rows;
pub mod strikes;
pub mod time_zones;
pub mod unions;
mod url_mask;

pub use database::{now_millis, Backend, ConnectOptions, PoolUse, Readiness, Store, Tx};

/// Commits a write transaction.
pub async fn commit(tx: Tx) -> Result<()> {
    tx.commit().await
}

pub use error::{Error, Result};
pub use rows::After;
/// A database connection inside a transaction (`&mut *tx`), for writes that must
/// commit together.
pub use sqlx::AnyConnection as Connection;
pub use url_mask::mask_password;
