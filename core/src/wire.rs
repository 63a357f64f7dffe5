//! The HTTP API's bodies, defined once: the server answers with these types, the client crate and
//! the web dashboard read them. A contract outside clients rely on too: fields may be added, never
//! removed or renamed (new fields carry `#[serde(default)]` so older servers still parse).
//!
//! User administration bodies live in [`crate::admin`]; views (merged view, measure, memo) in
//! their own modules. This module holds the rest: login, documents, durability, signing, blobs,
//! and the error body every refusal carries.

use crate::model::{DocKind, SignatureDecision};

/// The WebSocket subprotocol of `/live`. A browser cannot give a WebSocket an `Authorization`
/// header, and a token in the URL would reach histories, proxies' logs and the console: the page
/// offers `[LIVE_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]` instead, and the server answers with
/// `LIVE_PROTOCOL`.
pub const LIVE_PROTOCOL: &str = "prongsai.live";
/// The WebSocket subprotocol a browser device offers on `/sync`, beside its token (the same
/// reason as `/live`'s); the server answers with it. Clients that send a header offer none.
pub const SYNC_PROTOCOL: &str = "prongsai.sync";
/// A subprotocol starting with this carries the session's token (tokens are URL-safe base64,
/// which a subprotocol may hold).
pub const TOKEN_PROTOCOL_PREFIX: &str = "bearer.";

/// A file from the agency page and what to do with it, sent by the page beside the file's bytes
/// to its device (the app's `upload` command, a browser's device Worker).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Upload {
    /// The agency's emblem (the admin), to the server.
    Emblem { media_type: String },
    /// A plan file read on the device into the open year's plan, or a track's projects: works
    /// offline, in the app (reading a spreadsheet or a document needs the report crate, which
    /// is native).
    ImportPlan {
        #[serde(default)]
        dry_run: bool,
        /// Another track's projects (the integrity measures' plan when absent).
        #[serde(default)]
        track: Option<String>,
    },
    /// A new year started on the server with its plan from the file.
    StartYear { year: i64 },
    /// The wet-signed scan (PDF) of a published plan or round's report of `track` (`None`: the
    /// integrity measures'), to the server.
    Scan {
        year: i64,
        #[serde(default)]
        part: crate::report_model::Part,
        #[serde(default)]
        track: Option<String>,
        #[serde(default)]
        round: Option<String>,
    },
}

/// An evidence file's particulars, sent by the page beside the file's bytes to the device that
/// adds it (the app's command, a browser's device Worker).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceFile {
    pub division: String,
    pub measure: String,
    pub id: String,
    pub file_name: String,
    pub media_type: String,
    #[serde(default)]
    pub caption: String,
    /// The track and round the result is in (the integrity measures when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
}

/// `POST /api/login`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A name for the device, shown to the admin ("แท็บเล็ตกองช่าง").
    #[serde(default)]
    pub device: Option<String>,
    /// A web dashboard sign-in: the session reads and writes no document.
    #[serde(default)]
    pub web: bool,
    /// The code from the authenticator app (or a recovery code) of a user who has a second
    /// factor; without it such a login answers 401 `second_factor_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
}

/// What a login answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub peer_id: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// The Automerge actor id (hex) this device must write with.
    pub actor_id: String,
    pub username: String,
    pub agency_id: String,
    /// `"enroll"` when the agency requires a second factor of this user and they have none yet:
    /// until they enrol, the session reaches only their own account's routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<String>,
}

/// `GET /api/me`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Me {
    pub username: String,
    pub agency_id: String,
    pub division: Option<String>,
    pub roles: Vec<String>,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub peer_id: String,
    #[serde(default)]
    pub actor_id: String,
}

/// One document of an agency-year, as `GET …/years/{year}/documents` lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocumentEntry {
    pub kind: DocKind,
    pub division: Option<String>,
    /// `automerge:<id>`.
    pub url: String,
    /// Whether the caller may write it (the server enforces this either way).
    #[serde(default)]
    pub writable: bool,
    /// Its year is closed: nobody writes it until the admin reopens the year.
    #[serde(default)]
    pub closed: bool,
}

impl DocumentEntry {
    /// The samod document id (the URL without `automerge:`).
    pub fn document_id(&self) -> &str {
        self.url.strip_prefix("automerge:").unwrap_or(&self.url)
    }
}

/// `GET /api/documents/{id}/durable`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DurableResponse {
    #[serde(default)]
    pub document: String,
    pub durable: bool,
    /// False when this user's changes to the document will never be accepted. Older servers do
    /// not say: assume writable, as before.
    #[serde(default = "yes")]
    pub writable: bool,
    /// True when one of the heads asked about is a change the server refused (its author may
    /// not write the document, or it builds on such a change): it will never be durable.
    #[serde(default)]
    pub refused: bool,
}

