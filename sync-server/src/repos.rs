//! One samod repo per agency, started on first use and stopped when idle.
//!
//! samod keeps every document it has loaded in memory until its repo stops. Giving each agency
//! its own repo bounds memory by the agencies in use, not by every agency ever served, and keeps
//! agencies apart: a connection is accepted only by its own agency's repo. Within a running
//! repo, a document nobody has touched for `Config::doc_idle` is dropped too (our patch to
//! samod, `Repo::unload_idle_documents`), and loads again from storage when next used.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use samod::{AcceptorHandle, PeerId, Repo};

use crate::db::{Database, Lease, Node};
use crate::policy::Access;
use crate::storage::DurableStorage;

pub struct AgencyRepo {
    pub agency_id: String,
    pub repo: Repo,
    pub acceptor: AcceptorHandle,
    /// This process's hold on the agency (several servers on one PostgreSQL).
    pub lease: Lease,
    /// Turns true once the lease is lost (not renewed in time, or a write refused): the repo
    /// is stopping and the next use starts another (or finds the agency served elsewhere).
    lost: Arc<tokio::sync::watch::Sender<bool>>,
    /// Stopped here (idle, or the server stopping) and its lease let go: no more renewals.
    released: std::sync::atomic::AtomicBool,
    /// Held while the lease is renewed or released, so no renewal follows the release.
    lease_turn: tokio::sync::Mutex<()>,
    connections: AtomicUsize,
    last_used: Mutex<Instant>,
    /// The version of the ITA criteria this node last brought the agency's directories up to
    /// (empty until it has: `criteria::bring_up_to_date`).
    pub criteria: tokio::sync::Mutex<String>,
}

/// Why an agency's repo cannot be had here.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("the agency's repository stopped; try again")]
    Stopped,
    /// Another server process holds the agency's lease: the agency, and that node.
    #[error("the agency is served by another server ({}) now; try again", .1.name)]
    ServedElsewhere(String, Node),
    #[error("storage: {0}")]
    Storage(#[from] crate::db::DbError),
}

impl From<samod::Stopped> for RepoError {
    fn from(_: samod::Stopped) -> Self {
        RepoError::Stopped
    }
}

impl AgencyRepo {
    fn touch(&self) {
        if let Ok(mut t) = self.last_used.lock() {
            *t = Instant::now();
        }
    }

    /// Counts a live connection until the guard drops.
    pub fn connection_guard(self: &Arc<Self>) -> ConnectionCount {
        self.connections.fetch_add(1, Ordering::SeqCst);
        self.touch();
        ConnectionCount(self.clone())
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Whether this process has lost the agency (its repo is stopping).
    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }
}

/// Keeps an agency's repo counted as in use.
pub struct ConnectionCount(Arc<AgencyRepo>);

