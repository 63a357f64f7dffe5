//! The device Worker: a tablet's browser as a field device. The page (`frontend`'s `backend`)
//! starts it as a module Worker (`device-worker.js`) once someone chose "use this tablet as a
//! device"; it holds the same [`Shell`] as the desktop app, over IndexedDB and the browser's
//! WebSocket, and answers the page's calls by the app's command names.
//!
//! Messages, page → Worker: `{id, call, args, bytes?}` (`args` a JSON text, `bytes` a file's
//! `Uint8Array`). Worker → page, as JSON text (or `{text, bytes}` for an answer that is a file): `{"ready": true}` once it holds this origin's
//! device (or `{"waiting": true}` while another tab does), `{"id", "ok"}` or `{"id", "err":
//! {kind, message}}` per call, and `{"event", "payload"}` for the device's news. The token of the
//! session lives in the Worker's IndexedDB, never in the page.

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use prongsai_client::DeviceConfig;
use prongsai_client::shell::{Events, Shell};
use prongsai_core::app::SyncState;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Where the device keeps everything in this origin: its IndexedDB database.
pub const DATABASE: &str = "prongsai-device";

/// One device per origin: the Web Lock its Worker holds for as long as it runs (a second tab's
/// Worker waits for it; two devices on one database would share one actor and one queue).
pub const LOCK: &str = "prongsai-device";

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(message: &Value) {
    if scope().post_message(&JsValue::from_str(&message.to_string())).is_err() {
        web_sys::console::error_1(&JsValue::from_str("the device Worker cannot answer its page"));
    }
}

/// The device's news, as messages to the page.
struct WorkerEvents;

impl Events for WorkerEvents {
    fn sync_state(&self, state: &SyncState) {
        post(&json!({ "event": "sync-state", "payload": state }));
    }

    fn documents_changed(&self) {
        post(&json!({ "event": "documents-changed", "payload": null }));
    }
}

/// The device's log lines, told to the page (a Worker's console is not the page's, and a support
/// person reading a tablet's page console sees both).
struct PageLog;

impl std::io::Write for PageLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        post(&json!({ "log": String::from_utf8_lossy(bytes).trim_end() }));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts the device: waits for this origin's lock, opens the saved login (if any) and answers
/// the page's calls.
#[wasm_bindgen]
pub async fn start() {
    // A bug that stops the device is told to the page (whose calls would otherwise wait for
    // ever), not only to a console nobody reads on a tablet.
    let _ = tracing_subscriber::fmt()
        .with_writer(|| PageLog)
        .without_time()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    std::panic::set_hook(Box::new(|info| {
        let text = format!("the device stopped: {info}");
        web_sys::console::error_1(&JsValue::from_str(&text));
        post(&json!({ "ready": false, "error": { "kind": "other", "message": text } }));
    }));
    if !take_the_lock(true).await {
        post(&json!({ "waiting": true }));
        take_the_lock(false).await;
    }
    let mut config = DeviceConfig::new(Path::new(DATABASE));
    config.device_name = device_name();
    let shell = Rc::new(Shell::new(config, Arc::new(WorkerEvents)));
    let on_message = {
        let shell = shell.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let shell = shell.clone();
            spawn_local(async move { answer(&shell, event.data()).await });
        })
    };
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the Worker.
    on_message.forget();
    spawn_local(async move { shell.open_saved().await });
    post(&json!({ "ready": true }));
}

/// Answers one call of the page.
async fn answer(shell: &Shell, message: JsValue) {
    let field = |name: &str| Reflect::get(&message, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    // A whole number, answered as one (the page matches answers to calls by it).
    let id = field("id").as_f64().filter(|id| id.fract() == 0.0 && *id >= 0.0).map(|id| id as u64);
    let call = field("call").as_string().unwrap_or_default();
    let args = field("args").as_string().and_then(|text| serde_json::from_str(&text).ok()).unwrap_or(Value::Null);
    let bytes = field("bytes").dyn_into::<Uint8Array>().ok().map(|array| array.to_vec());
    let answer = shell.call(&call, args, bytes).await;
    match answer {
        Ok((value, None)) => post(&json!({ "id": id, "ok": value })),
        // A file: its bytes beside the answer's text, moved to the page rather than copied.
        Ok((value, Some(bytes))) => {
            let message = Object::new();
            let text = JsValue::from_str(&json!({ "id": id, "ok": value }).to_string());
            let bytes = Uint8Array::from(bytes.as_slice());
            let _ = Reflect::set(&message, &JsValue::from_str("text"), &text);
            let _ = Reflect::set(&message, &JsValue::from_str("bytes"), &bytes);
            let moved = js_sys::Array::of1(&bytes.buffer());
            if scope().post_message_with_transfer(&message, &moved).is_err() {
                post(&json!({ "id": id, "err": { "kind": "other", "message": "the file could not reach the page" } }));
            }
        }
        Err(e) => post(&json!({ "id": id, "err": e })),
    }
}

/// Takes this origin's device lock: at once or not at all (`now`), or waiting for it. A browser
/// without Web Locks runs the device unguarded.
async fn take_the_lock(now: bool) -> bool {
    let Some(locks) =
        Reflect::get(&scope().navigator(), &JsValue::from_str("locks")).ok().filter(|l| !l.is_undefined())
    else {
        return true;
    };
    let Ok(request) = Reflect::get(&locks, &JsValue::from_str("request")).and_then(|f| f.dyn_into::<Function>()) else {
        return true;
    };
    let mut granted = None;
    let answered = Promise::new(&mut |resolve, _| granted = Some(resolve));
    let Some(granted) = granted else { return false };
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let held = !lock.is_null();
        let _ = granted.call1(&JsValue::NULL, &JsValue::from_bool(held));
        // Held until the Worker ends: a promise that never settles.
        if held { Promise::new(&mut |_, _| {}).into() } else { JsValue::UNDEFINED }
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::from_bool(now));
    if request.call3(&locks, &JsValue::from_str(LOCK), &options, &callback).is_err() {
        return true;
    }
    JsFuture::from(answered).await.ok().and_then(|held| held.as_bool()).unwrap_or(false)
}

/// What the server's list of sessions calls this device.
fn device_name() -> String {
    let agent = scope().navigator().user_agent().unwrap_or_default();
    let kind = [("iPad", "iPad"), ("iPhone", "iPhone"), ("Android", "Android"), ("Windows", "Windows"), ("Mac", "Mac")]
        .into_iter()
        .find(|(mark, _)| agent.contains(mark))
        .map_or("Linux", |(_, name)| name);
    format!("เบราว์เซอร์ · browser ({kind})")
}
