//! Operating the server: its data in PostgreSQL or in a data directory, backups, restores,
//! checks and moves between the two. Every command is the real `prongsai-server` binary; every
//! PostgreSQL is a throwaway cluster of the test's own.

use std::time::Duration;

use prongsai_tests::{Sample, Server, YEAR, append_result, cli, device, eventually_seen};

const LONG: Duration = Duration::from_secs(90);

/// What somchai's division reports on measure m4, as a fresh device of another user reads it
/// from `server`.
async fn m4_as_read_afresh(server: &Server, sample: &Sample, name: &str) -> String {
    let reader = device(server, &sample.device_dir(name), "kannika", sample.password("kannika")).await;
    let text = eventually_seen("a fresh device reads the year", LONG, || async {
        let year = reader.agency_year(YEAR).await.map_err(|e| e.to_string())?;
        year.result("m4", "palad").map(|r| r.text.as_str().to_string()).ok_or_else(|| "no result yet".to_string())
    })
    .await;
    reader.shutdown().await;
    text
}

/// `--database postgres://…` (or `PRONGSAI_DATABASE`) keeps everything in PostgreSQL: the sample
/// is created there, the server serves it, an edit confirmed as durable is there after a
/// SIGKILL, and the other commands (agency list, export, user add, audit) work on it, without a
/// data directory anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_its_data_in_postgresql_when_given_a_database() {
    let sample = Sample::create_on_postgres().await;
    let url = sample.postgres().expect("a cluster").url("prongsai");
    assert!(!sample.data().exists(), "nothing is written to a data directory");

    let agencies: serde_json::Value =
        serde_json::from_str(&cli(&["agency", "list", "--database", &url], None).await).expect("json");
    assert_eq!(agencies[0]["id"], "pakchong", "{agencies}");
    assert_eq!(agencies[0]["years"][0], YEAR, "{agencies}");

    let mut server = Server::start(&sample.data(), 0, &[]).await;
    let palad = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("the year loads");
    append_result(&palad, "palad", "m4", " [บันทึกใน PostgreSQL]").await.expect("an edit");
    assert!(palad.wait_confirmed(LONG).await, "the server confirms the edit as durable");
    palad.shutdown().await;
    server.kill().await;
    assert!(!sample.data().exists(), "still nothing in a data directory");

    server.restart().await;
    let text = m4_as_read_afresh(&server, &sample, "after-kill").await;
    assert!(text.contains("[บันทึกใน PostgreSQL]"), "the confirmed edit survived a SIGKILL: {text}");

    let out = tempfile::tempdir().expect("tempdir");
    let html = out.path().join("report.html");
    let args = ["export", "--database", &url, "--agency", "pakchong", "--year", "2565", "--format", "html", "-o"];
    cli(&[&args[..], &[html.to_str().expect("utf-8")]].concat(), None).await;
    let report = std::fs::read_to_string(&html).expect("the report");
    assert!(report.contains("องค์การบริหารส่วนตำบลปากช่อง"), "the report is the agency's");
    let args = ["user", "add", "--database", &url, "--agency", "pakchong", "--username", "newcomer"];
    cli(&[&args[..], &["--display-name", "ผู้มาใหม่", "--role", "viewer"]].concat(), None).await;
    let audit = cli(&["audit", "--database", &url, "--agency", "pakchong"], None).await;
    assert!(audit.contains("newcomer"), "the audit log holds the operator's change: {audit}");
}

/// A database the server cannot use is refused with a reason and a non-zero exit, and a
/// password in its URL never appears in what the server prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_it_cannot_use_is_refused_without_showing_its_password() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
    let url = format!("postgres://prongsai:hunter2-secret@127.0.0.1:{closed}/prongsai");
    for args in
        [vec!["agency", "list", "--database", &url], vec!["serve", "--database", &url, "--listen", "127.0.0.1:0"]]
    {
        let (ok, stdout, stderr) = run(&args).await;
        assert!(!ok, "{args:?} succeeded on a database that is not there");
        assert!(!stdout.contains("listening on"), "{stdout}");
        assert!(stderr.contains("127.0.0.1") && stderr.contains("cannot be reached"), "the reason: {stderr}");
        assert!(!stderr.contains("hunter2") && !stdout.contains("hunter2"), "the password was shown: {stderr}");
    }
}

/// A throwaway PostgreSQL cluster with an empty `prongsai` database.
async fn empty_postgres() -> prongsai_testpg::Cluster {
    tokio::task::spawn_blocking(|| {
        let cluster = prongsai_testpg::Cluster::start().expect("a PostgreSQL cluster starts");
        cluster.create_database("prongsai").expect("a database");
        cluster
    })
    .await
    .expect("starting PostgreSQL")
}

