//! Several server processes on one PostgreSQL (a throwaway cluster of the test's own): each
//! agency is served by one node at a time, under a lease with a fencing token.

use std::time::Duration;

use prongsai_client::Device;
use prongsai_core::automerge::ChangeHash;
use prongsai_tests::{Sample, Server, YEAR, append_result, device, eventually, eventually_seen};

const LONG: Duration = Duration::from_secs(90);

async fn heads(device: &Device, doc_id: &str) -> Vec<ChangeHash> {
    device.handle(doc_id).await.expect("handle").with_document_async(|doc| doc.get_heads()).await.expect("heads")
}

/// The change hashes stored for a document.
async fn stored(sample: &Sample, doc_id: &str) -> Vec<ChangeHash> {
    let chunks = sample.stored_chunks(doc_id).await;
    chunks.iter().filter_map(|(k, d)| prongsai_core::durability::chunk_changes(k, d)).flat_map(|(_, h)| h).collect()
}

/// The HTTP status a sync connection to `server` gets.
async fn sync_status(server: &Server, token: &str) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/sync", server.addr).into_client_request().expect("request");
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("the sync endpoint answers: {other}"),
    }
}

fn signal(server: &Server, name: &str) {
    let pid = server.pid().expect("running").to_string();
    let status = std::process::Command::new("kill").args([&format!("-{name}"), &pid]).status().expect("kill runs");
    assert!(status.success(), "kill -{name} {pid}");
}

/// Node 1 serves the agency; paused (SIGSTOP) past its lease, it loses the agency to node 2.
/// Woken up, it writes nothing of what reached it meanwhile (its writes are fenced off by the
/// database) and stops serving the agency; the device that was on it moves to node 2, where its
/// change is confirmed. Another node never serves an agency that a live node holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_paused_past_its_lease_writes_nothing_when_it_wakes_and_its_clients_move_on() {
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let one = Server::start_with_env(&data, &["--node-name", "node-1"], &[]).await;
    let two = Server::start_with_env(&data, &["--node-name", "node-2"], &[]).await;

    // somchai works through node 1, which takes the agency.
    let dir = sample.device_dir("palad");
    let palad = device(&one, &dir, "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("the year loads through node 1");
    append_result(&palad, "palad", "m4", " [ก่อนหยุด]").await.expect("an edit");
    assert!(palad.wait_confirmed(LONG).await, "node 1 confirms it");
    let entry = palad.documents(YEAR).await.expect("documents");
    let doc = entry.iter().find(|e| e.division.as_deref() == Some("palad")).expect("results/palad").document_id();
    let doc = doc.to_string();

    // Node 2 does not serve the agency while node 1 holds it.
    let api = prongsai_client::ServerApi::new(two.url());
    let token = api.login("kannika", sample.password("kannika"), "test").await.expect("signs in on node 2").token;
    assert_eq!(sync_status(&two, &token).await, 503, "node 2 refuses the agency node 1 serves");

    // Node 1 freezes; somchai's next change reaches its socket and waits there.
    signal(&one, "STOP");
    append_result(&palad, "palad", "m4", " [ระหว่างหยุด]").await.expect("an edit while node 1 is frozen");
    let while_paused = heads(&palad, &doc).await;

    // Once node 1's lease runs out, node 2 takes the agency: a fresh device reads through it.
    let reader = device(&two, &sample.device_dir("reader"), "kannika", sample.password("kannika")).await;
    let text = eventually_seen("node 2 serves the agency", LONG, || async {
        let year = reader.agency_year(YEAR).await.map_err(|e| e.to_string())?;
        year.result("m4", "palad").map(|r| r.text.as_str().to_string()).ok_or_else(|| "no result yet".to_string())
    })
    .await;
    assert!(text.contains("[ก่อนหยุด]") && !text.contains("[ระหว่างหยุด]"), "{text}");

    // Node 1 wakes up: it gives the agency up and writes nothing of what it received.
    signal(&one, "CONT");
    eventually("node 1 stops serving the agency", LONG, || async {
        one.metric("prongsai_agency_leases_lost_total").await >= 1
    })
    .await;
    let stored_now = stored(&sample, &doc).await;
    assert!(!while_paused.iter().any(|h| stored_now.contains(h)), "node 1 stored a change after losing the agency");
    assert_eq!(one.metric("prongsai_storage_healthy").await, 1, "losing an agency is no storage failure");
    assert_eq!(sync_status(&one, &token).await, 503, "node 1 now refuses the agency node 2 serves");

    // somchai's device moves to node 2 (as a load balancer would send it) with its change.
    palad.shutdown().await;
    let mut session = prongsai_client::session::load(&dir).expect("readable").expect("a saved session");
    session.server = two.url().to_string();
    prongsai_client::session::save(&dir, &session).expect("saved");
    let moved = Device::open(prongsai_client::DeviceConfig::new(&dir)).await.expect("opens").expect("signed in");
    moved.connect().expect("connects");
    assert!(moved.wait_confirmed(LONG).await, "node 2 confirms the change made while node 1 was frozen");
    let stored_now = stored(&sample, &doc).await;
    assert!(while_paused.iter().all(|h| stored_now.contains(h)), "the change is stored, by node 2");
    eventually("the reader sees it", LONG, || async {
        reader
            .agency_year(YEAR)
            .await
            .ok()
            .and_then(|y| y.result("m4", "palad").map(|r| r.text.as_str().to_string()))
            .is_some_and(|t| t.contains("[ระหว่างหยุด]"))
    })
    .await;
    moved.shutdown().await;
    reader.shutdown().await;
}

/// PostgreSQL crashes (its postmaster SIGKILLed) while a device writes: the server confirms
/// nothing while it is down; once PostgreSQL has recovered, every
/// change the server had confirmed is there, and a restarted server confirms the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_crash_loses_nothing_the_server_confirmed() {
    let mut sample = Sample::create_on_postgres().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    let palad = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("the year loads");
    for i in 0..5 {
        append_result(&palad, "palad", "m4", &format!(" [ก่อนล่ม {i}]")).await.expect("an edit");
    }
    assert!(palad.wait_confirmed(LONG).await, "the server confirms them");
    let entry = palad.documents(YEAR).await.expect("documents");
    let doc = entry.iter().find(|e| e.division.as_deref() == Some("palad")).expect("results/palad").document_id();
    let doc = doc.to_string();
    let confirmed = heads(&palad, &doc).await;

    // The database crashes; the device keeps writing.
    sample.postgres_mut().expect("a cluster").kill();
    append_result(&palad, "palad", "m4", " [ระหว่างล่ม]").await.expect("an edit while the database is down");
    let during = heads(&palad, &doc).await;
    let answer = palad.api().durable(&doc, &during, Duration::from_secs(2)).await;
    assert!(!matches!(answer, Ok(true)), "nothing is confirmed while the database is down: {answer:?}");

    // PostgreSQL recovers from its log: everything confirmed is there.
    sample.postgres_mut().expect("a cluster").restart().expect("PostgreSQL restarts");
    let stored_now = stored(&sample, &doc).await;
    assert!(confirmed.iter().all(|h| stored_now.contains(h)), "a confirmed change was lost in the crash");

    // A restarted server confirms what the device wrote meanwhile.
    server.restart().await;
    assert!(palad.wait_confirmed(LONG).await, "the rest is confirmed after the restart");
    let stored_now = stored(&sample, &doc).await;
    assert!(during.iter().all(|h| stored_now.contains(h)), "the change made during the crash is stored");
    palad.shutdown().await;
}
