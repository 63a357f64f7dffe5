//! Several server processes on one PostgreSQL (a throwaway cluster of the test's own): each
//! agency is served by one node at a time, under a lease with a fencing token.

use std::time::Duration;

use prongsai_client::Device;
use prongsai_core::automerge::ChangeHash;
use prongsai_tests::{Sample, Server, YEAR, append_result, device, eventually, eventually_seen, root_string};

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

    // Node 2 does not serve the agency while node 1 holds it: it carries a connection there.
    let api = prongsai_client::ServerApi::new(two.url());
    let token = api.login("kannika", sample.password("kannika"), "test").await.expect("signs in on node 2").token;
    assert_eq!(sync_status(&two, &token).await, 101, "node 2 carries the connection to node 1");
    assert_eq!(two.metric("prongsai_agency_repos_running").await, 0, "and serves nothing itself");

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
    assert_eq!(sync_status(&one, &token).await, 101, "node 1 now carries the agency's connections to node 2");
    assert_eq!(one.metric("prongsai_agency_repos_running").await, 0, "and serves it no more itself");

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

/// A device of `username` signed in through `url` (a load balancer), connected.
async fn device_at(url: &url::Url, dir: &std::path::Path, username: &str, password: &str) -> Device {
    let config = prongsai_client::DeviceConfig::new(dir);
    let device = Device::login(config, url.clone(), username, password).await.expect("signs in");
    device.connect().expect("connects");
    device
}

async fn results_doc(device: &Device, division: &str) -> String {
    let entries = device.documents(YEAR).await.expect("documents");
    entries
        .iter()
        .find(|e| e.division.as_deref() == Some(division))
        .expect("the division's results")
        .document_id()
        .to_string()
}

/// The sample on PostgreSQL, three nodes behind HAProxy, and two divisions' devices (สำนักปลัด,
/// กองคลัง) signed in through it with the year loaded.
async fn behind_haproxy() -> (Sample, Vec<Server>, prongsai_tests::Haproxy, Device, Device) {
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let mut nodes = Vec::new();
    for i in 1..=3 {
        nodes.push(Server::start_with_env(&data, &["--node-name", &format!("node-{i}")], &[]).await);
    }
    let lb = prongsai_tests::Haproxy::start(&nodes).await;
    let palad = device_at(&lb.url(), &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    let klang = device_at(&lb.url(), &sample.device_dir("klang"), "wipa", sample.password("wipa")).await;
    for d in [&palad, &klang] {
        d.agency_year(YEAR).await.expect("the year loads through HAProxy");
    }
    (sample, nodes, lb, palad, klang)
}

/// Three nodes behind HAProxy (`deploy/haproxy.cfg`, no stickiness) and one PostgreSQL; two
/// divisions write through HAProxy. The node serving the agency is SIGKILLed: HAProxy sends the
/// devices on, another node takes the agency once the lease lapses, nothing confirmed before is
/// lost, and both devices' later changes are confirmed and reach a fresh device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_behind_haproxy_carry_on_when_the_node_serving_the_agency_dies() {
    let (sample, mut nodes, lb, palad, klang) = behind_haproxy().await;
    for i in 0..5 {
        append_result(&palad, "palad", "m4", &format!(" [p{i}]")).await.expect("an edit");
        append_result(&klang, "klang", "m4", &format!(" [k{i}]")).await.expect("an edit");
    }
    for d in [&palad, &klang] {
        assert!(d.wait_confirmed(LONG).await, "confirmed through HAProxy");
    }
    let docs = [results_doc(&palad, "palad").await, results_doc(&klang, "klang").await];
    let confirmed = [heads(&palad, &docs[0]).await, heads(&klang, &docs[1]).await];

    // Exactly one node serves the agency; it dies.
    let mut serving = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.metric("prongsai_agency_repos_running").await > 0 {
            serving.push(i);
        }
    }
    assert_eq!(serving.len(), 1, "one node serves the agency: {serving:?}");
    nodes[serving[0]].kill().await;

    for i in 5..10 {
        append_result(&palad, "palad", "m4", &format!(" [p{i}]")).await.expect("an edit");
        append_result(&klang, "klang", "m4", &format!(" [k{i}]")).await.expect("an edit");
    }
    for d in [&palad, &klang] {
        assert!(d.wait_confirmed(LONG).await, "confirmed by the node that took over");
    }
    for (doc, heads) in docs.iter().zip(&confirmed) {
        let stored_now = stored(&sample, doc).await;
        assert!(heads.iter().all(|h| stored_now.contains(h)), "a change confirmed before the kill was lost");
    }
    let reader = device_at(&lb.url(), &sample.device_dir("reader"), "kannika", sample.password("kannika")).await;
    eventually("a fresh device reads every change through HAProxy", LONG, || async {
        reader.agency_year(YEAR).await.is_ok_and(|y| {
            let text =
                |division: &str| y.result("m4", division).map(|r| r.text.as_str().to_string()).unwrap_or_default();
            text("palad").contains("[p9]") && text("klang").contains("[k9]")
        })
    })
    .await;
    for d in [palad, klang, reader] {
        d.shutdown().await;
    }
}

