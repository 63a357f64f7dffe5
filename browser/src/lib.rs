//! The device's browser side: what a field device needs to run in a browser's Worker where the
//! native one has tokio and SQLite. The device itself is `prongsai-client`, compiled for wasm32
//! (its `platform`, IndexedDB `storage` and browser `dialer`); the Worker that answers the page
//! follows here (issue 21). Empty off wasm32.
#![cfg(target_arch = "wasm32")]

/// The browser's event loop as samod's runtime (the device's own, re-exported).
pub use prongsai_client::platform::Runtime as BrowserRuntime;
