//! The load generator: headless automerge-repo clients (samod repos dialling with the client
//! crate's token dialer), in groups that share one document each. One member of each group
//! writes at a set rate; the others time how long each edit takes to reach them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use prongsai_client::dialer::TokenDialer;
use prongsai_core::automerge::{
    ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, sync, sync::SyncDoc,
    transaction::Transactable,
};
use prongsai_tests::RawPeer;
use samod::{BackoffConfig, DocHandle, DocumentId, PeerId, Repo};

use crate::targets::{Kind, Minted, Target};

/// Latency samples in microseconds, taken while `measuring` is set.
pub struct Recorder {
    pub start: Instant,
    pub measuring: AtomicBool,
    pub samples: std::sync::Mutex<Vec<u32>>,
    pub edits: AtomicU64,
}

impl Recorder {
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder {
            start: Instant::now(),
            measuring: AtomicBool::new(false),
            samples: std::sync::Mutex::new(Vec::new()),
            edits: AtomicU64::new(0),
        })
    }

    pub fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    pub fn take(&self) -> Vec<u32> {
        std::mem::take(&mut *self.samples.lock().expect("samples"))
    }
}

/// p50, p99 and max of samples in microseconds, as milliseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Percentiles {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub fn percentiles(mut samples: Vec<u32>) -> Percentiles {
    if samples.is_empty() {
        return Percentiles::default();
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize] as f64 / 1000.0;
    Percentiles { count: samples.len(), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) }
}

/// One headless client: its own repo and one connection to the server.
pub struct Client {
    pub repo: Repo,
    pub dialer: samod::DialerHandle<prongsai_client::dialer::SignedOut>,
}

impl Client {
    pub async fn connect(target: &Target, login: &Minted) -> anyhow::Result<Client> {
        Client::connect_to(target.addr, login).await
    }

    /// The same through any address that reaches the server (a load balancer).
    pub async fn connect_to(addr: std::net::SocketAddr, login: &Minted) -> anyhow::Result<Client> {
        let repo = Repo::build_tokio().with_peer_id(PeerId::from(login.peer_id.as_str())).load().await;
        let backoff = BackoffConfig {
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            max_retries: None,
        };
        let url = url::Url::parse(&format!("ws://{addr}/sync"))?;
        let dialer = repo.dial(backoff, Arc::new(TokenDialer::new(url, login.token.clone())))?;
        Ok(Client { repo, dialer })
    }