/// Node 1 serves the agency; node 2 does not, and starts no second live repo of it: whatever
/// reaches node 2 for the agency is carried to node 1 over the node-to-node link. A client built
/// on the reference automerge-repo packages (unmodified: one WebSocket, a token) syncs through
/// node 2 both ways and gets its change confirmed; its forbidden write reaches no one. A request
/// that claims to come from another node without the cluster's signature is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_carries_requests_and_sync_for_an_agency_to_the_node_serving_it() {
    use prongsai_core::automerge::ROOT;
    use prongsai_core::automerge::transaction::Transactable;
    use prongsai_core::model::{DocKey, DocKind};
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let one = Server::start_with_env(&data, &["--node-name", "node-1"], &[]).await;
    let coordinator = device(&one, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    let marker = "สวัสดีจากโหนดหนึ่ง";
    coordinator
        .edit(YEAR, &DocKey::of(DocKind::Plan), "ผ่านโหนดอื่น", move |tx, _| {
            Ok(tx.put(ROOT, "rust_marker", marker)?)
        })
        .await
        .expect("the coordinator writes the plan through node 1");
    assert!(coordinator.wait_confirmed(LONG).await);
    let two = Server::start_with_env(&data, &["--node-name", "node-2"], &[]).await;

    // The Node client signs in, lists documents, syncs and asks for durability, all at node 2.
    prongsai_tests::run_node_client(&two.url(), "somchai", sample.password("somchai"), "pakchong", marker).await;
    eventually("the Node client's change reaches the coordinator on node 1", LONG, || async {
        root_string(&coordinator, &DocKey::results("palad"), "js_marker").await.as_deref() == Some("สวัสดีจาก Node")
    })
    .await;
    assert_eq!(root_string(&coordinator, &DocKey::of(DocKind::Plan), "js_forbidden").await, None);
    assert_eq!(two.metric("prongsai_agency_repos_running").await, 0, "node 2 never served the agency itself");
    // The documents list, the sync connection and at least one durability check.
    assert!(two.metric("prongsai_carried_out_total").await >= 3);
    assert!(one.metric("prongsai_carried_in_total").await >= 3);

    // Claiming to be a node is not enough: node 1 refuses a request whose signature is not the
    // cluster's, even with a valid user token.
    let token = prongsai_client::ServerApi::new(one.url())
        .login("somchai", sample.password("somchai"), "test")
        .await
        .expect("signs in")
        .token;
    let forged = reqwest::Client::new()
        .get(one.url().join("api/agencies/pakchong/years").expect("url"))
        .bearer_auth(&token)
        .header("x-prongsai-node", "node-2")
        .header("x-prongsai-client", "203.0.113.7")
        .header("x-prongsai-signature", format!("{}.{}", prongsai_sync_server::app::now_ms(), "00".repeat(32)))
        .send()
        .await
        .expect("answers");
    assert_eq!(forged.status(), 403);
    assert!(forged.text().await.expect("a body").contains("another node"));
    coordinator.shutdown().await;
}

