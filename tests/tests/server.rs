//! The sync server against real clients: convergence, access control, durability under SIGKILL,
//! revocation, and bad frames. Each test starts its own server on a free port with its own SQLite.

use std::time::Duration;

use prongsai_client::{Connection, Device};
use prongsai_core::docs::results;
use prongsai_core::model::{DocKey, Status};
use prongsai_tests::{Sample, Server, YEAR, append_result, device, eventually, signed_in_api};

const LONG: Duration = Duration::from_secs(60);

/// somchai's device with the agency-year loaded, and the id of the palad division's results,
/// which he writes.
async fn palad_writer(server: &Server, sample: &Sample) -> (Device, String) {
    let d = device(server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    d.agency_year(YEAR).await.expect("load");
    let entry = d
        .documents(YEAR)
        .await
        .expect("documents")
        .into_iter()
        .find(|e| e.division.as_deref() == Some("palad"))
        .expect("results/palad");
    let doc_id = entry.document_id().to_string();
    (d, doc_id)
}

async fn result_text(device: &Device, measure: &str, division: &str) -> Option<String> {
    let year = device.agency_year(YEAR).await.ok()?;
    year.result(measure, division).map(|r| r.text.as_str().to_string())
}

/// A device back in range connects at its first attempt, every time, so what it did offline starts
/// syncing at once (samod used to fail the first dial of a new connection about half the time, and
/// the device waited out a retry's backoff: `vendor/samod/PATCHED.md`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_back_online_connects_at_its_first_attempt() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let palad = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("documents load");
    for round in 0..50 {
        assert!(palad.wait_confirmed(LONG).await, "round {round}: the device connects and syncs");
        palad.disconnect();
        for i in 0..20 {
            append_result(&palad, "palad", "m4", &format!("[{round}.{i}]")).await.expect("an offline edit");
        }
        palad.connect().expect("reconnect");
    }
    assert!(palad.wait_confirmed(LONG).await);
    assert_eq!(palad.dial_retries(), 0, "a connection needed a second attempt");
    palad.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_of_two_divisions_converge_and_reach_a_fresh_device() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let palad = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    let klang = device(&server, &sample.device_dir("klang"), "wipa", sample.password("wipa")).await;
    // Both load the agency-year while online, then lose the network.
    for d in [&palad, &klang] {
        let year = d.agency_year(YEAR).await.expect("documents load");
        assert_eq!(year.measures().len(), 8);
        d.disconnect();
        assert_eq!(d.state().connection, Connection::Offline);
    }

    palad
        .edit(
            YEAR,
            &DocKey::results("palad"),
            "บันทึกผลการดำเนินงาน",
            |tx, meta| {
                results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "จัดโต๊ะประชาสัมพันธ์แล้ว", meta)?;
                results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", &Status::Done, meta)
            },
        )
        .await
        .expect("palad edits offline");
    klang
        .edit(
            YEAR,
            &DocKey::results("klang"),
            "บันทึกผลการดำเนินงาน",
            |tx, meta| {
                results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "ติดป้ายขั้นตอนการจ่ายเงินแล้ว", meta)
            },
        )
        .await
        .expect("klang edits offline");
    assert!(palad.state().unconfirmed > 0, "an offline edit is pending");
    assert!(klang.state().unconfirmed > 0);

    palad.connect().expect("reconnect");
    klang.connect().expect("reconnect");
    assert!(palad.wait_confirmed(LONG).await, "palad's edit is confirmed durable");
    assert!(klang.wait_confirmed(LONG).await, "klang's edit is confirmed durable");
    eventually("palad sees klang's result", LONG, || async {
        result_text(&palad, "m1", "klang").await.as_deref() == Some("ติดป้ายขั้นตอนการจ่ายเงินแล้ว")
    })
    .await;
    eventually("klang sees palad's result", LONG, || async {
        result_text(&klang, "m1", "palad").await.as_deref() == Some("จัดโต๊ะประชาสัมพันธ์แล้ว")
    })
    .await;

    // A device that never saw any of it receives everything.
    let fresh = device(&server, &sample.device_dir("viewer"), "viewer", sample.password("viewer")).await;
    let year = fresh.agency_year(YEAR).await.expect("the fresh device loads the agency-year");
    assert_eq!(year.result("m1", "palad").map(|r| r.status.clone()), Some(Status::Done));
    assert_eq!(
        year.result("m1", "klang").map(|r| r.text.as_str().to_string()).as_deref(),
        Some("ติดป้ายขั้นตอนการจ่ายเงินแล้ว")
    );
    assert_eq!(year.measures().len(), 8);
}

mod access {
    use super::*;
    use prongsai_core::automerge::transaction::Transactable;
    use prongsai_core::automerge::{ChangeHash, ROOT, ReadDoc};
    use prongsai_core::model::DocKind;

    /// Who may write what, by the product's rules; the test checks the server enforces exactly this.
    fn expected_writable(user: &str, key: &DocKey) -> bool {
        matches!(
            (user, key.kind, key.division.as_deref()),
            ("somchai", DocKind::Results, Some("palad"))
                | ("wipa" | "malee", DocKind::Results, Some("klang"))
                | ("kannika", DocKind::Plan | DocKind::Review | DocKind::Memo, _)
        )
    }

