//! The HTTP API (JSON). Its bodies are core's `wire` types (a contract outside clients rely on:
//! extend, never break); its routes are declared in one table ([`routes`], through
//! [`crate::routes::RouteTable`]), which also enforces each route's scope.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prongsai_core::Date;
use prongsai_core::automerge::ChangeHash;
use prongsai_core::filetype::FileType;
use prongsai_core::model::{DocKind, Signature, SignatureDecision};
use prongsai_core::report_model::{Part, Report};
use prongsai_core::tracks::Target;
use prongsai_core::wire::{
    BlobStored, DocumentEntry, DurableResponse, ErrorBody, ErrorKind, LoginRequest, LoginResponse, Me, SignRequest,
    SignResponse,
};
use serde::Deserialize;

use crate::app::{App, AppError, Auth, now_ms};
use crate::auth;
use crate::db::{Database, DocumentRow};
use crate::routes::{RouteTable, Scope};
use crate::sync::bearer_token;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let kind = self.kind();
        if kind == ErrorKind::Internal {
            tracing::error!(error = %self, "request failed");
        }
        let message = match &self {
            // Unknown and foreign documents look the same: nothing is revealed.
            AppError::NotFound => "not found or not available to you".to_string(),
            AppError::Db(_) | AppError::Doc(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        let status = StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(ErrorBody::new(kind, message))).into_response();
        if let AppError::Refused { retry_after: Some(wait), .. } = &self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
        }
        response
    }
}

/// The routes whose token may come in the query string (`?token=`): only where a browser cannot
/// set a header (a WebSocket, a download link). Anywhere else a token in the URL would end up
/// in histories and logs, so it is not accepted.
pub const QUERY_TOKEN_ROUTES: [&str; 3] =
    ["/sync", "/api/agencies/{agency}/years/{year}/live", "/api/agencies/{agency}/years/{year}/reports/{format}"];

/// The session behind a request's token. Refusals are complete responses (401, or 503 when the
/// database cannot answer).
pub async fn authenticate_request<D: Database>(
    app: &App<D>,
    headers: &HeaderMap,
    uri: &Uri,
    matched: Option<&MatchedPath>,
) -> Result<Auth, Response> {
    let query_allowed = matched.is_some_and(|m| QUERY_TOKEN_ROUTES.contains(&m.as_str()));
    let query: HashMap<String, String> =
        if query_allowed { Query::try_from_uri(uri).map(|q| q.0).unwrap_or_default() } else { HashMap::new() };
    let unauthorized = |message: &str| {
        (StatusCode::UNAUTHORIZED, Json(ErrorBody::new(ErrorKind::Unauthorized, message))).into_response()
    };
    let Some(token) = bearer_token(headers, &query) else {
        return Err(unauthorized("sign in first"));
    };
    let auth = match app.authenticate(&token).await {
        Ok(Some(auth)) => auth,
        Ok(None) => return Err(unauthorized("the token is not valid; sign in again")),
        Err(e) => return Err(AppError::Db(e).into_response()),
    };
    // A user the agency requires a second factor of reaches only their own account until they
    // have one.
    let enrolling_route = matched.is_some_and(|m| crate::second_factor::ENROLLMENT_ROUTES.contains(&m.as_str()));
    if !enrolling_route {
        match crate::second_factor::must_enroll(app, &auth.user).await {
            Ok(false) => {}
            Ok(true) => {
                let body = ErrorBody::new(
                    ErrorKind::EnrollSecondFactor,
                    "the agency requires a second factor of you: set it up first (/api/me/second-factor)",
                );
                return Err((StatusCode::FORBIDDEN, Json(body)).into_response());
            }
            Err(e) => return Err(e.into_response()),
        }
    }
    Ok(auth)
}

/// An authenticated caller: every route but the open ones extracts this, so a missing or invalid
/// token answers 401 before the handler runs. On agency-scoped routes the scope layer has
/// already authenticated the caller and checked their agency ([`crate::routes`]).
#[derive(Clone)]
pub struct Caller(pub Auth);

