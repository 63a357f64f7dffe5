//! The app's backend: Tauri commands (`invoke`) and events (`listen`) of the shell in src-tauri.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;

use super::{BackendError, EvidenceFile, Upload, from_js, to_js};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke_raw(cmd: &str, body: js_sys::Uint8Array, options: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "event"], js_name = listen)]
    async fn tauri_listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> Result<JsValue, JsValue>;
}

fn error_from_js(value: &JsValue) -> BackendError {
    from_js::<BackendError>(value).unwrap_or_else(|_| {
        let text = value.as_string().unwrap_or_else(|| format!("{value:?}"));
        BackendError::local("other", text)
    })
}

pub(super) async fn call<A: Serialize, T: DeserializeOwned>(cmd: &str, args: &A) -> Result<T, BackendError> {
    let args = to_js(args)?;
    match tauri_invoke(cmd, args).await {
        Ok(value) => from_js(&value),
        Err(e) => Err(error_from_js(&e)),
    }
}

/// The bytes travel raw; what they are travels percent-encoded in a header (names are Thai).
pub(super) async fn add_evidence_file(file: &EvidenceFile, bytes: js_sys::Uint8Array) -> Result<(), BackendError> {
    let meta = serde_json::to_string(file).map_err(|e| BackendError::local("other", e.to_string()))?;
    let header = String::from(js_sys::encode_uri_component(&meta));
    let options = to_js(&serde_json::json!({ "headers": { "x-evidence": header } }))?;
    match tauri_invoke_raw("add_evidence_file", bytes, options).await {
        Ok(_) => Ok(()),
        Err(e) => Err(error_from_js(&e)),
    }
}

/// A file for the agency page: the bytes raw, what to do with them in a header.
pub(super) async fn upload(upload: &Upload, bytes: js_sys::Uint8Array) -> Result<serde_json::Value, BackendError> {
    let meta = serde_json::to_string(upload).map_err(|e| BackendError::local("other", e.to_string()))?;
    let header = String::from(js_sys::encode_uri_component(&meta));
    let options = to_js(&serde_json::json!({ "headers": { "x-upload": header } }))?;
    match tauri_invoke_raw("upload", bytes, options).await {
        Ok(value) => from_js(&value),
        Err(e) => Err(error_from_js(&e)),
    }
}

pub(super) fn listen<T: DeserializeOwned + 'static>(event: &'static str, mut handler: impl FnMut(T) + 'static) {
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
