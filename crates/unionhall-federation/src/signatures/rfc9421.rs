//! RFC 9421 HTTP Message Signatures, as the fediverse uses them (Fedify,
//! Mastodon 4.5): a `Signature-Input` naming what is covered and how, a
//! `Signature` with the bytes, and the body's digest in `Content-Digest`
//! (RFC 9530). We sign `("@method" "@target-uri" "@authority"
//! "content-digest")` with `rsa-v1_5-sha256` or `ed25519`, and accept either
//! algorithm over any set of components that proves what the draft-cavage
//! rules prove: the method, where the request was sent, and the body.
//!
//! Only the parts of RFC 8941 structured fields these two headers use are
//! read: a dictionary of inner lists of strings with parameters, and of byte
//! sequences. A component with parameters of its own (`;sf`, `;key`, `;req`)
//! is refused with a reason rather than guessed at.

use crate::{Error, Result};
use aws_lc_rs::signature::{Ed25519KeyPair, RsaKeyPair};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256, Sha512};
use url::Url;

pub const ALG_RSA: &str = "rsa-v1_5-sha256";
pub const ALG_ED25519: &str = "ed25519";
/// The label of the signatures we make.
const LABEL: &str = "sig1";

fn unauthorized(message: impl Into<String>) -> Error {
    Error::Unauthorized(message.into())
}

/// A key to sign with.
#[derive(Clone, Copy)]
pub enum SigningKey<'a> {
    Rsa(&'a RsaKeyPair),
    Ed25519(&'a Ed25519KeyPair),
}

impl SigningKey<'_> {
    fn alg(self) -> &'static str {
        match self {
            Self::Rsa(_) => ALG_RSA,
            Self::Ed25519(_) => ALG_ED25519,
        }
    }

    fn sign(self, message: &[u8]) -> Result<Vec<u8>> {
        match self {
            Self::Rsa(key) => super::sign(key, message),
            Self::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}

/// `sha-256=:...:`, the `Content-Digest` of `body`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", BASE64.encode(Sha256::digest(body)))
}

/// The headers that sign a request of `method` to `url` (with `body` for a
/// POST), created at `created` (Unix seconds): `Signature-Input`,
/// `Signature`, `Host` and, with a body, `Content-Digest`. CPU-bound.
pub fn signed_headers(
    key: SigningKey<'_>,
    key_id: &str,
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    created: i64,
) -> Result<HeaderMap> {
    let authority = unionhall_store::outbox::host_of(url);
    let digest = body.map(content_digest);
    let mut components = vec![
        ("@method", method.to_ascii_uppercase()),
        ("@target-uri", url.as_str().to_owned()),
        ("@authority", authority.clone()),
    ];
    if let Some(digest) = &digest {
        components.push(("content-digest", digest.clone()));
    }
    let covered: Vec<String> = components
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    let params = format!(
        "({});created={created};keyid={};alg=\"{}\"",
        covered.join(" "),
        sf_string(key_id),
        key.alg()
    );
    let mut base: Vec<String> = components
        .iter()
        .map(|(name, value)| format!("\"{name}\": {value}"))
        .collect();
    base.push(format!("\"@signature-params\": {params}"));
    let signature = key.sign(base.join("\n").as_bytes())?;
    let value = |s: String| {
        HeaderValue::from_str(&s).map_err(|err| Error::Internal(format!("header value: {err}")))
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", value(authority)?);
    headers.insert("signature-input", value(format!("{LABEL}={params}"))?);
    headers.insert(
        "signature",
        value(format!("{LABEL}=:{}:", BASE64.encode(signature)))?,
    );
    if let Some(digest) = digest {
        headers.insert("content-digest", value(digest)?);
    }
    Ok(headers)
}

/// A structured-field string: quoted, `\` and `"` escaped.
fn sf_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A received RFC 9421 signature: the first of the request's labels that has
/// both a `Signature-Input` and a `Signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfc9421Signature {
    /// Covered components, in order, as named (lower-case).
    pub components: Vec<String>,
    /// `("...");created=...;keyid="..."`: the `@signature-params` line.
    signature_params: String,
    pub key_id: String,
    pub alg: Option<String>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub signature: Vec<u8>,
}

