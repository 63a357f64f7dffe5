//! The second factor: a code from an authenticator app (TOTP, core's `totp`), enrolled with a QR
//! code on the password page of the app or the web, with recovery codes shown once. An agency's
//! admin can require it of admins and approvers (the people whose actions sign and administer);
//! until such a user enrols, their session reaches only their own account's routes
//! ([`ENROLLMENT_ROUTES`]). A lost phone is the admin's to reset; a forgotten password too
//! (`admin::reset_password`, a new password shown once for the admin to hand over), never by mail.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use prongsai_core::admin::{
    AgencySecurity, AuditAction, RecoveryCodes, SecondFactorCode, SecondFactorDisable, SecondFactorEnrollment,
    SecondFactorStatus,
};
use prongsai_core::model::Role;
use prongsai_core::totp;
use prongsai_core::wire::ErrorKind;
use rand::Rng;

use crate::admin::UserPath;
use crate::api::Caller;
use crate::app::{Actor, App, AppError, now_ms};
use crate::db::{Database, UserRow};
use crate::routes::{RouteTable, Scope};

/// The routes a session whose user must enrol may still call: their own account, and who they
/// are in which years (so the page can open on setting it up).
pub const ENROLLMENT_ROUTES: [&str; 8] = [
    "/api/agencies/{agency}/years",
    "/api/agencies/{agency}/years/{year}/session",
    "/api/me",
    "/api/logout",
    "/api/me/password",
    "/api/me/second-factor",
    "/api/me/second-factor/enroll",
    "/api/me/second-factor/confirm",
];

/// What an authenticator app shows the account as.
const ISSUER: &str = "Prongsai";

/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.get(Scope::Session, "/api/me/second-factor", status::<D>)
        .post(Scope::Session, "/api/me/second-factor/enroll", enroll::<D>)
        .post(Scope::Session, "/api/me/second-factor/confirm", confirm::<D>)
        .post(Scope::Session, "/api/me/second-factor/disable", disable::<D>)
        .get(Scope::Admin, "/api/agencies/{agency}/security", get_security::<D>)
        .put(Scope::Admin, "/api/agencies/{agency}/security", set_security::<D>)
        .post(Scope::Admin, "/api/agencies/{agency}/users/{username}/second-factor/reset", reset::<D>);
}

fn security_key(agency: &str) -> String {
    format!("security/{agency}")
}

/// The agency's security settings (read through the app's cache: asked on every request).
pub async fn security<D: Database>(app: &App<D>, agency: &str) -> Result<AgencySecurity, AppError> {
    if let Some(known) = app.cached_security(agency) {
        return Ok(known);
    }
    let settings = app
        .db
        .setting(security_key(agency))
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    app.cache_security(agency, settings);
    Ok(settings)
}

/// Whether the agency requires a second factor of this user.
pub async fn required<D: Database>(app: &App<D>, user: &UserRow) -> Result<bool, AppError> {
    let signs_or_administers = user.roles.iter().any(|r| matches!(r, Role::Admin | Role::Approver));
    Ok(signs_or_administers && security(app, &user.agency_id).await?.second_factor_required)
}

/// Required of this user, and they have none yet.
pub async fn must_enroll<D: Database>(app: &App<D>, user: &UserRow) -> Result<bool, AppError> {
    Ok(!user.second_factor && required(app, user).await?)
}

/// Checks a code typed at login (or to turn the factor off): a current code from the app, used
/// once, or an unused recovery code. `Ok(false)`: wrong or used.
pub async fn accept_code<D: Database>(app: &App<D>, user: &UserRow, code: &str) -> Result<bool, AppError> {
    let row = app.db.user_totp(user.id).await?;
    let Some(secret) = row.secret else { return Ok(false) };
    let now = u64::try_from(now_ms() / 1000).unwrap_or(0);
    if let Some(step) = totp::verify(&secret, now, code, row.last_step) {
        // Recorded atomically: two logins racing with one code, only one gets in.
        return Ok(app.db.user_totp_use_step(user.id, step).await?);
    }
    Ok(app.db.user_recovery_code_use(user.id, recovery_hash(code)).await?)
}

/// Recovery codes are read off paper: 8 letters and digits without look-alikes, in two groups.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: String = (0..8).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// What is stored of a recovery code: the SHA-256 of its letters, case and dashes aside.
fn recovery_hash(code: &str) -> String {
    let normalized: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    prongsai_core::hash::sha256_hex(normalized.as_bytes())
}

fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build())
}

async fn status<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
) -> Result<Json<SecondFactorStatus>, AppError> {
    let row = app.db.user_totp(caller.user.id).await?;
    Ok(Json(SecondFactorStatus {
        enrolled: row.secret.is_some(),
        required: required(&app, &caller.user).await?,
        recovery_codes_left: row.recovery_codes_left,
    }))
}

