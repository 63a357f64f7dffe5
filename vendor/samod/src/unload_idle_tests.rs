//! Prongsai's patch: tests of `Repo::unload_idle_documents`, and of a repo running as one task
//! (see ../PATCHED.md).

use std::collections::HashMap;
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};
use std::time::{Duration, Instant};

use automerge::{ROOT, ReadDoc, transaction::Transactable};
use futures::executor::{LocalPool, LocalSpawner};

use crate::{
    BackoffConfig, DocHandle, DocumentId, Repo,
    storage::{InMemoryStorage, Storage, StorageKey},
    transport::channel::ChannelDialer,
};

/// Waits (on the pool's own timer) until `done` holds; fails after 30 s.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        futures_timer::Delay::new(Duration::from_millis(5)).await;
    }
}

fn set(handle: &DocHandle, key: &str, value: i64) {
    handle.with_document(|doc| {
        let mut tx = doc.transaction();
        tx.put(ROOT, key, value).unwrap();
        tx.commit();
    });
}

fn get(handle: &DocHandle, key: &str) -> Option<i64> {
    handle.with_document(|doc| match doc.get(ROOT, key).unwrap() {
        Some((automerge::Value::Scalar(s), _)) => s.to_i64(),
        _ => None,
    })
}

async fn repo(spawner: &LocalSpawner, storage: impl Storage) -> Repo {
    Repo::build_localpool(spawner.clone())
        .with_storage(storage)
        .load_local()
        .await
}

async fn find(repo: &Repo, id: &DocumentId) -> DocHandle {
    repo.find(id.clone())
        .await
        .expect("the repo runs")
        .expect("the document is found")
}

#[test]
fn idle_documents_are_unloaded_and_loaded_again_with_their_content() {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async {
        let storage = InMemoryStorage::new();
        let repo = repo(&spawner, storage.clone()).await;
        let idle = repo.create(automerge::Automerge::new()).await.unwrap();
        set(&idle, "n", 1);
        let idle_id = idle.document_id().clone();
        let held = repo.create(automerge::Automerge::new()).await.unwrap();
        set(&held, "n", 2);
        drop(idle);
        assert_eq!(repo.loaded_documents(), 2);

        // Touched just now: not idle for an hour.
        assert_eq!(repo.unload_idle_documents(Duration::from_secs(3600)), 0);
        // Only the document nobody holds goes, once its actor has stopped.
        assert_eq!(repo.unload_idle_documents(Duration::ZERO), 1);
        until("the idle document's actor is gone", || repo.loaded_documents() == 1).await;
        assert_eq!(get(&held, "n"), Some(2), "the held document stays usable");

        // Found again, from storage, with all its content.
        let again = find(&repo, &idle_id).await;
        assert_eq!(get(&again, "n"), Some(1));
        assert_eq!(repo.loaded_documents(), 2);
        set(&again, "n", 3);
        drop(again);

        // And unloaded again, with the change written first.
        assert_eq!(repo.unload_idle_documents(Duration::ZERO), 1);
        until("unloaded a second time", || repo.loaded_documents() == 1).await;
        assert_eq!(get(&find(&repo, &idle_id).await, "n"), Some(3));

        // A listened-to change stream keeps a document in memory as a handle does.
        let watched = find(&repo, &idle_id).await;
        let changes = watched.changes();
        drop(watched);
        drop(held);
        assert_eq!(repo.unload_idle_documents(Duration::ZERO), 1);
        until("the other document's actor is gone", || repo.loaded_documents() == 1).await;
        drop(changes);
        assert_eq!(repo.unload_idle_documents(Duration::ZERO), 1);
        until("all documents are gone", || repo.loaded_documents() == 0).await;
        repo.stop().await;
    });
}

/// In-memory storage whose writes wait while the gate is shut.
#[derive(Clone)]
struct GatedStorage {
    inner: InMemoryStorage,
    open: Arc<AtomicBool>,
    waiting: Arc<AtomicUsize>,
}