/// `prongsai-server ARGS…`: whether it succeeded, its stdout and its stderr.
async fn run(args: &[&str]) -> (bool, String, String) {
    prongsai_tests::run_cli(args, None).await
}

/// Each stored document's id and heads, as `verify` reports them (it must find no fault).
async fn verified_heads(args: &[&str]) -> Vec<(String, Vec<String>)> {
    let (ok, stdout, stderr) = run(&[&["verify"], args].concat()).await;
    assert!(ok, "verify {args:?} found faults: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("verify prints JSON");
    assert_eq!(report["faults"], serde_json::json!([]), "{report}");
    let documents = report["documents"].as_array().expect("documents");
    assert!(!documents.is_empty() && documents.iter().all(|d| d["agency"] == "pakchong"), "{report}");
    documents
        .iter()
        .map(|d| {
            let heads = d["heads"].as_array().expect("heads").iter().map(|h| h.as_str().expect("hex").into()).collect();
            (d["id"].as_str().expect("id").to_string(), heads)
        })
        .collect()
}

/// somchai's device appends `text` to his division's result of m4 through `server`, and the
/// server confirms it as durable.
async fn confirmed_edit(server: &Server, sample: &Sample, device_name: &str, text: &str) {
    let palad = device(server, &sample.device_dir(device_name), "somchai", sample.password("somchai")).await;
    palad.agency_year(YEAR).await.expect("the year loads");
    append_result(&palad, "palad", "m4", text).await.expect("an edit");
    assert!(palad.wait_confirmed(LONG).await, "the server confirms the edit");
    palad.shutdown().await;
}

/// The sample moves from its data directory to PostgreSQL, is served and edited there, and
/// moves back to a new data directory: every document has the same heads in all three places
/// (`verify`), both edits are served from the end, and a target that holds data is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_moves_to_postgresql_and_back_with_every_change() {
    let sample = Sample::create_on_sqlite().await;
    let data = sample.data();
    let mut server = Server::start(&data, 0, &[]).await;
    confirmed_edit(&server, &sample, "on-sqlite", " [ก่อนย้าย]").await;
    server.kill().await;
    let dir = data.to_str().expect("utf-8").to_string();
    let on_sqlite = verified_heads(&["--data", &dir]).await;

    let cluster = empty_postgres().await;
    let url = cluster.url("prongsai");
    let moved = cli(&["migrate", "--from", &dir, "--to", &url], None).await;
    let moved: serde_json::Value = serde_json::from_str(&moved).expect("migrate prints JSON");
    assert!(moved["rows"]["chunks"].as_u64().is_some_and(|n| n > 0), "{moved}");
    assert_eq!(verified_heads(&["--database", &url]).await, on_sqlite, "PostgreSQL holds what SQLite held");

    // Served from PostgreSQL, edited there.
    let mut on_pg = Server::start(&data, 0, &["--database", &url]).await;
    confirmed_edit(&on_pg, &sample, "on-postgres", " [หลังย้าย]").await;
    on_pg.kill().await;
    let after_edit = verified_heads(&["--database", &url]).await;
    assert_ne!(after_edit, on_sqlite, "the edit changed a document's heads");

    // Back into a new data directory.
    let back = sample.dir.path().join("back");
    let back_dir = back.to_str().expect("utf-8").to_string();
    cli(&["migrate", "--from", &url, "--to", &back_dir], None).await;
    assert_eq!(verified_heads(&["--data", &back_dir]).await, after_edit, "SQLite holds what PostgreSQL held");
    let server = Server::start(&back, 0, &[]).await;
    let text = m4_as_read_afresh(&server, &sample, "reader").await;
    assert!(text.contains("[ก่อนย้าย]") && text.contains("[หลังย้าย]"), "both edits are served: {text}");
    drop(server);

    // A target that holds data is refused, and left as it was.
    let (ok, _, stderr) = run(&["migrate", "--from", &back_dir, "--to", &url]).await;
    assert!(!ok && stderr.contains("already holds data"), "a database with data is refused: {stderr}");
    let (ok, _, stderr) = run(&["migrate", "--from", &url, "--to", &dir]).await;
    assert!(!ok && stderr.contains("already exists"), "a data directory with a database is refused: {stderr}");
    assert_eq!(verified_heads(&["--database", &url]).await, after_edit, "the refused target is unchanged");
    assert_eq!(verified_heads(&["--data", &dir]).await, on_sqlite, "the refused directory is unchanged");
}

