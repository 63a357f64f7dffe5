//! User administration: what an agency's admin does from the app or the web (and the operator
//! from the command line, through the same functions), and a user changing their own password.
//!
//! Every change takes effect on live connections at once: access decisions are recomputed (a
//! moved user writes their new division, not the old one), a disabled user's connections close,
//! and the directory's public facts about the user follow, so names in history stay right.
//!
//! Who may call these is decided by the route table ([`crate::routes`]): the agency's admin for
//! the agency's users, any session for its own password.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use prongsai_core::admin::{
    self, AuditAction, AuditEntry, BindApproverRequest, ChangePasswordRequest, NewUserRequest, PasswordIssued,
    UserAccount, UserChange,
};
use prongsai_core::model::{DirectoryDoc, DocKind, Role, UserInfo};
use prongsai_core::wire::{ErrorKind, SessionsRevoked};

use crate::api::Caller;
use crate::app::{Actor, App, AppError, Auth, now_ms};
use crate::auth;
use crate::db::{Database, UserRow, UserUpdate};
use crate::provision::{self, NewAccount};
use crate::routes::{RouteTable, Scope};

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.get(Scope::Admin, "/api/agencies/{agency}/users", list::<D>)
        .post(Scope::Admin, "/api/agencies/{agency}/users", add::<D>)
        .patch(Scope::Admin, "/api/agencies/{agency}/users/{username}", change::<D>)
        .post(Scope::Admin, "/api/agencies/{agency}/users/{username}/password", reset::<D>)
        .post(Scope::Admin, "/api/agencies/{agency}/users/{username}/revoke", revoke::<D>)
        .put(Scope::Admin, "/api/agencies/{agency}/years/{year}/approvals/{step}/approver", bind::<D>)
        .get(Scope::Admin, "/api/agencies/{agency}/audit", audit_log::<D>)
        .post(Scope::Session, "/api/me/password", change_own_password::<D>);
}

#[derive(serde::Deserialize)]
struct AuditQuery {
    /// Entries older than this id (paging back).
    before: Option<i64>,
    limit: Option<usize>,
}

/// The most audit entries one request returns.
pub const AUDIT_PAGE: usize = 200;

/// (admin) The agency's audit log, newest first.
async fn audit_log<D: Database>(
    State(app): State<App<D>>,
    Path(agency): Path<String>,
    axum::extract::Query(query): axum::extract::Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    let limit = query.limit.unwrap_or(AUDIT_PAGE).clamp(1, AUDIT_PAGE);
    Ok(Json(app.db.audit_list(agency, query.before, limit).await?))
}

/// The `{agency}` and `{username}` of a user route.
#[derive(serde::Deserialize)]
pub(crate) struct UserPath {
    pub agency: String,
    pub username: String,
}

/// The `{agency}`, `{year}` and `{step}` of an approval step's route.
#[derive(serde::Deserialize)]
struct StepPath {
    agency: String,
    year: i64,
    step: String,
}

async fn list<D: Database>(
    State(app): State<App<D>>,
    Path(agency): Path<String>,
) -> Result<Json<Vec<UserAccount>>, AppError> {
    Ok(Json(list_users(&app, &agency).await?))
}

async fn add<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
    Json(request): Json<NewUserRequest>,
) -> Result<Response, AppError> {
    let issued = add_user(&app, &Actor::of(&caller), &agency, request).await?;
    tracing::info!(admin = %caller.user.username, user = %issued.user.username, "added a user");
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn change<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(UserPath { agency, username }): Path<UserPath>,
    Json(request): Json<UserChange>,
) -> Result<Json<UserAccount>, AppError> {
    let user = change_user(&app, &Actor::of(&caller), &agency, &username, request).await?;
    tracing::info!(admin = %caller.user.username, user = %username, "changed a user");
    Ok(Json(user))
}

#[derive(serde::Deserialize, Default)]
struct ResetRequest {
    #[serde(default)]
    password: Option<String>,
}