/// An admin working through node 2 (which does not serve the agency) demotes and then revokes
/// a user whose device syncs through node 1: both are carried to node 1, so the device's next
/// change is refused there at once, and the revocation cuts its connection at once. An
/// operator's command from another process does the same through the shared database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_made_through_one_node_reaches_a_connection_held_by_another_at_once() {
    use prongsai_core::admin::UserChange;
    use prongsai_core::model::Role;
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let one = Server::start_with_env(&data, &["--node-name", "node-1"], &[]).await;
    let palad = device(&one, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("the year loads through node 1");
    append_result(&palad, "palad", "m4", " [ก่อนลดสิทธิ์]").await.expect("an edit");
    assert!(palad.wait_confirmed(LONG).await);
    let two = Server::start_with_env(&data, &["--node-name", "node-2"], &[]).await;
    assert_eq!(one.metric("prongsai_connections_open").await, 1, "node 1 holds the connection");

    let admin = prongsai_tests::signed_in_api(&two, &sample, "admin").await;
    let demote = UserChange { roles: Some(vec![Role::Viewer]), ..UserChange::default() };
    admin.change_user("pakchong", "somchai", &demote).await.expect("node 2 carries the change to node 1");
    append_result(&palad, "palad", "m4", " [หลังลดสิทธิ์]").await.expect("an edit on the device");
    eventually("node 1 refuses the demoted user's change, and the device says so", LONG, || async {
        let state = palad.state();
        state.refused > 0 && state.error.is_some_and(|e| e.contains("may no longer write"))
    })
    .await;
    let doc = results_doc(&palad, "palad").await;
    let after = heads(&palad, &doc).await;
    let stored_now = stored(&sample, &doc).await;
    assert!(!after.iter().any(|h| stored_now.contains(h)), "the demoted user's change was stored");

    let revoked = admin.revoke_sessions("pakchong", "somchai").await.expect("node 2 carries the revocation");
    assert!(revoked >= 1, "{revoked}");
    eventually("node 1 cuts the connection and the device is signed out", LONG, || async {
        palad.state().connection == prongsai_client::Connection::SignedOut
    })
    .await;
    assert_eq!(one.metric("prongsai_connections_open").await, 0, "node 1 closed it");
    assert_eq!(two.metric("prongsai_agency_repos_running").await, 0);
    palad.shutdown().await;

    // The operator's command line, another process on the same database.
    let klang = device(&one, &sample.device_dir("klang"), "wipa", sample.password("wipa")).await;
    klang.agency_year(YEAR).await.expect("the year loads");
    let dir = data.to_str().expect("utf-8");
    prongsai_tests::cli(&["user", "revoke", "--data", dir, "--username", "wipa"], None).await;
    eventually("the device is signed out", LONG, || async {
        klang.state().connection == prongsai_client::Connection::SignedOut
    })
    .await;
    klang.shutdown().await;
}

/// A rolling restart through HAProxy: each of three nodes in turn is stopped (SIGTERM) and
/// started again while two divisions keep writing. The devices see nothing but reconnects:
/// every change is confirmed, none refused, and all of them reach a fresh device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_shows_clients_nothing_but_a_reconnect() {
    let (sample, mut nodes, lb, palad, klang) = behind_haproxy().await;
    let mut n = 0;
    for (i, node) in nodes.iter_mut().enumerate() {
        for _ in 0..2 {
            append_result(&palad, "palad", "m4", &format!(" [p{n}]")).await.expect("an edit");
            append_result(&klang, "klang", "m4", &format!(" [k{n}]")).await.expect("an edit");
            n += 1;
        }
        node.terminate().await;
        // Written while the node is down: it reaches whichever node serves the agency next.
        append_result(&palad, "palad", "m4", &format!(" [p{n}]")).await.expect("an edit");
        append_result(&klang, "klang", "m4", &format!(" [k{n}]")).await.expect("an edit");
        n += 1;
        node.restart().await;
        for d in [&palad, &klang] {
            assert!(d.wait_confirmed(LONG).await, "confirmed after node {} restarted", i + 1);
        }
    }
    for d in [&palad, &klang] {
        assert_eq!(d.state().refused, 0, "no change was refused");
    }
    let last = n - 1;
    let reader = device_at(&lb.url(), &sample.device_dir("reader"), "kannika", sample.password("kannika")).await;
    eventually("a fresh device reads every change", LONG, || async {
        reader.agency_year(YEAR).await.is_ok_and(|y| {
            let text =
                |division: &str| y.result("m4", division).map(|r| r.text.as_str().to_string()).unwrap_or_default();
            (0..=last).all(|k| text("palad").contains(&format!("[p{k}]")) && text("klang").contains(&format!("[k{k}]")))
        })
    })
    .await;
    for d in [palad, klang, reader] {
        d.shutdown().await;
    }
}

/// A small seeded generator (xorshift64*): the kill test's moments and victims, replayable with
/// `PRONGSAI_TEST_SEED`.
struct Moments(u64);

