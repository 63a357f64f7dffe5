//! The device's local storage: one SQLite file in the app's data directory (WAL,
//! `synchronous=FULL`), holding samod's chunks, the changes not yet confirmed by the server, and
//! small cached values (the documents list, for working offline).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use prongsai_core::automerge::ChangeHash;
use prongsai_core::durability::StoredIndex;
use rusqlite::{Connection, OptionalExtension, params};
use samod::storage::StorageKey;

/// A local storage failure: the disk is full or the file is damaged.
#[derive(Debug, Clone, thiserror::Error)]
#[error("local storage: {0}")]
pub struct LocalStorageError(pub String);

impl From<rusqlite::Error> for LocalStorageError {
    fn from(e: rusqlite::Error) -> Self {
        LocalStorageError(e.to_string())
    }
}

#[derive(Clone)]
pub struct LocalStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// The change hashes written since this storage was opened: an edit waits for its own new
    /// changes only, so what was on disk before (read by samod when it loads a document) need
    /// not be parsed at startup.
    stored: Mutex<StoredIndex>,
    commits: tokio::sync::watch::Sender<u64>,
    failed: Mutex<Option<String>>,
}

impl LocalStorage {
    pub fn open(dir: &Path) -> Result<LocalStorage, LocalStorageError> {
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
        let (commits, _) = tokio::sync::watch::channel(0);
        Ok(LocalStorage {
            inner: Arc::new(Inner {
                path,
                conn: Mutex::new(conn),
                stored: Mutex::new(StoredIndex::default()),
                commits,
                failed: Mutex::new(None),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LocalStorageError> + Send + 'static,
    ) -> Result<T, LocalStorageError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.conn.lock().map_err(|_| LocalStorageError("storage lock poisoned".into()))?;
            f(&conn)
        })
        .await
        .map_err(|e| LocalStorageError(e.to_string()))?
    }

    /// The last write failure, if any; edits are not "saved" while this is set.
    pub fn failure(&self) -> Option<String> {
        self.inner.failed.lock().ok().and_then(|f| f.clone())
    }

    fn fail(&self, e: &LocalStorageError) {
        tracing::error!(error = %e, "local storage write failed");
        if let Ok(mut failed) = self.inner.failed.lock() {
            *failed = Some(e.to_string());
        }
        self.inner.commits.send_modify(|n| *n += 1);
    }

    /// True when every hash was written to this device's disk since it was opened.
    pub fn is_stored(&self, doc_id: &str, heads: &[ChangeHash]) -> bool {
        self.inner.stored.lock().is_ok_and(|s| s.contains_all(doc_id, heads))
    }

    /// Waits until every hash is on this device's disk (or the storage fails).
    pub async fn wait_stored(&self, doc_id: &str, heads: &[ChangeHash]) -> Result<(), LocalStorageError> {
        let mut commits = self.inner.commits.subscribe();
        loop {
            commits.borrow_and_update();
            if self.is_stored(doc_id, heads) {
                return Ok(());
            }
            if let Some(failure) = self.failure() {
                return Err(LocalStorageError(failure));
            }
            commits.changed().await.map_err(|_| LocalStorageError("storage closed".into()))?;
        }
    }

    pub async fn add_pending(&self, doc_id: &str, hashes: &[ChangeHash]) -> Result<(), LocalStorageError> {
        let doc_id = doc_id.to_string();
        let hashes: Vec<String> = hashes.iter().map(ChangeHash::to_string).collect();
        // One transaction (one fsync) for the whole set: a day's offline edits are a thousand rows.
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            {
                let mut stmt =
                    tx.prepare_cached("INSERT OR IGNORE INTO pending (doc_id, change_hash) VALUES (?1, ?2)")?;
                for h in hashes {
                    stmt.execute(params![doc_id, h])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn remove_pending(&self, doc_id: &str, hashes: &[ChangeHash]) -> Result<(), LocalStorageError> {
        let doc_id = doc_id.to_string();
        let hashes: Vec<String> = hashes.iter().map(ChangeHash::to_string).collect();
        // One transaction (one fsync) for the whole set: a day's offline edits are a thousand rows.
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            {
                let mut stmt = tx.prepare_cached("DELETE FROM pending WHERE doc_id = ?1 AND change_hash = ?2")?;
                for h in hashes {
                    stmt.execute(params![doc_id, h])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Local changes the server has not confirmed, per document.
    pub async fn pending(&self) -> Result<HashMap<String, Vec<ChangeHash>>, LocalStorageError> {
        self.blocking(|c| {
            let mut stmt = c.prepare_cached("SELECT doc_id, change_hash FROM pending")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut out: HashMap<String, Vec<ChangeHash>> = HashMap::new();
            for row in rows {
                let (doc, hash) = row?;
                if let Ok(hash) = hash.parse() {
                    out.entry(doc).or_default().push(hash);
                }
            }
            Ok(out)
        })
        .await
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, LocalStorageError> {
        let key = key.to_string();
        self.blocking(move |c| {
            Ok(c.query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        })
        .await
    }

    pub async fn set(&self, key: &str, value: &str) -> Result<(), LocalStorageError> {
        let (key, value) = (key.to_string(), value.to_string());
        self.blocking(move |c| {
            c.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)", [key, value])?;
            Ok(())
        })
        .await
    }

    /// Moves pending changes the server will never accept to the refused list.
    pub async fn refuse(&self, doc_id: &str, hashes: &[ChangeHash]) -> Result<(), LocalStorageError> {
        let doc_id = doc_id.to_string();
        let hashes: Vec<String> = hashes.iter().map(ChangeHash::to_string).collect();
        self.blocking(move |c| {
            for hash in &hashes {
                c.execute(
                    "INSERT OR IGNORE INTO refused (doc_id, change_hash) VALUES (?1, ?2)",
                    params![doc_id, hash],
                )?;
                c.execute("DELETE FROM pending WHERE doc_id = ?1 AND change_hash = ?2", params![doc_id, hash])?;
            }
            Ok(())
        })
        .await
    }

    pub async fn refused_count(&self) -> Result<usize, LocalStorageError> {
        self.blocking(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM refused", [], |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// Keeps an evidence file on this device until it is uploaded.
    pub async fn queue_upload(&self, sha256: &str, media_type: &str, data: Vec<u8>) -> Result<(), LocalStorageError> {
        let (sha256, media_type) = (sha256.to_string(), media_type.to_string());
        self.blocking(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO uploads (sha256, media_type, data, uploaded) VALUES (?1, ?2, ?3, 0)",
                params![sha256, media_type, data],
            )?;
            Ok(())
        })
        .await
    }

    /// Files waiting for upload: (sha256, media type).
    pub async fn uploads_waiting(&self) -> Result<Vec<(String, String)>, LocalStorageError> {
        self.blocking(|c| {
            let mut stmt =
                c.prepare_cached("SELECT sha256, media_type FROM uploads WHERE uploaded = 0 ORDER BY rowid")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// A file kept on this device (uploaded or not).
    pub async fn local_file(&self, sha256: &str) -> Result<Option<Vec<u8>>, LocalStorageError> {
        let sha256 = sha256.to_string();
        self.blocking(move |c| {
            Ok(c.query_row("SELECT data FROM uploads WHERE sha256 = ?1", [sha256], |r| r.get(0)).optional()?)
        })
        .await
    }

    pub async fn mark_uploaded(&self, sha256: &str) -> Result<(), LocalStorageError> {
        let sha256 = sha256.to_string();
        self.blocking(move |c| {
            c.execute("UPDATE uploads SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
            Ok(())
        })
        .await
    }

    /// True when this device has chunks of the document.
    pub fn has_document(&self, doc_id: &str) -> bool {
        let Ok(conn) = self.inner.conn.lock() else { return false };
        let (from, to) = key_range(doc_id);
        conn.query_row("SELECT 1 FROM chunks WHERE key >= ?1 AND key < ?2 LIMIT 1", [from, to], |_| Ok(()))
            .optional()
            .is_ok_and(|found| found.is_some())
    }
}

/// The chunk keys under a prefix ("" for all), as a half-open range.
fn key_range(prefix: &str) -> (String, String) {
    if prefix.is_empty() {
        (String::new(), "\u{10FFFF}".to_string())
    } else {
        (format!("{prefix}/"), format!("{prefix}/\u{10FFFF}"))
    }
}

impl samod::storage::Storage for LocalStorage {
    async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
        let key = key.to_string();
        self.blocking(move |c| {
            Ok(c.query_row("SELECT data FROM chunks WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        })
        .await
        .unwrap_or_else(|e| {
            self.fail(&e);
            None
        })
    }

    async fn load_range(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
        let (from, to) = key_range(&prefix.to_string());
        let rows = self
            .blocking(move |c| {
                let mut stmt = c.prepare_cached("SELECT key, data FROM chunks WHERE key >= ?1 AND key < ?2")?;
                let rows = stmt.query_map([from, to], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap_or_else(|e| {
                self.fail(&e);
                Vec::new()
            });
        rows.into_iter().filter_map(|(k, v)| StorageKey::from_parts(k.split('/')).ok().map(|k| (k, v))).collect()
    }

    async fn put(&self, key: StorageKey, data: Vec<u8>) {
        let text = key.to_string();
        let (k, d) = (text.clone(), data.clone());
        let result = self
            .blocking(move |c| {
                c.prepare_cached("INSERT OR REPLACE INTO chunks (key, data) VALUES (?1, ?2)")?
                    .execute(params![k, d])?;
                Ok(())
            })
            .await;
        match result {
            Ok(()) => {
                let parsed = crate::platform::offload(move || prongsai_core::durability::chunk_changes(&text, &data))
                    .await
                    .flatten();
                if let (Some((doc, hashes)), Ok(mut stored)) = (parsed, self.inner.stored.lock()) {
                    stored.extend(&doc, hashes);
                }
                self.inner.commits.send_modify(|n| *n += 1);
            }
            Err(e) => self.fail(&e),
        }
    }

    async fn delete(&self, key: StorageKey) {
        if self.failure().is_some() {
            return; // never delete what a failed compaction was meant to replace
        }
        let key = key.to_string();
        if let Err(e) = self
            .blocking(move |c| {
                c.execute("DELETE FROM chunks WHERE key = ?1", [key])?;
                Ok(())
            })
            .await
        {
            self.fail(&e);
        }
    }
}
