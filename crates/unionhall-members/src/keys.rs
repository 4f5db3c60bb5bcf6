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

/// The key ring a server starts with, checked against the database:
/// - a missing key file is created only for a database with no sealed data (a
///   new key would open none of it, and would be mistaken for the right one);
/// - every key id sealed records use must be configured;
/// - the database remembers the key its data is sealed with
///   (`instance_meta.member_key_id`): a process started with another key, one
///   the database has never known, is refused, so two processes with different
///   keys never both serve.
pub async fn open_keyring(store: &Store, settings: &KeySettings) -> Result<Keyring> {
    const MEMBER_KEY_ID: &str = "member_key_id";
    let recorded = unionhall_store::instance::get(store, MEMBER_KEY_ID).await?;
    let in_use = unionhall_store::members::key_ids_in_use(store).await?;
    let from_file = settings.key.trim().is_empty();
    if from_file && !settings.key_file.exists() && (!in_use.is_empty() || recorded.is_some()) {
        return Err(Error::Config(format!(
            "the key file {} is missing, and this database holds member data sealed with \
             its key: restore the file (or set members.key); a new key would open none of it",
            settings.key_file.display()
        )));
    }
    let keyring = load_keyring(settings)?;
    refuse_unknown_keys(&in_use, &keyring)?;
    let current = keyring.current_id().to_owned();
    let recorded = unionhall_store::instance::get_or_set(store, MEMBER_KEY_ID, &current).await?;
    if recorded != current {
        if !keyring.knows(&recorded) {
            return Err(Error::Config(format!(
                "this database's member data is sealed with key {recorded}, and this process \
                 has key {current}: every process of an instance must use the same key \
                 (members.key or members.key_file)"
            )));
        }
        // A rotation made this key current; the old one is still listed.
        unionhall_store::instance::set(store, MEMBER_KEY_ID, &current).await?;
    }
    Ok(keyring)
}

/// Refuses to start when some record is sealed with a key that is not
/// configured: better a clear error now than unreadable records later.
fn refuse_unknown_keys(in_use: &[String], keyring: &Keyring) -> Result<()> {
    let missing: Vec<&str> = in_use
        .iter()
        .map(String::as_str)
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
    if !write_key_file(path, &key)? {
        // Another process created it a moment ago: its key is the one.
        return read_key_file(path);
    }
    tracing::warn!(
        path = %path.display(),
        "created a new key for member records: back it up apart from the database; \
         without it the roster cannot be read"
    );
    Ok(key)
}

/// Writes a new key file, readable by its owner only, whole or not at all: the
/// key goes to a file of its own first, which is then linked into place, so
/// that two processes starting together never see half a key, and the second
/// finds the first one's. Never overwrites a file; false if one was there.
pub fn write_key_file(path: &Path, key: &[u8; KEY_LEN]) -> Result<bool> {
    let fail = |err: std::io::Error| {
        Error::Config(format!(
            "cannot write the key file {}: {err}",
            path.display()
        ))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    static STAGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = STAGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{n}.new", std::process::id()));
    let staged = PathBuf::from(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&staged).map_err(fail)?;
    let written = file
        .write_all(format!("{}\n", encode_key(key)).as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    if let Err(err) = written {
        let _ = std::fs::remove_file(&staged);
        return Err(fail(err));
    }
    let linked = std::fs::hard_link(&staged, path);
    let _ = std::fs::remove_file(&staged);
    match linked {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(fail(err)),
    }
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
    fn processes_creating_the_key_file_together_all_get_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let settings = KeySettings {
            key_file: dir.path().join("member.key"),
            ..Default::default()
        };
        let ids: Vec<String> = (0..8)
            .map(|_| {
                let settings = settings.clone();
                std::thread::spawn(move || load_keyring(&settings).unwrap().current_id().to_owned())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the key file is left");
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