impl<D: Database> FromRequestParts<App<D>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App<D>) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let matched = parts.extensions.get::<MatchedPath>();
        authenticate_request(app, &parts.headers, &parts.uri, matched).await.map(Caller)
    }
}

/// Every route of the server, with its scope.
pub fn route_table<D: Database>() -> RouteTable<D> {
    let mut t = RouteTable::default();
    t.get(Scope::Open, "/healthz", healthz::<D>)
        .get(Scope::Open, "/metrics", metrics::<D>)
        .route(Scope::Open, "POST", "/api/login", post(login::<D>).layer(DefaultBodyLimit::max(LOGIN_BODY_BYTES)))
        .get(Scope::Session, "/sync", crate::sync::websocket::<D>)
        .post(Scope::Session, "/api/logout", logout::<D>)
        .get(Scope::Session, "/api/me", me)
        .get(Scope::Session, "/api/documents/{id}/durable", durable::<D>)
        .put(Scope::Session, "/api/blobs/{sha256}", put_blob::<D>)
        .get(Scope::Session, "/api/blobs/{sha256}", get_blob::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years", years::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/documents", documents::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/status", status::<D>)
        .post(Scope::Agency, "/api/agencies/{agency}/years/{year}/approvals/{step}", sign::<D>);
    crate::admin::routes(&mut t);
    crate::agency::routes(&mut t);
    crate::years::routes(&mut t);
    crate::second_factor::routes(&mut t);
    crate::web::routes(&mut t);
    crate::reports::routes(&mut t);
    crate::verify::routes(&mut t);
    crate::notifications::routes(&mut t);
    t
}

/// The router with every route, each scope's check, and the web dashboard's files as fallback.
pub fn routes<D: Database>(app: &App<D>) -> axum::Router<App<D>> {
    route_table::<D>().into_router(app).fallback(crate::web::static_file::<D>)
}

/// A login is a username and a password: a bigger body is refused before it is read.
const LOGIN_BODY_BYTES: usize = 16 * 1024;

/// Logs each request with its token redacted from the query.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(redact_query);
    let started = Instant::now();
    let response = next.run(request).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    match query {
        Some(q) => tracing::info!(%method, %path, query = %q, status, ms, "request"),
        None => tracing::info!(%method, %path, status, ms, "request"),
    }
    response
}

/// `token=…` (and `password=…`) become `token=REDACTED`.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if matches!(key.to_ascii_lowercase().as_str(), "token" | "password" | "access_token") => {
                format!("{key}=REDACTED")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The address a request came from: the connection's, or, when the connection is from a
/// configured trusted proxy, the last address that proxy appended to `X-Forwarded-For` (the
/// earlier ones are whatever the client claimed).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|a| a.trim().parse::<IpAddr>().ok())
        .unwrap_or(peer)
}

async fn healthz<D: Database>(State(app): State<App<D>>) -> Response {
    if app.storage.is_healthy() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "storage unhealthy").into_response()
    }
}

