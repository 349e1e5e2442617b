//! The database handle: one `sqlx::AnyPool` over SQLite (default, one file) or
//! PostgreSQL (several app servers, one database). Queries are written once in
//! the common dialect (`$1` parameters, BIGINT times, BLOB/BYTEA bytes).

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// A SQLite file is held open "in use" (a shared lock on its lock file)
    /// for as long as this handle lives, so `gatehouse restore` can refuse
    /// to replace it under a running server or command.
    _in_use: Option<Arc<File>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("GATEHOUSE_DATABASE_URL must start with sqlite:// or postgres:// (got {0:?})")]
    UnknownScheme(String),
    #[error("cannot create the folder for the SQLite database {0}: {1}")]
    CreateFolder(PathBuf, std::io::Error),
    #[error("cannot open the database: {0}")]
    Connect(sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot finish the migrations: {0}")]
    Finish(sqlx::Error),
    #[error("the database {0} is being restored; try again when the restore has finished")]
    BeingRestored(PathBuf),
    #[error("cannot lock {0}: {1}")]
    Lock(PathBuf, std::io::Error),
}

/// The file every process holds (shared) while it has the SQLite database
/// at `db` open, and a restore holds (exclusive) while it replaces it:
/// `gatehouse.db` → `gatehouse.db-lock`, beside SQLite's own `-wal` and `-shm`.
pub fn lock_path(db: &Path) -> PathBuf {
    companion(&resolved(db), "-lock")
}

/// A file beside the database named after it: `gatehouse.db` + `-wal`
/// gives `gatehouse.db-wal`, as SQLite names its own.
pub fn companion(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The file `path` names, through links and `..`, so that two spellings of
/// one database share one lock (its folder resolved when it does not exist yet).
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })
        .map_or_else(|_| path.to_path_buf(), |dir| dir.join(name)),
        _ => path.to_path_buf(),
    }
}

/// Takes the lock file of the database at `db`, shared (the database is
/// open) or exclusive (it is being replaced); `None` when another process
/// holds it the other way.
pub fn lock_database(db: &Path, exclusive: bool) -> Result<Option<File>, DbError> {
    let path = lock_path(db);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| DbError::Lock(path.clone(), e))?;
    let taken = if exclusive {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    match taken {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(DbError::Lock(path, e)),
    }
}

pub fn backend_of(url: &str) -> Result<Backend, DbError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(DbError::UnknownScheme(url.to_string()))
    }
}

/// The file behind a `sqlite://` URL (None for in-memory databases).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

