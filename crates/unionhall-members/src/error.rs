//! The one error type of the members crate.

use unionhall_domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field that breaks its rule; `field` names it for the form.
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Not logged in, or a bad username or password (never saying which).
    #[error("{0}")]
    Unauthenticated(String),
    /// Logged in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// An invitation that expired or was used already.
    #[error("{0}")]
    Gone(String),
    #[error(
        "too many failed logins for this account; try again in {}",
        in_words(*retry_after_seconds)
    )]
    TooManyAttempts { retry_after_seconds: u64 },
    /// Something allowed only so often an hour was done that often.
    #[error("{what}; try again in {}", in_words(*retry_after_seconds))]
    TooOften {
        what: String,
        retry_after_seconds: u64,
    },
    /// Every slot for password hashing is taken: come back shortly.
    #[error("too many logins at once; try again in {}", in_words(*retry_after_seconds))]
    Busy { retry_after_seconds: u64 },
    /// A CSV file that cannot be imported; nothing was changed.
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    /// A key that is missing, malformed, or does not open what it should.
    #[error("{0}")]
    Crypto(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] unionhall_store::Error),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn forbidden(what: &str) -> Self {
        Self::Forbidden(format!("your role does not allow you to {what}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A wait as people say it: "40 seconds", "15 minutes", "2 hours".
pub fn in_words(seconds: u64) -> String {
    let (n, unit) = match seconds {
        0..=90 => (seconds.max(1), "second"),
        91..=5400 => (seconds.div_ceil(60), "minute"),
        _ => (seconds.div_ceil(3600), "hour"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_said_in_minutes_and_hours_not_seconds() {
        assert_eq!(in_words(1), "1 second");
        assert_eq!(in_words(45), "45 seconds");
        assert_eq!(in_words(900), "15 minutes");
        assert_eq!(in_words(61 * 60), "61 minutes");
        assert_eq!(in_words(3 * 3600), "3 hours");
        assert_eq!(
            Error::TooManyAttempts {
                retry_after_seconds: 900
            }
            .to_string(),
            "too many failed logins for this account; try again in 15 minutes"
        );
    }
}
