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
pub use prongsai_core::app::{Connection, SessionView, SyncState};
use prongsai_core::automerge::transaction::Transaction;
use prongsai_core::automerge::{ActorId, Automerge, ChangeHash, ReadDoc};
use prongsai_core::docs::{self, CommitMeta, DocError};
use prongsai_core::edit::{self, Edit, EvidenceInput};
use prongsai_core::history::{self, ActivityEntry, HistoryEntry};
use prongsai_core::model::{DirectoryDoc, DocKey, DocKind, SCHEMA_VERSION};
use samod::{BackoffConfig, DialerEvent, DialerHandle, DocHandle, DocumentId, PeerId, Repo};

use crate::api::{ApiError, DocumentEntry, ServerApi};
use crate::dialer::{PlatformDialer, SignedOut};
use crate::evidence::{self, PreparedFile};
use crate::platform::{self, now_ms};
use crate::session::{self, Session};
use crate::storage::{LocalStorage, LocalStorageError};

/// Where a new evidence file goes.
#[derive(Clone, Debug)]
pub struct EvidenceTarget {
    pub division: String,
    pub measure: String,
    /// The new evidence item's id (the caller picks it, as for every new item).
    pub evidence_id: String,
    pub caption: String,
    /// The track and round the result is in (resolved: `AgencyYear::resolve_slot`); the
    /// integrity measures by default.
    pub slot: prongsai_core::tracks::Slot,
}

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
    #[error("fiscal year {year} is closed: nothing in it changes until the admin reopens it")]
    YearClosed { year: i64 },
    #[error("{document} was written by a newer version of Prongsai (schema {schema}): update the app to change it")]
    UpdateRequired { document: String, schema: i64 },
    #[error("no such document in this agency-year: {0}")]
    UnknownDocument(String),
    #[error("the agency has no fiscal year set up on the server yet")]
    NoYear,
    #[error("not signed in on this device")]
    NotSignedIn,
    #[error("the document is not available yet (offline and never synced)")]
    Unavailable,
    #[error(transparent)]
    Evidence(#[from] evidence::EvidenceError),
    #[error(transparent)]
    SavedLogin(#[from] session::SavedLoginError),
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
    /// Bumped whenever any open document changes, locally or from the server.
    changes: tokio::sync::watch::Sender<u64>,
    wake: Arc<tokio::sync::Notify>,
    tasks: Mutex<Vec<platform::Task>>,
    /// The year opened with the year switcher in this run.
    chosen_year: Mutex<Option<i64>>,
    /// Attempts to reach the server that had to be made again after a backoff.
    dial_retries: std::sync::atomic::AtomicU64,
    /// The agency-year last read, with the heads of the documents it was read from: the next
    /// read of the same documents at the same heads is that one again (every page asks for it).
    read: Mutex<Option<ReadYear>>,
    /// Whether this run has told its cold load (the first agency-year read from this device's
    /// storage) in the log.
    cold_load_told: std::sync::atomic::AtomicBool,
    /// When this device opened its session (its storage already open).
    opened_ms: i64,
}

/// An agency-year as read, and exactly what it was read from.
struct ReadYear {
    year: i64,
    entries: Vec<DocumentEntry>,
    heads: Vec<Vec<ChangeHash>>,
    agency_year: AgencyYear,
}

/// A signed-in device. Cloning shares it.
#[derive(Clone)]
pub struct Device {
    inner: Arc<Inner>,
}

impl Device {
    /// Signs in and opens the device (not yet connected).
    pub async fn login(
        config: DeviceConfig,
        server: url::Url,
        username: &str,
        password: &str,
    ) -> Result<Device, DeviceError> {
        Device::login_with_code(config, server, username, password, None).await
    }

    /// [`Device::login`] with the code of a user who has a second factor.
    pub async fn login_with_code(
        config: DeviceConfig,
        server: url::Url,
        username: &str,
        password: &str,
        otp: Option<&str>,
    ) -> Result<Device, DeviceError> {
        let api = ServerApi::new(server.clone());
        let login = api.login_with_code(username, password, &config.device_name, otp).await?;
        let session = Session::from_login(&server, login);
        let storage = LocalStorage::open(&config.data_dir).await?;
        session::keep(&config.data_dir, &storage, &session).await?;
        Device::open_session(config, session, storage).await
    }

    /// Opens the device from its saved login, without the network. `None` when never signed in.
    pub async fn open(config: DeviceConfig) -> Result<Option<Device>, DeviceError> {
        let storage = LocalStorage::open(&config.data_dir).await?;
        match session::load_saved(&config.data_dir, &storage).await? {
            Some(session) => Ok(Some(Device::open_session(config, session, storage).await?)),
            None => Ok(None),
        }
    }

    async fn open_session(
        config: DeviceConfig,
        session: Session,
        storage: LocalStorage,
    ) -> Result<Device, DeviceError> {
        let opened_ms = now_ms();
        let read_ahead = platform::spawn(read_ahead(storage.clone(), session.agency_id.clone()));
        let server = url::Url::parse(&session.server).map_err(|e| ApiError::Decode(e.to_string()))?;
        let api = ServerApi::new(server).with_token(&session.token);
        // A new actor for every run: see `docs::actor_for_run`.
        let registered = ActorId::from_str(&session.actor_id).unwrap_or_else(|_| ActorId::random());
        let actor = prongsai_core::docs::actor_for_run(&registered, &ActorId::random());
        let repo = storage.repo(PeerId::from(session.peer_id.as_str())).await;
        let unconfirmed = storage.pending().await?.values().map(Vec::len).sum();
        let (state, _) = tokio::sync::watch::channel(SyncState {
            connection: Connection::Offline,
            unconfirmed,
            last_synced_ms: None,
            error: None,
            uploads_pending: 0,
            refused: storage.refused_count().await?,
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
                changes: tokio::sync::watch::channel(0).0,
                wake: Arc::new(tokio::sync::Notify::new()),
                tasks: Mutex::new(Vec::new()),
                chosen_year: Mutex::new(None),
                dial_retries: std::sync::atomic::AtomicU64::new(0),
                read: Mutex::new(None),
                cold_load_told: std::sync::atomic::AtomicBool::new(false),
                opened_ms,
            }),
        };
        device.push_task(read_ahead);
        refresh_uploads(&device.inner).await;
        let confirmer = platform::spawn(confirm_loop(Arc::downgrade(&device.inner)));
        device.push_task(confirmer);
        Ok(device)
    }

    fn push_task(&self, task: platform::Task) {
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
            Arc::new(PlatformDialer::new(url, self.inner.session.token.clone())),
        )?);
        *dialer = Some(handle.clone());
        drop(dialer);
        set_connection(&self.inner, Connection::Connecting);
        let weak = Arc::downgrade(&self.inner);
        let watcher = platform::spawn(async move {
            // Subscribe first, then read what the dialer already knows: its first attempt runs
            // on the repo's IO task and can end (a refused token, say) before this task starts,
            // and an event sent before the subscription is never seen. Missing it left a
            // signed-out device "connecting" for good.
            let mut events = handle.events();
            match futures::FutureExt::now_or_never(handle.established()) {
                Some(Ok(_)) => {
                    let Some(inner) = weak.upgrade() else { return };
                    set_connection(&inner, Connection::Syncing);
                    inner.wake.notify_one();
                }
                Some(Err(_)) => {
                    let Some(inner) = weak.upgrade() else { return };
                    set_connection(&inner, Connection::SignedOut);
                    return;
                }
                None => {}
            }
            while let Some(event) = events.next().await {
                let Some(inner) = weak.upgrade() else { return };
                match event {
                    DialerEvent::Connected { .. } => {
                        set_connection(&inner, Connection::Syncing);
                        inner.wake.notify_one();
                    }
                    // Lost the server, or an attempt failed and a retry waits out its backoff:
                    // offline until a retry succeeds.
                    DialerEvent::Disconnected { reason } => {
                        tracing::info!(%reason, "disconnected from the server");
                        set_connection(&inner, Connection::Offline);
                    }
                    DialerEvent::Reconnecting { .. } => {
                        inner.dial_retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        set_connection(&inner, Connection::Offline);
                    }
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
        platform::timeout(timeout, async {
            while !self.is_connected() {
                if platform::timeout(Duration::from_millis(100), state.changed()).await.is_some_and(|r| r.is_err()) {
                    return;
                }
            }
        })
        .await
        .is_some()
            && self.is_connected()
    }

    fn is_dialing(&self) -> bool {
        self.inner.dialer.lock().is_ok_and(|d| d.is_some())
    }

    /// How many times, since the device opened, reaching the server had to be tried again after
    /// a backoff (the server unreachable, a dial that failed, a lost connection).
    pub fn dial_retries(&self) -> u64 {
        self.inner.dial_retries.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn is_connected(&self) -> bool {
        self.inner.dialer.lock().ok().and_then(|d| d.as_ref().map(|h| h.is_connected())).unwrap_or(false)
    }

    /// The documents of an agency-year: from the server when reachable (and remembered), else as
    /// remembered from the last time.
    pub async fn documents(&self, year: i64) -> Result<Vec<DocumentEntry>, DeviceError> {
        let key = documents_key(&self.inner.session.agency_id, year);
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

    /// The agency's years, oldest first: as saved on this device (refreshed from the server in
    /// the background, which also fetches a new year's documents so they are here offline), or
    /// from the server the first time.
    pub async fn years(&self) -> Result<Vec<i64>, DeviceError> {
        let key = years_key(&self.inner.session.agency_id);
        let saved = self.inner.storage.get(&key).await?.and_then(|j| serde_json::from_str::<Vec<i64>>(&j).ok());
        match saved {
            Some(years) => {
                let device = self.clone();
                self.push_task(platform::spawn(async move {
                    if let Err(e) = device.refresh_years().await {
                        tracing::debug!(error = %e, "refreshing the years failed; keeping the saved list");
                    }
                }));
                Ok(years)
            }
            None => self.refresh_years().await,
        }
    }

    /// Asks the server for the agency's years, saves the list, and brings every year this device
    /// has not seen onto it in the background (earlier years stay readable offline).
    pub async fn refresh_years(&self) -> Result<Vec<i64>, DeviceError> {
        let key = years_key(&self.inner.session.agency_id);
        let before: Vec<i64> =
            self.inner.storage.get(&key).await?.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
        let mut years = match self.inner.api.years(&self.inner.session.agency_id).await {
            Ok(years) => years,
            Err(ApiError::Unauthorized) => {
                set_connection(&self.inner, Connection::SignedOut);
                return Err(ApiError::Unauthorized.into());
            }
            Err(e) => return Err(e.into()),
        };
        years.sort_unstable();
        self.inner.storage.set(&key, &serde_json::to_string(&years).unwrap_or_default()).await?;
        let new: Vec<i64> = years.iter().copied().filter(|y| !before.contains(y)).collect();
        // Every year this device has not held yet, the earlier ones too on a first sign-in, so
        // each stays readable offline.
        if !new.is_empty() {
            let device = self.clone();
            self.push_task(platform::spawn(async move {
                for year in new {
                    if let Err(e) = device.agency_year(year).await {
                        tracing::debug!(year, error = %e, "fetching a new year's documents failed; will retry");
                    }
                }
            }));
        }
        Ok(years)
    }

    /// The agency-year to open: the one chosen in this run, else the fiscal year of today
    /// (Bangkok) when the agency has it, else the latest before it (`app::pick_year`).
    pub async fn current_year(&self) -> Result<i64, DeviceError> {
        if let Some(year) = self.inner.chosen_year.lock().ok().and_then(|y| *y) {
            return Ok(year);
        }
        let years = self.years().await?;
        prongsai_core::app::pick_year(&years, today_fiscal_year()).ok_or(DeviceError::NoYear)
    }

    /// Who is signed in when the agency has no year yet (a new agency): from the server, so the
    /// admin can set the agency up and the coordinator start its first year.
    pub async fn session_without_year(&self) -> Result<SessionView, DeviceError> {
        let me = self.inner.api.me().await?;
        Ok(SessionView::without_year(&self.inner.session.server, me, today_fiscal_year()))
    }

    /// Opens another of the agency's years (the year switcher).
    pub async fn set_year(&self, year: i64) -> Result<(), DeviceError> {
        let mut years = self.years().await?;
        if !years.contains(&year) {
            years = self.refresh_years().await?;
        }
        if !years.contains(&year) {
            return Err(DeviceError::UnknownDocument(format!("year {year}")));
        }
        if let Ok(mut chosen) = self.inner.chosen_year.lock() {
            *chosen = Some(year);
        }
        // What may be written there now (a year closed meanwhile), when the server answers.
        if let Err(e) = self.documents(year).await {
            tracing::debug!(year, error = %e, "refreshing the year's documents failed; using the saved list");
        }
        Ok(())
    }

    fn remember(&self, year: i64, list: Vec<DocumentEntry>) {
        if let Ok(mut docs) = self.inner.documents.lock() {
            docs.insert(year, list);
        }
    }

    /// The documents as last listed. Never waits on the network when this device has listed them
    /// before: the saved list is used and refreshed from the server in the background.
    async fn known_documents(&self, year: i64) -> Result<Vec<DocumentEntry>, DeviceError> {
        if let Some(list) = self.inner.documents.lock().ok().and_then(|d| d.get(&year).cloned()) {
            return Ok(list);
        }
        let saved = self
            .inner
            .storage
            .get(&documents_key(&self.inner.session.agency_id, year))
            .await?
            .and_then(|j| serde_json::from_str::<Vec<DocumentEntry>>(&j).ok());
        match saved {
            Some(list) => {
                self.remember(year, list.clone());
                let device = self.clone();
                self.push_task(platform::spawn(async move {
                    if let Err(e) = device.documents(year).await {
                        tracing::debug!(error = %e, "refreshing the document list failed; keeping the saved one");
                    }
                }));
                Ok(list)
            }
            None => self.documents(year).await,
        }
    }

    /// The entry of a document this user may write. A list that says read-only may be older than
    /// the user's rights (an admin moved them to this division): the server is asked once more
    /// before the edit is refused.
    async fn writable_entry(&self, year: i64, key: &DocKey) -> Result<DocumentEntry, DeviceError> {
        let entry = self.entry(year, key).await?;
        if entry.writable {
            return Ok(entry);
        }
        let closed = |entry: &DocumentEntry| entry.closed.then_some(DeviceError::YearClosed { year });
        match self.documents(year).await {
            Ok(list) => {
                let fresh = list.into_iter().find(|e| e.kind == key.kind && e.division == key.division);
                match fresh {
                    Some(e) if e.writable => Ok(e),
                    Some(e) => Err(closed(&e).unwrap_or(DeviceError::ReadOnly { document: key.to_string() })),
                    None => Err(DeviceError::ReadOnly { document: key.to_string() }),
                }
            }
            Err(_) => Err(closed(&entry).unwrap_or(DeviceError::ReadOnly { document: key.to_string() })),
        }
    }

    async fn entry(&self, year: i64, key: &DocKey) -> Result<DocumentEntry, DeviceError> {
        self.known_documents(year)
            .await?
            .into_iter()
            .find(|e| e.kind == key.kind && e.division == key.division)
            .ok_or_else(|| DeviceError::UnknownDocument(key.to_string()))
    }

    /// The samod handle of a document, from local storage or the server.
    pub async fn handle(&self, doc_id: &str) -> Result<DocHandle, DeviceError> {
        if let Some(handle) = self.inner.handles.lock().await.get(doc_id) {
            return Ok(handle.clone());
        }
        // Found without holding the lock, so one slow document (asked of the server) does not hold
        // up the others; if two callers find the same one, the first to finish is kept.
        let id = DocumentId::from_str(doc_id).map_err(|_| DeviceError::UnknownDocument(doc_id.to_string()))?;
        let stored_here = self.inner.storage.has_document(doc_id);
        if !stored_here && self.is_dialing() && !self.is_connected() {
            // Not on this device, and the connection is still being made: asking samod now would
            // answer "unavailable" before the server could be asked.
            self.wait_connected(Duration::from_secs(15)).await;
        }
        let found = self.inner.repo.find(id).await?;
        let handle = found.ok_or(DeviceError::Unavailable)?;
        let mut handles = self.inner.handles.lock().await;
        if let Some(existing) = handles.get(doc_id) {
            return Ok(existing.clone());
        }
        handles.insert(doc_id.to_string(), handle.clone());
        let mut changed = handle.changes();
        let weak = Arc::downgrade(&self.inner);
        self.push_task(platform::spawn(async move {
            while changed.next().await.is_some() {
                let Some(inner) = weak.upgrade() else { return };
                inner.changes.send_modify(|n| *n += 1);
            }
        }));
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
        let started = now_ms();
        let entries = self.known_documents(year).await?;
        // Documents on this device are found together (each find waits on the local database, not
        // the CPU): that is the app's cold start. Those still to come from the server are asked
        // for one at a time, as before: a first download is not a cold start.
        let (local, remote): (Vec<&DocumentEntry>, Vec<&DocumentEntry>) =
            entries.iter().partition(|e| self.inner.storage.has_document(e.document_id()));
        let mut found = futures::future::try_join_all(local.iter().map(|e| self.handle(e.document_id()))).await?;
        // What the device read ahead when it opened has served its purpose.
        self.inner.storage.end_read_ahead();
        for entry in &remote {
            found.push(self.handle(entry.document_id()).await?);
        }
        let from_storage = remote.is_empty();
        let ordered: Vec<&DocumentEntry> = local.into_iter().chain(remote).collect();
        let mut heads = Vec::with_capacity(found.len());
        for handle in &found {
            heads.push(handle.with_document(|doc| doc.get_heads()));
        }
        let same = |read: &ReadYear| {
            read.year == year && read.heads == heads && read.entries.iter().eq(ordered.iter().copied())
        };
        if let Some(read) =
            self.inner.read.lock().ok().and_then(|r| r.as_ref().filter(|r| same(r)).map(|r| r.agency_year.clone()))
        {
            return Ok(read);
        }
        let mut agency_year = AgencyYear::default();
        let mut read_at = Vec::with_capacity(found.len());
        for (entry, handle) in ordered.iter().zip(found) {
            let key = DocKey { kind: entry.kind, division: entry.division.clone() };
            // Read in place: copying a document with a long history costs more than reading it.
            handle.with_document(|doc| {
                read_at.push(doc.get_heads());
                agency_year.load(&key, doc)
            })?;
        }
        if from_storage && !self.inner.cold_load_told.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::info!(
                ms = now_ms() - started,
                since_open_ms = now_ms() - self.inner.opened_ms,
                documents = ordered.len(),
                "the agency-year from this device's storage"
            );
        }
        if let Ok(mut read) = self.inner.read.lock() {
            *read = Some(ReadYear {
                year,
                entries: ordered.into_iter().cloned().collect(),
                heads: read_at,
                agency_year: agency_year.clone(),
            });
        }
        Ok(agency_year)
    }

    /// The picture of a track and round this device last showed ([`Device::keep_picture`]), so a
    /// cold start puts its table on screen while the documents are read: what the device knew
    /// then, for the caller to replace with a fresh one. `None` when it showed none yet (or kept
    /// one a newer release wrote differently).
    pub async fn last_picture(
        &self,
        year: i64,
        slot: &prongsai_core::tracks::Slot,
    ) -> Result<Option<prongsai_core::view::MergedView>, DeviceError> {
        let key = picture_key(&self.inner.session.agency_id, year, slot);
        Ok(self.inner.storage.get(&key).await?.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Keeps `view` (a picture of today, not of a date moved back) as the last picture of its
    /// track and round; each slot keeps its newest.
    pub async fn keep_picture(&self, year: i64, view: &prongsai_core::view::MergedView) -> Result<(), DeviceError> {
        let key = picture_key(&self.inner.session.agency_id, year, &view.slot);
        // A picture is plain data; one that would not serialize is simply not kept.
        let Ok(json) = serde_json::to_string(view) else { return Ok(()) };
        self.inner.storage.set(&key, &json).await?;
        Ok(())
    }

    /// Changes a document in one commit with this device's actor, once it is on this device's
    /// disk. A document this user may not write is refused here, before anything is pending.
    pub async fn edit<R, F>(&self, year: i64, key: &DocKey, message: &str, change: F) -> Result<R, DeviceError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Transaction<'_>, &CommitMeta) -> Result<R, DocError> + Send + 'static,
    {
        let entry = self.writable_entry(year, key).await?;
        let doc_id = entry.document_id().to_string();
        let handle = self.handle(&doc_id).await?;
        let meta = CommitMeta::new(message, self.inner.session.username.clone(), now_ms())
            .with_actor(self.inner.actor.clone());
        let edited = handle
            .with_document_async(move |doc| {
                // A newer release's document: never written by this one.
                if let Some(schema) = docs::schema_of(doc).filter(|s| *s > SCHEMA_VERSION) {
                    return Err(schema);
                }
                let before = doc.get_heads();
                let result = docs::edit(doc, &meta, |tx| change(tx, &meta));
                let new: Vec<ChangeHash> = doc.get_changes(&before).iter().map(|c| c.hash()).collect();
                Ok((result, new))
            })
            .await?;
        let (result, new_changes) =
            edited.map_err(|schema| DeviceError::UpdateRequired { document: key.to_string(), schema })?;
        let result = result?;
        if !new_changes.is_empty() {
            self.inner.storage.add_pending(&doc_id, &new_changes).await?;
            self.inner.storage.wait_stored(&doc_id, &new_changes).await?;
            refresh_count(&self.inner).await;
            self.inner.wake.notify_one();
        }
        Ok(result)
    }

    /// Applies a batch of edits (all to one document) in one commit.
    pub async fn apply(&self, year: i64, edits: Vec<Edit>) -> Result<(), DeviceError> {
        let key = edit::batch_document(&edits)?;
        let message = edit::batch_message(&edits);
        self.edit(year, &key, &message, move |tx, meta| edit::apply(tx, &edits, meta)).await
    }

    /// Who is signed in, with name, division and roles from the directory; works offline.
    pub async fn session_view(&self, year: i64) -> Result<SessionView, DeviceError> {
        let entries = self.known_documents(year).await?;
        let closed = entries.iter().any(|e| e.closed);
        let writable =
            entries.into_iter().filter(|e| e.writable).map(|e| DocKey { kind: e.kind, division: e.division }).collect();
        let agency_year = self.agency_year(year).await?;
        let mut view =
            SessionView::describe(&self.inner.session.server, &self.inner.session.username, &agency_year, writable);
        view.closed = closed;
        view.current_year = today_fiscal_year();
        if let Ok(years) = self.years().await {
            view.years = years;
        }
        Ok(view)
    }

    /// Adds a file as evidence of a division's result: the file is prepared (photos downscaled,
    /// EXIF and GPS dropped), kept on this device, referenced in the result at once, and uploaded
    /// in the background when the server is reachable, retried until it is.
    pub async fn add_evidence_file(
        &self,
        year: i64,
        target: EvidenceTarget,
        file_name: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<PreparedFile, DeviceError> {
        let (name, media) = (file_name.to_string(), media_type.to_string());
        let prepared = platform::offload(move || evidence::prepare(&name, &media, bytes))
            .await
            .ok_or(DeviceError::Unavailable)??;
        self.writable_entry(year, &DocKey::results(&target.division)).await?;
        self.inner.storage.queue_upload(&prepared.sha256, &prepared.media_type, prepared.bytes.clone()).await?;
        let edit = Edit::AddEvidence {
            division: target.division,
            measure: target.measure,
            id: target.evidence_id,
            evidence: EvidenceInput {
                sha256: Some(prepared.sha256.clone()),
                file_name: Some(prepared.file_name.clone()),
                media_type: Some(prepared.media_type.clone()),
                size: i64::try_from(prepared.bytes.len()).ok(),
                url: None,
                caption: target.caption,
            },
        };
        self.apply(year, Edit::in_slot(&target.slot, vec![edit])).await?;
        refresh_uploads(&self.inner).await;
        self.inner.wake.notify_one();
        Ok(prepared)
    }

    /// An evidence file's bytes: from this device if kept here, else from the server.
    pub async fn evidence_file(&self, sha256: &str) -> Result<Vec<u8>, DeviceError> {
        if let Some(bytes) = self.inner.storage.local_file(sha256).await? {
            return Ok(bytes);
        }
        Ok(self.inner.api.get_blob(sha256).await?)
    }

    /// A counter that moves whenever a document this device has open changes, locally or from
    /// the server.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// The latest `limit` changes across the agency-year (plan, results, review), newest first.
    pub async fn activity(&self, year: i64, limit: usize) -> Result<Vec<ActivityEntry>, DeviceError> {
        let mut directory = DirectoryDoc::default();
        let mut documents = Vec::new();
        for entry in self.known_documents(year).await? {
            let handle = self.handle(entry.document_id()).await?;
            let doc = handle.with_document_async(|doc| doc.clone()).await?;
            let key = DocKey { kind: entry.kind, division: entry.division.clone() };
            match key.kind {
                DocKind::Directory => directory = docs::read::<DirectoryDoc>(&doc)?,
                DocKind::Plan | DocKind::Results | DocKind::Review => documents.push((key, doc)),
                _ => {}
            }
        }
        Ok(history::activity(documents.iter().map(|(k, d)| (k, d)), &directory, limit))
    }

    /// Who changed what about a measure, across the plan, the review and every division's results.
    pub async fn measure_history(&self, year: i64, measure: &str) -> Result<Vec<HistoryEntry>, DeviceError> {
        self.measure_history_in(year, &prongsai_core::tracks::Slot::INTEGRITY, measure).await
    }

    /// Who changed what about a measure of `slot`'s track and round (resolved), from this
    /// device's documents.
    pub async fn measure_history_in(
        &self,
        year: i64,
        slot: &prongsai_core::tracks::Slot,
        measure: &str,
    ) -> Result<Vec<HistoryEntry>, DeviceError> {
        let mut directory = None;
        let mut documents = Vec::new();
        for entry in self.known_documents(year).await? {
            let handle = self.handle(entry.document_id()).await?;
            let doc = handle.with_document_async(|doc| doc.clone()).await?;
            let key = DocKey { kind: entry.kind, division: entry.division.clone() };
            if key.kind == DocKind::Directory {
                directory = Some(docs::read::<DirectoryDoc>(&doc)?);
            }
            documents.push((key, doc));
        }
        let directory = directory.unwrap_or_default();
        let parts = documents
            .iter()
            .filter(|(key, _)| matches!(key.kind, DocKind::Plan | DocKind::Results | DocKind::Review))
            .map(|(key, doc)| history::measure_history_in(doc, key, slot, measure, &directory))
            .collect();
        Ok(history::merge_histories(parts))
    }

    /// Waits until the server has confirmed every local change, or `timeout` passes.
    pub async fn wait_confirmed(&self, timeout: Duration) -> bool {
        let mut state = self.sync_state();
        platform::timeout(timeout, async {
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
        .is_some()
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
    pub async fn sign_out(&self) -> Result<(), DeviceError> {
        self.disconnect();
        session::forget(&self.inner.config.data_dir, &self.inner.storage).await?;
        Ok(())
    }
}

/// Reads ahead the documents of the year a device shows first (the year `current_year` picks
/// from the saved list of years), from what this device saved: no network, nothing changed.
async fn read_ahead(storage: LocalStorage, agency: String) {
    let saved = |key: String| {
        let storage = storage.clone();
        async move { storage.get(&key).await.ok().flatten() }
    };
    let years: Option<Vec<i64>> = saved(years_key(&agency)).await.and_then(|j| serde_json::from_str(&j).ok());
    let Some(year) = years.and_then(|y| prongsai_core::app::pick_year(&y, today_fiscal_year())) else { return };
    let entries: Option<Vec<DocumentEntry>> =
        saved(documents_key(&agency, year)).await.and_then(|j| serde_json::from_str(&j).ok());
    let Some(entries) = entries else { return };
    storage.read_ahead(entries.iter().map(|e| e.document_id().to_string()).collect()).await;
}

fn years_key(agency: &str) -> String {
    format!("years/{agency}")
}

/// The fiscal year of today in Bangkok.
fn today_fiscal_year() -> i64 {
    i64::from(prongsai_core::Date::from_unix_millis_bangkok(now_ms()).fiscal_year().0)
}

/// Where the last picture of a track and round is kept: a track's round as resolved (its last
/// when the caller named none is another key, so it is kept under the round it showed).
fn picture_key(agency: &str, year: i64, slot: &prongsai_core::tracks::Slot) -> String {
    format!("picture/{agency}/{year}/{}/{}", slot.track_id(), slot.round.as_deref().unwrap_or_default())
}

fn documents_key(agency: &str, year: i64) -> String {
    format!("documents/{agency}/{year}")
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

/// "results/palad" for a document id this device has listed, else the id.
fn document_name(inner: &Inner, doc_id: &str) -> String {
    inner
        .documents
        .lock()
        .ok()
        .and_then(|lists| {
            lists
                .values()
                .flatten()
                .find(|e| e.document_id() == doc_id)
                .map(|e| DocKey { kind: e.kind, division: e.division.clone() }.to_string())
        })
        .unwrap_or_else(|| doc_id.to_string())
}

async fn refresh_count(inner: &Inner) {
    let refused = inner.storage.refused_count().await.unwrap_or(0);
    inner.state.send_modify(|s| s.refused = refused);
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

/// The most pending changes asked about one by one after the server said some were refused;
/// beyond that all of them count as refused (a device with that many is far off course anyway).
const REFUSED_SORT_LIMIT: usize = 500;

/// The server refused a change among the document's heads (its author may not write it, or it
/// builds on one that was): asks about each pending change, forgets the durable ones, and keeps
/// the refused ones on this device, shown as refused, never counted as on their way.
async fn sort_out_refused(inner: &Arc<Inner>, doc_id: &str, known: &[ChangeHash]) {
    let mut refused = Vec::new();
    let mut durable = Vec::new();
    for (i, hash) in known.iter().enumerate() {
        if i >= REFUSED_SORT_LIMIT {
            refused.extend_from_slice(&known[i..]);
            break;
        }
        match inner.api.durability(doc_id, std::slice::from_ref(hash), Duration::ZERO).await {
            Ok(d) if d.durable => durable.push(*hash),
            Ok(d) if d.refused => refused.push(*hash),
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(error = %e, "sorting out refused changes failed; will retry");
                return;
            }
        }
    }
    if !durable.is_empty() {
        let _ = inner.storage.remove_pending(doc_id, &durable).await;
    }
    if refused.is_empty() {
        return;
    }
    tracing::warn!(document = %doc_id, changes = refused.len(), "the server refused changes by an author who may not write");
    if inner.storage.refuse(doc_id, &refused).await.is_ok() {
        let document = document_name(inner, doc_id);
        inner.state.send_modify(|s| {
            s.error = Some(format!(
                "the server refused {} change(s) to {document}: made by someone who may not write it, or built on such a change",
                refused.len()
            ))
        });
    }
}

/// Asks the server, document by document, whether pending changes are durable, and forgets
/// those it confirms.
async fn confirm_loop(weak: std::sync::Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let connected = inner.dialer.lock().ok().and_then(|d| d.as_ref().map(|h| h.is_connected())).unwrap_or(false);
        if connected {
            confirm_once(&inner).await;
            upload_once(&inner).await;
        }
        let wake = inner.wake.clone();
        let idle = if connected { Duration::from_millis(500) } else { Duration::from_secs(2) };
        drop(inner);
        let _ = platform::timeout(idle, wake.notified()).await;
    }
}

/// Uploads the evidence files kept on this device that the server does not have yet.
async fn upload_once(inner: &Arc<Inner>) {
    let Ok(waiting) = inner.storage.uploads_waiting().await else { return };
    for (sha256, media_type) in waiting {
        let Ok(Some(bytes)) = inner.storage.local_file(&sha256).await else { continue };
        match inner.api.put_blob(&sha256, &media_type, bytes).await {
            Ok(()) => {
                let _ = inner.storage.mark_uploaded(&sha256).await;
            }
            Err(ApiError::Unauthorized) => {
                set_connection(inner, Connection::SignedOut);
                break;
            }
            Err(e) => {
                tracing::debug!(error = %e, "evidence upload failed; will retry");
                break;
            }
        }
    }
    refresh_uploads(inner).await;
}

async fn refresh_uploads(inner: &Inner) {
    if let Ok(waiting) = inner.storage.uploads_waiting().await {
        inner.state.send_modify(|s| s.uploads_pending = waiting.len());
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
            // Ask about the document's heads, not each pending change: the server stores a change
            // only with its whole history, so durable heads mean every pending change is durable,
            // and a day's offline edits (a thousand hashes) would not fit in one request.
            let heads = handle.with_document_async(|doc| doc.get_heads()).await.unwrap_or_default();
            match inner.api.durability(&doc_id, &heads, inner.config.confirm_wait).await {
                Ok(d) if d.durable => {
                    let _ = inner.storage.remove_pending(&doc_id, &known).await;
                }
                Ok(d) if !d.writable => {
                    // The server will never take these (the user's rights changed after the edit):
                    // say so, and keep them out of the count of changes still on their way.
                    tracing::warn!(document = %doc_id, changes = known.len(), "the server refused local changes");
                    if inner.storage.refuse(&doc_id, &known).await.is_ok() {
                        let document = document_name(&inner, &doc_id);
                        // The remembered documents list is out of date too: read it again next time.
                        if let Ok(mut lists) = inner.documents.lock() {
                            lists.clear();
                        }
                        inner.state.send_modify(|s| {
                            s.error = Some(format!(
                                "the server refused {} change(s) to {document}: this user may no longer write it",
                                known.len()
                            ))
                        });
                    }
                }
                Ok(d) if d.refused => sort_out_refused(&inner, &doc_id, &known).await,
                Ok(_) => {}
                Err(ApiError::Unauthorized) => set_connection(&inner, Connection::SignedOut),
                Err(e) => tracing::debug!(error = %e, "durability check failed; will retry"),
            }
        }
    });
    futures::future::join_all(checks).await;
    refresh_count(inner).await;
}
