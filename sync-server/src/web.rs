//! The web dashboard's side of the server: the frontend's files at `/` (the same Yew frontend the
//! app runs), the views it asks for (session, measure, history), and a WebSocket that tells the
//! page when any document of the agency-year changed, so it updates without a reload.
//!
//! A web sign-in (`"web": true` at login) gets a read-only session: it can read everything its
//! user may read and write no document; approvers sign through the approvals API.

use std::path::{Component, Path as FsPath, PathBuf};
use std::time::Duration;

use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use prongsai_core::app::SessionView;
use prongsai_core::detail::{MeasureDetail, measure_detail};
use prongsai_core::history::{self, ActivityEntry, HistoryEntry};
use prongsai_core::model::{DocKey, DocKind};
use prongsai_core::report_model::MemoView;

use crate::api::YearPath;
use crate::api::{Caller, date_or_today};
use crate::app::{App, AppError, now_ms};
use crate::db::Database;
use crate::routes::{RouteTable, Scope};

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.get(Scope::Open, "/", index::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/session", session::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/measures/{measure}", measure::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/measures/{measure}/history", measure_history::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/live", live::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/activity", activity::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/memo", memo::<D>);
}

/// The page when the frontend has not been built into the web directory.
const NOT_BUILT: &str = "<!doctype html><html lang=\"th\"><head><meta charset=\"utf-8\"><title>Prongsai</title></head>\
<body><h1>โปร่งใส</h1><p>ยังไม่ได้สร้างหน้าเว็บ · The web dashboard has not been built: run \
<code>scripts/build-frontend.sh</code> and start the server again.</p></body></html>";

/// The dashboard page's content security policy: its own scripts (and the wasm they compile),
/// styles, fonts and images from this server, data from this server only (HTTP and WebSocket),
/// no plugins, no framing. A stored file opened by mistake cannot run in its place: evidence is
/// served under its own sandboxing policy (see `api::file_headers`).
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The policy of the scripts themselves: nothing for a module the page imports, but a Worker
/// (the device Worker, the service worker) runs under its own script's policy: this server's
/// scripts and wasm, requests to this server only (HTTP and WebSocket), nothing else.
pub const WORKER_CSP: &str =
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; base-uri 'none'";

/// An HTML page of the dashboard, with its policy.
fn page(bytes: impl IntoResponse) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    response
}

async fn index<D: Database>(State(app): State<App<D>>) -> Response {
    match tokio::fs::read(app.config.web_dir.join("index.html")).await {
        Ok(bytes) => page(bytes),
        Err(_) => page(NOT_BUILT),
    }
}

/// Serves a file of the web directory (the wasm, its JS, styles, fonts); 404 for anything else.
pub async fn static_file<D: Database>(State(app): State<App<D>>, uri: Uri) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "no such route" }))).into_response();
    let Some(path) = safe_path(&app.config.web_dir, uri.path()) else { return not_found() };
    match tokio::fs::read(&path).await {
        Ok(bytes) if content_type(&path).starts_with("text/html") => page(bytes),
        Ok(bytes) => {
            let kind = content_type(&path);
            let mut response =
                ([(header::CONTENT_TYPE, kind), (header::X_CONTENT_TYPE_OPTIONS, "nosniff")], bytes).into_response();
            if kind.starts_with("text/javascript") {
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(WORKER_CSP));
            }
            response
        }
        Err(_) => not_found(),
    }
}

/// `root` + the request path, refusing anything that climbs out (`..`) or is not a plain path.
fn safe_path(root: &FsPath, request: &str) -> Option<PathBuf> {
    let relative = FsPath::new(request.trim_start_matches('/'));
    let plain = relative.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !request.is_empty() && request != "/").then(|| root.join(relative))
}

fn content_type(path: &FsPath) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("ttf") => "font/ttf",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// Who is signed in, as the frontend shows them, and what they may write (nothing on the web).
async fn session<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<SessionView>, AppError> {
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let peer = caller.peer();
    let writable = rows
        .iter()
        .filter(|r| peer.may_write(r))
        .map(|r| DocKey { kind: r.kind, division: r.division.clone() })
        .collect();
    let mut view = SessionView::describe("", &caller.user.username, &agency_year, writable);
    view.enroll_second_factor = crate::second_factor::must_enroll(&app, &caller.user).await?;
    view.closed = rows.iter().any(|r| r.closed);
    view.years = app.db.years_of(agency).await?;
    view.current_year = crate::years::current_fiscal_year();
    Ok(Json(view))
}

async fn measure<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year, measure)): Path<(String, i64, String)>,
    Query(query): Query<crate::api::StatusQuery>,
) -> Result<Json<MeasureDetail>, AppError> {
    let today = date_or_today(query.date.as_deref())?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    measure_detail(&*query.view_of(&agency_year)?, &measure, today).map(Json).ok_or(AppError::NotFound)
}

async fn measure_history<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year, measure)): Path<(String, i64, String)>,
    Query(query): Query<crate::api::StatusQuery>,
) -> Result<Json<Vec<HistoryEntry>>, AppError> {
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    // `?track=&round=`: the history of a project of that track and round.
    let slot = query.slot(&agency_year)?;
    let parts = measure_documents(&app, &rows)
        .await?
        .iter()
        .map(|(key, doc)| history::measure_history_in(doc, key, &slot, &measure, &agency_year.directory))
        .collect();
    Ok(Json(history::merge_histories(parts)))
}

