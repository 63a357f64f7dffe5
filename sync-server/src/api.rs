//! The HTTP API (JSON). Shapes here are a contract outside clients rely on: extend, never break.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use prongsai_core::Date;
use prongsai_core::automerge::ChangeHash;
use prongsai_core::model::{DocKind, Role, Signature, SignatureDecision};
use prongsai_core::report_model::Report;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::{App, AppError, Auth, now_ms};
use crate::auth;
use crate::db::{Database, DocumentRow};
use crate::sync::bearer_token;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Stopped | AppError::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(_) | AppError::Doc(_) => {
                tracing::error!(error = %self, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &self {
            // Unknown and foreign documents look the same: nothing is revealed.
            AppError::NotFound => "not found or not available to you".to_string(),
            AppError::Db(_) | AppError::Doc(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// An authenticated caller: every `/api/*` route except login extracts this, so a missing or
/// invalid token answers 401 before the handler runs.
pub struct Caller(pub Auth);

impl<D: Database> FromRequestParts<App<D>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App<D>) -> Result<Self, Self::Rejection> {
        let query: HashMap<String, String> = Query::try_from_uri(&parts.uri).map(|q| q.0).unwrap_or_default();
        let unauthorized = |msg: &str| (StatusCode::UNAUTHORIZED, Json(json!({ "error": msg }))).into_response();
        let Some(token) = bearer_token(&parts.headers, &query) else {
            return Err(unauthorized("sign in first"));
        };
        match app.authenticate(&token).await {
            Ok(Some(auth)) => Ok(Caller(auth)),
            Ok(None) => Err(unauthorized("the token is not valid; sign in again")),
            Err(e) => Err(AppError::Db(e).into_response()),
        }
    }
}

pub fn routes<D: Database>() -> Router<App<D>> {
    Router::new()
        .route("/healthz", get(healthz::<D>))
        .route("/metrics", get(metrics::<D>))
        .route("/sync", get(crate::sync::websocket::<D>))
        .route("/api/login", post(login::<D>))
        .route("/api/logout", post(logout::<D>))
        .route("/api/me", get(me))
        .route("/api/agencies/{agency}/years", get(years::<D>))
        .route("/api/agencies/{agency}/years/{year}/documents", get(documents::<D>))
        .route("/api/agencies/{agency}/years/{year}/status", get(status::<D>))
        .route("/api/agencies/{agency}/years/{year}/approvals/{step}", post(sign::<D>))
        .route("/api/documents/{id}/durable", get(durable::<D>))
        .route("/api/blobs/{sha256}", put(put_blob::<D>).get(get_blob::<D>))
        .merge(crate::admin::routes::<D>())
        .merge(crate::web::routes::<D>())
        .merge(crate::reports::routes::<D>())
        .fallback(crate::web::static_file::<D>)
}

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

async fn healthz<D: Database>(State(app): State<App<D>>) -> Response {
    if app.storage.is_healthy() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "storage unhealthy").into_response()
    }
}

async fn metrics<D: Database>(State(app): State<App<D>>) -> Response {
    let m = &app.metrics;
    let line = |name: &str, kind: &str, help: &str, value: u64| {
        format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n")
    };
    let body = [
        line(
            "prongsai_connections_open",
            "gauge",
            "Open sync connections.",
            m.connections_open.load(Ordering::Relaxed),
        ),
        line(
            "prongsai_connections_total",
            "counter",
            "Sync connections opened.",
            m.connections_opened.load(Ordering::Relaxed),
        ),
        line(
            "prongsai_frames_received_total",
            "counter",
            "Sync frames received.",
            m.frames_received.load(Ordering::Relaxed),
        ),
        line(
            "prongsai_frames_rejected_total",
            "counter",
            "Frames that closed their connection.",
            m.frames_rejected.load(Ordering::Relaxed),
        ),
        line(
            "prongsai_refused_writes_total",
            "counter",
            "Changes sent to documents the sender may not write.",
            m.refused_writes.load(Ordering::Relaxed),
        ),
        line("prongsai_logins_total", "counter", "Successful logins.", m.logins.load(Ordering::Relaxed)),
        line("prongsai_login_failures_total", "counter", "Failed logins.", m.login_failures.load(Ordering::Relaxed)),
        line(
            "prongsai_durable_checks_total",
            "counter",
            "Durability checks answered.",
            m.durable_checks.load(Ordering::Relaxed),
        ),
        line("prongsai_storage_puts_total", "counter", "Chunks written to storage.", app.storage.put_count()),
        line(
            "prongsai_storage_failures_total",
            "counter",
            "Storage operations that failed.",
            app.storage.put_failure_count(),
        ),
        line(
            "prongsai_storage_healthy",
            "gauge",
            "1 while storage confirms writes.",
            u64::from(app.storage.is_healthy()),
        ),
        line("prongsai_agency_repos_running", "gauge", "Agency repos in memory.", app.repos.running().await as u64),
    ]
    .concat();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
    #[serde(default)]
    device: Option<String>,
    /// A web dashboard sign-in: the session reads and writes no document.
    #[serde(default)]
    web: bool,
}