impl Storage for GatedStorage {
    fn load(&self, key: StorageKey) -> impl Future<Output = Option<Vec<u8>>> + Send {
        Storage::load(&self.inner, key)
    }

    fn load_range(
        &self,
        prefix: StorageKey,
    ) -> impl Future<Output = HashMap<StorageKey, Vec<u8>>> + Send {
        Storage::load_range(&self.inner, prefix)
    }

    fn put(&self, key: StorageKey, data: Vec<u8>) -> impl Future<Output = ()> + Send {
        let (inner, open, waiting) = (self.inner.clone(), self.open.clone(), self.waiting.clone());
        async move {
            if !open.load(Ordering::SeqCst) {
                waiting.fetch_add(1, Ordering::SeqCst);
                while !open.load(Ordering::SeqCst) {
                    futures_timer::Delay::new(Duration::from_millis(5)).await;
                }
                waiting.fetch_sub(1, Ordering::SeqCst);
            }
            Storage::put(&inner, key, data).await
        }
    }

    fn delete(&self, key: StorageKey) -> impl Future<Output = ()> + Send {
        Storage::delete(&self.inner, key)
    }
}

#[test]
fn a_document_with_unsaved_changes_stays_until_they_are_written() {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let storage = GatedStorage {
        inner: InMemoryStorage::new(),
        open: Arc::new(AtomicBool::new(true)),
        waiting: Arc::default(),
    };
    let repo = pool.run_until(repo(&spawner, storage.clone()));
    let doc = pool.run_until(repo.create(automerge::Automerge::new())).unwrap();
    let id = doc.document_id().clone();

    // A change whose write has not completed.
    storage.open.store(false, Ordering::SeqCst);
    set(&doc, "n", 7);
    drop(doc);
    pool.run_until(until("the change's write is pending", || {
        storage.waiting.load(Ordering::SeqCst) > 0
    }));
    assert_eq!(repo.unload_idle_documents(Duration::ZERO), 1);
    // Everything but the write runs: the actor got `Terminate` and waits for its write.
    pool.run_until_stalled();
    assert_eq!(
        repo.loaded_documents(),
        1,
        "the actor waits for its write before it goes"
    );
    // A search meanwhile waits for the old actor to go, then loads what it wrote.
    let found = repo.find(id.clone());
    pool.run_until_stalled();
    storage.open.store(true, Ordering::SeqCst);
    let found = pool
        .run_until(found)
        .unwrap()
        .expect("the document is found");
    assert_eq!(get(&found, "n"), Some(7));
    assert_eq!(repo.loaded_documents(), 1, "the old actor is gone, the new one loaded");
    pool.run_until(repo.stop());
}

#[test]
fn peers_sync_an_unloaded_document_both_ways() {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async {
        let server = repo(&spawner, InMemoryStorage::new()).await;
        let acceptor = server
            .make_acceptor(url::Url::parse("channel://server").unwrap())
            .unwrap();
        let a = repo(&spawner, InMemoryStorage::new()).await;
        let b = repo(&spawner, InMemoryStorage::new()).await;
        let mut dialers = Vec::new();
        for client in [&a, &b] {
            let dialer = client
                .dial(
                    BackoffConfig::default(),
                    Arc::new(ChannelDialer::new(acceptor.clone())),
                )
                .unwrap();
            dialer.established().await.expect("connected");
            dialers.push(dialer);
        }

        // Both peers have synced the document through the server.
        let on_a = a.create(automerge::Automerge::new()).await.unwrap();
        set(&on_a, "k", 1);
        let id = on_a.document_id().clone();
        on_a.they_have_our_changes(dialers[0].connection_id().unwrap())
            .await;
        let on_b = find(&b, &id).await;
        until("b has a's first change", || get(&on_b, "k") == Some(1)).await;
        assert_eq!(server.loaded_documents(), 1);

        // Messages still in flight would load it again at once: unload until all is quiet.
        until("the server's actor is gone", || {
            server.unload_idle_documents(Duration::ZERO);
            server.loaded_documents() == 0
        })
        .await;

        // A peer's change loads it on the server again, and reaches the other peer.
        set(&on_a, "k", 2);
        until("b has a's change after the unload", || get(&on_b, "k") == Some(2)).await;
        assert_eq!(server.loaded_documents(), 1);
        set(&on_b, "k", 3);
        until("a has b's change", || get(&on_a, "k") == Some(3)).await;

        // Unloaded again; now the server's owner changes it.
        until("the server's actor is gone again", || {
            server.unload_idle_documents(Duration::ZERO);
            server.loaded_documents() == 0
        })
        .await;
        let on_server = find(&server, &id).await;
        assert_eq!(get(&on_server, "k"), Some(3));
        set(&on_server, "s", 4);
        until("both peers have the server's change", || {
            get(&on_a, "s") == Some(4) && get(&on_b, "s") == Some(4)
        })
        .await;
        drop(dialers);
        for repo in [a, b, server] {
            repo.stop().await;
        }
    });
}

