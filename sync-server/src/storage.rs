//! samod's storage over our [`Database`], and the durability confirmations built on it.
//!
//! samod's storage trait cannot fail, and samod builds outgoing sync messages before it saves, so
//! neither "the server answered" nor "the server's sync state has my heads" means "stored". This
//! module is where "stored" is decided: a change hash is *durable* once the chunk holding it has
//! committed to the database. Clients count a change as synced only after
//! [`DurableStorage::wait_durable`] (the `/durable` API) says so.
//!
//! A failed write is never hidden: it is logged, the storage turns unhealthy, confirmations stop,
//! deletes stop (a failed compaction must not be followed by deleting what it replaced), and the
//! sync layer closes its connections.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prongsai_core::automerge::ChangeHash;
use prongsai_core::durability::{StoredIndex, chunk_changes, snapshot_heads};
use samod::storage::StorageKey;

use crate::db::{Database, DbError, Lease};

/// The storage was unable to commit a write; nothing is confirmed until the server restarts.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage failed; the server no longer confirms durability")]
pub struct StorageUnhealthy;

struct State {
    healthy: AtomicBool,
    /// Bumped after each commit; waiters re-check on change.
    commits: tokio::sync::watch::Sender<u64>,
    /// Change hashes committed, per document.
    index: Mutex<StoredIndex>,
    /// Per document, snapshots committed by this process, and how many of them had been
    /// committed when its chunks were last read into the index.
    snapshots: Mutex<HashMap<String, Snapshots>>,
    puts: AtomicU64,
    put_failures: AtomicU64,
    fenced: AtomicU64,
}

#[derive(Default)]
struct Snapshots {
    committed: u64,
    read_at: Option<u64>,
}

/// The storage handed to every samod repo of this server. An agency's repo gets a copy
/// [`fenced`](DurableStorage::fenced) by its lease: its writes carry the lease, and one the
/// database refuses (another node took the agency) marks the lease lost instead of failing the
/// whole server's storage.
#[derive(Clone)]
pub struct DurableStorage<D> {
    db: D,
    state: Arc<State>,
    fence: Option<Arc<Fence>>,
}

struct Fence {
    lease: Lease,
    lost: Arc<tokio::sync::watch::Sender<bool>>,
}

impl<D: Database> DurableStorage<D> {
    pub fn new(db: D) -> Self {
        let (commits, _) = tokio::sync::watch::channel(0);
        DurableStorage {
            db,
            fence: None,
            state: Arc::new(State {
                healthy: AtomicBool::new(true),
                commits,
                index: Mutex::new(StoredIndex::default()),
                snapshots: Mutex::new(HashMap::new()),
                puts: AtomicU64::new(0),
                put_failures: AtomicU64::new(0),
                fenced: AtomicU64::new(0),
            }),
        }
    }

    pub fn db(&self) -> &D {
        &self.db
    }

    /// This storage for one agency's repo, its writes fenced by `lease`; `lost` is set when a
    /// write is refused because the lease was lost.
    pub fn fenced(&self, lease: Lease, lost: Arc<tokio::sync::watch::Sender<bool>>) -> DurableStorage<D> {
        DurableStorage { db: self.db.clone(), state: self.state.clone(), fence: Some(Arc::new(Fence { lease, lost })) }
    }

    fn lease(&self) -> Option<Lease> {
        self.fence.as_ref().map(|f| f.lease.clone())
    }

    /// A write the database refused because this storage's lease is lost: nothing was written,
    /// nothing is confirmed, and the agency's repo stops (its clients go to the new holder).
    fn fenced_off(&self, what: &str, key: &str, message: &str) {
        tracing::warn!(%key, reason = %message, "storage {what} refused: the agency is served by another node now");
        self.state.fenced.fetch_add(1, Ordering::Relaxed);
        if let Some(fence) = &self.fence {
            fence.lost.send_replace(true);
        }
    }

    /// Writes refused because their lease was lost.
    pub fn fenced_count(&self) -> u64 {
        self.state.fenced.load(Ordering::Relaxed)
    }

    pub fn is_healthy(&self) -> bool {
        self.state.healthy.load(Ordering::SeqCst)
    }

