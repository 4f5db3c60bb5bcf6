//! Passwords: argon2id with the parameters OWASP recommends (19 MiB, 2 passes, one
//! lane), stored as PHC strings so that parameters can be raised later and old
//! hashes still verify.

use crate::{Error, Result};
use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// The memory of one hash (19 MiB), kept by the thread that hashes so that it
/// is allocated once, not once per login: the allocator would otherwise keep
/// many such buffers around after a burst of logins.
pub struct Scratch(Vec<Block>);

impl Default for Scratch {
    fn default() -> Self {
        Self(vec![Block::default(); Params::default().block_count()])
    }
}

/// [`hash`] in `scratch`'s memory.
pub fn hash_in(scratch: &mut Scratch, password: &str) -> Result<String> {
    let crypto = |err: &dyn std::fmt::Display| Error::Crypto(err.to_string());
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::Crypto("no randomness".into()))?;
    let salt_string = SaltString::encode_b64(&salt).map_err(|e| crypto(&e))?;
    let params = Params::default();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hasher()
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, &mut scratch.0)
        .map_err(|e| crypto(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| crypto(&e))?,
        salt: Some(salt_string.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| crypto(&e))?),
    };
    Ok(hash.to_string())
}

/// [`verify`] in `scratch`'s memory (a hash made with more memory than ours,
/// from a later version, is verified the ordinary way).
pub fn verify_in(scratch: &mut Scratch, stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(params), Some(expected), Some(salt)) =
        (Params::try_from(&parsed), parsed.hash, parsed.salt)
    else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident()
        || parsed
            .version
            .is_some_and(|v| v != u32::from(Version::V0x13))
    {
        return false;
    }
    if params.block_count() > scratch.0.len() {
        return verify(stored, password);
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    argon2
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut scratch.0[..blocks],
        )
        .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
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
    fn hashes_made_in_scratch_memory_verify_either_way() {
        let mut scratch = Scratch::default();
        let stored = hash_in(&mut scratch, "correct horse battery").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify(&stored, "correct horse battery"));
        assert!(verify_in(&mut scratch, &stored, "correct horse battery"));
        assert!(!verify_in(&mut scratch, &stored, "correct horse batterY"));
        let older = hash("another password").unwrap();
        assert!(verify_in(&mut scratch, &older, "another password"));
        assert!(!verify_in(&mut scratch, "not a hash", "another password"));
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
