//! Faults the field will throw at us: the server SIGKILLed at random points of a write stream, a
//! device SIGKILLed mid-edit, a network that loses, delays, duplicates and cuts frames, and a
//! database file damaged on disk. Every wait polls a condition with a deadline.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prongsai_client::{Device, DeviceConfig, ServerApi};
use prongsai_core::automerge::ChangeHash;
use prongsai_tests::proxy::{FaultyProxy, Rng};
use prongsai_tests::{Sample, Server, append_result, device, eventually, eventually_seen, result_text};
use tokio::io::AsyncBufReadExt;

const LONG: Duration = Duration::from_secs(90);

/// A device with a short reconnect backoff, so a test does not wait out a long retry.
async fn quick_device(url: url::Url, sample: &Sample, name: &str, username: &str) -> Device {
    let mut config = DeviceConfig::new(sample.device_dir(name));
    config.backoff.max_delay = Duration::from_millis(500);
    config.confirm_wait = Duration::from_secs(1);
    let device = Device::login(config, url, username, sample.password(username)).await.expect("login works");
    device.connect().expect("connecting starts");
    device
}

async fn results_doc(device: &Device, division: &str) -> String {
    device
        .documents(prongsai_tests::YEAR)
        .await
        .expect("documents")
        .into_iter()
        .find(|e| e.kind == prongsai_core::model::DocKind::Results && e.division.as_deref() == Some(division))
        .expect("the division's results document")
        .document_id()
        .to_string()
}

async fn heads(device: &Device, doc_id: &str) -> Vec<ChangeHash> {
    device.handle(doc_id).await.expect("handle").with_document_async(|doc| doc.get_heads()).await.expect("heads")
}

