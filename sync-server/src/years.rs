//! An agency's fiscal years: starting one (blank, or from another year's plan), starting the next
//! ("เริ่มปีงบประมาณใหม่", idempotent however many ask at once), closing and reopening (the admin;
//! a closed year's documents are written by nobody), and the ITA result of a year, which the
//! next year's memo quotes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prongsai_core::admin::AuditAction;
use prongsai_core::docs::MemoField;
use prongsai_core::ita::LOCAL_FORM;
use prongsai_core::model::DocKind;
use prongsai_core::profile::{ItaResult, continue_measures};
use prongsai_core::sample::AccountRecord;
use prongsai_core::wire::{ErrorKind, StartYear, YearInfo, YearReason, YearStarted};
use serde::Deserialize;

use crate::api::Caller;
use crate::app::{Actor, App, AppError, Auth, now_ms};
use crate::db::{Database, YearRow};
use crate::routes::{RouteTable, Scope};

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.post(Scope::Agency, "/api/agencies/{agency}/years", post_start::<D>)
        .route(
            Scope::Agency,
            "POST",
            "/api/agencies/{agency}/years/{year}/from-file",
            axum::routing::post(post_from_file::<D>)
                .layer(axum::extract::DefaultBodyLimit::max(prongsai_report::import::MAX_FILE_BYTES + 64 * 1024)),
        )
        .post(Scope::Agency, "/api/agencies/{agency}/years/{year}/next", post_next::<D>)
        .post(Scope::Admin, "/api/agencies/{agency}/years/{year}/close", post_closed::<D, true>)
        .post(Scope::Admin, "/api/agencies/{agency}/years/{year}/reopen", post_closed::<D, false>)
        .put(Scope::Agency, "/api/agencies/{agency}/years/{year}/ita-result", put_ita_result::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/tracks", get_tracks::<D>)
        .post(Scope::Agency, "/api/agencies/{agency}/years/{year}/tracks", post_track::<D>)
        .put(Scope::Agency, "/api/agencies/{agency}/years/{year}/tracks/{track}/rounds/{round}", put_round::<D>);
}

/// The earliest and latest fiscal year an agency may start.
const YEARS: std::ops::RangeInclusive<i64> = 2560..=2700;

/// The fiscal year of today in Bangkok (year N starts on 1 October N−1).
pub fn current_fiscal_year() -> i64 {
    i64::from(prongsai_core::Date::from_unix_millis_bangkok(now_ms()).fiscal_year().0)
}

/// Starting years and entering ITA results is the coordinator's work (or the admin's).
fn plans_years(caller: &Auth) -> Result<(), AppError> {
    if caller.runs_the_year() {
        Ok(())
    } else {
        Err(AppError::Forbidden("only the coordinator or the admin starts a year".into()))
    }
}

async fn post_start<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
    Json(request): Json<StartYear>,
) -> Result<Response, AppError> {
    plans_years(&caller)?;
    if !start_year(&app, &Actor::of(&caller), &agency, request.year, request.from).await? {
        return Err(AppError::Conflict(ErrorKind::AlreadyExists, format!("{} has been started already", request.year)));
    }
    Ok((StatusCode::CREATED, Json(YearStarted { year: request.year })).into_response())
}

/// Starts `year` with its plan read from a file (XLSX or CSV, as the plan import reads it): the
/// file is read against the agency's divisions first, and a refused file creates nothing (422).
/// Server work, like starting a year, so a web sign-in may do it.
async fn post_from_file<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    plans_years(&caller)?;
    let actor = Actor::of(&caller);
    let profile = crate::agency::profile(&app, &agency).await?;
    let preview = profile
        .year_fixture(year, Vec::new(), profile.default_memo(year, &Default::default(), LOCAL_FORM, None), Vec::new())
        .typed_documents(now_ms())
        .map_err(|e| AppError::BadRequest(e.to_string()))?
        .into_agency_year();
    let report = match crate::reports::read_plan_file(body.to_vec(), &preview).await? {
        Ok(report) => report,
        Err(refusal) => return Ok(refusal),
    };
    if !start_year(&app, &actor, &agency, year, None).await? {
        return Err(AppError::Conflict(ErrorKind::AlreadyExists, format!("{year} has been started already")));
    }
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let plan = rows.iter().find(|r| r.kind == DocKind::Plan).ok_or(AppError::NotFound)?;
    let result = crate::reports::write_plan(&app, &actor, &agency, year, &agency_year, plan, report, false).await?;
    Ok((StatusCode::CREATED, Json(result)).into_response())
}

