//! Online backups, and restoring one into an empty database.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy from one read transaction
//! while the server goes on writing (WAL lets it), and a restore copies the file
//! into place. PostgreSQL backups are `pg_dump`'s, run by the binary's `backup`
//! command; here only what needs the database.

use crate::database::{sqlite_path, Backend};
use crate::{Error, Result, Store};
use std::path::Path;

/// What a backup file holds, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    SqliteFile,
    PostgresDump,
}

impl BackupKind {
    pub fn of_file(path: &Path) -> Result<Self> {
        use std::io::Read;
        let mut head = [0u8; 16];
        let mut file = std::fs::File::open(path)
            .map_err(|err| backup_error(format!("cannot read {}: {err}", path.display())))?;
        let read = file.read(&mut head).unwrap_or(0);
        match &head[..read] {
            h if h.starts_with(b"SQLite format 3\0") => Ok(Self::SqliteFile),
            h if h.starts_with(b"PGDMP") => Ok(Self::PostgresDump),
            _ => Err(backup_error(format!(
                "{} is neither a Unionhall SQLite backup nor a pg_dump custom-format file",
                path.display()
            ))),
        }
    }
}

fn backup_error(message: String) -> Error {
    Error::Backup(message)
}

/// Writes a consistent copy of a SQLite database to `dest` (which must not
/// exist, or be empty: made beforehand with the mode the backup is to have),
/// while it serves.
pub async fn sqlite_backup(store: &Store, dest: &Path) -> Result<()> {
    if store.backend() != Backend::Sqlite {
        return Err(backup_error("not a SQLite database".into()));
    }
    if std::fs::metadata(dest).is_ok_and(|m| m.len() > 0) {
        return Err(backup_error(format!(
            "{} exists already: back up into a new file",
            dest.display()
        )));
    }
    let path = dest
        .to_str()
        .ok_or_else(|| backup_error(format!("{} is not UTF-8", dest.display())))?;
    sqlx::query(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Restores a SQLite backup to the file of `url`, which must not exist or be
/// empty.
pub fn sqlite_restore(url: &str, src: &Path) -> Result<()> {
    if BackupKind::of_file(src)? != BackupKind::SqliteFile {
        return Err(backup_error(format!(
            "{} is not a SQLite backup: restore it into a PostgreSQL database",
            src.display()
        )));
    }
    let path = Path::new(sqlite_path(url)?);
    if std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) > 0 {
        return Err(backup_error(format!(
            "{} exists and is not empty: restore into a new database",
            path.display()
        )));
    }
    // A journal left by an earlier database would be replayed into this one.
    for suffix in ["-wal", "-shm", "-journal"] {
        let leftover = format!("{}{suffix}", path.display());
        if Path::new(&leftover).exists() {
            return Err(backup_error(format!(
                "{leftover} is left from an earlier database: move it away with it"
            )));
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|err| backup_error(format!("{}: {err}", parent.display())))?;
    }
    // Copied beside, then renamed: a crash leaves no half-written database.
    let partial = path.with_extension("restoring");
    std::fs::copy(src, &partial)
        .and_then(|_| std::fs::rename(&partial, path))
        .map_err(|err| backup_error(format!("restoring to {}: {err}", path.display())))?;
    Ok(())
}

/// Tables in the database (a restore needs none).
pub async fn table_count(store: &Store) -> Result<i64> {
    let query = match store.backend() {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    Ok(sqlx::query_scalar(query).fetch_one(store.pool()).await?)
}