async fn metrics<D: Database>(State(app): State<App<D>>) -> Response {
    let m = &app.metrics;
    let load = |v: &std::sync::atomic::AtomicU64| v.load(Ordering::Relaxed);
    // (name, kind, help, value)
    let rows: [(&str, &str, &str, u64); 26] = [
        ("prongsai_connections_open", "gauge", "Open sync connections.", load(&m.connections_open)),
        ("prongsai_connections_total", "counter", "Sync connections opened.", load(&m.connections_opened)),
        ("prongsai_frames_received_total", "counter", "Sync frames received.", load(&m.frames_received)),
        ("prongsai_frames_rejected_total", "counter", "Frames that closed their connection.", load(&m.frames_rejected)),
        (
            "prongsai_refused_writes_total",
            "counter",
            "Changes sent to documents the sender may not write.",
            load(&m.refused_writes),
        ),
        ("prongsai_logins_total", "counter", "Successful logins.", load(&m.logins)),
        ("prongsai_login_failures_total", "counter", "Failed logins.", load(&m.login_failures)),
        (
            "prongsai_password_checks_total",
            "counter",
            "Passwords checked with argon2 (logins and password changes).",
            load(&m.password_checks),
        ),
        (
            "prongsai_login_limited_total",
            "counter",
            "Guesses refused by the limit before any password check.",
            load(&m.login_limited),
        ),
        (
            "prongsai_login_limiter_keys",
            "gauge",
            "Accounts and addresses the limit remembers.",
            app.limiter.keys_remembered() as u64,
        ),
        ("prongsai_durable_checks_total", "counter", "Durability checks answered.", load(&m.durable_checks)),
        (
            "prongsai_unreadable_frames_total",
            "counter",
            "Frames about documents the peer may not read (never given to samod).",
            load(&m.unreadable_frames),
        ),
        (
            "prongsai_ephemeral_dropped_total",
            "counter",
            "Ephemeral messages dropped (read-only sender, too large, too many).",
            load(&m.ephemeral_dropped),
        ),
        (
            "prongsai_refused_changes_total",
            "counter",
            "Changes taken out of sync messages: their author may not write the document.",
            load(&m.refused_changes),
        ),
        ("prongsai_storage_puts_total", "counter", "Chunks written to storage.", app.storage.put_count()),
        (
            "prongsai_storage_failures_total",
            "counter",
            "Storage operations that failed.",
            app.storage.put_failure_count(),
        ),
        ("prongsai_storage_healthy", "gauge", "1 while storage confirms writes.", u64::from(app.storage.is_healthy())),
        ("prongsai_agency_repos_running", "gauge", "Agency repos in memory.", app.repos.running().await as u64),
        (
            "prongsai_documents_loaded",
            "gauge",
            "Documents in memory, across the running agency repos.",
            app.repos.documents_loaded().await as u64,
        ),
        (
            "prongsai_storage_fenced_total",
            "counter",
            "Writes refused because another node had taken their agency (nothing written).",
            app.storage.fenced_count(),
        ),
        (
            "prongsai_agency_leases_lost_total",
            "counter",
            "Agencies this node stopped serving because another node took them.",
            app.repos.leases_lost(),
        ),
        ("prongsai_password_jobs", "gauge", "Password checks queued or running.", auth::password_jobs() as u64),
        ("prongsai_audit_writes_total", "counter", "Entries appended to audit logs.", load(&m.audit_writes)),
        ("prongsai_ephemeral_relayed_total", "counter", "Ephemeral messages passed on.", load(&m.ephemeral_relayed)),
        (
            "prongsai_carried_out_total",
            "counter",
            "Requests and sync connections carried to the node serving their agency.",
            load(&m.carried_out),
        ),
        ("prongsai_carried_in_total", "counter", "Requests another node carried here.", load(&m.carried_in)),
    ];
    let body: String = rows
        .iter()
        .map(|(name, kind, help, value)| format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"))
        .collect();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

fn wrong_login() -> Response {
    (StatusCode::UNAUTHORIZED, Json(ErrorBody::new(ErrorKind::Unauthorized, "wrong username or password")))
        .into_response()
}

/// The longest password checked at all: argon2 takes any length, nobody types more than this.
const MAX_PASSWORD_CHARS: usize = 1024;

/// Checks a password for `account` under the guess limits (per account and per address): the
/// one way any route checks a password. `Ok(false)` is a wrong password (or no such user).
pub async fn check_password_limited<D: Database>(
    app: &App<D>,
    account: &str,
    address: IpAddr,
    password: String,
    stored: Option<String>,
) -> Result<bool, AppError> {
    let (guess, verified) = guess_password(app, account, address, password, stored).await?;
    if verified {
        guess.succeeded().await
    } else {
        guess.failed()
    }
    Ok(verified)
}

/// A password guess let through this node's limits and, where several nodes share the
/// database, through the limits counted there; settled by the caller.
struct Guess<'a, D: Database> {
    local: auth::Guess<'a>,
    app: &'a App<D>,
    /// The account's key and the rows the shared count holds for this guess.
    shared: Option<(String, Vec<i64>)>,
}

impl<D: Database> Guess<'_, D> {
    /// The password was right: the account's failures are forgotten, here and on every node
    /// (before the answer goes out, so that the user's next try finds them gone).
    async fn succeeded(self) {
        self.local.succeeded();
        if let Some((account, ids)) = self.shared
            && let Err(error) = self.app.db.login_guess_succeeded(account, ids).await
        {
            tracing::warn!(%error, "could not forget an account's failed guesses (they run out)");
        }
    }

    /// It stays counted (so it does in the shared count, until it leaves the window).
    fn failed(self) {
        self.local.failed();
    }
}

