//! A device: the samod repo over local storage, the connection to the server, and the count of
//! local changes the server has not yet confirmed as durable.
//!
//! A change counts as synced only when the server's `/durable` API says the change hashes are
//! committed; nothing else (a sent message, the server's sync state) moves the count.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use prongsai_core::AgencyYear;
use prongsai_core::automerge::transaction::Transaction;
use prongsai_core::automerge::{ActorId, Automerge, ChangeHash, ReadDoc};
use prongsai_core::docs::{self, CommitMeta, DocError};
use prongsai_core::model::DocKey;
use samod::{BackoffConfig, DialerEvent, DialerHandle, DocHandle, DocumentId, PeerId, Repo};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, DocumentEntry, ServerApi};
use crate::dialer::{SignedOut, TokenDialer};
use crate::session::{self, Session};
use crate::storage::{LocalStorage, LocalStorageError};

/// How a device is set up.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    /// The app's data directory (local database and saved login).
    pub data_dir: PathBuf,
    /// A name for this device, shown in history ("แท็บเล็ตกองคลัง").
    pub device_name: String,
    /// Reconnect backoff: starts at `initial_delay`, doubles up to `max_delay`.
    pub backoff: BackoffConfig,
    /// How long one durability check waits on the server.
    pub confirm_wait: Duration,
}

impl DeviceConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> DeviceConfig {
        DeviceConfig {
            data_dir: data_dir.into(),
            device_name: String::new(),
            backoff: BackoffConfig {
                initial_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(15),
                max_retries: None,
            },
            confirm_wait: Duration::from_secs(5),
        }
    }
}

/// Whether and how the device is connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Offline,
    Connecting,
    /// Connected, with local changes the server has not confirmed yet.
    Syncing,
    UpToDate,
    /// The server refused the login: sign in again.
    SignedOut,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub connection: Connection,
    /// Local changes not yet confirmed durable by the server.
    pub unconfirmed: usize,
    /// Unix milliseconds of the last confirmation that left nothing unconfirmed.
    pub last_synced_ms: Option<i64>,
    /// The last problem worth showing (local storage failure, refused write).
    pub error: Option<String>,
}

