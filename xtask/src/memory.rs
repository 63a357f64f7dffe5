//! Resident memory of a server: with many idle authenticated clients (each a WebSocket that
//! finished the join handshake and then says nothing), and after many documents were touched
//! (opened and synced by clients).

use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use prongsai_tests::RawPeer;
use samod::DocumentId;

use crate::load::{Client, anonymous, upload_sample_docs};
use crate::targets::{Kind, Minted, Target, admin, bench_agency};

pub struct IdleResult {
    pub clients: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub connect_secs: f64,
    /// The server's CPU time (user and system) while the clients connected (and read).
    pub connect_cpu_secs: f64,
}

/// Opens `count` idle clients against a fresh server and reads its RSS once all are connected.
/// `read_first` (ours only): each client first reads the agency-year's directory, the largest of
/// its documents (about 51 KB), as a device does when it connects, then stays quiet.
pub async fn idle_clients(
    kind: Kind,
    data: &std::path::Path,
    count: usize,
    read_first: bool,
) -> anyhow::Result<IdleResult> {
    std::fs::create_dir_all(data)?;
    let logins: Vec<Minted> = match kind {
        Kind::Prongsai => {
            let d = data.to_str().unwrap_or_default();
            admin(&["sample", "--data", d], None).await?;
            let minted = admin(
                &["user", "session", "--data", d, "--username", "viewer", "--server", "http://127.0.0.1/"]
                    .into_iter()
                    .chain(["--count", &count.to_string()])
                    .chain(["--users", &count.div_ceil(crate::targets::SESSIONS_PER_USER).to_string()])
                    .collect::<Vec<_>>(),
                None,
            )
            .await?;
            minted.lines().map(serde_json::from_str).collect::<Result<_, _>>()?
        }
        Kind::Reference => anonymous(count, "idle"),
    };
    let target = Target::start(kind, data).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = target.rss_kib();
    let cpu_before = target.cpu_secs();
    let started = Instant::now();
    let addr = target.addr;
    let directory = match (read_first, logins.first()) {
        (true, Some(login)) => {
            prongsai_client::api::install_crypto();
            let api = prongsai_client::ServerApi::new(target.http_url()).with_token(&login.token);
            let entries = api.documents("pakchong", prongsai_tests::YEAR).await?;
            let entry = entries
                .iter()
                .find(|e| e.kind == prongsai_core::model::DocKind::Directory)
                .context("the sample year has a directory")?;
            Some(entry.document_id().to_string())
        }
        _ => None,
    };
    // Each client its own task: reading the directory decodes a whole document, and one task
    // polling them all would hold the load generator to one core.
    let peers: Vec<anyhow::Result<RawPeer>> = futures::stream::iter(logins.iter().map(|l| {
        let (token, peer_id, directory) = (l.token.clone(), l.peer_id.clone(), directory.clone());
        tokio::spawn(async move {
            let mut peer = RawPeer::connect_to(addr, &token, &peer_id).await;
            if let Some(id) = directory {
                open_once(&mut peer, &id).await?;
            }
            anyhow::Ok(peer)
        })
    }))
    .buffer_unordered(64)
    .map(|joined| joined.map_err(anyhow::Error::from).and_then(|r| r))
    .collect()
    .await;
    let peers = peers.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let connect_secs = started.elapsed().as_secs_f64();
    let connect_cpu_secs = target.cpu_secs() - cpu_before;
    // Let the server settle (buffers freed, tasks parked) before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_kib = target.rss_kib();
    drop(peers);
    target.stop().await;
    Ok(IdleResult { clients: count, rss_before_kib, rss_after_kib, connect_secs, connect_cpu_secs })
}

pub struct TouchedResult {
    pub documents: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub touch_secs: f64,
}

