//! Sealing member data at rest: AES-256-GCM from aws-lc-rs, a fresh random nonce
//! per seal, and the row it belongs to bound in as associated data (a sealed blob
//! copied onto another row does not open).
//!
//! Keys live in a [`Keyring`]: the current key seals; it and any previous keys
//! open. Each blob is stored with the id of its key, so rotation re-seals row by
//! row and a half-finished rotation is still readable.

use crate::{Error, Result};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hmac;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use unionhall_store::members::Sealed;

pub const KEY_LEN: usize = 32;

struct Key {
    id: String,
    cipher: LessSafeKey,
    /// Makes lookup tags: derived from the key, so it is never used for two
    /// purposes, and rotated with it.
    lookup: hmac::Key,
}

impl Key {
    fn new(bytes: &[u8; KEY_LEN]) -> Result<Self> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| Error::Crypto("cannot use the member-data key".into()))?;
        let mut input = b"unionhall member-data lookup key\0".to_vec();
        input.extend_from_slice(bytes);
        let derived = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
        Ok(Self {
            id: key_id(bytes),
            cipher: LessSafeKey::new(unbound),
            lookup: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        })
    }

    fn tag(&self, kind: &str, value: &str) -> String {
        let mut input = kind.as_bytes().to_vec();
        input.push(0);
        input.extend_from_slice(value.as_bytes());
        hmac::sign(&self.lookup, &input)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A short public name for a key: the start of a hash of it, which reveals
/// nothing of the key itself.
fn key_id(bytes: &[u8; KEY_LEN]) -> String {
    let mut input = b"unionhall member-data key id\0".to_vec();
    input.extend_from_slice(bytes);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct Keyring {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|k| k.id.as_str()).collect();
        write!(
            f,
            "Keyring(current {}, previous {previous:?})",
            self.current.id
        )
    }
}

impl Keyring {
    pub fn new(current: &[u8; KEY_LEN], previous: &[[u8; KEY_LEN]]) -> Result<Self> {
        Ok(Self {
            current: Key::new(current)?,
            previous: previous.iter().map(Key::new).collect::<Result<_>>()?,
        })
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    pub fn knows(&self, key_id: &str) -> bool {
        self.key(key_id).is_some()
    }

    fn key(&self, key_id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == key_id)
    }

    /// A tag that finds rows by a sealed `value` of `kind` (e.g. an email
    /// address) without storing it readable: a keyed hash under the current
    /// key, which no one without the key can compute from a guess.
    pub fn lookup_tag(&self, kind: &str, value: &str) -> String {
        self.current.tag(kind, value)
    }

    /// `value`'s tags under every configured key: rows a rotation has not
    /// reached yet still carry an older key's.
    pub fn lookup_tags(&self, kind: &str, value: &str) -> Vec<String> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|key| key.tag(kind, value))
            .collect()
    }

    /// Seals `plaintext` for the row named by `context` (e.g. `member:12`).
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Sealed> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| Error::Crypto("no randomness".into()))?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(plaintext);
        let tag = self
            .current
            .cipher
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut bytes[NONCE_LEN..],
            )
            .map_err(|_| Error::Crypto("sealing failed".into()))?;
        bytes.extend_from_slice(tag.as_ref());
        Ok(Sealed {
            key_id: self.current.id.clone(),
            bytes,
        })
    }

    /// Opens what [`Keyring::seal`] made for the same `context`.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Vec<u8>> {
        let key = self.key(&sealed.key_id).ok_or_else(|| {
            Error::Crypto(format!(
                "{context} is sealed with key {} which is not configured",
                sealed.key_id
            ))
        })?;
        if sealed.bytes.len() < NONCE_LEN {
            return Err(Error::Crypto(format!(
                "{context}: sealed data is truncated"
            )));
        }
        let (nonce, body) = sealed.bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::Crypto(format!("{context}: bad nonce")))?;
        let mut body = body.to_vec();
        let plain = key
            .cipher
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut body)
            .map_err(|_| {
                Error::Crypto(format!(
                    "{context} does not open: altered, moved from another row, or a wrong key"
                ))
            })?;
        Ok(plain.to_vec())
    }
}

/// What the federation crate seals local actors' private keys with.
impl unionhall_store::members::Sealer for Keyring {
    fn seal(&self, context: &str, plaintext: &[u8]) -> std::result::Result<Sealed, String> {
        Keyring::seal(self, context, plaintext).map_err(|err| err.to_string())
    }

    fn open(&self, context: &str, sealed: &Sealed) -> std::result::Result<Vec<u8>, String> {
        Keyring::open(self, context, sealed).map_err(|err| err.to_string())
    }
}