/// 201 when this request started year+1, 200 when it exists already (whoever started it).
async fn post_next<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    plans_years(&caller)?;
    if app.db.documents_of(agency.clone(), year).await?.is_empty() {
        return Err(AppError::NotFound);
    }
    let next = YearStarted { year: year + 1 };
    let created = start_year(&app, &Actor::of(&caller), &agency, year + 1, Some(year)).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(next)).into_response())
}

/// Closes (`CLOSED`) or reopens a year.
async fn post_closed<D: Database, const CLOSED: bool>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    body: axum::body::Bytes,
) -> Result<Json<YearInfo>, AppError> {
    let reason = reason_of(&body)?;
    Ok(Json(set_closed(&app, &Actor::of(&caller), &agency, year, CLOSED, &reason).await?))
}

/// `{"reason": "…"}`, or an empty body (no reason).
fn reason_of(body: &[u8]) -> Result<String, AppError> {
    if body.is_empty() {
        return Ok(String::new());
    }
    let request: YearReason = serde_json::from_slice(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(request.reason.trim().chars().take(1000).collect())
}

async fn put_ita_result<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    Json(result): Json<ItaResult>,
) -> Result<Json<YearInfo>, AppError> {
    plans_years(&caller)?;
    Ok(Json(set_ita_result(&app, &Actor::of(&caller), &agency, year, result).await?))
}

/// The tracks the year runs and those its criteria offer besides.
async fn get_tracks<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<prongsai_core::wire::TracksInfo>, AppError> {
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    Ok(Json(tracks_info(&agency_year)))
}

fn tracks_info(year: &prongsai_core::AgencyYear) -> prongsai_core::wire::TracksInfo {
    prongsai_core::wire::TracksInfo { tracks: year.tracks(), available: prongsai_core::tracks::available(year) }
}

/// (coordinator, admin) Runs one more of the year's tracks: its entry, with the rounds the
/// criteria give it, goes into the year's directory; its plan and results start empty.
async fn post_track<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    Json(request): Json<prongsai_core::wire::AddTrack>,
) -> Result<Json<prongsai_core::wire::TracksInfo>, AppError> {
    if !caller.runs_the_year() {
        return Err(AppError::Forbidden("only the coordinator or the admin adds a track".into()));
    }
    ensure_open(&app, &agency, year).await?;
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    if agency_year.directory.tracks.contains_key(&request.track) {
        return Err(AppError::Conflict(ErrorKind::AlreadyExists, format!("the year runs {:?} already", request.track)));
    }
    let Some(offered) = prongsai_core::tracks::available(&agency_year).into_iter().find(|t| t.id == request.track)
    else {
        return Err(AppError::BadRequest(format!("the year's criteria offer no track {:?} to add", request.track)));
    };
    let items = offered.items.ok_or_else(|| AppError::BadRequest("the track has no items this year".into()))?;
    let entry = prongsai_core::tracks::entry_for(&items, agency_year.fiscal_year(), now_ms(), &caller.user.username);
    let directory = rows.iter().find(|r| r.kind == DocKind::Directory).ok_or(AppError::NotFound)?;
    let id = request.track.clone();
    app.server_edit(directory, "เพิ่มแผนงาน", move |tx| {
        prongsai_core::docs::directory::add_track(tx, &id, &entry)
    })
    .await?;
    let detail = serde_json::json!({ "year": year, "track": request.track });
    app.audit(&agency, &Actor::of(&caller), AuditAction::TrackAdded, &format!("{year}"), detail).await?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    Ok(Json(tracks_info(&agency_year)))
}

