//! Whom an instance federates with: a block list (a block of `example.org`
//! covers its subdomains), and an allow-list mode for cautious chapters and
//! bodies of trusted chapters, which federate only with listed instances.

use crate::{DomainError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FederationMode {
    /// Everyone but the blocked.
    #[default]
    Open,
    /// Only the allowed (and never the blocked).
    Allowlist,
}

impl FederationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Allowlist => "allowlist",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "open" => Ok(Self::Open),
            "allowlist" => Ok(Self::Allowlist),
            _ => Err(DomainError::invalid("mode", "must be open or allowlist")),
        }
    }
}

/// A domain as policies name them: lower case, no trailing dot, no scheme, port
/// or path. A leading `*.` (`*.bad.example`, as other servers' lists write
/// "and its subdomains") is dropped: a policy's domain always covers its
/// subdomains, and the domain itself too.
pub fn normalize_domain(value: &str) -> Result<String> {
    let domain = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.strip_prefix("*.").unwrap_or(&domain);
    let ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(domain.to_owned())
    } else {
        Err(DomainError::invalid(
            "domain",
            "must be a domain name such as example.org (no scheme, port or path)",
        ))
    }
}

fn covers(domain: &str, host: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FederationPolicy {
    pub mode: FederationMode,
    pub blocked: Vec<String>,
    pub allowed: Vec<String>,
}

impl FederationPolicy {
    /// Why this instance does not federate with `host` (a host name, without
    /// port), or None if it does.
    pub fn refuses(&self, host: &str) -> Option<&'static str> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.blocked.iter().any(|d| covers(d, &host)) {
            return Some("is blocked by this instance");
        }
        if self.mode == FederationMode::Allowlist && !self.allowed.iter().any(|d| covers(d, &host))
        {
            return Some("is not on this instance's allow list");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_covers_subdomains_but_not_lookalikes() {
        let policy = FederationPolicy {
            blocked: vec!["example.org".into()],
            ..Default::default()
        };
        assert!(policy.refuses("example.org").is_some());
        assert!(policy.refuses("social.example.org").is_some());
        assert!(policy.refuses("EXAMPLE.ORG.").is_some());
        assert!(policy.refuses("notexample.org").is_none());
        assert!(policy.refuses("example.org.evil").is_none());
    }

    #[test]
    fn allowlist_mode_admits_only_the_listed_and_never_the_blocked() {
        let policy = FederationPolicy {
            mode: FederationMode::Allowlist,
            blocked: vec!["bad.friends.example".into()],
            allowed: vec!["friends.example".into()],
        };
        assert!(policy.refuses("a.friends.example").is_none());
        assert!(policy.refuses("bad.friends.example").is_some());
        assert!(policy.refuses("stranger.example").is_some());
    }

    #[test]
    fn domains_are_normalized_or_refused() {
        assert_eq!(normalize_domain(" Example.ORG. ").unwrap(), "example.org");
        assert_eq!(normalize_domain("*.Bad.example").unwrap(), "bad.example");
        for bad in [
            "*",
            "*.",
            "ba*.example",
            "*.*.example",
            "",
            "https://example.org",
            "example.org:443",
            "exa mple.org",
            "a..b",
            "example.org/x",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }
}
