//! The access policy: for each (document, peer), samod asks what the peer may do. The answer
//! depends on the peer's session and user (agency, roles, division) and the document's
//! registration (agency, kind, division), through core's [`may_write`] rule.
//!
//! Decisions are live: [`Access::invalidate`] (revocation, a role change, a year closed or
//! reopened) bumps an epoch, every
//! open policy stream recomputes, and samod applies the new decision to open connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::Stream;
use prongsai_core::access::{Principal, may_write};
use prongsai_core::model::Role;
use samod::{DocumentId, PeerId, ShareConfig};

use crate::auth::{ACTOR_PREFIX_BYTES, actor_prefix};
use crate::db::{Database, DocumentRow, SessionRow, UserRow};

/// A connected peer's identity, resolved from its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub user_id: i64,
    pub username: String,
    pub agency_id: String,
    pub roles: Vec<Role>,
    pub division: Option<String>,
    /// A web session: it writes no document whatever the user's roles.
    pub read_only: bool,
    /// When the session stops being valid (Unix milliseconds).
    pub expires_at: i64,
}

impl Peer {
    pub fn from_session(session: &SessionRow, user: &UserRow) -> Peer {
        Peer {
            user_id: user.id,
            username: user.username.clone(),
            agency_id: user.agency_id.clone(),
            roles: user.roles.clone(),
            division: user.division.clone(),
            read_only: session.read_only,
            expires_at: session.expires_at,
        }
    }

    /// Whether this session writes any document of its agency (and so may upload evidence).
    pub fn writes_some_document(&self) -> bool {
        !self.read_only
            && prongsai_core::access::may_write_some(&Principal {
                roles: &self.roles,
                division: self.division.as_deref(),
            })
    }

    /// Whether this session may write `doc` now: never in a closed year.
    pub fn may_write(&self, doc: &DocumentRow) -> bool {
        !self.read_only
            && !doc.closed
            && doc.agency_id == self.agency_id
            && may_write(
                &Principal { roles: &self.roles, division: self.division.as_deref() },
                doc.kind,
                doc.division.as_deref(),
            )
    }
}

#[derive(Default)]
struct Caches {
    peers: HashMap<String, Option<Peer>>,
    documents: HashMap<String, DocumentRow>,
    /// Per agency: its users by the prefix of the actors their sessions are issued.
    authors: HashMap<String, Arc<HashMap<[u8; ACTOR_PREFIX_BYTES], UserRow>>>,
    /// Actors issued whole by sessions of an older server (no user prefix), by hex.
    session_actors: HashMap<String, Option<UserRow>>,
}

/// Shared access state: caches and the epoch that makes decisions live.
#[derive(Clone)]
pub struct Access<D> {
    db: D,
    epoch: Arc<tokio::sync::watch::Sender<u64>>,
    caches: Arc<Mutex<Caches>>,
    now_ms: fn() -> i64,
}

impl<D: Database> Access<D> {
    pub fn new(db: D, now_ms: fn() -> i64) -> Self {
        let (epoch, _) = tokio::sync::watch::channel(0);
        Access { db, epoch: Arc::new(epoch), caches: Arc::default(), now_ms }
    }