impl Rfc9421Signature {
    /// Reads the `Signature-Input` and `Signature` of `headers`.
    pub fn parse(headers: &HeaderMap) -> Result<Self> {
        let text = |name: &str| -> Result<String> {
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str())
                .collect::<Result<_, _>>()
                .map_err(|_| unauthorized(format!("the {name} header is not text")))?;
            if values.is_empty() {
                return Err(unauthorized(format!("the {name} header is missing")));
            }
            Ok(values.join(", "))
        };
        let inputs = parse_inputs(&text("signature-input")?)?;
        let signatures = parse_signatures(&text("signature")?)?;
        let (input, signature) = inputs
            .into_iter()
            .find_map(|input| {
                let bytes = signatures
                    .iter()
                    .find(|(l, _)| *l == input.label)?
                    .1
                    .clone();
                Some((input, bytes))
            })
            .ok_or_else(|| unauthorized("no Signature matches a label of Signature-Input"))?;
        let param = |name: &str| input.params.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let key_id = match param("keyid") {
            Some(Bare::String(id)) => id.clone(),
            _ => return Err(unauthorized("the signature has no keyid")),
        };
        let alg = match param("alg") {
            Some(Bare::String(alg)) => Some(alg.to_ascii_lowercase()),
            None => None,
            Some(_) => return Err(unauthorized("the signature's alg is not a string")),
        };
        if let Some(alg) = &alg {
            if alg != ALG_RSA && alg != ALG_ED25519 {
                return Err(unauthorized(format!(
                    "signature algorithm {alg:?} is not supported; use {ALG_RSA} or {ALG_ED25519}"
                )));
            }
        }
        let number = |name: &str| match param(name) {
            Some(Bare::Integer(n)) => Some(*n),
            _ => None,
        };
        Ok(Self {
            signature_params: input.serialized(),
            components: input.components,
            created: number("created"),
            expires: number("expires"),
            key_id,
            alg,
            signature,
        })
    }

    /// The actor whose key this is: the keyid without its fragment, or the
    /// actor an Ed25519 key document belongs to (`{actor}/ed25519-key`, as
    /// Unionhall signs: `actors::ed25519_key_document`).
    pub fn key_owner(&self) -> Result<Url> {
        let mut url = Url::parse(&self.key_id)
            .map_err(|_| unauthorized(format!("keyid {:?} is not a URL", self.key_id)))?;
        if self.alg.as_deref() != Some(ALG_RSA) {
            if let Some(owner) = crate::actors::owner_of_ed25519_key_document(&url) {
                return Ok(owner);
            }
        }
        url.set_fragment(None);
        Ok(url)
    }

    /// Checks that the signature proves what a request of `method` must: the
    /// method, where it was sent (`@target-uri`, or `@authority` with the
    /// path), when (`created`), and for a POST the body (`content-digest`).
    pub fn check_covers(&self, method: &str, now_secs: i64) -> Result<()> {
        let covers = |name: &str| self.components.iter().any(|c| c == name);
        if !covers("@method") {
            return Err(unauthorized("the signature must cover @method"));
        }
        let where_to = covers("@target-uri")
            || ((covers("@authority") || covers("host"))
                && (covers("@path") || covers("@request-target")));
        if !where_to {
            return Err(unauthorized(
                "the signature must cover @target-uri (or @authority and @path)",
            ));
        }
        if method.eq_ignore_ascii_case("post") && !covers("content-digest") {
            return Err(unauthorized("the signature must cover content-digest"));
        }
        if self.created.is_none() {
            return Err(unauthorized("the signature has no created time"));
        }
        if self.expires.is_some_and(|expires| expires < now_secs) {
            return Err(unauthorized("the signature has expired"));
        }
        Ok(())
    }

    /// The signature base (RFC 9421 section 2.5) of this request, sent as
    /// `method` to `target` (our own URL for it: scheme, authority, path and
    /// query).
    pub fn base(&self, method: &str, target: &Url, headers: &HeaderMap) -> Result<String> {
        let mut lines = Vec::with_capacity(self.components.len() + 1);
        for name in &self.components {
            let value = match name.as_str() {
                "@method" => method.to_ascii_uppercase(),
                "@target-uri" => target.as_str().to_owned(),
                "@authority" => unionhall_store::outbox::host_of(target),
                "@scheme" => target.scheme().to_owned(),
                "@path" => target.path().to_owned(),
                "@query" => format!("?{}", target.query().unwrap_or_default()),
                "@request-target" => match target.query() {
                    Some(query) => format!("{}?{query}", target.path()),
                    None => target.path().to_owned(),
                },
                derived if derived.starts_with('@') => {
                    return Err(unauthorized(format!(
                        "the signature covers {derived}, which is not supported"
                    )))
                }
                header => {
                    let values: Vec<&str> = headers
                        .get_all(header)
                        .iter()
                        .map(|v| v.to_str().map(str::trim))
                        .collect::<Result<_, _>>()
                        .map_err(|_| unauthorized(format!("header {header} is not text")))?;
                    if values.is_empty() {
                        return Err(unauthorized(format!("signed header {header} is missing")));
                    }
                    values.join(", ")
                }
            };
            lines.push(format!("\"{name}\": {value}"));
        }
        lines.push(format!("\"@signature-params\": {}", self.signature_params));
        Ok(lines.join("\n"))
    }
}

