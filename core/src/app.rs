//! What the frontend and its backends (the app's Tauri commands, the server's HTTP API) exchange
//! besides the views: who is signed in and how syncing stands.

use crate::agency_year::AgencyYear;
use crate::model::{DocKey, Role};

/// Whether and how a device is connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Offline,
    Connecting,
    /// Connected, with local changes the server has not confirmed yet.
    Syncing,
    UpToDate,
    /// The server refused the login: sign in again.
    SignedOut,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncState {
    pub connection: Connection,
    /// Local changes not yet confirmed durable by the server.
    pub unconfirmed: usize,
    /// Unix milliseconds of the last confirmation that left nothing unconfirmed.
    pub last_synced_ms: Option<i64>,
    /// The last problem worth showing (local storage failure, refused write).
    pub error: Option<String>,
    /// Evidence files kept on this device and not yet uploaded.
    #[serde(default)]
    pub uploads_pending: usize,
    /// Local changes the server refused (this user may no longer write their document): they
    /// stay on this device and are never counted as synced.
    #[serde(default)]
    pub refused: usize,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState {
            connection: Connection::Offline,
            unconfirmed: 0,
            last_synced_ms: None,
            error: None,
            uploads_pending: 0,
            refused: 0,
        }
    }
}

/// The signed-in person as the frontend needs them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionView {
    pub server: String,
    pub username: String,
    pub display_name: String,
    pub position: String,
    pub agency_id: String,
    pub agency_name: String,
    pub year: i64,
    pub division: Option<String>,
    pub division_name: Option<String>,
    pub roles: Vec<Role>,
    /// The documents the server lets this person write.
    pub writable: Vec<DocKey>,
    /// The agency requires a second factor of this person and they have none yet: the app opens
    /// on setting it up, and nothing else answers until they have.
    #[serde(default)]
    pub enroll_second_factor: bool,
    /// The year is closed by the admin: everything reads, nothing is written.
    #[serde(default)]
    pub closed: bool,
    /// Documents of this year were written by a newer release: this app reads them and writes
    /// nothing until it is updated.
    #[serde(default)]
    pub update_required: bool,
    /// The agency's years this device knows, oldest first (the year switcher).
    #[serde(default)]
    pub years: Vec<i64>,
    /// The fiscal year of today (Bangkok): the year the app opens on.
    #[serde(default)]
    pub current_year: i64,
}

impl SessionView {
    /// Someone signed in to an agency with no year yet (a new agency): who they are, from the
    /// server's `/api/me`.
    pub fn without_year(server: &str, me: crate::wire::Me, current_year: i64) -> SessionView {
        SessionView {
            server: server.to_string(),
            username: me.username,
            display_name: me.display_name,
            position: me.position,
            agency_id: me.agency_id,
            division: me.division,
            roles: me.roles.iter().map(|r| crate::model::Role::parse(r)).collect(),
            current_year,
            ..SessionView::default()
        }
    }

    /// Fills in the person's name, division and roles from the agency's directory.
    pub fn describe(server: &str, username: &str, year: &AgencyYear, writable: Vec<DocKey>) -> SessionView {
        let user = year.directory.users.get(username).cloned().unwrap_or_default();
        let update_required = year.newest_schema() > crate::model::SCHEMA_VERSION;
        let writable = if update_required { Vec::new() } else { writable };
        SessionView {
            server: server.to_string(),
            username: username.to_string(),
            display_name: if user.display_name.is_empty() { username.to_string() } else { user.display_name },
            position: user.position,
            agency_id: year.directory.agency.id.clone(),
            agency_name: year.directory.agency.name.clone(),
            year: year.directory.year,
            division_name: user.division.as_ref().map(|d| year.division_name(d)),
            division: user.division,
            roles: user.roles,
            writable,
            enroll_second_factor: false,
            closed: false,
            update_required,
            years: vec![year.directory.year],
            current_year: year.directory.year,
        }
    }

    pub fn can_write(&self, key: &DocKey) -> bool {
        self.writable.contains(key)
    }

    pub fn has_role(&self, role: &Role) -> bool {
        self.roles.contains(role)
    }
}

/// The year to open among an agency's `years`: the fiscal year of today when the agency has it,
/// else the latest before it, else the earliest (an agency whose first year starts later).
pub fn pick_year(years: &[i64], today: i64) -> Option<i64> {
    if years.contains(&today) {
        return Some(today);
    }
    years.iter().copied().filter(|y| *y < today).max().or_else(|| years.iter().copied().min())
}

#[cfg(test)]
mod tests {
    use super::pick_year;

    #[test]
    fn the_app_opens_on_the_fiscal_year_of_today() {
        assert_eq!(pick_year(&[2568, 2569, 2570], 2570), Some(2570));
        // The new year is not started yet: the one before.
        assert_eq!(pick_year(&[2568, 2569], 2570), Some(2569));
        // A year started ahead of time does not move the app off today's year.
        assert_eq!(pick_year(&[2569, 2570, 2571], 2570), Some(2570));
        assert_eq!(pick_year(&[2572], 2570), Some(2572));
        assert_eq!(pick_year(&[], 2570), None);
    }
}
