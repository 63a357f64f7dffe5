//! Every call from the frontend to its backend goes through this module. In the app the backend
//! is the Tauri shell (`window.__TAURI__`: commands and events); the same calls can be answered
//! by the sync server's HTTP API when the frontend runs in a plain browser.
//!
//! Values cross as JSON text, so the types are exactly the serde types of `prongsai-core`.

use prongsai_core::app::{SessionView, SyncState};
use prongsai_core::detail::MeasureDetail;
use prongsai_core::edit::Edit;
use prongsai_core::history::HistoryEntry;
use prongsai_core::view::MergedView;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;

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
    fn local(kind: &str, message: impl Into<String>) -> BackendError {
        BackendError { kind: kind.to_string(), message: message.into() }
    }
}

/// Events the backend pushes.
pub const SYNC_EVENT: &str = "sync-state";
pub const CHANGED_EVENT: &str = "documents-changed";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke_raw(cmd: &str, body: js_sys::Uint8Array, options: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "event"], js_name = listen)]
    async fn tauri_listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> Result<JsValue, JsValue>;
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, BackendError> {
    let text = serde_json::to_string(value).map_err(|e| BackendError::local("other", e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| BackendError::local("other", "cannot pass the request"))
}

fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, BackendError> {
    let text: String = if value.is_undefined() {
        "null".to_string()
    } else {
        js_sys::JSON::stringify(value)
            .map(String::from)
            .map_err(|_| BackendError::local("other", "unreadable answer"))?
    };
    serde_json::from_str(&text).map_err(|e| BackendError::local("other", format!("unexpected answer: {e}")))
}

fn error_from_js(value: &JsValue) -> BackendError {
    from_js::<BackendError>(value).unwrap_or_else(|_| {
        let text = value.as_string().unwrap_or_else(|| format!("{value:?}"));
        BackendError::local("other", text)
    })
}

async fn call<A: Serialize, T: DeserializeOwned>(cmd: &str, args: &A) -> Result<T, BackendError> {
    let args = to_js(args)?;
    match tauri_invoke(cmd, args).await {
        Ok(value) => from_js(&value),
        Err(e) => Err(error_from_js(&e)),
    }
}

#[derive(Serialize)]
struct NoArgs {}

pub async fn startup() -> Result<Startup, BackendError> {
    call("startup", &NoArgs {}).await
}

pub async fn login(server: &str, username: &str, password: &str) -> Result<SessionView, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        server: &'a str,
        username: &'a str,
        password: &'a str,
    }
    call("login", &Args { server, username, password }).await
}

pub async fn sign_out() -> Result<(), BackendError> {
    call("sign_out", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AsOf<'a> {
    as_of: Option<&'a str>,
}

/// The merged picture of the agency-year, seen at `as_of` (`YYYY-MM-DD`, today when `None`).
pub async fn overview(as_of: Option<&str>) -> Result<MergedView, BackendError> {
    call("overview", &AsOf { as_of }).await
}

pub async fn measure(id: &str, as_of: Option<&str>) -> Result<MeasureDetail, BackendError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Args<'a> {
        id: &'a str,
        as_of: Option<&'a str>,
    }
    call("measure", &Args { id, as_of }).await
}

pub async fn history(id: &str) -> Result<Vec<HistoryEntry>, BackendError> {
    #[derive(Serialize)]
    struct Args<'a> {
        id: &'a str,
    }
    call("history", &Args { id }).await
}

/// Applies edits to one document in one commit.
pub async fn apply(edits: Vec<Edit>) -> Result<(), BackendError> {
    #[derive(Serialize)]
    struct Args {
        edits: Vec<Edit>,
    }
    call("apply", &Args { edits }).await
}

/// Where an evidence file goes and what it is.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceFile {
    pub division: String,
    pub measure: String,
    pub id: String,
    pub file_name: String,
    pub media_type: String,
    pub caption: String,
}

/// Adds a file (a photo is downscaled and stripped of EXIF/GPS by the backend) as evidence. The
/// bytes travel raw; what they are travels in a header.
pub async fn add_evidence_file(file: &EvidenceFile, bytes: js_sys::Uint8Array) -> Result<(), BackendError> {
    let meta = serde_json::to_string(file).map_err(|e| BackendError::local("other", e.to_string()))?;
    let header = String::from(js_sys::encode_uri_component(&meta));
    let options = to_js(&serde_json::json!({ "headers": { "x-evidence": header } }))?;
    match tauri_invoke_raw("add_evidence_file", bytes, options).await {
        Ok(_) => Ok(()),
        Err(e) => Err(error_from_js(&e)),
    }
}

pub async fn sync_state() -> Result<SyncState, BackendError> {
    call("sync_state", &NoArgs {}).await
}

/// Calls `handler` with each event's payload for as long as the page lives.
pub fn listen<T: DeserializeOwned + 'static>(event: &'static str, mut handler: impl FnMut(T) + 'static) {
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let payload = js_sys::Reflect::get(&event, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Ok(value) = from_js::<T>(&payload) {
            handler(value);
        }
    });
    wasm_bindgen_futures::spawn_local(async move {
        if tauri_listen(event, &closure).await.is_ok() {
            // The listener lives as long as the page: the closure must too.
            closure.forget();
        }
    });
}
