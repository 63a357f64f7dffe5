//! SQLite backend: one file per data directory, WAL, `synchronous=FULL`.
//!
//! All writes go through one writer thread that groups whatever is queued into a single
//! transaction (each write in its own savepoint), commits, and only then answers each caller.
//! Reads use a small pool of separate connections, which WAL lets run beside the writer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prongsai_core::admin::AuditEntry;
use prongsai_core::model::DocKind;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::*;

/// The largest number of queued writes committed in one transaction.
const MAX_BATCH: usize = 512;

/// The least time from one commit to the next while writes keep coming. Each commit is a write
/// and an fsync of the WAL; under a steady stream of small writes (every change a device sends is
/// one) the writer committed as soon as a write came, one or two writes at a time: at 1,130
/// edits a second, 510 fsyncs a second and a sixth of the server's CPU. Waiting out the rest of
/// 5 ms after a commit cut that to 165 fsyncs a second and the server's CPU per edit by about
/// 8 % (`cargo xtask bench --only throughput`, BENCHMARKS.md). A write that comes when the last
/// commit is older than this does not wait; one that does waits at most this long for its
/// confirmation. Nothing is delivered later for it: peers are sent changes before they are
/// stored, and only the durability confirmation waits for the commit.
const COMMIT_SPACING: Duration = Duration::from_millis(5);

type Completion = Box<dyn FnOnce(Result<(), DbError>) + Send>;
/// A queued write. Given the connection inside the batch's transaction it runs and says whether
/// it succeeded; given the error that kept the transaction from starting it does not run at all
/// (so nothing is written in autocommit behind its caller's back) and reports that error.
type Job = Box<dyn FnOnce(Result<&Connection, DbError>) -> (bool, Completion) + Send>;

#[derive(Clone)]
pub struct Sqlite {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: std::sync::mpsc::Sender<Job>,
    /// Read connections kept open between reads (at most [`READERS`]).
    readers: Mutex<Vec<Connection>>,
    /// At most [`READERS`] reads run at once; the rest wait their turn here, not on a thread of
    /// their own. Unbounded, a burst of reads (thousands of devices reconnecting, each signing in)
    /// opened hundreds of connections at once on as many blocking threads: 24 MB of SQLite page
    /// caches for 1,000 clients, held by the allocator long after.
    read_turns: Arc<tokio::sync::Semaphore>,
    /// Opened with [`Sqlite::open_read_only`]: reads only, writes fail.
    read_only: bool,
    /// Transactions the writer has committed.
    commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").field("path", &self.inner.path).finish()
    }
}

fn backend(e: impl std::fmt::Display) -> DbError {
    DbError::Backend(e.to_string())
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                DbError::Conflict(e.to_string())
            }
            _ => DbError::Backend(e.to_string()),
        }
    }
}

/// Schema version 1 (with [`baseline_columns`]): frozen. A later change of the schema is a new
/// numbered migration (`migrations.rs`), with its SQLite form in [`apply`].
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS chunks (
    key TEXT PRIMARY KEY,
    data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    position TEXT NOT NULL,
    division TEXT,
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    peer_id TEXT NOT NULL UNIQUE,
    actor_id TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    read_only INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);
CREATE INDEX IF NOT EXISTS sessions_by_actor ON sessions(actor_id);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    division TEXT
);
CREATE INDEX IF NOT EXISTS documents_by_year ON documents(agency_id, year);
CREATE UNIQUE INDEX IF NOT EXISTS documents_by_key ON documents(agency_id, year, kind, IFNULL(division, ''));
CREATE TABLE IF NOT EXISTS blobs (
    agency_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    media_type TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (agency_id, sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    session TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_agency ON audit_log(agency_id, id);
-- The audit log is append-only, whoever opens the file.
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS years (
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    year INTEGER NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    changed_at INTEGER NOT NULL DEFAULT 0,
    changed_by TEXT NOT NULL DEFAULT '',
    continues INTEGER,
    ita_result TEXT,
    PRIMARY KEY (agency_id, year)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#;

/// Where the applied migrations are recorded.
const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
);";

/// The highest migration the file records; `None` for a file from before the numbers (or new).
fn applied_version(conn: &Connection) -> Result<Option<i64>, DbError> {
    let numbered =
        conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")?.exists([])?;
    if !numbered {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| r.get::<_, Option<i64>>(0))?)
}

/// Brings the file to this release's schema in one transaction (every migration it lacks, or
/// none), or refuses a file a newer release wrote, changing nothing.
fn upgrade(conn: &mut Connection, path: &Path) -> Result<(), DbError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let pending = migrations::pending(applied_version(&tx)?, &path.display().to_string()).map_err(backend)?;
    if pending.is_empty() {
        return Ok(());
    }
    tx.execute_batch(MIGRATIONS_TABLE)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    for migration in pending {
        apply(&tx, migration.version)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![migration.version, migration.name, now],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The SQLite form of one migration.
fn apply(conn: &Connection, version: i64) -> Result<(), DbError> {
    match version {
        1 => {
            conn.execute_batch(SCHEMA)?;
            baseline_columns(conn)
        }
        // Kept alike on both backends (a backup is a SQLite file); SQLite is one process's, so
        // it never holds a lease.
        2 => Ok(conn.execute_batch(
            "CREATE TABLE agency_leases (
                 agency_id TEXT PRIMARY KEY,
                 node TEXT NOT NULL,
                 token INTEGER NOT NULL,
                 expires_at INTEGER NOT NULL
             );",
        )?),
        3 => Ok(conn.execute_batch(
            "ALTER TABLE agency_leases ADD COLUMN address TEXT NOT NULL DEFAULT '';
             CREATE TABLE cluster_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL);",
        )?),
        // Kept alike on both backends; one process counts its guesses in memory.
        4 => Ok(conn.execute_batch(
            "CREATE TABLE login_guesses (
                 id INTEGER PRIMARY KEY,
                 key TEXT NOT NULL,
                 started_at INTEGER NOT NULL
             );
             CREATE INDEX login_guesses_key ON login_guesses (key, started_at);
             CREATE INDEX login_guesses_started ON login_guesses (started_at);",
        )?),
        other => Err(backend(format!("migration {other} has no SQLite form in this release"))),
    }
}