fn limited(app_metrics: &crate::app::Metrics, retry_after: Duration) -> AppError {
    app_metrics.login_limited.fetch_add(1, Ordering::Relaxed);
    let seconds = retry_after.as_secs().max(1);
    AppError::Refused {
        kind: ErrorKind::RateLimited,
        message: format!("too many failed attempts; try again in {seconds} seconds"),
        retry_after: Some(retry_after),
    }
}

/// A password guess let through the limits and checked, still open: the caller settles it (a
/// login settles it only after the second factor).
async fn guess_password<'a, D: Database>(
    app: &'a App<D>,
    account: &str,
    address: IpAddr,
    password: String,
    stored: Option<String>,
) -> Result<(Guess<'a, D>, bool), AppError> {
    let local =
        app.limiter.begin(account, address, Instant::now()).map_err(|l| limited(&app.metrics, l.retry_after))?;
    // Several nodes: the guesses every node let through count too (an attacker spreading guesses
    // over the nodes gets no more than from one).
    let (window, per_account, per_address) = app.limiter.limits();
    let keys = auth::RateLimiter::keys(account, address);
    let limits = [per_account, per_address].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let shared = match app.db.login_guess_begin(keys.clone(), limits, window_ms).await? {
        Ok(ids) => ids.map(|ids| (keys[0].clone(), ids)),
        Err(wait_ms) => {
            local.withdrawn();
            return Err(limited(&app.metrics, Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1000))));
        }
    };
    let guess = Guess { local, app, shared };
    app.metrics.password_checks.fetch_add(1, Ordering::Relaxed);
    let verified = auth::verify_password_async(password, stored).await.map_err(|busy| AppError::Refused {
        kind: ErrorKind::Busy,
        message: busy.to_string(),
        retry_after: Some(Duration::from_secs(2)),
    })?;
    Ok((guess, verified))
}

