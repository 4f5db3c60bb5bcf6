//! Verifying draft-cavage HTTP signatures on received requests.

use crate::{Error, Result};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use reqwest::header::HeaderMap;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub key_id: String,
    pub algorithm: Option<String>,
    /// Lower-cased names of the signed headers, in order.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

fn unauthorized(message: impl Into<String>) -> Error {
    Error::Unauthorized(message.into())
}

impl SignatureHeader {
    pub fn parse(value: &str) -> Result<Self> {
        let mut fields = HashMap::new();
        for part in split_outside_quotes(value) {
            let Some((name, raw)) = part.split_once('=') else {
                return Err(unauthorized(format!(
                    "malformed Signature parameter {part:?}"
                )));
            };
            let raw = raw.trim();
            let unquoted = raw
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .unwrap_or(raw);
            fields.insert(name.trim().to_ascii_lowercase(), unquoted.to_owned());
        }
        let key_id = fields
            .remove("keyid")
            .ok_or_else(|| unauthorized("the Signature header has no keyId"))?;
        let signature = fields
            .remove("signature")
            .ok_or_else(|| unauthorized("the Signature header has no signature"))?;
        let signature = BASE64
            .decode(signature.as_bytes())
            .map_err(|_| unauthorized("the signature is not base64"))?;
        let algorithm = fields.remove("algorithm").map(|a| a.to_ascii_lowercase());
        if let Some(algorithm) = &algorithm {
            if algorithm != "rsa-sha256" && algorithm != "hs2019" {
                return Err(unauthorized(format!(
                    "signature algorithm {algorithm:?} is not supported; use rsa-sha256 or hs2019"
                )));
            }
        }
        let headers = fields
            .remove("headers")
            .unwrap_or_else(|| "date".into())
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let number = |name: &str| fields.get(name).and_then(|v| v.parse::<i64>().ok());
        Ok(Self {
            key_id,
            algorithm,
            headers,
            signature,
            created: number("created"),
            expires: number("expires"),
        })
    }

    /// The actor whose key this is: the keyId without its fragment.
    pub fn key_owner(&self) -> Result<url::Url> {
        let mut url = url::Url::parse(&self.key_id)
            .map_err(|_| unauthorized(format!("keyId {:?} is not a URL", self.key_id)))?;
        url.set_fragment(None);
        Ok(url)
    }

    /// Checks that the signature covers what a POST to an inbox must prove:
    /// the body (`digest`) and where it was sent (`host`), so that it cannot
    /// be replayed to another server within the Date window.
    pub fn check_covers_post(&self, now_secs: i64) -> Result<()> {
        self.check_covers(&["(request-target)", "host", "digest"], now_secs)
    }

    /// Checks that the signature covers what a signed GET must prove: what
    /// was asked for, of whom (`host`).
    pub fn check_covers_get(&self, now_secs: i64) -> Result<()> {
        self.check_covers(&["(request-target)", "host"], now_secs)
    }

    fn check_covers(&self, required: &[&str], now_secs: i64) -> Result<()> {
        for &required in required {
            if !self.headers.iter().any(|h| h == required) {
                return Err(unauthorized(format!("the signature must cover {required}")));
            }
        }
        if !self.headers.iter().any(|h| h == "date" || h == "(created)") {
            return Err(unauthorized("the signature must cover date or (created)"));
        }
        if self.expires.is_some_and(|expires| expires < now_secs) {
            return Err(unauthorized("the signature has expired"));
        }
        Ok(())
    }

    /// The string that was signed, rebuilt from this request.
    pub fn signing_string(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &HeaderMap,
        default_host: &str,
    ) -> Result<String> {
        let mut lines = Vec::with_capacity(self.headers.len());
        for name in &self.headers {
            let value = match name.as_str() {
                "(request-target)" => format!("{} {path_and_query}", method.to_ascii_lowercase()),
                "(created)" => self
                    .created
                    .ok_or_else(|| unauthorized("(created) is signed but has no value"))?
                    .to_string(),
                "(expires)" => self
                    .expires
                    .ok_or_else(|| unauthorized("(expires) is signed but has no value"))?
                    .to_string(),
                "host" if !headers.contains_key("host") => default_host.to_owned(),
                other => {
                    let values: Vec<&str> = headers
                        .get_all(other)
                        .iter()
                        .map(|v| v.to_str().map(str::trim))
                        .collect::<Result<_, _>>()
                        .map_err(|_| unauthorized(format!("header {other} is not text")))?;
                    if values.is_empty() {
                        return Err(unauthorized(format!("signed header {other} is missing")));
                    }
                    values.join(", ")
                }
            };
            lines.push(format!("{name}: {value}"));
        }
        Ok(lines.join("\n"))
    }
}