#[derive(Deserialize)]
struct RoundPath {
    agency: String,
    year: i64,
    track: String,
    round: String,
}

/// (coordinator, admin) Sets the day a track's round is cut off: a day of the fiscal year. The
/// round's pictures and reports are then as of that day at the latest.
async fn put_round<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(RoundPath { agency, year, track, round }): Path<RoundPath>,
    Json(change): Json<prongsai_core::wire::RoundChange>,
) -> Result<Json<prongsai_core::wire::TracksInfo>, AppError> {
    if !caller.runs_the_year() {
        return Err(AppError::Forbidden("only the coordinator or the admin sets a round's cut-off".into()));
    }
    ensure_open(&app, &agency, year).await?;
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let runs = agency_year.directory.tracks.get(&track).is_some_and(|t| t.rounds.contains_key(&round));
    if !runs {
        return Err(AppError::NotFound);
    }
    let cutoff: prongsai_core::Date =
        change.cutoff.trim().parse().map_err(|_| AppError::BadRequest(format!("{:?} is not a date", change.cutoff)))?;
    let fiscal = prongsai_core::calendar::FiscalYear(u32::try_from(year).map_err(|_| AppError::NotFound)?);
    if cutoff < fiscal.first_day() || cutoff > fiscal.last_day() {
        return Err(AppError::BadRequest(format!("a cut-off of fiscal year {year} is a day of that year")));
    }
    let directory = rows.iter().find(|r| r.kind == DocKind::Directory).ok_or(AppError::NotFound)?;
    let (t, r, day) = (track.clone(), round.clone(), cutoff.to_string());
    app.server_edit(
        directory,
        "กำหนดวันตัดยอดข้อมูลของรอบรายงาน",
        move |tx| prongsai_core::docs::directory::set_round_cutoff(tx, &t, &r, &day),
    )
    .await?;
    let detail = serde_json::json!({ "year": year, "track": track, "round": round, "cutoff": cutoff.to_string() });
    app.audit(&agency, &Actor::of(&caller), AuditAction::RoundCutoffSet, &format!("{year}"), detail).await?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    Ok(Json(tracks_info(&agency_year)))
}

// ---------------------------------------------------------------------------------------------

fn info(year: i64, row: Option<&YearRow>) -> YearInfo {
    YearInfo {
        year,
        closed: row.is_some_and(|r| r.closed),
        reason: row.map(|r| r.reason.clone()).unwrap_or_default(),
        continues: row.and_then(|r| r.continues),
        ita_result: row.and_then(|r| r.ita_result.as_deref()).and_then(|j| serde_json::from_str(j).ok()),
    }
}

/// Every year the agency has documents for, oldest first, with its state.
pub async fn year_infos<D: Database>(app: &App<D>, agency: &str) -> Result<Vec<YearInfo>, AppError> {
    let rows = app.db.year_rows(agency.to_string()).await?;
    Ok(app
        .db
        .years_of(agency.to_string())
        .await?
        .into_iter()
        .map(|year| info(year, rows.iter().find(|r| r.year == year)))
        .collect())
}

/// The years whose documents may change (not closed).
pub async fn open_years<D: Database>(app: &App<D>, agency: &str) -> Result<Vec<i64>, AppError> {
    Ok(year_infos(app, agency).await?.into_iter().filter(|y| !y.closed).map(|y| y.year).collect())
}

/// Refuses (409 `year_closed`) when the year is closed.
pub async fn ensure_open<D: Database>(app: &App<D>, agency: &str, year: i64) -> Result<(), AppError> {
    let rows = app.db.year_rows(agency.to_string()).await?;
    if rows.iter().any(|r| r.year == year && r.closed) {
        return Err(AppError::Conflict(
            ErrorKind::YearClosed,
            format!("ปีงบประมาณ {year} ปิดแล้ว · the year is closed; the admin can reopen it"),
        ));
    }
    Ok(())
}