    /// The change hashes of the chunks the server has committed for a document.
    async fn stored_hashes(sample: &Sample, doc_id: &str) -> Vec<ChangeHash> {
        let chunks = sample.stored_chunks(doc_id).await;
        chunks.iter().filter_map(|(k, d)| prongsai_core::durability::chunk_changes(k, d)).flat_map(|(_, h)| h).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn role_by_document_write_matrix_is_enforced_by_the_server() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let users = ["somchai", "wipa", "malee", "kannika", "winai", "viewer", "admin"];
        let mut attempts = Vec::new(); // (user, key, doc_id, change hash, allowed)
        let mut devices = Vec::new();
        for user in users {
            let d = device(&server, &sample.device_dir(user), user, sample.password(user)).await;
            if let Err(e) = d.agency_year(YEAR).await {
                panic!("{user} cannot read the agency-year: {e}");
            }
            for entry in d.documents(YEAR).await.expect("documents") {
                let key = DocKey { kind: entry.kind, division: entry.division.clone() };
                if key.kind == DocKind::Results && !matches!(key.division.as_deref(), Some("palad" | "klang")) {
                    continue;
                }
                let allowed = expected_writable(user, &key);
                assert_eq!(entry.writable, allowed, "documents API says {user} may write {key}: {}", entry.writable);
                // Write as an older or hostile client would: straight into the document, without the
                // device's own read-only check.
                let handle = d.handle(entry.document_id()).await.expect("handle");
                let probe = format!("probe-{user}");
                // With the actor the user's login was issued, as every client must write.
                let actor = prongsai_core::docs::actor_for_run(
                    &d.session().actor_id.parse().expect("an actor"),
                    &prongsai_core::automerge::ActorId::random(),
                );
                let hash = handle
                    .with_document_async(move |doc| {
                        doc.set_actor(actor);
                        let mut tx = doc.transaction();
                        tx.put(ROOT, probe.as_str(), "เขียนทดสอบ").expect("put");
                        tx.commit();
                        doc.get_heads()[0]
                    })
                    .await
                    .expect("local write");
                attempts.push((user, key, entry.document_id().to_string(), hash, allowed));
            }
            devices.push(d);
        }
        assert_eq!(attempts.len(), users.len() * 7);
        let observer = devices.last().expect("devices").clone();
        for (user, key, doc_id, hash, allowed) in &attempts {
            if *allowed {
                assert!(
                    observer.api().durable(doc_id, &[*hash], LONG).await.expect("durable check"),
                    "{user}'s allowed write to {key} is confirmed durable"
                );
            }
        }

        // A well-behaved client never sends changes the server marks read-only. A hostile one
        // does: push each forbidden change by hand, and check the server logs and drops it.
        let mut pushed = 0;
        for (index, user) in users.iter().enumerate() {
            let login = prongsai_client::ServerApi::new(server.url())
                .login(user, sample.password(user), "hostile")
                .await
                .expect("login");
            let mut raw = prongsai_tests::RawPeer::connect(&server, &login.token, &login.peer_id).await;
            for (_, key, doc_id, hash, _) in attempts.iter().filter(|a| a.0 == *user && !a.4) {
                let handle = devices[index].handle(doc_id).await.expect("handle");
                let hash = *hash;
                let bytes = handle
                    .with_document_async(move |d| {
                        d.get_change_by_hash(&hash).expect("the probe change").raw_bytes().to_vec()
                    })
                    .await
                    .expect("change bytes");
                raw.push_changes(doc_id, vec![hash], vec![bytes]).await;
                pushed += 1;
                let want = pushed;
                eventually(&format!("the server logs {user}'s refused write to {key}"), LONG, || async {
                    server.metric("prongsai_refused_writes_total").await >= want
                })
                .await;
            }
        }
        assert_eq!(pushed, attempts.iter().filter(|a| !a.4).count() as u64);

        // A fresh device sees exactly the allowed writes; storage holds no forbidden change.
        let fresh = device(&server, &sample.device_dir("fresh"), "parichat", sample.password("parichat")).await;
        fresh.agency_year(YEAR).await.expect("load");
        for (user, key, doc_id, hash, allowed) in &attempts {
            let doc = fresh.handle(doc_id).await.expect("handle");
            let probe = format!("probe-{user}");
            let present = doc
                .with_document_async(move |d| d.get(ROOT, probe.as_str()).ok().flatten().is_some())
                .await
                .expect("read");
            assert_eq!(present, *allowed, "{user}'s write to {key} visible to another peer: {present}");
            let stored = stored_hashes(&sample, doc_id).await.contains(hash);
            assert_eq!(stored, *allowed, "{user}'s write to {key} in the server's storage: {stored}");
            let durable = fresh.api().durable(doc_id, &[*hash], Duration::ZERO).await.expect("durable check");
            assert_eq!(durable, *allowed, "{user}'s write to {key} confirmed: {durable}");
        }
        // The device itself refuses an edit it may not make, before anything is pending.
        let viewer = &devices[5];
        let refused = viewer
            .edit(YEAR, &DocKey::of(DocKind::Plan), "แก้แผน", |tx, _| {
                prongsai_core::docs::plan::set_title(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "x")
            })
            .await;
        assert!(matches!(refused, Err(prongsai_client::DeviceError::ReadOnly { .. })), "{refused:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_agency_reads_nothing() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let data = sample.data();
        let data = data.to_str().expect("utf-8");
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/fixtures/pakchong-2565.json");
        prongsai_tests::cli(
            &["agency", "create", "--data", data, "--id", "nongbua", "--name", "อบต.หนองบัว", "--fixture", fixture],
            None,
        )
        .await;
        let out = prongsai_tests::cli(
            &[
                "user",
                "add",
                "--data",
                data,
                "--agency",
                "nongbua",
                "--username",
                "outsider",
                "--display-name",
                "คนนอก",
                "--role",
                "coordinator",
                "--password-stdin",
            ],
            Some("รหัสผ่านของคนนอก"),
        )
        .await;
        assert!(!out.contains("password"), "a password given on stdin is not printed back");

        let insider = device(&server, &sample.device_dir("insider"), "kannika", sample.password("kannika")).await;
        let ours = insider.documents(YEAR).await.expect("documents");
        let plan = ours.iter().find(|e| e.kind == DocKind::Plan).expect("plan").clone();

        let outsider = device(&server, &sample.device_dir("outsider"), "outsider", "รหัสผ่านของคนนอก").await;
        // Its own agency works; ours is answered as if it did not exist.
        assert_eq!(outsider.api().documents("nongbua", YEAR).await.expect("own documents").len(), 11);
        assert!(matches!(outsider.api().documents("pakchong", YEAR).await, Err(prongsai_client::ApiError::NotFound)));
        assert!(matches!(
            outsider.api().status("pakchong", YEAR, None).await,
            Err(prongsai_client::ApiError::NotFound)
        ));
        assert!(matches!(
            outsider.api().durable(plan.document_id(), &[], Duration::ZERO).await,
            Err(prongsai_client::ApiError::NotFound)
        ));
        // Asking the sync server for our plan by its id yields nothing.
        let found = tokio::time::timeout(LONG, outsider.handle(plan.document_id())).await.expect("find answers");
        assert!(
            matches!(found, Err(prongsai_client::DeviceError::Unavailable)),
            "another agency's plan is unavailable"
        );
    }
}

mod durability {
    use super::*;

    async fn append(device: &Device, token: &str) {
        prongsai_tests::append_result(device, "palad", "m4", token).await.expect("the edit is saved on the device");
    }

