//! Room for evidence: a per-agency quota and a free-disk floor, both checked before an upload is
//! stored. Sync writes must never fail (a failed chunk write turns storage unhealthy and closes
//! every agency's sync), so uploads, which can wait, are refused while the disk is short.

use std::path::Path;

use prongsai_core::wire::ErrorKind;

use crate::app::{App, AppError};
use crate::db::Database;

/// Free bytes for unprivileged writers on the disk holding `path`.
pub fn free_disk_bytes(path: &Path) -> std::io::Result<u64> {
    let stats = rustix::fs::statvfs(path)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// Whether `agency` may store `size` more bytes (`sha256` already stored costs nothing).
pub async fn check_upload<D: Database>(app: &App<D>, agency: &str, sha256: &str, size: u64) -> Result<(), AppError> {
    if app.db.blob_exists(agency.to_string(), sha256.to_string()).await? {
        return Ok(());
    }
    let floor = app.config.min_free_disk_bytes;
    match app.config.data_dir.as_deref().map(free_disk_bytes) {
        Some(Ok(free)) if free < floor.saturating_add(size) => {
            tracing::error!(free, floor, size, "refused an upload: the disk is nearly full");
            return Err(AppError::refused(
                ErrorKind::DiskFull,
                "the server's disk is nearly full: evidence uploads wait until an operator frees space \
                 (edits still sync)",
            ));
        }
        Some(Ok(_)) | None => {}
        Some(Err(error)) => tracing::warn!(%error, "cannot read the free disk space; not checking the floor"),
    }
    let used = app.db.blob_usage(agency.to_string()).await?;
    let quota = app.config.agency_quota_bytes;
    if used.saturating_add(size) > quota {
        tracing::warn!(%agency, used, size, quota, "refused an upload: the agency's quota is used up");
        return Err(AppError::refused(
            ErrorKind::QuotaExceeded,
            format!("the agency stores {used} of its {quota} bytes of evidence; this file does not fit"),
        ));
    }
    Ok(())
}