#[derive(Serialize)]
struct LoginResponse {
    token: String,
    peer_id: String,
    /// Unix milliseconds.
    expires_at: i64,
    /// The Automerge actor id (hex) this device must write with.
    actor_id: String,
    username: String,
    agency_id: String,
}

async fn login<D: Database>(
    State(app): State<App<D>>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    // Any body that is not a login request is a failed login (401), never a 422.
    let request: LoginRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "send {\"username\", \"password\"}" })))
                .into_response();
        }
    };
    let now = Instant::now();
    if let Err(limited) = app.limiter.check(&request.username, address.ip(), now) {
        let seconds = limited.retry_after.as_secs().max(1);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, HeaderValue::from(seconds))],
            Json(json!({ "error": format!("too many failed logins; try again in {seconds} seconds") })),
        )
            .into_response();
    }
    let user = match app.db.user_by_username(request.username.clone()).await {
        Ok(user) => user,
        Err(e) => return AppError::Db(e).into_response(),
    };
    let password = request.password.clone();
    let stored = user.as_ref().filter(|u| !u.disabled).map(|u| u.password_hash.clone());
    let verified = auth::verify_password_async(password, stored).await;
    let Some(user) = user.filter(|_| verified) else {
        app.limiter.record_failure(&request.username, address.ip(), now);
        app.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(username = %request.username, address = %address.ip(), "failed login");
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "wrong username or password" }))).into_response();
    };
    app.limiter.record_success(&user.username);
    let issued = match app.issue_session(&user, request.device.as_deref().unwrap_or_default(), request.web).await {
        Ok(issued) => issued,
        Err(e) => return e.into_response(),
    };
    let (token, session) = (issued.token, issued.session);
    app.metrics.logins.fetch_add(1, Ordering::Relaxed);
    tracing::info!(username = %user.username, peer = %session.peer_id, "login");
    Json(LoginResponse {
        token,
        peer_id: session.peer_id,
        expires_at: session.expires_at,
        actor_id: session.actor_id,
        username: user.username,
        agency_id: user.agency_id,
    })
    .into_response()
}

async fn logout<D: Database>(State(app): State<App<D>>, Caller(caller): Caller) -> Response {
    // Logging out ends this session only, and closes this session's connections.
    match app.db.session_revoke(caller.session.token_hash.clone()).await {
        Ok(()) => {
            app.access.invalidate();
            app.close_connections(caller.user.id, Some(std::slice::from_ref(&caller.session.peer_id)));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => AppError::Db(e).into_response(),
    }
}

async fn me(Caller(caller): Caller) -> Response {
    let u = &caller.user;
    Json(json!({
        "username": u.username,
        "agency_id": u.agency_id,
        "division": u.division,
        "roles": u.roles.iter().map(Role::as_str).collect::<Vec<_>>(),
        "display_name": u.display_name,
        "position": u.position,
        "peer_id": caller.session.peer_id,
        "actor_id": caller.session.actor_id,
    }))
    .into_response()
}

pub(crate) fn same_agency(caller: &Auth, agency: &str) -> Result<(), AppError> {
    // Another agency's data is answered exactly like data that does not exist.
    if caller.user.agency_id == agency { Ok(()) } else { Err(AppError::NotFound) }
}

async fn years<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
) -> Result<Json<Vec<i64>>, AppError> {
    same_agency(&caller, &agency)?;
    Ok(Json(app.db.years_of(agency).await?))
}

#[derive(Serialize)]
struct DocumentEntry {
    kind: DocKind,
    division: Option<String>,
    url: String,
    /// Whether the caller may write it (the server enforces this either way).
    writable: bool,
}