async fn login<D: Database>(
    State(app): State<App<D>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Any body that is not a login request is a failed login (401), never a 422.
    let Ok(request) = serde_json::from_slice::<LoginRequest>(&body) else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(ErrorBody::new(ErrorKind::Unauthorized, "send {\"username\", \"password\"}")),
        )
            .into_response();
    };
    // A username no account can have, or an absurd password, costs no work at all.
    if prongsai_core::admin::check_username(&request.username).is_err()
        || request.password.chars().count() > MAX_PASSWORD_CHARS
    {
        app.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
        return wrong_login();
    }
    let address = client_address(peer.ip(), &headers, &app.config.trusted_proxies);
    let user = match app.db.user_by_username(request.username.clone()).await {
        Ok(user) => user,
        Err(e) => return AppError::Db(e).into_response(),
    };
    let stored = user.as_ref().filter(|u| !u.disabled).map(|u| u.password_hash.clone());
    let (guess, verified) = match guess_password(&app, &request.username, address, request.password, stored).await {
        Ok(checked) => checked,
        Err(refused) => return refused.into_response(),
    };
    let Some(user) = user.filter(|_| verified) else {
        guess.failed();
        app.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(username = %request.username, address = %address, "failed login");
        return wrong_login();
    };
    // The password is right; a user with a second factor needs its code too. A wrong code is a
    // failed guess like a wrong password.
    if user.second_factor {
        let Some(code) = request.otp.as_deref().filter(|c| !c.trim().is_empty()) else {
            guess.succeeded().await;
            let body = ErrorBody::new(ErrorKind::SecondFactorRequired, "enter the code from your authenticator app");
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        };
        match crate::second_factor::accept_code(&app, &user, code).await {
            Ok(true) => guess.succeeded().await,
            Ok(false) => {
                guess.failed();
                app.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(username = %user.username, address = %address, "failed login: wrong second-factor code");
                let body = ErrorBody::new(ErrorKind::SecondFactorWrong, "the code is wrong or was used already");
                return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
            }
            Err(e) => return e.into_response(),
        }
    } else {
        guess.succeeded().await;
    }
    let issued = match app.issue_session(&user, request.device.as_deref().unwrap_or_default(), request.web).await {
        Ok(issued) => issued,
        Err(e) => return e.into_response(),
    };
    let (token, session) = (issued.token, issued.session);
    let second_factor = match crate::second_factor::must_enroll(&app, &user).await {
        Ok(true) => Some("enroll".to_string()),
        Ok(false) => None,
        Err(e) => return e.into_response(),
    };
    app.metrics.logins.fetch_add(1, Ordering::Relaxed);
    tracing::info!(username = %user.username, peer = %session.peer_id, "login");
    Json(LoginResponse {
        token,
        peer_id: session.peer_id,
        expires_at: session.expires_at,
        actor_id: session.actor_id,
        username: user.username,
        agency_id: user.agency_id,
        second_factor,
    })
    .into_response()
}

async fn logout<D: Database>(State(app): State<App<D>>, Caller(caller): Caller) -> Response {
    // Logging out ends this session only, and closes this session's connections: here, and on
    // any other node holding one (told through the access epoch).
    let revoked = async {
        app.db.session_revoke(caller.session.token_hash.clone()).await?;
        app.access.invalidate();
        app.close_connections(caller.user.id, Some(std::slice::from_ref(&caller.session.peer_id)));
        crate::bump_access_epoch(&app.db).await
    };
    match revoked.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => AppError::Db(e).into_response(),
    }
}

async fn me(Caller(caller): Caller) -> Json<Me> {
    let u = caller.user;
    Json(Me {
        roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
        username: u.username,
        agency_id: u.agency_id,
        division: u.division,
        display_name: u.display_name,
        position: u.position,
        peer_id: caller.session.peer_id,
        actor_id: caller.session.actor_id,
    })
}

async fn years<D: Database>(State(app): State<App<D>>, Caller(caller): Caller) -> Result<Json<Vec<i64>>, AppError> {
    Ok(Json(app.db.years_of(caller.user.agency_id).await?))
}

/// The `{agency}` and `{year}` of an agency-year route (the agency is the caller's, checked by
/// the scope layer).
#[derive(Deserialize)]
pub struct YearPath {
    pub agency: String,
    pub year: i64,
}

async fn documents<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(YearPath { agency, year }): Path<YearPath>,
) -> Result<Json<Vec<DocumentEntry>>, AppError> {
    let rows = app.db.documents_of(agency, year).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let peer = caller.peer();
    Ok(Json(
        rows.into_iter()
            .map(|row| DocumentEntry {
                writable: peer.may_write(&row),
                closed: row.closed,
                url: format!("automerge:{}", row.doc_id),
                kind: row.kind,
                division: row.division,
            })
            .collect(),
    ))
}

/// `?date=&track=&round=`: the day a picture is seen at, and the track and round it is of.
#[derive(Deserialize)]
pub(crate) struct StatusQuery {
    pub date: Option<String>,
    /// Another track than the integrity measures, and its round (its last when absent).
    pub track: Option<String>,
    pub round: Option<String>,
}

