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
