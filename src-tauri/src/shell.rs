//! The app's state between commands: the device (once opened or signed in), the data directory,
//! and the tasks that turn the device's watches into events for the frontend.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use prongsai_client::{Device, DeviceConfig, DeviceError};
use prongsai_core::AgencyYear;
use prongsai_core::app::{Connection, SessionView, SyncState};
use prongsai_core::calendar::Date;
use tauri::{AppHandle, Emitter, Manager};

/// Events the frontend listens to.
pub const SYNC_EVENT: &str = "sync-state";
pub const CHANGED_EVENT: &str = "documents-changed";

/// What the frontend needs when its window opens.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Startup {
    pub session: Option<SessionView>,
    pub sync: SyncState,
}

/// A command's failure, sent to the frontend as `{kind, message}`; the frontend words it in Thai
/// by `kind` and keeps `message` (English) as the detail.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("not signed in on this device")]
    NotSignedIn,
    #[error("no such measure")]
    NotFound,
    #[error("the server address is not a URL: {0}")]
    InvalidServer(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the date is not a date: {0}")]
    InvalidDate(String),
    /// Refused on the device, with the kind the frontend words.
    #[error("{message}")]
    Refused { kind: &'static str, message: String },
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl CommandError {
    fn kind(&self) -> &'static str {
        match self {
            CommandError::NotSignedIn => "not_signed_in",
            CommandError::NotFound => "not_found",
            CommandError::InvalidServer(_) => "invalid_server",
            CommandError::InvalidDate(_) | CommandError::BadRequest(_) => "invalid",
            CommandError::Refused { kind, .. } => kind,
            CommandError::Device(e) => match e {
                DeviceError::Api(e) if e.is_offline() => "offline",
                // The server's own kind (core's `wire::ErrorKind`), which the frontend words.
                DeviceError::Api(e) => e.kind().as_str(),
                DeviceError::ReadOnly { .. } => "read_only",
                DeviceError::YearClosed { .. } => "year_closed",
                DeviceError::UpdateRequired { .. } => "update_required",
                DeviceError::Doc(prongsai_core::DocError::Invalid(_)) => "invalid",
                DeviceError::Unavailable => "not_on_device",
                DeviceError::NoYear => "no_year",
                DeviceError::Evidence(_) => "bad_file",
                _ => "other",
            },
        }
    }
}

impl serde::Serialize for CommandError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("CommandError", 2)?;
        out.serialize_field("kind", self.kind())?;
        out.serialize_field("message", &self.to_string())?;
        out.end()
    }
}

pub struct Shell {
    app: AppHandle,
    data_dir: PathBuf,
    device: tokio::sync::RwLock<Option<Device>>,
    /// False until the saved login (if any) has been opened.
    opened: tokio::sync::watch::Sender<bool>,
    forwarders: Mutex<Vec<tauri::async_runtime::JoinHandle<()>>>,
}

impl Shell {
    /// `PRONGSAI_APP_DATA` chooses the data directory (tests, the run command); otherwise the
    /// platform's app data directory.
    pub fn new(app: &AppHandle) -> Result<Shell, Box<dyn std::error::Error>> {
        let data_dir = match std::env::var_os("PRONGSAI_APP_DATA") {
            Some(dir) => PathBuf::from(dir),
            None => app.path().app_data_dir()?,
        };
        std::fs::create_dir_all(&data_dir)?;
        Ok(Shell {
            app: app.clone(),
            data_dir,
            device: tokio::sync::RwLock::new(None),
            opened: tokio::sync::watch::channel(false).0,
            forwarders: Mutex::new(Vec::new()),
        })
    }

    fn config(&self) -> DeviceConfig {
        let mut config = DeviceConfig::new(&self.data_dir);
        config.device_name = std::env::var("HOSTNAME").unwrap_or_else(|_| "Prongsai app".to_string());
        config
    }