impl Moments {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// What the database holds of a document whose confirmed `heads` the test did not find: its
/// chunks, and whether all of them loaded together hold each head.
async fn lost_report(sample: &Sample, doc: &str, heads: &[ChangeHash]) -> String {
    let chunks = sample.stored_chunks(doc).await;
    let mut keys: Vec<&String> = chunks.keys().collect();
    keys.sort_by_key(|k| (!k.contains("/snapshot/"), k.to_string()));
    let mut whole = prongsai_core::automerge::Automerge::new();
    let mut report = String::new();
    for key in keys {
        let loaded = whole.load_incremental(&chunks[key]);
        report.push_str(&format!("\n  {key}: {} bytes, {loaded:?}", chunks[key].len()));
    }
    for head in heads {
        report.push_str(&format!(
            "\n  head {head}: in the loaded chunks {}",
            whole.get_change_meta_by_hash(head).is_some()
        ));
    }
    report
}

/// Which node holds each agency's live lease now, read from PostgreSQL.
fn holders(sample: &Sample) -> std::collections::HashMap<String, String> {
    let out = sample
        .postgres()
        .expect("a cluster")
        .psql(
            "prongsai",
            "SELECT agency_id || ' ' || node FROM agency_leases
             WHERE expires_at > (extract(epoch from clock_timestamp()) * 1000)::BIGINT",
        )
        .expect("the leases");
    out.lines().filter_map(|l| l.split_once(' ')).map(|(a, n)| (a.to_string(), n.to_string())).collect()
}

/// Waits until `node` holds a transaction open in PostgreSQL (up to 3 s; its commits are held
/// back 50 ms by the fault knob): each look is one `psql`, so it waits on the condition itself.
async fn inside_a_transaction(sample: &Sample, node: &str) -> bool {
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{node}' AND state = 'idle in transaction'"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while std::time::Instant::now() < deadline {
        let cluster = sample.postgres().expect("a cluster");
        let open = tokio::task::block_in_place(|| cluster.psql("prongsai", &sql)).expect("pg_stat_activity");
        if open != "0" {
            return true;
        }
    }
    false
}