async fn reset<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(UserPath { agency, username }): Path<UserPath>,
    body: axum::body::Bytes,
) -> Result<Json<PasswordIssued>, AppError> {
    let request: ResetRequest = if body.is_empty() {
        ResetRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(e.to_string()))?
    };
    let issued = reset_password(&app, &Actor::of(&caller), &agency, &username, request.password).await?;
    tracing::info!(admin = %caller.user.username, user = %username, "reset a password");
    Ok(Json(issued))
}

async fn revoke<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(UserPath { agency, username }): Path<UserPath>,
) -> Result<Json<SessionsRevoked>, AppError> {
    let revoked = revoke_sessions(&app, &Actor::of(&caller), &agency, &username).await?;
    tracing::info!(admin = %caller.user.username, user = %username, revoked, "revoked sessions");
    Ok(Json(SessionsRevoked { username: Some(username), sessions_revoked: revoked }))
}

async fn bind<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(StepPath { agency, year, step }): Path<StepPath>,
    Json(request): Json<BindApproverRequest>,
) -> Result<StatusCode, AppError> {
    bind_approver(&app, &Actor::of(&caller), &agency, year, &step, request.approver.as_deref()).await?;
    tracing::info!(admin = %caller.user.username, %step, approver = ?request.approver, "bound an approval step");
    Ok(StatusCode::NO_CONTENT)
}

async fn change_own_password<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<ChangePasswordRequest>,
) -> Result<Json<SessionsRevoked>, AppError> {
    let address = crate::api::client_address(peer.ip(), &headers, &app.config.trusted_proxies);
    let revoked = change_password(&app, &caller, address, request).await?;
    tracing::info!(user = %caller.user.username, revoked, "changed own password");
    Ok(Json(SessionsRevoked { username: None, sessions_revoked: revoked }))
}

// ---------------------------------------------------------------------------------------------
// The operations, shared by the HTTP API and the command line.

/// Every user of an agency, with their live session count and the approval steps they sign.
pub async fn list_users<D: Database>(app: &App<D>, agency: &str) -> Result<Vec<UserAccount>, AppError> {
    let directories = directories(app, agency).await?;
    let mut out = Vec::new();
    for user in app.db.users_of_agency(agency.to_string()).await? {
        out.push(account(app, &user, &directories).await?);
    }
    Ok(out)
}

/// Adds a user (with a generated password unless one is given) and names them in the directory.
pub async fn add_user<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    request: NewUserRequest,
) -> Result<PasswordIssued, AppError> {
    if app.db.agency(agency.to_string()).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let division = request.division.filter(|d| !d.trim().is_empty());
    admin::check_user(&request.username, &request.display_name, &request.roles, division.as_deref())
        .map_err(AppError::BadRequest)?;
    check_division(app, agency, division.as_deref()).await?;
    let generated = request.password.is_none();
    let password = request.password.unwrap_or_else(auth::generate_password);
    let user = provision::create_user(
        app,
        NewAccount {
            agency_id: agency,
            username: &request.username,
            display_name: request.display_name.trim(),
            position: request.position.trim(),
            division,
            roles: dedup(request.roles),
            password: &password,
        },
    )
    .await?;
    publish_user(app, &user).await?;
    let detail = serde_json::json!({
        "display_name": user.display_name, "position": user.position, "division": user.division,
        "roles": user.roles, "password": if generated { "generated" } else { "set by the admin" },
    });
    app.audit(agency, actor, AuditAction::UserAdded, &user.username, detail).await?;
    let directories = directories(app, agency).await?;
    Ok(PasswordIssued {
        user: account(app, &user, &directories).await?,
        password: generated.then_some(password),
        sessions_revoked: 0,
    })
}

