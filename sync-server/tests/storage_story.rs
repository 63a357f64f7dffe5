//! The story every storage backend must pass (SQLite today; PostgreSQL will run the same story).

use prongsai_core::model::{DocKind, Role};
use prongsai_sync_server::Sqlite;
use prongsai_sync_server::db::postgres::Postgres;
use prongsai_sync_server::db::{
    AgencyRow, BlobRow, Database, DbError, DocumentRow, NewUser, SessionRow, UserUpdate, YearRow,
};

async fn story<D: Database>(db: D, reopen: impl Fn() -> D) {
    // Chunks: put, load, load by prefix (never crossing into another document), delete.
    db.chunk_put("docA/incremental/h1".into(), b"one".to_vec(), None).await.expect("put");
    db.chunk_put("docA/snapshot/s1".into(), b"two".to_vec(), None).await.expect("put");
    db.chunk_put("docAB/incremental/h2".into(), b"other doc".to_vec(), None).await.expect("put");
    db.chunk_put("docA/incremental/h1".into(), b"one again".to_vec(), None).await.expect("a put replaces");
    assert_eq!(db.chunk_load("docA/incremental/h1".into()).await.expect("load"), Some(b"one again".to_vec()));
    assert_eq!(db.chunk_load("missing".into()).await.expect("load"), None);
    let under_a = db.chunk_load_prefix("docA/".into()).await.expect("prefix");
    assert_eq!(under_a.len(), 2, "docAB is another document");
    assert_eq!(db.chunk_load_prefix(String::new()).await.expect("everything").len(), 3);
    db.chunk_delete("docA/snapshot/s1".into(), None).await.expect("delete");
    assert_eq!(db.chunk_load_prefix("docA/".into()).await.expect("prefix").len(), 1);

    // Agencies and users.
    db.agency_create(AgencyRow {
        id: "pakchong".into(), name: "อบต.ปากช่อง".into(), created_at: 1
    })
    .await
    .expect("agency");
    assert!(matches!(
        db.agency_create(AgencyRow { id: "pakchong".into(), name: "again".into(), created_at: 2 }).await,
        Err(DbError::Conflict(_))
    ));
    let new_user = NewUser {
        agency_id: "pakchong".into(),
        username: "somchai".into(),
        display_name: "นายสมชาย ใจดี".into(),
        position: "เจ้าพนักงานธุรการ".into(),
        division: Some("palad".into()),
        roles: vec![Role::Staff, Role::DivisionHead],
        password_hash: "$argon2id$stored".into(),
        created_at: 3,
    };
    let user = db.user_create(new_user.clone()).await.expect("user");
    assert!(matches!(db.user_create(new_user).await, Err(DbError::Conflict(_))), "usernames are unique");
    assert_eq!(db.user_by_username("somchai".into()).await.expect("by name"), Some(user.clone()));
    assert_eq!(
        db.user_by_id(user.id).await.expect("by id").map(|u| u.roles),
        Some(vec![Role::Staff, Role::DivisionHead])
    );
    db.user_update(user.id, UserUpdate { disabled: Some(true), division: Some(None), ..UserUpdate::default() })
        .await
        .expect("update");
    let updated = db.user_by_id(user.id).await.expect("by id").expect("exists");
    assert!(updated.disabled);
    assert_eq!(updated.division, None);
    db.user_set_password(user.id, "$argon2id$new".into()).await.expect("password");
    assert_eq!(db.users_of_agency("pakchong".into()).await.expect("list")[0].password_hash, "$argon2id$new");

    // Sessions: by token hash and by peer; revoking one, then all of a user's.
    for (hash, peer) in [("t1", "p1"), ("t2", "p2")] {
        db.session_create(SessionRow {
            token_hash: hash.into(),
            user_id: user.id,
            peer_id: peer.into(),
            actor_id: "aa".into(),
            device: "tablet".into(),
            created_at: 4,
            expires_at: 5,
            revoked: false,
            read_only: false,
        })
        .await
        .expect("session");
    }
    assert_eq!(db.session_by_peer("p2".into()).await.expect("by peer").map(|s| s.token_hash), Some("t2".into()));
    db.session_revoke("t1".into()).await.expect("revoke one");
    assert!(db.session_by_token_hash("t1".into()).await.expect("by token").expect("exists").revoked);
    assert!(!db.session_by_token_hash("t2".into()).await.expect("by token").expect("exists").revoked);
    let listed = db.sessions_of_user(user.id).await.expect("sessions of a user");
    assert_eq!(
        listed.iter().map(|s| (s.peer_id.as_str(), s.revoked)).collect::<Vec<_>>(),
        [("p1", true), ("p2", false)]
    );
    assert_eq!(db.sessions_revoke_user(user.id).await.expect("revoke all"), vec!["p2".to_string()]);

    // The document registry.
    let row = DocumentRow {
        doc_id: "docA".into(),
        agency_id: "pakchong".into(),
        year: 2565,
        kind: DocKind::Results,
        division: Some("palad".into()),
        closed: false,
    };
    db.document_register(row.clone()).await.expect("register");
    assert_eq!(db.document("docA".into()).await.expect("document"), Some(row.clone()));
    assert_eq!(db.documents_of("pakchong".into(), 2565).await.expect("documents").len(), 1);
    assert_eq!(db.years_of("pakchong".into()).await.expect("years"), vec![2565]);

    // A closed year closes its documents; reopening opens them.
    let mut state = YearRow {
        agency_id: "pakchong".into(),
        year: 2565,
        closed: true,
        reason: "ส่งรายงานแล้ว".into(),
        changed_at: 1,
        changed_by: "admin".into(),
        continues: None,
        ita_result: None,
    };
    db.year_put(state.clone()).await.expect("close");
    assert!(db.document("docA".into()).await.expect("document").expect("exists").closed);
    assert!(db.documents_of("pakchong".into(), 2565).await.expect("documents").iter().all(|d| d.closed));
    state.closed = false;
    state.reason = "แก้ไขหลังเผยแพร่".into();
    db.year_put(state.clone()).await.expect("reopen");
    assert_eq!(db.document("docA".into()).await.expect("document"), Some(row));
    assert_eq!(db.year_rows("pakchong".into()).await.expect("years"), vec![state]);

    // The agency's profile.
    assert_eq!(db.agency_profile("pakchong".into()).await.expect("profile"), None);
    db.agency_set_profile("pakchong".into(), "{\"id\":\"pakchong\"}".into()).await.expect("set profile");
    assert_eq!(db.agency_profile("pakchong".into()).await.expect("profile").as_deref(), Some("{\"id\":\"pakchong\"}"));
    assert!(db.agency_set_profile("nobody".into(), "{}".into()).await.is_err(), "no such agency");
    assert!(db.documents_of("other".into(), 2565).await.expect("documents").is_empty());

    // Blobs are per agency.
    db.blob_put("pakchong".into(), "abc".into(), BlobRow { media_type: "image/jpeg".into(), data: vec![1, 2, 3] })
        .await
        .expect("blob");
    assert_eq!(db.blob_get("pakchong".into(), "abc".into()).await.expect("blob").map(|b| b.data), Some(vec![1, 2, 3]));
    assert_eq!(db.blob_get("other".into(), "abc".into()).await.expect("blob"), None);

    db.set_setting("k".into(), "v".into()).await.expect("setting");

    // Everything confirmed is there after reopening.
    drop(db);
    let db = reopen();
    assert_eq!(db.chunk_load("docA/incremental/h1".into()).await.expect("load"), Some(b"one again".to_vec()));
    assert_eq!(db.setting("k".into()).await.expect("setting"), Some("v".into()));
    assert!(db.user_by_username("somchai".into()).await.expect("user").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_storage_story() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let db = Sqlite::open(&path).expect("open");
    story(db, move || Sqlite::open(&path).expect("reopen")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_storage_story() {
    let cluster = prongsai_testpg::Cluster::start().expect("a PostgreSQL cluster of the test's own");
    cluster.create_database("prongsai").expect("a database");
    let url = cluster.url("prongsai");
    let db = Postgres::open(&url).await.expect("open");
    story(db, move || {
        let reopened = tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(Postgres::open(&url)));
        reopened.expect("reopen")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_file_is_refused_not_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("prongsai.sqlite3"), b"this is not a SQLite database at all, just text")
        .expect("write");
    let error = Sqlite::open(dir.path()).expect_err("a damaged file does not open");
    assert!(error.to_string().contains("prongsai.sqlite3"), "{error}");
}

/// Two servers on one PostgreSQL: an agency is one node's at a time, by a lease with a fencing
/// token, and a node whose lease another node took (it was paused, or cut off) has every write
/// of that agency's documents refused in the write's own transaction, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_leases_fence_off_a_node_that_lost_its_agency() {
    use prongsai_sync_server::db::{Lease, Node};
    let cluster = prongsai_testpg::Cluster::start().expect("a PostgreSQL cluster of the test's own");
    cluster.create_database("prongsai").expect("a database");
    let url = cluster.url("prongsai");
    let (one, two) = (Postgres::open(&url).await.expect("node 1"), Postgres::open(&url).await.expect("node 2"));
    let acquire = |db: &Postgres, node: &str, ttl: i64| {
        let node = Node { name: node.to_string(), address: format!("http://{node}.internal:8080") };
        let db = db.clone();
        async move { db.lease_acquire("pakchong".into(), node, ttl, false).await.expect("asks") }
    };

    let first = acquire(&one, "node-1", 60_000).await.expect("nobody held it");
    let holder = Node { name: "node-1".into(), address: "http://node-1.internal:8080".into() };
    assert_eq!(acquire(&two, "node-2", 60_000).await, Err(holder), "held by node 1, reached at its address");
    one.chunk_put("d/incremental/a".into(), b"a".to_vec(), Some(first.clone())).await.expect("the holder writes");
    assert!(one.lease_renew(first.clone(), 60_000).await.expect("renews"));

    // Node 1 restarts (the same name): it takes its agency back at once, with a new token, and
    // what its previous run still had in flight is refused.
    let second = acquire(&one, "node-1", 300).await.expect("its own agency again");
    assert!(second.token > first.token, "{second:?} after {first:?}");
    let fenced = one.chunk_put("d/incremental/b".into(), b"b".to_vec(), Some(first.clone())).await;
    assert!(matches!(fenced, Err(DbError::Fenced(_))), "the previous run's write: {fenced:?}");
    assert!(!one.lease_renew(first.clone(), 60_000).await.expect("asks"), "the previous run's lease is gone");

    // Node 1 stops renewing (paused): once its 300 ms run out, node 2 takes the agency.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let third: Lease = loop {
        match acquire(&two, "node-2", 60_000).await {
            Ok(lease) => break lease,
            Err(holder) => assert!(std::time::Instant::now() < deadline, "still held by {holder:?}"),
        }
        tokio::task::yield_now().await;
    };
    assert!(third.token > second.token);
    // Node 1 wakes up and writes, deletes and renews as if nothing happened: all refused.
    let put = one.chunk_put("d/incremental/c".into(), b"c".to_vec(), Some(second.clone())).await;
    assert!(matches!(put, Err(DbError::Fenced(ref m)) if m.contains("pakchong")), "{put:?}");
    let delete = one.chunk_delete("d/incremental/a".into(), Some(second.clone())).await;
    assert!(matches!(delete, Err(DbError::Fenced(_))), "{delete:?}");
    assert!(!one.lease_renew(second.clone(), 60_000).await.expect("asks"));
    let stored = two.chunk_load_prefix("d/".into()).await.expect("reads");
    assert_eq!(
        stored.keys().map(String::as_str).collect::<Vec<_>>(),
        vec!["d/incremental/a"],
        "only the holder's write"
    );
    two.chunk_put("d/incremental/c".into(), b"c".to_vec(), Some(third.clone())).await.expect("node 2 writes");

    // Node 2 stops and lets the agency go: node 1 takes it at once, the tokens still rising.
    two.lease_release(third.clone()).await.expect("releases");
    let fourth = acquire(&one, "node-1", 60_000).await.expect("free again");
    assert!(fourth.token > third.token, "a token is never reused: {fourth:?} after {third:?}");
    let late = two.chunk_put("d/incremental/d".into(), b"d".to_vec(), Some(third)).await;
    assert!(matches!(late, Err(DbError::Fenced(_))), "{late:?}");

    // An operator's command takes the agency from the node serving it, which is fenced off.
    let command = two
        .lease_acquire("pakchong".into(), Node { name: "cli".into(), address: String::new() }, 60_000, true)
        .await
        .expect("asks");
    let command = command.expect("taken over");
    assert!(command.token > fourth.token);
    let served = one.chunk_put("d/incremental/e".into(), b"e".to_vec(), Some(fourth)).await;
    assert!(matches!(served, Err(DbError::Fenced(_))), "{served:?}");

    // The nodes sign their requests to each other with one key, made by whichever asked first.
    let (a, b) = tokio::join!(one.cluster_secret(), two.cluster_secret());
    let (a, b) = (a.expect("asks").expect("a key"), b.expect("asks").expect("a key"));
    assert_eq!(a, b, "one key for every node");
    assert_eq!(a.len(), 32);
    assert_ne!(a, vec![0; 32]);
}
