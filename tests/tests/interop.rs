//! Interop: a Node client built on the reference `@automerge/automerge-repo` packages (installed
//! from npm by the test command) syncs with our server both ways, and its forbidden write reaches
//! no one.

use std::time::Duration;

use prongsai_core::automerge::transaction::Transactable;
use prongsai_core::automerge::{ROOT, ReadDoc};
use prongsai_core::model::{DocKey, DocKind};
use prongsai_tests::{Sample, Server, YEAR, device, eventually};

const LONG: Duration = Duration::from_secs(60);

async fn root_string(device: &prongsai_client::Device, key: &DocKey, field: &str) -> Option<String> {
    let doc = device.document(YEAR, key).await.ok()?;
    // A JavaScript string arrives as a text object (automerge 3), a Rust `put` as a scalar.
    match doc.get(ROOT, field).ok().flatten()? {
        (prongsai_core::automerge::Value::Scalar(s), _) => s.as_str().map(str::to_string),
        (prongsai_core::automerge::Value::Object(_), id) => doc.text(&id).ok(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_automerge_repo_client_syncs_both_ways() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/js/interop.mjs");
    let modules = concat!(env!("CARGO_MANIFEST_DIR"), "/js/node_modules/@automerge/automerge-repo");
    assert!(
        std::path::Path::new(modules).exists(),
        "run `npm install --prefix tests/js` first (the test command does)"
    );

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

    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("node")
            .arg(script)
            .args([server.url().as_str(), "somchai", sample.password("somchai"), "pakchong", &YEAR.to_string(), marker])
            .output(),
    )
    .await
    .expect("the Node client finishes within 2 minutes")
    .expect("node runs");
    assert!(
        output.status.success(),
        "the Node client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

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