/// Three nodes behind HAProxy, two agencies, three devices writing all the time. A node is
/// SIGKILLed twenty times at random moments (half the time the one serving an agency), with every
/// commit held open 50 ms so that kills land inside transactions too. After each kill, every
/// change the server had confirmed durable before it is in the database; every agency the dead
/// node served is served again (the times are printed, and written to
/// `PRONGSAI_FAILOVER_REPORT` for `cargo xtask bench`). At the end every device's changes are
/// confirmed, none refused, and a fresh device of each agency reads every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_kills_at_random_moments_lose_nothing_confirmed_and_every_agency_is_served_again() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let dir = data.to_str().expect("utf-8");
    prongsai_tests::second_agency(dir).await;
    let nongbua_password = prongsai_tests::add_user(dir, "nongbua", "nb.staff", &["staff"], Some("palad")).await;
    let url = sample.postgres().expect("a cluster").url("prongsai");
    let mut nodes = Vec::new();
    for i in 1..=3 {
        let name = format!("node-{i}");
        // Each node's connections carry its name in pg_stat_activity: a kill can wait for one
        // of them to be inside a transaction.
        let database = format!("{url}?application_name={name}");
        let env = [("PRONGSAI_FAULT_COMMIT_DELAY_MS", "50"), ("PRONGSAI_DATABASE", database.as_str())];
        nodes.push(Server::start_with_env(&data, &["--node-name", &name], &env).await);
    }
    let lb = prongsai_tests::Haproxy::start(&nodes).await;
    let accounts = [
        ("pakchong", "palad", "somchai", sample.password("somchai").to_string(), "p"),
        ("pakchong", "klang", "wipa", sample.password("wipa").to_string(), "k"),
        ("nongbua", "palad", "nb.staff", nongbua_password.clone(), "n"),
    ];
    let mut writers = Vec::new();
    for (agency, division, username, password, tag) in &accounts {
        let device = device_at(&lb.url(), &sample.device_dir(username), username, password).await;
        device.agency_year(YEAR).await.expect("the year loads through HAProxy");
        let doc = results_doc(&device, division).await;
        writers.push((*agency, *division, *tag, device, doc));
    }

    // Each device writes on, one change every 200 ms (a person typing), until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (_, division, tag, device, _) in &writers {
        let (device, division, tag, stop) = (device.clone(), division.to_string(), tag.to_string(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::SeqCst) {
                append_result(&device, &division, "m4", &format!(" [{tag}{n}]")).await.expect("an edit");
                n += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            n
        }));
    }

    // A request for each agency's data through HAProxy, as its own user.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("a client");
    let mut tokens = std::collections::HashMap::new();
    for (agency, _, username, password, _) in &accounts {
        let api = prongsai_client::ServerApi::new(lb.url());
        let token = api.login(username, password, "failover probe").await.expect("signs in").token;
        tokens.entry(agency.to_string()).or_insert(token);
    }

    let seed = std::env::var("PRONGSAI_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_nanos() as u64 | 1
    });
    eprintln!("kill moments: PRONGSAI_TEST_SEED={seed}");
    let mut moments = Moments(seed);
    let mut confirmed: Vec<(usize, Vec<ChangeHash>)> = Vec::new();
    let mut failovers: Vec<Duration> = Vec::new();
    for kill in 0..20 {
        // What the server has confirmed so far (the answer a device waits for).
        for (i, (_, _, _, device, doc)) in writers.iter().enumerate() {
            let now = heads(device, doc).await;
            if matches!(device.api().durable(doc, &now, Duration::ZERO).await, Ok(true)) {
                confirmed.push((i, now));
            }
        }
        // A random moment, then a victim: half the time the node serving a random agency.
        tokio::time::sleep(Duration::from_millis(moments.below(1000))).await;
        let held = holders(&sample);
        let holder = if moments.below(2) == 0 {
            let agency = ["pakchong", "nongbua"][moments.below(2) as usize];
            held.get(agency).and_then(|n| n.strip_prefix("node-")).and_then(|n| n.parse::<usize>().ok()).map(|n| n - 1)
        } else {
            None
        };
        let victim = holder.unwrap_or_else(|| moments.below(3) as usize);
        let served: Vec<String> =
            held.iter().filter(|(_, n)| **n == format!("node-{}", victim + 1)).map(|(a, _)| a.clone()).collect();
        // Half the kills of a serving node wait for one of its writes to be inside its transaction.
        if holder.is_some() && moments.below(2) == 0 {
            inside_a_transaction(&sample, &format!("node-{}", victim + 1)).await;
        }
        nodes[victim].kill().await;
        let killed = std::time::Instant::now();

        for (i, (_, _, _, _, doc)) in writers.iter().enumerate() {
            let stored_now = stored(&sample, doc).await;
            for (_, h) in confirmed.iter().filter(|(j, _)| *j == i) {
                if !h.iter().all(|h| stored_now.contains(h)) {
                    panic!(
                        "kill {kill}: a change confirmed before it is not stored: {}",
                        lost_report(&sample, doc, h).await
                    );
                }
            }
        }
        for agency in &served {
            let url = lb.url().join(&format!("api/agencies/{agency}/years")).expect("url");
            eventually(&format!("kill {kill}: {agency} is served again"), LONG, || async {
                let answer = http.get(url.clone()).bearer_auth(&tokens[agency]).send().await;
                answer.is_ok_and(|r| r.status().is_success())
            })
            .await;
            failovers.push(killed.elapsed());
        }
        nodes[victim].restart().await;
    }

    stop.store(true, Ordering::SeqCst);
    let mut written = Vec::new();
    for task in tasks {
        written.push(task.await.expect("the writer ran"));
    }
    for (_, _, _, device, _) in &writers {
        assert!(device.wait_confirmed(LONG).await, "every change is confirmed in the end");
        assert_eq!(device.state().refused, 0, "no change was refused");
    }
    // Kills landed inside write transactions: PostgreSQL saw clients vanish mid-transaction.
    let log = sample.postgres().expect("a cluster").log();
    let inside = log.matches("open transaction").count();
    eprintln!("kills that landed inside a transaction: {inside}");
    assert!(inside > 0, "no kill landed inside a transaction:\n{log}");

    for (agency, username, password) in [
        ("pakchong", "kannika", sample.password("kannika").to_string()),
        ("nongbua", "nb.staff", nongbua_password.clone()),
    ] {
        let reader = device_at(&lb.url(), &sample.device_dir(&format!("reader-{agency}")), username, &password).await;
        eventually(&format!("a fresh device of {agency} reads every change"), LONG, || async {
            reader.agency_year(YEAR).await.is_ok_and(|y| {
                writers.iter().zip(&written).filter(|((a, ..), _)| *a == agency).all(|((_, division, tag, ..), n)| {
                    let text = y.result("m4", division).map(|r| r.text.as_str().to_string()).unwrap_or_default();
                    (0..*n).all(|k| text.contains(&format!("[{tag}{k}]")))
                })
            })
        })
        .await;
        reader.shutdown().await;
    }

    failovers.sort();
    let at = |q: f64| failovers[((failovers.len() - 1) as f64 * q).round() as usize].as_millis();
    eprintln!(
        "served again after a kill (ms), {} agencies: p50 {}, p95 {}, max {}",
        failovers.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    );
    if let Ok(path) = std::env::var("PRONGSAI_FAILOVER_REPORT") {
        let ms: Vec<u128> = failovers.iter().map(Duration::as_millis).collect();
        std::fs::write(path, serde_json::to_string(&ms).expect("json")).expect("the report is written");
    }
    for (_, _, _, device, _) in writers {
        device.shutdown().await;
    }
}

