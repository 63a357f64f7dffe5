//! Every call from the frontend to its backend goes through this module. In the app the backend
//! is the Tauri shell (`window.__TAURI__`: commands and events, [`tauri`]); on a tablet used as a
//! device it is the device Worker, which answers the same commands ([`worker`]); in a plain
//! browser (the dashboard) it is the sync server's HTTP API and a WebSocket that says when
//! documents changed ([`web`]). The pages above never know which.
//!
//! Values cross as JSON, so the types are exactly the serde types of `prongsai-core`.

mod tauri;
mod web;
mod worker;

use prongsai_core::admin::{
    AgencySecurity, AuditEntry, NewUserRequest, PasswordIssued, RecoveryCodes, SecondFactorCode, SecondFactorDisable,
    SecondFactorEnrollment, SecondFactorStatus, UserAccount, UserChange,
};
use prongsai_core::app::{SessionView, SyncState};
use prongsai_core::calendar::Date;
use prongsai_core::detail::MeasureDetail;
use prongsai_core::edit::Edit;
use prongsai_core::history::{ActivityEntry, HistoryEntry};
use prongsai_core::model::SignatureDecision;
use prongsai_core::report_model::{MemoView, Part};
use prongsai_core::tracks::{Slot, Target};
use prongsai_core::view::MergedView;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// What the backend answers when the window opens.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Startup {
    pub session: Option<SessionView>,
    pub sync: SyncState,
}

/// A failed call: `kind` says what happened (the UI words it), `message` is the detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendError {
    pub kind: String,
    pub message: String,
}

impl BackendError {
    pub(crate) fn local(kind: &str, message: impl Into<String>) -> BackendError {
        BackendError { kind: kind.to_string(), message: message.into() }
    }
}

/// Events the backend pushes.
pub const SYNC_EVENT: &str = "sync-state";
pub const CHANGED_EVENT: &str = "documents-changed";
/// On a tablet used as a device: another tab of this browser holds the device, so this one waits.
pub const DEVICE_WAITING_EVENT: &str = "device-waiting";

/// True inside the app (Tauri injects `window.__TAURI__`), false in a browser.
pub fn in_app() -> bool {
    cfg!(target_arch = "wasm32")
        && web_sys::window().is_some_and(|w| js_sys::Reflect::has(&w, &JsValue::from_str("__TAURI__")).unwrap_or(false))
}

/// True when this page works on a device of its own (its documents, its changes kept until
/// synced): the app, or a tablet's browser chosen as a device at sign-in. False on the dashboard.
pub fn on_device() -> bool {
    in_app() || worker::chosen()
}

/// A command of the page's device: the app's shell or the tablet's Worker (same names, same
/// arguments).
async fn device_call<A: Serialize, T: DeserializeOwned>(cmd: &str, args: &A) -> Result<T, BackendError> {
    if in_app() { tauri::call(cmd, args).await } else { worker::call(cmd, args).await }
}

#[derive(Serialize)]
struct NoArgs {}

pub async fn startup() -> Result<Startup, BackendError> {
    if on_device() { device_call("startup", &NoArgs {}).await } else { web::startup().await }
}

/// Makes this browser a device of its own (`true`: "use this tablet as a device", before its
/// sign-in) or the read-only dashboard again. Nothing to choose in the app.
pub fn choose_device(device: bool) {
    if !in_app() {
        worker::choose(device);
    }
}

/// True when this browser was last signed in as a device (a sign-in asked again, after the
/// session expired, keeps it one).
pub fn device_chosen() -> bool {
    !in_app() && worker::chosen()
}

/// True when this browser may be used as a device: it has Workers and IndexedDB (a secure
/// context keeps them, and the service worker, working offline).
pub fn may_be_device() -> bool {
    !in_app()
        && web_sys::window().is_some_and(|w| {
            js_sys::Reflect::has(&w, &JsValue::from_str("Worker")).unwrap_or(false)
                && js_sys::Reflect::has(&w, &JsValue::from_str("indexedDB")).unwrap_or(false)
        })
}

