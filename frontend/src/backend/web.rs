//! The browser's backend: the sync server's HTTP API with a read-only web session, and a
//! WebSocket (`/live`) that says when a document of the agency-year changed.

use std::cell::RefCell;
use std::time::Duration;

use futures::StreamExt;
use gloo_net::http::{Request, Response};
use gloo_net::websocket::futures::WebSocket;
use gloo_storage::Storage;
use prongsai_core::app::{Connection, SessionView, SyncState};
use prongsai_core::detail::MeasureDetail;
use prongsai_core::history::{ActivityEntry, HistoryEntry};
use prongsai_core::model::SignatureDecision;
use prongsai_core::report_model::MemoView;
use prongsai_core::tracks::Slot;
use prongsai_core::view::MergedView;
use prongsai_core::wire::{
    ErrorBody, ErrorKind, LoginRequest, LoginResponse, SessionsRevoked, SignRequest, SignResponse,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{BackendError, CHANGED_EVENT, SYNC_EVENT, Startup};

/// The saved web sign-in (a read-only session), in the browser's local storage.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Saved {
    token: String,
    agency_id: String,
    username: String,
    year: i64,
}

const STORAGE_KEY: &str = "prongsai.web.session";

/// The year this tab shows, in the tab's own session storage (it survives a reload, and another
/// tab's year switch does not move it). The saved sign-in's year is the one a new tab opens on.
const TAB_YEAR_KEY: &str = "prongsai.web.year";

#[derive(Serialize, Deserialize)]
struct TabYear {
    /// The sign-in the year belongs to: another sign-in's pin means nothing.
    token: String,
    year: i64,
}

type Handler = Box<dyn FnMut(serde_json::Value)>;

#[derive(Default)]
struct WebState {
    handlers: Vec<(&'static str, Handler)>,
    sync: Option<SyncState>,
    live_running: bool,
    /// The session may do nothing but set up the second factor its agency requires: the
    /// server refuses it `/live` until then.
    enrolling: bool,
}

thread_local! {
    static STATE: RefCell<WebState> = RefCell::new(WebState::default());
}

fn saved() -> Option<Saved> {
    let mut saved: Saved = gloo_storage::LocalStorage::get(STORAGE_KEY).ok()?;
    if let Ok(tab) = gloo_storage::SessionStorage::get::<TabYear>(TAB_YEAR_KEY)
        && tab.token == saved.token
    {
        saved.year = tab.year;
    }
    Some(saved)
}

/// Keeps the sign-in (and its year, for the next tab) and pins the year to this tab.
fn keep(saved: &Saved) -> Result<(), BackendError> {
    gloo_storage::LocalStorage::set(STORAGE_KEY, saved).map_err(|e| BackendError::local("other", e.to_string()))?;
    pin_year(saved);
    Ok(())
}

fn pin_year(saved: &Saved) {
    let _ = gloo_storage::SessionStorage::set(TAB_YEAR_KEY, TabYear { token: saved.token.clone(), year: saved.year });
}

fn emit(event: &'static str, value: serde_json::Value) {
    // Handlers may call back into this module: run them with the state released.
    let mut handlers = STATE.with(|s| std::mem::take(&mut s.borrow_mut().handlers));
    for (name, handler) in handlers.iter_mut() {
        if *name == event {
            handler(value.clone());
        }
    }
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        handlers.append(&mut state.handlers);
        state.handlers = handlers;
    });
}

fn set_sync(connection: Connection) {
    let state = SyncState { connection, ..SyncState::default() };
    STATE.with(|s| s.borrow_mut().sync = Some(state.clone()));
    emit(SYNC_EVENT, serde_json::to_value(state).unwrap_or_default());
}

pub(super) fn sync_state() -> SyncState {
    STATE.with(|s| s.borrow().sync.clone()).unwrap_or_default()
}

fn offline(e: impl std::fmt::Display) -> BackendError {
    BackendError::local("offline", e.to_string())
}

