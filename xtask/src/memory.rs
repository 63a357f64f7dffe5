//! Resident memory of a server: with many idle authenticated clients (each a WebSocket that
//! finished the join handshake and then says nothing), and after many documents were touched
//! (opened and synced by clients).

use std::time::{Duration, Instant};

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
}

/// Opens `count` idle clients against a fresh server and reads its RSS once all are connected.
pub async fn idle_clients(kind: Kind, data: &std::path::Path, count: usize) -> anyhow::Result<IdleResult> {
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
    let started = Instant::now();
    let addr = target.addr;
    let peers: Vec<RawPeer> =
        futures::stream::iter(logins.iter().map(|l| RawPeer::connect_to(addr, &l.token, &l.peer_id)))
            .buffer_unordered(64)
            .collect()
            .await;
    let connect_secs = started.elapsed().as_secs_f64();
    // Let the server settle (buffers freed, tasks parked) before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_kib = target.rss_kib();
    drop(peers);
    target.stop().await;
    Ok(IdleResult { clients: count, rss_before_kib, rss_after_kib, connect_secs })
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
