//! Releases meet: the data directory that release 37b3371 left (its sample agency-year, with
//! results its own field device wrote through its own server; how it was made is in
//! `tests/fixtures/release-37b3371/make.sh`) opens in this server with nothing lost, and the
//! agency goes on working in it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use prongsai_core::automerge::{AutoSerde, Automerge, ChangeHash, ReadDoc};
use prongsai_core::model::{DocKey, DocKind};
use prongsai_tests::{Account, Sample, Server, device, eventually, signed_in_api};

const LONG: Duration = Duration::from_secs(60);
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/release-37b3371");
/// What the old release's field device appended to กองคลัง's result of m4, edit by edit.
const WRITTEN_BY_THE_OLD_DEVICE: &str = "[old.0][old.1][old.2]";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create");
    for entry in std::fs::read_dir(from).expect("read the fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// One document as the old release stored it.
struct OldDocument {
    key: DocKey,
    heads: Vec<ChangeHash>,
    json: serde_json::Value,
}

/// Every document in the old database, read straight from its tables (before this release's
/// server has touched the file), by document id.
fn old_documents(db: &Path) -> BTreeMap<String, OldDocument> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("opens");
    let mut rows = conn.prepare("SELECT doc_id, kind, division FROM documents").expect("old documents table");
    let listed: Vec<(String, String, Option<String>)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut chunks = conn.prepare("SELECT data FROM chunks WHERE key LIKE ?1 || '/%' ORDER BY key").expect("chunks");
    listed
        .into_iter()
        .map(|(doc_id, kind, division)| {
            let bytes: Vec<u8> = chunks
                .query_map([&doc_id], |r| r.get::<_, Vec<u8>>(0))
                .expect("query")
                .collect::<Result<Vec<_>, _>>()
                .expect("chunks")
                .concat();
            let doc = Automerge::load(&bytes).expect("the old chunks load");
            let kind = DocKind::parse(&kind).expect("a known kind");
            let key = DocKey { kind, division };
            let json = serde_json::to_value(AutoSerde::from(&doc)).expect("json");
            (doc_id, OldDocument { key, heads: doc.get_heads(), json })
        })
        .collect()
}

