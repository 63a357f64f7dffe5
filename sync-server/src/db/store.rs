//! The backend chosen when the server starts: a data directory (SQLite, the embedded default) or
//! a PostgreSQL URL. `App<Store>` is compiled once and runs on either.

use std::path::{Path, PathBuf};

use prongsai_core::admin::AuditEntry;

use super::*;
use crate::db::postgres::Postgres;
use crate::db::sqlite::Sqlite;

/// Where the server's data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A data directory holding `prongsai.sqlite3`.
    Dir(PathBuf),
    /// A PostgreSQL database, `postgres://user:password@host:port/name` (or `postgresql://`).
    Postgres(String),
}

impl Location {
    /// A PostgreSQL URL when `text` is one, else a directory.
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            Location::Dir(PathBuf::from(text))
        }
    }

    /// For logs and messages: a directory's path, or the URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Location::Dir(dir) => dir.display().to_string(),
            Location::Postgres(url) => postgres::redact(url),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

/// One of the backends, chosen at run time.
#[derive(Clone)]
pub enum Store {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl Store {
    /// Opens (creating or upgrading as needed) the storage at `location`.
    pub async fn open(location: &Location) -> Result<Store, DbError> {
        Ok(match location {
            Location::Dir(dir) => Store::Sqlite(Sqlite::open(dir)?),
            Location::Postgres(url) => Store::Postgres(Postgres::open(url).await?),
        })
    }

    /// Opens existing storage to read, changing nothing, while a server may be using it.
    pub async fn open_read_only(location: &Location) -> Result<Store, DbError> {
        Ok(match location {
            Location::Dir(dir) => Store::Sqlite(Sqlite::open_read_only(dir)?),
            Location::Postgres(url) => Store::Postgres(Postgres::open_read_only(url).await?),
        })
    }

    /// The documents that have stored chunks.
    pub async fn chunk_documents(&self) -> Result<Vec<String>, DbError> {
        match self {
            Store::Sqlite(db) => db.chunk_documents().await,
            Store::Postgres(db) => db.chunk_documents().await,
        }
    }

    /// The sha256 of every evidence file of an agency.
    pub async fn blob_keys(&self, agency: String) -> Result<Vec<String>, DbError> {
        match self {
            Store::Sqlite(db) => db.blob_keys(agency).await,
            Store::Postgres(db) => db.blob_keys(agency).await,
        }
    }

    /// The agency's own settings (emblem, published reports, verification records, …).
    pub async fn agency_settings(&self, agency: String) -> Result<Vec<(String, String)>, DbError> {
        match self {
            Store::Sqlite(db) => db.agency_settings(agency).await,
            Store::Postgres(db) => db.agency_settings(agency).await,
        }
    }

    /// Removes everything of one agency, its audit log too, in one transaction; on SQLite the
    /// file then keeps nothing of it (freed pages overwritten, the log emptied).
    pub async fn agency_delete(&self, agency: String) -> Result<agency_scope::Removed, DbError> {
        match self {
            Store::Sqlite(db) => {
                let removed = db.agency_delete(agency).await?;
                let db = db.clone();
                tokio::task::spawn_blocking(move || db.checkpoint())
                    .await
                    .map_err(|e| DbError::Backend(format!("checkpoint: {e}")))??;
                Ok(removed)
            }
            Store::Postgres(db) => db.agency_delete(agency).await,
        }
    }

