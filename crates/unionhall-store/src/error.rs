//! The one error type of the store crate.

/// What went wrong talking to the database. Messages name the database with any
/// password masked, and say what the operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),
    #[error("could not create the folder {path} for the SQLite database: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("could not open the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("could not apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not take the lock beside the SQLite file that migrations hold: {0}")]
    MigrationLock(std::io::Error),
    #[error("the database has migrations this version of Unionhall does not know ({0}); run the newer version, or restore a backup taken before the upgrade")]
    UnknownMigrations(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A backup or restore that cannot be done, and why.
    #[error("{0}")]
    Backup(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
