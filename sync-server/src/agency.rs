//! An agency's profile (name, letterhead, divisions, approval chain), set by its admin from the
//! app or the web, and an agency made from nothing by the operator (`agency create`).
//!
//! The profile is kept in the database and written into the directory of every open year, so
//! devices read it like any other directory fact; a closed year keeps what it printed with.
//! A division added gets its results document in every open year at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prongsai_core::admin::AuditAction;
use prongsai_core::model::{DivisionId, DocKey, DocKind, ResultsDoc, Role, SCHEMA_VERSION};
use prongsai_core::profile::{AgencyProfile, ChainStep, DivisionChange, NewDivision, ProfileDetails, ProfileDivision};
use prongsai_core::wire::AgencyOverview;

use crate::api::Caller;
use crate::app::{Actor, App, AppError, now_ms};
use crate::db::Database;
use crate::provision::{self, CreatedAccount, NewAccount};
use crate::routes::{RouteTable, Scope};

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.get(Scope::Agency, "/api/agencies/{agency}/profile", get_overview::<D>)
        .put(Scope::Admin, "/api/agencies/{agency}/profile", put_details::<D>)
        .post(Scope::Admin, "/api/agencies/{agency}/divisions", post_division::<D>)
        .patch(Scope::Admin, "/api/agencies/{agency}/divisions/{division}", patch_division::<D>)
        .put(Scope::Admin, "/api/agencies/{agency}/approval-chain", put_chain::<D>);
}

async fn get_overview<D: Database>(
    State(app): State<App<D>>,
    Path(agency): Path<String>,
) -> Result<Json<AgencyOverview>, AppError> {
    Ok(Json(overview(&app, &agency).await?))
}

async fn put_details<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
    Json(details): Json<ProfileDetails>,
) -> Result<Json<AgencyProfile>, AppError> {
    Ok(Json(set_details(&app, &Actor::of(&caller), &agency, details).await?))
}

async fn post_division<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
    Json(request): Json<NewDivision>,
) -> Result<Response, AppError> {
    let division = add_division(&app, &Actor::of(&caller), &agency, &request.name).await?;
    Ok((StatusCode::CREATED, Json(division)).into_response())
}

async fn patch_division<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, division)): Path<(String, String)>,
    Json(change): Json<DivisionChange>,
) -> Result<Json<ProfileDivision>, AppError> {
    Ok(Json(change_division(&app, &Actor::of(&caller), &agency, &division, change).await?))
}

async fn put_chain<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
    Json(steps): Json<Vec<ChainStep>>,
) -> Result<Json<Vec<ChainStep>>, AppError> {
    Ok(Json(set_chain(&app, &Actor::of(&caller), &agency, steps).await?))
}

// ---------------------------------------------------------------------------------------------
// The operations, shared by the HTTP API and the command line.

/// The agency's profile: as kept, else (an agency made before profiles were kept) as its newest
/// year's directory says, else just its name.
pub async fn profile<D: Database>(app: &App<D>, agency: &str) -> Result<AgencyProfile, AppError> {
    let row = app.db.agency(agency.to_string()).await?.ok_or(AppError::NotFound)?;
    if let Some(json) = app.db.agency_profile(agency.to_string()).await? {
        match serde_json::from_str::<AgencyProfile>(&json) {
            Ok(profile) => return Ok(profile),
            Err(e) => tracing::error!(%agency, error = %e, "the stored profile is unreadable; reading the directory"),
        }
    }
    Ok(match provision::newest_directory(app, agency).await? {
        Some(directory) => AgencyProfile::from_directory(&directory),
        None => AgencyProfile::new(&row.id, &row.name),
    })
}

/// The profile, the agency's years and today's fiscal year.
pub async fn overview<D: Database>(app: &App<D>, agency: &str) -> Result<AgencyOverview, AppError> {
    Ok(AgencyOverview {
        profile: profile(app, agency).await?,
        years: crate::years::year_infos(app, agency).await?,
        current_year: crate::years::current_fiscal_year(),
    })
}