/// The memo as it will print, with its signatures (and the proposals' ids, for the app's editor):
/// the integrity measures' report memo, or a track round's with `?track=&round=`.
async fn memo<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year)): Path<(String, i64)>,
    Query(query): Query<crate::api::StatusQuery>,
) -> Result<Json<MemoView>, AppError> {
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    Ok(Json(MemoView::build(&*query.view_of(&agency_year)?)))
}

/// Copies of the documents that hold measures (plan, results, review), with their keys.
async fn measure_documents<D: Database>(
    app: &App<D>,
    rows: &[crate::db::DocumentRow],
) -> Result<Vec<(DocKey, prongsai_core::automerge::Automerge)>, AppError> {
    let mut documents = Vec::new();
    for row in rows.iter().filter(|r| matches!(r.kind, DocKind::Plan | DocKind::Results | DocKind::Review)) {
        let doc = app.handle(row).await?.with_document_async(|doc| doc.clone()).await?;
        documents.push((DocKey { kind: row.kind, division: row.division.clone() }, doc));
    }
    Ok(documents)
}

/// The central office's activity feed: the latest changes across the agency-year, newest first.
async fn activity<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<Vec<ActivityEntry>>, AppError> {
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let documents = measure_documents(&app, &rows).await?;
    Ok(Json(history::activity(documents.iter().map(|(k, d)| (k, d)), &agency_year.directory, ACTIVITY_LIMIT)))
}

/// How many changes the activity feed shows.
pub const ACTIVITY_LIMIT: usize = 30;

/// A WebSocket that sends `"changed"` whenever a document of the agency-year changed (one message
/// per burst). The page reloads its views when it arrives. It carries no document content. Like a
/// sync connection it is closed when its session is revoked or expires, and when the page stops
/// answering pings (a quiet but live page stays connected for hours).
async fn live<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(YearPath { agency, year }): Path<YearPath>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let rows = app.db.documents_of(agency.clone(), year).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let open = app.connections_of(caller.user.id);
    if open >= app.config.max_connections_per_user {
        return Err(AppError::Refused {
            kind: prongsai_core::wire::ErrorKind::RateLimited,
            message: format!("this user has {open} connections open already"),
            retry_after: Some(Duration::from_secs(30)),
        });
    }
    let mut handles = Vec::new();
    for row in &rows {
        handles.push(app.handle(row).await?);
    }
    // The page's socket names the protocol beside its token; the answer must name it back.
    Ok(upgrade.protocols([prongsai_core::wire::LIVE_PROTOCOL]).on_upgrade(move |socket| async move {
        let (guard, close) = app.register_connection(&caller);
        let reason = notify_changes(socket, handles, close, caller.session.expires_at, app.config.keepalive).await;
        tracing::info!(user = %caller.user.username, reason, "live connection closed");
        drop(guard);
    }))
}

async fn notify_changes(
    mut socket: WebSocket,
    handles: Vec<samod::DocHandle>,
    close: crate::app::CloseSignal,
    expires_at: i64,
    keepalive: crate::sync::Keepalive,
) -> &'static str {
    if socket.send(Message::Text("ready".into())).await.is_err() {
        return "the page went away";
    }
    let mut changes = futures::stream::select_all(handles.iter().map(|h| h.changes().boxed()));
    let mut ping = tokio::time::interval(keepalive.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let (mut missed, mut outstanding, mut answered) = (0u32, false, false);
    let expiry = tokio::time::sleep(Duration::from_millis(u64::try_from(expires_at - now_ms()).unwrap_or(0)));
    tokio::pin!(expiry);
    let reason = loop {
        tokio::select! {
            change = changes.next() => {
                if change.is_none() {
                    break "the agency's repo stopped"; // the page reconnects
                }
                // Let a burst of sync messages settle into one notice.
                let settle = tokio::time::sleep(Duration::from_millis(150));
                tokio::pin!(settle);
                loop {
                    tokio::select! {
                        _ = &mut settle => break,
                        more = changes.next() => if more.is_none() { break },
                    }
                }
                let sent = tokio::time::timeout(keepalive.write_timeout, socket.send(Message::Text("changed".into()))).await;
                if !matches!(sent, Ok(Ok(()))) {
                    break "the page stopped reading";
                }
            }
            _ = ping.tick() => {
                if outstanding && !answered { missed += 1 } else { missed = 0 }
                if missed >= keepalive.missed_pongs {
                    break "the page stopped answering pings";
                }
                (outstanding, answered) = (true, false);
                let sent = tokio::time::timeout(keepalive.write_timeout, socket.send(Message::Ping(Vec::new().into()))).await;
                if !matches!(sent, Ok(Ok(()))) {
                    break "the page stopped reading";
                }
            }
            () = close.closed() => break "revoked",
            () = &mut expiry => break "the session expired",
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break "the page went away",
                Some(Ok(Message::Pong(_))) => answered = true,
                Some(Ok(_)) => {}
            },
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(None))).await;
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_inside_the_web_directory_are_served() {
        let root = FsPath::new("/srv/web");
        assert_eq!(safe_path(root, "/style.css"), Some(PathBuf::from("/srv/web/style.css")));
        assert_eq!(
            safe_path(root, "/fonts/Sarabun-Regular.ttf"),
            Some(PathBuf::from("/srv/web/fonts/Sarabun-Regular.ttf"))
        );
        for hostile in ["/../data/prongsai.sqlite3", "/fonts/../../etc/passwd", "/", "", "/./x", "/a/../../b"] {
            assert_eq!(safe_path(root, hostile), None, "{hostile}");
        }
        // Doubled slashes stay inside the web directory.
        assert_eq!(safe_path(root, "//etc/passwd"), Some(PathBuf::from("/srv/web/etc/passwd")));
    }
}
