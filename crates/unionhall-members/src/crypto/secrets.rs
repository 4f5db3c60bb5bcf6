//! Random secrets handed to people (invitation links, session cookies, API
//! tokens) and what is kept of them: a SHA-256 hash, so a copy of the database
//! cannot be used to log in. CSRF tokens are derived from the session secret.

use crate::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// A new secret: `prefix` (so a leaked one is recognisable, e.g. by secret
/// scanners) and 32 random bytes, URL-safe.
pub fn new_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::Crypto("no randomness".into()))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What the database keeps of a secret.
pub fn hash_secret(secret: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of a session: derived from the session secret, which only the
/// browser holding the (HttpOnly) cookie knows; no state to keep.
pub fn csrf_token(session_secret: &str) -> String {
    let mut input = b"unionhall csrf\0".to_vec();
    input.extend_from_slice(session_secret.as_bytes());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Compares secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = new_secret("uhs_").unwrap();
        let b = new_secret("uhs_").unwrap();
        assert!(a.starts_with("uhs_") && a.len() == 4 + 43, "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_and_csrf_tokens_are_stable_and_distinct() {
        assert_eq!(hash_secret("x"), hash_secret("x"));
        assert_ne!(hash_secret("x"), hash_secret("y"));
        assert_eq!(csrf_token("s1"), csrf_token("s1"));
        assert_ne!(csrf_token("s1"), csrf_token("s2"));
        assert_ne!(csrf_token("s1"), hash_secret("s1"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
