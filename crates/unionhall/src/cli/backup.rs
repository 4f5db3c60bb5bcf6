//! `unionhall backup FILE` and `unionhall restore FILE`.
//!
//! SQLite: a consistent copy while the server runs (`VACUUM INTO`), restored by
//! copying the file into place. PostgreSQL: `pg_dump --format=custom` and
//! `pg_restore` (PostgreSQL's client tools, the server's major version or newer),
//! the password handed over in PGPASSWORD, never on a command line others could
//! read. A restore goes only into an empty database.
//!
//! With `--recipient`, the backup is encrypted to an age public key (age.rs):
//! the plain copy is written beside it, readable by its owner only, and removed
//! once encrypted; `restore --identity` decrypts into a private temporary file
//! the same way.

use super::age;
use crate::{Error, Result, Settings};
use std::path::Path;
use unionhall_store::backup::{self, BackupKind};
use unionhall_store::{mask_password, Backend};

pub async fn backup(settings: &Settings, file: &Path, recipient: Option<&str>) -> Result<()> {
    if file.exists() {
        return Err(Error::Usage(format!(
            "{} exists already: back up into a new file",
            file.display()
        )));
    }
    let recipient = recipient.map(age::parse_recipient).transpose()?;
    let url = &settings.database.url;
    Backend::from_url(url)?;
    // Readable by its owner only from the start: a backup holds the chapters'
    // sealed keys and every sealed record. The tools below write into this
    // empty file.
    create_private_file(file)?;
    let written = match recipient {
        None => write_backup(settings, url, file).await,
        Some(recipient) => {
            let plain = with_suffix(file, ".plain");
            let written = match create_private_file(&plain) {
                Ok(()) => match write_backup(settings, url, &plain).await {
                    Ok(()) => encrypt_file(&recipient, &plain, file),
                    Err(err) => Err(err),
                },
                Err(err) => Err(err),
            };
            let _ = std::fs::remove_file(&plain);
            written
        }
    };
    if written.is_err() {
        let _ = std::fs::remove_file(file);
    }
    written?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up {} to {} ({size} bytes)",
        mask_password(url),
        file.display()
    );
    if recipient.is_some() {
        println!("encrypted to the age public key given: only its private key opens it");
    }
    println!("the member-data key is not in it: keep a copy of the key apart");
    Ok(())
}

/// `file` with `suffix` added to its name.
fn with_suffix(file: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

fn encrypt_file(recipient: &[u8; 32], plain: &Path, file: &Path) -> Result<()> {
    let open = |path: &Path| {
        std::fs::File::open(path).map_err(|err| Error::Usage(format!("{}: {err}", path.display())))
    };
    let mut input = std::io::BufReader::new(open(plain)?);
    let output = std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .map_err(|err| Error::Usage(format!("{}: {err}", file.display())))?;
    age::encrypt(recipient, &mut input, &mut std::io::BufWriter::new(output))
}

/// An empty file only its owner may read or write (0600), which must be new.
fn create_private_file(file: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .map(drop)
        .map_err(|err| Error::Usage(format!("{}: {err}", file.display())))
}

async fn write_backup(settings: &Settings, url: &str, file: &Path) -> Result<()> {
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            let store = crate::startup::open_store(settings).await?;
            backup::sqlite_backup(&store, file).await?;
        }
        Backend::Postgres => {
            let dest = file.to_string_lossy().into_owned();
            pg_tool(
                "pg_dump",
                &["--format=custom", "--no-owner", "--file", &dest],
                url,
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn restore(settings: &Settings, file: &Path, identity: Option<&Path>) -> Result<()> {
    if !age::is_encrypted(file) {
        if identity.is_some() {
            return Err(Error::Usage(format!(
                "{} is not encrypted: restore it without --identity",
                file.display()
            )));
        }
        return restore_plain(settings, file, file).await;
    }
    let identity = identity.ok_or_else(|| {
        Error::Usage(format!(
            "{} is encrypted: give its age identity with --identity FILE",
            file.display()
        ))
    })?;
    let text = std::fs::read_to_string(identity)
        .map_err(|err| Error::Usage(format!("{}: {err}", identity.display())))?;
    let identity = age::parse_identity(&text)?;
    let plain = std::env::temp_dir().join(format!(
        "unionhall-restore-{}-{}",
        std::process::id(),
        unionhall_store::now_millis()
    ));
    create_private_file(&plain)?;
    let restored = match decrypt_file(&identity, file, &plain) {
        Ok(()) => restore_plain(settings, &plain, file).await,
        Err(err) => Err(err),
    };
    let _ = std::fs::remove_file(&plain);
    restored
}

fn decrypt_file(identity: &[u8; 32], file: &Path, plain: &Path) -> Result<()> {
    let input = std::fs::File::open(file)
        .map_err(|err| Error::Usage(format!("{}: {err}", file.display())))?;
    let output = std::fs::OpenOptions::new()
        .write(true)
        .open(plain)
        .map_err(|err| Error::Usage(format!("{}: {err}", plain.display())))?;
    age::decrypt(
        identity,
        &mut std::io::BufReader::new(input),
        &mut std::io::BufWriter::new(output),
    )
}

/// Restores the plain backup `file`; `given` is the file the operator named
/// (the encrypted one, when `file` is its decrypted copy), in what is said.
async fn restore_plain(settings: &Settings, file: &Path, given: &Path) -> Result<()> {
    let url = &settings.database.url;
    let kind = BackupKind::of_file(file)?;
    match (Backend::from_url(url)?, kind) {
        (Backend::Sqlite, BackupKind::SqliteFile) => backup::sqlite_restore(url, file)?,
        (Backend::Postgres, BackupKind::PostgresDump) => {
            let store = crate::startup::open_store(settings).await?;
            let tables = backup::table_count(&store).await?;
            store.close().await;
            if tables > 0 {
                return Err(Error::Usage(format!(
                    "{} has tables already: restore into an empty database",
                    mask_password(url)
                )));
            }
            let src = file.to_string_lossy().into_owned();
            pg_tool(
                "pg_restore",
                &[
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    &src,
                ],
                url,
            )
            .await?;
        }
        (backend, kind) => {
            return Err(Error::Usage(format!(
                "{} holds a {} backup; the database is {backend:?}",
                given.display(),
                match kind {
                    BackupKind::SqliteFile => "SQLite",
                    BackupKind::PostgresDump => "PostgreSQL",
                }
            )))
        }
    }
    let decrypted = if given == file { "" } else { " (decrypted)" };
    println!(
        "restored {}{decrypted} into {}",
        given.display(),
        mask_password(url)
    );
    Ok(())
}

/// Runs a PostgreSQL client tool against `url`.
async fn pg_tool(tool: &str, args: &[&str], url: &str) -> Result<()> {
    let mut parsed = url::Url::parse(url)
        .map_err(|err| Error::Usage(format!("{}: {err}", mask_password(url))))?;
    let password = parsed.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = parsed.set_password(None);
    let mut command = std::process::Command::new(tool);
    command.args(args).arg("--dbname").arg(parsed.as_str());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|err| Error::Usage(format!("{tool}: {err}")))?
        .map_err(|err| {
            Error::Usage(format!(
                "cannot run {tool} (install PostgreSQL's client tools): {err}"
            ))
        })?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(Error::Usage(format!("{tool} failed: {}", stderr.trim())))
    }
}
