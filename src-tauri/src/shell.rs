//! The app's side of the shell: Tauri events for the client's [`Shell`] (which holds the device
//! and the session's lifecycle for every platform), where the app keeps its data and its
//! reports, and the agency's emblem kept for reports rendered offline.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use prongsai_client::DeviceConfig;
pub use prongsai_client::shell::{CommandError, Shell, Startup};
use prongsai_core::app::SyncState;
use tauri::{AppHandle, Emitter, Manager};

/// Events the frontend listens to.
pub const SYNC_EVENT: &str = "sync-state";
pub const CHANGED_EVENT: &str = "documents-changed";

struct TauriEvents(AppHandle);

impl prongsai_client::shell::Events for TauriEvents {
    fn sync_state(&self, state: &SyncState) {
        let _ = self.0.emit(SYNC_EVENT, state);
    }

    fn documents_changed(&self) {
        let _ = self.0.emit(CHANGED_EVENT, ());
    }
}

/// The app's shell. `PRONGSAI_APP_DATA` chooses the data directory (tests, the run command);
/// otherwise the platform's app data directory.
pub fn for_app(app: &AppHandle) -> Result<Shell, Box<dyn std::error::Error>> {
    let data_dir = match std::env::var_os("PRONGSAI_APP_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)?;
    let mut config = DeviceConfig::new(&data_dir);
    config.device_name = std::env::var("HOSTNAME").unwrap_or_else(|_| "Prongsai app".to_string());
    Ok(Shell::new(config, Arc::new(TauriEvents(app.clone()))))
}

/// Opens the saved login in the background (the window opens at once).
pub fn open_in_background(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move { app.state::<Shell>().open_saved().await });
}

/// The agency's emblem for reports: fetched from the server when it answers and kept on the
/// device, so reports rendered offline carry it too.
pub async fn emblem(shell: &Shell, agency: &str) -> Option<Vec<u8>> {
    let cache = shell.config().data_dir.join("emblem.img");
    let fetched = match shell.signed_in().await.ok() {
        Some(device) => tokio::time::timeout(Duration::from_secs(3), device.api().emblem(agency)).await.ok(),
        None => None,
    };
    match fetched {
        Some(Ok(Some(bytes))) => {
            if let Err(e) = std::fs::write(&cache, &bytes) {
                tracing::warn!(error = %e, "could not keep the agency's emblem on the device");
            }
            Some(bytes)
        }
        Some(Ok(None)) => {
            let _ = std::fs::remove_file(&cache);
            None
        }
        // Offline or refused: the copy from the last time the server answered.
        _ => std::fs::read(&cache).ok(),
    }
}

/// Where "Save" puts reports: `PRONGSAI_EXPORT_DIR` when set (e.g. a shared folder), else
/// Documents/Prongsai, else the app's data folder.
pub fn exports_dir(app: &AppHandle) -> PathBuf {
    if let Some(dir) = std::env::var_os("PRONGSAI_EXPORT_DIR") {
        return PathBuf::from(dir);
    }
    let documents = app.path().document_dir().ok().or_else(|| app.path().home_dir().ok().map(|h| h.join("Documents")));
    match documents {
        Some(dir) => dir.join("Prongsai"),
        None => app.path().app_data_dir().map(|d| d.join("exports")).unwrap_or_else(|_| PathBuf::from("exports")),
    }
}

/// The system's save dialog, starting in `folder` with `file_name`; `None` when cancelled.
pub async fn save_dialog(
    app: &AppHandle,
    folder: &std::path::Path,
    file_name: &str,
    extension: &str,
) -> Option<PathBuf> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _ = std::fs::create_dir_all(folder);
    app.dialog()
        .file()
        .set_directory(folder)
        .set_file_name(file_name)
        .add_filter(extension.to_uppercase(), &[extension])
        .save_file(move |picked| {
            let _ = tx.send(picked);
        });
    rx.await.ok().flatten().and_then(|p| p.into_path().ok())
}