/// Changes a user's name, position, division, roles or whether they are disabled. Disabling
/// closes their connections; a new division or role set applies to open connections at once.
/// The agency always keeps one enabled admin.
pub async fn change_user<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    username: &str,
    change: UserChange,
) -> Result<UserAccount, AppError> {
    let user = user_of(app, agency, username).await?;
    let division = match &change.division {
        Some(d) => d.clone().filter(|d| !d.trim().is_empty()),
        None => user.division.clone(),
    };
    let roles = change.roles.clone().map(dedup).unwrap_or_else(|| user.roles.clone());
    let display_name = change.display_name.as_deref().map(str::trim).unwrap_or(&user.display_name);
    admin::check_user(&user.username, display_name, &roles, division.as_deref()).map_err(AppError::BadRequest)?;
    if change.division.is_some() {
        check_division(app, agency, division.as_deref()).await?;
    }
    let disabled = change.disabled.unwrap_or(user.disabled);
    let stays_admin = !disabled && roles.contains(&Role::Admin);
    if user.roles.contains(&Role::Admin) && !user.disabled && !stays_admin {
        let other_admins = app
            .db
            .users_of_agency(agency.to_string())
            .await?
            .into_iter()
            .filter(|u| u.id != user.id && !u.disabled && u.roles.contains(&Role::Admin))
            .count();
        if other_admins == 0 {
            return Err(AppError::Conflict(
                ErrorKind::LastAdmin,
                "this is the agency's last admin; make someone else admin first".into(),
            ));
        }
    }
    let detail = serde_json::to_value(&change).unwrap_or_default();
    let update = UserUpdate {
        display_name: change.display_name.map(|n| n.trim().to_string()),
        position: change.position.map(|p| p.trim().to_string()),
        division: change.division.map(|_| division),
        roles: change.roles.map(|_| roles),
        disabled: change.disabled,
    };
    app.db.user_update(user.id, update).await?;
    let updated = app.db.user_by_id(user.id).await?.ok_or(AppError::NotFound)?;
    if updated.disabled && !user.disabled {
        app.revoke_user(user.id).await?;
    }
    access_changed(app).await?;
    publish_user(app, &updated).await?;
    let action = match (user.disabled, updated.disabled) {
        (false, true) => AuditAction::UserDisabled,
        (true, false) => AuditAction::UserEnabled,
        _ => AuditAction::UserChanged,
    };
    let detail = serde_json::json!({
        "change": detail,
        "before": { "division": user.division, "roles": user.roles, "disabled": user.disabled },
    });
    app.audit(agency, actor, action, &updated.username, detail).await?;
    let directories = directories(app, agency).await?;
    account(app, &updated, &directories).await
}

/// Sets a new password (generated unless given) and signs the user out everywhere.
pub async fn reset_password<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    username: &str,
    password: Option<String>,
) -> Result<PasswordIssued, AppError> {
    let user = user_of(app, agency, username).await?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(auth::generate_password);
    admin::check_password(&password).map_err(AppError::BadRequest)?;
    let hash = auth::hash_password_async(password.clone()).await.map_err(AppError::BadRequest)?;
    app.db.user_set_password(user.id, hash).await?;
    let revoked = revoke_user_sessions(app, &user).await?;
    let detail = serde_json::json!({
        "password": if generated { "generated" } else { "set by the admin" }, "sessions_revoked": revoked,
    });
    app.audit(agency, actor, AuditAction::PasswordReset, username, detail).await?;
    let directories = directories(app, agency).await?;
    Ok(PasswordIssued {
        user: account(app, &user, &directories).await?,
        password: generated.then_some(password),
        sessions_revoked: revoked,
    })
}

/// Revokes every session of a user and closes their open connections; returns how many
/// sessions were live.
pub async fn revoke_sessions<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    username: &str,
) -> Result<usize, AppError> {
    let user = user_of(app, agency, username).await?;
    let live = revoke_user_sessions(app, &user).await?;
    app.audit(agency, actor, AuditAction::SessionsRevoked, username, serde_json::json!({ "sessions_revoked": live }))
        .await?;
    Ok(live)
}

