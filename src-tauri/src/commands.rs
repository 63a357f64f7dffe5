//! The commands the frontend invokes. Each one asks the shell for the device and hands the work
//! to the client or core crate.

use prongsai_client::shell::{EvidenceFile, Upload};
use prongsai_core::admin::{
    AgencySecurity, AuditEntry, NewUserRequest, PasswordIssued, RecoveryCodes, SecondFactorEnrollment,
    SecondFactorStatus, UserAccount, UserChange,
};
use prongsai_core::app::{SessionView, SyncState};
use prongsai_core::detail::MeasureDetail;
use prongsai_core::edit::Edit;
use prongsai_core::history::{ActivityEntry, HistoryEntry};
use prongsai_core::model::SignatureDecision;
use prongsai_core::report_model::{MemoView, Part};
use prongsai_core::view::MergedView;
use prongsai_core::wire::NotificationsRead;
use tauri::State;

use crate::shell::{CommandError, Shell, Startup};

#[tauri::command]
pub async fn startup(shell: State<'_, Shell>) -> Result<Startup, CommandError> {
    shell.startup().await
}

#[tauri::command]
pub async fn login(
    shell: State<'_, Shell>,
    server: String,
    username: String,
    password: String,
    otp: Option<String>,
) -> Result<SessionView, CommandError> {
    shell.login(&server, &username, &password, otp.as_deref()).await
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>) -> Result<(), CommandError> {
    shell.sign_out().await
}

/// Opens another of the agency's years.
#[tauri::command]
pub async fn set_year(shell: State<'_, Shell>, year: i64) -> Result<SessionView, CommandError> {
    shell.set_year(year).await
}

/// A call to the agency's routes of the server (the agency page: profile, divisions, chain,
/// years); online only, the server decides who may.
#[tauri::command]
pub async fn agency_call(
    shell: State<'_, Shell>,
    method: String,
    path: String,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, CommandError> {
    shell.agency_call(&method, &path, body).await
}

/// The notifications this person marked read: the device's marks, merged with the server's
/// when it answers within a few seconds (marks made offline are sent to it then).
#[tauri::command]
pub async fn notifications_read(shell: State<'_, Shell>) -> Result<NotificationsRead, CommandError> {
    shell.notifications_read().await
}

/// Marks notifications read: kept on the device at once (offline too), sent to the server when
/// it answers.
#[tauri::command]
pub async fn mark_notifications_read(
    shell: State<'_, Shell>,
    ids: Vec<String>,
) -> Result<NotificationsRead, CommandError> {
    shell.mark_notifications_read(ids).await
}

/// A file from the agency page: the emblem, a plan to import, or a plan to start a year from.
#[tauri::command]
pub async fn upload(
    shell: State<'_, Shell>,
    request: tauri::ipc::Request<'_>,
) -> Result<serde_json::Value, CommandError> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::BadRequest("send the file as raw bytes".into()));
    };
    let upload = request
        .headers()
        .get("x-upload")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| percent_encoding::percent_decode_str(v).decode_utf8().ok())
        .and_then(|v| serde_json::from_str::<Upload>(&v).ok())
        .ok_or_else(|| CommandError::BadRequest("the x-upload header is missing or unreadable".into()))?;
    match upload {
        Upload::ImportPlan { dry_run, track } => {
            let (device, year) = shell.device_and_year().await?;
            // A track's projects are read and written in that track (its plan is every round's).
            let whole = device.agency_year(year).await?;
            let slot = prongsai_core::tracks::Slot::of(track.as_deref(), None);
            let agency_year = whole.in_slot(&slot).map_err(|_| CommandError::NotFound)?.into_owned();
            let report = prongsai_report::import::read(bytes, &agency_year)
                .map_err(|e| CommandError::Refused { kind: "import_refused", message: e.to_string() })?;
            let mut counter = 0u32;
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            let edits = prongsai_report::import::plan_edits(&agency_year, &report.measures, &mut |prefix| {
                counter += 1;
                format!("{prefix}-{stamp:x}{counter:x}")
            });
            let changes = edits.len();
            let applied = !dry_run && changes > 0;
            if applied {
                device.apply(year, Edit::in_slot(&agency_year.slot, edits)).await?;
            }
            let mut answer = serde_json::to_value(&report).unwrap_or_default();
            answer["changes"] = serde_json::json!(if dry_run { 0 } else { changes });
            answer["applied"] = serde_json::json!(applied);
            Ok(answer)
        }
        server => shell.upload_to_server(server, bytes.clone()).await,
    }
}

/// The merged picture of one track and round (the integrity measures when `track` is absent).
#[tauri::command]
pub async fn overview(
    shell: State<'_, Shell>,
    as_of: Option<String>,
    track: Option<String>,
    round: Option<String>,
) -> Result<MergedView, CommandError> {
    shell.overview(as_of.as_deref(), track.as_deref(), round.as_deref()).await
}

