//! The server's storage behind one trait, so that backends (SQLite, PostgreSQL) are
//! interchangeable and all pass the same story test (`tests/storage_story.rs`).
//!
//! A write that returns `Ok` is committed durably; nothing else may be treated as stored.

use std::collections::HashMap;
use std::future::Future;

use prongsai_core::admin::AuditEntry;
use prongsai_core::model::{DocKind, Role};

pub mod agency_scope;
pub mod copy;
pub mod migrations;
pub mod postgres;
pub mod sqlite;
pub mod store;

/// A failure of the storage backend. The message is for logs; it never contains secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    #[error("storage backend: {0}")]
    Backend(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("the storage writer has stopped")]
    Stopped,
    /// A write of an agency's documents carried a lease another node has since taken: it was
    /// not made.
    #[error("refused: {0}")]
    Fenced(String),
}

/// One server process's hold on an agency (several servers on one PostgreSQL serve each agency
/// from one place). Every write of the agency's documents carries it, and the database refuses
/// the write, in the write's own transaction, once another node has taken the agency: a node
/// that was paused or cut off past its lease writes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub agency_id: String,
    /// The node holding it (its name: `--node-name`).
    pub node: String,
    /// The fencing token: larger with each new holder, never reused.
    pub token: i64,
}

/// A server process among those sharing one database: its name (`--node-name`) and the address
/// the others reach it at (`--advertise`), for carrying a request to the node serving its agency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// `http://host:port`; empty when the node gave none (an operator's command).
    pub address: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub agency_id: String,
    pub username: String,
    pub display_name: String,
    pub position: String,
    pub division: Option<String>,
    pub roles: Vec<Role>,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
    /// The user signs in with a second factor (TOTP) too.
    pub second_factor: bool,
}

/// A user's TOTP state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotpRow {
    /// The enrolled secret (raw bytes), once confirmed.
    pub secret: Option<Vec<u8>>,
    /// A secret shown for enrolment and not yet confirmed with a code.
    pub pending: Option<Vec<u8>>,
    /// The last time step a code was accepted for (a code works once).
    pub last_step: Option<u64>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub agency_id: String,
    pub username: String,
    pub display_name: String,
    pub position: String,
    pub division: Option<String>,
    pub roles: Vec<Role>,
    pub password_hash: String,
    pub created_at: i64,
}

impl NewUser {
    /// The user as stored, with the id the database gave it.
    pub fn stored(self, id: i64) -> UserRow {
        UserRow {
            id,
            agency_id: self.agency_id,
            username: self.username,
            display_name: self.display_name,
            position: self.position,
            division: self.division,
            roles: self.roles,
            password_hash: self.password_hash,
            disabled: false,
            created_at: self.created_at,
            second_factor: false,
        }
    }
}

/// Fields an administrator may change on a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub position: Option<String>,
    pub division: Option<Option<String>>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// Hex SHA-256 of the bearer token; the token itself is never stored.
    pub token_hash: String,
    pub user_id: i64,
    pub peer_id: String,
    /// Automerge actor id (hex) the device writes with.
    pub actor_id: String,
    pub device: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
    /// A web dashboard session: it reads, and writes no document (approvers sign through the API).
    pub read_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRow {
    /// The samod document id (bs58check), as in `automerge:<id>`.
    pub doc_id: String,
    pub agency_id: String,
    pub year: i64,
    pub kind: DocKind,
    pub division: Option<String>,
    /// Its year is closed: nobody writes it (read from the `years` table, never stored here).
    pub closed: bool,
}

/// The state of one agency-year beyond its documents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct YearRow {
    pub agency_id: String,
    pub year: i64,
    /// Closed by the admin: every write to the year's documents is refused.
    pub closed: bool,
    /// Why it was last closed or reopened.
    pub reason: String,
    pub changed_at: i64,
    pub changed_by: String,
    /// The year it was started from, if any.
    pub continues: Option<i64>,
    /// The agency's ITA result for this assessment year (JSON of `profile::ItaResult`).
    pub ita_result: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobRow {
    pub media_type: String,
    pub data: Vec<u8>,
}