/// A fresh secret, kept pending until a code from it is typed back.
async fn enroll<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
) -> Result<Json<SecondFactorEnrollment>, AppError> {
    if caller.user.second_factor {
        return Err(AppError::Conflict(
            ErrorKind::AlreadyExists,
            "a second factor is set up already; turn it off first to set up another phone".into(),
        ));
    }
    let secret: [u8; totp::SECRET_BYTES] = rand::rng().random();
    app.db.user_totp_pending(caller.user.id, Some(secret.to_vec())).await?;
    let uri = totp::otpauth_uri(&secret, &format!("{ISSUER} {}", caller.user.agency_id), &caller.user.username);
    let text = totp::encode_secret(&secret);
    let grouped = text.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>();
    Ok(Json(SecondFactorEnrollment { secret: grouped.join(" "), qr_svg: qr_svg(&uri)?, uri }))
}

/// A code from the pending secret turns it on, and answers the recovery codes (shown once).
async fn confirm<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Json(request): Json<SecondFactorCode>,
) -> Result<Json<RecoveryCodes>, AppError> {
    let row = app.db.user_totp(caller.user.id).await?;
    let Some(pending) = row.pending else {
        return Err(AppError::BadRequest("start setting up first: no code is awaited".into()));
    };
    let now = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let Some(step) = totp::verify(&pending, now, &request.code, None) else {
        return Err(AppError::refused(ErrorKind::SecondFactorWrong, "the code does not match: check the phone's time"));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    if !app.db.user_totp_enable(caller.user.id, step, hashes).await? {
        return Err(AppError::BadRequest("start setting up first: no code is awaited".into()));
    }
    app.access.invalidate();
    app.audit(
        &caller.user.agency_id,
        &Actor::of(&caller),
        AuditAction::SecondFactorEnrolled,
        &caller.user.username,
        serde_json::json!({ "recovery_codes": RECOVERY_CODES }),
    )
    .await?;
    tracing::info!(user = %caller.user.username, "enrolled a second factor");
    Ok(Json(RecoveryCodes { codes }))
}

/// Turns one's own second factor off, with the password and a current code; refused while the
/// agency requires it of them.
async fn disable<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<SecondFactorDisable>,
) -> Result<StatusCode, AppError> {
    if required(&app, &caller.user).await? {
        return Err(AppError::Forbidden("the agency requires a second factor of you".into()));
    }
    let address = crate::api::client_address(peer.ip(), &headers, &app.config.trusted_proxies);
    let stored = Some(caller.user.password_hash.clone());
    let password_ok =
        crate::api::check_password_limited(&app, &caller.user.username, address, request.password, stored).await?;
    if !password_ok {
        return Err(AppError::Forbidden("the password is wrong".into()));
    }
    if !accept_code(&app, &caller.user, &request.code).await? {
        return Err(AppError::refused(ErrorKind::SecondFactorWrong, "the code is wrong or was used already"));
    }
    app.db.user_totp_clear(caller.user.id).await?;
    app.access.invalidate();
    app.audit(
        &caller.user.agency_id,
        &Actor::of(&caller),
        AuditAction::SecondFactorDisabled,
        &caller.user.username,
        serde_json::Value::Null,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_security<D: Database>(
    State(app): State<App<D>>,
    Path(agency): Path<String>,
) -> Result<Json<AgencySecurity>, AppError> {
    Ok(Json(security(&app, &agency).await?))
}

/// (admin) Requires a second factor of admins and approvers, or no longer. An admin who requires
/// it without having one is told to enrol at once, like everyone else it concerns.
async fn set_security<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
    Json(settings): Json<AgencySecurity>,
) -> Result<Json<AgencySecurity>, AppError> {
    let before = security(&app, &agency).await?;
    app.db.set_setting(security_key(&agency), serde_json::to_string(&settings).unwrap_or_default()).await?;
    app.cache_security(&agency, settings);
    crate::bump_access_epoch(&app.db).await?;
    app.audit(
        &agency,
        &Actor::of(&caller),
        AuditAction::SecurityChanged,
        "security",
        serde_json::json!({ "before": before, "after": settings }),
    )
    .await?;
    Ok(Json(settings))
}

/// (admin) Clears a user's second factor (a lost phone): they sign in with their password and
/// enrol again; every session of theirs is signed out.
async fn reset<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(UserPath { agency, username }): Path<UserPath>,
) -> Result<StatusCode, AppError> {
    let user = match app.db.user_by_username(username.clone()).await? {
        Some(user) if user.agency_id == agency => user,
        _ => return Err(AppError::NotFound),
    };
    app.db.user_totp_clear(user.id).await?;
    let revoked = app.revoke_user(user.id).await?;
    crate::bump_access_epoch(&app.db).await?;
    app.audit(
        &agency,
        &Actor::of(&caller),
        AuditAction::SecondFactorReset,
        &username,
        serde_json::json!({ "connections_closed": revoked }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_read_off_paper() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        // Typed back in lower case, without the dash: the same code.
        assert_eq!(recovery_hash(&code), recovery_hash(&code.to_lowercase().replace('-', "")));
        assert_ne!(recovery_hash(&code), recovery_hash(&new_recovery_code()));
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg("otpauth://totp/Prongsai:admin?secret=ABC").expect("renders");
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{}", &svg[..60.min(svg.len())]);
    }
}