/// Checks `Content-Digest` (SHA-256 or SHA-512) against the body.
pub fn verify_content_digest(headers: &HeaderMap, body: &[u8]) -> Result<()> {
    let digest = headers
        .get("content-digest")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("the Content-Digest header is missing"))?;
    for member in split_top_level(digest, b',') {
        let Some((alg, value)) = member.split_once('=') else {
            continue;
        };
        let Some(encoded) = value
            .trim()
            .strip_prefix(':')
            .and_then(|v| v.strip_suffix(':'))
        else {
            continue;
        };
        let expected = match alg.trim().to_ascii_lowercase().as_str() {
            "sha-256" => BASE64.encode(Sha256::digest(body)),
            "sha-512" => BASE64.encode(Sha512::digest(body)),
            _ => continue,
        };
        return if expected == encoded {
            Ok(())
        } else {
            Err(unauthorized(
                "the Content-Digest header does not match the body",
            ))
        };
    }
    Err(unauthorized(
        "the Content-Digest header has no sha-256 or sha-512 digest",
    ))
}

/// A structured-field bare item, as far as these headers use them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bare {
    String(String),
    Integer(i64),
    Token(String),
    Boolean(bool),
}

impl Bare {
    fn serialized(&self) -> String {
        match self {
            Self::String(s) => sf_string(s),
            Self::Integer(n) => n.to_string(),
            Self::Token(t) => t.clone(),
            Self::Boolean(true) => "?1".into(),
            Self::Boolean(false) => "?0".into(),
        }
    }
}

/// One member of `Signature-Input`.
struct Input {
    label: String,
    components: Vec<String>,
    params: Vec<(String, Bare)>,
}

impl Input {
    /// Its inner list and parameters, serialized as RFC 8941 does.
    fn serialized(&self) -> String {
        let components: Vec<String> = self.components.iter().map(|c| sf_string(c)).collect();
        let params: String = self
            .params
            .iter()
            .map(|(key, value)| match value {
                Bare::Boolean(true) => format!(";{key}"),
                other => format!(";{key}={}", other.serialized()),
            })
            .collect();
        format!("({}){params}", components.join(" "))
    }
}