/// Splits `a="x,y",b=c` at the commas outside quotes.
fn split_outside_quotes(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Checks the `Digest` header (`SHA-256=...`, algorithm name in any case) against
/// the body.
pub fn verify_digest(headers: &HeaderMap, body: &[u8]) -> Result<()> {
    let digest = headers
        .get("digest")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("the Digest header is missing"))?;
    let expected = BASE64.encode(Sha256::digest(body));
    let matches = digest.split(',').any(|part| {
        part.trim()
            .split_once('=')
            .is_some_and(|(alg, value)| alg.eq_ignore_ascii_case("sha-256") && value == expected)
    });
    if matches {
        Ok(())
    } else {
        Err(unauthorized(
            "the Digest header does not match the body (SHA-256 required)",
        ))
    }
}

/// Verifies RSA signatures, keeping public keys parsed: from PEM to aws-lc-rs's
/// own form, which also keeps what each verification with the key would
/// otherwise set up again (about a third of a verification's cost here).
#[derive(Default)]
pub struct Verifier {
    keys: Mutex<HashMap<String, Arc<ParsedPublicKey>>>,
}

/// Parsed keys kept at most; a busy inbox sees many actors, each key is ~270 bytes.
const MAX_CACHED_KEYS: usize = 10_000;

impl Verifier {
    fn key(&self, pem: &str) -> Result<Arc<ParsedPublicKey>> {
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| Error::Internal("key cache poisoned".into()))?;
        if let Some(key) = keys.get(pem) {
            return Ok(key.clone());
        }
        let key = RsaPublicKey::from_public_key_pem(pem.trim())
            .ok()
            .and_then(|key| key.to_pkcs1_der().ok())
            .and_then(|der| ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes()).ok())
            .ok_or_else(|| unauthorized("the sender's public key is not a usable RSA key"))?;
        let key = Arc::new(key);
        if keys.len() >= MAX_CACHED_KEYS {
            keys.clear();
        }
        keys.insert(pem.to_owned(), key.clone());
        Ok(key)
    }

    /// True if `signature` is `public_key_pem`'s RSA-SHA256 signature of `message`.
    pub fn verify(&self, public_key_pem: &str, message: &[u8], signature: &[u8]) -> Result<bool> {
        let key = self.key(public_key_pem)?;
        Ok(key.verify_sig(message, signature).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mastodon_style_headers() {
        let header = r#"keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="AAEC""#;
        let parsed = SignatureHeader::parse(header).unwrap();
        assert_eq!(parsed.key_id, "https://a.example/users/x#main-key");
        assert_eq!(
            parsed.key_owner().unwrap().as_str(),
            "https://a.example/users/x"
        );
        assert_eq!(parsed.headers.len(), 5);
        assert_eq!(parsed.signature, vec![0, 1, 2]);
        assert!(parsed.check_covers_post(0).is_ok());
    }

    #[test]
    fn refuses_what_proves_too_little() {
        assert!(SignatureHeader::parse(r#"algorithm="rsa-sha256",signature="AA==""#).is_err());
        assert!(
            SignatureHeader::parse(r#"keyId="k",algorithm="ed25519",signature="AA==""#).is_err()
        );
        let no_digest = SignatureHeader::parse(
            r#"keyId="k",headers="(request-target) host date",signature="AA==""#,
        )
        .unwrap();
        assert!(no_digest.check_covers_post(0).is_err());
        let expired = SignatureHeader::parse(r#"keyId="k",algorithm="hs2019",headers="(request-target) (created) (expires) digest",created="1",expires="2",signature="AA==""#).unwrap();
        assert!(expired.check_covers_post(3).is_err());
        // Without `host`, a request signed for one server could be replayed to another.
        let no_host = SignatureHeader::parse(
            r#"keyId="k",headers="(request-target) date digest",signature="AA==""#,
        )
        .unwrap();
        assert!(no_host.check_covers_post(0).is_err());
        assert!(no_host.check_covers_get(0).is_err());
    }

    #[test]
    fn digest_algorithm_name_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        let body = b"{}";
        let value = format!("sha-256={}", BASE64.encode(Sha256::digest(body)));
        headers.insert("digest", value.parse().unwrap());
        assert!(verify_digest(&headers, body).is_ok());
        assert!(verify_digest(&headers, b"{ }").is_err());
        assert!(verify_digest(&HeaderMap::new(), body).is_err());
    }
}
