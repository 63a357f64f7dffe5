//! User administration as data: the shapes the server's admin API answers and accepts, shared by
//! the client, the app and the web dashboard. An agency's admin manages its users from the app or
//! the web (an อบต. has no one at a command line); every user changes their own password.

use crate::model::Role;

/// A user as the admin sees them. No secrets.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserAccount {
    pub username: String,
    pub display_name: String,
    pub position: String,
    pub division: Option<String>,
    pub roles: Vec<Role>,
    pub disabled: bool,
    /// Sessions that are neither revoked nor expired.
    #[serde(default)]
    pub active_sessions: usize,
    /// Approval steps this user is bound to, in every year of the agency.
    #[serde(default)]
    pub approval_steps: Vec<String>,
    /// They sign in with a second factor.
    #[serde(default)]
    pub second_factor: bool,
}

/// A user to add. Without a password the server generates one and answers it once.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub division: Option<String>,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub password: Option<String>,
}

/// A change to a user; absent fields stay as they are. `division: null` clears the division.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub division: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// What adding a user or resetting a password answers: the password, when the server made it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordIssued {
    pub user: UserAccount,
    /// Shown once to the admin to pass on; never stored in clear.
    pub password: Option<String>,
    /// Sessions revoked by the change (a reset signs the user out everywhere).
    #[serde(default)]
    pub sessions_revoked: usize,
}

/// A user changing their own password.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangePasswordRequest {
    pub current: String,
    pub new: String,
}

/// Binding an approval step to the user who signs it (`None` leaves the step without one).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BindApproverRequest {
    pub approver: Option<String>,
}

/// A person's second factor as the password page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecondFactorStatus {
    /// They sign in with a code from an authenticator app.
    pub enrolled: bool,
    /// Their agency requires it of them (admins and approvers, when the admin says so).
    pub required: bool,
    pub recovery_codes_left: usize,
}

/// What enrolling shows once: the secret as a QR code (SVG) and as text to type.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecondFactorEnrollment {
    /// Base32, grouped for reading aloud.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
    /// The QR code, an SVG image.
    pub qr_svg: String,
}

/// A code from the authenticator app (or, where it says so, a recovery code).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecondFactorCode {
    pub code: String,
}

/// Turning one's own second factor off: the password and a current code.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecondFactorDisable {
    pub password: String,
    pub code: String,
}

/// Recovery codes, shown once when the second factor is confirmed: each signs in once without
/// the app.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

/// The agency's security settings (its admin sets them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgencySecurity {
    /// Admins and approvers must sign in with a second factor.
    #[serde(default)]
    pub second_factor_required: bool,
}

/// One administrative or operator action, as the agency's audit log keeps it (append-only).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Increasing: the log's order.
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// Who did it: a username, or `operator` for the server's command line.
    pub actor: String,
    /// From which session: its peer id, or `command line`.
    pub session: String,
    pub action: AuditAction,
    /// What it was done to (a username, a step, a year, a file).
    pub target: String,
    /// What changed, as data (never a password or a token).
    #[serde(default)]
    pub detail: serde_json::Value,
}

/// What kind of action an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    UserAdded,
    UserChanged,
    UserDisabled,
    UserEnabled,
    PasswordReset,
    PasswordChanged,
    SessionsRevoked,
    ApproverBound,
    EmblemSet,
    PlanImported,
    ReportPublished,
    YearCreated,
    YearClosed,
    YearReopened,
    AgencyCreated,
    SecondFactorEnrolled,
    SecondFactorDisabled,
    SecondFactorReset,
    SecurityChanged,
    ProfileChanged,
    DivisionAdded,
    DivisionChanged,
    ChainChanged,
    ItaResultEntered,
    ScanAttached,
    PlanPublished,
    PlanWaiverRecorded,
    TrackAdded,
    RoundCutoffSet,
    /// An action this build does not know (written by a newer server).
    #[serde(other)]
    Other,
}