fn parse_inputs(value: &str) -> Result<Vec<Input>> {
    let bad = || unauthorized("the Signature-Input header is malformed");
    let mut inputs = Vec::new();
    for member in split_top_level(value, b',') {
        let (label, rest) = member.split_once('=').ok_or_else(bad)?;
        let mut cursor = Cursor::new(rest.trim());
        cursor.expect(b'(').ok_or_else(bad)?;
        let mut components = Vec::new();
        loop {
            cursor.skip_spaces();
            if cursor.eat(b')') {
                break;
            }
            let Some(Bare::String(name)) = cursor.bare() else {
                return Err(bad());
            };
            if cursor.peek() == Some(b';') {
                return Err(unauthorized(format!(
                    "component {name:?} has parameters, which are not supported"
                )));
            }
            components.push(name.to_ascii_lowercase());
        }
        let params = cursor.params().ok_or_else(bad)?;
        if !cursor.at_end() {
            return Err(bad());
        }
        inputs.push(Input {
            label: label.trim().to_owned(),
            components,
            params,
        });
    }
    Ok(inputs)
}

fn parse_signatures(value: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let bad = || unauthorized("the Signature header is malformed");
    split_top_level(value, b',')
        .into_iter()
        .map(|member| {
            let (label, rest) = member.split_once('=').ok_or_else(bad)?;
            let encoded = rest
                .trim()
                .strip_prefix(':')
                .and_then(|r| r.split_once(':'))
                .map(|(bytes, _params)| bytes)
                .ok_or_else(bad)?;
            let bytes = BASE64
                .decode(encoded)
                .map_err(|_| unauthorized("the signature is not base64"))?;
            Ok((label.trim().to_owned(), bytes))
        })
        .collect()
}

