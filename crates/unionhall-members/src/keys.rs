//! Where the member-data keys come from: the config (`members.key`, e.g. from a
//! secret manager) or a key file, created on first start. The database never
//! holds a key; a stolen database file or backup is ciphertext without one.

use crate::crypto::sealing::{decode_key, encode_key, generate_key, Keyring, KEY_LEN};
use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use unionhall_store::Store;

#[derive(Debug, Clone, Default)]
pub struct KeySettings {
    /// The current key itself, base64; empty to use `key_file`.
    pub key: String,
    pub key_file: PathBuf,
    /// Keys that still open data but no longer seal it (during a rotation).
    pub previous_key_files: Vec<PathBuf>,
}

/// Builds the key ring. With no key in the config and no key file yet, makes a
/// new key file readable by this user only.
pub fn load_keyring(settings: &KeySettings) -> Result<Keyring> {
    let current = if settings.key.trim().is_empty() {
        read_or_create_key_file(&settings.key_file)?
    } else {
        decode_key(&settings.key, "members.key")?
    };
    let previous = settings
        .previous_key_files
        .iter()
        .map(|path| read_key_file(path))
        .collect::<Result<Vec<_>>>()?;
    Keyring::new(&current, &previous)
}

/// Refuses to start when some record is sealed with a key that is not
/// configured: better a clear error now than unreadable records later.
pub async fn check_keys_in_use(store: &Store, keyring: &Keyring) -> Result<()> {
    let missing: Vec<String> = unionhall_store::members::key_ids_in_use(store)
        .await?
        .into_iter()
        .filter(|id| !keyring.knows(id))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "member records are sealed with key(s) {} that are not configured: restore the \
             key file (members.key_file) or list it in members.previous_key_files",
            missing.join(", ")
        )))
    }
}

pub fn read_key_file(path: &Path) -> Result<[u8; KEY_LEN]> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        Error::Config(format!(
            "cannot read the key file {}: {err}",
            path.display()
        ))
    })?;
    decode_key(&text, &path.display().to_string())
}

fn read_or_create_key_file(path: &Path) -> Result<[u8; KEY_LEN]> {
    if path.exists() {
        return read_key_file(path);
    }
    let key = generate_key()?;
    write_key_file(path, &key)?;
    tracing::warn!(
        path = %path.display(),
        "created a new key for member records: back it up apart from the database; \
         without it the roster cannot be read"
    );
    Ok(key)
}

/// Writes a new key file (never overwriting one), readable by its owner only.
pub fn write_key_file(path: &Path, key: &[u8; KEY_LEN]) -> Result<()> {
    let fail = |err: std::io::Error| {
        Error::Config(format!(
            "cannot write the key file {}: {err}",
            path.display()
        ))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(format!("{}\n", encode_key(key)).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_file_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let settings = KeySettings {
            key_file: dir.path().join("keys/member.key"),
            ..Default::default()
        };
        let first = load_keyring(&settings).unwrap();
        let again = load_keyring(&settings).unwrap();
        assert_eq!(first.current_id(), again.current_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&settings.key_file)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_in_the_config_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_key().unwrap();
        let settings = KeySettings {
            key: encode_key(&key),
            key_file: dir.path().join("unused.key"),
            ..Default::default()
        };
        let ring = load_keyring(&settings).unwrap();
        assert_eq!(
            ring.current_id(),
            Keyring::new(&key, &[]).unwrap().current_id()
        );
        assert!(!settings.key_file.exists());
    }
}