fn yes() -> bool {
    true
}

/// `POST …/approvals/{step}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignRequest {
    pub decision: SignatureDecision,
    #[serde(default)]
    pub comment: String,
    /// The date written on the signature (ISO); today in Bangkok when absent.
    #[serde(default)]
    pub date: Option<String>,
}

/// What a signature answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignResponse {
    pub step: String,
    pub decision: SignatureDecision,
    /// The content hash of the report as signed.
    pub report_hash: String,
    pub date: String,
}

/// What revoking sessions (by the admin, or by changing one's own password) answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionsRevoked {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub sessions_revoked: usize,
}

/// `PUT /api/blobs/{sha256}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlobStored {
    pub sha256: String,
    pub size: usize,
    /// The media type the server recognised in the bytes.
    #[serde(default)]
    pub media_type: String,
}

/// Every refusal's body: `{"error": "…", "kind": "…"}`. `error` is English detail for logs and
/// people; `kind` is what a program (and the UI's Thai wording) decides by.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default)]
    pub kind: ErrorKind,
    /// For a refused import: which check refused the file (`too_many_rows`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl ErrorBody {
    pub fn new(kind: ErrorKind, error: impl Into<String>) -> ErrorBody {
        ErrorBody { error: error.into(), kind, code: None }
    }
}

/// What kind of refusal an error is. One HTTP status can mean several of these (a 409 is an
/// approval out of order, a username taken or the agency's last admin), so programs decide by
/// this, never by the status or the text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No valid session: sign in (again). 401.
    Unauthorized,
    /// Signed in, but this person may not do this. 403.
    Forbidden,
    /// This session is read-only (a web dashboard sign-in). 403.
    ReadOnly,
    /// Does not exist, or belongs to another agency (the two look the same). 404.
    NotFound,
    /// The request is malformed or a value is not acceptable. 400.
    Invalid,
    /// An approval step signed before the steps ahead of it approved the current content. 409.
    OutOfOrder,
    /// The username is taken. 409.
    UsernameTaken,
    /// The change would leave the agency without an enabled admin. 409.
    LastAdmin,
    /// The thing to create exists already. 409.
    AlreadyExists,
    /// Too many failed attempts: wait (`Retry-After`). 429.
    RateLimited,
    /// The server is busy (e.g. too many sign-ins at once): retry after `Retry-After`. 503.
    Busy,
    /// The body is larger than accepted. 413.
    TooLarge,
    /// The file is not one of the accepted types (judged by its bytes). 415.
    UnsupportedType,
    /// The agency's storage quota is used up. 507.
    QuotaExceeded,
    /// The server's disk is nearly full; uploads wait so that edits stay safe. 507.
    DiskFull,
    /// A file the server could not accept as a plan (see `code`). 422.
    ImportRefused,
    /// The password was right; now the code from the authenticator app is needed. 401.
    SecondFactorRequired,
    /// The code (or recovery code) is wrong or used already. 401.
    SecondFactorWrong,
    /// The agency requires a second factor of this user: enrol first (`/api/me/second-factor`). 403.
    EnrollSecondFactor,
    /// The year is closed by the agency's admin: nothing in it may change until reopened. 409.
    YearClosed,
    /// The report is not published yet (a wet-signed scan goes beside a published report). 409.
    NotPublished,
    /// The server cannot confirm writes now (storage failure, shutting down). 503.
    Unavailable,
    /// A fault on the server. 500.
    Internal,
    /// A kind this build does not know (a newer server).
    #[default]
    #[serde(other)]
    Other,
}