/// Prongsai's patch: `RepoBuilder::with_peers_on_demand` (samod-core's change 11). A server that
/// announces nothing joins each peer only to the documents the peer speaks about, and syncs those
/// as before.
#[test]
fn a_server_with_peers_on_demand_joins_each_peer_only_to_what_it_asked_for() {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async {
        let server = Repo::build_localpool(spawner.clone())
            .with_share_policy(crate::ShareConfig::read_write().with_announce(false))
            .with_peers_on_demand()
            .load_local()
            .await;
        for _ in 0..10 {
            server.create(automerge::Automerge::new()).await.unwrap();
        }
        let acceptor = server
            .make_acceptor(url::Url::parse("channel://server").unwrap())
            .unwrap();
        let a = repo(&spawner, InMemoryStorage::new()).await;
        let b = repo(&spawner, InMemoryStorage::new()).await;
        let mut dialers = Vec::new();
        for client in [&a, &b] {
            let dialer = client
                .dial(
                    BackoffConfig::default(),
                    Arc::new(ChannelDialer::new(acceptor.clone())),
                )
                .unwrap();
            dialer.established().await.expect("connected");
            dialers.push(dialer);
        }
        let on_a = a.create(automerge::Automerge::new()).await.unwrap();
        set(&on_a, "k", 1);
        let id = on_a.document_id().clone();
        on_a.they_have_our_changes(dialers[0].connection_id().unwrap())
            .await;
        let on_b = find(&b, &id).await;
        until("b has a's change", || get(&on_b, "k") == Some(1)).await;
        let on_server = find(&server, &id).await;
        set(&on_server, "s", 2);
        until("both peers have the server's change", || {
            get(&on_a, "s") == Some(2) && get(&on_b, "s") == Some(2)
        })
        .await;
        assert_eq!(server.loaded_documents(), 11);
        let (connections, _) = server.connected_peers();
        assert_eq!(connections.len(), 2);
        for connection in &connections {
            let docs: Vec<&DocumentId> = connection.docs.keys().collect();
            assert_eq!(docs, vec![&id], "each peer joined only the document it spoke about");
        }
        drop(dialers);
        for repo in [a, b, server] {
            repo.stop().await;
        }
    });
}