impl StatusQuery {
    /// `agency_year` as seen from the track and round named, or 404 for one it does not run.
    pub fn view_of<'a>(
        &self,
        agency_year: &'a prongsai_core::AgencyYear,
    ) -> Result<std::borrow::Cow<'a, prongsai_core::AgencyYear>, AppError> {
        agency_year.in_slot(&self.slot(agency_year)?).map_err(|_| AppError::NotFound)
    }

    /// The track and round named, resolved (a track's last round when none is named), or 404.
    pub fn slot(&self, agency_year: &prongsai_core::AgencyYear) -> Result<prongsai_core::tracks::Slot, AppError> {
        let slot = prongsai_core::tracks::Slot::of(self.track.as_deref(), self.round.as_deref());
        agency_year.resolve_slot(&slot).map_err(|_| AppError::NotFound)
    }
}

fn today_bangkok() -> Date {
    Date::from_unix_millis_bangkok(now_ms())
}

/// An ISO date from a request, or today in Bangkok when the request names none.
pub(crate) fn date_or_today(date: Option<&str>) -> Result<Date, AppError> {
    match date {
        Some(d) => d.parse().map_err(|e: prongsai_core::calendar::IsoDateError| AppError::BadRequest(e.to_string())),
        None => Ok(today_bangkok()),
    }
}

async fn status<D: Database>(
    State(app): State<App<D>>,
    Path(YearPath { agency, year }): Path<YearPath>,
    Query(query): Query<StatusQuery>,
) -> Result<Response, AppError> {
    let today = date_or_today(query.date.as_deref())?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    let view = prongsai_core::merged_view(&*query.view_of(&agency_year)?, today);
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
struct StepPath {
    agency: String,
    year: i64,
    step: String,
}

/// `?round=`: which document a signature, a download or a publication is about (`plan`, or the
/// report when absent).
#[derive(Deserialize, Default)]
pub struct RoundQuery {
    pub track: Option<String>,
    pub round: Option<String>,
}

impl RoundQuery {
    /// The plan or round's report this names in `agency_year` (`?track=&round=`; the integrity
    /// report without them, `round=plan` for a plan), or 404 for one the year does not run.
    pub fn publication(&self, agency_year: &prongsai_core::AgencyYear) -> Result<Target, AppError> {
        let (slot, part) = self.target(agency_year)?;
        Ok(Target { slot, part })
    }

    /// The track, round and part this names, or 404 for one the year does not run.
    pub fn target(
        &self,
        agency_year: &prongsai_core::AgencyYear,
    ) -> Result<(prongsai_core::tracks::Slot, Part), AppError> {
        agency_year.target(self.track.as_deref(), self.round.as_deref()).ok_or(AppError::NotFound)
    }
}

async fn sign<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(StepPath { agency, year, step }): Path<StepPath>,
    Query(round): Query<RoundQuery>,
    Json(request): Json<SignRequest>,
) -> Result<Json<SignResponse>, AppError> {
    let date = date_or_today(request.date.as_deref())?;
    if let SignatureDecision::Other(other) = &request.decision {
        return Err(AppError::BadRequest(format!("decision must be approved or returned, not {other:?}")));
    }
    if request.decision == SignatureDecision::Returned && request.comment.trim().is_empty() {
        return Err(AppError::BadRequest("returning the memo needs a comment saying why".into()));
    }
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    crate::years::ensure_open(&app, &agency, year).await?;
    let Target { slot, part } = round.publication(&agency_year)?;
    let view = agency_year.in_slot(&slot).map_err(|_| AppError::NotFound)?;
    let report = Report::build_part(&view, part);
    let chain = prongsai_core::signing::chain(&view, &report);
    let index = prongsai_core::signing::may_sign(&chain, &step, &caller.user.username, &caller.user.roles).map_err(
        |refusal| {
            tracing::warn!(user = %caller.user.username, %step, %refusal, "refused a signature");
            match refusal {
                prongsai_core::signing::SignRefusal::NoSuchStep(_) => AppError::NotFound,
                prongsai_core::signing::SignRefusal::NotTheApprover { .. } => AppError::Forbidden(refusal.to_string()),
                prongsai_core::signing::SignRefusal::OutOfOrder { .. } => {
                    AppError::Conflict(ErrorKind::OutOfOrder, refusal.to_string())
                }
            }
        },
    )?;
    let (_, this_step) = view.approval_steps()[index];
    let signature = Signature {
        decision: request.decision,
        comment: request.comment.trim().to_string(),
        signer: caller.user.username.clone(),
        name: this_step.name.clone(),
        position: this_step.position.clone(),
        date: date.to_string(),
        signed_at: now_ms(),
        report_hash: report.content_hash.clone(),
    };
    let approvals = rows.iter().find(|r| r.kind == DocKind::Approvals).ok_or(AppError::NotFound)?.clone();
    let recorded = signature.clone();
    let step_id = step.clone();
    let slot_written = slot.clone();
    let message = match part {
        Part::Report => "ลงนามความเห็น",
        Part::Plan => "ลงนามอนุมัติแผน",
    };
    app.server_edit_as(&approvals, message, &caller.user.username, move |tx, _| {
        prongsai_core::docs::approvals::record(tx, &slot_written, part, &step_id, &recorded)
    })
    .await?;
    tracing::info!(user = %caller.user.username, %step, part = part.as_str(), track = slot.track_id(), "signed");
    if index + 1 == chain.len() && signature.decision == SignatureDecision::Approved {
        // The last step approved: publish the frozen plan or report at its public address (a
        // report waiting for its plan goes out with it).
        crate::reports::publish_soon(app.clone(), crate::app::Actor::of(&caller), agency.clone(), year);
    }
    Ok(Json(SignResponse {
        step,
        decision: signature.decision,
        report_hash: signature.report_hash,
        date: signature.date,
    }))
}