    /// Opens the saved login from disk (no network) and starts syncing.
    pub fn open_in_background(&self) {
        let app = self.app.clone();
        tauri::async_runtime::spawn(async move {
            let shell = app.state::<Shell>();
            match Device::open(shell.config()).await {
                Ok(Some(device)) => shell.install(device, true).await,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "opening the saved login failed"),
            }
            shell.opened.send_replace(true);
        });
    }

    /// Makes `device` the app's device; it syncs unless `connect` is false (someone who must
    /// first set up a second factor: the server refuses their sync until then, and a refused
    /// sync would read as signed out).
    async fn install(&self, device: Device, connect: bool) {
        if connect && let Err(e) = device.connect() {
            tracing::warn!(error = %e, "cannot start syncing; working offline");
        }
        self.forward(&device);
        *self.device.write().await = Some(device);
    }

    /// Turns the device's watches into events for the frontend.
    fn forward(&self, device: &Device) {
        let app = self.app.clone();
        let mut sync = device.sync_state();
        let sync_task = tauri::async_runtime::spawn(async move {
            loop {
                let state = sync.borrow_and_update().clone();
                let _ = app.emit(SYNC_EVENT, state);
                if sync.changed().await.is_err() {
                    return;
                }
            }
        });
        let app = self.app.clone();
        let mut changes = device.changes();
        let changes_task = tauri::async_runtime::spawn(async move {
            while changes.changed().await.is_ok() {
                // A sync brings changes in bursts: tell the frontend once per burst.
                tokio::time::sleep(Duration::from_millis(100)).await;
                changes.borrow_and_update();
                let _ = app.emit(CHANGED_EVENT, ());
            }
        });
        if let Ok(mut tasks) = self.forwarders.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
            tasks.extend([sync_task, changes_task]);
        }
    }

    async fn device(&self) -> Result<Device, CommandError> {
        let mut opened = self.opened.subscribe();
        let _ = opened.wait_for(|done| *done).await;
        self.device.read().await.clone().ok_or(CommandError::NotSignedIn)
    }

    pub async fn device_and_year(&self) -> Result<(Device, i64), CommandError> {
        let device = self.device().await?;
        let year = device.current_year().await?;
        Ok((device, year))
    }

    /// The agency-year as it is on this device, and the date to see it at (today in Thailand
    /// unless the person chose another, `YYYY-MM-DD`).
    pub async fn year_and_date(&self, as_of: Option<&str>) -> Result<(AgencyYear, Date), CommandError> {
        let (device, year) = self.device_and_year().await?;
        let today = match as_of {
            Some(text) => text.parse().map_err(|_| CommandError::InvalidDate(text.to_string()))?,
            None => Date::from_unix_millis_bangkok(now_ms()),
        };
        Ok((device.agency_year(year).await?, today))
    }

    /// The agency-year seen from one track and round (`None`: the integrity measures; no round:
    /// the track's last), as this device has it, offline too; 404 for a track the year does not run.
    pub async fn year_in_slot(
        &self,
        as_of: Option<&str>,
        track: Option<&str>,
        round: Option<&str>,
    ) -> Result<(AgencyYear, Date), CommandError> {
        let (year, today) = self.year_and_date(as_of).await?;
        let slot = prongsai_core::tracks::Slot::of(track, round);
        if slot.is_integrity() {
            return Ok((year, today));
        }
        let view = year.in_slot(&slot).map_err(|_| CommandError::NotFound)?.into_owned();
        Ok((view, today))
    }

    pub async fn startup(&self) -> Result<Startup, CommandError> {
        let device = match self.device().await {
            Ok(device) => device,
            Err(CommandError::NotSignedIn) => return Ok(Startup { session: None, sync: SyncState::default() }),
            Err(e) => return Err(e),
        };
        let session = session_of(&device).await?;
        Ok(Startup { session: Some(session), sync: device.state() })
    }

    pub async fn login(
        &self,
        server: &str,
        username: &str,
        password: &str,
        otp: Option<&str>,
    ) -> Result<SessionView, CommandError> {
        let url = url::Url::parse(server.trim()).map_err(|e| CommandError::InvalidServer(e.to_string()))?;
        if let Some(old) = self.device.write().await.take() {
            old.shutdown().await;
        }
        let device = Device::login_with_code(self.config(), url, username.trim(), password, otp).await?;
        // Someone the agency requires a second factor of sets it up first (their sync waits).
        let enroll = device.api().second_factor().await.is_ok_and(|s| s.required && !s.enrolled);
        self.install(device.clone(), !enroll).await;
        if enroll {
            let session = device.session();
            return Ok(SessionView {
                server: session.server.clone(),
                username: session.username.clone(),
                agency_id: session.agency_id.clone(),
                enroll_second_factor: true,
                ..SessionView::default()
            });
        }
        session_of(&device).await
    }

    /// Opens another of the agency's years (the year switcher, or a year just started).
    pub async fn set_year(&self, year: i64) -> Result<SessionView, CommandError> {
        let device = self.device().await?;
        device.set_year(year).await?;
        let _ = self.app.emit(CHANGED_EVENT, ());
        Ok(device.session_view(year).await?)
    }

    /// The signed-in device, whether or not it has an agency-year yet.
    pub async fn signed_in(&self) -> Result<Device, CommandError> {
        self.device().await
    }

    pub async fn sign_out(&self) -> Result<(), CommandError> {
        if let Some(device) = self.device.write().await.take() {
            device.sign_out()?;
            device.shutdown().await;
        }
        let _ = self.app.emit(SYNC_EVENT, SyncState { connection: Connection::SignedOut, ..SyncState::default() });
        Ok(())
    }

    /// The notifications `username` marked read on this device (and, once synced, anywhere).
    pub fn read_marks(&self, username: &str) -> Vec<String> {
        std::fs::read(self.read_marks_file(username))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn save_read_marks(&self, username: &str, marks: &[String]) {
        let json = serde_json::to_vec(marks).expect("plain data");
        if let Err(e) = std::fs::write(self.read_marks_file(username), json) {
            tracing::warn!(error = %e, "could not keep the read notifications on the device");
        }
    }

    fn read_marks_file(&self, username: &str) -> PathBuf {
        let safe: String = username.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        self.data_dir.join(format!("notifications-read-{safe}.json"))
    }

    /// The server this device signs in to, for the verification address a signed report prints.
    pub async fn server_url(&self) -> Option<String> {
        let device = self.device().await.ok()?;
        Some(device.api().base().as_str().trim_end_matches('/').to_string())
    }

    /// The agency's emblem for reports: fetched from the server when it answers and kept on the
    /// device, so reports rendered offline carry it too.
    pub async fn emblem(&self, agency: &str) -> Option<Vec<u8>> {
        let cache = self.data_dir.join("emblem.img");
        let fetched = match self.device().await.ok() {
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

    pub async fn sync_state(&self) -> SyncState {
        match self.device.read().await.as_ref() {
            Some(device) => device.state(),
            None => SyncState { connection: Connection::SignedOut, ..SyncState::default() },
        }
    }
}

/// The signed-in person in the year the device opens on, or, for an agency with no year yet,
/// as the server describes them (the admin sets the agency up, the coordinator starts a year).
async fn session_of(device: &Device) -> Result<SessionView, CommandError> {
    match device.current_year().await {
        Ok(year) => Ok(device.session_view(year).await?),
        Err(DeviceError::NoYear) => Ok(device.session_without_year().await?),
        Err(e) => Err(e.into()),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
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