async fn answer<T: DeserializeOwned>(response: Response) -> Result<T, BackendError> {
    match response.status() {
        204 => serde_json::from_str("null").map_err(|e| BackendError::local("other", e.to_string())),
        200..=299 => response.json().await.map_err(|e| BackendError::local("other", e.to_string())),
        status => {
            // The server names the kind (core's `wire::ErrorKind`); the page words it.
            let body = response.json::<ErrorBody>().await.ok();
            let kind = body.as_ref().map_or(ErrorKind::Other, |b| b.kind);
            let message = body.map(|b| b.error).unwrap_or_else(|| format!("HTTP {status}"));
            if status == 401 {
                // The session ended (revoked, expired): back to the sign-in page.
                gloo_storage::LocalStorage::delete(STORAGE_KEY);
                set_sync(Connection::SignedOut);
            }
            Err(BackendError::local(kind.as_str(), message))
        }
    }
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, BackendError> {
    send(&signed_in()?, "GET", path, None).await
}

fn year_path(saved: &Saved) -> String {
    format!("/api/agencies/{}/years/{}", saved.agency_id, saved.year)
}

fn signed_in() -> Result<Saved, BackendError> {
    saved().ok_or_else(|| BackendError::local("not_signed_in", "sign in first"))
}

async fn session_view(saved: &Saved) -> Result<SessionView, BackendError> {
    let mut view: SessionView = if saved.year == 0 {
        // A new agency: no year yet. The admin sets it up, the coordinator starts a year.
        let me: prongsai_core::wire::Me = send(saved, "GET", "/api/me", None).await?;
        SessionView::without_year("", me, today_fiscal_year())
    } else {
        send(saved, "GET", &format!("{}/session", year_path(saved)), None).await?
    };
    view.server = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    STATE.with(|s| s.borrow_mut().enrolling = view.enroll_second_factor);
    Ok(view)
}

/// The fiscal year of today in Bangkok, by the browser's clock.
fn today_fiscal_year() -> i64 {
    let now = js_sys::Date::now() as i64;
    i64::from(prongsai_core::calendar::Date::from_unix_millis_bangkok(now).fiscal_year().0)
}

/// The agency's years, and the one to open (today's fiscal year when there, else the latest
/// before it); 0 when the agency has none yet.
async fn years_and_pick(token: &str, agency: &str) -> Result<(Vec<i64>, i64), BackendError> {
    let years: Vec<i64> = answer(
        Request::get(&format!("/api/agencies/{agency}/years"))
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await
            .map_err(offline)?,
    )
    .await?;
    let pick = prongsai_core::app::pick_year(&years, today_fiscal_year()).unwrap_or(0);
    Ok((years, pick))
}

/// Opens another of the agency's years (or one just started).
pub(super) async fn set_year(year: i64) -> Result<SessionView, BackendError> {
    let mut saved = signed_in()?;
    let (years, _) = years_and_pick(&saved.token, &saved.agency_id).await?;
    if !years.contains(&year) {
        return Err(BackendError::local("not_found", format!("no year {year}")));
    }
    saved.year = year;
    keep(&saved)?;
    let view = session_view(&saved).await?;
    emit(CHANGED_EVENT, serde_json::Value::Null);
    Ok(view)
}

pub(super) async fn startup() -> Result<Startup, BackendError> {
    let Some(saved) = saved() else {
        return Ok(Startup { session: None, sync: SyncState::default() });
    };
    pin_year(&saved);
    match session_view(&saved).await {
        Ok(session) => {
            start_live();
            Ok(Startup { session: Some(session), sync: sync_state() })
        }
        Err(e) if e.kind == "unauthorized" => Ok(Startup { session: None, sync: SyncState::default() }),
        Err(e) => Err(e),
    }
}

pub(super) async fn login(username: &str, password: &str, otp: Option<&str>) -> Result<SessionView, BackendError> {
    let body = LoginRequest {
        username: username.trim().to_string(),
        password: password.to_string(),
        device: Some("web dashboard".to_string()),
        web: true,
        otp: otp.map(str::to_string),
    };
    let request = Request::post("/api/login").json(&body).map_err(|e| BackendError::local("other", e.to_string()))?;
    let login: LoginResponse = answer(request.send().await.map_err(offline)?).await?;
    let (_, year) = years_and_pick(&login.token, &login.agency_id).await?;
    let saved = Saved { token: login.token, agency_id: login.agency_id, username: login.username, year };
    // The session is read first, and kept after: the live socket, which follows whatever sign-in
    // is kept, must already know whether this person has to set up a second factor (the server
    // refuses their socket until then).
    let view = session_view(&saved).await?;
    keep(&saved)?;
    start_live();
    Ok(view)
}

pub(super) async fn sign_out() -> Result<(), BackendError> {
    if let Some(saved) = saved() {
        let _ = Request::post("/api/logout").header("Authorization", &format!("Bearer {}", saved.token)).send().await;
    }
    gloo_storage::LocalStorage::delete(STORAGE_KEY);
    Ok(())
}

/// `?date=&track=&round=` for a picture of one track and round at a date (each when given).
fn view_query(as_of: Option<&str>, slot: &Slot) -> String {
    let pairs = [("date", as_of), ("track", slot.track.as_deref()), ("round", slot.round.as_deref())];
    let query: Vec<String> = pairs.iter().filter_map(|(k, v)| v.map(|v| format!("{k}={}", component(v)))).collect();
    if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) }
}