/// Password guesses spread over the nodes count together: an account allows five failed
/// guesses in the window whichever nodes they reach, guesses sent to both nodes at once cannot
/// pass the limit between them, and once it is reached the right password is refused on every
/// node. A right password before that forgets the account's failures on every node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_limit_holds_across_nodes() {
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let nodes = [
        Server::start_with_env(&data, &["--node-name", "node-1"], &[]).await,
        Server::start_with_env(&data, &["--node-name", "node-2"], &[]).await,
    ];
    prongsai_client::api::install_crypto();
    let http = reqwest::Client::new();
    let login = |node: usize, username: &str, password: &str| {
        let url = nodes[node].url().join("api/login").expect("url");
        let body = serde_json::json!({ "username": username, "password": password, "device": "test" });
        let http = http.clone();
        async move { http.post(url).json(&body).send().await.expect("answers").status().as_u16() }
    };
    let checks = || async {
        let mut total = 0;
        for node in &nodes {
            total += node.metric("prongsai_password_checks_total").await;
        }
        total
    };

    // Four failures on alternating nodes, then the right password: the account's slate is clean
    // again on both nodes.
    for i in 0..4 {
        assert_eq!(login(i % 2, "wipa", "ผิด").await, 401);
    }
    assert_eq!(login(1, "wipa", sample.password("wipa")).await, 200);
    for i in 0..4 {
        assert_eq!(login(i % 2, "wipa", "ผิดอีก").await, 401, "the earlier failures were forgotten");
    }

    // Twenty guesses at once, half to each node: at most five are checked.
    let before = checks().await;
    let guesses = (0..20).map(|i| login(i % 2, "somchai", "เดา"));
    let answers = futures::future::join_all(guesses).await;
    assert!(answers.iter().all(|s| *s == 401 || *s == 429), "{answers:?}");
    let checked = checks().await - before;
    assert!(checked <= 5, "{checked} guesses were checked across the nodes; the account allows 5");
    assert!(answers.iter().filter(|s| **s == 429).count() >= 15, "{answers:?}");
    // The right password is refused on either node while the account is limited.
    for node in 0..2 {
        assert_eq!(login(node, "somchai", sample.password("somchai")).await, 429, "node {}", node + 1);
    }
}

/// With the access epoch read only once in ten minutes, a change made elsewhere still reaches the
/// node serving the user at once: PostgreSQL announces it to every node (LISTEN/NOTIFY). A
/// session signed out through node 2 (its own route, answered there) loses its connection on
/// node 1; a user revoked by the operator's command line loses theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_to_sessions_are_announced_to_every_node() {
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let slow = |name: &'static str| ["--node-name", name, "--access-poll-ms", "600000"];
    let one = Server::start_with_env(&data, &slow("node-1"), &[]).await;
    let palad = device(&one, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    let klang = device(&one, &sample.device_dir("klang"), "wipa", sample.password("wipa")).await;
    for d in [&palad, &klang] {
        d.agency_year(YEAR).await.expect("the year loads through node 1");
    }
    let two = Server::start_with_env(&data, &slow("node-2"), &[]).await;
    assert_eq!(one.metric("prongsai_connections_open").await, 2);

    let signed_out = reqwest::Client::new()
        .post(two.url().join("api/logout").expect("url"))
        .bearer_auth(&palad.session().token)
        .send()
        .await
        .expect("node 2 answers");
    assert_eq!(signed_out.status(), 204, "node 2 signs the session out");
    eventually("node 1 cuts the signed-out session's connection", Duration::from_secs(30), || async {
        palad.state().connection == prongsai_client::Connection::SignedOut
    })
    .await;

    let dir = data.to_str().expect("utf-8");
    prongsai_tests::cli(&["user", "revoke", "--data", dir, "--username", "wipa"], None).await;
    eventually("node 1 cuts the revoked user's connection", Duration::from_secs(30), || async {
        klang.state().connection == prongsai_client::Connection::SignedOut
    })
    .await;
    assert_eq!(one.metric("prongsai_connections_open").await, 0);
    for d in [palad, klang] {
        d.shutdown().await;
    }
}

