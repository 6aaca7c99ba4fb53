//! Opening the stores: a SQLite file (or memory) and a Postgres pool, each migrated on open.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Result, StoreError};

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

impl SqliteStore {
    /// Opens the database file, creating it and its folder on first start.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::with_options(options, 4).await
    }

    /// A private in-memory database (one connection), for tests and previews.
    pub async fn memory() -> Result<SqliteStore> {
        Self::with_options(SqliteConnectOptions::from_str("sqlite::memory:")?, 1).await
    }

    async fn with_options(options: SqliteConnectOptions, max: u32) -> Result<SqliteStore> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

/// Locks `<database>.lock` for as long as the process keeps the file open. SQLite serves one
/// replica: two services on one file would each keep their own evaluated fleet and both run the
/// collectors and timers.
pub(super) fn lock_file(db: &Path) -> Result<std::fs::File> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = std::path::PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(sqlx::Error::Io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::InUse(format!(
            "the SQLite database {} is already in use by another tech-health process (lock \
             file {}); SQLite serves a single replica: stop the other one, or run several \
             replicas on Postgres (DATABASE_URL=postgres://…)",
            db.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Database(sqlx::Error::Io(e))),
    }
}

pub struct PostgresStore {
    pub(super) pool: PgPool,
    pub(super) options: PgConnectOptions,
    /// The first key of this store's advisory locks, from its schema: replicas of one
    /// deployment share it, deployments in other schemas of the same database do not.
    pub(super) ns: i32,
    /// The LISTEN/NOTIFY channel of this store's change log (per schema, like `ns`).
    pub(super) channel: String,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            // A store that is down answers 503 in a few seconds, not after a long wait.
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await?;
        // FNV-1a: stable across builds and platforms, unlike the std hasher.
        let hash = schema.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let ns = (hash & 0x7fff_ffff) as i32;
        Ok(PostgresStore {
            pool,
            options,
            ns,
            channel: format!("tech_health_changes_{ns}"),
        })
    }
}