/// `backup` takes a consistent copy while the server runs and a device keeps writing; the
/// copy verifies, restores into an empty directory and serves every change confirmed before it
/// was taken. A truncated backup, a file that is not one, and a directory that holds data are
/// refused with a reason and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_and_a_bad_one_is_refused() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    confirmed_edit(&server, &sample, "before", " [ก่อนสำรอง]").await;

    // A device keeps writing while the backup is taken.
    let writer = device(&server, &sample.device_dir("writer"), "somchai", sample.password("somchai")).await;
    writer.agency_year(YEAR).await.expect("the year loads");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writing = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                append_result(&writer, "palad", "m4", &format!(" [{i}]")).await.expect("an edit");
                i += 1;
                tokio::task::yield_now().await;
            }
            writer.shutdown().await;
            i
        })
    };
    let backups = tempfile::tempdir().expect("tempdir");
    let file = backups.path().join("prongsai-backup.sqlite3");
    let file_arg = file.to_str().expect("utf-8").to_string();
    let data_arg = sample.data().to_str().expect("utf-8").to_string();
    cli(&["backup", "--data", &data_arg, "-o", &file_arg], None).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writing.await.expect("the writer");
    assert!(written > 0, "the device wrote during the backup");
    let in_backup = verified_heads(&[&file_arg]).await;

    let restored = sample.dir.path().join("restored");
    let restored_arg = restored.to_str().expect("utf-8").to_string();
    cli(&["restore", "--data", &restored_arg, &file_arg], None).await;
    assert_eq!(verified_heads(&["--data", &restored_arg]).await, in_backup, "the restore holds the backup");
    drop(server);
    let served = Server::start(&restored, 0, &[]).await;
    let text = m4_as_read_afresh(&served, &sample, "reader").await;
    assert!(text.contains("[ก่อนสำรอง]"), "a change confirmed before the backup is restored: {text}");
    drop(served);

    // Refused, with a reason, changing nothing.
    let bytes = std::fs::read(&file).expect("the backup");
    let truncated = backups.path().join("truncated.sqlite3");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("a truncated copy");
    let not_a_backup = backups.path().join("report.pdf");
    std::fs::write(&not_a_backup, b"%PDF-1.7\n% not a database at all\n").expect("a wrong file");
    for (bad, reason) in [(&truncated, "malformed"), (&not_a_backup, "not a database")] {
        let target = sample.dir.path().join("refused");
        let bad_arg = bad.to_str().expect("utf-8");
        let (ok, _, stderr) = run(&["restore", "--data", target.to_str().expect("utf-8"), bad_arg]).await;
        assert!(!ok, "{bad_arg} was restored");
        assert!(stderr.contains(bad_arg) && stderr.contains(reason), "the reason names the file: {stderr}");
        assert!(!target.join("prongsai.sqlite3").exists(), "nothing was restored from {bad_arg}");
        let (ok, _, stderr) = run(&["verify", bad_arg]).await;
        assert!(!ok && stderr.contains(bad_arg), "verify refuses {bad_arg}: {stderr}");
    }
    let before = std::fs::read(restored.join("prongsai.sqlite3")).expect("the restored database");
    let (ok, _, stderr) = run(&["restore", "--data", &restored_arg, &file_arg]).await;
    assert!(!ok && stderr.contains("already exists"), "a directory with a database is refused: {stderr}");
    assert_eq!(std::fs::read(restored.join("prongsai.sqlite3")).expect("still there"), before, "and left unchanged");
}

/// Every file of a ZIP archive, by name.
fn unzip(path: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read as _;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).expect("the export")).expect("a ZIP file");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("an entry");
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).expect("readable");
            (file.name().expect("a name").to_string(), bytes)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// An agency that leaves: `agency export` writes everything of it into one file (its documents