    /// A long day offline: a thousand edits, each its own change, are all confirmed once the
    /// device is back (asking about every change hash at once used to overflow the request).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_thousand_offline_edits_are_confirmed_after_reconnecting() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let d = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
        d.agency_year(YEAR).await.expect("load");
        assert!(d.wait_confirmed(LONG).await, "the first sync settles");
        d.disconnect();
        for i in 0..1000 {
            append(&d, &format!("[{i}]")).await;
        }
        assert_eq!(d.state().unconfirmed, 1000, "every offline edit waits for the server");
        d.connect().expect("reconnect");
        assert!(d.wait_confirmed(LONG).await, "all thousand edits are confirmed: {:?}", d.state());
        let fresh = device(&server, &sample.device_dir("fresh"), "viewer", sample.password("viewer")).await;
        let expected: String = (0..1000).map(|i| format!("[{i}]")).collect();
        eventually("a fresh device has all thousand edits", LONG, || async {
            result_text(&fresh, "m4", "palad").await.as_deref() == Some(expected.as_str())
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_after_confirmation_loses_nothing() {
        let sample = Sample::create().await;
        let mut server = Server::start(&sample.data(), 0, &[]).await;
        let (d, doc_id) = palad_writer(&server, &sample).await;
        let mut confirmed_tokens: Vec<String> = Vec::new();
        let mut confirmed_heads;
        let mut losses = 0;
        let rounds = 12;
        for round in 0..rounds {
            // A stream of edits; the server is killed at a different point each round: right after a
            // confirmation, or while later edits are still unconfirmed.
            let edits = 1 + round % 4;
            let mut round_tokens = Vec::new();
            for i in 0..edits {
                let token = format!("[{round}.{i}]");
                append(&d, &token).await;
                round_tokens.push(token);
            }
            assert!(d.wait_confirmed(LONG).await, "round {round}: the edits are confirmed");
            confirmed_tokens.extend(round_tokens);
            let heads = d
                .handle(&doc_id)
                .await
                .expect("handle")
                .with_document_async(|doc| doc.get_heads())
                .await
                .expect("heads");
            confirmed_heads = heads;
            let unconfirmed_tail = round % 3 == 1;
            if unconfirmed_tail {
                append(&d, &format!("[{round}.tail]")).await; // may or may not reach the server before the kill
            }
            // Nothing may reach the server between the kill and the check but what it had stored.
            d.disconnect();
            server.kill().await;
            server.restart().await;
            let checker = prongsai_client::ServerApi::new(server.url()).with_token(&d.session().token);
            if !checker.durable(&doc_id, &confirmed_heads, Duration::ZERO).await.expect("durable check after restart") {
                losses += 1;
            }
            d.connect().expect("reconnect");
            if unconfirmed_tail {
                assert!(d.wait_confirmed(LONG).await, "round {round}: the tail edit is confirmed after the restart");
                confirmed_tokens.push(format!("[{round}.tail]"));
            }
        }
        assert_eq!(losses, 0, "confirmed changes lost across {rounds} SIGKILLs");
        // A fresh device sees every confirmed edit, in order.
        let fresh = device(&server, &sample.device_dir("fresh"), "viewer", sample.password("viewer")).await;
        let text = fresh
            .agency_year(YEAR)
            .await
            .expect("load")
            .result("m4", "palad")
            .map(|r| r.text.as_str().to_string())
            .unwrap_or_default();
        assert_eq!(text, confirmed_tokens.concat());
    }
}

mod connections {
    use super::*;
    use prongsai_tests::{RawPeer, cli};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn revoking_a_user_cuts_their_open_connection() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let wipa = device(&server, &sample.device_dir("wipa"), "wipa", sample.password("wipa")).await;
        let other = device(&server, &sample.device_dir("malee"), "malee", sample.password("malee")).await;
        wipa.agency_year(YEAR).await.expect("load");
        other.agency_year(YEAR).await.expect("load");
        eventually("both are connected", LONG, || async { wipa.is_connected() && other.is_connected() }).await;
        let data = sample.data();
        cli(&["user", "revoke", "--data", data.to_str().expect("utf-8"), "--username", "wipa"], None).await;
        eventually("wipa's device is told to sign in again", LONG, || async {
            wipa.state().connection == Connection::SignedOut
        })
        .await;
        assert!(!wipa.is_connected());
        assert!(matches!(wipa.api().me().await, Err(prongsai_client::ApiError::Unauthorized)));
        // Someone else's connection is untouched.
        assert!(other.is_connected());
        other
            .edit(YEAR, &DocKey::results("klang"), "บันทึก", |tx, meta| {
                results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", "ยังทำงานได้", meta)
            })
            .await
            .expect("edit");
        assert!(other.wait_confirmed(LONG).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_open_connection_ends_when_its_session_expires() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--session-ttl-secs", "3"]).await;
        let api = prongsai_client::ServerApi::new(server.url());
        let login = api.login("wipa", sample.password("wipa"), "test").await.expect("login");
        // A bare protocol peer: nothing on the client side polls or reconnects, so only the
        // server can end this connection. No one revokes anything; the session runs out.
        let mut raw = RawPeer::connect(&server, &login.token, &login.peer_id).await;
        assert!(raw.closed_by_server(LONG).await, "the server closes the expired session's connection");
        let api = api.with_token(&login.token);
        assert!(matches!(api.me().await, Err(prongsai_client::ApiError::Unauthorized)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_frames_close_only_their_own_connection() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--max-message-bytes", "1048576"]).await;
        let healthy = device(&server, &sample.device_dir("healthy"), "somchai", sample.password("somchai")).await;
        healthy.agency_year(YEAR).await.expect("load");
        let api = prongsai_client::ServerApi::new(server.url());
        let login = api.login("wipa", sample.password("wipa"), "hostile").await.expect("login");

        let garbage: Vec<(&str, Vec<u8>)> = vec![
            ("random bytes", vec![0xff, 0x00, 0x13, 0x37, 0xde, 0xad]),
            ("a CBOR map without a type", vec![0xa1, 0x61, 0x61, 0x01]),
            (
                "a sync message whose data is not a sync message",
                prongsai_tests::cbor_message(&[
                    ("type", prongsai_tests::CborValue::Str("sync")),
                    ("documentId", prongsai_tests::CborValue::Str("abc")),
                    ("senderId", prongsai_tests::CborValue::Str(&login.peer_id)),
                    ("targetId", prongsai_tests::CborValue::Str("server")),
                    ("data", prongsai_tests::CborValue::Bytes(b"garbage")),
                ]),
            ),
            ("a frame over the size limit", vec![0u8; 2 * 1024 * 1024]),
        ];
        let rejected_before = server.metric("prongsai_frames_rejected_total").await;
        for (round, (what, bytes)) in garbage.into_iter().enumerate() {
            let mut raw = RawPeer::connect(&server, &login.token, &login.peer_id).await;
            raw.send_binary(bytes).await;
            assert!(raw.closed_by_server(LONG).await, "{what} closes the connection");
            // Meanwhile the healthy device keeps syncing.
            let text = format!("บันทึกครั้งที่ {round}");
            healthy
                .edit(YEAR, &DocKey::results("palad"), "บันทึก", move |tx, meta| {
                    results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", &text, meta)
                })
                .await
                .expect("edit");
            assert!(healthy.wait_confirmed(LONG).await, "the healthy device is confirmed after {what}");
            assert!(healthy.is_connected());
        }
        let mut raw = RawPeer::connect(&server, &login.token, &login.peer_id).await;
        raw.send_text("hello").await;
        assert!(raw.closed_by_server(LONG).await, "a text frame closes the connection");
        assert!(server.metric("prongsai_frames_rejected_total").await >= rejected_before + 4);
        // Upgrades without a valid token are refused before the upgrade.
        for token in ["", "not-a-token"] {
            let status = reqwest::Client::new()
                .get(format!("http://{}/sync?token={token}", server.addr))
                .header("connection", "upgrade")
                .header("upgrade", "websocket")
                .header("sec-websocket-version", "13")
                .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
                .send()
                .await
                .expect("answers")
                .status();
            assert_eq!(status.as_u16(), 401, "token {token:?}");
        }
        assert_eq!(
            reqwest::get(format!("http://{}/healthz", server.addr)).await.expect("healthz").status().as_u16(),
            200
        );
    }

    /// The server holds newer changes back from a peer until it answers the last ones (flow
    /// control: one message in flight per peer, so a slow peer gets fewer, larger messages).
    /// A peer that never answers (it had those changes already, or it is stalled) still gets
    /// every change: the server stops waiting on its own timer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_peer_that_never_answers_still_receives_every_change() {
        use prongsai_core::automerge::sync::{self, SyncDoc};
        use prongsai_core::automerge::{Automerge, ChangeHash};
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let (writer, doc_id) = palad_writer(&server, &sample).await;
        let handle = writer.handle(&doc_id).await.expect("handle");
        let writer_heads = || async { handle.with_document_async(|d| d.get_heads()).await.expect("heads") };

        // A bare protocol peer joins the document like any client, answering until it has it.
        let login = prongsai_client::ServerApi::new(server.url())
            .login("viewer", sample.password("viewer"), "silent")
            .await
            .expect("login");
        let mut raw = RawPeer::connect(&server, &login.token, &login.peer_id).await;
        let (mut doc, mut state) = (Automerge::new(), sync::State::new());
        let receive = |doc: &mut Automerge, state: &mut sync::State, data: &[u8]| {
            let message = sync::Message::decode(data).expect("a sync message");
            doc.receive_sync_message(state, message).expect("applies");
        };
        let target = writer_heads().await;
        while doc.get_heads() != target {
            if let Some(message) = doc.generate_sync_message(&mut state) {
                let kind = if doc.get_heads().is_empty() { "request" } else { "sync" };
                assert!(raw.send_sync(kind, &doc_id, &message.encode()).await);
            }
            let (id, data) =
                tokio::time::timeout(LONG, raw.next_sync()).await.expect("the server answers").expect("open");
            if id == doc_id {
                receive(&mut doc, &mut state, &data);
            }
        }

        // From now on it never sends a byte. The server's last message to it carried changes, so
        // the server waits for an answer that never comes: the three edits are held back, and
        // reach it only on the server's timer.
        for text in ["หนึ่ง", "สอง", "สาม"] {
            writer
                .edit(YEAR, &DocKey::results("palad"), "บันทึก", move |tx, meta| {
                    results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", text, meta)
                })
                .await
                .expect("edit");
        }
        let last: Vec<ChangeHash> = writer_heads().await;
        let mut messages = 0;
        while doc.get_heads() != last {
            let (id, data) = tokio::time::timeout(LONG, raw.next_sync())
                .await
                .unwrap_or_else(|_| panic!("the last edits never reached the silent peer ({messages} messages came)"))
                .expect("open");
            if id == doc_id {
                receive(&mut doc, &mut state, &data);
                messages += 1;
            }
        }
        assert!(writer.wait_confirmed(LONG).await, "and the writer's edits are confirmed durable as usual");
    }
}

mod approvals {
    use super::*;
    use prongsai_client::ApiError;

    async fn up_to_date(api: &prongsai_client::ServerApi) -> Vec<bool> {
        let status = api.status("pakchong", YEAR, Some("2022-03-21")).await.expect("status");
        status["approvals"]
            .as_array()
            .expect("approvals")
            .iter()
            .map(|a| a["up_to_date"].as_bool().unwrap_or(false))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn approvers_sign_in_order_only_their_own_step_and_again_after_an_edit() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let api_of = |user: &'static str| signed_in_api(&server, &sample, user);
        let (head, palad, mayor, viewer) =
            (api_of("parichat").await, api_of("amnang").await, api_of("winai").await, api_of("viewer").await);
        let refused = |r: Result<prongsai_core::wire::SignResponse, ApiError>| match r {
            Err(ApiError::Refused { status, .. }) => status,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(
            refused(palad.sign("pakchong", YEAR, "palad", "approved", "เห็นชอบ", None).await),
            409,
            "out of order"
        );
        assert_eq!(
            refused(mayor.sign("pakchong", YEAR, "head", "approved", "เห็นชอบ", None).await),
            403,
            "someone else's step"
        );
        assert_eq!(refused(viewer.sign("pakchong", YEAR, "mayor", "approved", "", None).await), 403, "a viewer");
        assert_eq!(
            refused(head.sign("pakchong", YEAR, "head", "returned", "  ", None).await),
            400,
            "returned without a reason"
        );
        assert_eq!(up_to_date(&head).await, [false, false, false]);

        head.sign("pakchong", YEAR, "head", "approved", "พิจารณาแล้ว เห็นควร", Some("2022-03-22"))
            .await
            .expect("head signs");
        palad.sign("pakchong", YEAR, "palad", "approved", "เห็นชอบแล้ว", Some("2022-03-23")).await.expect("palad signs");
        assert_eq!(up_to_date(&head).await, [true, true, false]);

        // The coordinator changes the memo: the signatures no longer cover it.
        let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
        coordinator
            .edit(YEAR, &DocKey::of(prongsai_core::model::DocKind::Memo), "แก้ข้อเสนอ", |tx, _| {
                prongsai_core::docs::memo::set_proposal(
                    tx,
                    &prongsai_core::automerge::ROOT,
                    "p2",
                    "เผยแพร่ในเว็บไซต์ให้ประชาชนได้รับทราบ",
                )
            })
            .await
            .expect("edit");
        assert!(coordinator.wait_confirmed(LONG).await);
        eventually("the signed steps show as out of date", LONG, || async {
            up_to_date(&head).await == [false, false, false]
        })
        .await;
        assert_eq!(
            refused(mayor.sign("pakchong", YEAR, "mayor", "approved", "", None).await),
            409,
            "earlier steps are out of date"
        );

        head.sign("pakchong", YEAR, "head", "approved", "พิจารณาแล้ว เห็นควร", None).await.expect("head signs again");
        palad.sign("pakchong", YEAR, "palad", "approved", "เห็นชอบแล้ว", None).await.expect("palad signs again");
        mayor.sign("pakchong", YEAR, "mayor", "approved", "เห็นชอบ", None).await.expect("mayor signs");
        assert_eq!(up_to_date(&head).await, [true, true, true]);
        let status = head.status("pakchong", YEAR, None).await.expect("status");
        assert_eq!(status["approvals"][2]["signer"], "winai");
        assert_eq!(status["approvals"][0]["comment"], "พิจารณาแล้ว เห็นควร");
    }
}

mod accounts {
    use super::*;
    use prongsai_client::{ApiError, ServerApi};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_logins_are_rate_limited_and_expired_tokens_refused() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let api = ServerApi::new(server.url());
        for attempt in 0..5 {
            let wrong = api.login("wipa", "not the password", "test").await;
            assert!(matches!(wrong, Err(ApiError::Unauthorized)), "attempt {attempt}: {wrong:?}");
        }
        // Now even the right password waits, and the answer says for how long.
        match api.login("wipa", sample.password("wipa"), "test").await {
            Err(ApiError::RateLimited { retry_after }) => assert!(retry_after > Duration::ZERO),
            other => panic!("expected 429, got {other:?}"),
        }
        // Other accounts are not affected.
        let login = api.login("malee", sample.password("malee"), "test").await.expect("another account logs in");
        let malee = ServerApi::new(server.url()).with_token(&login.token);
        assert_eq!(malee.me().await.expect("me").username, "malee");

        // A token past its expiry is refused everywhere.
        sample.execute_sql(&format!("UPDATE sessions SET expires_at = 0 WHERE peer_id = '{}'", login.peer_id)).await;
        assert!(matches!(malee.me().await, Err(ApiError::Unauthorized)));
        let mut config = prongsai_client::DeviceConfig::new(sample.device_dir("malee"));
        config.device_name = "expired".into();
        let expired = prongsai_client::Session {
            server: server.url().to_string(),
            token: login.token.clone(),
            peer_id: login.peer_id.clone(),
            actor_id: login.actor_id.clone(),
            username: login.username.clone(),
            agency_id: login.agency_id.clone(),
            expires_at: 0,
        };
        prongsai_client::session::save(&sample.device_dir("malee"), &expired).expect("save");
        let device = prongsai_client::Device::open(config).await.expect("open").expect("a saved session");
        device.connect().expect("connect");
        eventually("an expired login is sent back to sign in", LONG, || async {
            device.state().connection == Connection::SignedOut
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn evidence_blobs_are_content_addressed_and_agency_scoped() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let api = ServerApi::new(server.url());
        let login = api.login("somchai", sample.password("somchai"), "test").await.expect("login");
        let api = api.with_token(&login.token);
        let photo = "ภาพประกอบ: โต๊ะประชาสัมพันธ์".as_bytes().to_vec();
        let hash = prongsai_core::hash::sha256_hex(&photo);
        api.put_blob(&hash, "image/jpeg", photo.clone()).await.expect("upload");
        assert_eq!(api.get_blob(&hash).await.expect("download"), photo);
        // A body that does not match its hash is refused.
        let refused = api.put_blob(&hash, "image/jpeg", b"something else".to_vec()).await;
        assert!(matches!(refused, Err(ApiError::Refused { status: 400, .. })), "{refused:?}");
        let unknown = "0".repeat(64);
        assert!(matches!(api.get_blob(&unknown).await, Err(ApiError::NotFound)));
        // Without a token: 401.
        let anonymous = ServerApi::new(server.url());
        assert!(matches!(anonymous.get_blob(&hash).await, Err(ApiError::Unauthorized)));
    }
}

mod review {
    use super::*;
    use prongsai_core::edit::Edit;
    use prongsai_core::model::ReviewDecisionKind;
    use prongsai_core::view::ReviewState;

    async fn palad_m1(device: &Device) -> prongsai_core::detail::ResultDetail {
        let year = device.agency_year(YEAR).await.expect("read");
        let today = "2022-01-10".parse().expect("date");
        let detail = prongsai_core::detail::measure_detail(&year, "m1", today).expect("m1");
        detail.results.into_iter().find(|r| r.division == "palad").expect("palad")
    }

    async fn review_state(device: &Device) -> ReviewState {
        palad_m1(device).await.review
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_coordinator_returns_then_approves_and_a_later_edit_shows_as_changed() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let staff = device(&server, &sample.device_dir("somchai"), "somchai", sample.password("somchai")).await;
        let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
        let submit = |text: &str| {
            vec![
                Edit::SetResultText { division: "palad".into(), measure: "m1".into(), text: text.into() },
                Edit::Submit { division: "palad".into(), measure: "m1".into() },
            ]
        };
        staff.apply(YEAR, submit("จัดโต๊ะประชาสัมพันธ์แล้ว")).await.expect("submit");
        assert!(staff.wait_confirmed(LONG).await);
        eventually("the coordinator sees it waiting", LONG, || async {
            review_state(&coordinator).await == ReviewState::AwaitingReview
        })
        .await;

        // Returned with a comment: the division sees it returned, with the comment.
        let hash = palad_m1(&coordinator).await.content_hash;
        let decide = |decision: ReviewDecisionKind, comment: &str, content_hash: String| {
            vec![Edit::Decide {
                measure: "m1".into(),
                division: "palad".into(),
                decision,
                comment: comment.into(),
                content_hash,
            }]
        };
        // Returning without saying why is refused on the device.
        assert!(coordinator.apply(YEAR, decide(ReviewDecisionKind::Returned, " ", hash.clone())).await.is_err());
        coordinator.apply(YEAR, decide(ReviewDecisionKind::Returned, "โปรดแนบภาพถ่าย", hash)).await.expect("return");
        assert!(coordinator.wait_confirmed(LONG).await);
        eventually("the division sees it returned", LONG, || async {
            review_state(&staff).await == ReviewState::Returned
        })
        .await;
        assert_eq!(palad_m1(&staff).await.review_comment.as_deref(), Some("โปรดแนบภาพถ่าย"));
        // Staff may not decide; the coordinator may not write a division's result.
        assert!(staff.apply(YEAR, decide(ReviewDecisionKind::Approved, "", String::new())).await.is_err());
        assert!(coordinator.apply(YEAR, submit("x")).await.is_err());

        // Fixed and submitted again; approved on exactly that content.
        staff.apply(YEAR, submit("จัดโต๊ะประชาสัมพันธ์แล้ว พร้อมภาพถ่าย")).await.expect("resubmit");
        assert!(staff.wait_confirmed(LONG).await);
        eventually("waiting again", LONG, || async { review_state(&coordinator).await == ReviewState::AwaitingReview })
            .await;
        let hash = palad_m1(&coordinator).await.content_hash;
        coordinator.apply(YEAR, decide(ReviewDecisionKind::Approved, "", hash)).await.expect("approve");
        assert!(coordinator.wait_confirmed(LONG).await);
        eventually("approved", LONG, || async { review_state(&staff).await == ReviewState::Approved }).await;

        // An edit after approval shows as changed since approval, everywhere.
        staff
            .apply(YEAR, vec![Edit::SetStatus { division: "palad".into(), measure: "m1".into(), status: Status::Done }])
            .await
            .expect("edit");
        assert!(staff.wait_confirmed(LONG).await);
        eventually("changed since approval", LONG, || async {
            review_state(&coordinator).await == ReviewState::ChangedSinceApproval
        })
        .await;
        let view = server_view(&coordinator).await;
        assert!(view["changed_since_approval"].as_array().is_some_and(|a| a.iter().any(|c| c["measure"] == "m1")));

        // The history records each decision, by name.
        let history = staff.measure_history(YEAR, "m1").await.expect("history");
        let decisions: Vec<_> = history.iter().filter(|h| h.message == "review decision").collect();
        assert_eq!(decisions.len(), 2, "{history:?}");
        assert!(decisions.iter().all(|h| h.username.as_deref() == Some("kannika")));
        staff.shutdown().await;
        coordinator.shutdown().await;
    }

    async fn server_view(device: &Device) -> serde_json::Value {
        device.api().status("pakchong", YEAR, Some("2022-01-10")).await.expect("status")
    }
}

mod refused {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_edit_the_server_will_no_longer_take_is_reported_never_silently_pending() {
        let sample = Sample::create().await;
        let mut server = Server::start(&sample.data(), 0, &[]).await;
        let staff = device(&server, &sample.device_dir("somchai"), "somchai", sample.password("somchai")).await;
        staff.agency_year(YEAR).await.expect("documents load");
        staff.disconnect();
        staff
            .edit(YEAR, &DocKey::results("palad"), "บันทึกผล", |tx, meta| {
                results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "แก้ไขก่อนย้ายกอง", meta)
            })
            .await
            .expect("an edit while still in สำนักปลัด");
        assert_eq!(staff.state().unconfirmed, 1);

        // Meanwhile สมชาย is moved to กองคลัง (in the database, with the server restarted so that
        // no cached decision is involved).
        server.kill().await;
        sample.execute_sql("UPDATE users SET division = 'klang' WHERE username = 'somchai'").await;
        server.restart().await;

        staff.connect().expect("back online");
        eventually("the device reports the refused change", LONG, || async {
            let state = staff.state();
            state.refused == 1 && state.unconfirmed == 0
        })
        .await;
        let state = staff.state();
        assert!(state.error.as_deref().is_some_and(|e| e.contains("results/palad")), "{state:?}");
        // The server never stored it.
        let parichat = device(&server, &sample.device_dir("parichat"), "parichat", sample.password("parichat")).await;
        let text = result_text(&parichat, "m1", "palad").await.unwrap_or_default();
        assert!(!text.contains("แก้ไขก่อนย้ายกอง"), "{text}");
        parichat.shutdown().await;
        staff.shutdown().await;
    }
}

mod evidence {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_photo_added_offline_is_uploaded_later_without_its_location() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let staff = device(&server, &sample.device_dir("somchai"), "somchai", sample.password("somchai")).await;
        staff.agency_year(YEAR).await.expect("documents load");
        staff.disconnect();

        let photo = prongsai_client::evidence::testing::photo_with_gps(4000, 3000);
        let target = prongsai_client::EvidenceTarget {
            division: "palad".into(),
            measure: "m1".into(),
            evidence_id: "e-photo".into(),
            caption: "โต๊ะประชาสัมพันธ์".into(),
            slot: Default::default(),
        };
        let prepared = staff
            .add_evidence_file(YEAR, target, "IMG_0001.JPG", "image/jpeg", photo)
            .await
            .expect("a photo is accepted offline");
        assert_eq!(staff.state().uploads_pending, 1, "the file waits on the device");
        let year = staff.agency_year(YEAR).await.expect("read");
        let evidence = &year.result("m1", "palad").expect("result").evidence["e-photo"];
        assert_eq!(evidence.sha256.as_deref(), Some(prepared.sha256.as_str()));
        assert_eq!(evidence.file_name.as_deref(), Some("IMG_0001.jpg"));

        // A file type that is not evidence is refused before anything is kept or written.
        let target = prongsai_client::EvidenceTarget {
            division: "palad".into(),
            measure: "m1".into(),
            evidence_id: "e-exe".into(),
            caption: String::new(),
            slot: Default::default(),
        };
        assert!(staff.add_evidence_file(YEAR, target, "x.exe", "application/x-msdownload", vec![0; 10]).await.is_err());
        // Another division's result is not this user's to add evidence to.
        let target = prongsai_client::EvidenceTarget {
            division: "klang".into(),
            measure: "m1".into(),
            evidence_id: "e-klang".into(),
            caption: String::new(),
            slot: Default::default(),
        };
        let photo = prongsai_client::evidence::testing::photo_with_gps(64, 64);
        let refused = staff.add_evidence_file(YEAR, target, "a.jpg", "image/jpeg", photo).await;
        assert!(matches!(refused, Err(prongsai_client::DeviceError::ReadOnly { .. })), "{refused:?}");

        staff.connect().expect("back online");
        eventually("the photo is uploaded", LONG, || async { staff.state().uploads_pending == 0 }).await;
        assert!(staff.wait_confirmed(LONG).await, "the evidence reference is durable too");

        // Someone else downloads it from the server: downscaled, and without EXIF or GPS.
        let head = device(&server, &sample.device_dir("parichat"), "parichat", sample.password("parichat")).await;
        let stored = head.evidence_file(&prepared.sha256).await.expect("the server has it");
        assert_eq!(prongsai_core::hash::sha256_hex(&stored), prepared.sha256);
        assert!(!stored.windows(4).any(|w| w == b"Exif") && !stored.windows(3).any(|w| w == b"GPS"));
        assert!(stored.len() < 2_000_000, "downscaled: {} bytes", stored.len());
        head.shutdown().await;
        staff.shutdown().await;
    }
}

mod administration {
    use super::*;
    use prongsai_client::{ApiError, DeviceError, ServerApi};
    use prongsai_core::admin::{NewUserRequest, UserChange};
    use prongsai_core::model::Role;

    async fn api(server: &Server, username: &str, password: &str) -> Result<ServerApi, ApiError> {
        let api = ServerApi::new(server.url());
        let login = api.login(username, password, "admin test").await?;
        Ok(api.with_token(&login.token))
    }

    fn status_of<T: std::fmt::Debug>(result: Result<T, ApiError>) -> u16 {
        match result {
            Err(ApiError::Refused { status, .. }) => status,
            Err(ApiError::Unauthorized) => 401,
            Err(ApiError::NotFound) => 404,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn nok(password: Option<&str>) -> NewUserRequest {
        NewUserRequest {
            username: "nok".into(),
            display_name: "นางสาวนกแก้ว ใจงาม".into(),
            position: "ผู้ช่วยนายช่างโยธา".into(),
            division: Some("chang".into()),
            roles: vec![Role::Staff],
            password: password.map(str::to_string),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_admin_manages_users_and_each_change_holds_on_live_connections() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let admin = api(&server, "admin", sample.password("admin")).await.expect("admin signs in");

        // Only the agency's admin administers.
        let staff = api(&server, "somchai", sample.password("somchai")).await.expect("staff signs in");
        assert_eq!(status_of(staff.users("pakchong").await), 403);
        assert_eq!(status_of(staff.add_user("pakchong", &nok(None)).await), 403);
        assert_eq!(status_of(admin.users("elsewhere").await), 404, "another agency is not revealed");

        // A new staff member with a generated password; bad requests change nothing.
        let issued = admin.add_user("pakchong", &nok(None)).await.expect("adds a user");
        let password = issued.password.expect("a generated password is answered once");
        assert_eq!(status_of(admin.add_user("pakchong", &nok(Some("another password"))).await), 409);
        let mut no_division = nok(None);
        (no_division.username, no_division.division) = ("nok2".into(), None);
        assert_eq!(status_of(admin.add_user("pakchong", &no_division).await), 400);
        let mut nowhere = nok(None);
        (nowhere.username, nowhere.division) = ("nok3".into(), Some("nowhere".into()));
        assert_eq!(status_of(admin.add_user("pakchong", &nowhere).await), 400);

        // She signs in on a device and writes her division's results; the directory names her.
        let device_dir = sample.device_dir("nok");
        let device = device(&server, &device_dir, "nok", &password).await;
        device
            .edit(YEAR, &DocKey::results("chang"), "บันทึกผล", |tx, meta| {
                results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "กองช่างติดป้ายประกาศแล้ว", meta)
            })
            .await
            .expect("her own division");
        assert!(device.wait_confirmed(LONG).await);
        eventually("the directory names the new user", LONG, || async {
            device
                .agency_year(YEAR)
                .await
                .ok()
                .and_then(|y| y.directory.users.get("nok").map(|u| u.display_name.clone()))
                == Some("นางสาวนกแก้ว ใจงาม".to_string())
        })
        .await;

        // Moved to กองคลัง while connected: the new division is writable at once, the old one not.
        let moved = admin
            .change_user(
                "pakchong",
                "nok",
                &UserChange { division: Some(Some("klang".into())), ..UserChange::default() },
            )
            .await
            .expect("moves her");
        assert_eq!(moved.division.as_deref(), Some("klang"));
        assert_eq!(moved.active_sessions, 1);
        device
            .edit(YEAR, &DocKey::results("klang"), "บันทึกผล", |tx, meta| {
                results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", "กองคลังรับเรื่องแล้ว", meta)
            })
            .await
            .expect("the new division, on the same connection");
        assert!(device.wait_confirmed(LONG).await);
        let old = device
            .edit(YEAR, &DocKey::results("chang"), "บันทึกผล", |tx, meta| {
                results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "ไม่ควรได้", meta)
            })
            .await;
        assert!(matches!(old, Err(DeviceError::ReadOnly { .. })), "{old:?}");
        let wipa = device_of(&server, &sample, "wipa").await;
        eventually("กองคลัง's own staff see her change", LONG, || async {
            result_text(&wipa, "m3", "klang").await.as_deref() == Some("กองคลังรับเรื่องแล้ว")
        })
        .await;

        // Disabled: her connection closes and she cannot sign in; enabled again, she can.
        admin
            .change_user("pakchong", "nok", &UserChange { disabled: Some(true), ..UserChange::default() })
            .await
            .expect("disables her");
        eventually("her device is signed out", LONG, || async { device.state().connection == Connection::SignedOut })
            .await;
        assert_eq!(status_of(api(&server, "nok", &password).await), 401);
        admin
            .change_user("pakchong", "nok", &UserChange { disabled: Some(false), ..UserChange::default() })
            .await
            .expect("enables her");
        let nok_api = api(&server, "nok", &password).await.expect("signs in again");

        // A reset signs her out everywhere; only the new password works.
        let reset = admin.reset_password("pakchong", "nok", None).await.expect("resets");
        assert_eq!(reset.sessions_revoked, 1);
        let new_password = reset.password.expect("a generated password");
        assert_eq!(status_of(nok_api.me().await), 401);
        assert_eq!(status_of(api(&server, "nok", &password).await), 401);

        // She changes her own password: the current one must be right; her other sessions end.
        let laptop = api(&server, "nok", &new_password).await.expect("laptop");
        let tablet = api(&server, "nok", &new_password).await.expect("tablet");
        assert_eq!(status_of(laptop.change_password("wrong password", "ใหม่เอี่ยม 2565").await), 403);
        assert_eq!(status_of(laptop.change_password(&new_password, "short").await), 400);
        assert_eq!(laptop.change_password(&new_password, "ใหม่เอี่ยม 2565").await.expect("changes"), 1);
        assert!(laptop.me().await.is_ok(), "the session that changed it stays");
        assert_eq!(status_of(tablet.me().await), 401);
        api(&server, "nok", "ใหม่เอี่ยม 2565").await.expect("the new password works");

        // Revoking sessions through the API cuts an open connection.
        eventually("wipa is connected", LONG, || async { wipa.is_connected() }).await;
        assert!(admin.revoke_sessions("pakchong", "wipa").await.expect("revokes") >= 1);
        eventually("wipa's device is signed out", LONG, || async { wipa.state().connection == Connection::SignedOut })
            .await;

        // Approval steps are bound to approvers: the bound user signs, the one before may not.
        let mut chai = nok(Some("ผู้ลงนามใหม่ 2565"));
        (chai.username, chai.display_name, chai.division, chai.roles) =
            ("chai".into(), "นายชัย ตั้งใจ".into(), None, vec![Role::Approver]);
        admin.add_user("pakchong", &chai).await.expect("adds an approver");
        assert_eq!(
            status_of(admin.bind_approver("pakchong", YEAR, "head", Some("somchai")).await),
            400,
            "not an approver"
        );
        assert_eq!(status_of(admin.bind_approver("pakchong", YEAR, "nostep", Some("chai")).await), 400);
        admin.bind_approver("pakchong", YEAR, "head", Some("chai")).await.expect("binds the first step");
        // One person signs one step: chai cannot take the ปลัด's step as well.
        assert_eq!(status_of(admin.bind_approver("pakchong", YEAR, "palad", Some("chai")).await), 400);
        let parichat = api(&server, "parichat", sample.password("parichat")).await.expect("parichat");
        assert_eq!(status_of(parichat.sign("pakchong", YEAR, "head", "approved", "", None).await), 403);
        let chai_api = api(&server, "chai", "ผู้ลงนามใหม่ 2565").await.expect("chai");
        chai_api.sign("pakchong", YEAR, "head", "approved", "เห็นควร", None).await.expect("the bound approver signs");

        // The agency always keeps an admin.
        let demote = UserChange { roles: Some(vec![Role::Viewer]), ..UserChange::default() };
        assert_eq!(status_of(admin.change_user("pakchong", "admin", &demote).await), 409);

        let users = admin.users("pakchong").await.expect("lists users");
        let find = |name: &str| users.iter().find(|u| u.username == name).expect("listed").clone();
        assert_eq!(find("nok").division.as_deref(), Some("klang"));
        assert!(!find("nok").disabled);
        assert_eq!(find("chai").approval_steps, ["head"]);
        assert!(find("parichat").approval_steps.is_empty());
        assert_eq!(find("wipa").active_sessions, 0);
        device.shutdown().await;
        wipa.shutdown().await;
    }

    async fn device_of(server: &Server, sample: &Sample, username: &str) -> Device {
        device(server, &sample.device_dir(username), username, sample.password(username)).await
    }
}

/// The server speaks HTTPS itself (`--tls-cert`, `--tls-key`), as a tablet's browser needs to
/// install the field app: the page and the API answer over TLS on the certificate's name, a
/// field device whose machine trusts the agency's certificate authority signs in and syncs over
/// `wss://`, and what it wrote reaches the server. Plain HTTP to the HTTPS port, or a client that
/// opens a socket and never says hello, changes nothing for anyone else; a key that does not
/// belong to the certificate stops the server at start with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_https_itself_and_a_field_device_syncs_over_it() {
    use prongsai_tests::TestCertificate;
    let sample = Sample::create().await;
    let certificate = TestCertificate::create(&sample.dir.path().join("tls"));
    let args = certificate.serve_args();
    let args: Vec<&str> = args.iter().map(String::as_str).chain(["--header-timeout-secs", "2"]).collect();
    let server = Server::start(&sample.data(), 0, &args).await;
    assert_eq!(server.url().scheme(), "https");
    let https = certificate.client();
    let health = https.get(server.url().join("healthz").expect("url")).send().await.expect("HTTPS answers");
    assert_eq!(health.status(), 200);

    // A client with the machine's usual roots (not the agency's own authority) refuses it.
    prongsai_client::api::install_crypto();
    let stranger = reqwest::Client::new();
    assert!(stranger.get(server.url().join("healthz").expect("url")).send().await.is_err());

    // Plain HTTP to the HTTPS port is no request, and a silent socket is cut; others carry on.
    let plain = format!("http://127.0.0.1:{}/healthz", server.addr.port());
    assert!(reqwest::get(&plain).await.is_err(), "plain HTTP gets no answer from the HTTPS port");
    let silent = tokio::net::TcpStream::connect(server.addr).await.expect("a socket");
    let cut = tokio::time::timeout(LONG, async {
        use tokio::io::AsyncReadExt;
        let mut silent = silent;
        let mut byte = [0u8; 1];
        silent.read(&mut byte).await
    })
    .await
    .expect("the server cuts a client that never says hello");
    assert!(matches!(cut, Ok(0) | Err(_)), "{cut:?}");

    // A field device on a machine that trusts the authority: sign-in over HTTPS, sync over wss.
    let dir = sample.device_dir("tls-writer");
    let mut writer = prongsai_tests::field_writer(&dir, &server, &sample, "tls")
        .env("SSL_CERT_FILE", &certificate.ca)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the field writer starts");
    let token = prongsai_tests::web_token(&https, &server, "parichat", sample.password("parichat")).await;
    let measure = server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/measures/m4")).expect("url");
    eventually("the device's edits reach the server over wss", LONG, || async {
        let Ok(answer) = https.get(measure.clone()).bearer_auth(&token).send().await else { return false };
        answer.text().await.is_ok_and(|body| body.contains("[tls.0]"))
    })
    .await;
    let _ = writer.start_kill();
    let _ = writer.wait().await;

    // A key of another certificate: the server does not start, and says why.
    let other = TestCertificate::create(&sample.dir.path().join("tls-other"));
    let refused = std::process::Command::new(prongsai_tests::server_binary())
        .args(["serve", "--data", sample.data().to_str().expect("utf-8 path"), "--listen", "127.0.0.1:0"])
        .args([
            "--tls-cert",
            certificate.cert.to_str().expect("utf-8"),
            "--tls-key",
            other.key.to_str().expect("utf-8"),
        ])
        .output()
        .expect("the server runs");
    assert!(!refused.status.success());
    let reason = String::from_utf8_lossy(&refused.stderr);
    assert!(reason.contains("do not belong together"), "{reason}");
    assert!(!reason.contains("PRIVATE KEY"), "the key never reaches the output: {reason}");
}

/// The server gives memory its devices' connecting freed back to the system soon, not only
/// once they speak again: it runs with mimalloc's purge delay at 100 ms (set for itself, in the
/// same process) unless its environment sets one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_runs_with_its_allocator_settings() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let pid = server.pid().expect("the server runs");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("the server's environment");
    let purge: Vec<&[u8]> = environ.split(|b| *b == 0).filter(|v| v.starts_with(b"MIMALLOC_PURGE_DELAY=")).collect();
    assert_eq!(purge, vec![&b"MIMALLOC_PURGE_DELAY=100"[..]]);
    prongsai_client::api::install_crypto();
    let health = reqwest::get(server.url().join("healthz").expect("url")).await.expect("the server answers");
    assert_eq!(health.status(), 200);
}

/// A renewed certificate is served without a restart: the operator replaces the files and sends
/// SIGHUP, and connections made afterwards get the new certificate. Files that do not make a
/// certificate leave the one in use (the server says why, never showing the key); SIGHUP never
/// stops the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_after_sighup_without_a_restart() {
    use prongsai_tests::TestCertificate;
    let sample = Sample::create().await;
    let dir = sample.dir.path();
    let (old, renewed) = (TestCertificate::create(&dir.join("tls-old")), TestCertificate::create(&dir.join("tls-new")));
    let live = dir.join("live");
    std::fs::create_dir_all(&live).expect("the live directory");
    let (cert, key) = (live.join("fullchain.pem"), live.join("privkey.pem"));
    let install = |from: &TestCertificate| {
        std::fs::copy(&from.cert, &cert).expect("the chain");
        std::fs::copy(&from.key, &key).expect("the key");
    };
    install(&old);
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_string();
    let server = Server::start(&sample.data(), 0, &["--tls-cert", &path(&cert), "--tls-key", &path(&key)]).await;
    let health = server.url().join("healthz").expect("url");
    let answers = |certificate: &TestCertificate| {
        // A new client each time: a new connection, so the certificate served now.
        let client = certificate.client();
        let health = health.clone();
        async move { client.get(health).send().await.is_ok_and(|a| a.status() == 200) }
    };
    assert!(answers(&old).await, "served with the first certificate");
    assert!(!answers(&renewed).await);
    let hangup = || {
        let pid = server.pid().expect("the server runs").to_string();
        let sent = std::process::Command::new("kill").args(["-HUP", &pid]).status().expect("kill runs");
        assert!(sent.success());
    };
    let log = sample.data().with_extension("server.log");
    let logged = |what: &'static str| {
        let log = log.clone();
        move || {
            let log = log.clone();
            async move { std::fs::read_to_string(&log).is_ok_and(|text| text.contains(what)) }
        }
    };