/// Criteria an operator imports while the cluster runs (`ita import`) reach a device syncing
/// the agency within seconds, written by the node serving it. No node takes an agency to write
/// criteria into it: node 2, up first and idle, serves nothing, before the import or after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_criteria_reach_devices_through_the_node_serving_the_agency_and_move_no_agency() {
    use prongsai_core::model::{DocKey, DocKind};
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let two = Server::start_with_env(&data, &["--node-name", "node-2"], &[]).await;
    let one = Server::start_with_env(&data, &["--node-name", "node-1"], &[]).await;
    let palad = device(&one, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("the year loads through node 1");
    assert_eq!(one.metric("prongsai_agency_repos_running").await, 1, "node 1 serves the agency");
    assert_eq!(two.metric("prongsai_agency_repos_running").await, 0, "node 2 took nothing at its start");

    let directory = DocKey { kind: DocKind::Directory, division: None };
    let before = root_string(&palad, &directory, "criteria_version").await.expect("a criteria version");
    let mut criteria: serde_json::Value =
        serde_json::from_str(include_str!("../../core/data/ita/2565-local.json")).expect("the build's criteria");
    let marker = "โครงสร้างองค์กร (ฉบับแก้ไขโดยผู้ดูแลระบบ)";
    criteria["items"][0]["title"] = serde_json::Value::from(marker);
    let file = sample.dir.path().join("ita-2565-corrected.json");
    std::fs::write(&file, criteria.to_string()).expect("written");
    let dir = data.to_str().expect("utf-8");
    prongsai_tests::cli(&["ita", "import", "--data", dir, file.to_str().expect("utf-8")], None).await;

    eventually("the device has the corrected criteria", LONG, || async {
        root_string(&palad, &directory, "criteria").await.is_some_and(|c| c.contains(marker))
    })
    .await;
    let after = root_string(&palad, &directory, "criteria_version").await.expect("a criteria version");
    assert_ne!(before, after, "the directory says which criteria it carries");
    assert_eq!(two.metric("prongsai_agency_repos_running").await, 0, "node 2 still serves nothing");
    palad.shutdown().await;
}

/// One person's read marks sent through two nodes at once all stay: each node changes the list
/// in one step of the shared database (a lock in each process let them lose each other's marks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_marks_sent_through_two_nodes_at_once_all_stay() {
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let one = Server::start_with_env(&data, &["--node-name", "node-1"], &[]).await;
    let two = Server::start_with_env(&data, &["--node-name", "node-2"], &[]).await;
    let through_one = prongsai_tests::signed_in_api(&one, &sample, "kannika").await;
    let through_two = prongsai_tests::signed_in_api(&two, &sample, "kannika").await;
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let (first, second) = ([format!("one/{round}")], [format!("two/{round}")]);
        let (a, b) =
            futures::join!(through_one.mark_notifications_read(&first), through_two.mark_notifications_read(&second),);
        a.expect("node 1 marks");
        b.expect("node 2 marks");
    }
    let read = through_two.notifications_read().await.expect("the marks").read;
    for round in 0..ROUNDS {
        for node in ["one", "two"] {
            assert!(read.contains(&format!("{node}/{round}")), "{node}/{round} was lost: {read:?}");
        }
    }
}

