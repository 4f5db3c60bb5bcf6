//! Opening the database, applying migrations and telling whether it is ready.

use crate::{mask_password, Error, Result};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::collections::BTreeSet;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database server is behind a [`Store`]; queries that differ between the two
/// dialects are chosen by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(Error::UnsupportedUrl(mask_password(url))),
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATIONS,
            Self::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `sqlite://PATH` (created with its folder if missing) or `postgres://…`.
    pub url: String,
    pub max_connections: u32,
    /// How long to wait for a connection before giving up; an unreachable server
    /// fails start-up after this long instead of hanging.
    pub connect_timeout: Duration,
}

/// What `/readyz` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Migrations embedded in this binary that the database has not applied yet.
    pub pending_migrations: Vec<i64>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.pending_migrations.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub idle: usize,
    pub in_use: usize,
}

/// A pool of connections to the instance's database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's writers; `None` on PostgreSQL.
    sqlite_writer: Option<SqliteWriter>,
}

/// SQLite has one writer at a time. Writers of this process queue on `turn`,
/// holding no connection, rather than in SQLite's busy handler, each holding
/// one: enough of those would leave the writer that has the lock no connection
/// for a read, and every writer would wait out the busy timeout ("database is
/// locked"). The writer then takes the one connection of `pool`, kept for
/// writes, so that it never queues behind readers for a connection of the
/// main pool. Writers of other processes (an admin command) still queue in
/// the busy handler.
#[derive(Debug, Clone)]
struct SqliteWriter {
    turn: Arc<Semaphore>,
    pool: AnyPool,
    /// The database file, beside which migrations take their lock.
    path: std::path::PathBuf,
}

/// A write transaction from [`Store::begin_write`]: a connection (`&mut *tx`)
/// whose writes commit together, and on SQLite this process's turn to write.
pub struct Tx {
    inner: Transaction<'static, Any>,
    _turn: Option<OwnedSemaphorePermit>,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        Ok(self.inner.commit().await?)
    }

    /// Undoes the writes (dropping the transaction does too).
    pub async fn rollback(self) -> Result<()> {
        Ok(self.inner.rollback().await?)
    }
}

impl Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