impl Db {
    /// Opens the database; a SQLite file that does not exist yet is created, with its folder.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        install_default_drivers();
        let backend = backend_of(url)?;
        let mut url = url.to_string();
        let mut in_use = None;
        if backend == Backend::Sqlite {
            if let Some(file) = sqlite_path(&url) {
                if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| DbError::CreateFolder(parent.into(), e))?;
                }
                let lock = lock_database(&file, false)?.ok_or(DbError::BeingRestored(file))?;
                in_use = Some(Arc::new(lock));
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; the busy timeout
                        // makes a second writer wait instead of failing.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                    } else {
                        // Every statement here reads a few rows by index; JIT
                        // compiling one the planner overestimates costs tens of
                        // milliseconds and saves nothing. Each is planned for its
                        // own values (a search pattern, an organization): a
                        // cached generic plan guesses them, and for a search
                        // guesses a scan of the whole table.
                        sqlx::query("SET jit = off").execute(&mut *conn).await?;
                        sqlx::query("SET plan_cache_mode = force_custom_plan")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(DbError::Connect)?;
        Ok(Self {
            pool,
            backend,
            _in_use: in_use,
        })
    }

    /// Writes a consistent copy of this SQLite database to `to`, a new file
    /// (`VACUUM INTO` reads one snapshot while writers go on; the copy is
    /// compact and has no WAL of its own). The file is created first,
    /// readable by its owner only: it holds password hashes and sealed keys.
    pub async fn copy_sqlite_to(&self, to: &Path) -> Result<(), String> {
        let target = to.to_str().ok_or("the backup path must be valid UTF-8")?;
        create_private(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await;
        if let Err(e) = copied {
            let _ = std::fs::remove_file(to);
            return Err(format!("cannot copy the database: {e}"));
        }
        // One self-contained file: no WAL, so it can be read where it lies.
        if let Err(e) = pragma_on_file(to, "PRAGMA journal_mode = DELETE").await {
            let _ = std::fs::remove_file(to);
            return Err(format!("cannot finish the copy: {e}"));
        }
        Ok(())
    }

    /// A write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`, waiting up to the busy timeout), so a transaction
    /// that reads before it writes cannot fail on upgrading its lock.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let asked = Instant::now();
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        crate::telemetry::connection_wait(asked.elapsed());
        tx
    }

    /// A pooled connection for reads, its wait measured like a transaction's.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, sqlx::Error> {
        let asked = Instant::now();
        let conn = self.pool.acquire().await;
        crate::telemetry::connection_wait(asked.elapsed());
        conn
    }

    fn migrator(&self) -> Migrator {
        migrator(self.backend)
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        self.migrator().run(&self.pool).await?;
        crate::store::fill_name_keys(&self.pool)
            .await
            .map_err(DbError::Finish)?;
        self.optimize().await.map_err(DbError::Finish)?;
        Ok(())
    }

    /// Refreshes the query planner's statistics, which the lists' plans
    /// (which index, read in order or looked up) depend on. SQLite keeps
    /// none until asked and then analyzes only what changed a lot, on a
    /// bounded sample; PostgreSQL's autovacuum keeps its own, and this asks
    /// it now (after a bulk load).
    pub async fn optimize(&self) -> Result<(), sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;",
            Backend::Postgres => "ANALYZE users; ANALYZE audit_log;",
        };
        sqlx::raw_sql(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// Why the database cannot serve requests now, if it cannot: it does not
    /// answer within [`READY_TIMEOUT`], or a migration of this build is not
    /// applied. A readiness probe asks this, so it takes one pooled
    /// connection for one small query.
    pub async fn not_ready(&self) -> Option<&'static str> {
        let expected = self.migrator().iter().count() as i64;
        let check = async {
            let mut c = self.acquire().await.ok()?;
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut *c)
                .await
                .ok()
        };
        match tokio::time::timeout(READY_TIMEOUT, check).await {
            Ok(Some(applied)) if applied >= expected => None,
            Ok(Some(_)) => Some("migrations pending"),
            _ => Some("database unreachable"),
        }
    }
}

/// The migrations this build brings, for a backend.
fn migrator(backend: Backend) -> Migrator {
    match backend {
        Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
    }
}

/// How many migrations this build brings for a backend: a database with
/// more was made by a newer Gatehouse.
pub fn migrations_in_this_build(backend: Backend) -> i64 {
    migrator(backend).iter().count() as i64
}

/// Checks that the file at `path` is a whole Gatehouse SQLite database
/// (SQLite's integrity check passes and it has been migrated); how many
/// migrations it has.
pub async fn check_sqlite_copy(path: &Path) -> Result<i64, String> {
    let mut file = open_sqlite_file(path, true)
        .await
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let checked = async {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut file)
            .await
            .map_err(|_| "it is not a SQLite database".to_string())?;
        if integrity != "ok" {
            return Err(format!("it is damaged ({integrity})"));
        }
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut file)
            .await
            .map_err(|_| "it is not a Gatehouse database".to_string())
    }
    .await;
    let _ = file.close().await;
    checked.map_err(|why| format!("{} cannot be restored: {why}", path.display()))
}

/// Merges the WAL of the SQLite database at `path` into it, so the file
/// alone holds every committed change (the caller holds it exclusively).
pub async fn checkpoint_sqlite(path: &Path) -> Result<(), String> {
    pragma_on_file(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .map_err(|e| format!("cannot merge the WAL of {}: {e}", path.display()))
}

/// Runs one pragma on the SQLite file at `path`, on a connection of its own.
async fn pragma_on_file(path: &Path, pragma: &str) -> Result<(), sqlx::Error> {
    let mut file = open_sqlite_file(path, false).await?;
    sqlx::query(pragma).execute(&mut file).await?;
    file.close().await
}

/// One connection to the SQLite file at exactly `path`: no URL, so neither
/// percent signs nor a `file:` prefix change which file is opened.
async fn open_sqlite_file(
    path: &Path,
    read_only: bool,
) -> Result<sqlx::SqliteConnection, sqlx::Error> {
    use sqlx::ConnectOptions;
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false)
        .connect()
        .await
}

/// A new file readable and writable by its owner only; an existing file is an error.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// How long a readiness probe waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend_and_file() {
        assert_eq!(backend_of("sqlite://data/g.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert!(backend_of("mysql://x").is_err());
        assert_eq!(
            sqlite_path("sqlite://data/g.db?mode=rwc"),
            Some(PathBuf::from("data/g.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/a.db"),
            Some(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
