//! Interop: a Node client built on the reference `@automerge/automerge-repo` packages (installed
//! from npm by the test command) syncs with our server both ways, and its forbidden write reaches
//! no one.

use std::time::Duration;

use prongsai_core::automerge::ROOT;
use prongsai_core::automerge::transaction::Transactable;
use prongsai_core::model::{DocKey, DocKind};
use prongsai_tests::{Sample, Server, YEAR, device, eventually, root_string};

const LONG: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_automerge_repo_client_syncs_both_ways() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    let marker = "สวัสดีจาก Rust";
    coordinator
        .edit(
            YEAR,
            &DocKey::of(DocKind::Plan),
            "ทดสอบการทำงานร่วมกัน",
            move |tx, _| Ok(tx.put(ROOT, "rust_marker", marker)?),
        )
        .await
        .expect("the coordinator writes the plan");
    assert!(coordinator.wait_confirmed(LONG).await);

    prongsai_tests::run_node_client(&server.url(), "somchai", sample.password("somchai"), "pakchong", marker).await;

    // The Rust side sees the Node client's change.
    eventually("the Node client's change reaches a Rust client", LONG, || async {
        root_string(&coordinator, &DocKey::results("palad"), "js_marker").await.as_deref() == Some("สวัสดีจาก Node")
    })
    .await;
    // Its write to the plan (read-only for a staff user) reached no one: not the server, not a
    // fresh client.
    let fresh = device(&server, &sample.device_dir("viewer"), "viewer", sample.password("viewer")).await;
    fresh.agency_year(YEAR).await.expect("load");
    assert_eq!(root_string(&fresh, &DocKey::of(DocKind::Plan), "rust_marker").await.as_deref(), Some(marker));
    assert_eq!(root_string(&fresh, &DocKey::of(DocKind::Plan), "js_forbidden").await, None);
    assert_eq!(root_string(&coordinator, &DocKey::of(DocKind::Plan), "js_forbidden").await, None);
}