impl Drop for ConnectionCount {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

pub struct Repos<D> {
    storage: DurableStorage<D>,
    access: Access<D>,
    peer_id: PeerId,
    /// This process among the servers sharing a database (`--node-name`, `--advertise`).
    node: Node,
    /// How long a lease lasts unless renewed (renewed at a third of it).
    lease_ttl: Duration,
    /// Take an agency from the node serving it instead of waiting (an operator's command).
    take_over: bool,
    /// Agencies this process lost to another node while serving them.
    leases_lost: Arc<std::sync::atomic::AtomicU64>,
    /// A running repo's document untouched for this long is dropped from memory.
    doc_idle: Duration,
    repos: tokio::sync::Mutex<HashMap<String, Arc<AgencyRepo>>>,
}

impl<D: Database> Repos<D> {
    pub fn new(storage: DurableStorage<D>, access: Access<D>, peer_id: PeerId, config: &crate::app::Config) -> Self {
        Repos {
            storage,
            access,
            peer_id,
            node: Node { name: config.node_name.clone(), address: config.advertise.clone() },
            lease_ttl: config.lease_ttl,
            take_over: config.take_over_agencies,
            leases_lost: Arc::default(),
            doc_idle: config.doc_idle,
            repos: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The peer id every agency's repo speaks as.
    pub fn peer_id(&self) -> &PeerId {
        &self.peer_id
    }

    /// Agencies this process lost to another node while serving them.
    pub fn leases_lost(&self) -> u64 {
        self.leases_lost.load(Ordering::Relaxed)
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.lease_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// The agency's repo, started if it is not running: first the agency's lease is taken,
    /// unless another server process holds it ([`RepoError::ServedElsewhere`]).
    pub async fn get(&self, agency_id: &str) -> Result<Arc<AgencyRepo>, RepoError> {
        let mut repos = self.repos.lock().await;
        if let Some(existing) = repos.get(agency_id) {
            if !existing.is_lost() {
                existing.touch();
                return Ok(existing.clone());
            }
            // Lost: its keeper is stopping it; start afresh (or find it served elsewhere).
            repos.remove(agency_id);
        }
        let db = self.storage.db().clone();
        let lease =
            match db.lease_acquire(agency_id.to_string(), self.node.clone(), self.ttl_ms(), self.take_over).await? {
                Ok(lease) => lease,
                Err(holder) => return Err(RepoError::ServedElsewhere(agency_id.to_string(), holder)),
            };
        let lost = Arc::new(tokio::sync::watch::channel(false).0);
        let storage = self.storage.fenced(lease.clone(), lost.clone());
        let repo = Repo::build_tokio()
            .with_storage(storage)
            .with_share_policy(self.access.clone())
            .with_peer_id(self.peer_id.clone())
            // The server announces nothing (`Access`): a device's connection joins a document
            // only once the device speaks about it, so documents × connections costs nothing for
            // the documents a device never opened (vendored samod, PATCHED.md).
            .with_peers_on_demand()
            .load()
            .await;
        let url = samod::Url::parse(&format!("prongsai://agency/{agency_id}")).map_err(|_| samod::Stopped)?;
        let acceptor = repo.make_acceptor(url)?;
        tracing::info!(agency = agency_id, node = %self.node.name, token = lease.token, "started the agency's repo");
        let entry = Arc::new(AgencyRepo {
            agency_id: agency_id.to_string(),
            repo,
            acceptor,
            lease,
            lost,
            released: std::sync::atomic::AtomicBool::new(false),
            lease_turn: tokio::sync::Mutex::new(()),
            connections: AtomicUsize::new(0),
            last_used: Mutex::new(Instant::now()),
            criteria: tokio::sync::Mutex::new(String::new()),
        });
        tokio::spawn(keep_lease(db, Arc::downgrade(&entry), self.lease_ttl, self.leases_lost.clone()));
        repos.insert(agency_id.to_string(), entry.clone());
        Ok(entry)
    }

    /// Stops the repos of agencies nobody has used for `idle`; returns how many stopped. In the
    /// repos still running, the documents idle for `Config::doc_idle` are dropped from memory
    /// ([`Repos::unload_idle_documents`]).
    pub async fn stop_idle(&self, idle: Duration) -> usize {
        let stopping: Vec<Arc<AgencyRepo>> = {
            let mut repos = self.repos.lock().await;
            let idle_ids: Vec<String> = repos
                .iter()
                .filter(|(_, r)| {
                    r.connection_count() == 0 && r.last_used.lock().map(|t| t.elapsed() >= idle).unwrap_or(false)
                })
                .map(|(id, _)| id.clone())
                .collect();
            let stopping = idle_ids.iter().filter_map(|id| repos.remove(id)).collect();
            unload_idle_documents(repos.values(), self.doc_idle);
            stopping
        };
        let stopped = stopping.len();
        for entry in stopping {
            tracing::info!(agency = %entry.agency_id, "stopping the idle agency's repo");
            self.stop(&entry).await;
        }
        stopped
    }

    /// Stops an agency's repo and lets its lease go, so another node may take it at once.
    async fn stop(&self, entry: &AgencyRepo) {
        entry.acceptor.close();
        entry.repo.stop().await;
        let _turn = entry.lease_turn.lock().await;
        entry.released.store(true, Ordering::SeqCst);
        if !entry.is_lost() {
            release(self.storage.db(), entry).await;
        }
    }

    pub async fn running(&self) -> usize {
        self.repos.lock().await.len()
    }

    /// The repos running here that still hold their agency's lease.
    pub async fn serving(&self) -> Vec<Arc<AgencyRepo>> {
        self.repos.lock().await.values().filter(|r| !r.is_lost()).cloned().collect()
    }

    /// Drops from memory the documents of running repos that no connection has sent or received
    /// a message about, and no request has opened, for `idle` (and that nothing here holds a
    /// handle to); each is written first, and loads again from storage when next used. Returns
    /// how many began to drop.
    pub async fn unload_idle_documents(&self, idle: Duration) -> usize {
        unload_idle_documents(self.repos.lock().await.values(), idle)
    }

    /// Documents in memory across the running repos.
    pub async fn documents_loaded(&self) -> usize {
        self.repos.lock().await.values().map(|r| r.repo.loaded_documents()).sum()
    }

    pub async fn stop_all(&self) {
        let all: Vec<Arc<AgencyRepo>> = self.repos.lock().await.drain().map(|(_, r)| r).collect();
        for entry in all {
            self.stop(&entry).await;
        }
    }
}

fn unload_idle_documents<'a>(repos: impl Iterator<Item = &'a Arc<AgencyRepo>>, idle: Duration) -> usize {
    repos
        .filter(|r| !r.is_lost())
        .map(|r| {
            let unloading = r.repo.unload_idle_documents(idle);
            if unloading > 0 {
                tracing::debug!(agency = %r.agency_id, unloading, "dropping idle documents from memory");
            }
            unloading
        })
        .sum()
}

/// Renews an agency's lease at a third of its time to live while its repo runs. Once the lease
/// is lost (another node took it, the database said no, or a write was refused), the repo stops:
/// its connections close and its clients reconnect to whichever node holds the agency.
async fn keep_lease<D: Database>(
    db: D,
    entry: std::sync::Weak<AgencyRepo>,
    ttl: Duration,
    lost_count: Arc<std::sync::atomic::AtomicU64>,
) {
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let mut renewed = Instant::now();
    loop {
        let Some(repo) = entry.upgrade() else { return };
        let mut lost = repo.lost.subscribe();
        drop(repo);
        tokio::select! {
            _ = tokio::time::sleep(ttl / 3) => {}
            _ = lost.wait_for(|lost| *lost) => {}
        }
        let Some(repo) = entry.upgrade() else { return };
        if repo.is_lost() {
            lost_count.fetch_add(1, Ordering::Relaxed);
            return stop_lost(&repo, "a write was refused").await;
        }
        let turn = repo.lease_turn.lock().await;
        if repo.released.load(Ordering::SeqCst) {
            return;
        }
        let renewal = db.lease_renew(repo.lease.clone(), ttl_ms).await;
        drop(turn);
        match renewal {
            Ok(true) => renewed = Instant::now(),
            Ok(false) => {
                lost_count.fetch_add(1, Ordering::Relaxed);
                return stop_lost(&repo, "another node took the agency").await;
            }
            Err(error) if renewed.elapsed() >= ttl => {
                tracing::error!(%error, "the agency's lease could not be renewed in time");
                lost_count.fetch_add(1, Ordering::Relaxed);
                return stop_lost(&repo, "the lease ran out").await;
            }
            Err(error) => {
                tracing::warn!(agency = %repo.agency_id, %error, "renewing the agency's lease failed; trying again")
            }
        }
    }
}

async fn release<D: Database>(db: &D, entry: &AgencyRepo) {
    if let Err(error) = db.lease_release(entry.lease.clone()).await {
        tracing::warn!(agency = %entry.agency_id, %error, "could not release the agency's lease (it runs out)");
    }
}

async fn stop_lost(repo: &AgencyRepo, why: &str) {
    tracing::warn!(agency = %repo.agency_id, token = repo.lease.token, why, "lost the agency: stopping its repo here");
    repo.lost.send_replace(true);
    repo.acceptor.close();
    repo.repo.stop().await;
}
