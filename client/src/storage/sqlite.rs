//! The device's storage natively: one SQLite file in the app's data directory (WAL,
//! `synchronous=FULL`), its blocking calls on tokio's blocking threads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

use super::{LocalStorageError, Store};

impl From<rusqlite::Error> for LocalStorageError {
    fn from(e: rusqlite::Error) -> Self {
        LocalStorageError(e.to_string())
    }
}

pub(crate) struct SqliteStore {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    pub(crate) fn open(dir: &Path) -> Result<SqliteStore, LocalStorageError> {
        std::fs::create_dir_all(dir).map_err(|e| LocalStorageError(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join("device.sqlite3");
        let conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS chunks (key TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS pending (doc_id TEXT NOT NULL, change_hash TEXT NOT NULL,
                 PRIMARY KEY (doc_id, change_hash)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS refused (doc_id TEXT NOT NULL, change_hash TEXT NOT NULL,
                 PRIMARY KEY (doc_id, change_hash)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS uploads (sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL,
                 data BLOB NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0);",
        )?;
        Ok(SqliteStore { path, conn: Arc::new(Mutex::new(conn)) })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LocalStorageError> + Send + 'static,
    ) -> Result<T, LocalStorageError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().map_err(|_| LocalStorageError("storage lock poisoned".into()))?;
            f(&conn)
        })
        .await
        .map_err(|e| LocalStorageError(e.to_string()))?
    }

    /// Runs `sql` once per hash in one transaction (one fsync): a day's offline edits are a
    /// thousand rows.
    async fn per_hash(
        &self,
        sql: &'static [&'static str],
        doc_id: String,
        hashes: Vec<String>,
    ) -> Result<(), LocalStorageError> {
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            for statement in sql {
                let mut stmt = tx.prepare_cached(statement)?;
                for h in &hashes {
                    stmt.execute(params![doc_id, h])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

impl Store for SqliteStore {
    async fn load(&self, key: String) -> Result<Option<Vec<u8>>, LocalStorageError> {
        self.blocking(move |c| {
            Ok(c.query_row("SELECT data FROM chunks WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        })
        .await
    }

    async fn load_range(&self, from: String, to: String) -> Result<Vec<(String, Vec<u8>)>, LocalStorageError> {
        self.load_ranges(vec![(from, to)]).await
    }

    async fn load_ranges(&self, ranges: Vec<(String, String)>) -> Result<Vec<(String, Vec<u8>)>, LocalStorageError> {
        self.blocking(move |c| {
            let mut stmt = c.prepare_cached("SELECT key, data FROM chunks WHERE key >= ?1 AND key < ?2")?;
            let mut rows = Vec::new();
            for (from, to) in ranges {
                for row in stmt.query_map([from, to], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))? {
                    rows.push(row?);
                }
            }
            Ok(rows)
        })
        .await
    }

    async fn put(&self, key: String, data: Vec<u8>) -> Result<(), LocalStorageError> {
        self.blocking(move |c| {
            c.prepare_cached("INSERT OR REPLACE INTO chunks (key, data) VALUES (?1, ?2)")?
                .execute(params![key, data])?;
            Ok(())
        })
        .await
    }

    async fn delete(&self, key: String) -> Result<(), LocalStorageError> {
        self.blocking(move |c| {
            c.execute("DELETE FROM chunks WHERE key = ?1", [key])?;
            Ok(())
        })
        .await
    }

    async fn keys(&self) -> Result<Vec<String>, LocalStorageError> {
        self.blocking(|c| {
            let mut stmt = c.prepare_cached("SELECT key FROM chunks")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn add_pending(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError> {
        self.per_hash(&["INSERT OR IGNORE INTO pending (doc_id, change_hash) VALUES (?1, ?2)"], doc_id, hashes).await
    }

    async fn remove_pending(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError> {
        self.per_hash(&["DELETE FROM pending WHERE doc_id = ?1 AND change_hash = ?2"], doc_id, hashes).await
    }

    async fn pending(&self) -> Result<Vec<(String, String)>, LocalStorageError> {
        self.blocking(|c| {
            let mut stmt = c.prepare_cached("SELECT doc_id, change_hash FROM pending")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn refuse(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError> {
        self.per_hash(
            &[
                "INSERT OR IGNORE INTO refused (doc_id, change_hash) VALUES (?1, ?2)",
                "DELETE FROM pending WHERE doc_id = ?1 AND change_hash = ?2",
            ],
            doc_id,
            hashes,
        )
        .await
    }

    async fn refused_count(&self) -> Result<usize, LocalStorageError> {
        self.blocking(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM refused", [], |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn get(&self, key: String) -> Result<Option<String>, LocalStorageError> {
        self.blocking(move |c| {
            Ok(c.query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        })
        .await
    }

    async fn set(&self, key: String, value: String) -> Result<(), LocalStorageError> {
        self.blocking(move |c| {
            c.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)", [key, value])?;
            Ok(())
        })
        .await
    }

    async fn queue_upload(&self, sha256: String, media_type: String, data: Vec<u8>) -> Result<(), LocalStorageError> {
        self.blocking(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO uploads (sha256, media_type, data, uploaded) VALUES (?1, ?2, ?3, 0)",
                params![sha256, media_type, data],
            )?;
            Ok(())
        })
        .await
    }

    async fn uploads_waiting(&self) -> Result<Vec<(String, String)>, LocalStorageError> {
        self.blocking(|c| {
            let mut stmt =
                c.prepare_cached("SELECT sha256, media_type FROM uploads WHERE uploaded = 0 ORDER BY rowid")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn local_file(&self, sha256: String) -> Result<Option<Vec<u8>>, LocalStorageError> {
        self.blocking(move |c| {
            Ok(c.query_row("SELECT data FROM uploads WHERE sha256 = ?1", [sha256], |r| r.get(0)).optional()?)
        })
        .await
    }

    async fn mark_uploaded(&self, sha256: String) -> Result<(), LocalStorageError> {
        self.blocking(move |c| {
            c.execute("UPDATE uploads SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
            Ok(())
        })
        .await
    }
}