async fn revoke_user_sessions<D: Database>(app: &App<D>, user: &UserRow) -> Result<usize, AppError> {
    let live = app.db.sessions_of_user(user.id).await?.iter().filter(|s| is_live(s)).count();
    app.revoke_user(user.id).await?;
    access_changed(app).await?;
    Ok(live)
}

/// Binds (or unbinds) the user who signs one step of a year's approval chain. The user must be an
/// enabled approver of the agency.
pub async fn bind_approver<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
    step: &str,
    approver: Option<&str>,
) -> Result<(), AppError> {
    if let Some(username) = approver {
        let user = user_of(app, agency, username)
            .await
            .map_err(|_| AppError::BadRequest(format!("{username:?} is not a user of this agency")))?;
        if user.disabled || !user.roles.contains(&Role::Approver) {
            return Err(AppError::BadRequest(format!("{username:?} is not an enabled approver")));
        }
    }
    let (agency_year, rows) = app.agency_year(agency, year).await?;
    let directory = rows.iter().find(|r| r.kind == DocKind::Directory).ok_or(AppError::NotFound)?;
    crate::years::ensure_open(app, agency, year).await?;
    // One person signs one step of a chain.
    if let Some(username) = approver
        && let Some((other, _)) = agency_year
            .directory
            .approval_steps
            .iter()
            .find(|(id, s)| id.as_str() != step && s.approver.as_deref() == Some(username))
    {
        return Err(AppError::BadRequest(format!(
            "{username:?} already signs step {other:?}: one approver signs one step"
        )));
    }
    let (step_id, approver_name) = (step.to_string(), approver.map(str::to_string));
    app.server_edit_as(directory, "กำหนดผู้ลงนาม", &actor.username, move |tx, _| {
        prongsai_core::docs::directory::set_step_approver(tx, &step_id, approver_name.as_deref())
    })
    .await
    .map_err(|e| match e {
        AppError::Doc(missing @ prongsai_core::DocError::NotFound { .. }) => AppError::BadRequest(missing.to_string()),
        other => other,
    })?;
    // The binding is the chain's: the profile keeps it, and every open year signs by it.
    let mut profile = crate::agency::profile(app, agency).await?;
    if let Some(chain_step) = profile.approval_chain.iter_mut().find(|s| s.id == step) {
        chain_step.approver = approver.map(str::to_string);
        crate::agency::save(app, agency, &profile).await?;
    }
    app.audit(
        agency,
        actor,
        AuditAction::ApproverBound,
        step,
        serde_json::json!({ "year": year, "approver": approver }),
    )
    .await?;
    Ok(())
}

/// A user changes their own password: the current one must be right. Every other session of
/// theirs is signed out; this one stays. Returns how many were signed out.
pub async fn change_password<D: Database>(
    app: &App<D>,
    caller: &Auth,
    address: std::net::IpAddr,
    request: ChangePasswordRequest,
) -> Result<usize, AppError> {
    admin::check_password(&request.new).map_err(AppError::BadRequest)?;
    let stored = Some(caller.user.password_hash.clone());
    // The same guess limit as a login: a stolen session cannot try passwords freely.
    let verified =
        crate::api::check_password_limited(app, &caller.user.username, address, request.current, stored).await?;
    if !verified {
        tracing::warn!(user = %caller.user.username, "refused a password change: wrong current password");
        return Err(AppError::Forbidden("the current password is wrong".into()));
    }
    let hash = auth::hash_password_async(request.new).await.map_err(AppError::BadRequest)?;
    app.db.user_set_password(caller.user.id, hash).await?;
    let mut others = Vec::new();
    for session in app.db.sessions_of_user(caller.user.id).await? {
        if session.token_hash != caller.session.token_hash && is_live(&session) {
            app.db.session_revoke(session.token_hash.clone()).await?;
            others.push(session.peer_id);
        }
    }
    app.close_connections(caller.user.id, Some(&others));
    access_changed(app).await?;
    let detail = serde_json::json!({ "sessions_revoked": others.len() });
    app.audit(&caller.user.agency_id, &Actor::of(caller), AuditAction::PasswordChanged, &caller.user.username, detail)
        .await?;
    Ok(others.len())
}