/// Signs in. In a browser the server address is the page's own; the dashboard's session is
/// read-only, a tablet's device session writes like the app's.
pub async fn login(
    server: &str,
    username: &str,
    password: &str,
    otp: Option<&str>,
) -> Result<SessionView, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        server: &'a str,
        username: &'a str,
        password: &'a str,
        otp: Option<&'a str>,
    }
    if in_app() {
        tauri::call("login", &Args { server, username, password, otp }).await
    } else if worker::chosen() {
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        worker::call("login", &Args { server: &origin, username, password, otp }).await
    } else {
        web::login(username, password, otp).await
    }
}

pub async fn sign_out() -> Result<(), BackendError> {
    if in_app() {
        tauri::call("sign_out", &NoArgs {}).await
    } else if worker::chosen() {
        worker::call::<_, ()>("sign_out", &NoArgs {}).await?;
        // The next sign-in on this browser chooses again (the Worker ends, its lock with it).
        worker::choose(false);
        Ok(())
    } else {
        web::sign_out().await
    }
}

/// The merged picture of the agency-year in one track and round (the integrity measures by
/// default), seen at `as_of` (`YYYY-MM-DD`, today when `None`).
pub async fn overview(as_of: Option<&str>, slot: &Slot) -> Result<MergedView, BackendError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Args<'a> {
        as_of: Option<&'a str>,
        track: Option<&'a str>,
        round: Option<&'a str>,
    }
    let (track, round) = (slot.track.as_deref(), slot.round.as_deref());
    if on_device() {
        device_call("overview", &Args { as_of, track, round }).await
    } else {
        web::overview(as_of, slot).await
    }
}

/// A track and round as the app's commands take them.
#[derive(Serialize)]
struct SlotArgs<'a> {
    track: Option<&'a str>,
    round: Option<&'a str>,
}

impl<'a> SlotArgs<'a> {
    fn of(slot: &'a Slot) -> SlotArgs<'a> {
        SlotArgs { track: slot.track.as_deref(), round: slot.round.as_deref() }
    }
}

/// In the app, the picture of `slot` the device kept from its last run (read without the
/// documents, for a cold start); on the web, which keeps nothing, `None`.
pub async fn last_overview(slot: &Slot) -> Result<Option<MergedView>, BackendError> {
    if on_device() { device_call("last_overview", &SlotArgs::of(slot)).await } else { Ok(None) }
}

/// The pictures of every round of every track the year runs besides the integrity measures
/// (`tracks`, as the integrity measures' picture lists them): in the app from one reading of the
/// device's documents, on the web one round at a time.
pub async fn track_overviews(
    as_of: Option<&str>,
    tracks: &[prongsai_core::tracks::TrackSummary],
) -> Result<Vec<MergedView>, BackendError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Args<'a> {
        as_of: Option<&'a str>,
    }
    if on_device() {
        return device_call("track_overviews", &Args { as_of }).await;
    }
    let mut views = Vec::new();
    for track in tracks.iter().filter(|t| !t.rounds.is_empty()) {
        for round in &track.rounds {
            views.push(web::overview(as_of, &Slot::of(Some(&track.id), Some(&round.id))).await?);
        }
    }
    Ok(views)
}

pub async fn measure(id: &str, as_of: Option<&str>, slot: &Slot) -> Result<MeasureDetail, BackendError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Args<'a> {
        id: &'a str,
        as_of: Option<&'a str>,
        track: Option<&'a str>,
        round: Option<&'a str>,
    }
    let (track, round) = (slot.track.as_deref(), slot.round.as_deref());
    if on_device() {
        device_call("measure", &Args { id, as_of, track, round }).await
    } else {
        web::measure(id, as_of, slot).await
    }
}

