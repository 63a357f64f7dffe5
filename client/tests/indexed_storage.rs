//! The browser's IndexedDB store keeps the storage contract (`contract/storage.rs`) where a
//! device runs in a browser: in a dedicated Worker of headless Chromium
//! (`scripts/test.sh`: wasm-bindgen-test-runner with Debian's chromedriver and `webdriver.json`).
#![cfg(target_arch = "wasm32")]

#[path = "contract/storage.rs"]
mod contract;

use std::path::PathBuf;

use prongsai_client::storage::LocalStorage;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// A database of its own for each check (the browser profile outlives one check).
struct Database(PathBuf);

impl contract::Place for Database {
    fn dir(&self) -> &std::path::Path {
        &self.0
    }

    async fn open(&self) -> LocalStorage {
        LocalStorage::open(&self.0).await.expect("open the database")
    }
}

fn place(check: &str) -> Database {
    Database(PathBuf::from(format!("{check}-{}", js_sys::Math::random())))
}

#[wasm_bindgen_test]
async fn unconfirmed_edits_outlive_a_restart_until_the_server_confirms_or_refuses_them() {
    contract::unconfirmed_edits_outlive_a_restart_until_the_server_confirms_or_refuses_them(&place("pending")).await;
}

#[wasm_bindgen_test]
async fn values_kept_for_working_offline_read_back_after_a_restart() {
    contract::values_kept_for_working_offline_read_back_after_a_restart(&place("kv")).await;
}

#[wasm_bindgen_test]
async fn evidence_waits_in_order_until_uploaded_and_still_opens_after() {
    contract::evidence_waits_in_order_until_uploaded_and_still_opens_after(&place("uploads")).await;
}

#[wasm_bindgen_test]
async fn an_edit_is_saved_here_and_its_document_opens_again_after_a_restart() {
    contract::an_edit_is_saved_here_and_its_document_opens_again_after_a_restart(&place("chunks")).await;
}

#[wasm_bindgen_test]
async fn the_saved_login_outlives_a_restart_until_signing_out() {
    contract::the_saved_login_outlives_a_restart_until_signing_out(&place("session")).await;
}

#[wasm_bindgen_test]
async fn documents_read_ahead_open_as_they_are_on_the_disk() {
    contract::documents_read_ahead_open_as_they_are_on_the_disk(&place("ahead")).await;
}