/// Two divisions write without pause while the server is SIGKILLed at random moments (mid-write,
/// mid-sync, mid-confirmation) and restarted. Whatever the server ever answered "durable" for is
/// still there after every restart, and in the end every edit reaches a fresh device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sigkill_at_random_points_of_a_write_stream_loses_no_confirmed_change() {
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    let writers = [("palad", "somchai"), ("klang", "wipa")];
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Per writer: the tokens written so far, and the newest heads the server confirmed durable.
    let mut tasks = Vec::new();
    let mut confirmed: Vec<Arc<Mutex<Option<Vec<ChangeHash>>>>> = Vec::new();
    let mut devices = Vec::new();
    for (division, username) in writers {
        let d = quick_device(server.url(), &sample, division, username).await;
        // As the app does when it opens: the agency-year is on the device before anyone edits.
        d.agency_year(prongsai_tests::YEAR).await.expect("the agency-year loads");
        let doc_id = results_doc(&d, division).await;
        let latest: Arc<Mutex<Option<Vec<ChangeHash>>>> = Arc::default();
        let durable: Arc<Mutex<Option<Vec<ChangeHash>>>> = Arc::default();
        confirmed.push(durable.clone());
        devices.push((d.clone(), division, doc_id.clone()));
        // The writer: appends as fast as the device saves, online or not.
        let writer = {
            let (d, stop, latest, doc_id) = (d.clone(), stop.clone(), latest.clone(), doc_id.clone());
            tokio::spawn(async move {
                let mut tokens = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let token = format!("[{division}.{i}]");
                    append_result(&d, division, "m4", &token).await.expect("the device saves the edit");
                    tokens.push(token);
                    *latest.lock().expect("latest") = Some(heads(&d, &doc_id).await);
                    i += 1;
                }
                tokens
            })
        };
        // The checker: asks the server whether the newest heads are durable, and remembers the last yes.
        let checker = {
            let (stop, doc_id) = (stop.clone(), doc_id.clone());
            let port = server.addr.port();
            let token = d.session().token.clone();
            tokio::spawn(async move {
                let api = ServerApi::new(format!("http://127.0.0.1:{port}/").parse().expect("url")).with_token(&token);
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let candidate = latest.lock().expect("latest").clone();
                    if let Some(h) = candidate
                        && let Ok(true) = api.durable(&doc_id, &h, Duration::from_millis(200)).await
                    {
                        *durable.lock().expect("durable") = Some(h);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Vec::new()
            })
        };
        tasks.push(writer);
        tasks.push(checker);
    }
    let mut rng = Rng(0x5eed_0007);
    let rounds = 15;
    let mut checked = 0;
    for round in 0..rounds {
        // A random point of the stream: somewhere in the next 20–400 ms of writing and syncing.
        tokio::time::sleep(Duration::from_millis(20 + rng.below(380))).await;
        server.kill().await;
        // What the server said was durable before it died.
        let claims: Vec<Option<Vec<ChangeHash>>> =
            confirmed.iter().map(|c| c.lock().expect("durable").clone()).collect();
        server.restart().await;
        for ((d, division, doc_id), claim) in devices.iter().zip(claims) {
            let Some(h) = claim else { continue };
            let api = ServerApi::new(server.url()).with_token(&d.session().token);
            let still = api.durable(doc_id, &h, Duration::ZERO).await.expect("the restarted server answers");
            assert!(still, "round {round}: {division}'s change the server had confirmed is gone after SIGKILL");
            checked += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut written = Vec::new();
    for task in tasks {
        written.push(task.await.expect("the writer ran"));
    }
    assert!(checked >= rounds, "the server confirmed changes in most rounds (checked {checked})");
    let fresh = device(&server, &sample.device_dir("fresh"), "viewer", sample.password("viewer")).await;
    for ((d, division, _), tokens) in devices.iter().zip(written.into_iter().step_by(2)) {
        assert!(d.wait_confirmed(LONG).await, "{division}: every edit is confirmed once the server stays up");
        assert!(tokens.len() > rounds, "{division} kept writing through the restarts ({} edits)", tokens.len());
        let expected = tokens.concat();
        eventually(&format!("a fresh device has every edit of {division}"), LONG, || async {
            result_text(&fresh, division, "m4").await.is_ok_and(|t| t == expected)
        })
        .await;
    }
}

/// The field device as a process of its own, SIGKILLed after a random number of saved edits,
/// several times over: every edit it had reported saved is still on the device, in order, and
/// reaches the server once it runs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_sigkill_mid_edit_keeps_every_locally_saved_edit() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let dir = sample.device_dir("field");
    let mut rng = Rng(0x00de_71ce);
    let mut saved_per_round: Vec<u64> = Vec::new();
    for round in 0..6u64 {
        let kill_after = 1 + rng.below(12);
        let mut child = prongsai_tests::field_writer(&dir, &server, &sample, &format!("r{round}"))
            .spawn()
            .expect("the field device starts");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut saved = 0;
        while saved < kill_after {
            let line = tokio::time::timeout(LONG, lines.next_line())
                .await
                .expect("the device keeps saving")
                .expect("stdout")
                .expect("the device is still running");
            assert_eq!(line, format!("saved {saved}"));
            saved += 1;
        }
        // SIGKILL: the device is in the middle of its next edit (or its save, or a sync).
        child.start_kill().expect("kill");
        child.wait().await.expect("the device is gone");
        saved_per_round.push(saved);
    }
    // Reopen the device in this process, offline: everything reported saved is there, in order.
    // The device runs ahead of this test's reading: edits it saved after the last line read, and
    // the one under way at the kill, may or may not be there (`saved_edits_all_there`).
    let local = Device::open(DeviceConfig::new(&dir)).await.expect("the device opens").expect("it was signed in");
    let text = result_text(&local, "palad", "m4").await.expect("the device reads its own data offline");
    if let Err(why) = saved_edits_all_there(&text, &saved_per_round) {
        panic!("reopened offline: {why}: {text:?}");
    }
    // Once the device runs again, all of it reaches the server.
    local.connect().expect("connect");
    if !local.wait_confirmed(LONG).await {
        let doc_id = results_doc(&local, "palad").await;
        let h = heads(&local, &doc_id).await;
        let on_server = local.api().durable(&doc_id, &h, Duration::ZERO).await;
        let pending = local.storage().pending().await.map(|p| p.values().map(Vec::len).sum::<usize>());
        // The server's last words say why (a refused sync message, say).
        let log = std::fs::read_to_string(sample.data().with_extension("server.log")).unwrap_or_default();
        let tail = log.lines().rev().take(30).collect::<Vec<_>>().join("\n");
        panic!(
            "the restarted device's edits are not confirmed: state {:?}, heads {h:?} durable on the server: \
             {on_server:?}, {pending:?} changes pending; the server's log, newest first:\n{tail}",
            local.state()
        );
    }
    let fresh = device(&server, &sample.device_dir("fresh"), "viewer", sample.password("viewer")).await;
    // An edit the device sent just before a kill, unsaved and never reported, may come back from
    // the server: the fresh device and the restarted one agree, and no edit the restarted device
    // had is lost.
    let synced = eventually_seen("a fresh device has what the restarted device has", LONG, || async {
        match (result_text(&local, "palad", "m4").await, result_text(&fresh, "palad", "m4").await) {
            (Ok(mine), Ok(theirs)) if mine == theirs => Ok(mine),
            other => Err(format!("(restarted, fresh) {other:?}, fresh sync state {:?}", fresh.state())),
        }
    })
    .await;
    if let Err(why) = saved_edits_all_there(&synced, &saved_per_round) {
        panic!("after syncing: {why}: {synced:?}");
    }
    let synced_edits: std::collections::HashSet<&str> = synced.split_inclusive(']').collect();
    assert!(
        text.split_inclusive(']').all(|e| synced_edits.contains(e)),
        "an edit was lost in syncing: {text:?} → {synced:?}"
    );
}

