//! The saved login, so the app opens and edits offline after the first login, across restarts.
//! Natively a file only the user can read; in a browser the device's own IndexedDB store (a
//! Worker has no file system, and the page's `localStorage` would hand the token to any script
//! on the page).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::api::LoginResponse;
use crate::storage::{LocalStorage, LocalStorageError};

/// A saved login could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SavedLoginError {
    #[error("the saved login: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Storage(#[from] LocalStorageError),
}

/// The key of the login in a browser device's store.
#[cfg(target_arch = "wasm32")]
const SESSION_KEY: &str = "session";

/// The login saved on this device, if any.
pub async fn load_saved(dir: &Path, storage: &LocalStorage) -> Result<Option<Session>, SavedLoginError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = storage;
        Ok(load(dir)?)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = dir;
        let saved = storage.get(SESSION_KEY).await?;
        Ok(saved.and_then(|json| serde_json::from_str::<Option<Session>>(&json).ok()).flatten())
    }
}

/// Saves the login, replacing any earlier one.
pub async fn keep(dir: &Path, storage: &LocalStorage, session: &Session) -> Result<(), SavedLoginError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = storage;
        Ok(save(dir, session)?)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = dir;
        let json = serde_json::to_string(&Some(session)).map_err(|e| LocalStorageError(e.to_string()))?;
        Ok(storage.set(SESSION_KEY, &json).await?)
    }
}

/// Forgets the saved login (signing out; the device's data stays).
pub async fn forget(dir: &Path, storage: &LocalStorage) -> Result<(), SavedLoginError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = storage;
        Ok(remove(dir)?)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = dir;
        Ok(storage.set(SESSION_KEY, "null").await?)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The server's base URL, e.g. `http://127.0.0.1:8080/`.
    pub server: String,
    pub token: String,
    pub peer_id: String,
    pub actor_id: String,
    pub username: String,
    pub agency_id: String,
    pub expires_at: i64,
}

impl Session {
    pub fn from_login(server: &url::Url, login: LoginResponse) -> Session {
        Session {
            server: server.to_string(),
            token: login.token,
            peer_id: login.peer_id,
            actor_id: login.actor_id,
            username: login.username,
            agency_id: login.agency_id,
            expires_at: login.expires_at,
        }
    }
}

/// Where the session file lives in a data directory.
pub fn session_path(dir: &Path) -> PathBuf {
    dir.join("session.json")
}

#[cfg(not(target_arch = "wasm32"))]
pub fn load(dir: &Path) -> std::io::Result<Option<Session>> {
    match std::fs::read(session_path(dir)) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes the session readable by its owner only (0600), replacing any earlier one atomically.
#[cfg(not(target_arch = "wasm32"))]
pub fn save(dir: &Path, session: &Session) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = session_path(dir);
    let temporary = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(session).map_err(std::io::Error::other)?;
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&temporary, &path)
}

#[cfg(not(target_arch = "wasm32"))]
pub fn remove(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(session_path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
