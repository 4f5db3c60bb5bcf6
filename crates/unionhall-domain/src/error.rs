//! The one error type of the domain crate: a rule that a value broke.

/// A value that breaks one of Unionhall's rules, with a message fit to show a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid handle {value:?}: {reason}")]
    InvalidHandle { value: String, reason: &'static str },
    #[error("unknown actor kind {0:?}")]
    UnknownActorKind(String),
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
