//! A whole database moved from one place to another (`backup`, `restore`, `migrate`), and a
//! database checked (`verify`).
//!
//! A copy reads every table in one consistent snapshot (a read transaction on SQLite, a
//! `REPEATABLE READ` one on PostgreSQL) while servers keep writing, and streams the rows, table by
//! table in batches, to the target, which writes them in one transaction: the target ends with
//! all of it or, on any fault, as it was. A target that already holds data is refused. A backup
//! is a single SQLite file whatever the backend; restoring it anywhere is a copy from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use prongsai_core::automerge::{Automerge, ReadDoc as _};
use tokio::sync::mpsc;

use super::postgres::Postgres;
use super::store::{Location, Store};
use super::{Database, DbError};

/// Every table of the schema that holds data, parents before children (foreign keys).
/// `schema_migrations` is not copied: the target records its own.
pub const TABLES: &[&str] = &[
    "agencies",
    "users",
    "sessions",
    "recovery_codes",
    "documents",
    "years",
    "blobs",
    "audit_log",
    "chunks",
    "settings",
];

/// The tables whose rows mean a database holds someone's data (settings alone do not: a server
/// started once on an empty database keeps its actor id there).
pub const DATA_TABLES: &[&str] = &["agencies", "users", "documents", "blobs", "audit_log", "chunks"];

/// A batch is sent when it holds this many bytes (or [`BATCH_ROWS`] rows).
const BATCH_BYTES: usize = 8 * 1024 * 1024;
const BATCH_ROWS: usize = 500;

/// One stored value, as both backends hold it (PostgreSQL's booleans are SQLite's 0 and 1).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    fn size(&self) -> usize {
        match self {
            Value::Null | Value::Int(_) => 8,
            Value::Text(t) => t.len(),
            Value::Bytes(b) => b.len(),
        }
    }
}

/// What a source sends its target, in order: each table's columns then its rows, and `End`
/// once the whole snapshot was read (a target commits only after it).
#[derive(Debug)]
pub enum Batch {
    Table { name: &'static str, columns: Vec<String> },
    Rows(Vec<Vec<Value>>),
    End,
}

/// Collects rows into batches; [`Batcher::ready`] hands out the batches completed so far.
#[derive(Default)]
pub(crate) struct Batcher {
    rows: Vec<Vec<Value>>,
    bytes: usize,
    ready: Vec<Batch>,
}

impl Batcher {
    pub(crate) fn table(&mut self, name: &'static str, columns: Vec<String>) {
        self.flush();
        self.ready.push(Batch::Table { name, columns });
    }

    pub(crate) fn row(&mut self, row: Vec<Value>) {
        self.bytes += row.iter().map(Value::size).sum::<usize>();
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS || self.bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    pub(crate) fn end(&mut self) {
        self.flush();
        self.ready.push(Batch::End);
    }

    /// The batches completed since the last call, in order.
    pub(crate) fn ready(&mut self) -> std::vec::Drain<'_, Batch> {
        self.ready.drain(..)
    }

    fn flush(&mut self) {
        self.bytes = 0;
        if !self.rows.is_empty() {
            self.ready.push(Batch::Rows(std::mem::take(&mut self.rows)));
        }
    }
}

/// Rows copied, by table.
pub type Counts = BTreeMap<String, u64>;

/// Where a copy reads from or writes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// One SQLite file: a backup.
    File(PathBuf),
    /// A data directory (`prongsai.sqlite3` in it) or a PostgreSQL database.
    Storage(Location),
}

impl Place {
    /// A PostgreSQL URL, an existing file (a backup), or a data directory.
    pub fn parse(text: &str) -> Place {
        match Location::parse(text) {
            Location::Dir(path) if path.is_file() => Place::File(path),
            location => Place::Storage(location),
        }
    }

    pub fn shown(&self) -> String {
        match self {
            Place::File(path) => path.display().to_string(),
            Place::Storage(location) => location.shown(),
        }
    }