/// Why a device operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Storage(#[from] LocalStorageError),
    #[error(transparent)]
    Doc(#[from] DocError),
    #[error("{document} is read-only for this user; the server would refuse the change")]
    ReadOnly { document: String },
    #[error("no such document in this agency-year: {0}")]
    UnknownDocument(String),
    #[error("not signed in on this device")]
    NotSignedIn,
    #[error("the document is not available yet (offline and never synced)")]
    Unavailable,
    #[error("saving the login: {0}")]
    Io(#[from] std::io::Error),
}

impl From<samod::Stopped> for DeviceError {
    fn from(_: samod::Stopped) -> Self {
        DeviceError::Unavailable
    }
}

struct Inner {
    config: DeviceConfig,
    session: Session,
    api: ServerApi,
    storage: LocalStorage,
    repo: Repo,
    actor: ActorId,
    dialer: Mutex<Option<Arc<DialerHandle<SignedOut>>>>,
    state: tokio::sync::watch::Sender<SyncState>,
    documents: Mutex<HashMap<i64, Vec<DocumentEntry>>>,
    handles: tokio::sync::Mutex<HashMap<String, DocHandle>>,
    wake: Arc<tokio::sync::Notify>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// A signed-in device. Cloning shares it.
#[derive(Clone)]
pub struct Device {
    inner: Arc<Inner>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
}

impl Device {
    /// Signs in and opens the device (not yet connected).
    pub async fn login(
        config: DeviceConfig,
        server: url::Url,
        username: &str,
        password: &str,
    ) -> Result<Device, DeviceError> {
        let api = ServerApi::new(server.clone());
        let login = api.login(username, password, &config.device_name).await?;
        let session = Session::from_login(&server, login);
        session::save(&config.data_dir, &session)?;
        Device::open_session(config, session).await
    }

    /// Opens the device from its saved login, without the network. `None` when never signed in.
    pub async fn open(config: DeviceConfig) -> Result<Option<Device>, DeviceError> {
        match session::load(&config.data_dir)? {
            Some(session) => Ok(Some(Device::open_session(config, session).await?)),
            None => Ok(None),
        }
    }

    async fn open_session(config: DeviceConfig, session: Session) -> Result<Device, DeviceError> {
        let server = url::Url::parse(&session.server).map_err(|e| ApiError::Decode(e.to_string()))?;
        let api = ServerApi::new(server).with_token(&session.token);
        let storage = LocalStorage::open(&config.data_dir)?;
        let actor = ActorId::from_str(&session.actor_id).unwrap_or_else(|_| ActorId::random());
        let repo = Repo::build_tokio()
            .with_storage(storage.clone())
            .with_peer_id(PeerId::from(session.peer_id.as_str()))
            .load()
            .await;
        let unconfirmed = storage.pending().await?.values().map(Vec::len).sum();
        let (state, _) = tokio::sync::watch::channel(SyncState {
            connection: Connection::Offline,
            unconfirmed,
            last_synced_ms: None,
            error: None,
        });
        let device = Device {
            inner: Arc::new(Inner {
                config,
                session,
                api,
                storage,
                repo,
                actor,
                dialer: Mutex::new(None),
                state,
                documents: Mutex::new(HashMap::new()),
                handles: tokio::sync::Mutex::new(HashMap::new()),
                wake: Arc::new(tokio::sync::Notify::new()),
                tasks: Mutex::new(Vec::new()),
            }),
        };
        let confirmer = tokio::spawn(confirm_loop(Arc::downgrade(&device.inner)));
        device.push_task(confirmer);
        Ok(device)
    }

    fn push_task(&self, task: tokio::task::JoinHandle<()>) {
        if let Ok(mut tasks) = self.inner.tasks.lock() {
            tasks.push(task);
        }
    }

    pub fn session(&self) -> &Session {
        &self.inner.session
    }

    pub fn api(&self) -> &ServerApi {
        &self.inner.api
    }

    pub fn storage(&self) -> &LocalStorage {
        &self.inner.storage
    }

    pub fn sync_state(&self) -> tokio::sync::watch::Receiver<SyncState> {
        self.inner.state.subscribe()
    }

    pub fn state(&self) -> SyncState {
        self.inner.state.borrow().clone()
    }

    /// Starts syncing with the server in the background, reconnecting with capped backoff.
    pub fn connect(&self) -> Result<(), DeviceError> {
        let mut dialer = self.inner.dialer.lock().map_err(|_| DeviceError::Unavailable)?;
        if dialer.is_some() {
            return Ok(());
        }
        let url = self.inner.api.sync_url()?;
        let handle = Arc::new(self.inner.repo.dial(
            self.inner.config.backoff.clone(),
            Arc::new(TokenDialer::new(url, self.inner.session.token.clone())),
        )?);
        *dialer = Some(handle.clone());
        drop(dialer);
        set_connection(&self.inner, Connection::Connecting);
        let weak = Arc::downgrade(&self.inner);
        let watcher = tokio::spawn(async move {
            let mut events = handle.events();
            while let Some(event) = events.next().await {
                let Some(inner) = weak.upgrade() else { return };
                match event {
                    DialerEvent::Connected { .. } => {
                        set_connection(&inner, Connection::Syncing);
                        inner.wake.notify_one();
                    }
                    DialerEvent::Disconnected { reason } => {
                        tracing::info!(%reason, "disconnected from the server");
                        set_connection(&inner, Connection::Connecting);
                    }
                    DialerEvent::Reconnecting { .. } => set_connection(&inner, Connection::Connecting),
                    DialerEvent::PermanentFailure | DialerEvent::MaxRetriesReached => {
                        set_connection(&inner, Connection::SignedOut);
                        return;
                    }
                }
            }
        });
        self.push_task(watcher);
        Ok(())
    }

    /// Stops syncing (the device keeps working offline).
    pub fn disconnect(&self) {
        if let Ok(mut dialer) = self.inner.dialer.lock()
            && let Some(handle) = dialer.take()
        {
            handle.close();
        }
        set_connection(&self.inner, Connection::Offline);
    }

    /// Waits until the connection is up (or `timeout`); true when connected.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut state = self.sync_state();
        tokio::time::timeout(timeout, async {
            while !self.is_connected() {
                if tokio::time::timeout(Duration::from_millis(100), state.changed()).await.is_ok_and(|r| r.is_err()) {
                    return;
                }
            }
        })
        .await
        .is_ok()
            && self.is_connected()
    }

    fn is_dialing(&self) -> bool {
        self.inner.dialer.lock().is_ok_and(|d| d.is_some())
    }

    pub fn is_connected(&self) -> bool {
        self.inner.dialer.lock().ok().and_then(|d| d.as_ref().map(|h| h.is_connected())).unwrap_or(false)
    }

    /// The documents of an agency-year: from the server when reachable (and remembered), else as
    /// remembered from the last time.
    pub async fn documents(&self, year: i64) -> Result<Vec<DocumentEntry>, DeviceError> {
        let key = format!("documents/{}/{year}", self.inner.session.agency_id);
        match self.inner.api.documents(&self.inner.session.agency_id, year).await {
            Ok(list) => {
                self.inner.storage.set(&key, &serde_json::to_string(&list).unwrap_or_default()).await?;
                self.remember(year, list.clone());
                Ok(list)
            }
            Err(ApiError::Unauthorized) => {
                set_connection(&self.inner, Connection::SignedOut);
                Err(ApiError::Unauthorized.into())
            }
            Err(e) if e.is_offline() => {
                let cached = self
                    .inner
                    .storage
                    .get(&key)
                    .await?
                    .and_then(|j| serde_json::from_str::<Vec<DocumentEntry>>(&j).ok());
                match cached {
                    Some(list) => {
                        self.remember(year, list.clone());
                        Ok(list)
                    }
                    None => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    fn remember(&self, year: i64, list: Vec<DocumentEntry>) {
        if let Ok(mut docs) = self.inner.documents.lock() {
            docs.insert(year, list);
        }
    }

    async fn entry(&self, year: i64, key: &DocKey) -> Result<DocumentEntry, DeviceError> {
        let known = self.inner.documents.lock().ok().and_then(|d| d.get(&year).cloned());
        let list = match known {
            Some(list) => list,
            None => self.documents(year).await?,
        };
        list.into_iter()
            .find(|e| e.kind == key.kind && e.division == key.division)
            .ok_or_else(|| DeviceError::UnknownDocument(key.to_string()))
    }

    /// The samod handle of a document, from local storage or the server.
    pub async fn handle(&self, doc_id: &str) -> Result<DocHandle, DeviceError> {
        let mut handles = self.inner.handles.lock().await;
        if let Some(handle) = handles.get(doc_id) {
            return Ok(handle.clone());
        }
        let id = DocumentId::from_str(doc_id).map_err(|_| DeviceError::UnknownDocument(doc_id.to_string()))?;
        let stored_here = self.inner.storage.stored_documents().contains(doc_id);
        if !stored_here && self.is_dialing() && !self.is_connected() {
            // Not on this device, and the connection is still being made: asking samod now would
            // answer "unavailable" before the server could be asked.
            self.wait_connected(Duration::from_secs(15)).await;
        }
        let found = self.inner.repo.find(id).await?;
        let handle = found.ok_or(DeviceError::Unavailable)?;
        handles.insert(doc_id.to_string(), handle.clone());
        Ok(handle)
    }

    /// A copy of one document as it is on this device now.
    pub async fn document(&self, year: i64, key: &DocKey) -> Result<Automerge, DeviceError> {
        let entry = self.entry(year, key).await?;
        let handle = self.handle(entry.document_id()).await?;
        Ok(handle.with_document_async(|doc| doc.clone()).await?)
    }

    /// Every document of the agency-year this device can read, in the typed model.
    pub async fn agency_year(&self, year: i64) -> Result<AgencyYear, DeviceError> {
        let mut agency_year = AgencyYear::default();
        for entry in self.documents(year).await? {
            let handle = self.handle(entry.document_id()).await?;
            let doc = handle.with_document_async(|doc| doc.clone()).await?;
            agency_year.load(&DocKey { kind: entry.kind, division: entry.division.clone() }, &doc)?;
        }
        Ok(agency_year)
    }

    /// Changes a document in one commit with this device's actor, once it is on this device's
    /// disk. A document this user may not write is refused here, before anything is pending.
    pub async fn edit<R, F>(&self, year: i64, key: &DocKey, message: &str, change: F) -> Result<R, DeviceError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Transaction<'_>, &CommitMeta) -> Result<R, DocError> + Send + 'static,
    {
        let entry = self.entry(year, key).await?;
        if !entry.writable {
            return Err(DeviceError::ReadOnly { document: key.to_string() });
        }
        let doc_id = entry.document_id().to_string();
        let handle = self.handle(&doc_id).await?;
        let meta = CommitMeta::new(message, self.inner.session.username.clone(), now_ms())
            .with_actor(self.inner.actor.clone());
        let (result, new_changes) = handle
            .with_document_async(move |doc| {
                let before = doc.get_heads();
                let result = docs::edit(doc, &meta, |tx| change(tx, &meta));
                let new: Vec<ChangeHash> = doc.get_changes(&before).iter().map(|c| c.hash()).collect();
                (result, new)
            })
            .await?;
        let result = result?;
        if !new_changes.is_empty() {
            self.inner.storage.add_pending(&doc_id, &new_changes).await?;
            self.inner.storage.wait_stored(&doc_id, &new_changes).await?;
            refresh_count(&self.inner).await;
            self.inner.wake.notify_one();
        }
        Ok(result)
    }

    /// Waits until the server has confirmed every local change, or `timeout` passes.
    pub async fn wait_confirmed(&self, timeout: Duration) -> bool {
        let mut state = self.sync_state();
        tokio::time::timeout(timeout, async {
            loop {
                if state.borrow_and_update().unconfirmed == 0 {
                    return;
                }
                if state.changed().await.is_err() {
                    return;
                }
            }
        })
        .await
        .is_ok()
    }

    /// Stops syncing and the repo (flushing what samod still has to write).
    pub async fn shutdown(&self) {
        self.disconnect();
        if let Ok(mut tasks) = self.inner.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
        self.inner.repo.stop().await;
    }

    /// Forgets the saved login (the local data stays).
    pub fn sign_out(&self) -> Result<(), DeviceError> {
        self.disconnect();
        session::remove(&self.inner.config.data_dir)?;
        Ok(())
    }
}

fn set_connection(inner: &Inner, connection: Connection) {
    inner.state.send_modify(|s| {
        s.connection = match connection {
            Connection::Syncing | Connection::UpToDate if s.unconfirmed == 0 => Connection::UpToDate,
            Connection::Syncing | Connection::UpToDate => Connection::Syncing,
            other => other,
        };
        if s.connection == Connection::UpToDate && s.last_synced_ms.is_none() {
            s.last_synced_ms = Some(now_ms());
        }
    });
}

async fn refresh_count(inner: &Inner) {
    let pending = match inner.storage.pending().await {
        Ok(p) => p,
        Err(e) => {
            inner.state.send_modify(|s| s.error = Some(e.to_string()));
            return;
        }
    };
    let count = pending.values().map(Vec::len).sum();
    inner.state.send_modify(|s| {
        let was = s.unconfirmed;
        s.unconfirmed = count;
        if matches!(s.connection, Connection::Syncing | Connection::UpToDate) {
            s.connection = if count == 0 { Connection::UpToDate } else { Connection::Syncing };
        }
        if count == 0 && (was > 0 || s.last_synced_ms.is_none()) && s.connection == Connection::UpToDate {
            s.last_synced_ms = Some(now_ms());
        }
    });
}

/// Asks the server, document by document, whether pending changes are durable, and forgets
/// those it confirms.
async fn confirm_loop(weak: std::sync::Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let connected = inner.dialer.lock().ok().and_then(|d| d.as_ref().map(|h| h.is_connected())).unwrap_or(false);
        if connected {
            confirm_once(&inner).await;
        }
        let wake = inner.wake.clone();
        let idle = if connected { Duration::from_millis(500) } else { Duration::from_secs(2) };
        drop(inner);
        let _ = tokio::time::timeout(idle, wake.notified()).await;
    }
}

async fn confirm_once(inner: &Arc<Inner>) {
    let pending = match inner.storage.pending().await {
        Ok(p) => p,
        Err(_) => return,
    };
    let checks = pending.into_iter().map(|(doc_id, hashes)| {
        let inner = inner.clone();
        async move {
            let Ok(id) = DocumentId::from_str(&doc_id) else { return };
            let handle = match inner.repo.find(id).await {
                Ok(Some(h)) => h,
                _ => return,
            };
            // A hash the document does not have was never saved (the device stopped first).
            let check = hashes.clone();
            let present: Vec<bool> = handle
                .with_document_async(move |doc| check.iter().map(|h| doc.get_change_by_hash(h).is_some()).collect())
                .await
                .unwrap_or_default();
            let (known, lost): (Vec<_>, Vec<_>) = hashes.iter().zip(present).partition(|(_, p)| *p);
            let lost: Vec<ChangeHash> = lost.into_iter().map(|(h, _)| *h).collect();
            if !lost.is_empty() {
                let _ = inner.storage.remove_pending(&doc_id, &lost).await;
            }
            let known: Vec<ChangeHash> = known.into_iter().map(|(h, _)| *h).collect();
            if known.is_empty() {
                return;
            }
            match inner.api.durable(&doc_id, &known, inner.config.confirm_wait).await {
                Ok(true) => {
                    let _ = inner.storage.remove_pending(&doc_id, &known).await;
                }
                Ok(false) => {}
                Err(ApiError::Unauthorized) => set_connection(&inner, Connection::SignedOut),
                Err(e) => tracing::debug!(error = %e, "durability check failed; will retry"),
            }
        }
    });
    futures::future::join_all(checks).await;
    refresh_count(inner).await;
}