pub async fn history(id: &str, slot: &Slot) -> Result<Vec<HistoryEntry>, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        id: &'a str,
        track: Option<&'a str>,
        round: Option<&'a str>,
    }
    if on_device() {
        device_call("history", &Args { id, track: slot.track.as_deref(), round: slot.round.as_deref() }).await
    } else {
        web::history(id, slot).await
    }
}

/// The latest changes across the agency-year, newest first.
pub async fn activity() -> Result<Vec<ActivityEntry>, BackendError> {
    if on_device() { device_call("activity", &NoArgs {}).await } else { web::activity().await }
}

/// Applies edits to one document in one commit. A web session writes nothing: the server would
/// refuse, so the browser says so at once.
pub async fn apply(edits: Vec<Edit>) -> Result<(), BackendError> {
    apply_in(&Slot::INTEGRITY, edits).await
}

/// Applies edits to one track and round's part of a document (its plan, or the round's results
/// and review); the device resolves the round, offline too.
pub async fn apply_in(slot: &Slot, edits: Vec<Edit>) -> Result<(), BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        edits: Vec<Edit>,
        track: Option<&'a str>,
        round: Option<&'a str>,
    }
    if on_device() {
        device_call("apply", &Args { edits, track: slot.track.as_deref(), round: slot.round.as_deref() }).await
    } else {
        Err(BackendError::local("read_only", "the web dashboard is read-only"))
    }
}

/// An approver signs (or returns) their step of the plan's or the memo's approval chain, through
/// the server, with the date written on the signature.
pub async fn sign(
    target: &Target,
    step: &str,
    decision: SignatureDecision,
    comment: &str,
    date: Option<Date>,
) -> Result<(), BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        part: Part,
        step: &'a str,
        decision: SignatureDecision,
        comment: &'a str,
        date: Option<Date>,
        track: Option<&'a str>,
        round: Option<&'a str>,
    }
    if on_device() {
        let (track, round) = (target.slot.track.as_deref(), target.slot.round.as_deref());
        let args = Args { part: target.part, step, decision: decision.clone(), comment, date, track, round };
        device_call("sign", &args).await
    } else {
        web::sign(target, step, decision, comment, date).await
    }
}

/// The memo as it will print, with its signatures.
/// Where an exported report was written (in the app).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Exported {
    pub path: String,
    pub bytes: usize,
    pub millis: u64,
}

/// In the app: renders a report on this device (offline too) and writes it into the documents
/// folder, or where the person picks in a save dialog (`ask`); `None` when they cancel.
pub async fn export_report(format: &str, ask: bool, slot: &Slot) -> Result<Option<Exported>, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        format: &'a str,
        ask: bool,
        track: Option<&'a str>,
        round: Option<&'a str>,
    }
    tauri::call("export_report", &Args { format, ask, track: slot.track.as_deref(), round: slot.round.as_deref() })
        .await
}

/// On a tablet used as a device: a report of a track and round as the server renders it, fetched
/// by the device with its session and handed to the browser to save (online only; the dashboard
/// downloads it by its address instead, see [`report_download_url`]).
pub async fn download_report(format: &str, slot: &Slot) -> Result<(), BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        format: &'a str,
        track: Option<&'a str>,
        round: Option<&'a str>,
    }
    #[derive(Deserialize)]
    struct About {
        file_name: String,
        media_type: String,
    }
    let args = Args { format, track: slot.track.as_deref(), round: slot.round.as_deref() };
    let (about, bytes): (About, js_sys::Uint8Array) = worker::call_for_file("report_file", &args).await?;
    save_file(&about.file_name, &about.media_type, &bytes)
}

/// Hands `bytes` to the browser to save as `file_name` (its download, as a link would).
fn save_file(file_name: &str, media_type: &str, bytes: &js_sys::Uint8Array) -> Result<(), BackendError> {
    use wasm_bindgen::JsCast;
    let failed = |_| BackendError::local("other", "the browser cannot save the file");
    let parts = js_sys::Array::of1(bytes);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| failed(JsValue::NULL))?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(failed)?.dyn_into().map_err(|_| failed(JsValue::NULL))?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // The browser has taken the file; the address is let go once this turn ends.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback(revoke.unchecked_ref());
    }
    Ok(())
}