/// Everything in `old` is in `new`: each key with its value (new keys may be added), lists and
/// text as they were.
fn contains(new: &serde_json::Value, old: &serde_json::Value, path: &str) -> Result<(), String> {
    use serde_json::Value;
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => o.iter().try_for_each(|(k, v)| match n.get(k) {
            Some(nv) => contains(nv, v, &format!("{path}/{k}")),
            None => Err(format!("{path}/{k} is gone")),
        }),
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => {
            o.iter().zip(n).enumerate().try_for_each(|(i, (ov, nv))| contains(nv, ov, &format!("{path}[{i}]")))
        }
        _ if old == new => Ok(()),
        _ => Err(format!("{path} was {old}, is {new}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_releases_data_opens_with_nothing_lost_and_the_agency_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    copy_dir(Path::new(FIXTURE).join("data").as_path(), &data);
    let accounts: Vec<Account> = serde_json::from_str(
        &std::fs::read_to_string(Path::new(FIXTURE).join("accounts.json")).expect("the old release's accounts"),
    )
    .expect("accounts");
    let old = old_documents(&data.join("prongsai.sqlite3"));
    assert!(old.len() >= 10, "the old release's agency-year: {} documents", old.len());

    let server = Server::start(&data, 0, &[]).await;
    // The file is now at this release's numbered schema version (it had none).
    let version: i64 = rusqlite::Connection::open(data.join("prongsai.sqlite3"))
        .expect("opens")
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| r.get(0))
        .expect("numbered");
    assert_eq!(version, prongsai_sync_server::db::migrations::latest());
    let sample = Sample::in_directory(dir, accounts);
    // Old passwords still sign in.
    let coordinator = sample.accounts.iter().find(|a| a.role == "coordinator").expect("a coordinator").username.clone();
    let admin = sample.accounts.iter().find(|a| a.role == "admin").expect("an admin").username.clone();
    let login = prongsai_client::ServerApi::new(server.url())
        .login(&coordinator, sample.password(&coordinator), "test")
        .await
        .expect("an old password signs in");
    let api = prongsai_client::ServerApi::new(server.url()).with_token(&login.token);

    // Every document is listed under the same id and key.
    let listed = api.documents("pakchong", 2565).await.expect("the year's documents");
    for (id, doc) in &old {
        let entry = listed.iter().find(|e| e.document_id() == id).unwrap_or_else(|| panic!("{id} is not listed"));
        assert_eq!((entry.kind, &entry.division), (doc.key.kind, &doc.key.division), "{id}");
        assert!(entry.writable || entry.kind != DocKind::Plan, "the coordinator still writes the plan");
    }

    // A device of this release fetches each one: every old change is there and every value too.
    let device_dir = sample.device_dir("new");
    let device = device(&server, &device_dir, &coordinator, sample.password(&coordinator)).await;
    let year = device.agency_year(2565).await.expect("the old year loads in this release's model");
    for doc in old.values() {
        let new = device.document(2565, &doc.key).await.expect("on the device");
        for head in &doc.heads {
            assert!(new.get_change_by_hash(head).is_some(), "{}: change {head} is missing", doc.key);
        }
        let json = serde_json::to_value(AutoSerde::from(&new)).expect("json");
        contains(&json, &doc.json, &doc.key.to_string()).unwrap_or_else(|e| panic!("{e}"));
    }
    // And this release's reading of them: the plan, the old device's results, the letterhead.
    assert_eq!(year.measures().len(), 8);
    assert_eq!(
        year.result("m4", "klang").map(|r| r.text.as_str().to_string()).as_deref(),
        Some(WRITTEN_BY_THE_OLD_DEVICE)
    );
    let overview = api.overview("pakchong").await.expect("the agency's overview");
    assert_eq!(overview.profile.divisions.len(), 6, "{overview:?}");
    assert!(overview.years.iter().any(|y| y.year == 2565 && !y.closed), "{overview:?}");

    // The agency goes on: a new edit is confirmed, the old year rolls over, the report renders.
    // The same person who wrote with the old release goes on with this one.
    let writer = sample.accounts.iter().find(|a| a.division.as_deref() == Some("klang") && a.role == "staff");
    let writer = writer.expect("กองคลัง's staff").username.clone();
    let staff = prongsai_tests::device(&server, &sample.device_dir("staff"), &writer, sample.password(&writer)).await;
    staff.agency_year(2565).await.expect("the year on the staff's new device");
    prongsai_tests::append_result(&staff, "klang", "m4", "[new.0]").await.expect("edits");
    assert!(staff.wait_confirmed(LONG).await, "the server confirms the new edit");
    let admin_api = signed_in_api(&server, &sample, &admin).await;
    let (next, created) = admin_api.next_year("pakchong", 2565).await.expect("rolls over");
    assert!(created && next.year == 2566);
    let next_docs = admin_api.documents("pakchong", 2566).await.expect("the new year's documents");
    assert!(next_docs.iter().any(|e| e.kind == DocKind::Plan));
    let pdf = reqwest::Client::new()
        .get(server.url().join("api/agencies/pakchong/years/2565/reports/pdf").expect("url"))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("asks");
    assert_eq!(pdf.status(), 200);
    // The photo the old device attached is served as it was stored.
    let sha = std::fs::read_to_string(Path::new(FIXTURE).join("photo.sha256")).expect("the photo's hash");
    let sha = sha.trim();
    let result = year.result("m4", "klang").expect("กองคลัง's result");
    assert!(result.evidence.values().any(|e| e.sha256.as_deref() == Some(sha)), "the evidence item is kept");
    let photo = reqwest::Client::new()
        .get(server.url().join(&format!("api/blobs/{sha}")).expect("url"))
        .bearer_auth(&login.token)
        .send()
        .await
        .expect("asks");
    assert_eq!(photo.status(), 200);
    let bytes = photo.bytes().await.expect("body");
    assert_eq!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)), sha);
    assert!(pdf.bytes().await.expect("body").starts_with(b"%PDF"));

    // A second device sees the old text and the new one together.
    let other = prongsai_tests::device(&server, &sample.device_dir("other"), &admin, sample.password(&admin)).await;
    eventually("the second device has both edits", LONG, || {
        let other = other.clone();
        async move {
            other.agency_year(2565).await.is_ok_and(|y| {
                y.result("m4", "klang")
                    .is_some_and(|r| r.text.as_str() == format!("{WRITTEN_BY_THE_OLD_DEVICE}[new.0]"))
            })
        }
    })
    .await;
    device.shutdown().await;
    staff.shutdown().await;
    other.shutdown().await;
}