/// Creates `count` documents (copies of the sample agency-year's), restarts the server so none is
/// in memory, then has clients open every one; reads the RSS once all arrived.
pub async fn touched_documents(kind: Kind, data: &std::path::Path, count: usize) -> anyhow::Result<TouchedResult> {
    std::fs::create_dir_all(data)?;
    // (login, documents it opens)
    let mut work: Vec<(Minted, Vec<DocumentId>)> = Vec::new();
    let target = match kind {
        Kind::Prongsai => {
            // An agency-year is 11 documents; the agencies are made by the admin command.
            let agencies = count.div_ceil(11);
            let mut logins = Vec::new();
            // The first one alone: two commands creating a brand-new database at once collide
            // ("database is locked" while it switches to WAL); after that, two at a time.
            let mut created = vec![bench_agency(data, "touch0", 1).await];
            created.extend(
                futures::stream::iter(
                    (1..agencies).map(|a| async move { bench_agency(data, &format!("touch{a}"), 1).await }),
                )
                .buffered(2)
                .collect::<Vec<_>>()
                .await,
            );
            for minted in created {
                logins.push(minted?.remove(0));
            }
            let target = Target::start(kind, data).await?;
            for (a, login) in logins.into_iter().enumerate() {
                let api = prongsai_client::ServerApi::new(target.http_url()).with_token(&login.token);
                let docs = api
                    .documents(&format!("touch{a}"), 2565)
                    .await?
                    .iter()
                    .map(|e| e.document_id().parse::<DocumentId>().map_err(|e| anyhow::anyhow!("{e:?}")))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                work.push((login, docs));
            }
            target
        }
        Kind::Reference => {
            let target = Target::start(kind, data).await?;
            let docs = upload_sample_docs(&target, count).await?;
            target.stop().await;
            let target = Target::start(kind, data).await?;
            for (i, chunk) in docs.chunks(11).enumerate() {
                work.push((anonymous(1, &format!("touch{i}")).remove(0), chunk.to_vec()));
            }
            target
        }
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = target.rss_kib();
    let started = Instant::now();
    let target_ref = &target;
    // Every client made is stopped at the end, also when the server dies on the way.
    let clients = std::sync::Mutex::new(Vec::new());
    let clients_ref = &clients;
    let opened = target
        .while_alive(async {
            let opened: Vec<anyhow::Result<()>> = futures::stream::iter(work.iter().map(|(login, docs)| async move {
                let client = Client::connect(target_ref, login).await?;
                let result = async {
                    for doc in docs {
                        client.open(doc).await?;
                    }
                    anyhow::Ok(())
                }
                .await;
                clients_ref.lock().expect("clients").push(client);
                result
            }))
            .buffer_unordered(32)
            .collect()
            .await;
            opened.into_iter().collect::<anyhow::Result<()>>()
        })
        .await;
    let touch_secs = started.elapsed().as_secs_f64();
    let rss_after_kib = if opened.is_ok() {
        tokio::time::sleep(Duration::from_secs(2)).await;
        target.rss_kib()
    } else {
        0
    };
    let clients = clients.into_inner().expect("clients");
    futures::future::join_all(clients.iter().map(|c| c.repo.stop())).await;
    target.stop().await;
    opened?;
    Ok(TouchedResult { documents: work.iter().map(|(_, d)| d.len()).sum(), rss_before_kib, rss_after_kib, touch_secs })
}

pub struct OverTimeResult {
    pub documents: usize,
    pub agencies: usize,
    pub idle_secs: u64,
    pub offered_per_sec: f64,
    pub secs: f64,
    pub rss_before_kib: u64,
    pub rss_peak_kib: u64,
    pub rss_end_kib: u64,
    pub loaded_peak: u64,
    pub loaded_end: u64,
}

/// The sample agency-year's documents other than its directory (plan, memo, review, approvals,
/// a results document per division), copied into further years of the same agency until it has
/// `per_agency` documents: rows and stored chunks copied in SQLite before the server starts.
/// Returns the new documents' ids.
fn copy_years(data: &std::path::Path, agency: &str, per_agency: usize, seed: u8) -> anyhow::Result<Vec<DocumentId>> {
    let mut db = rusqlite::Connection::open(data.join("prongsai.sqlite3"))?;
    let originals: Vec<(String, String, Option<String>)> = db
        .prepare("SELECT doc_id, kind, division FROM documents WHERE agency_id = ?1 AND kind != 'directory'")?
        .query_map([agency], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(!originals.is_empty(), "{agency} has no documents to copy");
    let tx = db.transaction()?;
    let mut made = Vec::with_capacity(per_agency);
    {
        let mut row =
            tx.prepare("INSERT INTO documents (doc_id, agency_id, year, kind, division) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut chunks = tx.prepare(
            "INSERT INTO chunks (key, data) SELECT ?2 || substr(key, length(?1) + 1), data FROM chunks \
             WHERE key > ?1 || '/' AND key < ?1 || '0'",
        )?;
        'years: for year in 2566i64.. {
            for (original, kind, division) in &originals {
                if made.len() == per_agency {
                    break 'years;
                }
                // Any 16 bytes are an id; these are unique per agency and copy.
                let mut bytes = [0u8; 16];
                bytes[0] = seed;
                bytes[8..].copy_from_slice(&(made.len() as u64).to_be_bytes());
                let id = DocumentId::try_from(bytes.to_vec()).map_err(|e| anyhow::anyhow!("{e}"))?;
                row.execute(rusqlite::params![id.to_string(), agency, year, kind, division])?;
                chunks.execute([original.as_str(), id.to_string().as_str()])?;
                made.push(id);
            }
        }
    }
    tx.commit()?;
    Ok(made)
}

/// Asks the server for a document as a peer that has none of it, and waits until its content
/// arrived; the copy is dropped at once (a device that looked at a document and moved on).
async fn open_once(peer: &mut RawPeer, id: &str) -> anyhow::Result<()> {
    use prongsai_core::automerge::{Automerge, sync, sync::SyncDoc};
    let mut doc = Automerge::new();
    let mut state = sync::State::new();
    let first = doc.generate_sync_message(&mut state).context("a first sync message")?;
    anyhow::ensure!(peer.send_sync("request", id, &first.encode()).await, "the connection closed");
    loop {
        let (about, data) = tokio::time::timeout(Duration::from_secs(60), peer.next_sync())
            .await
            .with_context(|| format!("document {id} never arrived"))?
            .context("the connection closed")?;
        if about != id {
            continue;
        }
        doc.receive_sync_message(&mut state, sync::Message::decode(&data)?)?;
        if let Some(reply) = doc.generate_sync_message(&mut state) {
            peer.send_sync("sync", id, &reply.encode()).await;
        }
        if !doc.get_heads().is_empty() {
            return Ok(());
        }
    }
}

/// `total` documents in `agencies` agencies, opened one after another at `rate` a second in all
/// (each by a peer that then moves on) while every agency stays live (one more connection of
/// each says nothing throughout); the server drops documents idle for `idle_secs`. Samples the
/// server's RSS and its count of documents in memory every half second.
pub async fn documents_over_time(
    data: &std::path::Path,
    total: usize,
    agencies: usize,
    rate: f64,
    idle_secs: u64,
) -> anyhow::Result<OverTimeResult> {
    const OPENERS: usize = 4;
    std::fs::create_dir_all(data)?;
    let per_agency = total / agencies;
    let mut created = vec![bench_agency(data, "over0", OPENERS as u32 + 1).await];
    created.extend(
        futures::stream::iter(
            (1..agencies).map(|a| async move { bench_agency(data, &format!("over{a}"), OPENERS as u32 + 1).await }),
        )
        .buffered(2)
        .collect::<Vec<_>>()
        .await,
    );
    let mut work: Vec<(Vec<Minted>, Vec<DocumentId>)> = Vec::new();
    for (a, minted) in created.into_iter().enumerate() {
        let docs = copy_years(data, &format!("over{a}"), per_agency, a as u8)?;
        work.push((minted?, docs));
    }
    let idle = idle_secs.to_string();
    let target = Target::start_with(Kind::Prongsai, data, &["--doc-idle-secs", &idle]).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = target.rss_kib();
    prongsai_client::api::install_crypto();
    let http = reqwest::Client::new();
    let loaded = || crate::cluster::metric(&http, &target, "prongsai_documents_loaded");
    // Every agency live throughout: one quiet connection each.
    let mut keepers = Vec::new();
    for (logins, _) in &work {
        keepers.push(RawPeer::connect_to(target.addr, &logins[0].token, &logins[0].peer_id).await);
    }
    let openers = work.len() * OPENERS;
    let every = Duration::from_secs_f64(openers as f64 / rate);
    let started = Instant::now();
    let done = std::sync::atomic::AtomicBool::new(false);
    let (mut rss_peak_kib, mut loaded_peak) = (0u64, 0u64);
    let sample = async {
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            rss_peak_kib = rss_peak_kib.max(target.rss_kib());
            loaded_peak = loaded_peak.max(loaded().await);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    let open_all = async {
        let jobs = work.iter().flat_map(|(logins, docs)| {
            (0..OPENERS).map(move |o| {
                let login = &logins[o + 1];
                let mine: Vec<&DocumentId> = docs.iter().skip(o).step_by(OPENERS).collect();
                async move {
                    let mut peer = RawPeer::connect_to(target.addr, &login.token, &login.peer_id).await;
                    let mut tick = tokio::time::interval(every);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    for id in mine {
                        tick.tick().await;
                        open_once(&mut peer, &id.to_string()).await?;
                    }
                    anyhow::Ok(())
                }
            })
        });
        let result = target.while_alive(futures::future::try_join_all(jobs)).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };
    let (opened, ()) = tokio::join!(open_all, sample);
    let secs = started.elapsed().as_secs_f64();
    let rss_end_kib = target.rss_kib();
    let loaded_end = loaded().await;
    drop(keepers);
    target.stop().await;
    opened?;
    Ok(OverTimeResult {
        documents: work.iter().map(|(_, d)| d.len()).sum(),
        agencies,
        idle_secs,
        offered_per_sec: rate,
        secs,
        rss_before_kib,
        rss_peak_kib,
        rss_end_kib,
        loaded_peak,
        loaded_end,
    })
}
