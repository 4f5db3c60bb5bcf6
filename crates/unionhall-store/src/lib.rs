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

mod database;
mod error;
pub mod instance;
mod url_mask;

pub use database::{Backend, ConnectOptions, Readiness, Store};
pub use error::{Error, Result};
pub use url_mask::mask_password;