/// The dashboard's live feed opened through node 2 is carried to node 1, which serves the
/// agency: it says "changed" when a device edits through node 1, and closes when the viewer's
/// sessions are revoked through node 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_live_feed_works_through_a_node_not_serving_the_agency() {
    use futures::StreamExt;
    use prongsai_core::wire::{LIVE_PROTOCOL, TOKEN_PROTOCOL_PREFIX};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let one = Server::start_with_env(&data, &["--node-name", "node-1"], &[]).await;
    let palad = device(&one, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("the year loads through node 1");
    let two = Server::start_with_env(&data, &["--node-name", "node-2"], &[]).await;

    prongsai_client::api::install_crypto();
    let token = prongsai_tests::web_token(&reqwest::Client::new(), &two, "viewer", sample.password("viewer")).await;
    let url = format!("ws://{}/api/agencies/pakchong/years/{YEAR}/live", two.addr);
    let mut request = url.into_client_request().expect("request");
    let protocols = format!("{LIVE_PROTOCOL}, {TOKEN_PROTOCOL_PREFIX}{token}");
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().expect("header"));
    let (mut live, answer) = tokio_tungstenite::connect_async(request).await.expect("node 2 upgrades");
    assert_eq!(answer.headers()["sec-websocket-protocol"], LIVE_PROTOCOL);
    let mut next_text = async || loop {
        match tokio::time::timeout(LONG, live.next()).await.expect("a message in time") {
            Some(Ok(Message::Text(text))) => return Some(text.to_string()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => continue,
        }
    };
    assert_eq!(next_text().await.as_deref(), Some("ready"));
    assert_eq!(two.metric("prongsai_agency_repos_running").await, 0, "node 2 serves nothing");
    assert!(two.metric("prongsai_carried_out_total").await >= 1, "node 2 carried the feed");

    append_result(&palad, "palad", "m4", " [สด]").await.expect("an edit through node 1");
    assert_eq!(next_text().await.as_deref(), Some("changed"), "the feed says the year changed");

    let admin = prongsai_tests::signed_in_api(&two, &sample, "admin").await;
    assert!(admin.revoke_sessions("pakchong", "viewer").await.expect("revokes") >= 1);
    assert_eq!(next_text().await, None, "the revocation closes the feed");
    palad.shutdown().await;
}

/// Nodes that speak HTTPS themselves (each advertises its https:// address) carry requests to
/// each other over HTTPS, trusting the authority given with `--cluster-ca`. A node without it
/// cannot reach the node serving the agency, and says so with 503 (try again), changing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_that_serve_https_carry_to_each_other_trusting_the_cluster_authority() {
    let sample = Sample::create_on_postgres().await;
    let data = sample.data();
    let certificate = prongsai_tests::TestCertificate::create(&sample.dir.path().join("tls"));
    let ca = certificate.ca.to_str().expect("utf-8").to_string();
    let node = |name: &'static str, trusting: bool| {
        let mut args: Vec<String> = certificate.serve_args().to_vec();
        args.extend(["--node-name".to_string(), name.to_string()]);
        if trusting {
            args.extend(["--cluster-ca".to_string(), ca.clone()]);
        }
        args
    };
    let args = node("node-1", true);
    let one = Server::start_with_env(&data, &args.iter().map(String::as_str).collect::<Vec<_>>(), &[]).await;
    assert_eq!(one.url().scheme(), "https");
    let https = certificate.client();
    let login: serde_json::Value = https
        .post(one.url().join("api/login").expect("url"))
        .json(&serde_json::json!({ "username": "kannika", "password": sample.password("kannika"), "device": "test" }))
        .send()
        .await
        .expect("node 1 answers")
        .json()
        .await
        .expect("a login answer");
    let token = login["token"].as_str().expect("a token").to_string();
    let years = |server: &Server| {
        let (https, token) = (https.clone(), token.clone());
        let url = server.url().join("api/agencies/pakchong/years").expect("url");
        async move { https.get(url).bearer_auth(&token).send().await.expect("an answer").status().as_u16() }
    };
    assert_eq!(years(&one).await, 200, "node 1 serves the agency");

    let args = node("node-2", false);
    let stranger = Server::start_with_env(&data, &args.iter().map(String::as_str).collect::<Vec<_>>(), &[]).await;
    assert_eq!(years(&stranger).await, 503, "a node that cannot trust node 1's certificate carries nothing");
    drop(stranger);
    let args = node("node-3", true);
    let three = Server::start_with_env(&data, &args.iter().map(String::as_str).collect::<Vec<_>>(), &[]).await;
    assert_eq!(years(&three).await, 200, "node 3 carries the request to node 1 over HTTPS");
    // A field device syncing over wss:// through node 3: its socket is carried to node 1.
    let dir = sample.device_dir("tls-writer");
    let mut writer = prongsai_tests::field_writer(&dir, &three, &sample, "carried")
        .env("SSL_CERT_FILE", &certificate.ca)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the field writer starts");
    let measure = one.url().join(&format!("api/agencies/pakchong/years/{YEAR}/measures/m4")).expect("url");
    eventually("the device's edits reach node 1 through node 3", LONG, || async {
        let Ok(answer) = https.get(measure.clone()).bearer_auth(&token).send().await else { return false };
        answer.text().await.is_ok_and(|body| body.contains("[carried.0]"))
    })
    .await;
    let _ = writer.start_kill();
    let _ = writer.wait().await;
    let log = std::fs::read_to_string(data.with_extension("server.log")).expect("the nodes' log");
    assert!(log.contains("could not carry a request"), "node 2 said why it could not carry");
    drop(three);
}