/// The columns version 1 added to tables of earlier releases (a file from before the numbered
/// migrations may lack them; a new file gets them here too, so both end up the same).
fn baseline_columns(conn: &Connection) -> Result<(), DbError> {
    let has_column = |table: &str, column: &str| -> Result<bool, DbError> {
        Ok(conn.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?.exists([table, column])?)
    };
    if !has_column("sessions", "read_only")? {
        conn.execute_batch("ALTER TABLE sessions ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0")?;
    }
    if !has_column("agencies", "profile")? {
        conn.execute_batch("ALTER TABLE agencies ADD COLUMN profile TEXT")?;
    }
    if !has_column("users", "totp_secret")? {
        conn.execute_batch(
            "ALTER TABLE users ADD COLUMN totp_secret BLOB;
             ALTER TABLE users ADD COLUMN totp_pending BLOB;
             ALTER TABLE users ADD COLUMN totp_last_step INTEGER;",
        )?;
    }
    Ok(())
}

/// A connection that can only read (the file must exist); nothing about the file changes.
fn open_read_only_connection(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

fn integrity_check(conn: &Connection, path: &Path) -> Result<(), DbError> {
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| backend(format!("{} is not a readable database: {e}", path.display())))?;
    if check != "ok" {
        return Err(backend(format!("{} failed its integrity check: {check}", path.display())));
    }
    Ok(())
}

/// How many reads run at once, each on a connection of the pool.
const READERS: usize = 8;

fn read_turns() -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new(READERS))
}

