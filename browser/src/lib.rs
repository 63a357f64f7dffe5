//! The device's browser side: what a field device needs to run in a browser's Worker where the
//! native one has tokio and SQLite. Today the runtime samod's repo runs on there; the IndexedDB
//! store, the browser's WebSocket dialer and the Worker that answers the page follow (issue 21).
//! Empty off wasm32.
#![cfg(target_arch = "wasm32")]

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use samod::runtime::LocalRuntimeHandle;

/// The browser's event loop as samod's runtime: tasks are spawned on the current thread (a
/// Worker's, or the page's), timers are the browser's.
#[derive(Clone, Copy, Debug, Default)]
pub struct BrowserRuntime;

impl LocalRuntimeHandle for BrowserRuntime {
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()>>>) {
        wasm_bindgen_futures::spawn_local(task)
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(gloo_timers::future::sleep(duration))
    }
}
