//! What every store a device keeps its data in must do, whatever the platform: the SQLite file
//! natively (`tests/local_storage.rs`), IndexedDB in a browser's Worker. A person notices each of
//! these: an edit not yet on the server must outlive closing the app, a photo must wait for the
//! network, and a measure opened once must open again offline.
//!
//! Each check takes a [`Place`]: where the store lives, opened again as often as a check wants
//! (a restart of the app between two opens).

use std::collections::HashMap;

use prongsai_client::storage::LocalStorage;
use prongsai_core::automerge::{ChangeHash, ROOT, ReadDoc, transaction::Transactable};

/// Where one store lives on its platform.
#[allow(async_fn_in_trait)]
pub trait Place {
    /// The device's data "directory" (a database's name in a browser).
    fn dir(&self) -> &std::path::Path;
    /// Opens the store (again): what the app does when it starts.
    async fn open(&self) -> LocalStorage;
}

fn hash(n: u8) -> ChangeHash {
    ChangeHash([n; 32])
}

fn sorted(mut pending: HashMap<String, Vec<ChangeHash>>) -> Vec<(String, Vec<ChangeHash>)> {
    let mut out: Vec<_> = pending
        .drain()
        .map(|(doc, mut hashes)| {
            hashes.sort();
            (doc, hashes)
        })
        .collect();
    out.sort();
    out
}

/// Edits the server has not confirmed outlive a restart; a confirmed one leaves the list and a
/// refused one moves to the refused list, each on its own.
pub async fn unconfirmed_edits_outlive_a_restart_until_the_server_confirms_or_refuses_them(place: &impl Place) {
    let storage = place.open().await;
    assert!(storage.pending().await.expect("pending").is_empty(), "a new store has nothing waiting");
    storage.add_pending("plan", &[hash(1), hash(2)]).await.expect("add");
    storage.add_pending("plan", &[hash(2)]).await.expect("adding again changes nothing");
    storage.add_pending("รายงาน", &[hash(3)]).await.expect("add");
    drop(storage);

    let storage = place.open().await;
    assert_eq!(
        sorted(storage.pending().await.expect("pending")),
        vec![("plan".to_string(), vec![hash(1), hash(2)]), ("รายงาน".to_string(), vec![hash(3)])],
        "every unconfirmed edit is still waiting after a restart"
    );
    storage.remove_pending("plan", &[hash(1)]).await.expect("confirmed");
    storage.refuse("รายงาน", &[hash(3)]).await.expect("refused");
    assert_eq!(storage.refused_count().await.expect("count"), 1);
    drop(storage);

    let storage = place.open().await;
    assert_eq!(sorted(storage.pending().await.expect("pending")), vec![("plan".to_string(), vec![hash(2)])]);
    assert_eq!(storage.refused_count().await.expect("count"), 1, "a refused edit stays counted after a restart");
}

/// What the app keeps for working offline (the year's documents list, say) reads back as it was
/// written, Thai text included, after a restart; the last write wins.
pub async fn values_kept_for_working_offline_read_back_after_a_restart(place: &impl Place) {
    let storage = place.open().await;
    assert_eq!(storage.get("documents:2568").await.expect("get"), None);
    storage.set("documents:2568", "old").await.expect("set");
    let thai = r#"[{"title":"มาตรการส่งเสริมคุณธรรมและความโปร่งใส ๒๕๖๘","note":"กองคลัง\n\"ผอ.\" ✓"}]"#;
    storage.set("documents:2568", thai).await.expect("set");
    drop(storage);

    let storage = place.open().await;
    assert_eq!(storage.get("documents:2568").await.expect("get").as_deref(), Some(thai));
    assert_eq!(storage.get("documents:2567").await.expect("get"), None);
}

