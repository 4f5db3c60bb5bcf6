//! The one error type of the domain crate: a rule that a value broke.

/// A value that breaks one of Unionhall's rules, with a message fit to show a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid handle {value:?}: {reason}")]
    InvalidHandle { value: String, reason: &'static str },
    #[error("unknown actor kind {0:?}")]
    UnknownActorKind(String),
    #[error("unknown role {0:?}: expected member, organizer, admin or officer")]
    UnknownRole(String),
    #[error("the {role} role does not exist in a {kind}")]
    RoleDoesNotFit {
        role: &'static str,
        kind: &'static str,
    },
    #[error("the {by} role may not give the {role} role")]
    MayNotGrant {
        role: &'static str,
        by: &'static str,
    },
    /// A change of status the lifecycle does not allow.
    #[error("a {what} cannot go from {from} to {to}")]
    Transition {
        what: &'static str,
        from: &'static str,
        to: &'static str,
    },
    /// A field of a record that breaks its rule; `field` names it for forms.
    #[error("{field} {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: &'static str) -> Self {
        Self::Invalid { field, reason }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
