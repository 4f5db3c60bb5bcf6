//! Backups encrypted to a public key, in the age format (age-encryption.org/v1,
//! X25519 recipients only): the operator keeps the private key off the server,
//! and `age -d` or `unionhall restore --identity` opens the file anywhere.
//!
//! Built on aws-lc-rs (X25519, HKDF-SHA256, HMAC-SHA256, ChaCha20-Poly1305)
//! after the published specification; `tests/it/backup.rs` checks it against
//! the `age` command both ways when that is installed.

use crate::{Error, Result};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
use aws_lc_rs::{hkdf, hmac, rand};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use std::io::{Read, Write};

const INTRO: &str = "age-encryption.org/v1";
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

/// Whether `file` starts like an age file.
pub fn is_encrypted(file: &std::path::Path) -> bool {
    let mut start = [0u8; INTRO.len()];
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok_and(|()| start == INTRO.as_bytes())
}

/// An `age1...` public key.
pub fn parse_recipient(text: &str) -> Result<[u8; 32]> {
    let bytes = bech32_decode(text.trim(), "age").map_err(|why| {
        Error::Usage(format!(
            "{text:?} is not an age public key (age1...): {why}"
        ))
    })?;
    bytes
        .try_into()
        .map_err(|_| Error::Usage(format!("{text:?} is not an X25519 age public key")))
}

/// The `AGE-SECRET-KEY-1...` line of an identity file (as `age-keygen` writes
/// it; comment lines are skipped).
pub fn parse_identity(text: &str) -> Result<[u8; 32]> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .ok_or_else(|| Error::Usage("no AGE-SECRET-KEY-1... line in the identity file".into()))?;
    let bytes = bech32_decode(&line.to_lowercase(), "age-secret-key-")
        .map_err(|why| Error::Usage(format!("the identity does not decode: {why}")))?;
    bytes
        .try_into()
        .map_err(|_| Error::Usage("the identity is not an X25519 age key".into()))
}

/// Encrypts everything `input` yields to `recipient`, into `output`.
pub fn encrypt(recipient: &[u8; 32], input: &mut impl Read, output: &mut impl Write) -> Result<()> {
    let mut file_key = [0u8; 16];
    random(&mut file_key)?;
    // The recipient stanza: the file key wrapped with a key agreed between a
    // fresh ephemeral key and the recipient's.
    let ephemeral = PrivateKey::generate(&X25519).map_err(|_| crypto("key generation"))?;
    let share = ephemeral
        .compute_public_key()
        .map_err(|_| crypto("public key"))?;
    let shared = agreement::agree(
        &ephemeral,
        UnparsedPublicKey::new(&X25519, recipient),
        crypto("key agreement"),
        |shared| Ok(shared.to_vec()),
    )?;
    let mut salt = share.as_ref().to_vec();
    salt.extend_from_slice(recipient);
    let wrap_key = derive(&salt, &shared, b"age-encryption.org/v1/X25519")?;
    let mut wrapped = file_key.to_vec();
    seal(&wrap_key, [0u8; 12], &mut wrapped)?;
    let mut header = format!(
        "{INTRO}\n-> X25519 {}\n{}\n---",
        B64.encode(share.as_ref()),
        B64.encode(&wrapped)
    );
    let mac = header_mac(&file_key, header.as_bytes())?;
    header.push_str(&format!(" {}\n", B64.encode(mac.as_ref())));
    output.write_all(header.as_bytes()).map_err(io)?;
    // The payload: a nonce, then 64 KiB chunks, the last one marked.
    let mut nonce = [0u8; 16];
    random(&mut nonce)?;
    output.write_all(&nonce).map_err(io)?;
    let payload_key = derive(&nonce, &file_key, b"payload")?;
    let mut current = read_chunk(input, CHUNK)?;
    let mut counter: u128 = 0;
    loop {
        let next = if current.len() == CHUNK {
            read_chunk(input, CHUNK)?
        } else {
            Vec::new()
        };
        let last = next.is_empty();
        seal(&payload_key, chunk_nonce(counter, last), &mut current)?;
        output.write_all(&current).map_err(io)?;
        if last {
            return output.flush().map_err(io);
        }
        current = next;
        counter += 1;
    }
}

