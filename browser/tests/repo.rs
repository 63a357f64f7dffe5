//! samod's repo in a JavaScript engine (Node, through wasm-bindgen-test-runner): two repos on the
//! browser runtime sync a document. Without the vendored crates' clock patch (web_time for
//! std's clock, see vendor/samod-core/PATCHED.md) the first timestamp panics.
#![cfg(target_arch = "wasm32")]

use std::sync::Arc;

use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use prongsai_browser::BrowserRuntime;
use samod::transport::channel::ChannelDialer;
use samod::{BackoffConfig, RepoBuilder};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn the_clock_reads_in_a_javascript_engine() {
    let now = samod_core::UnixTimestamp::now();
    // After 2020-09-13 (1.6e12 ms): a real wall clock, not zero.
    assert!(now.as_millis() > 1_600_000_000_000, "{now}");
}

#[wasm_bindgen_test]
async fn two_repos_on_the_browser_runtime_sync_a_document() {
    let alice = RepoBuilder::new(BrowserRuntime).load_local().await;
    let bob = RepoBuilder::new(BrowserRuntime).load_local().await;
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        tx.put(ROOT, "ผลการดำเนินงาน", "ดำเนินการแล้ว")?;
        Ok(())
    })
    .expect("an edit");
    let handle = alice.create(doc).await.expect("alice creates it");
    let acceptor = bob.make_acceptor(url::Url::parse("channel://alice-to-bob").expect("url")).expect("acceptor");
    let dialer = alice.dial(BackoffConfig::default(), Arc::new(ChannelDialer::new(acceptor))).expect("dial");
    dialer.established().await.expect("connected");
    let found = bob.find(handle.document_id().clone()).await.expect("asks").expect("bob has it");
    let text = found.with_document(|d| d.get(ROOT, "ผลการดำเนินงาน").expect("read").map(|(v, _)| v.to_string()));
    assert_eq!(text.as_deref(), Some("\"ดำเนินการแล้ว\""));
    alice.stop().await;
    bob.stop().await;
}