    /// The local directory whose disk holds the data (`None` for PostgreSQL, whose disk is
    /// the database server's).
    pub fn local_dir(&self) -> Option<&Path> {
        match self {
            Store::Sqlite(db) => db.path().parent(),
            Store::Postgres(_) => None,
        }
    }
}

/// Implements [`Database`] for [`Store`] by handing each call to the backend it holds.
macro_rules! delegate {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $out:ty; )*) => {
        impl Database for Store {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$out, DbError> {
                    match self {
                        Store::Sqlite(db) => db.$name($($arg),*).await,
                        Store::Postgres(db) => db.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    fn chunk_load(&self, key: String) -> Option<Vec<u8>>;
    fn chunk_load_prefix(&self, prefix: String) -> HashMap<String, Vec<u8>>;
    fn chunk_put(&self, key: String, data: Vec<u8>, fence: Option<Lease>) -> ();
    fn chunk_delete(&self, key: String, fence: Option<Lease>) -> ();
    fn lease_acquire(&self, agency_id: String, node: Node, ttl_ms: i64, take_over: bool) -> Result<Lease, Node>;
    fn lease_renew(&self, lease: Lease, ttl_ms: i64) -> bool;
    fn lease_release(&self, lease: Lease) -> ();
    fn lease_holder(&self, agency_id: String) -> Option<Node>;
    fn login_guess_begin(&self, keys: [String; 2], limits: [i64; 2], window_ms: i64) -> Result<Option<Vec<i64>>, i64>;
    fn login_guess_succeeded(&self, account_key: String, ids: Vec<i64>) -> ();
    fn cluster_secret(&self) -> Option<Vec<u8>>;
    fn announce_access_changed(&self) -> ();
    fn access_announcements(&self) -> Option<tokio::sync::watch::Receiver<u64>>;
    fn agency_create(&self, agency: AgencyRow) -> ();
    fn agency(&self, id: String) -> Option<AgencyRow>;
    fn agencies(&self) -> Vec<AgencyRow>;
    fn user_create(&self, user: NewUser) -> UserRow;
    fn user_by_username(&self, username: String) -> Option<UserRow>;
    fn user_by_id(&self, id: i64) -> Option<UserRow>;
    fn users_of_agency(&self, agency_id: String) -> Vec<UserRow>;
    fn user_update(&self, id: i64, update: UserUpdate) -> ();
    fn user_set_password(&self, id: i64, password_hash: String) -> ();
    fn user_totp(&self, user_id: i64) -> TotpRow;
    fn user_totp_pending(&self, user_id: i64, secret: Option<Vec<u8>>) -> ();
    fn user_totp_enable(&self, user_id: i64, step: u64, recovery_code_hashes: Vec<String>) -> bool;
    fn user_totp_use_step(&self, user_id: i64, step: u64) -> bool;
    fn user_recovery_code_use(&self, user_id: i64, code_hash: String) -> bool;
    fn user_totp_clear(&self, user_id: i64) -> ();
    fn session_create(&self, session: SessionRow) -> ();
    fn session_by_token_hash(&self, token_hash: String) -> Option<SessionRow>;
    fn session_by_peer(&self, peer_id: String) -> Option<SessionRow>;
    fn session_by_actor(&self, actor_id: String) -> Option<SessionRow>;
    fn sessions_of_user(&self, user_id: i64) -> Vec<SessionRow>;
    fn session_revoke(&self, token_hash: String) -> ();
    fn sessions_revoke_user(&self, user_id: i64) -> Vec<String>;
    fn document_register(&self, row: DocumentRow) -> ();
    fn documents_register(&self, rows: Vec<DocumentRow>) -> ();
    fn document(&self, doc_id: String) -> Option<DocumentRow>;
    fn documents_of(&self, agency_id: String, year: i64) -> Vec<DocumentRow>;
    fn years_of(&self, agency_id: String) -> Vec<i64>;
    fn year_rows(&self, agency_id: String) -> Vec<YearRow>;
    fn year_put(&self, row: YearRow) -> ();
    fn agency_profile(&self, agency_id: String) -> Option<String>;
    fn agency_set_profile(&self, agency_id: String, json: String) -> ();
    fn blob_put(&self, agency_id: String, sha256: String, blob: BlobRow) -> ();
    fn blob_get(&self, agency_id: String, sha256: String) -> Option<BlobRow>;
    fn blob_usage(&self, agency_id: String) -> u64;
    fn blob_exists(&self, agency_id: String, sha256: String) -> bool;
    fn audit_append(&self, agency_id: String, entry: AuditEntry) -> i64;
    fn audit_list(&self, agency_id: String, before: Option<i64>, limit: usize) -> Vec<AuditEntry>;
    fn setting(&self, key: String) -> Option<String>;
    fn set_setting(&self, key: String, value: String) -> ();
    fn setting_update(&self, key: String, change: SettingChange) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_postgresql_and_anything_else_a_directory() {
        assert_eq!(Location::parse("data"), Location::Dir(PathBuf::from("data")));
        assert_eq!(Location::parse("/srv/prongsai"), Location::Dir(PathBuf::from("/srv/prongsai")));
        let url = "postgres://prongsai:s3cret@db.internal:5432/prongsai";
        assert_eq!(Location::parse(url), Location::Postgres(url.to_string()));
        assert!(matches!(Location::parse("postgresql://h/db"), Location::Postgres(_)));
        let shown = Location::parse(url).to_string();
        assert!(!shown.contains("s3cret") && shown.contains("db.internal"), "{shown}");
        for secret in ["postgres://db.internal/prongsai?password=s3cret&sslmode=disable", "host=db password=s3cret"] {
            let shown = Location::Postgres(secret.to_string()).to_string();
            assert!(!shown.contains("s3cret") && shown.contains("db"), "{shown}");
        }
    }
}