#[derive(Deserialize)]
struct DurableQuery {
    /// Comma-separated hex change hashes.
    heads: String,
    /// How long to wait for them to become durable (capped by the server).
    wait_ms: Option<u64>,
}

/// The registered document behind an id (`automerge:` prefix allowed) that the caller may read.
async fn readable_document<D: Database>(app: &App<D>, caller: &Auth, id: &str) -> Result<DocumentRow, AppError> {
    let id = id.strip_prefix("automerge:").unwrap_or(id);
    match app.access.document(id).await {
        Some(row) if row.agency_id == caller.user.agency_id => Ok(row),
        _ => Err(AppError::NotFound),
    }
}

async fn durable<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    Query(query): Query<DurableQuery>,
    request: Request,
) -> Result<Response, AppError> {
    let row = readable_document(&app, &caller, &id).await?;
    // Only the node serving the agency knows what it has committed and refused: another node
    // carries the question there (or answers 503, and a load balancer retries elsewhere).
    if let Err(refusal) = app.repos.get(&row.agency_id).await {
        return Ok(crate::link::elsewhere(&app, refusal, request).await);
    }
    let heads: Vec<ChangeHash> = query
        .heads
        .split(',')
        .filter(|h| !h.is_empty())
        .map(|h| h.parse().map_err(|_| AppError::BadRequest(format!("{h:?} is not a change hash"))))
        .collect::<Result<_, _>>()?;
    // A caller who may not write the document waits for nothing: their changes will never come.
    let writable = caller.peer().may_write(&row);
    let wait = if writable { Duration::from_millis(query.wait_ms.unwrap_or(0)) } else { Duration::ZERO };
    let wait = wait.min(app.config.durable_wait_max);
    app.metrics.durable_checks.fetch_add(1, Ordering::Relaxed);
    let refused_here = app.refused_changes(&row.doc_id);
    let refused = heads.iter().any(|h| refused_here.contains(h));
    let wait = if refused { Duration::ZERO } else { wait };
    let durable = app.storage.wait_durable(&row.doc_id, &heads, wait).await.map_err(|_| AppError::Unhealthy)?;
    Ok(Json(DurableResponse { document: format!("automerge:{}", row.doc_id), durable, writable, refused })
        .into_response())
}

