//! The device's local storage: samod's chunks, the changes the server has not confirmed, the
//! ones it refused, small cached values (the documents list, for working offline) and evidence
//! files waiting for upload.
//!
//! Where the bytes go is the platform's ([`Store`]: one SQLite file natively, IndexedDB in a
//! browser); what the bytes mean is here, once, for every platform: when a change counts as
//! saved on this device, which documents are here, and that a failed write stops anything from
//! counting as saved afterwards.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use prongsai_core::automerge::ChangeHash;
use prongsai_core::durability::StoredIndex;
use samod::storage::StorageKey;

#[cfg(not(target_arch = "wasm32"))]
mod sqlite;

#[cfg(not(target_arch = "wasm32"))]
type PlatformStore = sqlite::SqliteStore;

#[cfg(target_arch = "wasm32")]
mod indexed;

#[cfg(target_arch = "wasm32")]
type PlatformStore = indexed::IdbStore;

/// A local storage failure: the disk is full or the file is damaged.
#[derive(Debug, Clone, thiserror::Error)]
#[error("local storage: {0}")]
pub struct LocalStorageError(pub String);

/// Where a platform keeps the device's data. Every write is durable when its future resolves
/// (SQLite: committed with `synchronous=FULL`; IndexedDB: a `strict` transaction completed).
/// Chunk keys are samod's `StorageKey`s as text (`doc/kind/hash`).
#[allow(async_fn_in_trait)] // each platform has one store, used by its concrete type
pub(crate) trait Store {
    async fn load(&self, key: String) -> Result<Option<Vec<u8>>, LocalStorageError>;
    /// The chunks with `from <= key < to`.
    async fn load_range(&self, from: String, to: String) -> Result<Vec<(String, Vec<u8>)>, LocalStorageError>;
    /// The chunks of every half-open range, read together (one IndexedDB transaction).
    async fn load_ranges(&self, ranges: Vec<(String, String)>) -> Result<Vec<(String, Vec<u8>)>, LocalStorageError>;
    async fn put(&self, key: String, data: Vec<u8>) -> Result<(), LocalStorageError>;
    async fn delete(&self, key: String) -> Result<(), LocalStorageError>;
    /// Every chunk key (read once, when the device opens: which documents are here).
    async fn keys(&self) -> Result<Vec<String>, LocalStorageError>;