    /// The document from the server (asking again while the connection comes up).
    pub async fn open(&self, id: &DocumentId) -> anyhow::Result<DocHandle> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if self.dialer.is_connected()
                && let Some(handle) = self.repo.find(id.clone()).await?
            {
                return Ok(handle);
            }
            anyhow::ensure!(Instant::now() < deadline, "document {id} never arrived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The member of a group that writes: a repo's document, or a light client's task (told when to
/// write).
#[derive(Clone)]
pub enum Writer {
    Repo(DocHandle, Arc<AtomicU64>),
    Light(tokio::sync::mpsc::UnboundedSender<()>),
}

/// Writes the current time into the shared document.
pub fn stamp(writer: &Writer, recorder: &Recorder) {
    match writer {
        Writer::Repo(handle, made) => {
            let n = made.fetch_add(1, Ordering::Relaxed);
            handle.with_document(|doc| put_stamp(doc, recorder.now_us(), n))
        }
        Writer::Light(tell) => {
            let _ = tell.send(());
        }
    }
    recorder.edits.fetch_add(1, Ordering::Relaxed);
}

/// Fields the edits go round: each edit writes the time into the next of these maps at the root
/// (`bench_000` … `bench_063`, each its own object, as the measures of a plan are), so every edit
/// leaves its own value for the observers to time, and no one field piles up overwritten values.
pub const SLOTS: usize = 64;

fn slot_key(k: usize) -> String {
    format!("bench_{k:03}")
}

/// Edit number `n` of a writer: the time now, in slot `n % SLOTS`.
fn put_stamp(doc: &mut Automerge, now_us: u64, n: u64) {
    let key = slot_key((n % SLOTS as u64) as usize);
    let mut tx = doc.transaction();
    let obj = match tx.get(ROOT, key.as_str()).ok().flatten() {
        Some((Value::Object(_), id)) => id,
        _ => tx.put_object(ROOT, key.as_str(), ObjType::Map).expect("a map at the root"),
    };
    let _ = tx.put(&obj, "at_us", ScalarValue::Uint(now_us));
    tx.commit();
}

fn uint_at(doc: &Automerge, obj: &ObjId, key: &str) -> Option<u64> {
    match doc.get(obj, key).ok().flatten() {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Uint(n) => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

/// Every stamp newer than `last`, oldest first, reading the slots from `next` on (and moving
/// `next` past them). Edits arrive in order, so the walk stops at the first slot not newer.
fn stamps_in(doc: &Automerge, last: u64, next: &mut usize) -> Vec<u64> {
    let mut found = Vec::new();
    let mut newest = last;
    for _ in 0..SLOTS {
        let at = match doc.get(ROOT, slot_key(*next).as_str()).ok().flatten() {
            Some((Value::Object(_), id)) => uint_at(doc, &id, "at_us"),
            _ => None,
        };
        match at {
            Some(at) if at > newest => {
                found.push(at);
                newest = at;
                *next = (*next + 1) % SLOTS;
            }
            _ => break,
        }
    }
    found
}

/// Counts a stamp an observer has just seen (if newer than its last).
fn saw(at: u64, last: &mut u64, recorder: &Recorder, seen: &AtomicU64) {
    if at > *last {
        *last = at;
        seen.fetch_max(at, Ordering::Relaxed);
        if recorder.measuring.load(Ordering::Relaxed) {
            let latency = recorder.now_us().saturating_sub(at);
            recorder.samples.lock().expect("samples").push(latency.min(u32::MAX as u64) as u32);
        }
    }
}

/// Records every new stamp this member sees, until the task is aborted.
pub fn observe(handle: DocHandle, recorder: Arc<Recorder>, seen: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut changes = handle.changes();
        let (mut last, mut next) = (0, 0);
        while changes.next().await.is_some() {
            for at in handle.with_document(|doc| stamps_in(doc, last, &mut next)) {
                saw(at, &mut last, &recorder, &seen);
            }
        }
    })
}

/// A light client: one WebSocket (the join handshake by hand), one automerge document and one
/// sync state, and nothing else: no repo, no storage, no timers. It shows what the server costs
/// when the load generator's own clients are not what fills the cores.
async fn light_member(
    mut peer: RawPeer,
    doc_id: String,
    actor: ActorId,
    recorder: Arc<Recorder>,
    role: LightRole,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    enum Event {
        Message(Option<(String, Vec<u8>)>),
        Write,
    }
    let (mut write, seen) = match role {
        LightRole::Writer(rx) => (Some(rx), None),
        LightRole::Observer(seen) => (None, Some(seen)),
    };
    let mut doc = Automerge::new().with_actor(actor);
    let mut state = sync::State::new();
    let mut ready = Some(ready);
    let (mut last, mut next, mut made) = (0, 0, 0);
    let mut kind = "request"; // until this client has the document
    loop {
        if let Some(out) = doc.generate_sync_message(&mut state)
            && !peer.send_sync(kind, &doc_id, &out.encode()).await
        {
            return;
        }
        let event = match write.as_mut() {
            Some(rx) => tokio::select! {
                message = peer.next_sync() => Event::Message(message),
                Some(()) = rx.recv() => Event::Write,
            },
            None => Event::Message(peer.next_sync().await),
        };
        match event {
            Event::Write => {
                put_stamp(&mut doc, recorder.now_us(), made);
                made += 1;
            }
            Event::Message(None) => return,
            Event::Message(Some((id, data))) if id == doc_id => {
                let Ok(message) = sync::Message::decode(&data) else { return };
                if doc.receive_sync_message(&mut state, message).is_err() {
                    return;
                }
                if let Some(seen) = &seen {
                    for at in stamps_in(&doc, last, &mut next) {
                        saw(at, &mut last, &recorder, seen);
                    }
                }
                if !doc.get_heads().is_empty() {
                    kind = "sync";
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(());
                    }
                }
            }
            Event::Message(Some(_)) => {}
        }
    }
}

enum LightRole {
    Writer(tokio::sync::mpsc::UnboundedReceiver<()>),
    Observer(Arc<AtomicU64>),
}

/// Groups of clients on shared documents: `writers[g]` writes group g's document, every other
/// member observes it.
pub struct Swarm {
    pub clients: Vec<Client>,
    pub writers: Vec<Writer>,
    /// Observer tasks (and every light client's task): aborted at the end.
    pub observers: Vec<tokio::task::JoinHandle<()>>,
    /// Per observer, the newest stamp it has seen.
    pub seen: Vec<(usize, Arc<AtomicU64>)>,
    pub recorder: Arc<Recorder>,
}

impl Swarm {
    /// Connects `logins.len()` clients; client i joins group `i % docs.len()`; the first member of
    /// each group writes.
    pub async fn connect(addr: SocketAddr, logins: &[Minted], docs: &[DocumentId]) -> anyhow::Result<Swarm> {
        let recorder = Recorder::new();
        let groups = docs.len();
        // Connect and open in parallel, a few hundred at a time.
        let opened: Vec<anyhow::Result<(usize, Client, DocHandle)>> =
            futures::stream::iter(logins.iter().enumerate().map(|(i, login)| {
                let doc = docs[i % groups].clone();
                async move {
                    let client = Client::connect_to(addr, login).await?;
                    let handle = client.open(&doc).await?;
                    Ok((i, client, handle))
                }
            }))
            .buffer_unordered(200)
            .collect()
            .await;
        let mut members: Vec<(usize, Client, DocHandle)> = opened.into_iter().collect::<anyhow::Result<_>>()?;
        members.sort_by_key(|(i, _, _)| *i);
        let mut writers = Vec::new();
        let mut observers = Vec::new();
        let mut seen = Vec::new();
        let mut clients = Vec::new();
        for (i, client, handle) in members {
            if i < groups {
                // The writer writes with its login's actor (the server refuses any other).
                let actor = prongsai_core::docs::actor_for_run(&logins[i].actor(), &ActorId::random());
                handle.with_document(|doc| {
                    doc.set_actor(actor);
                });
                writers.push(Writer::Repo(handle, Arc::new(AtomicU64::new(0))));
            } else {
                let s = Arc::new(AtomicU64::new(0));
                seen.push((i % groups, s.clone()));
                observers.push(observe(handle, recorder.clone(), s));
            }
            clients.push(client);
        }
        Ok(Swarm { clients, writers, observers, seen, recorder })
    }