/// A new random key.
pub fn generate_key() -> Result<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    aws_lc_rs::rand::fill(&mut key).map_err(|_| Error::Crypto("no randomness".into()))?;
    Ok(key)
}

/// Keys are written as base64 text (in key files and in the config).
pub fn encode_key(key: &[u8; KEY_LEN]) -> String {
    STANDARD.encode(key)
}

pub fn decode_key(text: &str, source: &str) -> Result<[u8; KEY_LEN]> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| {
        Error::Config(format!(
            "{source}: not a base64 key (make one with `unionhall members generate-key`)"
        ))
    })?;
    bytes
        .try_into()
        .map_err(|_| Error::Config(format!("{source}: a key is {KEY_LEN} bytes of base64")))
}

/// Sealing inside a store call that learns the row's id only once it has
/// inserted the row (its `FnOnce(i64) -> Sealed`): a failure to seal is kept
/// here and answered after the call. The caller then drops its transaction,
/// so the placeholder row is rolled back.
#[derive(Default)]
pub(crate) struct SealingFailure(Option<Error>);

impl SealingFailure {
    /// `seal` as the store call wants it.
    pub fn catch<'a>(
        &'a mut self,
        seal: impl FnOnce(i64) -> Result<Sealed> + 'a,
    ) -> impl FnOnce(i64) -> Sealed + 'a {
        move |id| {
            seal(id).unwrap_or_else(|err| {
                self.0 = Some(err);
                Sealed {
                    key_id: String::new(),
                    bytes: Vec::new(),
                }
            })
        }
    }

    /// `value`, unless sealing failed.
    pub fn check<T>(self, value: T) -> Result<T> {
        match self.0 {
            Some(err) => Err(err),
            None => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::new(&generate_key().unwrap(), &[]).unwrap()
    }

    #[test]
    fn sealed_data_opens_only_in_its_own_row() {
        let ring = ring();
        let sealed = ring.seal("member:1", b"Ada, 555-0100").unwrap();
        assert!(!sealed.bytes.windows(8).any(|w| w == b"555-0100"));
        assert_eq!(ring.open("member:1", &sealed).unwrap(), b"Ada, 555-0100");
        assert!(ring.open("member:2", &sealed).is_err());
    }

    #[test]
    fn lookup_tags_are_keyed_and_survive_a_rotation() {
        let (old, new) = (generate_key().unwrap(), generate_key().unwrap());
        let before = Keyring::new(&old, &[]).unwrap();
        let after = Keyring::new(&new, &[old]).unwrap();
        let tag = before.lookup_tag("email", "ada@example.org");
        assert_eq!(tag, before.lookup_tag("email", "ada@example.org"));
        assert_ne!(tag, before.lookup_tag("email", "bob@example.org"));
        assert_ne!(tag, before.lookup_tag("username", "ada@example.org"));
        assert_ne!(tag, after.lookup_tag("email", "ada@example.org"), "keyed");
        assert!(after.lookup_tags("email", "ada@example.org").contains(&tag));
    }

    #[test]
    fn altered_data_does_not_open() {
        let ring = ring();
        let mut sealed = ring.seal("member:1", b"secret").unwrap();
        let last = sealed.bytes.len() - 1;
        sealed.bytes[last] ^= 1;
        assert!(ring.open("member:1", &sealed).is_err());
    }

    #[test]
    fn the_same_text_seals_differently_each_time() {
        let ring = ring();
        assert_ne!(
            ring.seal("m", b"same").unwrap().bytes,
            ring.seal("m", b"same").unwrap().bytes
        );
    }

    #[test]
    fn previous_keys_open_and_only_the_current_one_seals() {
        let old_key = generate_key().unwrap();
        let old = Keyring::new(&old_key, &[]).unwrap();
        let sealed_old = old.seal("m", b"before").unwrap();
        let new = Keyring::new(&generate_key().unwrap(), &[old_key]).unwrap();
        assert_eq!(new.open("m", &sealed_old).unwrap(), b"before");
        assert_eq!(new.seal("m", b"after").unwrap().key_id, new.current_id());
        let without_old = Keyring::new(&generate_key().unwrap(), &[]).unwrap();
        let err = without_old.open("m", &sealed_old).unwrap_err();
        assert!(err.to_string().contains("not configured"), "{err}");
    }

    #[test]
    fn keys_round_trip_as_base64_and_bad_ones_are_named() {
        let key = generate_key().unwrap();
        assert_eq!(decode_key(&encode_key(&key), "test").unwrap(), key);
        let err = decode_key("c2hvcnQ=", "members.key").unwrap_err();
        assert!(err.to_string().contains("members.key"), "{err}");
    }
}