/// Everything the server stores.
pub trait Database: Clone + Send + Sync + 'static {
    // --- Automerge chunks, under samod's storage keys joined with '/'
    fn chunk_load(&self, key: String) -> impl Future<Output = Result<Option<Vec<u8>>, DbError>> + Send;
    fn chunk_load_prefix(
        &self,
        prefix: String,
    ) -> impl Future<Output = Result<HashMap<String, Vec<u8>>, DbError>> + Send;
    /// Stores a chunk; with a `fence`, only while that lease still holds its agency
    /// ([`DbError::Fenced`] otherwise, nothing written).
    fn chunk_put(
        &self,
        key: String,
        data: Vec<u8>,
        fence: Option<Lease>,
    ) -> impl Future<Output = Result<(), DbError>> + Send;
    fn chunk_delete(&self, key: String, fence: Option<Lease>) -> impl Future<Output = Result<(), DbError>> + Send;

    // --- which server process serves each agency (PostgreSQL; SQLite is one process's and
    // grants every lease with token 0)
    /// Takes the agency for `node` for `ttl_ms` by the database's clock: granted, with a new
    /// and larger token, when nobody holds it, its holder's time ran out, `node` itself held it
    /// (a restarted node), or `take_over` (an operator's command: the holder is fenced off and
    /// its clients reconnect); otherwise `Err(holder)`, with the address it gave.
    fn lease_acquire(
        &self,
        agency_id: String,
        node: Node,
        ttl_ms: i64,
        take_over: bool,
    ) -> impl Future<Output = Result<Result<Lease, Node>, DbError>> + Send;
    /// Extends a lease nobody else has taken since (its token is still the agency's).
    fn lease_renew(&self, lease: Lease, ttl_ms: i64) -> impl Future<Output = Result<bool, DbError>> + Send;
    /// Lets the agency go at once (a node stopping), keeping its token count.
    fn lease_release(&self, lease: Lease) -> impl Future<Output = Result<(), DbError>> + Send;
    /// The node holding the agency's lease now, if one does (SQLite: none).
    fn lease_holder(&self, agency_id: String) -> impl Future<Output = Result<Option<Node>, DbError>> + Send;
    /// Lets a password guess through the limits shared by every node on this database: `keys`
    /// (an account's, an address's) may each have `limits` guesses in the last `window_ms`, the
    /// ones still being checked included. `Ok(Some(ids))`: let through, and counted as failed
    /// until [`Database::login_guess_succeeded`]; `Err(ms)`: refused, try again after that long;
    /// `Ok(None)`: nothing shared to count (SQLite: one process, whose own limiter sees all).
    fn login_guess_begin(
        &self,
        keys: [String; 2],
        limits: [i64; 2],
        window_ms: i64,
    ) -> impl Future<Output = Result<Result<Option<Vec<i64>>, i64>, DbError>> + Send;
    /// The password was right: the account's guesses are forgotten, and this guess's own.
    fn login_guess_succeeded(
        &self,
        account_key: String,
        ids: Vec<i64>,
    ) -> impl Future<Output = Result<(), DbError>> + Send;
    /// Tells every node sharing the database that users or sessions changed (PostgreSQL:
    /// `NOTIFY`), so they re-check their connections at once; nothing on SQLite.
    fn announce_access_changed(&self) -> impl Future<Output = Result<(), DbError>> + Send;
    /// A counter that moves with each announcement of [`Database::announce_access_changed`], by
    /// any node (PostgreSQL: `LISTEN` on a connection of its own, made again when lost, and
    /// moved once on each (re)connection, since announcements may have been missed meanwhile);
    /// `None` where nothing is announced (SQLite: its readers poll).
    fn access_announcements(
        &self,
    ) -> impl Future<Output = Result<Option<tokio::sync::watch::Receiver<u64>>, DbError>> + Send;
    /// The key the nodes sharing this database sign their requests to each other with, made on
    /// first use; `None` where there is only ever one node (SQLite).
    fn cluster_secret(&self) -> impl Future<Output = Result<Option<Vec<u8>>, DbError>> + Send;

    // --- agencies and users
    fn agency_create(&self, agency: AgencyRow) -> impl Future<Output = Result<(), DbError>> + Send;
    fn agency(&self, id: String) -> impl Future<Output = Result<Option<AgencyRow>, DbError>> + Send;
    fn agencies(&self) -> impl Future<Output = Result<Vec<AgencyRow>, DbError>> + Send;
    fn user_create(&self, user: NewUser) -> impl Future<Output = Result<UserRow, DbError>> + Send;
    fn user_by_username(&self, username: String) -> impl Future<Output = Result<Option<UserRow>, DbError>> + Send;
    fn user_by_id(&self, id: i64) -> impl Future<Output = Result<Option<UserRow>, DbError>> + Send;
    fn users_of_agency(&self, agency_id: String) -> impl Future<Output = Result<Vec<UserRow>, DbError>> + Send;
    fn user_update(&self, id: i64, update: UserUpdate) -> impl Future<Output = Result<(), DbError>> + Send;
    fn user_set_password(&self, id: i64, password_hash: String) -> impl Future<Output = Result<(), DbError>> + Send;

    // --- the second factor (TOTP) and recovery codes
    fn user_totp(&self, user_id: i64) -> impl Future<Output = Result<TotpRow, DbError>> + Send;
    /// Keeps (or clears) a secret shown for enrolment.
    fn user_totp_pending(
        &self,
        user_id: i64,
        secret: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<(), DbError>> + Send;
    /// The pending secret becomes the user's, with fresh recovery codes (their SHA-256, hex),
    /// replacing any before, in one transaction; the code that confirmed it counts as used.
    fn user_totp_enable(
        &self,
        user_id: i64,
        step: u64,
        recovery_code_hashes: Vec<String>,
    ) -> impl Future<Output = Result<bool, DbError>> + Send;
    /// Records that a code of `step` was used; false when that step or a later one was already.
    fn user_totp_use_step(&self, user_id: i64, step: u64) -> impl Future<Output = Result<bool, DbError>> + Send;
    /// Uses a recovery code (its hash); false when there is no such unused code.
    fn user_recovery_code_use(
        &self,
        user_id: i64,
        code_hash: String,
    ) -> impl Future<Output = Result<bool, DbError>> + Send;
    /// Removes the user's second factor and recovery codes.
    fn user_totp_clear(&self, user_id: i64) -> impl Future<Output = Result<(), DbError>> + Send;

    // --- sessions
    fn session_create(&self, session: SessionRow) -> impl Future<Output = Result<(), DbError>> + Send;
    fn session_by_token_hash(
        &self,
        token_hash: String,
    ) -> impl Future<Output = Result<Option<SessionRow>, DbError>> + Send;
    fn session_by_peer(&self, peer_id: String) -> impl Future<Output = Result<Option<SessionRow>, DbError>> + Send;
    /// The session that was issued `actor_id` (hex), if any.
    fn session_by_actor(&self, actor_id: String) -> impl Future<Output = Result<Option<SessionRow>, DbError>> + Send;
    /// Every session of a user, revoked and expired ones too, oldest first.
    fn sessions_of_user(&self, user_id: i64) -> impl Future<Output = Result<Vec<SessionRow>, DbError>> + Send;
    /// Revokes one session (logout).
    fn session_revoke(&self, token_hash: String) -> impl Future<Output = Result<(), DbError>> + Send;
    /// Revokes every live session of a user; returns their peer ids.
    fn sessions_revoke_user(&self, user_id: i64) -> impl Future<Output = Result<Vec<String>, DbError>> + Send;

    // --- the registry of documents the server created
    fn document_register(&self, row: DocumentRow) -> impl Future<Output = Result<(), DbError>> + Send;
    /// Registers documents in one transaction: all or none. `Conflict` when the agency-year
    /// already has a document of one of their keys (agency, year, kind, division).
    fn documents_register(&self, rows: Vec<DocumentRow>) -> impl Future<Output = Result<(), DbError>> + Send;
    fn document(&self, doc_id: String) -> impl Future<Output = Result<Option<DocumentRow>, DbError>> + Send;
    fn documents_of(
        &self,
        agency_id: String,
        year: i64,
    ) -> impl Future<Output = Result<Vec<DocumentRow>, DbError>> + Send;
    fn years_of(&self, agency_id: String) -> impl Future<Output = Result<Vec<i64>, DbError>> + Send;
    /// The recorded state of the agency's years (a year with documents but no row is open).
    fn year_rows(&self, agency_id: String) -> impl Future<Output = Result<Vec<YearRow>, DbError>> + Send;
    fn year_put(&self, row: YearRow) -> impl Future<Output = Result<(), DbError>> + Send;
    /// The agency's profile (JSON of `profile::AgencyProfile`); `None` for an agency made before
    /// profiles were kept.
    fn agency_profile(&self, agency_id: String) -> impl Future<Output = Result<Option<String>, DbError>> + Send;
    fn agency_set_profile(&self, agency_id: String, json: String) -> impl Future<Output = Result<(), DbError>> + Send;

    // --- evidence blobs, content-addressed per agency
    fn blob_put(
        &self,
        agency_id: String,
        sha256: String,
        blob: BlobRow,
    ) -> impl Future<Output = Result<(), DbError>> + Send;
    fn blob_get(
        &self,
        agency_id: String,
        sha256: String,
    ) -> impl Future<Output = Result<Option<BlobRow>, DbError>> + Send;

    /// Bytes of evidence an agency stores.
    fn blob_usage(&self, agency_id: String) -> impl Future<Output = Result<u64, DbError>> + Send;
    fn blob_exists(&self, agency_id: String, sha256: String) -> impl Future<Output = Result<bool, DbError>> + Send;

    // --- the agency's audit log: appended to, never changed
    /// Appends an entry (its `id` is ignored); returns the id it got.
    fn audit_append(&self, agency_id: String, entry: AuditEntry) -> impl Future<Output = Result<i64, DbError>> + Send;
    /// Entries of an agency, newest first, older than `before` (an id) when given.
    fn audit_list(
        &self,
        agency_id: String,
        before: Option<i64>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, DbError>> + Send;

    // --- small settings (e.g. the server's own actor id)
    fn setting(&self, key: String) -> impl Future<Output = Result<Option<String>, DbError>> + Send;
    fn set_setting(&self, key: String, value: String) -> impl Future<Output = Result<(), DbError>> + Send;
    /// Changes one setting with `change` (given its value now, returning the new one) in one
    /// step for every process on the database: two changes at once both land. Returns the new
    /// value.
    fn setting_update(
        &self,
        key: String,
        change: SettingChange,
    ) -> impl Future<Output = Result<String, DbError>> + Send;
}

/// How [`Database::setting_update`] changes a setting: from its value now, if any, to the new one.
pub type SettingChange = Box<dyn FnOnce(Option<String>) -> String + Send>;

/// An audit action as stored: its wire name.
pub fn audit_action_to_text(action: prongsai_core::admin::AuditAction) -> String {
    serde_json::to_value(action).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "other".into())
}

