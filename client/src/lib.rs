//! The sync client a Prongsai device runs (the Tauri app, tests' headless devices, the load
//! generator): login over HTTP, a samod repo over local SQLite, our own WebSocket dialer, and the
//! count of local changes the server has not yet confirmed as durable.

pub mod api;
pub mod device;
pub mod dialer;
pub mod evidence;
pub mod platform;
pub mod session;
pub mod shell;
pub mod storage;

pub use api::{ApiError, DocumentEntry, ServerApi};
pub use device::{Connection, Device, DeviceConfig, DeviceError, EvidenceTarget, SyncState};
pub use session::Session;
