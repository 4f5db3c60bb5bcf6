//! Passwords: argon2id with the parameters OWASP recommends (19 MiB, 2 passes, one
//! lane), stored as PHC strings so that parameters can be raised later and old
//! hashes still verify.

use crate::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 1024;

fn hasher() -> Argon2<'static> {
    // The default parameters of the crate are OWASP's: m=19456 KiB, t=2, p=1.
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Refuses passwords too short to resist guessing, and too long to hash cheaply.
pub fn check_strength(password: &str) -> Result<()> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(Error::invalid(
            "password",
            format!("must be at least {MIN_LENGTH} characters"),
        ));
    }
    if length > MAX_LENGTH {
        return Err(Error::invalid(
            "password",
            format!("must be at most {MAX_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// Hashes with a fresh random salt. CPU-heavy (tens of milliseconds): call it
/// from a blocking thread.
pub fn hash(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::Crypto("no randomness".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|err| Error::Crypto(err.to_string()))?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|err| Error::Crypto(err.to_string()))?
        .to_string())
}

/// Whether `password` matches `stored`; a malformed stored hash never matches.
pub fn verify(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of no one's password, verified against when a username does not exist,
/// so that a login takes as long for an unknown name as for a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password for unknown usernames").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify(&stored, "correct horse battery"));
        assert!(!verify(&stored, "correct horse batterY"));
        assert!(!verify("not a hash", "correct horse battery"));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(
            hash("same password").unwrap(),
            hash("same password").unwrap()
        );
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough now").is_ok());
    }
}