/// Decrypts an age file made for `identity` from `input` into `output`.
pub fn decrypt(identity: &[u8; 32], input: &mut impl Read, output: &mut impl Write) -> Result<()> {
    let mut reader = std::io::BufReader::new(input);
    let (header, stanzas, mac) = read_header(&mut reader)?;
    let private = PrivateKey::from_private_key(&X25519, identity)
        .map_err(|_| Error::Usage("the identity is not a usable X25519 key".into()))?;
    let public = private
        .compute_public_key()
        .map_err(|_| crypto("public key"))?;
    let file_key = stanzas
        .iter()
        .find_map(|(share, body)| unwrap_file_key(&private, public.as_ref(), share, body))
        .ok_or_else(|| Error::Usage("this backup was not encrypted to that identity".into()))?;
    let expected = header_mac(&file_key, &header)?;
    if B64.decode(mac.trim()).ok().as_deref() != Some(expected.as_ref()) {
        return Err(Error::Usage(
            "the backup's header is damaged or altered".into(),
        ));
    }
    let mut nonce = [0u8; 16];
    reader.read_exact(&mut nonce).map_err(io)?;
    let payload_key = derive(&nonce, &file_key, b"payload")?;
    let mut current = read_chunk(&mut reader, CHUNK + TAG)?;
    let mut counter: u128 = 0;
    loop {
        let next = if current.len() == CHUNK + TAG {
            read_chunk(&mut reader, CHUNK + TAG)?
        } else {
            Vec::new()
        };
        let last = next.is_empty();
        let plain = open(&payload_key, chunk_nonce(counter, last), &mut current)
            .ok_or_else(|| Error::Usage("the backup is damaged, altered or cut short".into()))?;
        output.write_all(plain).map_err(io)?;
        if last {
            return output.flush().map_err(io);
        }
        current = next;
        counter += 1;
    }
}

/// The header up to and including `---` (what its MAC covers), the X25519
/// stanzas (ephemeral share, wrapped key), and the MAC.
type Header = (Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>, String);

fn read_header(reader: &mut impl std::io::BufRead) -> Result<Header> {
    let not_age = || Error::Usage("not an age-encrypted backup".into());
    let mut header = Vec::new();
    let mut line = String::new();
    let mut read_line = |line: &mut String, header: &mut Vec<u8>| -> Result<()> {
        line.clear();
        // A header is small: a line longer than this is not one.
        if std::io::BufRead::read_line(&mut Read::by_ref(reader).take(4096), line).map_err(io)? == 0
            || !line.ends_with('\n')
        {
            return Err(not_age());
        }
        header.extend_from_slice(line.as_bytes());
        line.pop();
        Ok(())
    };
    read_line(&mut line, &mut header)?;
    if line != INTRO {
        return Err(not_age());
    }
    let mut stanzas = Vec::new();
    loop {
        read_line(&mut line, &mut header)?;
        if let Some(mac) = line.strip_prefix("--- ") {
            // The MAC covers the header up to "---", not the space after it.
            let covered = header.len() - line.len() - 1 + 3;
            header.truncate(covered);
            return Ok((header, stanzas, mac.to_owned()));
        }
        let arguments: Vec<&str> = line
            .strip_prefix("-> ")
            .ok_or_else(not_age)?
            .split(' ')
            .collect();
        let x25519_share = match arguments.as_slice() {
            ["X25519", share] => Some(B64.decode(share).map_err(|_| not_age())?),
            _ => None,
        };
        // The body: base64 lines of 64 columns, ending with a shorter one.
        let mut body = String::new();
        loop {
            read_line(&mut line, &mut header)?;
            body.push_str(&line);
            if line.len() < 64 {
                break;
            }
        }
        if let Some(share) = x25519_share {
            stanzas.push((share, B64.decode(&body).map_err(|_| not_age())?));
        }
    }
}

fn unwrap_file_key(
    private: &PrivateKey,
    public: &[u8],
    share: &[u8],
    body: &[u8],
) -> Option<[u8; 16]> {
    let shared = agreement::agree(
        private,
        UnparsedPublicKey::new(&X25519, share),
        (),
        |shared| Ok(shared.to_vec()),
    )
    .ok()?;
    let mut salt = share.to_vec();
    salt.extend_from_slice(public);
    let wrap_key = derive(&salt, &shared, b"age-encryption.org/v1/X25519").ok()?;
    let mut body = body.to_vec();
    let key = open(&wrap_key, [0u8; 12], &mut body)?;
    key.try_into().ok()
}

fn header_mac(file_key: &[u8], header: &[u8]) -> Result<hmac::Tag> {
    let key = derive(&[], file_key, b"header")?;
    Ok(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), header))
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn derive(salt: &[u8], secret: &[u8], info: &[u8]) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
        .extract(secret)
        .expand(&[info], Len(32))
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| crypto("key derivation"))?;
    Ok(out)
}

fn chunk_nonce(counter: u128, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..11].copy_from_slice(&counter.to_be_bytes()[5..]);
    nonce[11] = u8::from(last);
    nonce
}

