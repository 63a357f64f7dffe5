//! One samod repo per agency, started on first use and stopped when idle.
//!
//! samod keeps every document it has loaded in memory until its repo stops. Giving each agency
//! its own repo bounds memory by the agencies in use, not by every agency ever served, and keeps
//! agencies apart: a connection is accepted only by its own agency's repo.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use samod::{AcceptorHandle, PeerId, Repo};

use crate::db::Database;
use crate::policy::Access;
use crate::storage::DurableStorage;

pub struct AgencyRepo {
    pub agency_id: String,
    pub repo: Repo,
    pub acceptor: AcceptorHandle,
    connections: AtomicUsize,
    last_used: Mutex<Instant>,
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
    repos: tokio::sync::Mutex<HashMap<String, Arc<AgencyRepo>>>,
}

impl<D: Database> Repos<D> {
    pub fn new(storage: DurableStorage<D>, access: Access<D>, peer_id: PeerId) -> Self {
        Repos { storage, access, peer_id, repos: tokio::sync::Mutex::new(HashMap::new()) }
    }

    /// The peer id every agency's repo speaks as.
    pub fn peer_id(&self) -> &PeerId {
        &self.peer_id
    }

    /// The agency's repo, started if it is not running.
    pub async fn get(&self, agency_id: &str) -> Result<Arc<AgencyRepo>, samod::Stopped> {
        let mut repos = self.repos.lock().await;
        if let Some(existing) = repos.get(agency_id) {
            existing.touch();
            return Ok(existing.clone());
        }
        let repo = Repo::build_tokio()
            .with_storage(self.storage.clone())
            .with_share_policy(self.access.clone())
            .with_peer_id(self.peer_id.clone())
            .load()
            .await;
        let url = samod::Url::parse(&format!("prongsai://agency/{agency_id}")).map_err(|_| samod::Stopped)?;
        let acceptor = repo.make_acceptor(url)?;
        tracing::info!(agency = agency_id, "started the agency's repo");
        let entry = Arc::new(AgencyRepo {
            agency_id: agency_id.to_string(),
            repo,
            acceptor,
            connections: AtomicUsize::new(0),
            last_used: Mutex::new(Instant::now()),
        });
        repos.insert(agency_id.to_string(), entry.clone());
        Ok(entry)
    }

    /// Stops repos with no connections that have not been used for `idle`.
    /// Stops the repos of agencies nobody has used for `idle`; returns how many stopped.
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
            idle_ids.iter().filter_map(|id| repos.remove(id)).collect()
        };
        let stopped = stopping.len();
        for entry in stopping {
            tracing::info!(agency = %entry.agency_id, "stopping the idle agency's repo");
            entry.repo.stop().await;
        }
        stopped
    }

    pub async fn running(&self) -> usize {
        self.repos.lock().await.len()
    }

    pub async fn stop_all(&self) {
        let all: Vec<Arc<AgencyRepo>> = self.repos.lock().await.drain().map(|(_, r)| r).collect();
        for entry in all {
            entry.acceptor.close();
            entry.repo.stop().await;
        }
    }
}