    /// The SQLite file this place is, if it is one.
    fn sqlite_file(&self) -> Option<PathBuf> {
        match self {
            Place::File(path) => Some(path.clone()),
            Place::Storage(Location::Dir(dir)) => Some(dir.join("prongsai.sqlite3")),
            Place::Storage(Location::Postgres(_)) => None,
        }
    }
}

fn refused(message: String) -> DbError {
    DbError::Backend(message)
}

/// Copies everything at `from` into `to`, which must hold no data yet (a new file or data
/// directory, or an empty PostgreSQL database). All or nothing: on any fault the target is as
/// it was (a new SQLite file is removed).
pub async fn copy(from: &Place, to: &Place) -> Result<Counts, DbError> {
    if from == to {
        return Err(refused(format!("{} is both the source and the target", from.shown())));
    }
    // The source first: a wrong or damaged file is refused before anything is made.
    let source = open_source(from).await?;
    let (send, receive) = mpsc::channel::<Batch>(4);
    let reading = async move {
        match source {
            Source::Sqlite(path) => tokio::task::spawn_blocking(move || {
                super::sqlite::read_tables(&path, |batch| send.blocking_send(batch).map_err(|_| stopped()))
            })
            .await
            .map_err(|e| refused(format!("reading stopped: {e}")))?,
            Source::Postgres(db) => db.read_tables(send).await,
        }
    };
    let writing = async {
        match to {
            Place::Storage(Location::Postgres(url)) => Postgres::open(url).await?.write_tables(receive).await,
            other => {
                let path = other.sqlite_file().expect("not PostgreSQL");
                let mut receive = receive;
                tokio::task::spawn_blocking(move || super::sqlite::write_tables(&path, || receive.blocking_recv()))
                    .await
                    .map_err(|e| refused(format!("writing stopped: {e}")))?
            }
        }
    };
    let (read, written) = tokio::join!(reading, writing);
    match read {
        // The target stopped taking rows: its own fault says why.
        Ok(()) | Err(DbError::Stopped) => written,
        // A reading fault explains a writing one (the target saw the stream end early).
        Err(fault) => Err(fault),
    }
}

/// What a source answers when its target has stopped taking rows.
pub(crate) fn stopped() -> DbError {
    DbError::Stopped
}

enum Source {
    Sqlite(PathBuf),
    Postgres(Postgres),
}

/// Checks the source is a Prongsai database this release can read.
async fn open_source(from: &Place) -> Result<Source, DbError> {
    match from {
        Place::Storage(Location::Postgres(url)) => Ok(Source::Postgres(Postgres::open_read_only(url).await?)),
        other => {
            let path = other.sqlite_file().expect("not PostgreSQL");
            let checked = path.clone();
            tokio::task::spawn_blocking(move || super::sqlite::Sqlite::open_read_only_file(&checked))
                .await
                .map_err(|e| refused(format!("checking the source stopped: {e}")))??;
            Ok(Source::Sqlite(path))
        }
    }
}

/// Opens a place to read, changing nothing.
pub async fn open_read_only(place: &Place) -> Result<Store, DbError> {
    match place {
        Place::File(path) => Ok(Store::Sqlite(super::sqlite::Sqlite::open_read_only_file(path)?)),
        Place::Storage(location) => Store::open_read_only(location).await,
    }
}

/// One document as `verify` found it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DocumentCheck {
    pub id: String,
    /// Who it belongs to, when it is registered (`None`: chunks of an unregistered document).
    pub agency: Option<String>,
    pub year: Option<i64>,
    pub kind: Option<String>,
    pub division: Option<String>,
    /// Its heads, hex, sorted.
    pub heads: Vec<String>,
    pub changes: usize,
    pub chunks: usize,
}

/// What `verify` reports.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Verification {
    pub place: String,
    pub agencies: usize,
    pub documents: Vec<DocumentCheck>,
    pub chunks: usize,
    /// Everything wrong, each naming what and why; empty when the database is sound.
    pub faults: Vec<String>,
}