impl AuditAction {
    /// The action as the admin reads it (Thai, English).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            AuditAction::UserAdded => ("เพิ่มผู้ใช้", "user added"),
            AuditAction::UserChanged => ("แก้ไขผู้ใช้", "user changed"),
            AuditAction::UserDisabled => ("ระงับผู้ใช้", "user disabled"),
            AuditAction::UserEnabled => ("เปิดใช้ผู้ใช้อีกครั้ง", "user enabled"),
            AuditAction::PasswordReset => ("ตั้งรหัสผ่านใหม่ให้ผู้ใช้", "password reset"),
            AuditAction::PasswordChanged => ("เปลี่ยนรหัสผ่านของตนเอง", "own password changed"),
            AuditAction::SessionsRevoked => ("ออกจากระบบทุกเครื่อง", "sessions revoked"),
            AuditAction::ApproverBound => ("กำหนดผู้ลงนาม", "approver bound"),
            AuditAction::EmblemSet => ("เปลี่ยนตราสัญลักษณ์", "emblem set"),
            AuditAction::PlanImported => ("นำเข้าแผนจากไฟล์", "plan imported"),
            AuditAction::ReportPublished => ("เผยแพร่รายงาน", "report published"),
            AuditAction::YearCreated => ("สร้างปีงบประมาณ", "year created"),
            AuditAction::YearClosed => ("ปิดปีงบประมาณ", "year closed"),
            AuditAction::YearReopened => ("เปิดปีงบประมาณอีกครั้ง", "year reopened"),
            AuditAction::AgencyCreated => ("สร้างหน่วยงาน", "agency created"),
            AuditAction::SecondFactorEnrolled => ("เปิดใช้การยืนยันตัวตนสองขั้นตอน", "second factor enrolled"),
            AuditAction::SecondFactorDisabled => ("ปิดการยืนยันตัวตนสองขั้นตอน", "second factor turned off"),
            AuditAction::SecondFactorReset => ("ล้างการยืนยันตัวตนสองขั้นตอนของผู้ใช้", "second factor reset"),
            AuditAction::SecurityChanged => ("เปลี่ยนการตั้งค่าความปลอดภัย", "security settings changed"),
            AuditAction::ProfileChanged => ("แก้ไขข้อมูลหน่วยงาน", "agency profile changed"),
            AuditAction::DivisionAdded => ("เพิ่มกอง/ฝ่าย", "division added"),
            AuditAction::DivisionChanged => ("แก้ไขกอง/ฝ่าย", "division changed"),
            AuditAction::ChainChanged => ("แก้ไขสายการลงนาม", "approval chain changed"),
            AuditAction::ItaResultEntered => ("บันทึกผลการประเมิน ITA", "ITA result entered"),
            AuditAction::ScanAttached => ("แนบสำเนาบันทึกที่ลงนามแล้ว", "signed scan attached"),
            AuditAction::PlanPublished => ("เผยแพร่แผน", "plan published"),
            AuditAction::TrackAdded => ("เพิ่มแผนงานของปี", "track added"),
            AuditAction::RoundCutoffSet => ("กำหนดวันตัดยอดข้อมูลของรอบรายงาน", "a report round's cut-off set"),
            AuditAction::PlanWaiverRecorded => {
                ("บันทึกเหตุผลที่เผยแพร่รายงานก่อนแผน", "reason recorded for publishing the report before its plan")
            }
            AuditAction::Other => ("รายการอื่น", "other action"),
        }
    }
}

/// The roles an admin may grant, in the order the pages list them.
pub const ROLES: [Role; 6] =
    [Role::Staff, Role::DivisionHead, Role::Coordinator, Role::Approver, Role::Viewer, Role::Admin];

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Why a requested user is not acceptable, checked the same way on the page and on the server.
pub fn check_user(username: &str, display_name: &str, roles: &[Role], division: Option<&str>) -> Result<(), String> {
    check_username(username)?;
    if display_name.trim().is_empty() {
        return Err("a user needs a name".into());
    }
    check_roles(roles, division)
}

/// Usernames are ASCII letters, digits, '.', '_' and '-', 2–40 characters.
pub fn check_username(username: &str) -> Result<(), String> {
    let ok = (2..=40).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err("a username is 2-40 letters, digits, '.', '_' or '-'".into()) }
}

/// At least one known role; staff and division heads need a division.
pub fn check_roles(roles: &[Role], division: Option<&str>) -> Result<(), String> {
    if roles.is_empty() {
        return Err("a user needs at least one role".into());
    }
    if let Some(Role::Other(unknown)) = roles.iter().find(|r| matches!(r, Role::Other(_))) {
        return Err(format!("unknown role {unknown:?}"));
    }
    let needs_division = roles.iter().any(|r| matches!(r, Role::Staff | Role::DivisionHead));
    if needs_division && division.is_none_or(|d| d.trim().is_empty()) {
        return Err("staff and division heads need a division".into());
    }
    Ok(())
}

/// Why a new password is not acceptable.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("a password needs at least {MIN_PASSWORD_CHARS} characters"));
    }
    Ok(())
}

/// `Option<Option<T>>` where an explicit `null` means "clear" and absence means "keep".
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(value: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_division_clears_and_an_absent_one_keeps() {
        let clear: UserChange = serde_json::from_str(r#"{"division": null}"#).expect("json");
        assert_eq!(clear.division, Some(None));
        let keep: UserChange = serde_json::from_str(r#"{"roles": ["staff"]}"#).expect("json");
        assert_eq!(keep.division, None);
        let set: UserChange = serde_json::from_str(r#"{"division": "kong-chang"}"#).expect("json");
        assert_eq!(set.division, Some(Some("kong-chang".into())));
        let round: UserChange = serde_json::from_str(&serde_json::to_string(&clear).expect("json")).expect("json");
        assert_eq!(round, clear);
    }

    #[test]
    fn staff_need_a_division_and_roles_must_be_known() {
        assert!(check_user("som", "สมชาย", &[Role::Staff], Some("palad")).is_ok());
        assert!(check_user("som", "สมชาย", &[Role::Staff], None).is_err());
        assert!(check_user("som", "สมชาย", &[Role::Approver], None).is_ok());
        assert!(check_user("som", "สมชาย", &[Role::parse("root")], None).is_err());
        assert!(check_user("som", "สมชาย", &[], None).is_err());
        assert!(check_user("ส", "สมชาย", &[Role::Viewer], None).is_err());
        assert!(check_user("som", "  ", &[Role::Viewer], None).is_err());
        assert!(check_password("1234567").is_err());
        assert!(check_password("๑๒๓๔๕๖๗๘").is_ok());
    }
}
