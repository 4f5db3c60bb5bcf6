//! RSA keys in the forms other servers publish them.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::RsaPublicKey;

/// Public keys as SPKI PEM (`BEGIN PUBLIC KEY`), the form signatures are checked
/// with. Mobilizon publishes PKCS#1 (`BEGIN RSA PUBLIC KEY`); those are converted.
/// Returns None for something that is no RSA public key at all.
pub fn normalize_public_key_pem(pem: &str) -> Option<String> {
    let pem = pem.trim();
    if RsaPublicKey::from_public_key_pem(pem).is_ok() {
        return Some(format!("{pem}\n"));
    }
    let key = RsaPublicKey::from_pkcs1_pem(pem).ok()?;
    key.to_public_key_pem(LineEnding::LF).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPublicKey;

    #[test]
    fn converts_pkcs1_and_keeps_spki() {
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        let spki = normalize_public_key_pem(&keys.public_key).unwrap();
        let key = RsaPublicKey::from_public_key_pem(&spki).unwrap();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap();
        assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
        assert_eq!(
            normalize_public_key_pem(&format!("{pkcs1}\n\n")),
            Some(spki)
        );
        assert_eq!(normalize_public_key_pem("not a key"), None);
    }
}