/// Every edit the device reported saved ([r<run>.<n>] for n below that run's count) is in `text`,
/// and each run's edits are in the order it made them. Besides those, only edits a run made after
/// the last one it reported: saved but not yet read by the test, or sent to the server just before
/// the kill and come back from it. Edits of different runs may interleave (a change that came back
/// from the server is concurrent with the next run's), so only each run's own order is checked.
fn saved_edits_all_there(text: &str, saved_per_round: &[u64]) -> Result<(), String> {
    let mut next = vec![0u64; saved_per_round.len()];
    for edit in text.split_inclusive(']') {
        let (round, n) = edit
            .strip_prefix("[r")
            .and_then(|e| e.strip_suffix(']'))
            .and_then(|e| e.split_once('.'))
            .and_then(|(r, n)| Some((r.parse::<usize>().ok()?, n.parse::<u64>().ok()?)))
            .filter(|(round, _)| *round < next.len())
            .ok_or_else(|| format!("{edit:?} is not one of the device's edits"))?;
        if n != next[round] {
            return Err(format!("edit {edit} comes where [r{round}.{}] should", next[round]));
        }
        next[round] += 1;
    }
    match next.iter().zip(saved_per_round).position(|(seen, saved)| seen < saved) {
        Some(round) => Err(format!("edit [r{round}.{}], reported saved, is missing", next[round])),
        None => Ok(()),
    }
}

