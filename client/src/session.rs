//! The saved login: kept in a file only the user can read, so the app opens and edits offline
//! after the first login, across restarts.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::api::LoginResponse;

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

pub fn load(dir: &Path) -> std::io::Result<Option<Session>> {
    match std::fs::read(session_path(dir)) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes the session readable by its owner only (0600), replacing any earlier one atomically.
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

pub fn remove(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(session_path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