impl ErrorKind {
    /// The name on the wire (`"out_of_order"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Invalid => "invalid",
            ErrorKind::OutOfOrder => "out_of_order",
            ErrorKind::UsernameTaken => "username_taken",
            ErrorKind::LastAdmin => "last_admin",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Busy => "busy",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::UnsupportedType => "unsupported_type",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::DiskFull => "disk_full",
            ErrorKind::ImportRefused => "import_refused",
            ErrorKind::SecondFactorRequired => "second_factor_required",
            ErrorKind::SecondFactorWrong => "second_factor_wrong",
            ErrorKind::EnrollSecondFactor => "enroll_second_factor",
            ErrorKind::YearClosed => "year_closed",
            ErrorKind::NotPublished => "not_published",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
            ErrorKind::Other => "other",
        }
    }

    /// The HTTP status the server answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Unauthorized | ErrorKind::SecondFactorRequired | ErrorKind::SecondFactorWrong => 401,
            ErrorKind::Forbidden | ErrorKind::ReadOnly | ErrorKind::EnrollSecondFactor => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Invalid => 400,
            ErrorKind::OutOfOrder
            | ErrorKind::UsernameTaken
            | ErrorKind::LastAdmin
            | ErrorKind::AlreadyExists
            | ErrorKind::YearClosed
            | ErrorKind::NotPublished => 409,
            ErrorKind::RateLimited => 429,
            ErrorKind::TooLarge => 413,
            ErrorKind::UnsupportedType => 415,
            ErrorKind::QuotaExceeded | ErrorKind::DiskFull => 507,
            ErrorKind::ImportRefused => 422,
            ErrorKind::Busy | ErrorKind::Unavailable => 503,
            ErrorKind::Internal | ErrorKind::Other => 500,
        }
    }

    /// Every kind, for tests that check each is named and numbered once.
    pub const ALL: [ErrorKind; 24] = [
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::ReadOnly,
        ErrorKind::NotFound,
        ErrorKind::Invalid,
        ErrorKind::OutOfOrder,
        ErrorKind::UsernameTaken,
        ErrorKind::LastAdmin,
        ErrorKind::AlreadyExists,
        ErrorKind::RateLimited,
        ErrorKind::Busy,
        ErrorKind::TooLarge,
        ErrorKind::UnsupportedType,
        ErrorKind::QuotaExceeded,
        ErrorKind::DiskFull,
        ErrorKind::ImportRefused,
        ErrorKind::SecondFactorRequired,
        ErrorKind::SecondFactorWrong,
        ErrorKind::EnrollSecondFactor,
        ErrorKind::YearClosed,
        ErrorKind::NotPublished,
        ErrorKind::Unavailable,
        ErrorKind::Internal,
        ErrorKind::Other,
    ];
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fiscal year of an agency, as the year switcher and the admin see it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearInfo {
    /// Fiscal year, BE.
    pub year: i64,
    /// Closed by the admin: every document reads `writable: false`.
    #[serde(default)]
    pub closed: bool,
    /// Why it was last closed or reopened.
    #[serde(default)]
    pub reason: String,
    /// The year it was started from.
    #[serde(default)]
    pub continues: Option<i64>,
    /// The agency's ITA result of this assessment year, once entered.
    #[serde(default)]
    pub ita_result: Option<crate::profile::ItaResult>,
}

/// `GET /api/agencies/{agency}/profile`: the agency's profile, its years, and the fiscal year of
/// today (Bangkok).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AgencyOverview {
    pub profile: crate::profile::AgencyProfile,
    pub years: Vec<YearInfo>,
    pub current_year: i64,
}

/// `POST /api/agencies/{agency}/years`: start a year, blank or from another year's plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StartYear {
    pub year: i64,
    /// Copy this year's plan (measures, methods, divisions, schedules).
    #[serde(default)]
    pub from: Option<i64>,
}

/// What starting a year answers (201 when created, 200 when `…/next` found it made already).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearStarted {
    pub year: i64,
}

/// `POST …/years/{year}/close` and `…/reopen`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearReason {
    #[serde(default)]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_their_wire_names() {
        for kind in ErrorKind::ALL {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<ErrorKind>(&json).expect("parses"), kind);
        }
        // A newer server's kind is not an error for an older client.
        let body: ErrorBody = serde_json::from_str(r#"{"error":"x","kind":"some_future_kind"}"#).expect("parses");
        assert_eq!(body.kind, ErrorKind::Other);
        // An older server sent no kind at all.
        let body: ErrorBody = serde_json::from_str(r#"{"error":"x"}"#).expect("parses");
        assert_eq!(body.kind, ErrorKind::Other);
    }

    #[test]
    fn one_status_means_several_kinds() {
        let conflicts: Vec<_> = ErrorKind::ALL.into_iter().filter(|k| k.status() == 409).collect();
        assert_eq!(
            conflicts,
            [
                ErrorKind::OutOfOrder,
                ErrorKind::UsernameTaken,
                ErrorKind::LastAdmin,
                ErrorKind::AlreadyExists,
                ErrorKind::YearClosed,
                ErrorKind::NotPublished
            ]
        );
    }

    #[test]
    fn older_durable_answers_read_as_writable() {
        let answer: DurableResponse = serde_json::from_str(r#"{"durable":true}"#).expect("parses");
        assert!(answer.durable && answer.writable);
    }
}

/// What is published for an agency-year: the signed report's content hash, its files (blobs by
/// SHA-256), when, under which item, its verification code and the wet-signed scan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Publication {
    pub content_hash: String,
    pub pdf_sha256: String,
    pub html_sha256: String,
    /// Unix milliseconds.
    pub published_at: i64,
    /// The item the report answers, as its address spells it (the year's criteria at
    /// publication); absent in what older servers published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The verification code the published report prints (absent before verification codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The wet-signed scan of the final memo (PDF), published beside the generated report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_sha256: Option<String>,
}

