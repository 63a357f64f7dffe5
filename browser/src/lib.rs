//! The device's browser side: what a field device needs to run in a browser's Worker where the
//! native one has tokio and SQLite. The device itself is `prongsai-client`, compiled for wasm32
//! (its `platform`, IndexedDB `storage` and browser `dialer`); [`worker`] is the Worker that holds
//! it and answers the page. Empty off wasm32.
#![cfg(target_arch = "wasm32")]

pub mod worker;

/// The browser's event loop as samod's runtime (the device's own, re-exported).
pub use prongsai_client::platform::Runtime as BrowserRuntime;
