//! The device's SQLite store keeps the storage contract (`contract/storage.rs`), natively (tokio,
//! a temporary directory). The same checks run on the browser's IndexedDB store in
//! `indexed_storage.rs`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "contract/storage.rs"]
mod contract;

use prongsai_client::storage::LocalStorage;

struct Dir(tempfile::TempDir);

impl contract::Place for Dir {
    fn dir(&self) -> &std::path::Path {
        self.0.path()
    }

    async fn open(&self) -> LocalStorage {
        LocalStorage::open(self.0.path()).await.expect("open the store")
    }
}

fn place() -> Dir {
    Dir(tempfile::tempdir().expect("tempdir"))
}

#[tokio::test]
async fn unconfirmed_edits_outlive_a_restart_until_the_server_confirms_or_refuses_them() {
    contract::unconfirmed_edits_outlive_a_restart_until_the_server_confirms_or_refuses_them(&place()).await;
}

#[tokio::test]
async fn values_kept_for_working_offline_read_back_after_a_restart() {
    contract::values_kept_for_working_offline_read_back_after_a_restart(&place()).await;
}

#[tokio::test]
async fn evidence_waits_in_order_until_uploaded_and_still_opens_after() {
    contract::evidence_waits_in_order_until_uploaded_and_still_opens_after(&place()).await;
}

#[tokio::test]
async fn an_edit_is_saved_here_and_its_document_opens_again_after_a_restart() {
    contract::an_edit_is_saved_here_and_its_document_opens_again_after_a_restart(&place()).await;
}

#[tokio::test]
async fn the_saved_login_outlives_a_restart_until_signing_out() {
    contract::the_saved_login_outlives_a_restart_until_signing_out(&place()).await;
}

#[tokio::test]
async fn documents_read_ahead_open_as_they_are_on_the_disk() {
    contract::documents_read_ahead_open_as_they_are_on_the_disk(&place()).await;
}
