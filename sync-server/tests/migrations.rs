//! The schema's numbered migrations on SQLite: a new data directory, and one an older release
//! left, both end at this release's version with the same tables; opening again changes nothing;
//! a file a newer release wrote is refused, by name, and left as it was.

use std::path::Path;

use prongsai_sync_server::Sqlite;
use prongsai_sync_server::db::migrations;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/release-37b3371/data/prongsai.sqlite3");

fn connection(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("prongsai.sqlite3")).expect("the file opens")
}

/// The recorded migrations: (version, name, applied_at).
fn recorded(dir: &Path) -> Vec<(i64, String, i64)> {
    let conn = connection(dir);
    let mut rows =
        conn.prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").expect("table");
    rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Every table's columns and every index and trigger, as SQLite describes them.
fn shape(dir: &Path) -> Vec<String> {
    let conn = connection(dir);
    let mut objects = conn
        .prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .expect("master");
    let objects: Vec<(String, String)> =
        objects.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").collect::<Result<_, _>>().expect("rows");
    let mut shape = Vec::new();
    for (kind, name) in objects {
        if kind == "table" {
            let mut columns =
                conn.prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?1) ORDER BY name").expect("info");
            let columns: Vec<String> = columns
                .query_map([&name], |r| {
                    Ok(format!("{}:{}:{}", r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
                })
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            shape.push(format!("table {name} ({})", columns.join(", ")));
        } else {
            shape.push(format!("{kind} {name}"));
        }
    }
    shape
}

#[test]
fn a_new_data_directory_starts_at_the_latest_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Sqlite::open(dir.path()).expect("opens"));
    let versions: Vec<i64> = recorded(dir.path()).into_iter().map(|(v, _, _)| v).collect();
    assert_eq!(versions, (1..=migrations::latest()).collect::<Vec<_>>());
}

#[test]
fn an_older_releases_file_is_brought_to_the_same_schema_once_and_keeps_its_data() {
    let old = tempfile::tempdir().expect("tempdir");
    std::fs::copy(FIXTURE, old.path().join("prongsai.sqlite3")).expect("a copy of 37b3371's file");
    let before = shape(old.path());
    assert!(!before.iter().any(|t| t.starts_with("table schema_migrations")), "37b3371 had no numbered versions");
    assert!(!before.iter().any(|t| t.starts_with("table years")), "nor the years table: {before:#?}");
    let count = |dir: &Path, table: &str| -> i64 {
        connection(dir).query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).expect("count")
    };
    let (users, chunks) = (count(old.path(), "users"), count(old.path(), "chunks"));

    drop(Sqlite::open(old.path()).expect("the old file opens"));
    let new = tempfile::tempdir().expect("tempdir");
    drop(Sqlite::open(new.path()).expect("a new file"));
    assert_eq!(
        shape(old.path()),
        shape(new.path()),
        "upgraded and new files have the same tables, columns, indexes and triggers"
    );
    assert_eq!((count(old.path(), "users"), count(old.path(), "chunks")), (users, chunks), "nothing lost");
    let first = recorded(old.path());
    assert_eq!(first.iter().map(|(v, _, _)| *v).max(), Some(migrations::latest()));

    // Opened again: nothing to do, nothing recorded again.
    drop(Sqlite::open(old.path()).expect("opens again"));
    assert_eq!(recorded(old.path()), first);
}

#[test]
fn a_file_a_newer_release_wrote_is_refused_by_name_and_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Sqlite::open(dir.path()).expect("opens"));
    let newer = migrations::latest() + 1;
    connection(dir.path())
        .execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'from the future', 0)", [newer])
        .expect("a newer release's record");
    let before = (shape(dir.path()), recorded(dir.path()));

    for refused in [Sqlite::open(dir.path()).map(drop), Sqlite::open_read_only(dir.path()).map(drop)] {
        let message = refused.expect_err("a newer release's file is not touched").to_string();
        assert!(
            message.contains(&dir.path().join("prongsai.sqlite3").display().to_string())
                && message.contains(&format!("schema version {newer}"))
                && message.contains("newer release"),
            "{message}"
        );
    }
    assert_eq!((shape(dir.path()), recorded(dir.path())), before);
}

/// The same rules on PostgreSQL, in a cluster of the test's own: a new database starts at the
/// latest version (two servers starting together take turns), a second start records nothing; a
/// newer release's database, a database that is not Prongsai's and a server without `fsync` are
/// refused with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_numbers_its_schema_the_same_way_and_refuses_what_it_must_not_touch() {
    use prongsai_sync_server::db::postgres::Postgres;
    let cluster = prongsai_testpg::Cluster::start().expect("a PostgreSQL cluster of the test's own");
    let versions =
        |db: &str| cluster.psql(db, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations");
    let all: Vec<String> = (1..=migrations::latest()).map(|v| v.to_string()).collect();

    cluster.create_database("fresh").expect("a database");
    let url = cluster.url("fresh");
    let (one, two) = tokio::join!(Postgres::open(&url), Postgres::open(&url));
    one.expect("the first start");
    two.expect("the second start, at the same moment");
    assert_eq!(versions("fresh").expect("numbered"), all.join(","));
    let applied_at = cluster.psql("fresh", "SELECT applied_at FROM schema_migrations WHERE version = 1").expect("row");
    Postgres::open(&url).await.expect("starts again");
    assert_eq!(
        cluster.psql("fresh", "SELECT applied_at FROM schema_migrations WHERE version = 1").expect("row"),
        applied_at
    );

    cluster
        .psql(
            "fresh",
            &format!("INSERT INTO schema_migrations VALUES ({}, 'from the future', 0)", migrations::latest() + 1),
        )
        .expect("a newer release's record");
    let newer = Postgres::open(&url).await.err().expect("refused").to_string();
    assert!(newer.contains("newer release") && newer.contains("/fresh"), "{newer}");

    cluster.create_database("other").expect("a database");
    cluster.psql("other", "CREATE TABLE invoices (id int)").expect("someone else's table");
    let other = Postgres::open(&cluster.url("other")).await.err().expect("refused").to_string();
    assert!(other.contains("not a Prongsai database"), "{other}");
    assert_eq!(cluster.psql("other", "SELECT to_regclass('chunks') IS NULL").expect("query"), "t", "left as it was");

    cluster.psql("postgres", "ALTER SYSTEM SET fsync = off").expect("fsync off");
    cluster.psql("postgres", "SELECT pg_reload_conf()").expect("reload");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while cluster.psql("postgres", "SHOW fsync").expect("show") != "off" {
        assert!(std::time::Instant::now() < deadline, "the server never read its new setting");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cluster.create_database("unsafe").expect("a database");
    let unsafe_db = Postgres::open(&cluster.url("unsafe")).await.err().expect("refused").to_string();
    assert!(unsafe_db.contains("fsync=off"), "{unsafe_db}");
}