/// In a browser: the address that downloads a report of a track and round (the browser saves it).
pub fn report_download_url(format: &str, slot: &Slot) -> Option<String> {
    web::report_download_url(format, slot)
}

/// The report memo of `slot`: the integrity measures' or a track round's.
pub async fn memo(slot: &Slot) -> Result<MemoView, BackendError> {
    if on_device() { device_call("memo", &SlotArgs::of(slot)).await } else { web::memo(slot).await }
}

/// The year's whole ITAS sheet: in the app from the device's documents (offline too), on the
/// web from the server.
pub async fn itas_sheet() -> Result<prongsai_core::itas::ItasSheet, BackendError> {
    if on_device() { device_call("itas_sheet", &NoArgs {}).await } else { web::itas_sheet().await }
}

// --- User administration (the agency's admin) and one's own password. Both backends call the
// server's admin API: the app through its device's session, the browser with its web session.

pub async fn users() -> Result<Vec<UserAccount>, BackendError> {
    if on_device() { device_call("users", &NoArgs {}).await } else { web::call("GET", "/users", None).await }
}

/// The agency's audit log, newest first; `before` pages back from an entry's id.
pub async fn audit_log(before: Option<i64>) -> Result<Vec<AuditEntry>, BackendError> {
    #[derive(Serialize)]
    struct Args {
        before: Option<i64>,
    }
    if on_device() {
        device_call("audit_log", &Args { before }).await
    } else {
        let path = match before {
            Some(id) => format!("/audit?before={id}"),
            None => "/audit".to_string(),
        };
        web::call("GET", &path, None).await
    }
}

pub async fn add_user(user: &NewUserRequest) -> Result<PasswordIssued, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        user: &'a NewUserRequest,
    }
    if on_device() {
        device_call("add_user", &Args { user }).await
    } else {
        web::call("POST", "/users", Some(to_json(user)?)).await
    }
}

pub async fn change_user(username: &str, change: &UserChange) -> Result<UserAccount, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        username: &'a str,
        change: &'a UserChange,
    }
    if on_device() {
        device_call("change_user", &Args { username, change }).await
    } else {
        web::call("PATCH", &format!("/users/{}", web::component(username)), Some(to_json(change)?)).await
    }
}

#[derive(Serialize)]
struct UserArg<'a> {
    username: &'a str,
}

/// A new generated password for a user, who is signed out everywhere.
pub async fn reset_password(username: &str) -> Result<PasswordIssued, BackendError> {
    if on_device() {
        device_call("reset_password", &UserArg { username }).await
    } else {
        web::call("POST", &format!("/users/{}/password", web::component(username)), Some(serde_json::json!({}))).await
    }
}

/// Signs a user out on every device; answers how many sessions were live.
pub async fn revoke_sessions(username: &str) -> Result<usize, BackendError> {
    if on_device() {
        device_call("revoke_sessions", &UserArg { username }).await
    } else {
        let answer: prongsai_core::wire::SessionsRevoked =
            web::call("POST", &format!("/users/{}/revoke", web::component(username)), None).await?;
        Ok(answer.sessions_revoked)
    }
}

/// Binds the user who signs one step of the year's approval chain.
pub async fn bind_approver(step: &str, approver: Option<&str>) -> Result<(), BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        step: &'a str,
        approver: Option<&'a str>,
    }
    if on_device() {
        device_call("bind_approver", &Args { step, approver }).await
    } else {
        let path = format!("/years/{{year}}/approvals/{}/approver", web::component(step));
        web::call("PUT", &path, Some(serde_json::json!({ "approver": approver }))).await
    }
}