    /// Light clients (`connect_light`) or repos (`connect`), to the server at `addr` (or a load
    /// balancer in front of several).
    pub async fn connect_as(
        light: bool,
        addr: SocketAddr,
        logins: &[Minted],
        docs: &[DocumentId],
    ) -> anyhow::Result<Swarm> {
        if light { Swarm::connect_light(addr, logins, docs).await } else { Swarm::connect(addr, logins, docs).await }
    }

    /// The same groups of light clients (see `light_member`): one WebSocket, document and sync
    /// state each, instead of a repo each.
    pub async fn connect_light(addr: SocketAddr, logins: &[Minted], docs: &[DocumentId]) -> anyhow::Result<Swarm> {
        let recorder = Recorder::new();
        let groups = docs.len();
        let peers: Vec<(usize, ActorId, RawPeer)> = futures::stream::iter(
            logins
                .iter()
                .enumerate()
                .map(|(i, l)| async move { (i, l.actor(), RawPeer::connect_to(addr, &l.token, &l.peer_id).await) }),
        )
        .buffer_unordered(64)
        .collect()
        .await;
        let (mut writers, mut observers, mut seen, mut ready) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut writer_of = vec![None; groups];
        for (i, actor, peer) in peers {
            let g = i % groups;
            let role = if writer_of[g].is_none() {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                writer_of[g] = Some(Writer::Light(tx));
                LightRole::Writer(rx)
            } else {
                let s = Arc::new(AtomicU64::new(0));
                seen.push((g, s.clone()));
                LightRole::Observer(s)
            };
            let (tx, rx) = tokio::sync::oneshot::channel();
            ready.push(rx);
            let actor = prongsai_core::docs::actor_for_run(&actor, &ActorId::random());
            observers.push(tokio::spawn(light_member(peer, docs[g].to_string(), actor, recorder.clone(), role, tx)));
        }
        writers.extend(writer_of.into_iter().map(|w| w.expect("every group has a member")));
        let all = futures::future::join_all(ready);
        tokio::time::timeout(Duration::from_secs(120), all)
            .await
            .map_err(|_| anyhow::anyhow!("light clients did not all receive their document within 120 s"))?;
        Ok(Swarm { clients: Vec::new(), writers, observers, seen, recorder })
    }

