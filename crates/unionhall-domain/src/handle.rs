//! The handle of a chapter or industrial union body: the `name` in `@name@domain`.

use crate::{DomainError, Result};
use std::fmt;

/// A local actor's handle. Lower-case ASCII letters, digits and `_`, 1 to 64
/// characters, so that it is the same in a URL path, in WebFinger `acct:` URIs and
/// in Mastodon's `@name@domain` mentions without escaping or case folding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

impl Handle {
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self> {
        let invalid = |reason| DomainError::InvalidHandle {
            value: value.to_owned(),
            reason,
        };
        if value.is_empty() {
            return Err(invalid("it is empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(invalid("it is longer than 64 characters"));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(invalid(
                "use only lower-case letters a-z, digits 0-9 and underscores",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_handles() {
        for ok in ["bakers_local_12", "a", "x9", &"a".repeat(64)] {
            assert_eq!(Handle::parse(ok).map(|h| h.to_string()), Ok(ok.to_string()));
        }
    }

    #[test]
    fn refuses_what_would_need_escaping_or_case_folding() {
        for bad in [
            "",
            "Bakers",
            "bakers-12",
            "bakers 12",
            "bäcker",
            "a/b",
            "a@b",
            &"a".repeat(65),
        ] {
            assert!(Handle::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