/// open with the heads the server holds, its users without password hashes, its evidence file
/// and its audit log), and `agency delete`, once confirmed, removes all of it, leaving the other
/// agency working and, on SQLite, not a byte of it in the data directory's files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_that_leaves_takes_all_of_its_data_and_leaves_none() {
    let sample = Sample::create().await;
    let data = sample.data();
    let dir = data.to_str().expect("utf-8").to_string();
    let args = ["agency", "create", "--data", &dir, "--id", "nongbua", "--name", "องค์การบริหารส่วนตำบลหนองบัว"];
    let other: serde_json::Value = serde_json::from_str(&cli(&args, None).await).expect("json");
    let other_password = other["admin"]["password"].as_str().expect("a password").to_string();
    let other_admin = other["admin"]["username"].as_str().expect("a username").to_string();
    let icon = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png");
    cli(&["agency", "emblem", "--data", &dir, "--id", "pakchong", "--file", icon.to_str().expect("utf-8")], None).await;
    let mut server = Server::start(&data, 0, &[]).await;
    confirmed_edit(&server, &sample, "palad", " [ก่อนออก]").await;
    server.kill().await;
    let held = verified_heads(&["--data", &dir]).await;

    // The export.
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("pakchong.zip");
    let exported =
        cli(&["agency", "export", "--data", &dir, "--agency", "pakchong", "-o", file.to_str().expect("utf-8")], None)
            .await;
    let exported: serde_json::Value = serde_json::from_str(&exported).expect("json");
    let files = unzip(&file);
    let json = |name: &str| -> serde_json::Value { serde_json::from_slice(&files[name]).expect(name) };
    assert_eq!(json("agency.json")["name"], "องค์การบริหารส่วนตำบลปากช่อง");
    let mut documents: Vec<(String, Vec<String>)> = Vec::new();
    for doc in json("documents.json").as_array().expect("documents") {
        let bytes = &files[doc["file"].as_str().expect("a file")];
        let loaded = prongsai_core::automerge::Automerge::load(bytes).expect("an Automerge document");
        let mut heads: Vec<String> = loaded.get_heads().iter().map(ToString::to_string).collect();
        heads.sort();
        assert_eq!(serde_json::json!(heads), doc["heads"], "the file holds the heads it declares");
        documents.push((doc["id"].as_str().expect("id").to_string(), heads));
    }
    documents.sort();
    let mut held_sorted = held.clone();
    held_sorted.sort();
    assert_eq!(documents, held_sorted, "every document, with the heads the server holds");
    let users = json("users.json");
    for account in &sample.accounts {
        assert!(users.as_array().expect("users").iter().any(|u| u["username"] == account.username.as_str()));
    }
    assert!(!users.to_string().contains(&other_admin), "no user of the other agency");
    assert!(files.values().all(|bytes| !contains(bytes, "$argon2")), "no password hash is exported");
    let emblem = std::fs::read(&icon).expect("the icon");
    let blob = &json("blobs.json")[0];
    assert_eq!(files[blob["file"].as_str().expect("a file")], emblem, "the evidence file, whole");
    assert!(json("audit.json").to_string().contains("emblem"), "the audit log: {}", json("audit.json"));
    assert_eq!(exported["documents"].as_u64(), Some(held.len() as u64), "{exported}");

    // Not confirmed: nothing happens.
    let (ok, _, stderr) =
        run(&["agency", "delete", "--data", &dir, "--agency", "pakchong", "--confirm", "nongbua"]).await;
    assert!(!ok && stderr.contains("not confirmed"), "{stderr}");
    assert_eq!(verified_heads(&["--data", &dir]).await, held, "nothing was removed");

    let files_of = |data: &std::path::Path| -> Vec<Vec<u8>> {
        std::fs::read_dir(data).into_iter().flatten().flatten().filter_map(|e| std::fs::read(e.path()).ok()).collect()
    };
    if sample.postgres().is_none() {
        assert!(files_of(&data).iter().any(|f| contains(f, "somchai")), "the file holds the agency's users before");
    }
    let removed = cli(&["agency", "delete", "--data", &dir, "--agency", "pakchong"], Some("pakchong\n")).await;
    let removed: serde_json::Value = serde_json::from_str(&removed).expect("json");
    for table in ["chunks", "documents", "users", "audit_log", "blobs", "agencies"] {
        assert!(removed["removed"][table].as_u64().is_some_and(|n| n > 0), "{table}: {removed}");
    }

    let agencies = cli(&["agency", "list", "--data", &dir], None).await;
    assert!(!agencies.contains("pakchong") && agencies.contains("nongbua"), "{agencies}");
    let (ok, stdout, stderr) = run(&["verify", "--data", &dir]).await;
    assert!(ok, "what stays is sound: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!((report["chunks"].as_u64(), report["agencies"].as_u64()), (Some(0), Some(1)), "{report}");
    if sample.postgres().is_none() {
        for bytes in files_of(&data) {
            for trace in ["somchai", "pakchong", "ปากช่อง"] {
                assert!(!contains(&bytes, trace), "the data directory still holds {trace:?}");
            }
        }
    }

    server.restart().await;
    let api = prongsai_client::ServerApi::new(server.url());
    api.login(&other_admin, &other_password, "test").await.expect("the other agency's admin signs in");
    let refused = api.login("somchai", sample.password("somchai"), "test").await;
    assert!(matches!(refused, Err(prongsai_client::ApiError::Unauthorized)), "{refused:?}");
}