/// Four divisions edit through a network that drops, delays, duplicates and cuts sync frames;
/// once it heals, every device has every division's edits and the server confirmed them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lossy_network_between_devices_and_server_still_converges() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let proxy = FaultyProxy::start(server.addr, 0xfa017).await;
    let writers = [("palad", "somchai"), ("klang", "wipa"), ("chang", "prasit"), ("education", "suda")];
    let mut devices = Vec::new();
    for (division, username) in writers {
        let d = quick_device(proxy.url(), &sample, division, username).await;
        d.agency_year(prongsai_tests::YEAR).await.expect("the agency-year loads");
        devices.push((d, division));
    }
    // 3% of frames lost, 3% sent twice, 1% cut the connection, each delayed up to 40 ms.
    proxy.faults.set(30, 30, 10, 40);
    let edits = 25;
    let mut tasks = Vec::new();
    for (d, division) in &devices {
        let (d, division) = (d.clone(), *division);
        tasks.push(tokio::spawn(async move {
            for i in 0..edits {
                append_result(&d, division, "m4", &format!("[{division}.{i}]")).await.expect("saved");
                // Edits arrive over time, as in the field, while frames are being lost.
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("the writer ran");
    }
    let lossy = proxy.faults.summary();
    assert!(
        proxy.faults.dropped.load(std::sync::atomic::Ordering::SeqCst) > 0
            && proxy.faults.duplicated.load(std::sync::atomic::Ordering::SeqCst) > 0
            && proxy.faults.cuts.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the network misbehaved in every way: {lossy}"
    );
    // The network heals; connections that hang on a lost handshake are cut once and redialled.
    proxy.faults.heal();
    proxy.cut_all();
    let expected: Vec<(String, String)> = writers
        .iter()
        .map(|(division, _)| (division.to_string(), (0..edits).map(|i| format!("[{division}.{i}]")).collect()))
        .collect();
    for (d, division) in &devices {
        assert!(d.wait_confirmed(LONG).await, "{division}: every edit is confirmed after the network heals ({lossy})");
    }
    for (d, name) in &devices {
        for (division, text) in &expected {
            eventually(&format!("{name}'s device has every edit of {division} ({lossy})"), LONG, || async {
                result_text(d, division, "m4").await.is_ok_and(|t| &t == text)
            })
            .await;
        }
    }
}

/// Starts the server on `data` and expects it to refuse: exit with an error that names the file
/// and says it is damaged, never listening.
async fn refused_at_start(data: &std::path::Path) {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(prongsai_tests::server_binary())
            .args(["serve", "--data", data.to_str().expect("utf-8 path"), "--listen", "127.0.0.1:0"])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the server gives up instead of hanging")
    .expect("the server runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!output.status.success(), "the server started on a damaged database: {stdout}");
    assert!(!stdout.contains("listening on"), "the server listened on a damaged database: {stdout}");
    assert!(stderr.contains("prongsai.sqlite3"), "the error names the database file: {stderr}");
    assert!(
        stderr.contains("integrity check")
            || stderr.contains("not a readable database")
            || stderr.contains("malformed"),
        "the error says the database is damaged: {stderr}"
    );
}

/// A database damaged on disk (overwritten pages, a cut-off file) is detected when the server
/// starts and when a report is exported, and reported; the server does not serve it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_or_truncated_database_is_reported_not_served() {
    let sample = Sample::create_on_sqlite().await;
    let database = sample.data().join("prongsai.sqlite3");
    // Everything into the main file first, as in a backup copy (the WAL may still hold the sample).
    rusqlite::Connection::open(&database)
        .and_then(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())))
        .expect("checkpoint");
    let original = std::fs::read(&database).expect("the database file");
    assert!(original.len() > 16 * 4096, "the sample fills many pages ({} bytes)", original.len());
    let page = 4096;

    // Pages in the middle overwritten with noise (a bad sector, a torn copy).
    let mut corrupted = original.clone();
    let mut rng = Rng(0xbad5_ec70);
    let pages = corrupted.len() / page;
    for p in [pages / 3, pages / 2, 2 * pages / 3] {
        for byte in &mut corrupted[p * page..(p + 1) * page] {
            *byte = rng.below(256) as u8;
        }
    }
    std::fs::write(&database, &corrupted).expect("write");
    refused_at_start(&sample.data()).await;
    let export = tokio::process::Command::new(prongsai_tests::server_binary())
        .args(["export", "--data", sample.data().to_str().expect("utf-8"), "--agency", "pakchong", "--year", "2565"])
        .args(["--format", "pdf", "-o", sample.dir.path().join("out.pdf").to_str().expect("utf-8")])
        .output()
        .await
        .expect("export runs");
    assert!(!export.status.success(), "a report was exported from a damaged database");
    assert!(!sample.dir.path().join("out.pdf").exists(), "no report file from a damaged database");

    // The file cut off halfway (a full disk, a copy interrupted).
    std::fs::write(&database, &original[..original.len() / 2]).expect("write");
    refused_at_start(&sample.data()).await;

    // The intact file serves again: the refusal changed nothing.
    std::fs::write(&database, &original).expect("write");
    let server = Server::start(&sample.data(), 0, &[]).await;
    let d = device(&server, &sample.device_dir("after"), "viewer", sample.password("viewer")).await;
    assert!(!d.agency_year(prongsai_tests::YEAR).await.expect("loads").plan.measures.is_empty());
}