pub(super) async fn overview(as_of: Option<&str>, slot: &Slot) -> Result<MergedView, BackendError> {
    get(&format!("{}/status{}", year_path(&signed_in()?), view_query(as_of, slot))).await
}

pub(super) async fn measure(id: &str, as_of: Option<&str>, slot: &Slot) -> Result<MeasureDetail, BackendError> {
    let id = component(id);
    get(&format!("{}/measures/{id}{}", year_path(&signed_in()?), view_query(as_of, slot))).await
}

pub(super) async fn history(id: &str, slot: &Slot) -> Result<Vec<HistoryEntry>, BackendError> {
    let id = component(id);
    get(&format!("{}/measures/{id}/history{}", year_path(&signed_in()?), view_query(None, slot))).await
}

pub(super) async fn activity() -> Result<Vec<ActivityEntry>, BackendError> {
    get(&format!("{}/activity", year_path(&signed_in()?))).await
}

pub(super) async fn sign(
    target: &prongsai_core::tracks::Target,
    step: &str,
    decision: SignatureDecision,
    comment: &str,
    date: Option<prongsai_core::calendar::Date>,
) -> Result<(), BackendError> {
    let body = SignRequest { decision, comment: comment.to_string(), date: date.map(|d| d.to_string()) };
    let body = serde_json::to_value(body).map_err(|e| BackendError::local("other", e.to_string()))?;
    let path = format!("/years/{{year}}/approvals/{}{}", component(step), target.query_string());
    let _: SignResponse = call("POST", &path, Some(body)).await?;
    Ok(())
}

pub(super) async fn memo(slot: &Slot) -> Result<MemoView, BackendError> {
    get(&format!("{}/memo{}", year_path(&signed_in()?), view_query(None, slot))).await
}

pub(super) async fn itas_sheet() -> Result<prongsai_core::itas::ItasSheet, BackendError> {
    get(&format!("{}/itas", year_path(&signed_in()?))).await
}

pub(super) fn report_download_url(format: &str, slot: &Slot) -> Option<String> {
    let saved = saved()?;
    let query = view_query(None, slot);
    let then = if query.is_empty() { "?" } else { "&" };
    Some(format!("{}/reports/{}{query}{then}token={}", year_path(&saved), component(format), component(&saved.token)))
}

