//! A tablet's browser as a field device: the page's backend is the device Worker
//! (`device-worker.js`, prongsai-browser's wasm), which holds the same shell as the desktop app
//! over IndexedDB and answers the app's commands by name. Chosen at sign-in ("use this tablet as
//! a device"); the choice is kept in this browser, the session's token only in the Worker.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::oneshot;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::BackendError;

/// Where this browser keeps the choice to work as a device (not a secret: the token is the
/// Worker's).
const CHOSEN_KEY: &str = "prongsai.device";

/// An answer: its JSON, and a file's bytes for a call that answers one.
type Answer = Result<(serde_json::Value, Option<js_sys::Uint8Array>), BackendError>;
type Handler = Box<dyn FnMut(serde_json::Value)>;

/// The page's end of the Worker.
struct Channel {
    worker: web_sys::Worker,
    next_id: Cell<u32>,
    pending: RefCell<HashMap<u32, oneshot::Sender<Answer>>>,
    /// Messages written before the Worker said it is ready (a Worker hears none before).
    queued: RefCell<Option<Vec<js_sys::Object>>>,
    /// Why the Worker could not start, once it said so.
    failed: RefCell<Option<BackendError>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static CHANNEL: RefCell<Option<Rc<Channel>>> = const { RefCell::new(None) };
    static HANDLERS: RefCell<HashMap<&'static str, Vec<Handler>>> = RefCell::new(HashMap::new());
}

/// True when this browser works as a device (chosen at a sign-in, until the sign-out).
pub(super) fn chosen() -> bool {
    use gloo_storage::Storage;
    gloo_storage::LocalStorage::get::<bool>(CHOSEN_KEY).unwrap_or(false)
}

/// Makes this browser a device (or a dashboard again, which ends the Worker).
pub(super) fn choose(device: bool) {
    use gloo_storage::Storage;
    if device {
        let _ = gloo_storage::LocalStorage::set(CHOSEN_KEY, true);
    } else {
        gloo_storage::LocalStorage::delete(CHOSEN_KEY);
        if let Some((worker, _)) = started_early() {
            worker.terminate();
        }
        if let Some(channel) = CHANNEL.with(|c| c.borrow_mut().take()) {
            channel.worker.terminate();
            let stopped = BackendError::local("signed_out", "the device stopped");
            for (_, answer) in channel.pending.borrow_mut().drain() {
                let _ = answer.send(Err(stopped.clone()));
            }
        }
    }
}

fn channel() -> Result<Rc<Channel>, BackendError> {
    if let Some(channel) = CHANNEL.with(|c| c.borrow().clone()) {
        return Ok(channel);
    }
    // `boot.js` starts the Worker beside the page's own wasm when this browser is a device, so
    // the two load at once; what it said meanwhile is heard now, in order.
    let (worker, said) = match started_early() {
        Some(early) => early,
        None => {
            let options = web_sys::WorkerOptions::new();
            options.set_type(web_sys::WorkerType::Module);
            let worker = web_sys::Worker::new_with_options("device-worker.js", &options)
                .map_err(|e| BackendError::local("other", format!("the device cannot start here: {e:?}")))?;
            (worker, js_sys::Array::new())
        }
    };
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
        heard_data(&event.data());
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|_: web_sys::Event| did_not_start());
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let channel = Rc::new(Channel {
        worker,
        next_id: Cell::new(1),
        pending: RefCell::new(HashMap::new()),
        queued: RefCell::new(Some(Vec::new())),
        failed: RefCell::new(None),
        _on_message: on_message,
        _on_error: on_error,
    });
    CHANNEL.with(|c| *c.borrow_mut() = Some(channel.clone()));
    for message in said.iter() {
        // `boot.js` keeps a failed start as `{error: true}`, anything else as the message's data.
        if js_sys::Reflect::get(&message, &JsValue::from_str("error")).ok().and_then(|e| e.as_bool()) == Some(true) {
            did_not_start();
        } else {
            heard_data(&js_sys::Reflect::get(&message, &JsValue::from_str("data")).unwrap_or(JsValue::NULL));
        }
    }
    Ok(channel)
}

/// The Worker `boot.js` started before this page's wasm ran, and what it said since (taken once).
fn started_early() -> Option<(web_sys::Worker, js_sys::Array)> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("__prongsaiDevice");
    let early = js_sys::Reflect::get(&window, &key).ok().filter(|e| e.is_object())?;
    let _ = js_sys::Reflect::delete_property(window.unchecked_ref::<js_sys::Object>(), &key);
    let field = |name: &str| js_sys::Reflect::get(&early, &JsValue::from_str(name)).ok();
    let worker = field("worker")?.dyn_into::<web_sys::Worker>().ok()?;
    let said = field("heard").and_then(|h| h.dyn_into::<js_sys::Array>().ok()).unwrap_or_default();
    Some((worker, said))
}

/// A message's data from the Worker: text, or a file's answer (`{text, bytes}`).
fn heard_data(data: &JsValue) {
    let (text, bytes) = match data.as_string() {
        Some(text) => (Some(text), None),
        None => {
            let field = |name: &str| js_sys::Reflect::get(data, &JsValue::from_str(name)).ok();
            (field("text").and_then(|t| t.as_string()), field("bytes").and_then(|b| b.dyn_into().ok()))
        }
    };
    if let Some(message) = text.and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok()) {
        heard(message, bytes);
    }
}

/// The Worker's script did not load or threw before it could say so itself.
fn did_not_start() {
    heard(
        serde_json::json!({ "ready": false, "error": { "kind": "other", "message": "the device did not start" } }),
        None,
    );
}

