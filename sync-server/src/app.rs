//! The server's shared state and the operations the HTTP API, the WebSocket and the command line
//! share: authentication, the live-connection registry (for revocation), reading an agency-year,
//! and the server's own writes (directory, approvals).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prongsai_core::AgencyYear;
use prongsai_core::automerge::{ActorId, Automerge};
use prongsai_core::docs::{self, CommitMeta, DocError};
use prongsai_core::model::{DocKey, DocKind};
use prongsai_core::wire::ErrorKind;
use samod::{DocHandle, DocumentId};

use crate::auth;
use crate::db::{Database, DbError, DocumentRow, SessionRow, UserRow};
use crate::policy::{Access, Peer};
use crate::repos::Repos;
use crate::storage::DurableStorage;

/// Settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    /// The directory whose disk holds the data, for the free-disk floor; `None` when the data
    /// lives elsewhere (PostgreSQL), where the database's operator watches the disk.
    pub data_dir: Option<PathBuf>,
    pub listen: SocketAddr,
    /// Largest WebSocket message accepted; a bigger one closes that connection.
    pub max_message_bytes: usize,
    /// Largest evidence file accepted.
    pub max_blob_bytes: usize,
    /// How long a login stays valid (devices work offline for weeks).
    pub session_ttl: Duration,
    pub login_window: Duration,
    pub login_failures_per_account: usize,
    pub login_failures_per_address: usize,
    /// An agency's repo stops after this long without connections.
    pub repo_idle: Duration,
    /// A document of a running agency repo that no connection or caller has touched for this
    /// long is dropped from memory (it loads again from storage when next used).
    pub doc_idle: Duration,
    /// The longest a durability check waits.
    pub durable_wait_max: Duration,
    /// The built frontend (`frontend/dist`), served at `/` as the web dashboard.
    pub web_dir: PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for per-address limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The most evidence an agency may store, in bytes.
    pub agency_quota_bytes: u64,
    /// Uploads are refused while the data directory's disk has less free space than this, so
    /// that sync writes (which must never fail) keep room.
    pub min_free_disk_bytes: u64,
    /// Open sync and live connections one user may have at once.
    pub max_connections_per_user: usize,
    /// Bytes that may wait to be sent to one peer before it counts as not reading (and is cut).
    pub max_backlog_bytes: usize,
    /// Pings, pongs and write timeouts of WebSocket connections.
    pub keepalive: crate::sync::Keepalive,
    /// The longest a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// The address people reach this server at ("https://ita.example.go.th"): a signed report
    /// prints its verification page under it. `None`: `http://` and the listening address.
    pub public_url: Option<String>,
    /// This process's name among the servers sharing one PostgreSQL (`--node-name`): it holds
    /// the leases of the agencies it serves. A restarted node with the same name takes its
    /// agencies back at once.
    pub node_name: String,
    /// How long an agency's lease lasts unless renewed: the longest another node waits to take
    /// over the agencies of a node that died or stopped answering.
    pub lease_ttl: Duration,
    /// Take an agency from the node serving it rather than wait for it (the operator's
    /// commands: `sample`, `agency create`, `user add`, …): that node's writes are refused from
    /// then on, it stops the agency's repo, and its clients reconnect once the command is done.
    pub take_over_agencies: bool,
    /// The address the other nodes reach this one at (`--advertise`): a request for an agency
    /// this node serves that reaches another node is carried here.
    pub advertise: String,
    /// Authorities trusted, besides the machine's usual roots, when carrying a request to
    /// another node over HTTPS (`--cluster-ca`).
    pub cluster_ca: Vec<reqwest::Certificate>,
    /// How often the access epoch is read where changes are not announced (SQLite's other
    /// processes, or PostgreSQL while its listening connection is down).
    pub access_poll: Duration,
    /// HTTPS on the listening socket (`--tls-cert`, `--tls-key`, read again on SIGHUP); plain
    /// HTTP when `None`.
    pub tls: Option<std::sync::Arc<crate::tls::Tls>>,
}

