//! Object integrity proofs (FEP-8b32): a `DataIntegrityProof` of the
//! `eddsa-jcs-2022` cryptosuite, made with the author's Ed25519 key, which the
//! author publishes as a FEP-521a `assertionMethod` (a `Multikey`).
//!
//! A proof lets a document be checked by whoever holds it, without asking the
//! author's server: a union body relays a chapter's call with the chapter's
//! proof in it, and every member's server verifies the call is the chapter's,
//! word for word, even when the chapter's server is down. FEDERATION.md shows
//! one.
//!
//! The signed bytes, as the cryptosuite defines them and as Fedify makes them:
//! SHA-256 of the JCS (RFC 8785) form of the proof's options (with the
//! document's `@context`), then SHA-256 of the JCS form of the document without
//! its `proof`, the two digests concatenated.

use crate::{Error, Result};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
const PURPOSE: &str = "assertionMethod";
/// The multicodec prefix of an Ed25519 public key (0xed, as a varint).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// A new Ed25519 key: (public key as multibase, private key as base64 PKCS#8).
pub fn generate_key() -> Result<(String, String)> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| Error::Internal("Ed25519 key generation failed".into()))?;
    let pair = key_pair(pkcs8.as_ref())?;
    let private = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    Ok((multibase_key(pair.public_key().as_ref()), private))
}

/// A private key as stored (base64 PKCS#8), ready to sign with: proofs, and
/// RFC 9421 signatures of deliveries.
pub fn signing_key(private_key: &str) -> Result<Ed25519KeyPair> {
    let pkcs8 = base64::engine::general_purpose::STANDARD
        .decode(private_key)
        .map_err(|_| Error::Internal("an Ed25519 key of ours is not base64".into()))?;
    key_pair(&pkcs8)
}

fn key_pair(pkcs8: &[u8]) -> Result<Ed25519KeyPair> {
    Ed25519KeyPair::from_pkcs8(pkcs8)
        .or_else(|_| Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8))
        .map_err(|_| Error::Internal("an Ed25519 key of ours is unreadable".into()))
}

/// `z` + base58btc of the multicodec-prefixed key, as `publicKeyMultibase`.
pub fn multibase_key(public: &[u8]) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(public);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The 32 bytes of an Ed25519 `publicKeyMultibase`, or None if it is not one.
pub fn decode_multibase_key(multibase: &str) -> Option<[u8; 32]> {
    let bytes = bs58::decode(multibase.strip_prefix('z')?).into_vec().ok()?;
    let key = bytes.strip_prefix(&ED25519_PUB)?;
    key.try_into().ok()
}

/// An Ed25519 `publicKeyMultibase` as a PEM public key (SubjectPublicKeyInfo,
/// RFC 8410), as a `CryptographicKey` carries it; None if it is not one.
pub fn multibase_key_as_pem(multibase: &str) -> Option<String> {
    /// The DER of an Ed25519 SubjectPublicKeyInfo before its 32 key bytes.
    const SPKI_PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(&decode_multibase_key(multibase)?);
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    Some(format!(
        "-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"
    ))
}

/// The FEP-521a `assertionMethod` entry an actor publishes.
pub fn assertion_method(key_id: &str, controller: &str, multibase: &str) -> Value {
    json!({
        "id": key_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": multibase,
    })
}