/// Starts `year`: blank, or continuing `from` (its measures, methods, divisions and schedules,
/// each measure recording the one it continues and that one's ข้อเสนอ). The memo starts from the
/// agency's letterhead and the ITA result of the year before, when entered. Returns false when
/// the year exists already (started by anyone, in any process): nothing is created twice.
pub async fn start_year<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
    from: Option<i64>,
) -> Result<bool, AppError> {
    if !YEARS.contains(&year) {
        return Err(AppError::BadRequest(format!("a fiscal year in Buddhist Era, {}–{}", YEARS.start(), YEARS.end())));
    }
    if from == Some(year) {
        return Err(AppError::BadRequest("a year cannot start from itself".into()));
    }
    let lock = app.year_lock(agency);
    let _held = lock.lock().await;
    if !app.db.documents_of(agency.to_string(), year).await?.is_empty() {
        return Ok(false);
    }
    let profile = crate::agency::profile(app, agency).await?;
    if app.db.agency_profile(agency.to_string()).await?.is_none() {
        let json = serde_json::to_string(&profile).map_err(|e| AppError::BadRequest(e.to_string()))?;
        app.db.agency_set_profile(agency.to_string(), json).await?;
    }
    let (measures, drafter) = match from {
        Some(from) => {
            let (previous, _) = app.agency_year(agency, from).await.map_err(|e| match e {
                AppError::NotFound => AppError::BadRequest(format!("there is no year {from} to start from")),
                other => other,
            })?;
            let drafter = (previous.memo.drafter_name.clone(), previous.memo.drafter_position.clone());
            (continue_measures(&previous, &profile), Some(drafter))
        }
        None => (Vec::new(), None),
    };
    let states = app.db.year_rows(agency.to_string()).await?;
    let result_before = states
        .iter()
        .find(|r| r.year == year - 1)
        .and_then(|r| r.ita_result.as_deref())
        .and_then(|j| serde_json::from_str::<ItaResult>(j).ok())
        .map(|r| (year - 1, r));
    let reference = crate::criteria::reference(&app.db).await?;
    let mut memo = profile.default_memo(year, &reference, LOCAL_FORM, result_before);
    if let Some((name, position)) = drafter {
        memo.drafter_name = name;
        memo.drafter_position = position;
    }
    let accounts = app
        .db
        .users_of_agency(agency.to_string())
        .await?
        .into_iter()
        .map(|u| AccountRecord {
            username: u.username,
            display_name: u.display_name,
            position: u.position,
            roles: u.roles,
            division: u.division,
        })
        .collect();
    let measure_count = measures.len();
    let fixture = profile.year_fixture(year, measures, memo, accounts);
    match crate::provision::create_agency_year(app, &fixture).await {
        Ok(_) => {}
        // Another server process on this database registered the year first.
        Err(AppError::Conflict(ErrorKind::AlreadyExists, _)) => return Ok(false),
        Err(e) => return Err(e),
    }
    let mut state = states.into_iter().find(|r| r.year == year).unwrap_or_default();
    state.agency_id = agency.to_string();
    state.year = year;
    state.continues = from;
    state.changed_at = now_ms();
    state.changed_by = actor.username.clone();
    app.db.year_put(state).await?;
    let detail = serde_json::json!({ "year": year, "from": from, "measures": measure_count });
    app.audit(agency, actor, AuditAction::YearCreated, &year.to_string(), detail).await?;
    tracing::info!(%agency, year, ?from, "started a year");
    Ok(true)
}