/// Prongsai's patch (change 12): a document's actor looks at its set of peers (for the repo's
/// "who has this document" lifecycle) only when a connection joined or left, not after every
/// batch of messages; joins and leaves are still seen.
#[test]
fn a_document_rebuilds_its_set_of_peers_only_when_a_peer_joins_or_leaves() {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async {
        let server = Repo::build_localpool(spawner.clone())
            .with_share_policy(crate::ShareConfig::read_write().with_announce(false))
            .with_peers_on_demand()
            .load_local()
            .await;
        let acceptor = server
            .make_acceptor(url::Url::parse("channel://server").unwrap())
            .unwrap();
        let mut clients = Vec::new();
        let mut dialers = Vec::new();
        for _ in 0..3 {
            let client = repo(&spawner, InMemoryStorage::new()).await;
            let dialer = client
                .dial(
                    BackoffConfig::default(),
                    Arc::new(ChannelDialer::new(acceptor.clone())),
                )
                .unwrap();
            dialer.established().await.expect("connected");
            clients.push(client);
            dialers.push(dialer);
        }
        let writer = clients[0].create(automerge::Automerge::new()).await.unwrap();
        set(&writer, "n", 0);
        let id = writer.document_id().clone();
        writer
            .they_have_our_changes(dialers[0].connection_id().unwrap())
            .await;
        let readers = [find(&clients[1], &id).await, find(&clients[2], &id).await];
        let on_server = find(&server, &id).await;
        until("all three peers joined the server's document", || {
            on_server.inner.lock().unwrap().last_observed_peers.len() == 3
        })
        .await;
        let built_before = on_server.inner.lock().unwrap().peer_sets_built;
        // Forty edits, each carried to both readers before the next: forty and more batches.
        for n in 1..=40 {
            set(&writer, "n", n);
            until("both readers have the edit", || {
                readers.iter().all(|r| get(r, "n") == Some(n))
            })
            .await;
        }
        let built = on_server.inner.lock().unwrap().peer_sets_built - built_before;
        assert_eq!(built, 0, "the set of peers was rebuilt {built} times while nobody joined or left");
        // A peer that leaves is still seen leaving.
        drop(dialers.pop());
        clients.pop().unwrap().stop().await;
        until("the server saw the third peer leave", || {
            on_server.inner.lock().unwrap().last_observed_peers.len() == 2
        })
        .await;
        drop(dialers);
        for repo in clients.into_iter().chain([server]) {
            repo.stop().await;
        }
    });
}

/// A runtime that counts the tasks spawned on it.
#[cfg(feature = "tokio")]
#[derive(Clone)]
struct Counting {
    runtime: tokio::runtime::Handle,
    spawned: Arc<AtomicUsize>,
}

#[cfg(feature = "tokio")]
impl crate::runtime::RuntimeHandle for Counting {
    fn spawn(&self, f: std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>) {
        self.spawned.fetch_add(1, Ordering::SeqCst);
        self.runtime.spawn(f);
    }

    fn sleep(
        &self,
        duration: Duration,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

// Prongsai's patch (one task per repo): a server repo's loops run as one task, however many
// peers connect and documents load, and peers still sync through it both ways.
#[cfg(feature = "tokio")]
#[test]
fn a_repo_runs_as_one_task_and_peers_sync_through_it() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let spawned = Arc::new(AtomicUsize::new(0));
        let counting = Counting {
            runtime: tokio::runtime::Handle::current(),
            spawned: spawned.clone(),
        };
        let server = Repo::builder(counting)
            .with_storage(InMemoryStorage::new())
            .load()
            .await;
        assert_eq!(spawned.load(Ordering::SeqCst), 1, "the repo started as one task");
        let acceptor = server
            .make_acceptor(url::Url::parse("channel://server").unwrap())
            .unwrap();
        let a = Repo::build_tokio().load().await;
        let b = Repo::build_tokio().load().await;
        let mut dialers = Vec::new();
        for client in [&a, &b] {
            let dialer = client
                .dial(
                    BackoffConfig::default(),
                    Arc::new(ChannelDialer::new(acceptor.clone())),
                )
                .unwrap();
            dialer.established().await.expect("connected");
            dialers.push(dialer);
        }
        let on_a = a.create(automerge::Automerge::new()).await.unwrap();
        set(&on_a, "k", 1);
        let id = on_a.document_id().clone();
        // The server has the document before b asks for it.
        on_a.they_have_our_changes(dialers[0].connection_id().unwrap())
            .await;
        let on_b = find(&b, &id).await;
        until("b has a's change", || get(&on_b, "k") == Some(1)).await;
        set(&on_b, "k", 2);
        until("a has b's change", || get(&on_a, "k") == Some(2)).await;
        let on_server = find(&server, &id).await;
        until("the server has b's change", || get(&on_server, "k") == Some(2)).await;
        assert_eq!(
            spawned.load(Ordering::SeqCst),
            1,
            "no task for a connection or a document"
        );
        for r in [&a, &b, &server] {
            r.stop().await;
        }
    });
}