fn open_connection(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

impl Sqlite {
    /// Opens (creating if needed) `DIR/prongsai.sqlite3`, checks its integrity, and starts the
    /// writer thread.
    pub fn open(dir: &Path) -> Result<Sqlite, DbError> {
        Self::open_spaced(dir, COMMIT_SPACING)
    }

    /// [`Sqlite::open`] with another [`COMMIT_SPACING`].
    fn open_spaced(dir: &Path, spacing: Duration) -> Result<Sqlite, DbError> {
        std::fs::create_dir_all(dir).map_err(|e| backend(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join("prongsai.sqlite3");
        let mut writer = open_connection(&path)
            .map_err(|e| backend(format!("{} cannot be opened as a database: {e}", path.display())))?;
        integrity_check(&writer, &path)?;
        upgrade(&mut writer, &path)?;
        let (jobs, receiver) = std::sync::mpsc::channel::<Job>();
        let commits = Arc::new(AtomicU64::new(0));
        let counted = commits.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(writer, receiver, spacing, counted))
            .map_err(|e| backend(format!("starting the writer thread: {e}")))?;
        Ok(Sqlite {
            inner: Arc::new(Inner {
                path,
                jobs,
                readers: Mutex::new(Vec::new()),
                read_turns: read_turns(),
                read_only: false,
                commits,
            }),
        })
    }

    /// Opens an existing data directory for reading only, while a server may be using it: no
    /// schema change, no writer thread; every write fails with [`DbError::Stopped`].
    pub fn open_read_only(dir: &Path) -> Result<Sqlite, DbError> {
        let path = dir.join("prongsai.sqlite3");
        if !path.is_file() {
            return Err(backend(format!("{} does not exist (no data directory here?)", path.display())));
        }
        Sqlite::open_read_only_file(&path)
    }

    /// [`Sqlite::open_read_only`] of one database file (a backup), which must be Prongsai's.
    pub fn open_read_only_file(path: &Path) -> Result<Sqlite, DbError> {
        if !path.is_file() {
            return Err(backend(format!("{} does not exist", path.display())));
        }
        let reader = open_read_only_connection(path)
            .map_err(|e| backend(format!("{} cannot be opened as a database: {e}", path.display())))?;
        integrity_check(&reader, path)?;
        // Read as it is (an older file reads as far as it can), unless a newer release wrote it.
        let applied = applied_version(&reader)?;
        migrations::pending(applied, &path.display().to_string()).map_err(backend)?;
        if applied.is_none() && !reader.prepare("SELECT 1 FROM sqlite_master WHERE name = 'chunks'")?.exists([])? {
            return Err(backend(format!("{} is not a Prongsai database (it has no Prongsai tables)", path.display())));
        }
        let (jobs, _closed) = std::sync::mpsc::channel::<Job>();
        let path = path.to_path_buf();
        Ok(Sqlite {
            inner: Arc::new(Inner {
                path,
                jobs,
                readers: Mutex::new(vec![reader]),
                read_turns: read_turns(),
                read_only: true,
                commits: Arc::new(AtomicU64::new(0)),
            }),
        })
    }

    /// The sha256 of every evidence file of an agency.
    pub async fn blob_keys(&self, agency: String) -> Result<Vec<String>, DbError> {
        self.read(move |conn| {
            let mut statement = conn.prepare("SELECT sha256 FROM blobs WHERE agency_id = ?1 ORDER BY sha256")?;
            Ok(statement.query_map([agency], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The agency's own settings, by key.
    pub async fn agency_settings(&self, agency: String) -> Result<Vec<(String, String)>, DbError> {
        self.read(move |conn| {
            let (condition, params) = agency_scope::settings_condition(&agency);
            let sql =
                agency_scope::for_sqlite(&format!("SELECT key, value FROM settings WHERE {condition} ORDER BY key"));
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map(rusqlite::params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Removes everything of one agency, its audit log too, in one transaction. Freed pages are
    /// overwritten (`secure_delete`), so after [`Sqlite::checkpoint`] the file keeps nothing of it.
    pub async fn agency_delete(&self, agency: String) -> Result<agency_scope::Removed, DbError> {
        self.write(move |c| {
            c.pragma_update(None, "secure_delete", "ON")?;
            let removed = delete_agency(c, &agency);
            c.pragma_update(None, "secure_delete", "OFF")?;
            removed
        })
        .await
    }

    /// Moves everything written into the database file itself and empties the write-ahead log.
    pub fn checkpoint(&self) -> Result<(), DbError> {
        let conn = open_connection(&self.inner.path)?;
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(backend(format!("{} is in use: its log could not be emptied", self.inner.path.display())));
        }
        Ok(())
    }

    /// The documents that have stored chunks (the first part of each chunk's key).
    pub async fn chunk_documents(&self) -> Result<Vec<String>, DbError> {
        self.read(|conn| {
            let mut statement = conn.prepare(
                "SELECT DISTINCT substr(key, 1, instr(key, '/') - 1) FROM chunks WHERE instr(key, '/') > 0 ORDER BY 1",
            )?;
            let ids = statement.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })
        .await
    }

    /// Transactions the writer has committed since the database was opened: each one a write
    /// and an fsync of the WAL, however many writes it carried.
    pub fn commits(&self) -> u64 {
        self.inner.commits.load(AtomicOrdering::Relaxed)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Queues a write; resolves after the transaction holding it has committed.
    async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, DbError>>();
        let job: Job = Box::new(move |conn| match conn.and_then(f) {
            Ok(value) => (
                true,
                Box::new(move |committed: Result<(), DbError>| {
                    let _ = tx.send(committed.map(|()| value));
                }),
            ),
            Err(e) => (
                false,
                Box::new(move |_| {
                    let _ = tx.send(Err(e));
                }),
            ),
        });
        self.inner.jobs.send(job).map_err(|_| DbError::Stopped)?;
        rx.await.map_err(|_| DbError::Stopped)?
    }

    /// Runs a read on a pooled connection on a blocking thread.
    async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        // The turn goes with the read, so a caller that gives up waiting does not free it while
        // the read still runs.
        let turn = self.inner.read_turns.clone().acquire_owned().await.map_err(|_| DbError::Stopped)?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let pooled = inner.readers.lock().map_err(|_| DbError::Stopped)?.pop();
            let conn = match pooled {
                Some(c) => c,
                None if inner.read_only => open_read_only_connection(&inner.path)?,
                None => open_connection(&inner.path)?,
            };
            let result = f(&conn);
            if let Ok(mut pool) = inner.readers.lock()
                && pool.len() < READERS
            {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|e| backend(format!("read task: {e}")))?
    }
}

fn delete_agency(c: &Connection, agency: &str) -> Result<agency_scope::Removed, DbError> {
    let documents: Vec<String> = c
        .prepare("SELECT doc_id FROM documents WHERE agency_id = ?1")?
        .query_map([agency], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut removed = agency_scope::Removed::new();
    let run = |sql: &str, params: &[String]| -> Result<u64, DbError> {
        Ok(c.execute(&agency_scope::for_sqlite(sql), rusqlite::params_from_iter(params))? as u64)
    };
    let mut statements = agency_scope::deletion(agency, &documents);
    let last = statements.pop().expect("the agency row goes last");
    for (sql, params) in &statements {
        *removed.entry(agency_scope::table_of(sql)).or_default() += run(sql, params)?;
    }
    // The append-only triggers are dropped and made again inside this transaction.
    let triggers: Vec<(String, String)> = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, _) in &triggers {
        c.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
    }
    removed.insert("audit_log".into(), run(agency_scope::DELETE_AUDIT, &[agency.to_string()])?);
    for (_, sql) in &triggers {
        c.execute_batch(sql)?;
    }
    *removed.entry(agency_scope::table_of(&last.0)).or_default() += run(&last.0, &last.1)?;
    Ok(removed)
}

/// Reads every table of the database file at `path` in one read transaction (a consistent
/// snapshot while a server writes), handing the rows to `send` in batches.
pub(crate) fn read_tables(
    path: &Path,
    mut send: impl FnMut(copy::Batch) -> Result<(), DbError>,
) -> Result<(), DbError> {
    let mut conn = open_read_only_connection(path)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
    let mut batcher = copy::Batcher::default();
    for &table in copy::TABLES {
        if !tx.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?.exists([table])? {
            continue; // a file from an older release may lack a table: nothing to copy
        }
        let mut statement = tx.prepare(&format!("SELECT * FROM {table}"))?;
        let columns: Vec<String> = statement.column_names().map(String::from).collect();
        batcher.table(table, columns.clone());
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, column) in columns.iter().enumerate() {
                values.push(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => copy::Value::Null,
                    rusqlite::types::ValueRef::Integer(n) => copy::Value::Int(n),
                    rusqlite::types::ValueRef::Text(t) => copy::Value::Text(String::from_utf8_lossy(t).into_owned()),
                    rusqlite::types::ValueRef::Blob(b) => copy::Value::Bytes(b.to_vec()),
                    rusqlite::types::ValueRef::Real(r) => {
                        return Err(backend(format!("{table}.{column} holds a number Prongsai never writes: {r}")));
                    }
                });
            }
            batcher.row(values);
            batcher.ready().try_for_each(&mut send)?;
        }
    }
    batcher.end();
    batcher.ready().try_for_each(&mut send)
}

impl rusqlite::ToSql for copy::Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            copy::Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            copy::Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            copy::Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            copy::Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// Writes a new database file at `path` (which must not exist) from the batches `receive`
/// gives, in one transaction, committed only once the source says it has sent everything. The
/// file is built beside `path` and moved there when complete, so `path` is whole or absent.
pub(crate) fn write_tables(
    path: &Path,
    mut receive: impl FnMut() -> Option<copy::Batch>,
) -> Result<copy::Counts, DbError> {
    if path.exists() {
        return Err(backend(format!(
            "{} already exists: a copy goes only into a new file or an empty data directory",
            path.display()
        )));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| backend(format!("creating {}: {e}", dir.display())))?;
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let result = write_partial(&partial, &mut receive).and_then(|counts| {
        std::fs::rename(&partial, path).map_err(|e| backend(format!("moving the copy to {}: {e}", path.display())))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| backend(format!("syncing {}: {e}", dir.display())))?;
        Ok(counts)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn write_partial(partial: &Path, receive: &mut impl FnMut() -> Option<copy::Batch>) -> Result<copy::Counts, DbError> {
    let mut conn = Connection::open(partial)?;
    // One self-contained file (no WAL beside it); a server switches it to WAL when it opens it.
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    upgrade(&mut conn, partial)?;
    let tx = conn.transaction()?;
    tx.execute_batch("DELETE FROM settings")?;
    let mut counts = copy::Counts::new();
    let mut insert: Option<(String, String)> = None;
    loop {
        match receive() {
            None => return Err(backend("the source stopped before sending everything: nothing was written")),
            Some(copy::Batch::End) => break,
            Some(copy::Batch::Table { name, columns }) => {
                let marks = (1..=columns.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
                insert =
                    Some((name.to_string(), format!("INSERT INTO {name} ({}) VALUES ({marks})", columns.join(", "))));
                counts.insert(name.to_string(), 0);
            }
            Some(copy::Batch::Rows(rows)) => {
                let Some((table, sql)) = &insert else {
                    return Err(backend("rows came before their table"));
                };
                let mut statement = tx.prepare_cached(sql)?;
                for row in &rows {
                    statement.execute(rusqlite::params_from_iter(row.iter()))?;
                }
                *counts.entry(table.clone()).or_default() += rows.len() as u64;
            }
        }
    }
    tx.commit()?;
    integrity_check(&conn, partial)?;
    drop(conn);
    std::fs::File::open(partial).and_then(|f| f.sync_all()).map_err(|e| backend(format!("syncing the copy: {e}")))?;
    Ok(counts)
}

fn writer_loop(conn: Connection, jobs: std::sync::mpsc::Receiver<Job>, spacing: Duration, commits: Arc<AtomicU64>) {
    let mut last_commit: Option<std::time::Instant> = None;
    while let Ok(first) = jobs.recv() {
        // Writes that come soon after a commit wait for the rest of `spacing` and go together.
        if let Some(wait) = last_commit.and_then(|at| spacing.checked_sub(at.elapsed())) {
            std::thread::sleep(wait);
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "sqlite: cannot begin a transaction; {} writes fail", batch.len());
            for job in batch {
                // Not run: outside a transaction its statements would commit one by one while
                // its caller hears that it failed.
                let (_, completion) = job(Err(backend(&e)));
                completion(Err(backend(&e)));
            }
            continue;
        }
        let mut completions = Vec::with_capacity(batch.len());
        for job in batch {
            let savepoint = conn.execute_batch("SAVEPOINT job");
            let (ok, completion) = match &savepoint {
                Ok(()) => job(Ok(&conn)),
                Err(e) => job(Err(backend(e))),
            };
            let end = if ok && savepoint.is_ok() {
                conn.execute_batch("RELEASE job")
            } else {
                conn.execute_batch("ROLLBACK TO job; RELEASE job")
            };
            completions.push((ok && savepoint.is_ok() && end.is_ok(), completion));
        }
        if let Some(delay) = fault_commit_delay() {
            std::thread::sleep(delay);
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, "sqlite: commit failed; nothing in this batch was stored");
            let _ = conn.execute_batch("ROLLBACK");
            backend(e)
        });
        last_commit = Some(std::time::Instant::now());
        commits.fetch_add(1, AtomicOrdering::Relaxed);
        for (ok, completion) in completions {
            // A failed job's completion reports its own error and ignores the commit.
            completion(if ok { committed.clone() } else { Ok(()) });
        }
    }
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        username: r.get(2)?,
        display_name: r.get(3)?,
        position: r.get(4)?,
        division: r.get(5)?,
        roles: roles_from_text(&r.get::<_, String>(6)?),
        password_hash: r.get(7)?,
        disabled: r.get::<_, i64>(8)? != 0,
        created_at: r.get(9)?,
        second_factor: r.get::<_, i64>(10)? != 0,
    })
}

const USER_COLUMNS: &str = "id, agency_id, username, display_name, position, division, roles, password_hash, \
     disabled, created_at, totp_secret IS NOT NULL";

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        token_hash: r.get(0)?,
        user_id: r.get(1)?,
        peer_id: r.get(2)?,
        actor_id: r.get(3)?,
        device: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        revoked: r.get::<_, i64>(7)? != 0,
        read_only: r.get::<_, i64>(8)? != 0,
    })
}

const SESSION_COLUMNS: &str =
    "token_hash, user_id, peer_id, actor_id, device, created_at, expires_at, revoked, read_only";

fn document_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentRow> {
    let kind: String = r.get(3)?;
    Ok(DocumentRow {
        doc_id: r.get(0)?,
        agency_id: r.get(1)?,
        year: r.get(2)?,
        kind: DocKind::parse(&kind).unwrap_or(DocKind::Directory),
        division: r.get(4)?,
        closed: r.get::<_, Option<i64>>(5)?.unwrap_or(0) != 0,
    })
}

/// The columns `document_from_row` reads, documents joined with their year's state.
const DOCUMENT_COLUMNS: &str = "d.doc_id, d.agency_id, d.year, d.kind, d.division, y.closed
     FROM documents d LEFT JOIN years y ON y.agency_id = d.agency_id AND y.year = d.year";

fn year_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<YearRow> {
    Ok(YearRow {
        agency_id: r.get(0)?,
        year: r.get(1)?,
        closed: r.get::<_, i64>(2)? != 0,
        reason: r.get(3)?,
        changed_at: r.get(4)?,
        changed_by: r.get(5)?,
        continues: r.get(6)?,
        ita_result: r.get(7)?,
    })
}

/// The smallest string greater than every string starting with `prefix`, for range scans.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

impl Database for Sqlite {
    async fn chunk_load(&self, key: String) -> Result<Option<Vec<u8>>, DbError> {
        self.read(move |c| Ok(c.query_row("SELECT data FROM chunks WHERE key = ?1", [key], |r| r.get(0)).optional()?))
            .await
    }

    async fn chunk_load_prefix(&self, prefix: String) -> Result<HashMap<String, Vec<u8>>, DbError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT key, data FROM chunks WHERE key >= ?1 AND key < ?2")?;
            let rows = stmt.query_map([&prefix, &prefix_end(&prefix)], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<HashMap<String, Vec<u8>>, _>>()?)
        })
        .await
    }

    /// The fence is not checked: a SQLite file is served by one process, whose leases all hold.
    async fn chunk_put(&self, key: String, data: Vec<u8>, _fence: Option<Lease>) -> Result<(), DbError> {
        self.write(move |c| {
            c.prepare_cached("INSERT OR REPLACE INTO chunks (key, data) VALUES (?1, ?2)")?
                .execute(params![key, data])?;
            Ok(())
        })
        .await
    }

    async fn chunk_delete(&self, key: String, _fence: Option<Lease>) -> Result<(), DbError> {
        self.write(move |c| {
            c.prepare_cached("DELETE FROM chunks WHERE key = ?1")?.execute([key])?;
            Ok(())
        })
        .await
    }

    async fn lease_acquire(
        &self,
        agency_id: String,
        node: Node,
        _ttl_ms: i64,
        _take_over: bool,
    ) -> Result<Result<Lease, Node>, DbError> {
        Ok(Ok(Lease { agency_id, node: node.name, token: 0 }))
    }

    async fn lease_renew(&self, _lease: Lease, _ttl_ms: i64) -> Result<bool, DbError> {
        Ok(true)
    }

    async fn lease_release(&self, _lease: Lease) -> Result<(), DbError> {
        Ok(())
    }

    async fn lease_holder(&self, _agency_id: String) -> Result<Option<Node>, DbError> {
        Ok(None)
    }

    /// One process serves a SQLite file: its own limiter (in memory) sees every guess.
    async fn login_guess_begin(
        &self,
        _keys: [String; 2],
        _limits: [i64; 2],
        _window_ms: i64,
    ) -> Result<Result<Option<Vec<i64>>, i64>, DbError> {
        Ok(Ok(None))
    }

    async fn login_guess_succeeded(&self, _account_key: String, _ids: Vec<i64>) -> Result<(), DbError> {
        Ok(())
    }

    async fn announce_access_changed(&self) -> Result<(), DbError> {
        Ok(())
    }

    async fn access_announcements(&self) -> Result<Option<tokio::sync::watch::Receiver<u64>>, DbError> {
        Ok(None)
    }

    /// One process serves a SQLite file: no other node to sign a request to.
    async fn cluster_secret(&self) -> Result<Option<Vec<u8>>, DbError> {
        Ok(None)
    }

    async fn agency_create(&self, agency: AgencyRow) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO agencies (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![agency.id, agency.name, agency.created_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn agency(&self, id: String) -> Result<Option<AgencyRow>, DbError> {
        self.read(move |c| {
            Ok(c.query_row("SELECT id, name, created_at FROM agencies WHERE id = ?1", [id], |r| {
                Ok(AgencyRow { id: r.get(0)?, name: r.get(1)?, created_at: r.get(2)? })
            })
            .optional()?)
        })
        .await
    }

    async fn agencies(&self) -> Result<Vec<AgencyRow>, DbError> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT id, name, created_at FROM agencies ORDER BY id")?;
            let rows =
                stmt.query_map([], |r| Ok(AgencyRow { id: r.get(0)?, name: r.get(1)?, created_at: r.get(2)? }))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn user_create(&self, user: NewUser) -> Result<UserRow, DbError> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO users (agency_id, username, display_name, position, division, roles, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    user.agency_id,
                    user.username,
                    user.display_name,
                    user.position,
                    user.division,
                    roles_to_text(&user.roles),
                    user.password_hash,
                    user.created_at
                ],
            )?;
            Ok(user.stored(c.last_insert_rowid()))
        })
        .await
    }

    async fn user_by_username(&self, username: String) -> Result<Option<UserRow>, DbError> {
        self.read(move |c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1");
            Ok(c.query_row(&sql, [username], user_from_row).optional()?)
        })
        .await
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>, DbError> {
        self.read(move |c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
            Ok(c.query_row(&sql, [id], user_from_row).optional()?)
        })
        .await
    }

    async fn users_of_agency(&self, agency_id: String) -> Result<Vec<UserRow>, DbError> {
        self.read(move |c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE agency_id = ?1 ORDER BY username");
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([agency_id], user_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn user_update(&self, id: i64, update: UserUpdate) -> Result<(), DbError> {
        self.write(move |c| {
            if let Some(v) = update.display_name {
                c.execute("UPDATE users SET display_name = ?1 WHERE id = ?2", params![v, id])?;
            }
            if let Some(v) = update.position {
                c.execute("UPDATE users SET position = ?1 WHERE id = ?2", params![v, id])?;
            }
            if let Some(v) = update.division {
                c.execute("UPDATE users SET division = ?1 WHERE id = ?2", params![v, id])?;
            }
            if let Some(v) = update.roles {
                c.execute("UPDATE users SET roles = ?1 WHERE id = ?2", params![roles_to_text(&v), id])?;
            }
            if let Some(v) = update.disabled {
                c.execute("UPDATE users SET disabled = ?1 WHERE id = ?2", params![i64::from(v), id])?;
            }
            Ok(())
        })
        .await
    }

    async fn user_set_password(&self, id: i64, password_hash: String) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", params![password_hash, id])?;
            Ok(())
        })
        .await
    }

    async fn user_totp(&self, user_id: i64) -> Result<TotpRow, DbError> {
        self.read(move |c| {
            let row = c
                .query_row(
                    "SELECT totp_secret, totp_pending, totp_last_step,
                       (SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL)
                     FROM users WHERE id = ?1",
                    [user_id],
                    |r| {
                        Ok(TotpRow {
                            secret: r.get(0)?,
                            pending: r.get(1)?,
                            last_step: r.get::<_, Option<i64>>(2)?.and_then(|s| u64::try_from(s).ok()),
                            recovery_codes_left: usize::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                        })
                    },
                )
                .optional()?;
            Ok(row.unwrap_or_default())
        })
        .await
    }

    async fn user_totp_pending(&self, user_id: i64, secret: Option<Vec<u8>>) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute("UPDATE users SET totp_pending = ?2 WHERE id = ?1", params![user_id, secret])?;
            Ok(())
        })
        .await
    }

    async fn user_totp_enable(
        &self,
        user_id: i64,
        step: u64,
        recovery_code_hashes: Vec<String>,
    ) -> Result<bool, DbError> {
        self.write(move |c| {
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            let changed = c.execute(
                "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ?2
                 WHERE id = ?1 AND totp_pending IS NOT NULL",
                params![user_id, step],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            c.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
            for hash in recovery_code_hashes {
                c.execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)", params![user_id, hash])?;
            }
            Ok(true)
        })
        .await
    }

    async fn user_totp_use_step(&self, user_id: i64, step: u64) -> Result<bool, DbError> {
        self.write(move |c| {
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            let changed = c.execute(
                "UPDATE users SET totp_last_step = ?2
                 WHERE id = ?1 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?2)",
                params![user_id, step],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn user_recovery_code_use(&self, user_id: i64, code_hash: String) -> Result<bool, DbError> {
        self.write(move |c| {
            let changed = c.execute(
                "UPDATE recovery_codes SET used_at = strftime('%s', 'now')
                 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
                params![user_id, code_hash],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn user_totp_clear(&self, user_id: i64) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute(
                "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = ?1",
                [user_id],
            )?;
            c.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
            Ok(())
        })
        .await
    }

    async fn session_create(&self, s: SessionRow) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    s.token_hash,
                    s.user_id,
                    s.peer_id,
                    s.actor_id,
                    s.device,
                    s.created_at,
                    s.expires_at,
                    i64::from(s.revoked),
                    i64::from(s.read_only)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn session_by_token_hash(&self, token_hash: String) -> Result<Option<SessionRow>, DbError> {
        self.read(move |c| {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1");
            Ok(c.query_row(&sql, [token_hash], session_from_row).optional()?)
        })
        .await
    }

    async fn session_by_peer(&self, peer_id: String) -> Result<Option<SessionRow>, DbError> {
        self.read(move |c| {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE peer_id = ?1");
            Ok(c.query_row(&sql, [peer_id], session_from_row).optional()?)
        })
        .await
    }

    async fn session_by_actor(&self, actor_id: String) -> Result<Option<SessionRow>, DbError> {
        self.read(move |c| {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE actor_id = ?1");
            Ok(c.query_row(&sql, [actor_id], session_from_row).optional()?)
        })
        .await
    }

    async fn sessions_of_user(&self, user_id: i64) -> Result<Vec<SessionRow>, DbError> {
        self.read(move |c| {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at, peer_id");
            let mut stmt = c.prepare(&sql)?;
            Ok(stmt.query_map([user_id], session_from_row)?.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn session_revoke(&self, token_hash: String) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute("UPDATE sessions SET revoked = 1 WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
        .await
    }

    async fn sessions_revoke_user(&self, user_id: i64) -> Result<Vec<String>, DbError> {
        self.write(move |c| {
            let mut stmt = c.prepare("SELECT peer_id FROM sessions WHERE user_id = ?1 AND revoked = 0")?;
            let peers = stmt.query_map([user_id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            c.execute("UPDATE sessions SET revoked = 1 WHERE user_id = ?1", [user_id])?;
            Ok(peers)
        })
        .await
    }

    async fn document_register(&self, row: DocumentRow) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO documents (doc_id, agency_id, year, kind, division) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.doc_id, row.agency_id, row.year, row.kind.as_str(), row.division],
            )?;
            Ok(())
        })
        .await
    }

    async fn documents_register(&self, rows: Vec<DocumentRow>) -> Result<(), DbError> {
        self.write(move |c| {
            // Each job runs in its own savepoint (`writer_loop`): a failed insert undoes them all.
            for row in &rows {
                c.execute(
                    "INSERT INTO documents (doc_id, agency_id, year, kind, division) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![row.doc_id, row.agency_id, row.year, row.kind.as_str(), row.division],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn document(&self, doc_id: String) -> Result<Option<DocumentRow>, DbError> {
        self.read(move |c| {
            Ok(c.query_row(&format!("SELECT {DOCUMENT_COLUMNS} WHERE d.doc_id = ?1"), [doc_id], document_from_row)
                .optional()?)
        })
        .await
    }

    async fn documents_of(&self, agency_id: String, year: i64) -> Result<Vec<DocumentRow>, DbError> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {DOCUMENT_COLUMNS} WHERE d.agency_id = ?1 AND d.year = ?2 ORDER BY d.kind, d.division"
            ))?;
            let rows = stmt.query_map(params![agency_id, year], document_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn years_of(&self, agency_id: String) -> Result<Vec<i64>, DbError> {
        self.read(move |c| {
            let mut stmt = c.prepare("SELECT DISTINCT year FROM documents WHERE agency_id = ?1 ORDER BY year")?;
            let rows = stmt.query_map([agency_id], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<i64>, _>>()?)
        })
        .await
    }

    async fn year_rows(&self, agency_id: String) -> Result<Vec<YearRow>, DbError> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT agency_id, year, closed, reason, changed_at, changed_by, continues, ita_result
                 FROM years WHERE agency_id = ?1 ORDER BY year",
            )?;
            let rows = stmt.query_map([agency_id], year_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn year_put(&self, row: YearRow) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO years
                 (agency_id, year, closed, reason, changed_at, changed_by, continues, ita_result)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    row.agency_id,
                    row.year,
                    i64::from(row.closed),
                    row.reason,
                    row.changed_at,
                    row.changed_by,
                    row.continues,
                    row.ita_result
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn agency_profile(&self, agency_id: String) -> Result<Option<String>, DbError> {
        self.read(move |c| {
            Ok(c.query_row("SELECT profile FROM agencies WHERE id = ?1", [agency_id], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten())
        })
        .await
    }

    async fn agency_set_profile(&self, agency_id: String, json: String) -> Result<(), DbError> {
        self.write(move |c| {
            let changed = c.execute("UPDATE agencies SET profile = ?2 WHERE id = ?1", params![agency_id, json])?;
            if changed == 0 {
                return Err(DbError::Backend(format!("no agency {agency_id}")));
            }
            Ok(())
        })
        .await
    }

    async fn blob_put(&self, agency_id: String, sha256: String, blob: BlobRow) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO blobs (agency_id, sha256, media_type, data) VALUES (?1, ?2, ?3, ?4)",
                params![agency_id, sha256, blob.media_type, blob.data],
            )?;
            Ok(())
        })
        .await
    }

    async fn blob_get(&self, agency_id: String, sha256: String) -> Result<Option<BlobRow>, DbError> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT media_type, data FROM blobs WHERE agency_id = ?1 AND sha256 = ?2",
                [agency_id, sha256],
                |r| Ok(BlobRow { media_type: r.get(0)?, data: r.get(1)? }),
            )
            .optional()?)
        })
        .await
    }

    async fn blob_usage(&self, agency_id: String) -> Result<u64, DbError> {
        self.read(move |c| {
            // length() of a blob is read from its record header, not its content.
            let bytes: i64 = c.query_row(
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blobs WHERE agency_id = ?1",
                [agency_id],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(bytes).unwrap_or(0))
        })
        .await
    }

    async fn blob_exists(&self, agency_id: String, sha256: String) -> Result<bool, DbError> {
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT 1 FROM blobs WHERE agency_id = ?1 AND sha256 = ?2")?
                .exists([agency_id, sha256])?)
        })
        .await
    }

    async fn audit_append(&self, agency_id: String, entry: AuditEntry) -> Result<i64, DbError> {
        self.write(move |c| {
            let action = audit_action_to_text(entry.action);
            c.execute(
                "INSERT INTO audit_log (agency_id, at, actor, session, action, target, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    agency_id,
                    entry.at,
                    entry.actor,
                    entry.session,
                    action,
                    entry.target,
                    entry.detail.to_string()
                ],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    async fn audit_list(
        &self,
        agency_id: String,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, DbError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, actor, session, action, target, detail FROM audit_log
                 WHERE agency_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![agency_id, before.unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    let action: String = r.get(4)?;
                    let detail: String = r.get(6)?;
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        session: r.get(3)?,
                        action: audit_action_from_text(action),
                        target: r.get(5)?,
                        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                    })
                },
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn setting(&self, key: String) -> Result<Option<String>, DbError> {
        self.read(move |c| {
            Ok(c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        })
        .await
    }

    async fn set_setting(&self, key: String, value: String) -> Result<(), DbError> {
        self.write(move |c| {
            c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)", [key, value])?;
            Ok(())
        })
        .await
    }

    /// On the one writer connection, inside its batch's transaction: no other write, of this
    /// process or another, comes between the read and the write.
    async fn setting_update(&self, key: String, change: SettingChange) -> Result<String, DbError> {
        self.write(move |c| {
            let now: Option<String> =
                c.query_row("SELECT value FROM settings WHERE key = ?1", [&key], |r| r.get(0)).optional()?;
            let value = change(now);
            c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)", [&key, &value])?;
            Ok(value)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Devices writing all the time: the writes that come while the writer waits out the spacing
    // after a commit go in one transaction (one fsync), and every one is stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_that_come_soon_after_a_commit_share_the_next_one() {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let db = Sqlite::open_spaced(dir.path(), Duration::from_millis(200)).expect("opens");
        db.chunk_put("first".into(), vec![0], None).await.expect("stored");
        // A write right after a commit is held for the rest of the spacing (the next writes
        // would join it), not committed on its own at once.
        let sent = std::time::Instant::now();
        db.chunk_put("second".into(), vec![0], None).await.expect("stored");
        assert!(sent.elapsed() >= Duration::from_millis(100), "committed after {:?}", sent.elapsed());
        let before = db.commits();
        // Eight devices, four writes each, each write sent when the last one is confirmed.
        let devices: Vec<_> = (0..8u8)
            .map(|d| {
                let db = db.clone();
                tokio::spawn(async move {
                    for n in 0..4u8 {
                        db.chunk_put(format!("d{d}-{n}"), vec![d, n], None).await.expect("stored");
                    }
                })
            })
            .collect();
        for device in devices {
            device.await.expect("the device wrote");
        }
        let commits = db.commits() - before;
        // One commit per round of the eight devices' writes, not one per write or two.
        assert!(commits <= 5, "32 writes from 8 devices took {commits} commits");
        for d in 0..8u8 {
            for n in 0..4u8 {
                assert_eq!(db.chunk_load(format!("d{d}-{n}")).await.expect("read"), Some(vec![d, n]));
            }
        }
    }
}