/// Loads every stored chunk and opens every registered document.
pub async fn verify(place: &Place) -> Result<Verification, DbError> {
    let store = open_read_only(place).await?;
    let mut report = Verification { place: place.shown(), ..Verification::default() };
    let mut registered = BTreeMap::new();
    let agencies = store.agencies().await?;
    report.agencies = agencies.len();
    for agency in agencies {
        for year in store.years_of(agency.id.clone()).await? {
            for row in store.documents_of(agency.id.clone(), year).await? {
                registered.insert(row.doc_id.clone(), row);
            }
        }
    }
    let stored: BTreeSet<String> = store.chunk_documents().await?.into_iter().collect();
    for id in registered.keys().chain(stored.iter()).collect::<BTreeSet<_>>() {
        let chunks = store.chunk_load_prefix(format!("{id}/")).await?;
        report.chunks += chunks.len();
        let row = registered.get(id);
        if chunks.is_empty() {
            report.faults.push(format!("document {id} is registered but has no stored changes"));
            continue;
        }
        let (doc, faults) = load_chunks(id, &chunks);
        report.faults.extend(faults);
        let mut heads: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
        heads.sort();
        report.documents.push(DocumentCheck {
            id: id.clone(),
            agency: row.map(|r| r.agency_id.clone()),
            year: row.map(|r| r.year),
            kind: row.map(|r| r.kind.as_str().to_string()),
            division: row.and_then(|r| r.division.clone()),
            heads,
            changes: doc.get_changes(&[]).len(),
            chunks: chunks.len(),
        });
    }
    Ok(report)
}

/// A document from its stored chunks (snapshots first), and a fault for each chunk that does
/// not load and for changes it refers to that no chunk holds.
pub(crate) fn load_chunks(id: &str, chunks: &std::collections::HashMap<String, Vec<u8>>) -> (Automerge, Vec<String>) {
    let mut doc = Automerge::new();
    let mut faults = Vec::new();
    let mut keys: Vec<&String> = chunks.keys().collect();
    keys.sort_by_key(|k| (!k.contains("/snapshot/"), k.as_str()));
    for key in keys {
        if let Err(e) = doc.load_incremental(&chunks[key]) {
            faults.push(format!("chunk {key} does not load: {e}"));
        }
    }
    let missing = doc.get_missing_deps(&[]);
    if !missing.is_empty() {
        faults.push(format!("document {id} lacks {} changes its stored changes depend on", missing.len()));
    }
    (doc, faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_sent_in_batches_each_table_first_and_end_last() {
        let mut batcher = Batcher::default();
        batcher.table("chunks", vec!["key".into(), "data".into()]);
        for i in 0..(BATCH_ROWS + 1) {
            batcher.row(vec![Value::Text(format!("k{i}")), Value::Bytes(vec![0; 10])]);
        }
        let mut sent: Vec<Batch> = batcher.ready().collect();
        batcher.table("settings", vec!["key".into(), "value".into()]);
        batcher.row(vec![Value::Text(BATCH_BYTES.to_string()), Value::Bytes(vec![0; BATCH_BYTES])]);
        sent.extend(batcher.ready());
        batcher.end();
        sent.extend(batcher.ready());
        let sent: Vec<String> = sent
            .into_iter()
            .map(|b| match b {
                Batch::Table { name, .. } => format!("table {name}"),
                Batch::Rows(rows) => format!("rows {}", rows.len()),
                Batch::End => "end".into(),
            })
            .collect();
        let expected = ["table chunks", &format!("rows {BATCH_ROWS}"), "rows 1", "table settings", "rows 1", "end"];
        assert_eq!(sent, expected);
    }

    #[test]
    fn a_url_is_a_database_an_existing_file_a_backup_and_anything_else_a_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("backup.sqlite3");
        std::fs::write(&file, b"x").expect("a file");
        assert_eq!(Place::parse(file.to_str().expect("utf-8")), Place::File(file.clone()));
        let data = dir.path().join("data");
        assert_eq!(Place::parse(data.to_str().expect("utf-8")), Place::Storage(Location::Dir(data)));
        assert!(matches!(Place::parse("postgres://h/db"), Place::Storage(Location::Postgres(_))));
    }
}