/// Splits at `separator` outside quotes and parentheses.
fn split_top_level(value: &str, separator: u8) -> Vec<&str> {
    let bytes = value.as_bytes();
    let (mut parts, mut start, mut depth, mut quoted, mut escaped) =
        (Vec::new(), 0, 0, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if quoted {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => quoted = true,
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if b == separator && depth == 0 => {
                parts.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Reads RFC 8941 items from a string.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            bytes: s.as_bytes(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn at_end(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.at;
        while self.peek().is_some_and(&keep) {
            self.at += 1;
        }
        std::str::from_utf8(&self.bytes[start..self.at]).unwrap_or_default()
    }

    fn bare(&mut self) -> Option<Bare> {
        match self.peek()? {
            b'"' => {
                self.at += 1;
                let mut out = String::new();
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.at += 1;
                            return Some(Bare::String(out));
                        }
                        b'\\' => {
                            self.at += 1;
                            out.push(self.peek()? as char);
                            self.at += 1;
                        }
                        c if (0x20..0x7f).contains(&c) => {
                            out.push(c as char);
                            self.at += 1;
                        }
                        _ => return None,
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let negative = self.eat(b'-');
                let digits = self.take_while(|c| c.is_ascii_digit());
                let n: i64 = digits.parse().ok()?;
                Some(Bare::Integer(if negative { -n } else { n }))
            }
            b'?' => {
                self.at += 1;
                match self.peek()? {
                    b'1' => {
                        self.at += 1;
                        Some(Bare::Boolean(true))
                    }
                    b'0' => {
                        self.at += 1;
                        Some(Bare::Boolean(false))
                    }
                    _ => None,
                }
            }
            c if c.is_ascii_alphabetic() || c == b'*' => {
                let token = self
                    .take_while(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c));
                Some(Bare::Token(token.to_owned()))
            }
            _ => None,
        }
    }

    fn params(&mut self) -> Option<Vec<(String, Bare)>> {
        let mut params = Vec::new();
        while self.eat(b';') {
            self.skip_spaces();
            let key = self.take_while(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(&c)
            });
            if key.is_empty() {
                return None;
            }
            let value = if self.eat(b'=') {
                self.bare()?
            } else {
                Bare::Boolean(true)
            };
            params.push((key.to_owned(), value));
        }
        Some(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9421 appendix B.2.6: its signature base, rebuilt from its
    /// headers, verifies with its Ed25519 test key (B.1.4).
    #[test]
    fn the_rfc_ed25519_example_verifies() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.com".parse().unwrap());
        headers.insert("date", "Tue, 20 Apr 2021 02:07:55 GMT".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("content-length", "18".parse().unwrap());
        headers.insert(
            "signature-input",
            "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
                .parse()
                .unwrap(),
        );
        headers.insert(
            "signature",
            "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
                .parse()
                .unwrap(),
        );
        let signed = Rfc9421Signature::parse(&headers).unwrap();
        assert_eq!(signed.key_id, "test-key-ed25519");
        let target = Url::parse("https://example.com/foo?param=Value&Pet=dog").unwrap();
        let base = signed.base("post", &target, &headers).unwrap();
        assert_eq!(
            base,
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
        );
        // The last 32 bytes of the SPKI DER are the key itself.
        let spki = BASE64
            .decode("MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=")
            .unwrap();
        let key = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ED25519,
            &spki[spki.len() - 32..],
        );
        assert!(key.verify(base.as_bytes(), &signed.signature).is_ok());
        assert!(key.verify(b"something else", &signed.signature).is_err());
    }

    #[test]
    fn what_we_sign_we_read_and_it_proves_what_a_post_must() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let url = Url::parse("https://b.example:8443/inbox?x=1").unwrap();
        let headers = signed_headers(
            SigningKey::Ed25519(&key),
            "https://a.example/actors/bakers#ed25519-key",
            "POST",
            &url,
            Some(b"{}"),
            1_700_000_000,
        )
        .unwrap();
        let signed = Rfc9421Signature::parse(&headers).unwrap();
        assert_eq!(signed.alg.as_deref(), Some(ALG_ED25519));
        assert_eq!(
            signed.key_owner().unwrap().as_str(),
            "https://a.example/actors/bakers"
        );
        assert!(signed.check_covers("POST", 1_700_000_000).is_ok());
        verify_content_digest(&headers, b"{}").unwrap();
        assert!(verify_content_digest(&headers, b"{ }").is_err());
        let base = signed.base("POST", &url, &headers).unwrap();
        use aws_lc_rs::signature::KeyPair;
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ED25519,
            key.public_key().as_ref(),
        );
        assert!(public.verify(base.as_bytes(), &signed.signature).is_ok());
        // Sent elsewhere, the same signature proves nothing.
        let elsewhere = Url::parse("https://c.example/inbox?x=1").unwrap();
        let replayed = signed.base("POST", &elsewhere, &headers).unwrap();
        assert!(public
            .verify(replayed.as_bytes(), &signed.signature)
            .is_err());
    }

    #[test]
    fn what_proves_too_little_is_refused_with_a_reason() {
        let parse = |input: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("signature-input", input.parse().unwrap());
            headers.insert("signature", "sig1=:AAAA:".parse().unwrap());
            Rfc9421Signature::parse(&headers)
        };
        let no_digest =
            parse("sig1=(\"@method\" \"@target-uri\");created=1;keyid=\"https://a.example/u#k\"")
                .unwrap();
        assert!(no_digest.check_covers("POST", 1).is_err());
        assert!(no_digest.check_covers("GET", 1).is_ok());
        let nowhere = parse("sig1=(\"@method\" \"content-digest\");created=1;keyid=\"k\"").unwrap();
        assert!(nowhere.check_covers("POST", 1).is_err());
        assert!(parse("sig1=(\"@method\");created=1").is_err(), "no keyid");
        assert!(parse("sig1=(\"@method\");created=1;keyid=\"k\";alg=\"hmac-sha256\"").is_err());
        assert!(parse("sig1=(\"content-digest\";sf);keyid=\"k\"").is_err());
        assert!(
            parse("sig2=(\"@method\");keyid=\"k\"").is_err(),
            "no matching label"
        );
        let expired =
            parse("sig1=(\"@method\" \"@target-uri\");created=1;expires=2;keyid=\"k\"").unwrap();
        assert!(expired.check_covers("GET", 3).is_err());
    }
}