/// A path segment, percent-encoded.
pub(super) fn component(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

/// A call to the agency's admin API: `path` is below `/api/agencies/{agency}`, where `{year}`
/// stands for the open year.
pub(super) async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, BackendError> {
    let saved = signed_in()?;
    let path = format!("/api/agencies/{}{}", saved.agency_id, path.replace("{year}", &saved.year.to_string()));
    send(&saved, method, &path, body).await
}

async fn send<T: DeserializeOwned>(
    saved: &Saved,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, BackendError> {
    let builder = match method {
        "POST" => Request::post(path),
        "PUT" => Request::put(path),
        "PATCH" => Request::patch(path),
        _ => Request::get(path),
    }
    .header("Authorization", &format!("Bearer {}", saved.token));
    let request = match body {
        Some(body) => builder.json(&body).map_err(|e| BackendError::local("other", e.to_string()))?,
        None => builder.build().map_err(|e| BackendError::local("other", e.to_string()))?,
    };
    answer(request.send().await.map_err(offline)?).await
}

/// Sends a file's bytes to a route below `/api/agencies/{agency}`.
pub(super) async fn upload(
    method: &str,
    path: &str,
    media_type: &str,
    bytes: js_sys::Uint8Array,
) -> Result<serde_json::Value, BackendError> {
    let saved = signed_in()?;
    let path = format!("/api/agencies/{}{path}", saved.agency_id);
    let builder = if method == "PUT" { Request::put(&path) } else { Request::post(&path) };
    let request = builder
        .header("Authorization", &format!("Bearer {}", saved.token))
        .header("Content-Type", media_type)
        .body(bytes)
        .map_err(|e| BackendError::local("other", e.to_string()))?;
    answer(request.send().await.map_err(offline)?).await
}

/// A call about the signed-in person's own account: `path` is below `/api/me`.
pub(super) async fn me<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, BackendError> {
    send(&signed_in()?, method, &format!("/api/me{path}"), body).await
}

pub(super) async fn change_password(current: &str, new: &str) -> Result<usize, BackendError> {
    let saved = signed_in()?;
    let body = serde_json::json!({ "current": current, "new": new });
    let answer: SessionsRevoked = send(&saved, "POST", "/api/me/password", Some(body)).await?;
    Ok(answer.sessions_revoked)
}

pub(super) fn listen<T: DeserializeOwned + 'static>(event: &'static str, mut handler: impl FnMut(T) + 'static) {
    let handler: Handler = Box::new(move |value| {
        if let Ok(value) = serde_json::from_value::<T>(value) {
            handler(value);
        }
    });
    STATE.with(|s| s.borrow_mut().handlers.push((event, handler)));
    start_live();
}

/// Keeps a `/live` WebSocket open while signed in, reconnecting after a pause; each message
/// means "documents changed", and a reconnect means "reload, something may have been missed".
fn start_live() {
    let already = STATE.with(|s| std::mem::replace(&mut s.borrow_mut().live_running, true));
    if already {
        return;
    }
    wasm_bindgen_futures::spawn_local(async {
        loop {
            let Some(signed_in) = saved() else {
                gloo_timers::future::sleep(Duration::from_secs(1)).await;
                continue;
            };
            if signed_in.year == 0 || STATE.with(|s| s.borrow().enrolling) {
                // No year yet, or no second factor yet: nothing to follow until then.
                gloo_timers::future::sleep(Duration::from_secs(1)).await;
                continue;
            }
            let Some(url) = live_url(&signed_in) else { return };
            // The server greets with "ready", so the first message says the socket is up.
            let mut switched = false;
            let token = format!("{}{}", prongsai_core::wire::TOKEN_PROTOCOL_PREFIX, signed_in.token);
            if let Ok(mut socket) = WebSocket::open_with_protocols(&url, &[prongsai_core::wire::LIVE_PROTOCOL, &token])
            {
                let mut opened = false;
                loop {
                    // Every second, whether the page still looks at this socket's year (the year
                    // switcher moves it): if not, the socket of the new year replaces it.
                    let tick = gloo_timers::future::sleep(Duration::from_secs(1));
                    match futures::future::select(socket.next(), Box::pin(tick)).await {
                        futures::future::Either::Left((Some(Ok(_)), _)) => {
                            if !opened {
                                opened = true;
                                set_sync(Connection::UpToDate);
                            }
                            emit(CHANGED_EVENT, serde_json::Value::Null);
                        }
                        futures::future::Either::Left(_) => break,
                        futures::future::Either::Right(_) => {
                            if saved().is_none_or(|s| s.year != signed_in.year) {
                                switched = true;
                                break;
                            }
                        }
                    }
                }
            }
            if switched {
                continue;
            }
            if saved().is_some() {
                set_sync(Connection::Offline);
            }
            gloo_timers::future::sleep(Duration::from_secs(3)).await;
            emit(CHANGED_EVENT, serde_json::Value::Null);
        }
    });
}

fn live_url(saved: &Saved) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    let host = location.host().ok()?;
    // The token goes as a subprotocol, not in the address (see `wire::LIVE_PROTOCOL`).
    Some(format!("{scheme}://{host}{}/live", year_path(saved)))
}