    // A key that is not one: refused, the certificate in use stays.
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        .expect("a broken key");
    hangup();
    eventually("the server refuses the broken files", LONG, logged("kept the TLS certificate in use")).await;
    assert!(answers(&old).await, "still served with the first certificate");
    assert!(!std::fs::read_to_string(&log).expect("the log").contains("bm90IGEga2V5"), "the key never reaches the log");

    // The renewed certificate, once the operator says so.
    install(&renewed);
    hangup();
    eventually("new connections get the renewed certificate", LONG, || answers(&renewed)).await;
    assert!(!answers(&old).await, "the first certificate is no longer served");
    assert!(server.pid().is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists()), "still running");
}

/// What a page hears from the shell a platform holds (`prongsai_client::shell`: the app's Tauri
/// shell, later a browser's device Worker).
#[derive(Default)]
struct Heard {
    connections: std::sync::Mutex<Vec<Connection>>,
    changed: std::sync::atomic::AtomicUsize,
}

impl prongsai_client::shell::Events for Heard {
    fn sync_state(&self, state: &prongsai_core::app::SyncState) {
        self.connections.lock().expect("lock").push(state.connection);
    }

    fn documents_changed(&self) {
        self.changed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Heard {
    fn last_connection(&self) -> Option<Connection> {
        self.connections.lock().expect("lock").last().copied()
    }
}

/// The shell every platform shares tells its page what the device does: signed in and synced,
/// another year opened, signed out; and a shell started again with the server down opens the
/// saved login from the device's own storage, with what the person marked read kept there, and
/// shows and edits the year offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_tells_its_page_what_the_device_does_and_opens_offline_after_a_restart() {
    use prongsai_client::shell::{CommandError, Shell};
    use std::sync::Arc;
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    let dir = sample.device_dir("shell");
    let heard = Arc::new(Heard::default());
    let shell = Shell::new(prongsai_client::DeviceConfig::new(&dir), heard.clone());
    shell.open_saved().await;
    assert!(shell.startup().await.expect("startup").session.is_none(), "never signed in here");
    assert!(matches!(shell.set_year(YEAR).await, Err(CommandError::NotSignedIn)));

    let session = shell.login(server.url().as_str(), "somchai", sample.password("somchai"), None).await.expect("login");
    assert_eq!(session.username, "somchai");
    eventually("the page hears the device connected and up to date", LONG, || async {
        heard.last_connection() == Some(Connection::UpToDate)
    })
    .await;
    let before = heard.changed.load(std::sync::atomic::Ordering::SeqCst);
    shell.set_year(YEAR).await.expect("the year opens");
    assert!(heard.changed.load(std::sync::atomic::Ordering::SeqCst) > before, "the page is told to read again");
    shell.save_read_marks("somchai", &["returned/m1/palad/1".to_string()]).await;
    let online = shell.overview(None, None, None).await.expect("the picture");
    let device = shell.signed_in().await.expect("the device");
    let listed = device.documents(YEAR).await.expect("documents");
    eventually("the year's documents are on the device", LONG, || async {
        listed.iter().all(|e| device.storage().has_document(e.document_id()))
    })
    .await;
    device.shutdown().await;
    drop(shell);

    server.kill().await;
    let heard = Arc::new(Heard::default());
    let shell = Shell::new(prongsai_client::DeviceConfig::new(&dir), heard.clone());
    shell.open_saved().await;
    let startup = shell.startup().await.expect("startup");
    assert_eq!(startup.session.map(|s| s.username).as_deref(), Some("somchai"), "the saved login opens offline");
    assert_eq!(shell.read_marks("somchai").await, ["returned/m1/palad/1"]);
    eventually("the page hears the device offline", LONG, || async {
        heard.last_connection() == Some(Connection::Offline)
    })
    .await;
    // Offline, the page reads the picture and a measure, and an edit is kept for the server.
    let view = shell.overview(None, None, None).await.expect("the picture, offline");
    assert_eq!(view.measures.len(), online.measures.len());
    let measure =
        view.measures.iter().find(|m| m.responsible.iter().any(|d| d == "palad")).expect("palad's").id.clone();
    let edit = prongsai_core::edit::Edit::SetResultText {
        division: "palad".into(),
        measure: measure.clone(),
        text: "ทำแล้วระหว่างออฟไลน์".into(),
    };
    shell.apply(vec![edit], None, None).await.expect("an edit, offline");
    let detail = shell.measure(&measure, None, None, None).await.expect("the measure");
    assert!(detail.results.iter().any(|r| r.division == "palad" && r.text == "ทำแล้วระหว่างออฟไลน์"), "{detail:?}");
    assert!(shell.sync_state().await.unconfirmed > 0, "the edit waits for the server");
    shell.sign_out().await.expect("signs out");
    assert_eq!(heard.last_connection(), Some(Connection::SignedOut));
    assert!(shell.startup().await.expect("startup").session.is_none());
}