fn cipher(key: &[u8; 32]) -> Result<LessSafeKey> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| crypto("cipher key"))?,
    ))
}

fn seal(key: &[u8; 32], nonce: [u8; 12], data: &mut Vec<u8>) -> Result<()> {
    cipher(key)?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), data)
        .map_err(|_| crypto("encryption"))
}

fn open<'a>(key: &[u8; 32], nonce: [u8; 12], data: &'a mut [u8]) -> Option<&'a mut [u8]> {
    cipher(key)
        .ok()?
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), data)
        .ok()
        .map(|plain| &mut plain[..])
}

/// Up to `size` bytes: fewer only at the end of the input.
fn read_chunk(input: &mut impl Read, size: usize) -> Result<Vec<u8>> {
    let mut chunk = Vec::with_capacity(size);
    input
        .take(size as u64)
        .read_to_end(&mut chunk)
        .map_err(io)?;
    Ok(chunk)
}

fn random(out: &mut [u8]) -> Result<()> {
    rand::fill(out).map_err(|_| crypto("randomness"))
}

fn crypto(what: &str) -> Error {
    Error::Usage(format!("backup encryption: {what} failed"))
}

fn io(err: std::io::Error) -> Error {
    Error::Usage(format!("backup encryption: {err}"))
}

/// Bech32 (BIP 173) with `hrp`, the encoding of age keys: the data as bytes.
fn bech32_decode(text: &str, hrp: &str) -> std::result::Result<Vec<u8>, &'static str> {
    const CHARSET: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let lower = text.to_lowercase();
    let (found_hrp, data) = lower.rsplit_once('1').ok_or("no separator")?;
    if found_hrp != hrp {
        return Err("wrong prefix");
    }
    let values: Vec<u8> = data
        .chars()
        .map(|c| CHARSET.find(c).map(|v| v as u8))
        .collect::<Option<_>>()
        .ok_or("a character outside bech32")?;
    if values.len() < 6 {
        return Err("too short");
    }
    let mut checked: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    checked.push(0);
    checked.extend(hrp.bytes().map(|b| b & 31));
    checked.extend(&values);
    if polymod(&checked) != 1 {
        return Err("bad checksum");
    }
    // Five bits per character to bytes; the padding must be zero.
    let (mut bytes, mut acc, mut bits) = (Vec::new(), 0u32, 0u32);
    for v in &values[..values.len() - 6] {
        acc = (acc << 5) | u32::from(*v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    if bits >= 5 || (acc & ((1 << bits) - 1)) != 0 {
        return Err("bad padding");
    }
    Ok(bytes)
}

fn polymod(values: &[u8]) -> u32 {
    const GENERATOR: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut check: u32 = 1;
    for v in values {
        let top = check >> 25;
        check = ((check & 0x1ffffff) << 5) ^ u32::from(*v);
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                check ^= g;
            }
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made with `age-keygen`.
    const PUBLIC: &str = "age1p444ulwslnm4urmatv758383mr3zpjs6rgs8zthekh0x77dl54qqmu9jgx";
    const SECRET: &str =
        "AGE-SECRET-KEY-1DKDDH029UL8PCPW26LLG7PHDX4F8GWF9Q07LFH8XA7Z6L99G2FASQ73ZDJ";

    #[test]
    fn the_public_key_of_the_identity_is_the_recipient() {
        let secret = parse_identity(SECRET).unwrap();
        let public = PrivateKey::from_private_key(&X25519, &secret)
            .unwrap()
            .compute_public_key()
            .unwrap();
        assert_eq!(public.as_ref(), parse_recipient(PUBLIC).unwrap());
        assert!(parse_recipient("age1notakey").is_err());
        assert!(parse_recipient(&PUBLIC.replace('q', "p")).is_err());
    }

    #[test]
    fn what_is_encrypted_decrypts_whatever_its_length() {
        let (recipient, identity) = (
            parse_recipient(PUBLIC).unwrap(),
            parse_identity(SECRET).unwrap(),
        );
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut sealed = Vec::new();
            encrypt(&recipient, &mut &plain[..], &mut sealed).unwrap();
            let mut opened = Vec::new();
            decrypt(&identity, &mut &sealed[..], &mut opened).unwrap();
            assert_eq!(opened, plain, "{len} bytes");
            // Cut short or altered, it is refused.
            if len > 0 {
                let mut cut = Vec::new();
                let short = &sealed[..sealed.len() - 1];
                assert!(decrypt(&identity, &mut &short[..], &mut cut).is_err());
            }
        }
    }
}
