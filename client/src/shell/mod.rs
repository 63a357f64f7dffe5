//! The device as an app holds it between calls from its pages: the device (once opened or
//! signed in), the session's lifecycle (open the saved login, sign in, switch years, sign out),
//! and the device's watches turned into events for the page. One copy for every platform: the
//! Tauri shell (src-tauri) and, in a browser, the device's Worker both hold a [`Shell`] and
//! differ only in how an event reaches the page ([`Events`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prongsai_core::AgencyYear;
use prongsai_core::app::{Connection, SessionView, SyncState};
use prongsai_core::calendar::Date;

use prongsai_core::detail::{MeasureDetail, measure_detail};
use prongsai_core::edit::Edit;
use prongsai_core::history::{ActivityEntry, HistoryEntry};
use prongsai_core::report_model::MemoView;
use prongsai_core::tracks::{Slot, Target};
use prongsai_core::view::{MergedView, merged_view};
pub use prongsai_core::wire::EvidenceFile;
use prongsai_core::wire::{NotificationsRead, SignRequest};

use crate::platform::{self, MaybeSend};
use crate::{Device, DeviceConfig, DeviceError, EvidenceTarget};

mod calls;
mod server;

pub use server::Upload;

/// How the device's news reaches the page: Tauri events in the app, messages from the Worker in
/// a browser.
pub trait Events: MaybeSend + 'static {
    /// The sync state changed (connection, unconfirmed count, …).
    fn sync_state(&self, state: &SyncState);
    /// Some open document changed, here or from the server (once per burst).
    fn documents_changed(&self);
}

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
    pub fn kind(&self) -> &'static str {
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
    config: DeviceConfig,
    events: Arc<dyn Events>,
    device: tokio::sync::RwLock<Option<Device>>,
    /// False until the saved login (if any) has been opened.
    opened: tokio::sync::watch::Sender<bool>,
    forwarders: Mutex<Vec<platform::Task>>,
}

impl Shell {
    pub fn new(config: DeviceConfig, events: Arc<dyn Events>) -> Shell {
        Shell {
            config,
            events,
            device: tokio::sync::RwLock::new(None),
            opened: tokio::sync::watch::channel(false).0,
            forwarders: Mutex::new(Vec::new()),
        }
    }

    pub fn config(&self) -> &DeviceConfig {
        &self.config
    }

    /// Opens the saved login from the device's own storage (no network) and starts syncing;
    /// calls wait for this first.
    pub async fn open_saved(&self) {
        match Device::open(self.config.clone()).await {
            Ok(Some(device)) => self.install(device, true).await,
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "opening the saved login failed"),
        }
        self.opened.send_replace(true);
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