impl Publication {
    /// The item's name in the public address: as published, else as this build's criteria name
    /// the year's report item (what older servers published under).
    pub fn item_slug(&self, year: i64) -> String {
        self.item.clone().unwrap_or_else(|| builtin_report_slug(year))
    }
}

/// The integrity report item's address name for a fiscal year under the build's criteria.
pub fn builtin_report_slug(year: i64) -> String {
    crate::ita::ReferenceData::builtin()
        .resolve_track(year, crate::ita::LOCAL_FORM, crate::ita::INTEGRITY_TRACK)
        .and_then(|t| t.report().map(crate::ita::ResolvedItem::slug))
        .unwrap_or_else(|| "report".into())
}

/// `GET /api/agencies/{agency}/years/{year}/published` (and the answer to attaching a scan):
/// whether the report is published, and its public addresses (paths on the server).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublishedInfo {
    pub published: Option<Publication>,
    pub pdf: String,
    pub html: String,
    /// `/verify/{code}` once published with a code.
    #[serde(default)]
    pub verify: Option<String>,
    /// The wet-signed scan's address, once attached.
    #[serde(default)]
    pub scan: Option<String>,
    /// Which document this is: the plan or the report.
    #[serde(default)]
    pub part: crate::report_model::Part,
    /// (the report) Every step approved it, and it waits to be published until its plan is, or
    /// until the coordinator records why it goes first.
    #[serde(default)]
    pub waits_for_plan: bool,
    /// (the report) Why it may be published before its plan, as the coordinator recorded it.
    #[serde(default)]
    pub plan_waiver: Option<crate::model::PlanWaiver>,
}

impl PublishedInfo {
    pub fn new(agency: &str, year: i64, slug: &str, published: Option<Publication>) -> PublishedInfo {
        let base = format!("/public/{agency}/{year}/{slug}");
        PublishedInfo {
            verify: published.as_ref().and_then(|p| p.code.as_deref()).map(|code| format!("/verify/{code}")),
            scan: published.as_ref().and_then(|p| p.scan_sha256.as_ref()).map(|_| format!("{base}-scan.pdf")),
            pdf: format!("{base}.pdf"),
            html: format!("{base}.html"),
            published,
            part: crate::report_model::Part::Report,
            waits_for_plan: false,
            plan_waiver: None,
        }
    }
}

/// `GET /api/agencies/{agency}/years/{year}/tracks` (and the answer to adding one): the tracks
/// the year runs and those its criteria offer that it does not run yet.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TracksInfo {
    pub tracks: Vec<crate::tracks::TrackSummary>,
    pub available: Vec<crate::tracks::TrackSummary>,
}

/// `POST /api/agencies/{agency}/years/{year}/tracks`: run one more of the year's tracks.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AddTrack {
    pub track: String,
}

/// `PUT /api/agencies/{agency}/years/{year}/tracks/{track}/rounds/{round}`: the day the round's
/// results are cut off (ISO), within the fiscal year.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoundChange {
    pub cutoff: String,
}

/// `PUT /api/agencies/{agency}/years/{year}/plan-waiver`: why the report may be published before
/// its plan; an empty reason withdraws it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanWaiverRequest {
    pub reason: String,
}

impl PlanWaiverRequest {
    /// The longest reason kept.
    pub const MAX_CHARS: usize = 1000;
}

/// `GET /api/me/notifications/read` and the answer to marking: the ids of the notifications
/// (core's `notifications`) this person has marked read, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotificationsRead {
    pub read: Vec<String>,
}

impl NotificationsRead {
    /// The most marks kept per person; the oldest go first (their notifications are long gone).
    pub const MAX_KEPT: usize = 2000;

    /// Adds `ids` not marked yet, after the others, keeping at most [`Self::MAX_KEPT`].
    pub fn mark(&mut self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            if !self.read.contains(&id) {
                self.read.push(id);
            }
        }
        let excess = self.read.len().saturating_sub(Self::MAX_KEPT);
        self.read.drain(..excess);
    }
}

/// `POST /api/me/notifications/read`: notifications to mark read (at most
/// [`MarkRead::MAX_IDS`], each at most [`MarkRead::MAX_ID_CHARS`] characters).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MarkRead {
    pub ids: Vec<String>,
}

impl MarkRead {
    pub const MAX_IDS: usize = 500;
    pub const MAX_ID_CHARS: usize = 200;
}