/// Changes the signed-in person's own password; their other sessions are signed out.
pub async fn change_password(current: &str, new: &str) -> Result<usize, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        current: &'a str,
        new: &'a str,
    }
    if on_device() {
        device_call("change_password", &Args { current, new }).await
    } else {
        web::change_password(current, new).await
    }
}

// --- The second factor: one's own on the account page, the agency's requirement and a user's
// reset on the admin's page. Server calls, online only.

pub async fn second_factor() -> Result<SecondFactorStatus, BackendError> {
    if on_device() {
        device_call("second_factor", &NoArgs {}).await
    } else {
        web::me("GET", "/second-factor", None).await
    }
}

pub async fn enroll_second_factor() -> Result<SecondFactorEnrollment, BackendError> {
    if on_device() {
        device_call("enroll_second_factor", &NoArgs {}).await
    } else {
        web::me("POST", "/second-factor/enroll", None).await
    }
}

pub async fn confirm_second_factor(code: &str) -> Result<RecoveryCodes, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        code: &'a str,
    }
    if on_device() {
        device_call("confirm_second_factor", &Args { code }).await
    } else {
        let body = to_json(&SecondFactorCode { code: code.to_string() })?;
        web::me("POST", "/second-factor/confirm", Some(body)).await
    }
}

pub async fn disable_second_factor(password: &str, code: &str) -> Result<(), BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        password: &'a str,
        code: &'a str,
    }
    if on_device() {
        device_call("disable_second_factor", &Args { password, code }).await
    } else {
        let body = to_json(&SecondFactorDisable { password: password.to_string(), code: code.to_string() })?;
        web::me("POST", "/second-factor/disable", Some(body)).await
    }
}

pub async fn security() -> Result<AgencySecurity, BackendError> {
    if on_device() { device_call("security", &NoArgs {}).await } else { web::call("GET", "/security", None).await }
}

pub async fn set_security(settings: AgencySecurity) -> Result<AgencySecurity, BackendError> {
    #[derive(Serialize)]
    struct Args {
        settings: AgencySecurity,
    }
    if on_device() {
        device_call("set_security", &Args { settings }).await
    } else {
        web::call("PUT", "/security", Some(to_json(&settings)?)).await
    }
}

pub async fn reset_second_factor(username: &str) -> Result<(), BackendError> {
    if on_device() {
        device_call("reset_second_factor", &UserArg { username }).await
    } else {
        web::call("POST", &format!("/users/{}/second-factor/reset", web::component(username)), None).await
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, BackendError> {
    serde_json::to_value(value).map_err(|e| BackendError::local("other", e.to_string()))
}

/// Where an evidence file goes and what it is.
pub use prongsai_core::wire::EvidenceFile;

/// Adds a file (a photo is downscaled and stripped of EXIF/GPS by the app) as evidence.
pub async fn add_evidence_file(file: &EvidenceFile, bytes: js_sys::Uint8Array) -> Result<(), BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        file: &'a EvidenceFile,
    }
    if in_app() {
        tauri::add_evidence_file(file, bytes).await
    } else if worker::chosen() {
        worker::call_with("add_evidence_file", &Args { file }, Some(bytes)).await
    } else {
        Err(BackendError::local("read_only", "the web dashboard is read-only"))
    }
}

/// Opens another of the agency's years (the year switcher, or a year just started).
pub async fn set_year(year: i64) -> Result<SessionView, BackendError> {
    #[derive(Serialize)]
    struct Args {
        year: i64,
    }
    if on_device() { device_call("set_year", &Args { year }).await } else { web::set_year(year).await }
}

/// A call to the agency's routes of the server (`path` below `/api/agencies/{agency}`): the
/// agency page's profile, divisions, chain and years. Online only; the server decides who may.
pub async fn agency<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        method: &'a str,
        path: &'a str,
        body: Option<serde_json::Value>,
    }
    if on_device() {
        let answer: serde_json::Value = device_call("agency_call", &Args { method, path, body }).await?;
        serde_json::from_value(answer).map_err(|e| BackendError::local("other", format!("unexpected answer: {e}")))
    } else {
        web::call(method, path, body).await
    }
}