/// Stores the profile and writes it into the directory of every open year.
pub(crate) async fn save<D: Database>(app: &App<D>, agency: &str, profile: &AgencyProfile) -> Result<(), AppError> {
    let json = serde_json::to_string(profile).map_err(|e| AppError::BadRequest(e.to_string()))?;
    app.db.agency_set_profile(agency.to_string(), json).await?;
    for year in crate::years::open_years(app, agency).await? {
        let rows = app.db.documents_of(agency.to_string(), year).await?;
        let Some(directory) = rows.iter().find(|r| r.kind == DocKind::Directory) else { continue };
        let written = profile.clone();
        app.server_edit(directory, "ปรับปรุงข้อมูลหน่วยงาน", move |tx| {
            prongsai_core::docs::directory::apply_profile(tx, &written)
        })
        .await?;
    }
    Ok(())
}

/// Sets the name and letterhead.
pub async fn set_details<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    details: ProfileDetails,
) -> Result<AgencyProfile, AppError> {
    let mut profile = profile(app, agency).await?;
    let before = profile.details();
    profile.set_details(details).map_err(AppError::BadRequest)?;
    save(app, agency, &profile).await?;
    let detail = serde_json::json!({
        "before": serde_json::to_value(&before).unwrap_or_default(),
        "after": serde_json::to_value(profile.details()).unwrap_or_default(),
    });
    app.audit(agency, actor, AuditAction::ProfileChanged, agency, detail).await?;
    Ok(profile)
}

/// Adds a division; the server creates its results document in every open year.
pub async fn add_division<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    name: &str,
) -> Result<ProfileDivision, AppError> {
    let lock = app.year_lock(agency);
    let _held = lock.lock().await;
    let mut profile = profile(app, agency).await?;
    let division = profile.add_division(name).map_err(AppError::BadRequest)?;
    // The results documents first: the directory names them once they exist.
    for year in crate::years::open_years(app, agency).await? {
        add_results_document(app, agency, year, &division.id).await?;
    }
    save(app, agency, &profile).await?;
    let detail = serde_json::json!({ "name": division.name });
    app.audit(agency, actor, AuditAction::DivisionAdded, &division.id, detail).await?;
    Ok(division)
}

/// A division's results document in one year (if the year has none yet), named in its directory.
async fn add_results_document<D: Database>(
    app: &App<D>,
    agency: &str,
    year: i64,
    division: &DivisionId,
) -> Result<(), AppError> {
    let rows = app.db.documents_of(agency.to_string(), year).await?;
    if rows.iter().any(|r| r.kind == DocKind::Results && r.division.as_deref() == Some(division.as_str())) {
        return Ok(());
    }
    let Some(directory) = rows.iter().find(|r| r.kind == DocKind::Directory).cloned() else { return Ok(()) };
    let doc = ResultsDoc {
        schema: SCHEMA_VERSION,
        kind: DocKind::Results.as_str().to_string(),
        agency: agency.to_string(),
        year,
        division: division.clone(),
        results: Default::default(),
        tracks: Default::default(),
    };
    let meta = prongsai_core::CommitMeta::new("สร้างเอกสารผลการดำเนินงานของหน่วยงาน", "server", now_ms())
        .with_actor(app.write_actor.clone());
    let doc = prongsai_core::docs::create(&doc, &meta)?;
    let row = provision::create_document(app, agency, year, &DocKey::results(division), doc).await?;
    provision::register(app, vec![row.clone()]).await?;
    let (division, url) = (division.clone(), format!("automerge:{}", row.doc_id));
    app.server_edit(&directory, "เพิ่มหน่วยงาน", move |tx| {
        prongsai_core::docs::directory::set_results_url(tx, &division, &url)
    })
    .await?;
    tracing::info!(%agency, year, division = %row.division.as_deref().unwrap_or_default(), "added a results document");
    Ok(())
}

