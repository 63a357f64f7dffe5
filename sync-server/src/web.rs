//! The web dashboard's side of the server: the frontend's files at `/` (the same Yew frontend the
//! app runs), the views it asks for (session, measure, history), and a WebSocket that tells the
//! page when any document of the agency-year changed, so it updates without a reload.
//!
//! A web sign-in (`"web": true` at login) gets a read-only session: it can read everything its
//! user may read and write no document; approvers sign through the approvals API.

use std::path::{Component, Path as FsPath, PathBuf};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::StreamExt;
use prongsai_core::app::SessionView;
use prongsai_core::detail::{MeasureDetail, measure_detail};
use prongsai_core::history::{self, ActivityEntry, HistoryEntry};
use prongsai_core::model::{DocKey, DocKind};
use prongsai_core::report_model::MemoView;
use serde::Deserialize;

use crate::api::{Caller, date_or_today, same_agency};
use crate::app::{App, AppError};
use crate::db::Database;

pub fn routes<D: Database>() -> Router<App<D>> {
    Router::new()
        .route("/", get(index::<D>))
        .route("/api/agencies/{agency}/years/{year}/session", get(session::<D>))
        .route("/api/agencies/{agency}/years/{year}/measures/{measure}", get(measure::<D>))
        .route("/api/agencies/{agency}/years/{year}/measures/{measure}/history", get(measure_history::<D>))
        .route("/api/agencies/{agency}/years/{year}/live", get(live::<D>))
        .route("/api/agencies/{agency}/years/{year}/activity", get(activity::<D>))
        .route("/api/agencies/{agency}/years/{year}/memo", get(memo::<D>))
}

/// The page when the frontend has not been built into the web directory.
const NOT_BUILT: &str = "<!doctype html><html lang=\"th\"><head><meta charset=\"utf-8\"><title>Prongsai</title></head>\
<body><h1>โปร่งใส</h1><p>ยังไม่ได้สร้างหน้าเว็บ · The web dashboard has not been built: run \
<code>scripts/build-frontend.sh</code> and start the server again.</p></body></html>";

async fn index<D: Database>(State(app): State<App<D>>) -> Response {
    match tokio::fs::read(app.config.web_dir.join("index.html")).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes).into_response(),
        Err(_) => Html(NOT_BUILT).into_response(),
    }
}

/// Serves a file of the web directory (the wasm, its JS, styles, fonts); 404 for anything else.
pub async fn static_file<D: Database>(State(app): State<App<D>>, uri: Uri) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "no such route" }))).into_response();
    let Some(path) = safe_path(&app.config.web_dir, uri.path()) else { return not_found() };
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(&path))], bytes).into_response(),
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
        _ => "application/octet-stream",
    }
}

/// Who is signed in, as the frontend shows them, and what they may write (nothing on the web).
async fn session<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<SessionView>, AppError> {
    same_agency(&caller, &agency)?;
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let peer = caller.peer();
    let writable = rows
        .iter()
        .filter(|r| peer.may_write(r))
        .map(|r| DocKey { kind: r.kind, division: r.division.clone() })
        .collect();
    Ok(Json(SessionView::describe("", &caller.user.username, &agency_year, writable)))
}

#[derive(Deserialize)]
struct DateQuery {
    date: Option<String>,
}

async fn measure<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year, measure)): Path<(String, i64, String)>,
    Query(query): Query<DateQuery>,
) -> Result<Json<MeasureDetail>, AppError> {
    same_agency(&caller, &agency)?;
    let today = date_or_today(query.date.as_deref())?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    measure_detail(&agency_year, &measure, today).map(Json).ok_or(AppError::NotFound)
}

async fn measure_history<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year, measure)): Path<(String, i64, String)>,
) -> Result<Json<Vec<HistoryEntry>>, AppError> {
    same_agency(&caller, &agency)?;
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let parts = measure_documents(&app, &rows)
        .await?
        .iter()
        .map(|(key, doc)| history::measure_history(doc, key, &measure, &agency_year.directory))
        .collect();
    Ok(Json(history::merge_histories(parts)))
}

/// The memo as it will print, with its signatures (and the proposals' ids, for the app's editor).
async fn memo<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<MemoView>, AppError> {
    same_agency(&caller, &agency)?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    Ok(Json(MemoView::build(&agency_year)))
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
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<Vec<ActivityEntry>>, AppError> {
    same_agency(&caller, &agency)?;
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let documents = measure_documents(&app, &rows).await?;
    Ok(Json(history::activity(documents.iter().map(|(k, d)| (k, d)), &agency_year.directory, ACTIVITY_LIMIT)))
}

/// How many changes the activity feed shows.
pub const ACTIVITY_LIMIT: usize = 30;

/// A WebSocket that sends `"changed"` whenever a document of the agency-year changed (one message
/// per burst). The page reloads its views when it arrives. It carries no document content.
async fn live<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    same_agency(&caller, &agency)?;
    let rows = app.db.documents_of(agency.clone(), year).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut handles = Vec::new();
    for row in &rows {
        handles.push(app.handle(row).await?);
    }
    Ok(upgrade.on_upgrade(move |socket| notify_changes(socket, handles)))
}

async fn notify_changes(mut socket: WebSocket, handles: Vec<samod::DocHandle>) {
    if socket.send(Message::Text("ready".into())).await.is_err() {
        return;
    }
    let mut changes = futures::stream::select_all(handles.iter().map(|h| h.changes().boxed()));
    loop {
        tokio::select! {
            change = changes.next() => {
                if change.is_none() {
                    break; // the agency's repo stopped; the page reconnects
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
                if socket.send(Message::Text("changed".into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
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