    /// Adds (doc, hash) pairs to the pending set, all or none.
    async fn add_pending(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError>;
    async fn remove_pending(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError>;
    async fn pending(&self) -> Result<Vec<(String, String)>, LocalStorageError>;
    /// Moves (doc, hash) pairs from pending to refused, all or none.
    async fn refuse(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError>;
    async fn refused_count(&self) -> Result<usize, LocalStorageError>;

    async fn get(&self, key: String) -> Result<Option<String>, LocalStorageError>;
    async fn set(&self, key: String, value: String) -> Result<(), LocalStorageError>;

    /// Keeps a file until it is uploaded; a file already kept stays as it is.
    async fn queue_upload(&self, sha256: String, media_type: String, data: Vec<u8>) -> Result<(), LocalStorageError>;
    /// Files not yet uploaded, oldest first: (sha256, media type).
    async fn uploads_waiting(&self) -> Result<Vec<(String, String)>, LocalStorageError>;
    async fn local_file(&self, sha256: String) -> Result<Option<Vec<u8>>, LocalStorageError>;
    async fn mark_uploaded(&self, sha256: String) -> Result<(), LocalStorageError>;
}

#[derive(Clone)]
pub struct LocalStorage {
    inner: Arc<Inner>,
}

struct Inner {
    store: PlatformStore,
    /// The change hashes written since this storage was opened: an edit waits for its own new
    /// changes only, so what was on disk before (read by samod when it loads a document) need
    /// not be parsed at startup.
    stored: Mutex<StoredIndex>,
    /// The documents with chunks here (answered without a query: the app asks for every
    /// document of the year when it decides what it can show offline).
    documents: Mutex<HashSet<String>>,
    commits: tokio::sync::watch::Sender<u64>,
    failed: Mutex<Option<String>>,
    ahead: Mutex<ReadAhead>,
    /// Bumped when a read-ahead ends.
    ahead_done: tokio::sync::watch::Sender<u64>,
}

/// Chunks read before samod asks for them ([`LocalStorage::read_ahead`]).
#[derive(Default)]
struct ReadAhead {
    /// Documents being read: samod's loads of them wait for the read.
    pending: HashSet<String>,
    /// Documents written while being read: what was read of them may be out of date.
    stale: HashSet<String>,
    /// What was read, per document, until samod asks for it.
    ready: HashMap<String, Ahead>,
}

struct Ahead {
    chunks: Vec<(String, Vec<u8>)>,
    /// The prefixes already answered: a second load of the same prefix (samod loading the
    /// document again after unloading it) reads the storage itself.
    served: HashSet<String>,
}

impl LocalStorage {
    /// Opens (creating) the device's database in the app's data directory.
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn open(dir: &std::path::Path) -> Result<LocalStorage, LocalStorageError> {
        let dir = dir.to_path_buf();
        let store = crate::platform::offload(move || sqlite::SqliteStore::open(&dir))
            .await
            .ok_or_else(|| LocalStorageError("opening the local database panicked".into()))??;
        LocalStorage::over(store).await
    }

    /// The database file (natively).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn path(&self) -> &std::path::Path {
        self.inner.store.path()
    }

    /// Opens (creating) the device's IndexedDB database (in a browser), named by the data
    /// "directory": one database per device of the origin.
    #[cfg(target_arch = "wasm32")]
    pub async fn open(dir: &std::path::Path) -> Result<LocalStorage, LocalStorageError> {
        LocalStorage::over(indexed::IdbStore::open(&dir.to_string_lossy()).await?).await
    }

    /// samod's repo over this storage, on the platform's runtime (tokio; the browser's event
    /// loop).
    pub async fn repo(&self, peer_id: samod::PeerId) -> samod::Repo {
        let builder =
            samod::RepoBuilder::new(crate::platform::runtime()).with_storage(self.clone()).with_peer_id(peer_id);
        #[cfg(not(target_arch = "wasm32"))]
        return builder.load().await;
        #[cfg(target_arch = "wasm32")]
        return builder.load_local().await;
    }

    async fn over(store: PlatformStore) -> Result<LocalStorage, LocalStorageError> {
        let documents = store.keys().await?.iter().filter_map(|k| document_of(k)).map(str::to_string).collect();
        let (commits, _) = tokio::sync::watch::channel(0);
        Ok(LocalStorage {
            inner: Arc::new(Inner {
                store,
                stored: Mutex::new(StoredIndex::default()),
                documents: Mutex::new(documents),
                commits,
                failed: Mutex::new(None),
                ahead: Mutex::new(ReadAhead::default()),
                ahead_done: tokio::sync::watch::channel(0).0,
            }),
        })
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
        self.inner.store.add_pending(doc_id.to_string(), texts(hashes)).await
    }

    pub async fn remove_pending(&self, doc_id: &str, hashes: &[ChangeHash]) -> Result<(), LocalStorageError> {
        self.inner.store.remove_pending(doc_id.to_string(), texts(hashes)).await
    }

    /// Local changes the server has not confirmed, per document.
    pub async fn pending(&self) -> Result<HashMap<String, Vec<ChangeHash>>, LocalStorageError> {
        let mut out: HashMap<String, Vec<ChangeHash>> = HashMap::new();
        for (doc, hash) in self.inner.store.pending().await? {
            if let Ok(hash) = hash.parse() {
                out.entry(doc).or_default().push(hash);
            }
        }
        Ok(out)
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, LocalStorageError> {
        self.inner.store.get(key.to_string()).await
    }

    pub async fn set(&self, key: &str, value: &str) -> Result<(), LocalStorageError> {
        self.inner.store.set(key.to_string(), value.to_string()).await
    }

    /// Moves pending changes the server will never accept to the refused list.
    pub async fn refuse(&self, doc_id: &str, hashes: &[ChangeHash]) -> Result<(), LocalStorageError> {
        self.inner.store.refuse(doc_id.to_string(), texts(hashes)).await
    }

    pub async fn refused_count(&self) -> Result<usize, LocalStorageError> {
        self.inner.store.refused_count().await
    }

    /// Keeps an evidence file on this device until it is uploaded.
    pub async fn queue_upload(&self, sha256: &str, media_type: &str, data: Vec<u8>) -> Result<(), LocalStorageError> {
        self.inner.store.queue_upload(sha256.to_string(), media_type.to_string(), data).await
    }

    /// Files waiting for upload, oldest first: (sha256, media type).
    pub async fn uploads_waiting(&self) -> Result<Vec<(String, String)>, LocalStorageError> {
        self.inner.store.uploads_waiting().await
    }

    /// A file kept on this device (uploaded or not).
    pub async fn local_file(&self, sha256: &str) -> Result<Option<Vec<u8>>, LocalStorageError> {
        self.inner.store.local_file(sha256.to_string()).await
    }

    pub async fn mark_uploaded(&self, sha256: &str) -> Result<(), LocalStorageError> {
        self.inner.store.mark_uploaded(sha256.to_string()).await
    }

    /// True when this device has chunks of the document.
    pub fn has_document(&self, doc_id: &str) -> bool {
        self.inner.documents.lock().is_ok_and(|d| d.contains(doc_id))
    }

    async fn load_chunk(&self, key: StorageKey) -> Option<Vec<u8>> {
        self.inner.store.load(key.to_string()).await.unwrap_or_else(|e| {
            self.fail(&e);
            None
        })
    }

    /// Reads every chunk of `docs` (those on this device) in one request and keeps them until
    /// samod loads the documents: a device opening reads the year it is about to show while the
    /// app starts. In a browser this matters: IndexedDB answers each request in a task of its
    /// own, and samod asks twice per document (22 requests for the sample agency-year).
    /// What was read is kept until the app has read its year ([`LocalStorage::end_read_ahead`]),
    /// a load asks for the same prefix again, or a document is written; a failed read leaves
    /// samod to read the documents itself.
    pub async fn read_ahead(&self, docs: Vec<String>) {
        let docs: Vec<String> = docs.into_iter().filter(|d| self.has_document(d)).collect();
        {
            let Ok(mut ahead) = self.inner.ahead.lock() else { return };
            if !ahead.pending.is_empty() {
                return; // one read-ahead at a time
            }
            ahead.ready.clear();
            ahead.pending = docs.iter().cloned().collect();
        }
        let read = self.inner.store.load_ranges(docs.iter().map(|d| key_range(d)).collect()).await;
        let mut by_doc: HashMap<String, Vec<(String, Vec<u8>)>> = HashMap::new();
        match read {
            Ok(rows) => {
                by_doc = docs.into_iter().map(|d| (d, Vec::new())).collect();
                for (key, data) in rows {
                    if let Some(chunks) = document_of(&key).and_then(|d| by_doc.get_mut(d)) {
                        chunks.push((key, data));
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "reading ahead failed; samod reads the documents itself"),
        }
        if let Ok(mut ahead) = self.inner.ahead.lock() {
            let stale = std::mem::take(&mut ahead.stale);
            for (doc, chunks) in by_doc.into_iter().filter(|(d, _)| !stale.contains(d)) {
                ahead.ready.insert(doc, Ahead { chunks, served: HashSet::new() });
            }
            ahead.pending.clear();
        }
        self.inner.ahead_done.send_modify(|n| *n += 1);
    }

    /// The read-ahead chunks under `prefix`, once its document's read is done; `None` when
    /// samod must read the storage itself.
    async fn read_from_ahead(&self, prefix: &str) -> Option<Vec<(String, Vec<u8>)>> {
        let doc = prefix.split('/').next().filter(|d| !d.is_empty())?;
        let mut done = self.inner.ahead_done.subscribe();
        loop {
            {
                let mut ahead = self.inner.ahead.lock().ok()?;
                if !ahead.pending.contains(doc) {
                    let entry = ahead.ready.get_mut(doc)?;
                    if !entry.served.insert(prefix.to_string()) {
                        ahead.ready.remove(doc);
                        return None;
                    }
                    // Copies, so that loads of overlapping prefixes each get all they cover.
                    let within = format!("{prefix}/");
                    let rows = entry.chunks.iter().filter(|(key, _)| key.starts_with(&within)).cloned().collect();
                    return Some(rows);
                }
            }
            done.changed().await.ok()?;
        }
    }

    /// Drops what was read ahead and not yet asked for (the app has read its year).
    pub fn end_read_ahead(&self) {
        if let Ok(mut ahead) = self.inner.ahead.lock() {
            ahead.ready.clear();
        }
    }

    /// A write to `doc`'s chunks: what was read ahead of it is out of date.
    fn touched(&self, doc: &str) {
        if let Ok(mut ahead) = self.inner.ahead.lock() {
            ahead.ready.remove(doc);
            if ahead.pending.contains(doc) {
                ahead.stale.insert(doc.to_string());
            }
        }
    }

    async fn load_chunks(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
        let prefix = prefix.to_string();
        let rows = match self.read_from_ahead(&prefix).await {
            Some(rows) => rows,
            None => {
                let (from, to) = key_range(&prefix);
                self.inner.store.load_range(from, to).await.unwrap_or_else(|e| {
                    self.fail(&e);
                    Vec::new()
                })
            }
        };
        rows.into_iter().filter_map(|(k, v)| StorageKey::from_parts(k.split('/')).ok().map(|k| (k, v))).collect()
    }

    async fn put_chunk(&self, key: StorageKey, data: Vec<u8>) {
        let text = key.to_string();
        if let Some(doc) = document_of(&text) {
            self.touched(doc);
        }
        match self.inner.store.put(text.clone(), data.clone()).await {
            Ok(()) => {
                if let (Some(doc), Ok(mut documents)) = (document_of(&text), self.inner.documents.lock()) {
                    documents.insert(doc.to_string());
                }
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

    async fn delete_chunk(&self, key: StorageKey) {
        if self.failure().is_some() {
            return; // never delete what a failed compaction was meant to replace
        }
        let text = key.to_string();
        if let Some(doc) = document_of(&text) {
            self.touched(doc);
        }
        // The document stays listed: samod deletes chunks only once a compacted one replaced them.
        if let Err(e) = self.inner.store.delete(text).await {
            self.fail(&e);
        }
    }
}

fn texts(hashes: &[ChangeHash]) -> Vec<String> {
    hashes.iter().map(ChangeHash::to_string).collect()
}

/// The document a chunk key belongs to (`doc/incremental/…` → `doc`); none for samod's own keys.
fn document_of(key: &str) -> Option<&str> {
    key.split_once('/').map(|(doc, _)| doc).filter(|doc| !doc.is_empty())
}

/// The chunk keys under a prefix ("" for all), as a half-open range.
fn key_range(prefix: &str) -> (String, String) {
    if prefix.is_empty() {
        (String::new(), "\u{10FFFF}".to_string())
    } else {
        (format!("{prefix}/"), format!("{prefix}/\u{10FFFF}"))
    }
}

/// samod's storage trait over [`LocalStorage`]: `Storage` natively, `LocalStorage` in a browser,
/// where IndexedDB's futures are not `Send`. The same four calls either way.
macro_rules! samod_storage {
    ($trait:path) => {
        impl $trait for LocalStorage {
            async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
                self.load_chunk(key).await
            }

            async fn load_range(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
                self.load_chunks(prefix).await
            }

            async fn put(&self, key: StorageKey, data: Vec<u8>) {
                self.put_chunk(key, data).await
            }

            async fn delete(&self, key: StorageKey) {
                self.delete_chunk(key).await
            }
        }
    };
}

#[cfg(not(target_arch = "wasm32"))]
samod_storage!(samod::storage::Storage);
#[cfg(target_arch = "wasm32")]
samod_storage!(samod::storage::LocalStorage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_key_names_its_document_and_a_prefix_covers_only_its_own_keys() {
        assert_eq!(document_of("d1/incremental/abc"), Some("d1"));
        assert_eq!(document_of("storage-adapter-id"), None);
        let (from, to) = key_range("d1");
        assert!(from.as_str() <= "d1/snapshot/x" && "d1/snapshot/x" < to.as_str());
        assert!(!(from.as_str() <= "d10/snapshot/x" && "d10/snapshot/x" < to.as_str()));
        let (from, to) = key_range("");
        assert!(from.as_str() <= "storage-adapter-id" && "storage-adapter-id" < to.as_str());
    }
}