/// The Ed25519 key of an `assertionMethod` (one entry or a list) that
/// `controller` controls: (key id, multibase). Other kinds of keys are skipped.
pub fn find_assertion_key(value: Option<&Value>, controller: &str) -> Option<(String, String)> {
    let entries: Vec<&Value> = match value? {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    entries.into_iter().find_map(|entry| {
        let field = |name: &str| entry.get(name).and_then(Value::as_str);
        let multibase = field("publicKeyMultibase")?;
        let key_id = field("id")?;
        (field("type") == Some("Multikey")
            && field("controller") == Some(controller)
            && decode_multibase_key(multibase).is_some())
        .then(|| (key_id.to_owned(), multibase.to_owned()))
    })
}

/// JCS (RFC 8785) bytes of a JSON value.
fn canonical(value: &Value) -> Result<Vec<u8>> {
    serde_jcs::to_vec(value).map_err(|err| Error::Internal(format!("canonical JSON: {err}")))
}

/// What is signed: the digest of the proof's options, then of the document.
fn signed_bytes(document: &Map<String, Value>, options: &Value) -> Result<Vec<u8>> {
    let mut unsecured = document.clone();
    unsecured.remove("proof");
    let mut bytes = Sha256::digest(canonical(options)?).to_vec();
    bytes.extend_from_slice(&Sha256::digest(canonical(&Value::Object(unsecured))?));
    Ok(bytes)
}

fn options(document: &Map<String, Value>, key_id: &str, created: &str) -> Value {
    let mut options = json!({
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": key_id,
        "proofPurpose": PURPOSE,
        "created": created,
    });
    if let (Some(context), Some(map)) = (document.get("@context"), options.as_object_mut()) {
        map.insert("@context".into(), context.clone());
    }
    options
}

/// Adds the proof of `key_id` (the private key as stored, base64 PKCS#8) to a
/// JSON object. `created` is to the second: verifiers re-serialise it, and some
/// (Temporal's `Instant`) drop trailing zeros of fractions.
pub fn sign(document: &mut Value, key_id: &str, private_key: &str, created: i64) -> Result<()> {
    let pair = signing_key(private_key)?;
    let created = chrono::DateTime::from_timestamp_millis(created)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let map = document
        .as_object_mut()
        .ok_or_else(|| Error::Internal("only JSON objects carry proofs".into()))?;
    let options = options(map, key_id, &created);
    let signature = pair.sign(&signed_bytes(map, &options)?);
    let mut proof = options;
    if let Some(proof) = proof.as_object_mut() {
        proof.remove("@context");
        proof.insert(
            "proofValue".into(),
            Value::String(format!(
                "z{}",
                bs58::encode(signature.as_ref()).into_string()
            )),
        );
    }
    map.insert("proof".into(), proof);
    Ok(())
}

/// The key id a document's proof names, if it carries one of ours to check.
pub fn proof_key_id(document: &Value) -> Option<&str> {
    document
        .get("proof")?
        .get("verificationMethod")
        .and_then(Value::as_str)
}

/// Checks the proof of `document` with `public_key` (multibase). Only one
/// proof, of this cryptosuite and purpose, is taken; anything else is refused.
pub fn verify(document: &Value, key_id: &str, public_key: &str) -> Result<()> {
    let refuse = |why: &str| Err(Error::Forbidden(format!("integrity proof: {why}")));
    let Some(map) = document.as_object() else {
        return refuse("not a JSON object");
    };
    let Some(proof) = map.get("proof").and_then(Value::as_object) else {
        return refuse("there is none");
    };
    let field = |name: &str| proof.get(name).and_then(Value::as_str).unwrap_or_default();
    if field("type") != PROOF_TYPE || field("cryptosuite") != CRYPTOSUITE {
        return refuse("only DataIntegrityProof of eddsa-jcs-2022 is accepted");
    }
    if field("proofPurpose") != PURPOSE || field("verificationMethod") != key_id {
        return refuse("it is not made with the author's assertion key");
    }
    let created = field("created");
    if chrono::DateTime::parse_from_rfc3339(created).is_err() {
        return refuse("its created time is unreadable");
    }
    let Some(signature) = field("proofValue")
        .strip_prefix('z')
        .and_then(|s| bs58::decode(s).into_vec().ok())
    else {
        return refuse("its proofValue is not base58btc");
    };
    let Some(key) = decode_multibase_key(public_key) else {
        return refuse("the author's key is not an Ed25519 Multikey");
    };
    let options = options(map, key_id, created);
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&signed_bytes(map, &options)?, &signature)
        .or_else(|_| refuse("it does not verify"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed() -> (Value, String) {
        let (public, private) = generate_key().unwrap();
        let mut doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "type": "Create", "id": "https://a.example/activities/1",
            "actor": "https://a.example/actors/bakers",
            "object": {"type": "Page", "name": "Picket", "location": {"latitude": 52.0}},
        });
        sign(
            &mut doc,
            "https://a.example/actors/bakers#ed25519-key",
            &private,
            1_700_000_000_123,
        )
        .unwrap();
        (doc, public)
    }

    #[test]
    fn a_signed_document_verifies() {
        let (doc, public) = signed();
        assert_eq!(doc["proof"]["created"], "2023-11-14T22:13:20Z");
        verify(&doc, "https://a.example/actors/bakers#ed25519-key", &public).unwrap();
    }

    #[test]
    fn a_changed_document_does_not() {
        let (mut doc, public) = signed();
        doc["object"]["name"] = json!("Picket called off");
        assert!(verify(&doc, "https://a.example/actors/bakers#ed25519-key", &public).is_err());
    }

    #[test]
    fn another_key_or_key_id_does_not() {
        let (doc, _) = signed();
        let (other, _) = generate_key().unwrap();
        assert!(verify(&doc, "https://a.example/actors/bakers#ed25519-key", &other).is_err());
        let (doc, public) = signed();
        assert!(verify(&doc, "https://evil.example/k", &public).is_err());
    }

    #[test]
    fn keys_round_trip_through_multibase() {
        let (public, _) = generate_key().unwrap();
        assert!(public.starts_with("z6Mk"), "{public}");
        assert!(decode_multibase_key(&public).is_some());
        assert!(decode_multibase_key("zQ3s").is_none());
        let method = assertion_method("https://a.example/a#k", "https://a.example/a", &public);
        assert_eq!(
            find_assertion_key(Some(&json!([method])), "https://a.example/a"),
            Some(("https://a.example/a#k".into(), public.clone()))
        );
        assert_eq!(
            find_assertion_key(Some(&method), "https://b.example/b"),
            None,
            "a key controlled by someone else"
        );
    }
}
