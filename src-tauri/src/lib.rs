//! The field app's shell: Tauri commands over the client and core crates, and events to the
//! frontend when a document or the sync state changes. Everything here is thin; what the app
//! does lives in `prongsai-client` (syncing, storage) and `prongsai-core` (views, edits).

mod commands;
mod shell;

/// Starts the app. The window opens at once; the device opens from local storage in the
/// background and connects to the server when it can.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // Managed before the background opening starts: that task looks the shell up.
            tauri::Manager::manage(app, shell::for_app(app.handle())?);
            shell::open_in_background(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup,
            commands::login,
            commands::sign_out,
            commands::overview,
            commands::last_overview,
            commands::track_overviews,
            commands::measure,
            commands::history,
            commands::activity,
            commands::apply,
            commands::add_evidence_file,
            commands::sign,
            commands::memo,
            commands::itas_sheet,
            commands::users,
            commands::audit_log,
            commands::add_user,
            commands::change_user,
            commands::reset_password,
            commands::revoke_sessions,
            commands::bind_approver,
            commands::change_password,
            commands::second_factor,
            commands::enroll_second_factor,
            commands::confirm_second_factor,
            commands::disable_second_factor,
            commands::security,
            commands::set_security,
            commands::reset_second_factor,
            commands::sync_state,
            commands::export_report,
            commands::set_year,
            commands::agency_call,
            commands::upload,
            commands::notifications_read,
            commands::mark_notifications_read,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the app stopped with an error");
        std::process::exit(1);
    }
}