/// Renames (the old name kept as an alias) or retires/restores a division.
pub async fn change_division<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    id: &str,
    change: DivisionChange,
) -> Result<ProfileDivision, AppError> {
    let mut profile = profile(app, agency).await?;
    if !profile.divisions.iter().any(|d| d.id == id) {
        return Err(AppError::NotFound);
    }
    let division = profile.change_division(id, &change).map_err(AppError::BadRequest)?;
    save(app, agency, &profile).await?;
    let detail = serde_json::to_value(&change).unwrap_or_default();
    app.audit(agency, actor, AuditAction::DivisionChanged, id, detail).await?;
    Ok(division)
}

/// Replaces the approval chain (1 to 5 steps); each bound approver must be an enabled approver
/// of the agency.
pub async fn set_chain<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    steps: Vec<ChainStep>,
) -> Result<Vec<ChainStep>, AppError> {
    for username in steps.iter().filter_map(|s| s.approver.as_deref()).filter(|a| !a.trim().is_empty()) {
        let approver = match app.db.user_by_username(username.to_string()).await? {
            Some(user) if user.agency_id == agency => user,
            _ => return Err(AppError::BadRequest(format!("{username:?} is not a user of this agency"))),
        };
        if approver.disabled || !approver.roles.contains(&Role::Approver) {
            return Err(AppError::BadRequest(format!("{username:?} is not an enabled approver")));
        }
    }
    let mut profile = profile(app, agency).await?;
    profile.set_chain(steps).map_err(AppError::BadRequest)?;
    save(app, agency, &profile).await?;
    let detail = serde_json::to_value(&profile.approval_chain).unwrap_or_default();
    app.audit(agency, actor, AuditAction::ChainChanged, "approval_chain", detail).await?;
    Ok(profile.approval_chain)
}

/// An empty agency and its first admin, with a generated password unless one is given: what an
/// agency needs to set up everything else from the app or the web.
pub async fn create_agency<D: Database>(
    app: &App<D>,
    actor: &Actor,
    id: &str,
    name: &str,
    admin_password: Option<String>,
) -> Result<CreatedAccount, AppError> {
    provision::validate_username(id)?;
    if id.len() > 32 {
        return Err(AppError::BadRequest("an agency id is at most 32 characters".into()));
    }
    if name.trim().is_empty() {
        return Err(AppError::BadRequest("an agency needs a name".into()));
    }
    if app.db.agency(id.to_string()).await?.is_some() {
        return Err(AppError::Conflict(
            prongsai_core::wire::ErrorKind::AlreadyExists,
            format!("the agency {id:?} exists already"),
        ));
    }
    let profile = AgencyProfile::new(id, name);
    profile.clone().set_details(profile.details()).map_err(AppError::BadRequest)?;
    provision::ensure_agency(app, id, name.trim()).await?;
    let json = serde_json::to_string(&profile).map_err(|e| AppError::BadRequest(e.to_string()))?;
    app.db.agency_set_profile(id.to_string(), json).await?;
    app.audit(id, actor, AuditAction::AgencyCreated, id, serde_json::json!({ "name": name.trim() })).await?;
    let username = format!("{id}-admin");
    let password = admin_password.unwrap_or_else(crate::auth::generate_password);
    provision::create_user(
        app,
        NewAccount {
            agency_id: id,
            username: &username,
            display_name: "ผู้ดูแลระบบ",
            position: "ผู้ดูแลระบบ",
            division: None,
            roles: vec![Role::Admin],
            password: &password,
        },
    )
    .await?;
    let detail = serde_json::json!({ "roles": ["admin"], "password": "generated at creation" });
    app.audit(id, actor, AuditAction::UserAdded, &username, detail).await?;
    Ok(CreatedAccount { username, password, role: Role::Admin.as_str().to_string(), division: None })
}