/// A photo taken offline waits, in the order taken, until it is uploaded; an uploaded one is no
/// longer waiting but still opens on this device; the same photo twice is kept once.
pub async fn evidence_waits_in_order_until_uploaded_and_still_opens_after(place: &impl Place) {
    let storage = place.open().await;
    storage.queue_upload("cc", "image/jpeg", vec![3; 10]).await.expect("queue");
    storage.queue_upload("aa", "application/pdf", vec![1; 5]).await.expect("queue");
    storage.queue_upload("cc", "image/jpeg", vec![9; 10]).await.expect("the same file again");
    storage.queue_upload("bb", "image/png", vec![2; 7]).await.expect("queue");
    drop(storage);

    let storage = place.open().await;
    let waiting = |list: Vec<(String, String)>| list.into_iter().map(|(sha, _)| sha).collect::<Vec<_>>();
    assert_eq!(waiting(storage.uploads_waiting().await.expect("waiting")), ["cc", "aa", "bb"]);
    assert_eq!(storage.uploads_waiting().await.expect("waiting")[1].1, "application/pdf");
    storage.mark_uploaded("aa").await.expect("uploaded");
    drop(storage);

    let storage = place.open().await;
    assert_eq!(waiting(storage.uploads_waiting().await.expect("waiting")), ["cc", "bb"]);
    assert_eq!(storage.local_file("aa").await.expect("file"), Some(vec![1; 5]), "an uploaded file still opens here");
    assert_eq!(storage.local_file("cc").await.expect("file"), Some(vec![3; 10]), "the first copy is the one kept");
    assert_eq!(storage.local_file("zz").await.expect("file"), None);
}

/// An edit counts as saved on this device once samod has written it, a document written here
/// is known to be here (and after a restart, before anything is loaded), and it opens again
/// from the store alone.
pub async fn an_edit_is_saved_here_and_its_document_opens_again_after_a_restart(place: &impl Place) {
    let storage = place.open().await;
    let repo = storage.repo(samod::PeerId::from("contract")).await;
    let handle = repo.create(prongsai_core::automerge::Automerge::new()).await.expect("create");
    let doc_id = handle.document_id().to_string();
    let heads = handle.with_document(|doc| {
        let mut tx = doc.transaction();
        tx.put(ROOT, "title", "มาตรการที่ ๑").expect("put");
        tx.commit();
        doc.get_heads()
    });
    storage.wait_stored(&doc_id, &heads).await.expect("the edit reaches the store");
    assert!(storage.is_stored(&doc_id, &heads));
    assert!(storage.has_document(&doc_id));
    assert!(!storage.has_document(&doc_id[..doc_id.len() - 1]), "a shorter id is another document");
    assert!(!storage.is_stored(&doc_id, &[hash(7)]), "a change never written is not saved");
    repo.stop().await;
    drop(handle);
    drop(storage);

    let storage = place.open().await;
    assert!(storage.has_document(&doc_id), "known to be here right after the restart");
    let repo = storage.repo(samod::PeerId::from("contract")).await;
    let found = repo.find(doc_id.parse().expect("id")).await.expect("find").expect("opens from the store");
    let title = found.with_document(|doc| doc.get(ROOT, "title").expect("read").map(|(v, _)| v.to_string()));
    assert_eq!(title.as_deref(), Some("\"มาตรการที่ ๑\""));
    repo.stop().await;
}

/// The login saved on this device opens again after a restart, a new login replaces it, and
/// signing out forgets it (the device's other data stays).
pub async fn the_saved_login_outlives_a_restart_until_signing_out(place: &impl Place) {
    use prongsai_client::session::{self, Session};
    let storage = place.open().await;
    assert_eq!(session::load_saved(place.dir(), &storage).await.expect("load"), None, "never signed in here");
    let login = |username: &str| Session {
        server: "https://prongsai.test/".into(),
        token: format!("token-of-{username}"),
        peer_id: format!("peer-{username}"),
        actor_id: "0123456789abcdef".into(),
        username: username.into(),
        agency_id: "pakchong".into(),
        expires_at: 1_900_000_000_000,
    };
    session::keep(place.dir(), &storage, &login("somchai")).await.expect("keep");
    session::keep(place.dir(), &storage, &login("สมหญิง")).await.expect("keep");
    storage.set("documents:2568", "[]").await.expect("set");
    drop(storage);

    let storage = place.open().await;
    assert_eq!(session::load_saved(place.dir(), &storage).await.expect("load"), Some(login("สมหญิง")));
    session::forget(place.dir(), &storage).await.expect("sign out");
    drop(storage);

    let storage = place.open().await;
    assert_eq!(session::load_saved(place.dir(), &storage).await.expect("load"), None, "signed out stays signed out");
    assert_eq!(storage.get("documents:2568").await.expect("get").as_deref(), Some("[]"), "the device's data stays");
}