// ---------------------------------------------------------------------------------------------

fn is_live(session: &crate::db::SessionRow) -> bool {
    !session.revoked && session.expires_at > now_ms()
}

fn dedup(roles: Vec<Role>) -> Vec<Role> {
    let mut out: Vec<Role> = Vec::new();
    for role in roles {
        if !out.contains(&role) {
            out.push(role);
        }
    }
    out
}

/// A user of this agency (another agency's user is "not found").
async fn user_of<D: Database>(app: &App<D>, agency: &str, username: &str) -> Result<UserRow, AppError> {
    match app.db.user_by_username(username.to_string()).await? {
        Some(user) if user.agency_id == agency => Ok(user),
        _ => Err(AppError::NotFound),
    }
}

/// The directories of every year of the agency, newest year first.
async fn directories<D: Database>(app: &App<D>, agency: &str) -> Result<Vec<DirectoryDoc>, AppError> {
    let mut out = Vec::new();
    let mut years = app.db.years_of(agency.to_string()).await?;
    years.sort_unstable_by(|a, b| b.cmp(a));
    for year in years {
        let rows = app.db.documents_of(agency.to_string(), year).await?;
        let Some(row) = rows.iter().find(|r| r.kind == DocKind::Directory) else { continue };
        let handle = app.handle(row).await?;
        let directory: Result<DirectoryDoc, _> =
            handle.with_document_async(|doc| prongsai_core::docs::read::<DirectoryDoc>(doc)).await?;
        out.push(directory?);
    }
    Ok(out)
}

/// A division must be one of the agency's, not retired.
async fn check_division<D: Database>(app: &App<D>, agency: &str, division: Option<&str>) -> Result<(), AppError> {
    let Some(division) = division else { return Ok(()) };
    let profile = crate::agency::profile(app, agency).await?;
    if profile.active_divisions().any(|d| d.id == division) {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!("the agency has no division {division:?} in use")))
    }
}

async fn account<D: Database>(
    app: &App<D>,
    user: &UserRow,
    directories: &[DirectoryDoc],
) -> Result<UserAccount, AppError> {
    let active_sessions = app.db.sessions_of_user(user.id).await?.iter().filter(|s| is_live(s)).count();
    let mut approval_steps: Vec<String> = Vec::new();
    for directory in directories {
        for (step, s) in &directory.approval_steps {
            if s.approver.as_deref() == Some(user.username.as_str()) && !approval_steps.contains(step) {
                approval_steps.push(step.clone());
            }
        }
    }
    Ok(UserAccount {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        position: user.position.clone(),
        division: user.division.clone(),
        roles: user.roles.clone(),
        disabled: user.disabled,
        active_sessions,
        approval_steps,
        second_factor: user.second_factor,
    })
}

/// Writes the user's public facts into the directory of each of the agency's years.
async fn publish_user<D: Database>(app: &App<D>, user: &UserRow) -> Result<(), AppError> {
    let info = UserInfo {
        display_name: user.display_name.clone(),
        position: user.position.clone(),
        division: user.division.clone(),
        roles: user.roles.clone(),
    };
    for year in app.db.years_of(user.agency_id.clone()).await? {
        let rows = app.db.documents_of(user.agency_id.clone(), year).await?;
        let Some(directory) = rows.iter().find(|r| r.kind == DocKind::Directory) else { continue };
        let (username, info) = (user.username.clone(), info.clone());
        app.server_edit(directory, "ปรับปรุงข้อมูลผู้ใช้", move |tx| {
            prongsai_core::docs::directory::set_user(tx, &username, &info)
        })
        .await?;
    }
    Ok(())
}

/// Access decisions are recomputed here and in every other server process on this data.
async fn access_changed<D: Database>(app: &App<D>) -> Result<(), AppError> {
    app.access.invalidate();
    crate::bump_access_epoch(&app.db).await?;
    Ok(())
}