impl Store {
    /// Opens the database (creating a SQLite file on first start) without
    /// migrating it; see [`Store::migrate`].
    #[tracing::instrument(skip_all, fields(url = %mask_password(&options.url)))]
    pub async fn connect(options: &ConnectOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&options.url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(&options.url)?,
            Backend::Postgres => options.url.clone(),
        };
        let connect = |role: Role, max_connections: u32| {
            pool_options(backend, role, max_connections, options.connect_timeout).connect(&url)
        };
        let connect_error = |source| Error::Connect {
            url: mask_password(&options.url),
            source,
        };
        let pool = connect(Role::Main, options.max_connections.max(1))
            .await
            .map_err(connect_error)?;
        let sqlite_writer = match backend {
            Backend::Sqlite => Some(SqliteWriter {
                turn: Arc::new(Semaphore::new(1)),
                pool: connect(Role::SqliteWriter, 1)
                    .await
                    .map_err(connect_error)?,
                path: sqlite_path(&options.url)?.into(),
            }),
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            backend,
            sqlite_writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connections of the pool: idle and in use (for /metrics).
    pub fn pool_use(&self) -> PoolUse {
        let size = self.pool.size() as usize;
        let idle = self.pool.num_idle();
        PoolUse {
            idle,
            in_use: size.saturating_sub(idle),
        }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the migrations embedded in this binary that the database lacks.
    /// Safe to run from several processes at once: on PostgreSQL sqlx takes an
    /// advisory lock; on SQLite, where it takes none (two processes starting
    /// on a new file each applied the first migration, and one died on "table
    /// already exists"), a lock on a file beside the database, held until done.
    #[tracing::instrument(skip_all)]
    pub async fn migrate(&self) -> Result<()> {
        let _one_at_a_time = match &self.sqlite_writer {
            Some(writer) => Some(lock_beside(&writer.path).await?),
            None => None,
        };
        self.backend
            .migrator()
            .run(&self.pool)
            .await
            .map_err(|err| match err {
                sqlx::migrate::MigrateError::VersionMissing(version) => {
                    Error::UnknownMigrations(version.to_string())
                }
                other => Error::Migrate(other),
            })
    }

    /// Reachable, and every migration this binary knows is applied.
    pub async fn readiness(&self) -> Result<Readiness> {
        let applied: BTreeSet<i64> =
            match sqlx::query("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await
            {
                Ok(rows) => rows
                    .iter()
                    .map(|row: &AnyRow| row.try_get::<i64, _>(0))
                    .collect::<Result<_, _>>()?,
                // No migration table yet: nothing applied, but the database answers.
                Err(sqlx::Error::Database(_)) => {
                    sqlx::query("SELECT 1").execute(&self.pool).await?;
                    BTreeSet::new()
                }
                Err(other) => return Err(other.into()),
            };
        let pending_migrations = self
            .backend
            .migrator()
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect();
        Ok(Readiness { pending_migrations })
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes
    /// later can fail with "database is locked" under concurrency, whatever the
    /// busy timeout.
    ///
    /// Read through the transaction (`&mut *tx`), not the store, while it is
    /// open: on SQLite the pool may have no connection to spare until it ends.
    pub async fn begin_write(&self) -> Result<Tx> {
        let (inner, turn) = match &self.sqlite_writer {
            Some(writer) => {
                let turn = Arc::clone(&writer.turn)
                    .acquire_owned()
                    .await
                    .map_err(|_| Error::Sql(sqlx::Error::PoolClosed))?;
                let inner = writer.pool.begin_with("BEGIN IMMEDIATE").await?;
                (inner, Some(turn))
            }
            None => (self.pool.begin().await?, None),
        };
        Ok(Tx { inner, _turn: turn })
    }

    /// A connection from the pool, for reads that take a `&mut Connection`.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Waits for open connections to finish and closes the pool.
    pub async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            writer.turn.close();
            writer.pool.close().await;
        }
        self.pool.close().await;
    }
}

/// Which pool a connection is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Reads, writes of one statement made outside `begin_write` (a peer's
    /// failure, a session, say: they meet a held write lock in SQLite's busy
    /// handler, so nothing frequent is written this way), and on PostgreSQL
    /// every write.
    Main,
    /// SQLite's one writing connection.
    SqliteWriter,
}

/// SQLite's page cache per reading connection. Each connection has its own,
/// and in WAL mode a reader drops its whole cache whenever another connection
/// has written since its last read, so under writes a big one holds memory
/// more than it saves reads (the file's pages stay in the OS cache). The
/// writer keeps SQLite's default of 2 MiB: nothing resets its cache but its
/// own writes. Measured: a 10,000-inbox fan-out added 13.0 MB to the process
/// with 2 MiB for every connection, 9.3 MB with this (docs/benchmarks.md).
const READER_PAGE_CACHE_KIB: u32 = 512;

/// How connections are opened and handed out, for the main pool and for
/// SQLite's writer.
fn pool_options(
    backend: Backend,
    role: Role,
    max_connections: u32,
    connect_timeout: std::time::Duration,
) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(connect_timeout)
        // A pinged connection to a SQLite file in this process cannot have
        // gone away; the ping would be one more round trip to the
        // connection's thread for every query. A PostgreSQL server can
        // restart under us, so its connections are still tested.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // secure_delete overwrites what a DELETE frees, so an erased
                    // member record does not linger in free pages of the file.
                    // WAL lets readers run beside the one writer; FULL makes every
                    // commit survive power loss, not only a process crash
                    // (DESIGN.md invariant 3); the busy timeout makes writers queue
                    // instead of failing at once.
                    // busy_timeout first: switching to WAL needs a lock too,
                    // and another process (the server, beside an admin
                    // command) may hold one. 30 s, so that an admin command
                    // beside a loaded server waits its turn rather than fail.
                    conn.execute(
                        "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                         PRAGMA secure_delete = ON;",
                    )
                    .await?;
                    if role == Role::Main {
                        // A negative size is in KiB.
                        let cache = format!("PRAGMA cache_size = -{READER_PAGE_CACHE_KIB}");
                        conn.execute(cache.as_str()).await?;
                    }
                }
                Ok(())
            })
        })
}

/// An exclusive lock on `<database>.migrating`, released when the file is
/// dropped (or the process ends).
async fn lock_beside(database: &std::path::Path) -> Result<std::fs::File> {
    let mut name = database.as_os_str().to_owned();
    name.push(".migrating");
    let path = std::path::PathBuf::from(name);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|err| Error::MigrationLock(std::io::Error::other(err.to_string())))?
    .map_err(Error::MigrationLock)
}

/// The file of a `sqlite:` URL.
pub(crate) fn sqlite_path(url: &str) -> Result<&str> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    if path.is_empty() || path == ":memory:" {
        // An in-memory database would be lost at exit: refuse rather than surprise.
        return Err(Error::UnsupportedUrl(url.to_owned()));
    }
    Ok(path)
}

/// Creates the folder of a SQLite file and asks for the file to be created.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    let path = sqlite_path(url)?;
    let query = url.split_once('?').map_or("", |(_, query)| query);
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|source| Error::CreateDir {
                path: parent.display().to_string(),
                source,
            })?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Now, as Unix milliseconds: the one clock every stored timestamp uses.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_backends_by_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/d").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/d").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::from_url("mysql://u@h/d").is_err());
        assert!(Backend::from_url("data/unionhall.db").is_err());
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/uh.db");
        let url = prepare_sqlite_url(&format!("sqlite://{}", path.display())).expect("url");
        assert_eq!(url, format!("sqlite://{}?mode=rwc", path.display()));
        assert!(path.parent().is_some_and(|p| p.is_dir()));
        assert!(prepare_sqlite_url("sqlite::memory:").is_err());
    }
}