/// A message from the Worker: an answer, its news, or whether it started.
fn heard(message: serde_json::Value, bytes: Option<js_sys::Uint8Array>) {
    let Some(channel) = CHANNEL.with(|c| c.borrow().clone()) else { return };
    if let Some(id) = message.get("id").and_then(|id| id.as_u64()) {
        let sender = channel.pending.borrow_mut().remove(&(id as u32));
        let answer = match message.get("err") {
            Some(err) => Err(serde_json::from_value(err.clone())
                .unwrap_or_else(|_| BackendError::local("other", "the device failed"))),
            None => Ok((message.get("ok").cloned().unwrap_or(serde_json::Value::Null), bytes)),
        };
        if let Some(sender) = sender {
            let _ = sender.send(answer);
        }
    } else if let Some(event) = message.get("event").and_then(|e| e.as_str()) {
        emit(event, message.get("payload").cloned().unwrap_or(serde_json::Value::Null));
    } else if message.get("ready").and_then(|r| r.as_bool()) == Some(true) {
        for queued in channel.queued.borrow_mut().take().unwrap_or_default() {
            send(&channel, &queued);
        }
    } else if message.get("ready").is_some() {
        let error = message
            .get("error")
            .and_then(|e| serde_json::from_value::<BackendError>(e.clone()).ok())
            .unwrap_or_else(|| BackendError::local("other", "the device did not start"));
        web_sys::console::error_1(&JsValue::from_str(&format!("{}: {}", error.kind, error.message)));
        channel.queued.borrow_mut().take();
        for (_, answer) in channel.pending.borrow_mut().drain() {
            let _ = answer.send(Err(error.clone()));
        }
        *channel.failed.borrow_mut() = Some(error);
    } else if let Some(line) = message.get("log").and_then(|l| l.as_str()) {
        web_sys::console::log_1(&JsValue::from_str(&format!("device: {line}")));
    } else if message.get("waiting").is_some() {
        // Another tab of this browser holds the device: this one's calls wait until it closes.
        emit(super::DEVICE_WAITING_EVENT, serde_json::Value::Null);
    }
}

fn send(channel: &Channel, message: &js_sys::Object) {
    if let Err(e) = channel.worker.post_message(message) {
        web_sys::console::error_1(&e);
    }
}

/// Calls the device: `cmd` with `args` as the app's command takes them, and a file's bytes for
/// the calls that carry one.
pub(super) async fn call_with<A: Serialize, T: DeserializeOwned>(
    cmd: &str,
    args: &A,
    bytes: Option<js_sys::Uint8Array>,
) -> Result<T, BackendError> {
    let (value, _) = ask(cmd, args, bytes).await?;
    serde_json::from_value(value).map_err(|e| BackendError::local("other", format!("unexpected answer: {e}")))
}

/// Calls the device for a file: what it is, and its bytes.
pub(super) async fn call_for_file<A: Serialize, T: DeserializeOwned>(
    cmd: &str,
    args: &A,
) -> Result<(T, js_sys::Uint8Array), BackendError> {
    let (value, bytes) = ask(cmd, args, None).await?;
    let about =
        serde_json::from_value(value).map_err(|e| BackendError::local("other", format!("unexpected answer: {e}")))?;
    Ok((about, bytes.ok_or_else(|| BackendError::local("other", "the device sent no file"))?))
}

async fn ask<A: Serialize>(
    cmd: &str,
    args: &A,
    bytes: Option<js_sys::Uint8Array>,
) -> Result<(serde_json::Value, Option<js_sys::Uint8Array>), BackendError> {
    let channel = channel()?;
    if let Some(error) = channel.failed.borrow().clone() {
        return Err(error);
    }
    let id = channel.next_id.get();
    channel.next_id.set(id.wrapping_add(1));
    let args = serde_json::to_string(args).map_err(|e| BackendError::local("other", e.to_string()))?;
    let message = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = js_sys::Reflect::set(&message, &JsValue::from_str(key), value);
    };
    set("id", &JsValue::from(id));
    set("call", &JsValue::from_str(cmd));
    set("args", &JsValue::from_str(&args));
    if let Some(bytes) = bytes {
        set("bytes", &bytes);
    }
    let (answer, answered) = oneshot::channel();
    channel.pending.borrow_mut().insert(id, answer);
    let unsent = match channel.queued.borrow_mut().as_mut() {
        Some(waiting) => {
            waiting.push(message);
            None
        }
        None => Some(message),
    };
    if let Some(message) = unsent {
        send(&channel, &message);
    }
    answered.await.map_err(|_| BackendError::local("other", "the device stopped"))?
}

pub(super) async fn call<A: Serialize, T: DeserializeOwned>(cmd: &str, args: &A) -> Result<T, BackendError> {
    call_with(cmd, args, None).await
}

/// Calls `handler` with each of the device's `event`s for as long as the page lives.
pub(super) fn listen<T: DeserializeOwned + 'static>(event: &'static str, mut handler: impl FnMut(T) + 'static) {
    let handler: Handler = Box::new(move |payload| {
        if let Ok(value) = serde_json::from_value::<T>(payload) {
            handler(value);
        }
    });
    HANDLERS.with(|handlers| handlers.borrow_mut().entry(event).or_default().push(handler));
}

/// Tells this page's listeners of `event`.
fn emit(event: &str, payload: serde_json::Value) {
    HANDLERS.with(|handlers| {
        if let Some(list) = handlers.borrow_mut().get_mut(event) {
            for handler in list.iter_mut() {
                handler(payload.clone());
            }
        }
    });
}