/// Closes (nobody writes the year's documents) or reopens a year; the reason is kept, and a
/// reopening needs one.
pub async fn set_closed<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
    closed: bool,
    reason: &str,
) -> Result<YearInfo, AppError> {
    if app.db.documents_of(agency.to_string(), year).await?.is_empty() {
        return Err(AppError::NotFound);
    }
    if !closed && reason.is_empty() {
        return Err(AppError::BadRequest("บอกเหตุผลที่เปิดปีอีกครั้ง · a reopening needs a reason".into()));
    }
    let rows = app.db.year_rows(agency.to_string()).await?;
    let mut state = rows.into_iter().find(|r| r.year == year).unwrap_or_default();
    state.agency_id = agency.to_string();
    state.year = year;
    state.closed = closed;
    state.reason = reason.to_string();
    state.changed_at = now_ms();
    state.changed_by = actor.username.clone();
    app.db.year_put(state.clone()).await?;
    // Every open connection re-decides what it may write, here and in other server processes.
    app.access.invalidate();
    crate::bump_access_epoch(&app.db).await?;
    let action = if closed { AuditAction::YearClosed } else { AuditAction::YearReopened };
    app.audit(agency, actor, action, &year.to_string(), serde_json::json!({ "reason": reason })).await?;
    tracing::info!(%agency, year, closed, "changed whether a year is closed");
    Ok(info(year, Some(&state)))
}

/// Records the agency's ITA result of an assessment year; the memo of the year after quotes it in
/// เรื่องเดิม (unless the coordinator has written something else there).
pub async fn set_ita_result<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
    result: ItaResult,
) -> Result<YearInfo, AppError> {
    result.check().map_err(AppError::BadRequest)?;
    if !YEARS.contains(&year) {
        return Err(AppError::BadRequest("an assessment year in Buddhist Era".into()));
    }
    let rows = app.db.year_rows(agency.to_string()).await?;
    let mut state = rows.into_iter().find(|r| r.year == year).unwrap_or_default();
    let before: Option<ItaResult> = state.ita_result.as_deref().and_then(|j| serde_json::from_str(j).ok());
    state.agency_id = agency.to_string();
    state.year = year;
    state.ita_result = Some(serde_json::to_string(&result).map_err(|e| AppError::BadRequest(e.to_string()))?);
    state.changed_at = now_ms();
    state.changed_by = actor.username.clone();
    app.db.year_put(state.clone()).await?;
    quote_in_next_memo(app, actor, agency, year, result, before).await?;
    let detail = serde_json::to_value(result).unwrap_or_default();
    app.audit(agency, actor, AuditAction::ItaResultEntered, &year.to_string(), detail).await?;
    Ok(info(year, Some(&state)))
}

/// Writes year's result into the memo of year+1 (if it exists and is open): the previous
/// assessment always, เรื่องเดิม when it is empty or still the text made from the result before.
async fn quote_in_next_memo<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
    result: ItaResult,
    before: Option<ItaResult>,
) -> Result<(), AppError> {
    let next = year + 1;
    if !open_years(app, agency).await?.contains(&next) {
        return Ok(());
    }
    let (agency_year, rows) = app.agency_year(agency, next).await?;
    let Some(memo) = rows.iter().find(|r| r.kind == DocKind::Memo) else { return Ok(()) };
    let reference = crate::criteria::reference(&app.db).await?;
    let name = agency_year.directory.agency.name.clone();
    let form = match agency_year.directory.criteria_form.as_str() {
        "" => LOCAL_FORM.to_string(),
        form => form.to_string(),
    };
    let text = result.background(year, &name, &reference, &form, next);
    let current = agency_year.memo.background.as_str().trim().to_string();
    let generated_before = before.map(|b| b.background(year, &name, &reference, &form, next));
    let replace = current.is_empty() || generated_before.as_deref().is_some_and(|b| b.trim() == current);
    let score = i64::from(result.score_hundredths);
    app.server_edit_as(
        memo,
        "ผลการประเมิน ITA ปีที่แล้ว",
        &actor.username,
        move |tx, _| {
            prongsai_core::docs::memo::set_previous_assessment(tx, &prongsai_core::automerge::ROOT, year, score)?;
            if replace {
                prongsai_core::docs::memo::set_field(
                    tx,
                    &prongsai_core::automerge::ROOT,
                    MemoField::Background,
                    &text,
                )?;
            }
            Ok(())
        },
    )
    .await?;
    Ok(())
}
