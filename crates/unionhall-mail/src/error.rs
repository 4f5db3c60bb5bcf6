use thiserror::Error;

/// What can go wrong in this crate, short of a message's own refusal
/// (`Refusal`, which the worker records).
#[derive(Debug, Error)]
pub enum Error {
    /// `[email]` is set in a way mail cannot be sent with.
    #[error("[email] {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] unionhall_store::Error),
}

pub type Result<T> = std::result::Result<T, Error>;