/// A file for the agency page, and what to do with it.
pub use prongsai_core::wire::Upload;

/// The bytes of a file the person picked (`bad_file` when the browser cannot read it).
pub async fn read_file(file: &web_sys::File) -> Result<js_sys::Uint8Array, BackendError> {
    match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
        Ok(buffer) => Ok(js_sys::Uint8Array::new(&buffer)),
        Err(_) => Err(BackendError { kind: "bad_file".into(), message: file.name() }),
    }
}

/// Sends a file: the answer is the server's (or the device's) JSON.
pub async fn upload(upload: &Upload, bytes: js_sys::Uint8Array) -> Result<serde_json::Value, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        upload: &'a Upload,
    }
    if in_app() {
        tauri::upload(upload, bytes).await
    } else if worker::chosen() {
        worker::call_with("upload", &Args { upload }, Some(bytes)).await
    } else {
        match upload {
            Upload::Emblem { media_type } => web::upload("PUT", "/emblem", media_type, bytes).await,
            Upload::StartYear { year } => {
                web::upload("POST", &format!("/years/{year}/from-file"), "application/octet-stream", bytes).await
            }
            Upload::Scan { year, part, track, round } => {
                let target = Target { slot: Slot::of(track.as_deref(), round.as_deref()), part: *part };
                let path = format!("/years/{year}/published/scan{}", target.query_string());
                web::upload("PUT", &path, "application/pdf", bytes).await
            }
            Upload::ImportPlan { .. } => Err(BackendError::local("read_only", "the web dashboard is read-only")),
        }
    }
}

pub async fn sync_state() -> Result<SyncState, BackendError> {
    if on_device() { device_call("sync_state", &NoArgs {}).await } else { Ok(web::sync_state()) }
}

/// Calls `handler` with each event's payload for as long as the page lives.
pub fn listen<T: DeserializeOwned + 'static>(event: &'static str, handler: impl FnMut(T) + 'static) {
    if in_app() {
        return tauri::listen(event, handler);
    }
    // A browser hears both its device Worker and the dashboard's live socket: which one speaks
    // depends on how the person signs in, which may change while the page lives.
    let handler = std::rc::Rc::new(std::cell::RefCell::new(handler));
    let shared = handler.clone();
    worker::listen(event, move |value: T| (shared.borrow_mut())(value));
    web::listen(event, move |value: T| (handler.borrow_mut())(value));
}

pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, BackendError> {
    let text = serde_json::to_string(value).map_err(|e| BackendError::local("other", e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| BackendError::local("other", "cannot pass the request"))
}

pub(crate) fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, BackendError> {
    let text: String = if value.is_undefined() {
        "null".to_string()
    } else {
        js_sys::JSON::stringify(value)
            .map(String::from)
            .map_err(|_| BackendError::local("other", "unreadable answer"))?
    };
    serde_json::from_str(&text).map_err(|e| BackendError::local("other", format!("unexpected answer: {e}")))
}

// --- Notifications: computed from the documents on the page; only the read marks are stored
// (per person, on the server; in the app on the device too, so marking works offline).

pub async fn notifications_read() -> Result<prongsai_core::wire::NotificationsRead, BackendError> {
    if on_device() {
        device_call("notifications_read", &NoArgs {}).await
    } else {
        web::me("GET", "/notifications/read", None).await
    }
}

pub async fn mark_notifications_read(ids: Vec<String>) -> Result<prongsai_core::wire::NotificationsRead, BackendError> {
    #[derive(Serialize)]
    struct Args {
        ids: Vec<String>,
    }
    if on_device() {
        device_call("mark_notifications_read", &Args { ids }).await
    } else {
        web::me("POST", "/notifications/read", Some(serde_json::json!({ "ids": ids }))).await
    }
}