/// The machine's name and `what` (e.g. the address served), as a node's default name.
pub fn default_node_name(what: &str) -> String {
    format!("{}/{what}", host_name())
}

/// The machine's name ("localhost" when it has none).
fn host_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    if host.is_empty() { "localhost".to_string() } else { host.to_string() }
}

impl Config {
    /// The address a printed report names for its verification page.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("{}://{}", if self.tls.is_some() { "https" } else { "http" }, self.listen),
        }
    }

    /// `http://` (or `https://`) and the address served; an unspecified one (0.0.0.0) is
    /// named by the machine's name.
    pub fn default_advertise(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        if self.listen.ip().is_unspecified() {
            format!("{scheme}://{}:{}", host_name(), self.listen.port())
        } else {
            format!("{scheme}://{}", self.listen)
        }
    }

    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Config {
        Config {
            advertise: format!("http://{listen}"),
            cluster_ca: Vec::new(),
            access_poll: Duration::from_millis(500),
            node_name: default_node_name(&format!("pid-{}", std::process::id())),
            lease_ttl: Duration::from_secs(3),
            take_over_agencies: false,
            data_dir: Some(data_dir),
            listen,
            max_message_bytes: 16 * 1024 * 1024,
            max_blob_bytes: 25 * 1024 * 1024,
            session_ttl: Duration::from_secs(90 * 24 * 3600),
            login_window: Duration::from_secs(15 * 60),
            login_failures_per_account: 5,
            login_failures_per_address: 30,
            repo_idle: Duration::from_secs(10 * 60),
            doc_idle: Duration::from_secs(2 * 60),
            durable_wait_max: Duration::from_secs(30),
            web_dir: PathBuf::from("frontend/dist"),
            trusted_proxies: Vec::new(),
            agency_quota_bytes: 5 * 1024 * 1024 * 1024,
            min_free_disk_bytes: 1024 * 1024 * 1024,
            max_connections_per_user: 50,
            max_backlog_bytes: 32 * 1024 * 1024,
            keepalive: crate::sync::Keepalive {
                ping_interval: Duration::from_secs(30),
                missed_pongs: 2,
                write_timeout: Duration::from_secs(60),
            },
            header_timeout: Duration::from_secs(10),
            public_url: None,
            tls: None,
        }
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Counters exported at `/metrics`.
#[derive(Default)]
pub struct Metrics {
    pub connections_opened: AtomicU64,
    pub connections_open: AtomicU64,
    pub frames_received: AtomicU64,
    pub frames_rejected: AtomicU64,
    pub refused_writes: AtomicU64,
    pub logins: AtomicU64,
    pub login_failures: AtomicU64,
    pub durable_checks: AtomicU64,
    pub password_checks: AtomicU64,
    pub login_limited: AtomicU64,
    /// Frames about documents the peer may not read (never given to samod).
    pub unreadable_frames: AtomicU64,
    pub ephemeral_dropped: AtomicU64,
    /// Changes taken out of sync messages because their author may not write the document.
    pub refused_changes: AtomicU64,
    pub ephemeral_relayed: AtomicU64,
    pub audit_writes: AtomicU64,
    /// Requests (and sync connections) this node carried to the node serving their agency.
    pub carried_out: AtomicU64,
    /// Requests another node carried here.
    pub carried_in: AtomicU64,
}

/// An authenticated request or connection.
#[derive(Clone, Debug)]
pub struct Auth {
    pub session: SessionRow,
    pub user: UserRow,
}

impl Auth {
    pub fn peer(&self) -> Peer {
        Peer::from_session(&self.session, &self.user)
    }

    /// Whether the caller runs the agency's year: its coordinator or its admin (who add tracks,
    /// set cut-offs, attach scans and record why a report goes before its plan).
    pub fn runs_the_year(&self) -> bool {
        self.user
            .roles
            .iter()
            .any(|r| matches!(r, prongsai_core::model::Role::Coordinator | prongsai_core::model::Role::Admin))
    }
}

/// Who is acting, as the audit log records it: a signed-in user and their session, or the
/// operator at the server's command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub username: String,
    pub session: String,
}