/// The picture of a track and round this device last showed, read without the documents: what
/// a cold start shows at once, until `overview` answers. `None` when there is none yet.
#[tauri::command]
pub async fn last_overview(
    shell: State<'_, Shell>,
    track: Option<String>,
    round: Option<String>,
) -> Result<Option<MergedView>, CommandError> {
    shell.last_overview(track.as_deref(), round.as_deref()).await
}

/// The picture of every round of every track the year runs besides the integrity measures,
/// from one reading of the device's documents (for what waits there).
#[tauri::command]
pub async fn track_overviews(shell: State<'_, Shell>, as_of: Option<String>) -> Result<Vec<MergedView>, CommandError> {
    shell.track_overviews(as_of.as_deref()).await
}

#[tauri::command]
pub async fn measure(
    shell: State<'_, Shell>,
    id: String,
    as_of: Option<String>,
    track: Option<String>,
    round: Option<String>,
) -> Result<MeasureDetail, CommandError> {
    shell.measure(&id, as_of.as_deref(), track.as_deref(), round.as_deref()).await
}

#[tauri::command]
pub async fn history(
    shell: State<'_, Shell>,
    id: String,
    track: Option<String>,
    round: Option<String>,
) -> Result<Vec<HistoryEntry>, CommandError> {
    shell.history(&id, track.as_deref(), round.as_deref()).await
}

#[tauri::command]
pub async fn activity(shell: State<'_, Shell>) -> Result<Vec<ActivityEntry>, CommandError> {
    shell.activity().await
}

/// Applies edits in one commit. With `track`, they are that track's (its plan, or its `round`'s
/// results and review): the round is resolved on this device, so a division's first edit in a
/// round starts from what it reported in the round before, offline too.
#[tauri::command]
pub async fn apply(
    shell: State<'_, Shell>,
    edits: Vec<Edit>,
    track: Option<String>,
    round: Option<String>,
) -> Result<(), CommandError> {
    shell.apply(edits, track.as_deref(), round.as_deref()).await
}

/// An evidence file, sent as the raw request body (no JSON round trip for megabytes of photo);
/// its particulars percent-encoded as JSON in the `x-evidence` header (file names are Thai).
#[tauri::command]
pub async fn add_evidence_file(shell: State<'_, Shell>, request: tauri::ipc::Request<'_>) -> Result<(), CommandError> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::BadRequest("send the file as raw bytes".into()));
    };
    let file = request
        .headers()
        .get("x-evidence")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| percent_encoding::percent_decode_str(v).decode_utf8().ok())
        .and_then(|v| serde_json::from_str::<EvidenceFile>(&v).ok())
        .ok_or_else(|| CommandError::BadRequest("the x-evidence header is missing or unreadable".into()))?;
    shell.add_evidence_file(file, bytes.clone()).await
}

/// An approver signs or returns their step of the plan or the memo; the server checks who and in
/// what order.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // a Tauri command's arguments are its JSON fields
pub async fn sign(
    shell: State<'_, Shell>,
    part: Option<Part>,
    step: String,
    decision: SignatureDecision,
    comment: String,
    date: Option<String>,
    track: Option<String>,
    round: Option<String>,
) -> Result<(), CommandError> {
    let target = prongsai_core::tracks::Target {
        slot: prongsai_core::tracks::Slot::of(track.as_deref(), round.as_deref()),
        part: part.unwrap_or_default(),
    };
    shell.sign(target, &step, prongsai_core::wire::SignRequest { decision, comment, date }).await
}

/// The memo as it will print, with its signatures and the proposals' ids for editing: the
/// integrity measures' report memo, or a track round's.
#[tauri::command]
pub async fn memo(
    shell: State<'_, Shell>,
    track: Option<String>,
    round: Option<String>,
) -> Result<MemoView, CommandError> {
    shell.memo(track.as_deref(), round.as_deref()).await
}

/// The year's whole ITAS sheet as this device's documents have it (offline too), checked against
/// the agency's site and the server this device signs in to.
#[tauri::command]
pub async fn itas_sheet(shell: State<'_, Shell>) -> Result<prongsai_core::itas::ItasSheet, CommandError> {
    shell.itas_sheet().await
}

// --- User administration (the agency's admin) and one's own password: server calls, online only.

#[tauri::command]
pub async fn users(shell: State<'_, Shell>) -> Result<Vec<UserAccount>, CommandError> {
    shell.users().await
}

/// The agency's audit log, newest first (the admin's page).
#[tauri::command]
pub async fn audit_log(shell: State<'_, Shell>, before: Option<i64>) -> Result<Vec<AuditEntry>, CommandError> {
    shell.audit_log(before).await
}