    /// Follows the access epoch: it moves whenever decisions must be recomputed.
    pub fn epoch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.epoch.subscribe()
    }

    /// Something about users or sessions changed: recompute every decision.
    ///
    /// The caches are cleared and the epoch moves under the caches' lock, and a lookup stores
    /// what it read only if the epoch has not moved since it began (under the same lock): a
    /// decision read from the database just before a role change can never be cached after it.
    pub fn invalidate(&self) {
        match self.caches.lock() {
            Ok(mut caches) => {
                caches.peers.clear();
                caches.documents.clear();
                caches.authors.clear();
                caches.session_actors.clear();
                self.epoch.send_modify(|n| *n += 1);
            }
            Err(_) => self.epoch.send_modify(|n| *n += 1),
        }
    }

    fn current_epoch(&self) -> u64 {
        *self.epoch.borrow()
    }

    /// Stores a looked-up value unless an invalidation happened since `since`.
    fn cache_if_current(&self, since: u64, store: impl FnOnce(&mut Caches)) {
        if let Ok(mut caches) = self.caches.lock()
            && self.current_epoch() == since
        {
            store(&mut caches);
        }
    }

    /// The user who authored a change with `actor`: the user whose prefix it starts with (as
    /// sessions issue actors), or, for an actor an older server issued whole, the user of that
    /// session. Never the directory document: only the server's own records decide.
    pub async fn author(&self, agency_id: &str, actor: &[u8]) -> Option<UserRow> {
        let prefix: [u8; ACTOR_PREFIX_BYTES] = actor.get(..ACTOR_PREFIX_BYTES)?.try_into().ok()?;
        let cached = self.caches.lock().ok().and_then(|c| c.authors.get(agency_id).cloned());
        let users = match cached {
            Some(users) => users,
            None => {
                let since = self.current_epoch();
                let users: HashMap<_, _> = self
                    .db
                    .users_of_agency(agency_id.to_string())
                    .await
                    .ok()?
                    .into_iter()
                    .map(|u| (actor_prefix(&u.agency_id, u.id), u))
                    .collect();
                let users = Arc::new(users);
                self.cache_if_current(since, |caches| {
                    caches.authors.insert(agency_id.to_string(), users.clone());
                });
                users
            }
        };
        if let Some(user) = users.get(&prefix) {
            return Some(user.clone());
        }
        let session_actor = hex::encode(actor.get(..16)?);
        if let Some(known) = self.caches.lock().ok().and_then(|c| c.session_actors.get(&session_actor).cloned()) {
            return known.filter(|u| u.agency_id == agency_id);
        }
        let since = self.current_epoch();
        let user = match self.db.session_by_actor(session_actor.clone()).await.ok()? {
            Some(session) => self.db.user_by_id(session.user_id).await.ok().flatten(),
            None => None,
        };
        self.cache_if_current(since, |caches| {
            caches.session_actors.insert(session_actor, user.clone());
        });
        user.filter(|u| u.agency_id == agency_id)
    }

    /// Whether a change by `actor` may be in `doc`: its author is an enabled user of the
    /// document's agency who may write it now.
    pub async fn author_may_write(&self, actor: &[u8], doc: &DocumentRow) -> bool {
        match self.author(&doc.agency_id, actor).await {
            Some(user) => {
                !user.disabled
                    && !doc.closed
                    && may_write(
                        &Principal { roles: &user.roles, division: user.division.as_deref() },
                        doc.kind,
                        doc.division.as_deref(),
                    )
            }
            None => false,
        }
    }

    /// The registered document, if the server created it.
    pub async fn document(&self, doc_id: &str) -> Option<DocumentRow> {
        if let Some(row) = self.caches.lock().ok().and_then(|c| c.documents.get(doc_id).cloned()) {
            return Some(row);
        }
        let since = self.current_epoch();
        let row = self.db.document(doc_id.to_string()).await.ok().flatten()?;
        // A year closed or reopened meanwhile bumped the epoch: this row may be stale.
        self.cache_if_current(since, |caches| {
            caches.documents.insert(doc_id.to_string(), row.clone());
        });
        Some(row)
    }

    /// The peer behind a live, unexpired session, if any.
    pub async fn peer(&self, peer_id: &str) -> Option<Peer> {
        if let Some(cached) = self.caches.lock().ok().and_then(|c| c.peers.get(peer_id).cloned()) {
            // A session that expired since it was cached is no session.
            return cached.filter(|p| p.expires_at > (self.now_ms)());
        }
        let since = self.current_epoch();
        let resolved = async {
            let session = self.db.session_by_peer(peer_id.to_string()).await.ok().flatten()?;
            if session.revoked || session.expires_at <= (self.now_ms)() {
                return None;
            }
            let user = self.db.user_by_id(session.user_id).await.ok().flatten()?;
            (!user.disabled).then(|| Peer::from_session(&session, &user))
        }
        .await;
        self.cache_if_current(since, |caches| {
            caches.peers.insert(peer_id.to_string(), resolved.clone());
        });
        resolved
    }

    /// What `peer_id` may do with `doc_id` now.
    pub async fn decide(&self, doc_id: &str, peer_id: &str) -> ShareConfig {
        let (Some(peer), Some(doc)) = (self.peer(peer_id).await, self.document(doc_id).await) else {
            return ShareConfig::none();
        };
        if doc.agency_id != peer.agency_id {
            ShareConfig::none()
        } else if peer.may_write(&doc) {
            ShareConfig::read_write().with_announce(false)
        } else {
            ShareConfig::read_only().with_announce(false)
        }
    }
}

impl<D: Database> samod::SharePolicy for Access<D> {
    fn share(&self, doc_id: DocumentId, peer_id: PeerId) -> impl Stream<Item = ShareConfig> + Send + 'static {
        let access = self.clone();
        let epoch = self.epoch.subscribe();
        let (doc_id, peer_id) = (doc_id.to_string(), peer_id.to_string());
        futures::stream::unfold(
            (access, epoch, doc_id, peer_id, true),
            |(access, mut epoch, doc, peer, first)| async move {
                if !first {
                    if epoch.changed().await.is_err() {
                        return None;
                    }
                    if let Some(delay) = fault_share_delay() {
                        Box::pin(tokio::time::sleep(delay)).await;
                    }
                }
                epoch.borrow_and_update();
                // Boxed: the stream waits between decisions for as long as the connection lasts,
                // and held inline the lookups' futures would make every wait that large.
                let decision = Box::pin(access.decide(&doc, &peer)).await;
                Some((decision, (access, epoch, doc, peer, false)))
            },
        )
    }
}

/// A fault for tests: `PRONGSAI_FAULT_SHARE_DELAY_MS` holds back every change of a decision
/// samod hears through [`samod::SharePolicy`] (as a slow database would), so a test can show
/// that the sync reader's own checks do not depend on samod hearing first. Never set in
/// production.
fn fault_share_delay() -> Option<std::time::Duration> {
    static DELAY: std::sync::OnceLock<Option<std::time::Duration>> = std::sync::OnceLock::new();
    crate::db::fault_delay("PRONGSAI_FAULT_SHARE_DELAY_MS", &DELAY)
}