async fn documents<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<Vec<DocumentEntry>>, AppError> {
    same_agency(&caller, &agency)?;
    let rows = app.db.documents_of(agency, year).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let peer = caller.peer();
    Ok(Json(
        rows.into_iter()
            .map(|row| DocumentEntry {
                writable: peer.may_write(&row),
                url: format!("automerge:{}", row.doc_id),
                kind: row.kind,
                division: row.division,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct StatusQuery {
    date: Option<String>,
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
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    Query(query): Query<StatusQuery>,
) -> Result<Response, AppError> {
    same_agency(&caller, &agency)?;
    let today = date_or_today(query.date.as_deref())?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    let view = prongsai_core::merged_view(&agency_year, today);
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
struct SignRequest {
    decision: SignatureDecision,
    #[serde(default)]
    comment: String,
    /// The date written on the signature (ISO); today in Bangkok when absent.
    date: Option<String>,
}

async fn sign<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year, step)): Path<(String, i64, String)>,
    Json(request): Json<SignRequest>,
) -> Result<Response, AppError> {
    same_agency(&caller, &agency)?;
    let date = date_or_today(request.date.as_deref())?;
    if let SignatureDecision::Other(other) = &request.decision {
        return Err(AppError::BadRequest(format!("decision must be approved or returned, not {other:?}")));
    }
    if request.decision == SignatureDecision::Returned && request.comment.trim().is_empty() {
        return Err(AppError::BadRequest("returning the memo needs a comment saying why".into()));
    }
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let steps = agency_year.approval_steps();
    let Some(index) = steps.iter().position(|(id, _)| **id == step) else { return Err(AppError::NotFound) };
    let (_, this_step) = steps[index];
    if !caller.user.roles.contains(&Role::Approver)
        || this_step.approver.as_deref() != Some(caller.user.username.as_str())
    {
        tracing::warn!(user = %caller.user.username, %step, "refused a signature: not this step's approver");
        return Err(AppError::Forbidden(format!("step {step} is signed by its own approver only")));
    }
    let report = Report::build(&agency_year);
    for (earlier, signature) in steps[..index].iter().zip(&report.signatures) {
        let ready = signature.as_ref().is_some_and(|s| s.up_to_date && s.decision == SignatureDecision::Approved);
        if !ready {
            tracing::warn!(user = %caller.user.username, %step, "refused a signature: out of order");
            return Err(AppError::Conflict(format!("step {} must approve the current memo first", earlier.0)));
        }
    }
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
    app.server_edit(&approvals, "ลงนามความเห็น", move |tx| {
        prongsai_core::docs::approvals::record(tx, &step_id, &recorded)
    })
    .await?;
    tracing::info!(user = %caller.user.username, %step, "signed");
    if index + 1 == steps.len() && signature.decision == SignatureDecision::Approved {
        // The last step approved: publish the frozen report at its public address.
        crate::reports::publish_soon(app.clone(), agency.clone(), year);
    }
    Ok(Json(json!({
        "step": step,
        "decision": signature.decision,
        "report_hash": signature.report_hash,
        "date": signature.date,
    }))
    .into_response())
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
) -> Result<Response, AppError> {
    let row = readable_document(&app, &caller, &id).await?;
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
    let durable = app.storage.wait_durable(&row.doc_id, &heads, wait).await.map_err(|_| AppError::Unhealthy)?;
    Ok(Json(json!({ "document": format!("automerge:{}", row.doc_id), "durable": durable, "writable": writable }))
        .into_response())
}

fn valid_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

async fn put_blob<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    if !valid_sha256(&sha256) {
        return Err(AppError::BadRequest("the path must be the lowercase hex SHA-256 of the file".into()));
    }
    if body.len() > app.config.max_blob_bytes {
        return Ok((
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "error": format!("files over {} bytes are not accepted", app.config.max_blob_bytes) })),
        )
            .into_response());
    }
    let actual = prongsai_core::hash::sha256_hex(&body);
    if actual != sha256 {
        return Err(AppError::BadRequest("the file's SHA-256 does not match the path".into()));
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .chars()
        .take(100)
        .collect();
    app.db
        .blob_put(caller.user.agency_id.clone(), sha256.clone(), crate::db::BlobRow { media_type, data: body.to_vec() })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "sha256": sha256, "size": body.len() }))).into_response())
}

async fn get_blob<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    if !valid_sha256(&sha256) {
        return Err(AppError::NotFound);
    }
    let blob = app.db.blob_get(caller.user.agency_id.clone(), sha256).await?.ok_or(AppError::NotFound)?;
    let content_type =
        HeaderValue::from_str(&blob.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable")),
        ],
        blob.data,
    )
        .into_response())
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
}