/// The title of a document samod opens from this store alone (the app offline).
async fn title_opened(storage: &LocalStorage, doc_id: &str) -> Option<String> {
    let repo = storage.repo(samod::PeerId::from("contract")).await;
    let found = repo.find(doc_id.parse().expect("id")).await.expect("find");
    let title = found.map(|handle| {
        handle
            .with_document(|doc| doc.get(ROOT, "title").expect("read").map(|(v, _)| v.to_string()).unwrap_or_default())
    });
    repo.stop().await;
    title
}

/// The documents a device reads ahead when it opens (the year it is about to show, in one
/// request) open as they are on the disk: a change written after they were read is never hidden
/// behind the earlier read, and a document opened a second time (samod unloads idle ones) still
/// opens whole.
pub async fn documents_read_ahead_open_as_they_are_on_the_disk(place: &impl Place) {
    #[cfg(target_arch = "wasm32")]
    use samod::storage::LocalStorage as _;
    #[cfg(not(target_arch = "wasm32"))]
    use samod::storage::Storage as _;

    let storage = place.open().await;
    let repo = storage.repo(samod::PeerId::from("contract")).await;
    let mut later = None;
    let mut ids = Vec::new();
    for title in ["แผน", "ผลการดำเนินงาน"] {
        let handle = repo.create(prongsai_core::automerge::Automerge::new()).await.expect("create");
        let heads = handle.with_document(|doc| {
            let mut tx = doc.transaction();
            tx.put(ROOT, "title", title).expect("put");
            tx.commit();
            if later.is_none() {
                // A change made elsewhere and written to the disk later, after the read-ahead.
                let mut other = doc.fork();
                let mut tx = other.transaction();
                tx.put(ROOT, "title", "แผน ฉบับแก้ไข").expect("put");
                tx.commit();
                let change = other.get_last_local_change().expect("the change");
                later = Some((change.hash(), change.raw_bytes().to_vec()));
            }
            doc.get_heads()
        });
        let doc_id = handle.document_id().to_string();
        storage.wait_stored(&doc_id, &heads).await.expect("written");
        ids.push(doc_id);
    }
    repo.stop().await;
    drop(storage);

    let storage = place.open().await;
    let (plan, results) = (ids[0].clone(), ids[1].clone());
    storage.read_ahead(vec![plan.clone(), results.clone(), "2NotOnThisDevice".to_string()]).await;
    let whole_prefix = samod::storage::StorageKey::from_parts([results.as_str()]).expect("prefix");
    let changes_prefix = samod::storage::StorageKey::from_parts([results.as_str(), "incremental"]).expect("prefix");
    let changes = storage.load_range(changes_prefix).await;
    let whole = storage.load_range(whole_prefix.clone()).await;
    assert!(!changes.is_empty(), "the document's changes are on the disk");
    assert!(changes.keys().all(|k| whole.contains_key(k)), "a wider load after a narrower one still covers it");
    assert_eq!(storage.load_range(whole_prefix).await, whole, "what was read ahead is what is on the disk");
    let (hash, bytes) = later.expect("a later change");
    let key = samod::storage::StorageKey::from_parts([plan.as_str(), "incremental", &hash.to_string()]).expect("key");
    storage.put(key, bytes).await;
    assert_eq!(
        title_opened(&storage, &plan).await.as_deref(),
        Some("\"แผน ฉบับแก้ไข\""),
        "the change written after the read-ahead is part of the document"
    );
    assert_eq!(title_opened(&storage, &results).await.as_deref(), Some("\"ผลการดำเนินงาน\""));
    assert_eq!(
        title_opened(&storage, &results).await.as_deref(),
        Some("\"ผลการดำเนินงาน\""),
        "opened a second time, the document still opens from the disk"
    );
}