fn valid_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Evidence upload: only a session that may write some document of its agency (a read-only or
/// viewer session has nothing to attach evidence to); only the accepted file types, judged by
/// the bytes; never past the agency's quota or the server's free-disk floor, so that a full disk
/// is met by refused uploads, not by failed sync writes.
async fn put_blob<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(sha256): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<BlobStored>), AppError> {
    let peer = caller.peer();
    if peer.read_only {
        return Err(AppError::ReadOnly("a web dashboard sign-in cannot upload evidence".into()));
    }
    if !peer.writes_some_document() {
        return Err(AppError::Forbidden("only people who record results or plans upload evidence".into()));
    }
    if !valid_sha256(&sha256) {
        return Err(AppError::BadRequest("the path must be the lowercase hex SHA-256 of the file".into()));
    }
    if body.len() > app.config.max_blob_bytes {
        return Err(AppError::refused(
            ErrorKind::TooLarge,
            format!("files over {} bytes are not accepted", app.config.max_blob_bytes),
        ));
    }
    if prongsai_core::hash::sha256_hex(&body) != sha256 {
        return Err(AppError::BadRequest("the file's SHA-256 does not match the path".into()));
    }
    let Some(file_type) = FileType::sniff(&body) else {
        tracing::warn!(user = %caller.user.username, "refused an upload: not an accepted file type");
        return Err(AppError::refused(
            ErrorKind::UnsupportedType,
            "evidence must be a JPEG or PNG photo, PDF, DOCX, XLSX, ODT, ODS or UTF-8 text file",
        ));
    };
    let agency = caller.user.agency_id.clone();
    crate::quota::check_upload(&app, &agency, &sha256, body.len() as u64).await?;
    let media_type = file_type.media_type().to_string();
    app.db
        .blob_put(agency, sha256.clone(), crate::db::BlobRow { media_type: media_type.clone(), data: body.to_vec() })
        .await?;
    Ok((StatusCode::CREATED, Json(BlobStored { sha256, size: body.len(), media_type })))
}

/// The headers every stored file is served with: never sniffed into something else, never run
/// as a page (a sandboxed, script-less document even if opened directly), and downloaded rather
/// than shown unless it is a photo.
pub fn file_headers(media_type: &str, file_name: &str, inline: bool) -> [(header::HeaderName, HeaderValue); 4] {
    let disposition = if inline { "inline" } else { "attachment" };
    let file_name: String =
        file_name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_str(media_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!("{disposition}; filename=\"{file_name}\""))
                .unwrap_or(HeaderValue::from_static("attachment")),
        ),
    ]
}

async fn get_blob<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    if !valid_sha256(&sha256) {
        return Err(AppError::NotFound);
    }
    let blob = app.db.blob_get(caller.user.agency_id.clone(), sha256.clone()).await?.ok_or(AppError::NotFound)?;
    // Whatever was stored (by an older server, from any header), the bytes decide.
    let file_type = FileType::sniff(&blob.data);
    let (media_type, inline, extension) = match file_type {
        Some(t) => (t.media_type(), t.inline(), t.extension()),
        None => ("application/octet-stream", false, "bin"),
    };
    let mut response =
        (file_headers(media_type, &format!("{}.{extension}", &sha256[..16]), inline), blob.data).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_redacted_from_logged_queries() {
        let cases = [
            ("token=abc", "token=REDACTED"),
            ("a=1&token=secret&b=2", "a=1&token=REDACTED&b=2"),
            ("Token=x", "Token=REDACTED"),
            ("heads=aa,bb&wait_ms=100", "heads=aa,bb&wait_ms=100"),
            ("password=hunter2", "password=REDACTED"),
        ];
        for (query, expected) in cases {
            assert_eq!(redact_query(query), expected);
        }
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.7"));
        // From the proxy: the address the proxy appended (the last), not what the client claimed.
        assert_eq!(client_address(proxy, &headers, &[proxy]), "203.0.113.7".parse::<IpAddr>().expect("ip"));
        // From anyone else the header is ignored.
        let direct: IpAddr = "198.51.100.1".parse().expect("ip");
        assert_eq!(client_address(direct, &headers, &[proxy]), direct);
        assert_eq!(client_address(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
