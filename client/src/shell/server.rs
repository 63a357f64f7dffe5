//! The calls a device makes to the server for its page, through its own session: the agency's
//! routes (profile, divisions, chain, years), user administration, one's own password and second
//! factor, the agency's security, and files sent to the server. Online only; the server decides
//! who may. One body each for the app's commands and the browser's Worker.

use prongsai_core::admin::{
    AgencySecurity, AuditEntry, NewUserRequest, PasswordIssued, RecoveryCodes, SecondFactorEnrollment,
    SecondFactorStatus, UserAccount, UserChange,
};
use prongsai_core::tracks::{Slot, Target};

use super::{CommandError, Shell};
use crate::{Device, DeviceError};

pub use prongsai_core::wire::Upload;

impl Shell {
    async fn agency_device(&self) -> Result<(Device, String), CommandError> {
        let device = self.signed_in().await?;
        let agency = device.session().agency_id.clone();
        Ok((device, agency))
    }

    /// A call to the agency's routes of the server (the agency page: profile, divisions, chain,
    /// years).
    pub async fn agency_call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().agency_call(&agency, method, path, body).await.map_err(DeviceError::from)?)
    }

    /// A file for the server: the emblem, a scan, or a plan to start a year from. A plan to import
    /// into the open year is read on the device (`Upload::ImportPlan`), not here.
    pub async fn upload_to_server(&self, upload: Upload, bytes: Vec<u8>) -> Result<serde_json::Value, CommandError> {
        let (device, agency) = self.agency_device().await?;
        match upload {
            Upload::Emblem { media_type } => {
                device.api().set_emblem(&agency, &media_type, bytes).await.map_err(DeviceError::from)?;
                Ok(serde_json::Value::Null)
            }
            Upload::Scan { year, part, track, round } => {
                let target = Target { slot: Slot::of(track.as_deref(), round.as_deref()), part };
                Ok(device.api().attach_scan_to(&agency, year, &target, bytes).await.map_err(DeviceError::from)?)
            }
            Upload::StartYear { year } => {
                let answer =
                    device.api().start_year_from_file(&agency, year, bytes).await.map_err(DeviceError::from)?;
                device.refresh_years().await?;
                Ok(answer)
            }
            Upload::ImportPlan { .. } => Err(CommandError::Refused {
                kind: "desktop_only",
                message: "a plan file is read by the desktop app".into(),
            }),
        }
    }

    /// A report of the open year as the server renders it (a browser cannot render one itself):
    /// `format` a report format's name, seen from `track` and `round`.
    pub async fn report_file(
        &self,
        format: &str,
        track: Option<&str>,
        round: Option<&str>,
    ) -> Result<crate::api::ReportFile, CommandError> {
        let (device, year) = self.device_and_year().await?;
        let agency = device.session().agency_id.clone();
        let slot = Slot::of(track, round);
        Ok(device.api().report(&agency, year, format, &slot).await.map_err(DeviceError::from)?)
    }

    pub async fn users(&self) -> Result<Vec<UserAccount>, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().users(&agency).await.map_err(DeviceError::from)?)
    }

    /// The agency's audit log, newest first; `before` pages back from an entry's id.
    pub async fn audit_log(&self, before: Option<i64>) -> Result<Vec<AuditEntry>, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().audit_log(&agency, before).await.map_err(DeviceError::from)?)
    }

    pub async fn add_user(&self, user: &NewUserRequest) -> Result<PasswordIssued, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().add_user(&agency, user).await.map_err(DeviceError::from)?)
    }

    pub async fn change_user(&self, username: &str, change: &UserChange) -> Result<UserAccount, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().change_user(&agency, username, change).await.map_err(DeviceError::from)?)
    }

    pub async fn reset_password(&self, username: &str) -> Result<PasswordIssued, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().reset_password(&agency, username, None).await.map_err(DeviceError::from)?)
    }

    /// Signs a user out on every device; answers how many sessions were live.
    pub async fn revoke_sessions(&self, username: &str) -> Result<usize, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().revoke_sessions(&agency, username).await.map_err(DeviceError::from)?)
    }

    /// Binds the user who signs one step of the open year's approval chain.
    pub async fn bind_approver(&self, step: &str, approver: Option<&str>) -> Result<(), CommandError> {
        let (device, year) = self.device_and_year().await?;
        let agency = device.session().agency_id.clone();
        Ok(device.api().bind_approver(&agency, year, step, approver).await.map_err(DeviceError::from)?)
    }

    /// Changes the signed-in person's own password; their other sessions are signed out.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<usize, CommandError> {
        let device = self.signed_in().await?;
        Ok(device.api().change_password(current, new).await.map_err(DeviceError::from)?)
    }

    pub async fn second_factor(&self) -> Result<SecondFactorStatus, CommandError> {
        let device = self.signed_in().await?;
        Ok(device.api().second_factor().await.map_err(DeviceError::from)?)
    }

    pub async fn enroll_second_factor(&self) -> Result<SecondFactorEnrollment, CommandError> {
        let device = self.signed_in().await?;
        Ok(device.api().enroll_second_factor().await.map_err(DeviceError::from)?)
    }

    /// Confirms enrolment; a device whose sync was refused until then connects again.
    pub async fn confirm_second_factor(&self, code: &str) -> Result<RecoveryCodes, CommandError> {
        let device = self.signed_in().await?;
        let codes = device.api().confirm_second_factor(code).await.map_err(DeviceError::from)?;
        // Syncing starts now (or starts again with the session's full rights).
        device.disconnect();
        device.connect()?;
        Ok(codes)
    }

    pub async fn disable_second_factor(&self, password: &str, code: &str) -> Result<(), CommandError> {
        let device = self.signed_in().await?;
        Ok(device.api().disable_second_factor(password, code).await.map_err(DeviceError::from)?)
    }

    pub async fn security(&self) -> Result<AgencySecurity, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().security(&agency).await.map_err(DeviceError::from)?)
    }

    pub async fn set_security(&self, settings: &AgencySecurity) -> Result<AgencySecurity, CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().set_security(&agency, settings).await.map_err(DeviceError::from)?)
    }

    pub async fn reset_second_factor(&self, username: &str) -> Result<(), CommandError> {
        let (device, agency) = self.agency_device().await?;
        Ok(device.api().reset_second_factor(&agency, username).await.map_err(DeviceError::from)?)
    }
}