impl Actor {
    pub fn operator() -> Actor {
        Actor { username: "operator".into(), session: "command line".into() }
    }

    pub fn of(auth: &Auth) -> Actor {
        Actor { username: auth.user.username.clone(), session: auth.session.peer_id.clone() }
    }
}

/// Why a server operation failed, as the API reports it (status and body: [`AppError::kind`]).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A read-only (web dashboard) session asked to write.
    #[error("this session is read-only: {0}")]
    ReadOnly(String),
    /// The request conflicts with the current state; the kind says how.
    #[error("{1}")]
    Conflict(ErrorKind, String),
    #[error("{0}")]
    BadRequest(String),
    /// Any other refusal with its kind (too large, wrong type, quota, busy, …), and how long to
    /// wait before trying again where that is known.
    #[error("{message}")]
    Refused { kind: ErrorKind, message: String, retry_after: Option<Duration> },
    #[error("storage: {0}")]
    Db(#[from] DbError),
    #[error("document: {0}")]
    Doc(#[from] DocError),
    #[error("the agency's repository stopped; try again")]
    Stopped,
    #[error("storage is unhealthy; writes are not being confirmed")]
    Unhealthy,
}

impl AppError {
    /// What kind of refusal this is on the wire.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::NotFound => ErrorKind::NotFound,
            AppError::Forbidden(_) => ErrorKind::Forbidden,
            AppError::ReadOnly(_) => ErrorKind::ReadOnly,
            AppError::Conflict(kind, _) | AppError::Refused { kind, .. } => *kind,
            AppError::BadRequest(_) => ErrorKind::Invalid,
            AppError::Stopped | AppError::Unhealthy => ErrorKind::Unavailable,
            AppError::Db(_) | AppError::Doc(_) => ErrorKind::Internal,
        }
    }

    pub fn refused(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError::Refused { kind, message: message.into(), retry_after: None }
    }
}

impl From<samod::Stopped> for AppError {
    fn from(_: samod::Stopped) -> Self {
        AppError::Stopped
    }
}

impl From<crate::repos::RepoError> for AppError {
    fn from(e: crate::repos::RepoError) -> Self {
        match e {
            crate::repos::RepoError::Stopped => AppError::Stopped,
            crate::repos::RepoError::Storage(e) => AppError::Db(e),
            served @ crate::repos::RepoError::ServedElsewhere(..) => AppError::Refused {
                kind: ErrorKind::Unavailable,
                message: served.to_string(),
                retry_after: Some(Duration::from_secs(1)),
            },
        }
    }
}

struct LiveConnection {
    id: u64,
    peer_id: String,
    close: CloseSignal,
}

/// Leaving the registry closes the connection, whoever removes it.
impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.close.close();
    }
}

/// "Close now", told to one live connection's reader and writer: set once, seen by every clone,
/// also by one that starts waiting after it was set. (A `watch` channel did the same with ten
/// times the memory, about half a KiB for each of thousands of quiet connections.)
#[derive(Clone, Default)]
pub struct CloseSignal(Arc<CloseState>);