/// An audit action as read back; a name this release does not know reads as `Other`.
pub fn audit_action_from_text(text: String) -> prongsai_core::admin::AuditAction {
    serde_json::from_value(serde_json::Value::String(text)).unwrap_or(prongsai_core::admin::AuditAction::Other)
}

/// Roles as stored: comma-separated names.
pub fn roles_to_text(roles: &[Role]) -> String {
    roles.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
}

pub fn roles_from_text(text: &str) -> Vec<Role> {
    text.split(',').filter(|s| !s.is_empty()).map(Role::parse).collect()
}

/// A fault for tests: `PRONGSAI_FAULT_COMMIT_DELAY_MS` holds every commit back that long (on
/// SQLite each batch's, on PostgreSQL each fenced chunk write's), so a test can stop the server
/// between a write and its commit. Never set in production.
pub(crate) fn fault_commit_delay() -> Option<std::time::Duration> {
    static DELAY: std::sync::OnceLock<Option<std::time::Duration>> = std::sync::OnceLock::new();
    fault_delay("PRONGSAI_FAULT_COMMIT_DELAY_MS", &DELAY)
}

/// A delay a test asks for through the environment variable `var` (in milliseconds), read once.
pub(crate) fn fault_delay(
    var: &str,
    cell: &'static std::sync::OnceLock<Option<std::time::Duration>>,
) -> Option<std::time::Duration> {
    *cell.get_or_init(|| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(std::time::Duration::from_millis)
    })
}