    /// Every writer stamps `rate_per_writer` times a second for `duration`, then waits (up to 10 s)
    /// until every observer saw its group's last stamp. Returns the samples and edits made.
    pub async fn run(&self, rate_per_writer: f64, duration: Duration) -> (Vec<u32>, u64) {
        self.recorder.take();
        let before = self.recorder.edits.load(Ordering::Relaxed);
        self.recorder.measuring.store(true, Ordering::SeqCst);
        let period = Duration::from_secs_f64(1.0 / rate_per_writer);
        let deadline = Instant::now() + duration;
        let last: Vec<Arc<AtomicU64>> = self.writers.iter().map(|_| Arc::new(AtomicU64::new(0))).collect();
        let tasks: Vec<_> = self
            .writers
            .iter()
            .zip(&last)
            .enumerate()
            .map(|(g, (handle, last))| {
                let (handle, recorder, last) = (handle.clone(), self.recorder.clone(), last.clone());
                // Writers start spread over one period, not all at once.
                let offset = period.mul_f64(g as f64 / self.writers.len().max(1) as f64);
                tokio::spawn(async move {
                    tokio::time::sleep(offset).await;
                    let mut tick = tokio::time::interval(period);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                    while Instant::now() < deadline {
                        tick.tick().await;
                        stamp(&handle, &recorder);
                        last.store(recorder.now_us(), Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        // Let the last edits arrive (they count: a late delivery is a slow one).
        let drain = Instant::now() + Duration::from_secs(10);
        while Instant::now() < drain {
            let behind = self.seen.iter().any(|(g, s)| {
                let written = last[*g].load(Ordering::Relaxed);
                written > 0 && s.load(Ordering::Relaxed) + 2_000_000 < written
            });
            if !behind {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.recorder.measuring.store(false, Ordering::SeqCst);
        let edits = self.recorder.edits.load(Ordering::Relaxed) - before;
        (self.recorder.take(), edits)
    }

    pub async fn stop(self) {
        for o in &self.observers {
            o.abort();
        }
        futures::future::join_all(self.clients.iter().map(|c| c.repo.stop())).await;
    }
}

/// `count` logins for the reference server (it checks none).
pub fn anonymous(count: usize, tag: &str) -> Vec<Minted> {
    (0..count)
        .map(|i| Minted { token: "none".into(), peer_id: format!("bench-{tag}-{i}"), actor_id: String::new() })
        .collect()
}

/// Documents for `groups` groups on the target, and one login per client.
pub async fn prepare(
    kind: Kind,
    data: &std::path::Path,
    groups: usize,
    clients: usize,
) -> anyhow::Result<(Target, Vec<Minted>, Vec<DocumentId>)> {
    std::fs::create_dir_all(data)?;
    match kind {
        Kind::Prongsai => {
            // Each agency's coordinator may write its plan, review and memo: three groups per agency.
            let agencies = groups.div_ceil(3);
            let per_agency = (clients.div_ceil(groups) * 3) as u32;
            let mut logins_by_agency = Vec::new();
            for a in 0..agencies {
                logins_by_agency.push(crate::targets::bench_agency(data, &format!("bench{a}"), per_agency).await?);
            }
            let target = Target::start(kind, data).await?;
            let mut docs = Vec::new();
            for (a, logins) in logins_by_agency.iter().enumerate() {
                let api = prongsai_client::ServerApi::new(target.http_url()).with_token(&logins[0].token);
                let entries = api.documents(&format!("bench{a}"), 2565).await?;
                for kind in ["plan", "review", "memo"] {
                    let entry = entries
                        .iter()
                        .find(|e| e.kind.as_str() == kind)
                        .with_context(|| format!("bench{a} has no {kind}"))?;
                    docs.push((a, entry.document_id().parse::<DocumentId>().map_err(|e| anyhow::anyhow!("{e:?}"))?));
                }
            }
            docs.truncate(groups);
            // Client i belongs to group i % groups: give it a login of that group's agency.
            let mut next = vec![0usize; agencies];
            let mut logins = Vec::new();
            for i in 0..clients {
                let a = docs[i % groups].0;
                logins.push(logins_by_agency[a][next[a]].clone());
                next[a] += 1;
            }
            Ok((target, logins, docs.into_iter().map(|(_, d)| d).collect()))
        }
        Kind::Reference => {
            let target = Target::start(kind, data).await?;
            let docs = upload_sample_docs(&target, groups).await?;
            Ok((target, anonymous(clients, "c"), docs))
        }
    }
}

/// Creates `count` documents on the reference server, each a copy of one of the sample
/// agency-year's documents (the same content prongsai-server holds), and waits until the server
/// has them.
pub async fn upload_sample_docs(target: &Target, count: usize) -> anyhow::Result<Vec<DocumentId>> {
    let fixture = prongsai_core::sample::pakchong_2565();
    let meta = prongsai_core::docs::CommitMeta::new("สร้างเอกสารประจำปี", "server", 0);
    let sample = fixture.typed_documents(0)?.into_automerge(&meta, |_| String::new())?;
    let originals: Vec<Vec<u8>> = sample.iter().map(|(_, doc)| doc.save()).collect();
    // Both clients are stopped whatever happens: a repo left running after its server died keeps
    // redialling with every document it holds, and slows every later section.
    let client = Client::connect(target, &anonymous(1, "uploader").remove(0)).await?;
    let checker = Client::connect(target, &anonymous(1, "checker").remove(0)).await?;
    let result = target
        .while_alive(async {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !client.dialer.is_connected() {
                anyhow::ensure!(Instant::now() < deadline, "the reference server never accepted the uploader");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let conn = client.dialer.connection_id().context("connected")?;
            let mut docs = Vec::new();
            let mut handles = Vec::new();
            for i in 0..count {
                let doc = prongsai_core::automerge::Automerge::load(&originals[i % originals.len()])?;
                let handle = client.repo.create(doc).await?;
                docs.push(handle.document_id().clone());
                handles.push(handle);
            }
            let uploaded = futures::stream::iter(handles.iter().map(|h| h.they_have_our_changes(conn)))
                .buffer_unordered(256)
                .collect::<Vec<_>>();
            tokio::time::timeout(Duration::from_secs(600), uploaded)
                .await
                .map_err(|_| anyhow::anyhow!("the server did not take {count} new documents within 10 minutes"))?;
            // A second client finds every one before the uploader leaves: the server really has them.
            let found: Vec<anyhow::Result<DocHandle>> =
                futures::stream::iter(docs.iter().map(|d| checker.open(d))).buffer_unordered(64).collect().await;
            found.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
            Ok(docs)
        })
        .await;
    checker.repo.stop().await;
    client.repo.stop().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An observer sees every edit once, in order, however many arrive together, and through the
    /// wrap from the last slot to the first.
    #[test]
    fn every_edit_is_seen_once_even_when_several_arrive_together() {
        let mut writer = Automerge::new();
        let mut seen = Vec::new();
        let (mut last, mut next) = (0, 0);
        let mut made = 0;
        for batch in [1, 5, 0, SLOTS - 3, 7] {
            for _ in 0..batch {
                made += 1;
                put_stamp(&mut writer, 1000 + made, made - 1);
            }
            let observer = writer.fork();
            let found = stamps_in(&observer, last, &mut next);
            if let Some(&newest) = found.last() {
                last = newest;
            }
            seen.extend(found);
        }
        assert_eq!(seen, (1001..=1000 + made).collect::<Vec<_>>());
    }
}