    /// Turns the device's watches into events for the page.
    fn forward(&self, device: &Device) {
        let events = self.events.clone();
        let mut sync = device.sync_state();
        let sync_task = platform::spawn(async move {
            // The device's watch moves on every event of its connection; the page hears only
            // what it would show differently.
            let mut told: Option<SyncState> = None;
            loop {
                let state = sync.borrow_and_update().clone();
                if told.as_ref() != Some(&state) {
                    events.sync_state(&state);
                    told = Some(state);
                }
                if sync.changed().await.is_err() {
                    return;
                }
            }
        });
        let events = self.events.clone();
        let mut changes = device.changes();
        let changes_task = platform::spawn(async move {
            while changes.changed().await.is_ok() {
                // A sync brings changes in bursts: tell the page once per burst.
                platform::sleep(Duration::from_millis(100)).await;
                changes.borrow_and_update();
                events.documents_changed();
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
            None => Date::from_unix_millis_bangkok(platform::now_ms()),
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
        let device = Device::login_with_code(self.config.clone(), url, username.trim(), password, otp).await?;
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
        self.events.documents_changed();
        Ok(device.session_view(year).await?)
    }

    /// The signed-in device, whether or not it has an agency-year yet.
    pub async fn signed_in(&self) -> Result<Device, CommandError> {
        self.device().await
    }

    pub async fn sign_out(&self) -> Result<(), CommandError> {
        if let Some(device) = self.device.write().await.take() {
            device.sign_out().await?;
            device.shutdown().await;
        }
        self.events.sync_state(&SyncState { connection: Connection::SignedOut, ..SyncState::default() });
        Ok(())
    }

    /// The server this device signs in to, for the verification address a signed report prints.
    pub async fn server_url(&self) -> Option<String> {
        let device = self.device().await.ok()?;
        Some(device.api().base().as_str().trim_end_matches('/').to_string())
    }

    pub async fn sync_state(&self) -> SyncState {
        match self.device.read().await.as_ref() {
            Some(device) => device.state(),
            None => SyncState { connection: Connection::SignedOut, ..SyncState::default() },
        }
    }

    // --- What the page reads and writes: one body per call, for every platform's shell.

    /// The merged picture of one track and round (the integrity measures when `track` is absent).
    pub async fn overview(
        &self,
        as_of: Option<&str>,
        track: Option<&str>,
        round: Option<&str>,
    ) -> Result<MergedView, CommandError> {
        let (year, today) = self.year_in_slot(as_of, track, round).await?;
        let view = merged_view(&year, today);
        // Today's picture is kept for the next cold start (`last_overview`), off the answer's path,
        // under the year just read (asking for the current year again would refresh the list twice).
        if as_of.is_none()
            && let Ok(device) = self.signed_in().await
        {
            let (number, kept) = (year.fiscal_year(), view.clone());
            drop(platform::spawn(async move {
                if let Err(e) = device.keep_picture(number, &kept).await {
                    tracing::debug!(error = %e, "keeping the picture for the next start failed");
                }
            }));
        }
        Ok(view)
    }

    /// The picture of a track and round this device last showed, read without the documents: what
    /// a cold start shows at once, until `overview` answers. `None` when there is none yet.
    pub async fn last_overview(
        &self,
        track: Option<&str>,
        round: Option<&str>,
    ) -> Result<Option<MergedView>, CommandError> {
        let (device, year) = self.device_and_year().await?;
        let slot = Slot::of(track, round);
        Ok(device.last_picture(year, &slot).await?)
    }

    /// The picture of every round of every track the year runs besides the integrity measures,
    /// from one reading of the device's documents (for what waits there).
    pub async fn track_overviews(&self, as_of: Option<&str>) -> Result<Vec<MergedView>, CommandError> {
        let (year, today) = self.year_and_date(as_of).await?;
        let mut views = Vec::new();
        for track in year.tracks().into_iter().skip(1) {
            for round in &track.rounds {
                let slot = Slot::of(Some(&track.id), Some(&round.id));
                if let Ok(view) = year.in_slot(&slot) {
                    views.push(merged_view(&view, today));
                }
            }
        }
        Ok(views)
    }

    pub async fn measure(
        &self,
        id: &str,
        as_of: Option<&str>,
        track: Option<&str>,
        round: Option<&str>,
    ) -> Result<MeasureDetail, CommandError> {
        let (year, today) = self.year_in_slot(as_of, track, round).await?;
        measure_detail(&year, id, today).ok_or(CommandError::NotFound)
    }

    pub async fn history(
        &self,
        id: &str,
        track: Option<&str>,
        round: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, CommandError> {
        let (device, year) = self.device_and_year().await?;
        let slot = edit_slot(&device, year, track, round).await?;
        Ok(device.measure_history_in(year, &slot, id).await?)
    }

    pub async fn activity(&self) -> Result<Vec<ActivityEntry>, CommandError> {
        let (device, year) = self.device_and_year().await?;
        Ok(device.activity(year, ACTIVITY_LIMIT).await?)
    }

    /// Applies edits in one commit. With `track`, they are that track's (its plan, or its `round`'s
    /// results and review): the round is resolved on this device, so a division's first edit in a
    /// round starts from what it reported in the round before, offline too.
    pub async fn apply(&self, edits: Vec<Edit>, track: Option<&str>, round: Option<&str>) -> Result<(), CommandError> {
        let (device, year) = self.device_and_year().await?;
        let slot = edit_slot(&device, year, track, round).await?;
        Ok(device.apply(year, Edit::in_slot(&slot, edits)).await?)
    }

    /// Adds an evidence file to a division's result: prepared on this device (photos turned
    /// upright, downscaled, stripped of EXIF), kept until uploaded.
    pub async fn add_evidence_file(&self, file: EvidenceFile, bytes: Vec<u8>) -> Result<(), CommandError> {
        let (device, year) = self.device_and_year().await?;
        let slot = edit_slot(&device, year, file.track.as_deref(), file.round.as_deref()).await?;
        let target = EvidenceTarget {
            division: file.division,
            measure: file.measure,
            evidence_id: file.id,
            caption: file.caption,
            slot,
        };
        device.add_evidence_file(year, target, &file.file_name, &file.media_type, bytes).await?;
        Ok(())
    }

    /// An approver signs or returns their step of the plan or the memo; the server checks who and
    /// in what order.
    pub async fn sign(&self, target: Target, step: &str, request: SignRequest) -> Result<(), CommandError> {
        let (device, year) = self.device_and_year().await?;
        let agency = device.session().agency_id.clone();
        device.api().sign_target(&agency, year, &target, step, &request).await.map_err(DeviceError::from)?;
        Ok(())
    }

    /// The memo as it will print, with its signatures and the proposals' ids for editing: the
    /// integrity measures' report memo, or a track round's.
    pub async fn memo(&self, track: Option<&str>, round: Option<&str>) -> Result<MemoView, CommandError> {
        let (year, _) = self.year_in_slot(None, track, round).await?;
        Ok(MemoView::build(&year))
    }

    /// The year's whole ITAS sheet as this device's documents have it (offline too), checked
    /// against the agency's site and the server this device signs in to.
    pub async fn itas_sheet(&self) -> Result<prongsai_core::itas::ItasSheet, CommandError> {
        let (year, today) = self.year_and_date(None).await?;
        let host = self.server_url().await.and_then(|url| prongsai_core::itas::url_host(&url).ok());
        Ok(prongsai_core::itas::sheet(&year, host.as_deref(), today))
    }

    /// The notifications this person marked read: the device's marks, merged with the server's
    /// when it answers within a few seconds (marks made offline are sent to it then).
    pub async fn notifications_read(&self) -> Result<NotificationsRead, CommandError> {
        let device = self.signed_in().await?;
        let username = device.session().username.clone();
        let local = self.read_marks(&username).await;
        let api = device.api();
        let Some(Ok(server)) = platform::timeout(SERVER_WAIT, api.notifications_read()).await else {
            return Ok(NotificationsRead { read: local });
        };
        let missing: Vec<String> = local.iter().filter(|id| !server.read.contains(id)).cloned().collect();
        let merged = if missing.is_empty() {
            server.read
        } else {
            match platform::timeout(SERVER_WAIT, api.mark_notifications_read(&missing)).await {
                Some(Ok(answer)) => answer.read,
                _ => {
                    let mut merged = server;
                    merged.mark(missing);
                    merged.read
                }
            }
        };
        self.save_read_marks(&username, &merged).await;
        Ok(NotificationsRead { read: merged })
    }

    /// Marks notifications read: kept on the device at once (offline too), sent to the server
    /// when it answers.
    pub async fn mark_notifications_read(&self, ids: Vec<String>) -> Result<NotificationsRead, CommandError> {
        let device = self.signed_in().await?;
        let username = device.session().username.clone();
        let mut marks = NotificationsRead { read: self.read_marks(&username).await };
        marks.mark(ids.iter().cloned());
        self.save_read_marks(&username, &marks.read).await;
        if let Some(Ok(answer)) = platform::timeout(SERVER_WAIT, device.api().mark_notifications_read(&ids)).await {
            marks = answer;
            self.save_read_marks(&username, &marks.read).await;
        }
        Ok(marks)
    }

    /// The notifications this person marked read on this device (and, once synced, anywhere),
    /// kept in the device's own storage.
    pub async fn read_marks(&self, username: &str) -> Vec<String> {
        let Ok(device) = self.device().await else { return Vec::new() };
        let kept = device.storage().get(&read_marks_key(username)).await.ok().flatten();
        kept.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()
    }

    pub async fn save_read_marks(&self, username: &str, marks: &[String]) {
        let Ok(device) = self.device().await else { return };
        let json = serde_json::to_string(marks).unwrap_or_default();
        if let Err(e) = device.storage().set(&read_marks_key(username), &json).await {
            tracing::warn!(error = %e, "could not keep the read notifications on the device");
        }
    }
}

/// How many changes the activity feed shows.
const ACTIVITY_LIMIT: usize = 30;

/// How long a call that also works offline waits for the server before answering from the
/// device.
const SERVER_WAIT: Duration = Duration::from_secs(3);

/// The slot edits for `track` and `round` go to, resolved on this device (the round before it
/// named, for a division's first edit in the round); 404 for a track the year does not run.
async fn edit_slot(device: &Device, year: i64, track: Option<&str>, round: Option<&str>) -> Result<Slot, CommandError> {
    let slot = Slot::of(track, round);
    if slot.is_integrity() {
        return Ok(slot);
    }
    device.agency_year(year).await?.resolve_slot(&slot).map_err(|_| CommandError::NotFound)
}

fn read_marks_key(username: &str) -> String {
    format!("notifications-read:{username}")
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