    /// Resolves when the storage turns unhealthy.
    pub fn unhealthy(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.state.commits.subscribe();
        let state = self.state.clone();
        async move {
            while state.healthy.load(Ordering::SeqCst) {
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    pub fn put_count(&self) -> u64 {
        self.state.puts.load(Ordering::Relaxed)
    }

    pub fn put_failure_count(&self) -> u64 {
        self.state.put_failures.load(Ordering::Relaxed)
    }

    fn fail(&self, what: &str, key: &str, error: &DbError) {
        tracing::error!(%key, %error, "storage {what} failed: the server stops confirming durability");
        self.state.put_failures.fetch_add(1, Ordering::Relaxed);
        self.state.healthy.store(false, Ordering::SeqCst);
        self.state.commits.send_modify(|n| *n += 1);
    }

    /// Records the change hashes a committed chunk holds. An incremental chunk is named by its
    /// change's hash. A snapshot holds the whole document: its heads (`heads`, read from its
    /// header) answer for the usual question, "is what I just sent stored?". Listing all its
    /// changes means loading it, and that waits until someone asks about a change the index lacks
    /// (most edits are confirmed from their incremental chunk or the snapshot's heads).
    fn note_committed(&self, key: &str, heads: Option<Vec<ChangeHash>>) {
        let mut parts = key.split('/');
        if let (Some(doc), Some("snapshot")) = (parts.next(), parts.next()) {
            // Read the document's chunks again at the next question the index cannot answer.
            if let Ok(mut snapshots) = self.state.snapshots.lock() {
                snapshots.entry(doc.to_string()).or_default().committed += 1;
            }
            if let (Some(heads), Ok(mut index)) = (heads, self.state.index.lock()) {
                index.extend(doc, heads);
            }
        } else if let (Some((doc, hashes)), Ok(mut index)) = (chunk_changes(key, &[]), self.state.index.lock()) {
            index.extend(&doc, hashes);
        }
    }

    /// True when every head is committed for `doc_id`.
    pub async fn is_durable(&self, doc_id: &str, heads: &[ChangeHash]) -> Result<bool, StorageUnhealthy> {
        if !self.is_healthy() {
            return Err(StorageUnhealthy);
        }
        if self.state.index.lock().map_err(|_| StorageUnhealthy)?.contains_all(doc_id, heads) {
            return Ok(true);
        }
        let committed = {
            let snapshots = self.state.snapshots.lock().map_err(|_| StorageUnhealthy)?;
            let known = snapshots.get(doc_id);
            let committed = known.map_or(0, |s| s.committed);
            if known.is_some_and(|s| s.read_at == Some(committed)) {
                return Ok(false);
            }
            committed
        };
        // Read what is on disk for this document: from earlier runs of the server, and
        // snapshots not yet listed.
        let chunks = self.db.chunk_load_prefix(format!("{doc_id}/")).await.map_err(|e| {
            tracing::error!(error = %e, "reading chunks for a durability check");
            StorageUnhealthy
        })?;
        let found = tokio::task::spawn_blocking(move || {
            chunks.iter().filter_map(|(key, data)| chunk_changes(key, data)).flat_map(|(_, h)| h).collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        // A snapshot committed while reading is read at the next question.
        self.state.snapshots.lock().map_err(|_| StorageUnhealthy)?.entry(doc_id.to_string()).or_default().read_at =
            Some(committed);
        let mut index = self.state.index.lock().map_err(|_| StorageUnhealthy)?;
        index.extend(doc_id, found);
        Ok(index.contains_all(doc_id, heads))
    }

    /// Waits up to `timeout` for every head to be committed.
    pub async fn wait_durable(
        &self,
        doc_id: &str,
        heads: &[ChangeHash],
        timeout: Duration,
    ) -> Result<bool, StorageUnhealthy> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut commits = self.state.commits.subscribe();
        loop {
            commits.borrow_and_update();
            if self.is_durable(doc_id, heads).await? {
                return Ok(true);
            }
            match tokio::time::timeout_at(deadline, commits.changed()).await {
                Ok(Ok(())) => continue,
                _ => return self.is_durable(doc_id, heads).await,
            }
        }
    }
}

impl<D: Database> samod::storage::Storage for DurableStorage<D> {
    async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
        match self.db.chunk_load(key.to_string()).await {
            Ok(data) => data,
            Err(e) => {
                // A read error must not look like "no such document" and invite a new one.
                self.fail("read", &key.to_string(), &e);
                None
            }
        }
    }

    async fn load_range(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
        let text = prefix.to_string();
        let scan = if text.is_empty() { String::new() } else { format!("{text}/") };
        match self.db.chunk_load_prefix(scan).await {
            Ok(rows) => rows
                .into_iter()
                .filter_map(|(k, v)| StorageKey::from_parts(k.split('/')).ok().map(|k| (k, v)))
                .collect(),
            Err(e) => {
                self.fail("read", &text, &e);
                HashMap::new()
            }
        }
    }

    async fn put(&self, key: StorageKey, data: Vec<u8>) {
        let text = key.to_string();
        if !self.is_healthy() {
            tracing::error!(key = %text, "refusing to write after a storage failure");
            return;
        }
        self.state.puts.fetch_add(1, Ordering::Relaxed);
        let heads = text.contains("/snapshot/").then(|| snapshot_heads(&data)).flatten();
        match self.db.chunk_put(text.clone(), data, self.lease()).await {
            Ok(()) => {
                self.note_committed(&text, heads);
                self.state.commits.send_modify(|n| *n += 1);
            }
            Err(DbError::Fenced(message)) => self.fenced_off("write", &text, &message),
            Err(e) => self.fail("write", &text, &e),
        }
    }

    async fn delete(&self, key: StorageKey) {
        let text = key.to_string();
        if !self.is_healthy() {
            tracing::warn!(key = %text, "keeping a chunk: no deletes after a storage failure");
            return;
        }
        match self.db.chunk_delete(text.clone(), self.lease()).await {
            Ok(()) => {}
            Err(DbError::Fenced(message)) => self.fenced_off("delete", &text, &message),
            Err(e) => self.fail("delete", &text, &e),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The failure path, with a database that fails on demand (a mock, inside this module's test).
    use std::sync::atomic::AtomicBool;

    use samod::storage::Storage as _;

    use super::*;
    use crate::db::*;

    #[derive(Clone, Default)]
    struct Flaky {
        fail_puts: Arc<AtomicBool>,
        chunks: Arc<Mutex<HashMap<String, Vec<u8>>>>,
        deletes: Arc<AtomicU64>,
        prefix_reads: Arc<AtomicU64>,
    }

    fn unused<T>() -> Result<T, DbError> {
        Err(DbError::Backend("not used by this test".into()))
    }

    impl Database for Flaky {
        async fn chunk_load(&self, key: String) -> Result<Option<Vec<u8>>, DbError> {
            Ok(self.chunks.lock().map_err(|_| DbError::Stopped)?.get(&key).cloned())
        }
        async fn chunk_load_prefix(&self, prefix: String) -> Result<HashMap<String, Vec<u8>>, DbError> {
            self.prefix_reads.fetch_add(1, Ordering::SeqCst);
            let chunks = self.chunks.lock().map_err(|_| DbError::Stopped)?;
            Ok(chunks.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        async fn chunk_put(&self, key: String, data: Vec<u8>, _: Option<Lease>) -> Result<(), DbError> {
            if self.fail_puts.load(Ordering::SeqCst) {
                return Err(DbError::Backend("disk full".into()));
            }
            self.chunks.lock().map_err(|_| DbError::Stopped)?.insert(key, data);
            Ok(())
        }
        async fn chunk_delete(&self, key: String, _: Option<Lease>) -> Result<(), DbError> {
            self.deletes.fetch_add(1, Ordering::SeqCst);
            self.chunks.lock().map_err(|_| DbError::Stopped)?.remove(&key);
            Ok(())
        }
        async fn lease_acquire(&self, _: String, _: Node, _: i64, _: bool) -> Result<Result<Lease, Node>, DbError> {
            unused()
        }
        async fn cluster_secret(&self) -> Result<Option<Vec<u8>>, DbError> {
            unused()
        }
        async fn lease_holder(&self, _: String) -> Result<Option<Node>, DbError> {
            unused()
        }
        async fn login_guess_begin(
            &self,
            _: [String; 2],
            _: [i64; 2],
            _: i64,
        ) -> Result<Result<Option<Vec<i64>>, i64>, DbError> {
            unused()
        }
        async fn login_guess_succeeded(&self, _: String, _: Vec<i64>) -> Result<(), DbError> {
            unused()
        }
        async fn announce_access_changed(&self) -> Result<(), DbError> {
            unused()
        }
        async fn access_announcements(&self) -> Result<Option<tokio::sync::watch::Receiver<u64>>, DbError> {
            unused()
        }
        async fn lease_renew(&self, _: Lease, _: i64) -> Result<bool, DbError> {
            unused()
        }
        async fn lease_release(&self, _: Lease) -> Result<(), DbError> {
            unused()
        }
        async fn agency_create(&self, _: AgencyRow) -> Result<(), DbError> {
            unused()
        }
        async fn agency(&self, _: String) -> Result<Option<AgencyRow>, DbError> {
            unused()
        }
        async fn agencies(&self) -> Result<Vec<AgencyRow>, DbError> {
            unused()
        }
        async fn user_create(&self, _: NewUser) -> Result<UserRow, DbError> {
            unused()
        }
        async fn user_by_username(&self, _: String) -> Result<Option<UserRow>, DbError> {
            unused()
        }
        async fn user_by_id(&self, _: i64) -> Result<Option<UserRow>, DbError> {
            unused()
        }
        async fn users_of_agency(&self, _: String) -> Result<Vec<UserRow>, DbError> {
            unused()
        }
        async fn user_update(&self, _: i64, _: UserUpdate) -> Result<(), DbError> {
            unused()
        }
        async fn user_set_password(&self, _: i64, _: String) -> Result<(), DbError> {
            unused()
        }
        async fn user_totp(&self, _: i64) -> Result<TotpRow, DbError> {
            unused()
        }
        async fn user_totp_pending(&self, _: i64, _: Option<Vec<u8>>) -> Result<(), DbError> {
            unused()
        }
        async fn user_totp_enable(&self, _: i64, _: u64, _: Vec<String>) -> Result<bool, DbError> {
            unused()
        }
        async fn user_totp_use_step(&self, _: i64, _: u64) -> Result<bool, DbError> {
            unused()
        }
        async fn user_recovery_code_use(&self, _: i64, _: String) -> Result<bool, DbError> {
            unused()
        }
        async fn user_totp_clear(&self, _: i64) -> Result<(), DbError> {
            unused()
        }
        async fn session_create(&self, _: SessionRow) -> Result<(), DbError> {
            unused()
        }
        async fn session_by_token_hash(&self, _: String) -> Result<Option<SessionRow>, DbError> {
            unused()
        }
        async fn session_by_peer(&self, _: String) -> Result<Option<SessionRow>, DbError> {
            unused()
        }
        async fn session_by_actor(&self, _: String) -> Result<Option<SessionRow>, DbError> {
            unused()
        }
        async fn sessions_of_user(&self, _: i64) -> Result<Vec<SessionRow>, DbError> {
            unused()
        }
        async fn session_revoke(&self, _: String) -> Result<(), DbError> {
            unused()
        }
        async fn sessions_revoke_user(&self, _: i64) -> Result<Vec<String>, DbError> {
            unused()
        }
        async fn document_register(&self, _: DocumentRow) -> Result<(), DbError> {
            unused()
        }
        async fn document(&self, _: String) -> Result<Option<DocumentRow>, DbError> {
            unused()
        }
        async fn documents_of(&self, _: String, _: i64) -> Result<Vec<DocumentRow>, DbError> {
            unused()
        }
        async fn years_of(&self, _: String) -> Result<Vec<i64>, DbError> {
            unused()
        }
        async fn documents_register(&self, _: Vec<DocumentRow>) -> Result<(), DbError> {
            unused()
        }
        async fn year_rows(&self, _: String) -> Result<Vec<crate::db::YearRow>, DbError> {
            unused()
        }
        async fn year_put(&self, _: crate::db::YearRow) -> Result<(), DbError> {
            unused()
        }
        async fn agency_profile(&self, _: String) -> Result<Option<String>, DbError> {
            unused()
        }
        async fn agency_set_profile(&self, _: String, _: String) -> Result<(), DbError> {
            unused()
        }
        async fn blob_put(&self, _: String, _: String, _: BlobRow) -> Result<(), DbError> {
            unused()
        }
        async fn blob_get(&self, _: String, _: String) -> Result<Option<BlobRow>, DbError> {
            unused()
        }
        async fn blob_usage(&self, _: String) -> Result<u64, DbError> {
            unused()
        }
        async fn blob_exists(&self, _: String, _: String) -> Result<bool, DbError> {
            unused()
        }
        async fn audit_append(&self, _: String, _: prongsai_core::admin::AuditEntry) -> Result<i64, DbError> {
            unused()
        }
        async fn audit_list(
            &self,
            _: String,
            _: Option<i64>,
            _: usize,
        ) -> Result<Vec<prongsai_core::admin::AuditEntry>, DbError> {
            unused()
        }
        async fn setting(&self, _: String) -> Result<Option<String>, DbError> {
            unused()
        }
        async fn set_setting(&self, _: String, _: String) -> Result<(), DbError> {
            unused()
        }
        async fn setting_update(&self, _: String, _: crate::db::SettingChange) -> Result<String, DbError> {
            unused()
        }
    }

    fn key(doc: &str, kind: &str, name: &str) -> StorageKey {
        StorageKey::from_parts([doc, kind, name]).expect("valid key")
    }

    #[tokio::test]
    async fn a_failed_write_stops_confirmations_and_deletes() {
        let db = Flaky::default();
        let storage = DurableStorage::new(db.clone());
        let h1: ChangeHash = "aa".repeat(32).parse().expect("hash");
        let h2: ChangeHash = "bb".repeat(32).parse().expect("hash");

        storage.put(key("doc", "incremental", &h1.to_string()), vec![1]).await;
        assert!(storage.is_durable("doc", &[h1]).await.expect("healthy"));
        assert!(!storage.is_durable("doc", &[h2]).await.expect("healthy"));
        assert!(!storage.wait_durable("doc", &[h2], Duration::from_millis(20)).await.expect("healthy"));

        let unhealthy = tokio::spawn(storage.unhealthy());
        db.fail_puts.store(true, Ordering::SeqCst);
        storage.put(key("doc", "incremental", &h2.to_string()), vec![2]).await;
        assert!(!storage.is_healthy());
        tokio::time::timeout(Duration::from_secs(5), unhealthy).await.expect("unhealthy resolves").expect("task");
        assert!(storage.is_durable("doc", &[h1]).await.is_err(), "nothing is confirmed after a failure");
        assert_eq!(storage.put_failure_count(), 1);

        // A compaction's deletes must not follow a failed write.
        storage.delete(key("doc", "incremental", &h1.to_string())).await;
        assert_eq!(db.deletes.load(Ordering::SeqCst), 0);
        assert!(db.chunks.lock().expect("lock").contains_key(&format!("doc/incremental/{h1}")));
    }

    #[tokio::test]
    async fn durability_survives_a_restart_by_reading_storage() {
        let db = Flaky::default();
        let h1: ChangeHash = "cc".repeat(32).parse().expect("hash");
        DurableStorage::new(db.clone()).put(key("doc", "incremental", &h1.to_string()), vec![1]).await;
        // A new process knows nothing in memory; it reads what was committed.
        let restarted = DurableStorage::new(db);
        assert!(restarted.is_durable("doc", &[h1]).await.expect("healthy"));
        assert!(!restarted.is_durable("other", &[h1]).await.expect("healthy"));
    }

    #[tokio::test]
    async fn a_snapshot_confirms_its_heads_at_once_and_its_history_on_reading() {
        use prongsai_core::automerge::{Automerge, AutomergeError, ROOT, transaction::Transactable};
        let mut doc = Automerge::new();
        let mut hashes = Vec::new();
        for i in 0..12 {
            doc.transact::<_, _, AutomergeError>(|tx| tx.put(ROOT, "n", i).map(drop)).expect("edit");
            hashes.extend(doc.get_heads());
        }
        let db = Flaky::default();
        let storage = DurableStorage::new(db.clone());
        storage.put(key("doc", "snapshot", "s1"), doc.save()).await;
        // What a device that just sent its batch asks: its heads, answered without reading anything.
        assert!(storage.is_durable("doc", &doc.get_heads()).await.expect("healthy"));
        assert_eq!(db.prefix_reads.load(Ordering::SeqCst), 0);
        // An older state is in the snapshot too; finding it means reading the snapshot once.
        assert!(storage.is_durable("doc", &hashes[..1]).await.expect("healthy"));
        assert_eq!(db.prefix_reads.load(Ordering::SeqCst), 1);
        let other: ChangeHash = "dd".repeat(32).parse().expect("hash");
        assert!(!storage.is_durable("doc", &[other]).await.expect("healthy"));
        assert_eq!(db.prefix_reads.load(Ordering::SeqCst), 1, "a snapshot already read is not read again");
    }
}