#[tauri::command]
pub async fn add_user(shell: State<'_, Shell>, user: NewUserRequest) -> Result<PasswordIssued, CommandError> {
    shell.add_user(&user).await
}

#[tauri::command]
pub async fn change_user(
    shell: State<'_, Shell>,
    username: String,
    change: UserChange,
) -> Result<UserAccount, CommandError> {
    shell.change_user(&username, &change).await
}

#[tauri::command]
pub async fn reset_password(shell: State<'_, Shell>, username: String) -> Result<PasswordIssued, CommandError> {
    shell.reset_password(&username).await
}

#[tauri::command]
pub async fn revoke_sessions(shell: State<'_, Shell>, username: String) -> Result<usize, CommandError> {
    shell.revoke_sessions(&username).await
}

#[tauri::command]
pub async fn bind_approver(
    shell: State<'_, Shell>,
    step: String,
    approver: Option<String>,
) -> Result<(), CommandError> {
    shell.bind_approver(&step, approver.as_deref()).await
}

#[tauri::command]
pub async fn change_password(shell: State<'_, Shell>, current: String, new: String) -> Result<usize, CommandError> {
    shell.change_password(&current, &new).await
}

// --- The second factor: server calls, online only.

#[tauri::command]
pub async fn second_factor(shell: State<'_, Shell>) -> Result<SecondFactorStatus, CommandError> {
    shell.second_factor().await
}

#[tauri::command]
pub async fn enroll_second_factor(shell: State<'_, Shell>) -> Result<SecondFactorEnrollment, CommandError> {
    shell.enroll_second_factor().await
}

/// Confirms enrolment; a device whose sync was refused until then connects again.
#[tauri::command]
pub async fn confirm_second_factor(shell: State<'_, Shell>, code: String) -> Result<RecoveryCodes, CommandError> {
    shell.confirm_second_factor(&code).await
}

#[tauri::command]
pub async fn disable_second_factor(
    shell: State<'_, Shell>,
    password: String,
    code: String,
) -> Result<(), CommandError> {
    shell.disable_second_factor(&password, &code).await
}

#[tauri::command]
pub async fn security(shell: State<'_, Shell>) -> Result<AgencySecurity, CommandError> {
    shell.security().await
}

#[tauri::command]
pub async fn set_security(shell: State<'_, Shell>, settings: AgencySecurity) -> Result<AgencySecurity, CommandError> {
    shell.set_security(&settings).await
}

#[tauri::command]
pub async fn reset_second_factor(shell: State<'_, Shell>, username: String) -> Result<(), CommandError> {
    shell.reset_second_factor(&username).await
}

#[tauri::command]
pub async fn sync_state(shell: State<'_, Shell>) -> Result<SyncState, CommandError> {
    Ok(shell.sync_state().await)
}

// --- Reports: rendered on this device from its own copy of the documents, offline too.

/// Where a report was written.
#[derive(serde::Serialize)]
pub struct Exported {
    path: String,
    bytes: usize,
    millis: u64,
}

/// Renders one report format and writes it: into the documents folder (Documents/Prongsai), or
/// where the person picks in a save dialog when `ask` (`None` if they cancel).
#[tauri::command]
pub async fn export_report(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    format: String,
    ask: bool,
    track: Option<String>,
    round: Option<String>,
) -> Result<Option<Exported>, CommandError> {
    let format = prongsai_report::Format::parse(&format)
        .ok_or_else(|| CommandError::BadRequest(format!("unknown report format {format:?}")))?;
    let (year, _) = shell.year_in_slot(None, track.as_deref(), round.as_deref()).await?;
    let options = prongsai_report::Options {
        emblem: crate::shell::emblem(&shell, &year.directory.agency.id).await,
        verify_base: shell.server_url().await,
    };
    let file_name = format.file_name(&year.directory.agency.id, year.fiscal_year(), year.track_items().as_ref());
    let folder = crate::shell::exports_dir(&app);
    let path = if ask {
        match crate::shell::save_dialog(&app, &folder, &file_name, format.extension()).await {
            Some(path) => path,
            None => return Ok(None),
        }
    } else {
        std::fs::create_dir_all(&folder)
            .map_err(|e| CommandError::BadRequest(format!("cannot create {}: {e}", folder.display())))?;
        folder.join(&file_name)
    };
    let started = std::time::Instant::now();
    let bytes = tokio::task::spawn_blocking(move || prongsai_report::render(&year, format, &options))
        .await
        .map_err(|e| CommandError::BadRequest(e.to_string()))?
        .map_err(|e| CommandError::BadRequest(e.to_string()))?;
    std::fs::write(&path, &bytes)
        .map_err(|e| CommandError::BadRequest(format!("cannot write {}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), format = format.name(), "exported a report");
    Ok(Some(Exported {
        path: path.display().to_string(),
        bytes: bytes.len(),
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }))
}