#[derive(Default)]
struct CloseState {
    closed: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl CloseSignal {
    pub fn close(&self) {
        self.0.closed.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_closed(&self) -> bool {
        self.0.closed.load(Ordering::SeqCst)
    }

    /// Returns once the connection is to close.
    pub async fn closed(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before the flag is read: a `close` in between still wakes this wait.
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

pub struct Inner<D> {
    pub config: Config,
    pub db: D,
    pub storage: DurableStorage<D>,
    pub access: Access<D>,
    pub repos: Repos<D>,
    pub limiter: auth::RateLimiter,
    pub metrics: Metrics,
    /// The server's registered actor: history names changes of `write_actor` after it.
    pub server_actor: ActorId,
    /// The actor this run of the server writes the directory and approvals with
    /// (`docs::actor_for_run`).
    pub write_actor: ActorId,
    live: Mutex<HashMap<i64, Vec<LiveConnection>>>,
    next_connection: AtomicU64,
    refused: crate::sync::RefusedChanges,
    /// Agencies' security settings, read on every request (see `second_factor::security`).
    security: Mutex<HashMap<String, prongsai_core::admin::AgencySecurity>>,
    /// Per agency: held while a year or a division's documents are being created, so that two
    /// requests at once create them once (the registry's unique key covers other processes).
    year_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The node-to-node link, once the shared database's key is read (`None` on SQLite: one
    /// node only).
    link: tokio::sync::OnceCell<Option<crate::link::Link>>,
    /// The version of the ITA criteria the server knows (the build's and the imported), read
    /// again every few seconds (`criteria::refresh_directories`).
    criteria_version: Mutex<String>,
}

#[derive(Clone)]
pub struct App<D> {
    inner: Arc<Inner<D>>,
}

impl<D> std::ops::Deref for App<D> {
    type Target = Inner<D>;
    fn deref(&self) -> &Inner<D> {
        &self.inner
    }
}

/// Removes a connection from the live registry when the connection ends.
pub struct LiveGuard<D: Database> {
    app: App<D>,
    user_id: i64,
    id: u64,
}

impl<D: Database> Drop for LiveGuard<D> {
    fn drop(&mut self) {
        if let Ok(mut live) = self.app.live.lock()
            && let Some(list) = live.get_mut(&self.user_id)
        {
            list.retain(|c| c.id != self.id);
            if list.is_empty() {
                live.remove(&self.user_id);
            }
        }
        self.app.metrics.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<D: Database> App<D> {
    pub async fn new(config: Config, db: D) -> Result<App<D>, DbError> {
        let server_actor = match db.setting("server_actor".into()).await? {
            Some(hex) => ActorId::from_str(&hex).unwrap_or_else(|_| ActorId::random()),
            None => {
                let actor = ActorId::random();
                db.set_setting("server_actor".into(), actor.to_hex_string()).await?;
                actor
            }
        };
        let criteria_version = crate::criteria::current_version(&db).await?;
        let storage = DurableStorage::new(db.clone());
        let access = Access::new(db.clone(), now_ms);
        let peer_id = samod::PeerId::from(format!("prongsai-server-{}", &server_actor.to_hex_string()[..12]).as_str());
        let repos = Repos::new(storage.clone(), access.clone(), peer_id, &config);
        let limiter = auth::RateLimiter::new(
            config.login_window,
            config.login_failures_per_account,
            config.login_failures_per_address,
        );
        Ok(App {
            inner: Arc::new(Inner {
                config,
                db,
                storage,
                access,
                repos,
                limiter,
                metrics: Metrics::default(),
                write_actor: prongsai_core::docs::actor_for_run(&server_actor, &ActorId::random()),
                server_actor,
                live: Mutex::new(HashMap::new()),
                next_connection: AtomicU64::new(1),
                refused: crate::sync::RefusedChanges::default(),
                security: Mutex::new(HashMap::new()),
                year_locks: Mutex::new(HashMap::new()),
                link: tokio::sync::OnceCell::new(),
                criteria_version: Mutex::new(criteria_version),
            }),
        })
    }

    /// The agency's repo, for a request or a connection about to be answered: started here
    /// unless another node serves the agency, and its directories first brought up to the
    /// criteria this server knows (so nothing is printed or synced under older ones).
    pub async fn serve_agency(
        &self,
        agency_id: &str,
    ) -> Result<Arc<crate::repos::AgencyRepo>, crate::repos::RepoError> {
        let repo = self.repos.get(agency_id).await?;
        if let Err(error) = crate::criteria::bring_up_to_date(self, &repo).await {
            tracing::warn!(agency = agency_id, %error, "writing the ITA criteria into the agency's directories failed; will retry");
        }
        Ok(repo)
    }

    pub fn criteria_version(&self) -> String {
        self.criteria_version.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn set_criteria_version(&self, version: String) {
        if let Ok(mut current) = self.criteria_version.lock() {
            *current = version;
        }
    }

    /// The node-to-node link: `None` where the database has no other nodes (SQLite), or its
    /// key cannot be read now (asked again next time).
    pub async fn link(&self) -> Option<&crate::link::Link> {
        let link = self
            .link
            .get_or_try_init(|| async {
                let secret = self.db.cluster_secret().await?;
                Ok::<_, DbError>(secret.map(|secret| {
                    crate::link::Link::new(secret, self.config.node_name.clone(), &self.config.cluster_ca)
                }))
            })
            .await;
        match link {
            Ok(link) => link.as_ref(),
            Err(error) => {
                tracing::warn!(%error, "the node-to-node key could not be read");
                None
            }
        }
    }

    /// The session and user behind a bearer token, if it is valid now.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Auth>, DbError> {
        let Some(session) = self.db.session_by_token_hash(auth::token_hash(token)).await? else {
            return Ok(None);
        };
        if session.revoked || session.expires_at <= now_ms() {
            return Ok(None);
        }
        let Some(user) = self.db.user_by_id(session.user_id).await? else { return Ok(None) };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Auth { session, user }))
    }

    /// Registers a live connection; the returned signal says when it must close. A connection
    /// the registry cannot hold (its lock poisoned) could never be revoked: it closes at once.
    pub fn register_connection(&self, auth: &Auth) -> (LiveGuard<D>, CloseSignal) {
        let close = CloseSignal::default();
        let closed = close.clone();
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        match self.live.lock() {
            Ok(mut live) => live.entry(auth.user.id).or_default().push(LiveConnection {
                id,
                peer_id: auth.session.peer_id.clone(),
                close,
            }),
            Err(_) => close.close(),
        }
        self.metrics.connections_opened.fetch_add(1, Ordering::Relaxed);
        self.metrics.connections_open.fetch_add(1, Ordering::Relaxed);
        (LiveGuard { app: self.clone(), user_id: auth.user.id, id }, closed)
    }

    /// The lock held while an agency's documents are created.
    pub fn year_lock(&self, agency: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.year_locks.lock() {
            Ok(mut locks) => locks.entry(agency.to_string()).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    pub fn cached_security(&self, agency: &str) -> Option<prongsai_core::admin::AgencySecurity> {
        self.security.lock().ok().and_then(|c| c.get(agency).copied())
    }

    pub fn cache_security(&self, agency: &str, settings: prongsai_core::admin::AgencySecurity) {
        if let Ok(mut cache) = self.security.lock() {
            cache.insert(agency.to_string(), settings);
        }
    }

    /// Another process may have changed agencies' settings: read them again.
    pub fn forget_security(&self) {
        if let Ok(mut cache) = self.security.lock() {
            cache.clear();
        }
    }

    /// How many live connections (sync and `/live`) a user has open.
    pub fn connections_of(&self, user_id: i64) -> usize {
        self.live.lock().map(|live| live.get(&user_id).map_or(0, Vec::len)).unwrap_or(0)
    }

    /// Changes of `doc` refused because their author may not write it (this run of the server).
    pub fn refused_changes(&self, doc: &str) -> std::collections::HashSet<prongsai_core::automerge::ChangeHash> {
        self.refused.of(doc)
    }

    pub fn refuse_changes(&self, doc: &str, hashes: &[prongsai_core::automerge::ChangeHash]) {
        self.refused.add(doc, hashes);
    }

    /// Appends to the agency's audit log: who did what to what, from which session.
    pub async fn audit(
        &self,
        agency: &str,
        actor: &Actor,
        action: prongsai_core::admin::AuditAction,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        let entry = prongsai_core::admin::AuditEntry {
            id: 0,
            at: now_ms(),
            actor: actor.username.clone(),
            session: actor.session.clone(),
            action,
            target: target.to_string(),
            detail,
        };
        self.db.audit_append(agency.to_string(), entry).await.map_err(|e| {
            tracing::error!(error = %e, ?action, "writing the audit log failed");
            AppError::Db(e)
        })?;
        self.metrics.audit_writes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Closes every live connection of a user (all of them, or only those of some peers).
    pub fn close_connections(&self, user_id: i64, only_peers: Option<&[String]>) -> usize {
        let Ok(live) = self.live.lock() else { return 0 };
        let Some(list) = live.get(&user_id) else { return 0 };
        let mut closed = 0;
        for conn in list {
            if only_peers.is_none_or(|peers| peers.contains(&conn.peer_id)) {
                conn.close.close();
                closed += 1;
            }
        }
        closed
    }

    /// Closes every live connection (storage failure, shutdown).
    pub fn close_all_connections(&self) {
        if let Ok(live) = self.live.lock() {
            for conn in live.values().flatten() {
                conn.close.close();
            }
        }
    }

    /// Revokes every session of a user and cuts their open connections.
    pub async fn revoke_user(&self, user_id: i64) -> Result<usize, DbError> {
        self.db.sessions_revoke_user(user_id).await?;
        self.access.invalidate();
        let closed = self.close_connections(user_id, None);
        tracing::info!(user_id, closed, "revoked a user's sessions");
        Ok(closed)
    }

    /// Re-checks every live connection's session (after another process changed the database).
    pub async fn recheck_live_sessions(&self) {
        let peers: Vec<(i64, String)> = match self.live.lock() {
            Ok(live) => live.iter().flat_map(|(u, list)| list.iter().map(move |c| (*u, c.peer_id.clone()))).collect(),
            Err(_) => return,
        };
        let mut changed = false;
        for (user_id, peer_id) in peers {
            let valid = match self.db.session_by_peer(peer_id.clone()).await {
                Ok(Some(s)) => !s.revoked && s.expires_at > now_ms(),
                Ok(None) => false,
                Err(_) => continue,
            };
            let enabled = matches!(self.db.user_by_id(user_id).await, Ok(Some(u)) if !u.disabled);
            if !(valid && enabled) {
                changed = true;
                self.close_connections(user_id, Some(std::slice::from_ref(&peer_id)));
            }
        }
        if changed {
            self.access.invalidate();
        }
    }

    /// The samod handle of a registered document, through its agency's repo.
    pub async fn handle(&self, row: &DocumentRow) -> Result<DocHandle, AppError> {
        let id = DocumentId::from_str(&row.doc_id).map_err(|_| AppError::NotFound)?;
        let repo = self.repos.get(&row.agency_id).await?;
        repo.repo.find(id).await?.ok_or(AppError::NotFound)
    }

    /// Reads every document of an agency-year into the typed model.
    pub async fn agency_year(&self, agency_id: &str, year: i64) -> Result<(AgencyYear, Vec<DocumentRow>), AppError> {
        let rows = self.db.documents_of(agency_id.to_string(), year).await?;
        if rows.is_empty() {
            return Err(AppError::NotFound);
        }
        let mut agency_year = AgencyYear::default();
        for row in &rows {
            let handle = self.handle(row).await?;
            let key = DocKey { kind: row.kind, division: row.division.clone() };
            let copy: Automerge = handle.with_document_async(|doc| doc.clone()).await?;
            agency_year.load(&key, &copy)?;
        }
        Ok((agency_year, rows))
    }

    /// A change the server makes itself (directory, approvals, imports), with the server's actor
    /// (`author` names who asked for it in history). It answers only after the change is
    /// committed to storage, like a device's change is confirmed: a signature the caller was told
    /// about is never lost to a crash.
    pub async fn server_edit<R, F>(&self, row: &DocumentRow, message: &str, change: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut prongsai_core::automerge::transaction::Transaction<'_>) -> Result<R, DocError> + Send + 'static,
    {
        self.server_edit_as(row, message, "server", move |tx, _| change(tx)).await
    }

    /// [`App::server_edit`] recorded in history as asked for by `author`.
    pub async fn server_edit_as<R, F>(
        &self,
        row: &DocumentRow,
        message: &str,
        author: &str,
        change: F,
    ) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut prongsai_core::automerge::transaction::Transaction<'_>, &CommitMeta) -> Result<R, DocError>
            + Send
            + 'static,
    {
        let handle = self.handle(row).await?;
        let meta = CommitMeta::new(message, author, now_ms()).with_actor(self.write_actor.clone());
        let (result, heads) = handle
            .with_document_async(move |doc| {
                let inner = meta.clone();
                docs::edit(doc, &meta, |tx| change(tx, &inner)).map(|r| (r, doc.get_heads()))
            })
            .await??;
        self.confirm_stored(&row.doc_id, &heads).await?;
        Ok(result)
    }

    /// Waits until every head is committed to storage: what the server answers after a write of
    /// its own. Refuses (503) when storage fails or does not commit within the durability wait.
    pub async fn confirm_stored(
        &self,
        doc_id: &str,
        heads: &[prongsai_core::automerge::ChangeHash],
    ) -> Result<(), AppError> {
        match self.storage.wait_durable(doc_id, heads, self.config.durable_wait_max).await {
            Ok(true) => Ok(()),
            Ok(false) => {
                tracing::error!(document = %doc_id, "a server write was not committed in time");
                Err(AppError::Unhealthy)
            }
            Err(_) => Err(AppError::Unhealthy),
        }
    }

    /// Records in the directory of each of the agency's years that `actor` writes for `user`.
    pub async fn register_actor(&self, user: &UserRow, actor: &str, device: &str) -> Result<(), AppError> {
        for year in self.db.years_of(user.agency_id.clone()).await? {
            let rows = self.db.documents_of(user.agency_id.clone(), year).await?;
            let Some(directory) = rows.iter().find(|r| r.kind == DocKind::Directory) else { continue };
            let info = prongsai_core::model::ActorInfo {
                username: user.username.clone(),
                device: device.to_string(),
                issued_at: now_ms(),
            };
            let actor = actor.to_string();
            self.server_edit(directory, "ลงทะเบียนอุปกรณ์", move |tx| {
                docs::directory::register_actor(tx, &actor, &info)
            })
            .await?;
        }
        Ok(())
    }

    /// A new session for `user` on a device: a fresh token (returned once, stored hashed), peer
    /// id and actor id, the actor registered in the directory so history can name the user.
    /// A `read_only` session (the web dashboard) writes no document.
    pub async fn issue_session(
        &self,
        user: &UserRow,
        device: &str,
        read_only: bool,
    ) -> Result<IssuedSession, AppError> {
        let token = auth::new_token();
        let device: String = device.chars().take(120).collect();
        let session = SessionRow {
            token_hash: auth::token_hash(&token),
            user_id: user.id,
            peer_id: auth::new_peer_id(),
            actor_id: auth::new_actor_id(auth::actor_prefix(&user.agency_id, user.id)),
            device: device.clone(),
            created_at: now_ms(),
            expires_at: now_ms() + i64::try_from(self.config.session_ttl.as_millis()).unwrap_or(i64::MAX / 2),
            revoked: false,
            read_only,
        };
        self.db.session_create(session.clone()).await?;
        if let Err(e) = self.register_actor(user, &session.actor_id, &device).await {
            tracing::error!(error = %e, "registering the session's actor in the directory");
        }
        Ok(IssuedSession { token, session })
    }
}

/// A session just issued: the token exists only here and in the answer to the device.
pub struct IssuedSession {
    pub token: String,
    pub session: SessionRow,
}

#[cfg(test)]
mod tests {
    use super::CloseSignal;
    use futures::FutureExt;

    #[tokio::test]
    async fn a_close_reaches_every_waiter_also_one_that_starts_waiting_after_it() {
        let signal = CloseSignal::default();
        let (reader, writer) = (signal.clone(), signal.clone());
        let waiting = tokio::spawn(async move { reader.closed().await });
        assert!(writer.closed().now_or_never().is_none(), "nothing closed yet");
        signal.close();
        waiting.await.expect("the waiting reader was told");
        assert!(writer.closed().now_or_never().is_some(), "a wait that starts after the close ends at once");
        assert!(writer.is_closed());
    }

    #[test]
    fn leaving_the_registry_closes_the_connection() {
        let close = CloseSignal::default();
        let entry = super::LiveConnection { id: 1, peer_id: "tablet".into(), close: close.clone() };
        assert!(!close.is_closed());
        drop(entry);
        assert!(close.is_closed());
    }
}
