//! Reports over HTTP: every format for the agency's readers, plan import for whoever may write the
//! plan, and the published report: frozen when the last approval step signs, served at a stable
//! public URL without a login. A later edit publishes nothing until every step signs again.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use prongsai_core::AgencyYear;
use prongsai_core::admin::AuditAction;
use prongsai_core::automerge::Automerge;
use prongsai_core::edit::Edit;
use prongsai_core::filetype::FileType;
use prongsai_core::ita::ResolvedItem;
use prongsai_core::model::{DocKey, DocKind, PlanWaiver, PublishedItem};
use prongsai_core::report_model::{Part, Report};
use prongsai_core::tracks::Target;
use prongsai_core::wire::{ErrorBody, ErrorKind, PlanWaiverRequest, PublishedInfo};
use prongsai_report::import::{self, ImportReport};
use prongsai_report::{Format, Options};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::Caller;
use crate::app::{Actor, App, AppError, now_ms};
use crate::db::{BlobRow, Database, DbError};
use crate::routes::{RouteTable, Scope};

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.get(Scope::Agency, "/api/agencies/{agency}/years/{year}/reports/{format}", export::<D>)
        .route(
            Scope::Agency,
            "POST",
            "/api/agencies/{agency}/years/{year}/import",
            post(import_plan::<D>).layer(DefaultBodyLimit::max(import::MAX_FILE_BYTES + 64 * 1024)),
        )
        .get(Scope::Open, "/public/{agency}/{year}/{file}", public::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/published", published_info::<D>)
        .get(Scope::Agency, "/api/agencies/{agency}/years/{year}/itas", itas_sheet::<D>)
        .route(Scope::Agency, "PUT", "/api/agencies/{agency}/years/{year}/plan-waiver", put(put_plan_waiver::<D>))
        .route(
            Scope::Agency,
            "PUT",
            "/api/agencies/{agency}/years/{year}/published/scan",
            put(put_scan::<D>).layer(DefaultBodyLimit::max(MAX_SCAN_BYTES + 1024)),
        )
        .get(Scope::Agency, "/api/agencies/{agency}/emblem", get_emblem::<D>)
        .route(
            Scope::Admin,
            "PUT",
            "/api/agencies/{agency}/emblem",
            put(put_emblem::<D>).layer(DefaultBodyLimit::max(MAX_EMBLEM_BYTES + 1024)),
        );
}

/// The agency's emblem (Garuda) heads its memo: PNG or JPEG, at most 1 MiB.
pub const MAX_EMBLEM_BYTES: usize = 1024 * 1024;

fn emblem_key(agency: &str) -> String {
    format!("emblem/{agency}")
}

/// Checks an emblem file: PNG or JPEG, not too large. Returns its media type.
pub fn check_emblem(bytes: &[u8]) -> Result<&'static str, AppError> {
    if bytes.len() > MAX_EMBLEM_BYTES {
        return Err(AppError::BadRequest(format!("the emblem is over {MAX_EMBLEM_BYTES} bytes")));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else {
        Err(AppError::BadRequest("the emblem must be a PNG or JPEG image".into()))
    }
}

/// Stores the agency's emblem; every report rendered from then on carries it. Returns its
/// SHA-256.
pub async fn set_emblem<D: Database>(db: &D, agency: &str, bytes: Vec<u8>) -> Result<String, AppError> {
    let media_type = check_emblem(&bytes)?;
    let sha = prongsai_core::hash::sha256_hex(&bytes);
    db.blob_put(agency.to_string(), sha.clone(), BlobRow { media_type: media_type.to_string(), data: bytes }).await?;
    db.set_setting(emblem_key(agency), sha.clone()).await?;
    Ok(sha)
}

/// The agency's emblem, if it has one.
pub async fn emblem<D: Database>(db: &D, agency: &str) -> Result<Option<Vec<u8>>, AppError> {
    let Some(sha) = db.setting(emblem_key(agency)).await? else { return Ok(None) };
    Ok(db.blob_get(agency.to_string(), sha).await?.map(|b| b.data))
}

/// What every render of the agency's reports is given.
pub async fn options<D: Database>(app: &App<D>, agency: &str) -> Result<Options, AppError> {
    Ok(Options { emblem: emblem(&app.db, agency).await?, verify_base: Some(app.config.public_base()) })
}

async fn get_emblem<D: Database>(State(app): State<App<D>>, Path(agency): Path<String>) -> Result<Response, AppError> {
    let bytes = emblem(&app.db, &agency).await?.ok_or(AppError::NotFound)?;
    let media_type = check_emblem(&bytes).unwrap_or("application/octet-stream");
    Ok(([(header::CONTENT_TYPE, media_type)], bytes).into_response())
}

/// (admin) Replaces the agency's emblem.
async fn put_emblem<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path(agency): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let size = body.len();
    let sha256 = set_emblem(&app.db, &agency, body.to_vec()).await?;
    app.audit(
        &agency,
        &Actor::of(&caller),
        AuditAction::EmblemSet,
        "emblem",
        json!({ "sha256": sha256, "size": size }),
    )
    .await?;
    tracing::info!(user = %caller.user.username, %agency, "set the agency's emblem");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Renders off the async threads: a PDF takes tens of milliseconds (release) of pure CPU.
pub async fn render(year: AgencyYear, format: Format, options: Options) -> Result<Vec<u8>, AppError> {
    tokio::task::spawn_blocking(move || prongsai_report::render(&year, format, &options))
        .await
        .map_err(|_| AppError::BadRequest("rendering failed".into()))?
        .map_err(|e| {
            tracing::error!(error = %e, format = format.name(), "a report failed to render");
            AppError::BadRequest(e.to_string())
        })
}

/// The policy a published or downloaded report page runs under: its own inline styles, fonts
/// and images, and nothing else (no script, no request anywhere).
pub const REPORT_PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; form-action 'none'; base-uri 'none'";

fn file_response(bytes: Vec<u8>, format: Format, file_name: &str, attachment: bool) -> Response {
    let disposition = if attachment { "attachment" } else { "inline" };
    let mut response = (
        [
            (header::CONTENT_TYPE, format.media_type().to_string()),
            (header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{file_name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response();
    if format == Format::Html {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(REPORT_PAGE_CSP));
    }
    response
}

/// Any format of the agency-year, for any signed-in reader of that agency.
async fn export<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year, format)): Path<(String, i64, String)>,
    Query(round): Query<crate::api::RoundQuery>,
) -> Result<Response, AppError> {
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    // `?track=` views the year from another track; `?round=plan` asks for the plan's file of the
    // same kind, another round for that round's report; neither leaves the format as named.
    let (slot, part) = round.target(&agency_year)?;
    let agency_year = agency_year.in_slot(&slot).map_err(|_| AppError::NotFound)?.into_owned();
    let items = agency_year.track_items();
    let format = Format::parse_for(&format, items.as_ref()).ok_or_else(|| {
        AppError::BadRequest(format!("unknown format {format:?}; one of {}", Format::ALL.map(Format::name).join(", ")))
    })?;
    let format = match round.round {
        Some(_) => format.of_part(part),
        None => format,
    };
    let file_name = format.file_name(&agency, year, items.as_ref());
    let bytes = render(agency_year, format, options(&app, &agency).await?).await?;
    Ok(file_response(bytes, format, &file_name, true))
}

#[derive(Deserialize)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
    /// Another track's plan (its projects, with budget and indicator columns).
    track: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct ImportResult {
    #[serde(flatten)]
    report: ImportReport,
    /// How many changes were made to the plan (0 on a dry run).
    changes: usize,
    applied: bool,
}

/// Reads a plan file (XLSX or CSV) and, unless `dry_run`, writes its rows into the plan. Only
/// someone who may write the plan may import; a refused file changes nothing.
async fn import_plan<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    let plan = rows.iter().find(|r| r.kind == DocKind::Plan).ok_or(AppError::NotFound)?.clone();
    crate::years::ensure_open(&app, &agency, year).await?;
    let peer = caller.peer();
    if peer.read_only {
        return Err(AppError::ReadOnly("a web dashboard sign-in cannot import a plan".into()));
    }
    if !peer.may_write(&plan) {
        return Err(AppError::Forbidden("only the plan's editors may import a plan".into()));
    }
    let slot = crate::api::StatusQuery { date: None, track: query.track.clone(), round: None }.slot(&agency_year)?;
    let agency_year = agency_year.in_slot(&slot).map_err(|_| AppError::NotFound)?.into_owned();
    let report = match read_plan_file(body.to_vec(), &agency_year).await? {
        Ok(report) => report,
        Err(refusal) => {
            tracing::info!(user = %caller.user.username, "refused an import");
            return Ok(refusal);
        }
    };
    let result =
        write_plan(&app, &Actor::of(&caller), &agency, year, &agency_year, &plan, report, query.dry_run).await?;
    Ok(Json(result).into_response())
}

/// Reads a plan file against an agency-year's divisions: the report, or the 422 answer that
/// refuses the file with its code.
pub(crate) async fn read_plan_file(
    bytes: Vec<u8>,
    agency_year: &AgencyYear,
) -> Result<Result<ImportReport, Response>, AppError> {
    let directory_year = agency_year.clone();
    let read = tokio::task::spawn_blocking(move || import::read(&bytes, &directory_year))
        .await
        .map_err(|_| AppError::BadRequest("the file could not be read".into()))?;
    Ok(read.map_err(|e| {
        let body = ErrorBody { error: e.to_string(), kind: ErrorKind::ImportRefused, code: Some(e.code().to_string()) };
        (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
    }))
}

/// Writes a read plan file into the plan (unless `dry_run`), as asked for by `actor`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_plan<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
    agency_year: &AgencyYear,
    plan: &crate::db::DocumentRow,
    report: ImportReport,
    dry_run: bool,
) -> Result<ImportResult, AppError> {
    let mut counter = 0u32;
    let stamp = now_ms();
    let edits: Vec<Edit> = import::plan_edits(agency_year, &report.measures, &mut |prefix| {
        counter += 1;
        format!("{prefix}-{stamp:x}{counter:x}{:x}", rand::random::<u32>())
    });
    let changes = edits.len();
    // `agency_year` seen from another track: the rows are that track's projects.
    let edits = Edit::in_slot(&agency_year.slot, edits);
    let applied = !dry_run && changes > 0;
    if applied {
        app.server_edit_as(
            plan,
            "นำเข้าแผนจากไฟล์",
            &actor.username,
            move |tx, meta| prongsai_core::edit::apply(tx, &edits, meta),
        )
        .await?;
        let detail =
            json!({ "year": year, "source": report.source, "measures": report.measures.len(), "changes": changes });
        app.audit(agency, actor, AuditAction::PlanImported, "plan", detail).await?;
        tracing::info!(user = %actor.username, changes, "imported a plan");
    }
    Ok(ImportResult { report, changes: if dry_run { 0 } else { changes }, applied })
}

/// What is published for an agency-year: kept as a setting (its JSON), the files as blobs.
pub use prongsai_core::wire::Publication as Published;

/// What is published of the year's integrity report.
pub async fn published<D: Database>(db: &D, agency: &str, year: i64) -> Result<Option<Published>, DbError> {
    published_part(db, agency, year, &Target::integrity(Part::Report)).await
}

/// What is published of one plan or round's report.
pub async fn published_part<D: Database>(
    db: &D,
    agency: &str,
    year: i64,
    target: &Target,
) -> Result<Option<Published>, DbError> {
    published_at(db, &target.published_key(agency, year)).await
}

async fn published_at<D: Database>(db: &D, key: &str) -> Result<Option<Published>, DbError> {
    Ok(db.setting(key.to_string()).await?.and_then(|text| serde_json::from_str(&text).ok()))
}

/// The setting that names which publication another track's public name (`o40-half`) is, so
/// the open `/public/…` route finds it without reading the agency-year.
fn public_name_key(agency: &str, year: i64, name: &str) -> String {
    format!("public/{agency}/{year}/{name}")
}

/// One publication at a time, so two last signatures in a row cannot interleave.
static PUBLISHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Publishes every plan and round's report of the year that every approval step has signed in
/// its current content and that is not already the published one: each track's plan first,
/// then its rounds, each of which waits for the plan unless the coordinator recorded why it goes
/// first. Returns what is published of the integrity report now.
pub async fn publish_if_approved<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
) -> Result<Option<Published>, AppError> {
    let _one = PUBLISHING.lock().await;
    let (agency_year, _) = app.agency_year(agency, year).await?;
    let mut plan_published = false;
    for target in prongsai_core::tracks::targets(&agency_year) {
        let view = agency_year.in_slot(&target.slot).map_err(|_| AppError::NotFound)?;
        if target.part == Part::Plan {
            plan_published = publish_part(app, actor, agency, year, &view, &target).await?.is_some();
        } else if report_may_follow(plan_published, &view) {
            publish_part(app, actor, agency, year, &view, &target).await?;
        } else if Report::build(&view).fully_approved()
            && published_part(&app.db, agency, year, &target).await?.is_none()
        {
            tracing::info!(%agency, year, track = target.slot.track_id(), "the signed report waits for its plan");
        }
    }
    Ok(published(&app.db, agency, year).await?)
}

/// The one rule of their order: a report is published after its plan, or before it when the
/// coordinator recorded why (`view` is the agency-year seen from the report's track).
fn report_may_follow(plan_published: bool, view: &AgencyYear) -> bool {
    plan_published || view.approvals.plan.waiver.is_some()
}

/// Publishes one plan or round's report (`view` is the agency-year seen from its track and
/// round) when every step approved its current content and it is not the published one already;
/// answers what is published of it now.
async fn publish_part<D: Database>(
    app: &App<D>,
    actor: &Actor,
    agency: &str,
    year: i64,
    view: &AgencyYear,
    target: &Target,
) -> Result<Option<Published>, AppError> {
    let part = target.part;
    let current = published_part(&app.db, agency, year, target).await?;
    let report = Report::build_part(view, part);
    if !report.fully_approved() || current.as_ref().is_some_and(|p| p.content_hash == report.content_hash) {
        return Ok(current);
    }
    let options = options(app, agency).await?;
    let pdf = render(view.clone(), Format::Pdf.of_part(part), options.clone()).await?;
    let html = render(view.clone(), Format::Html.of_part(part), options).await?;
    let mut stored = Vec::new();
    for (bytes, format) in [(pdf, Format::Pdf), (html, Format::Html)] {
        let sha = prongsai_core::hash::sha256_hex(&bytes);
        app.db
            .blob_put(
                agency.to_string(),
                sha.clone(),
                BlobRow { media_type: format.media_type().to_string(), data: bytes },
            )
            .await?;
        stored.push(sha);
    }
    let published_at = now_ms();
    // The code is answerable before the publication names it: a printed code never meets a 404.
    let waiver = (part == Part::Report).then(|| view.approvals.plan.waiver.clone()).flatten();
    let record = crate::verify::VerificationRecord::of(&report, &target.slot, published_at, waiver.map(|w| w.reason));
    crate::verify::store(&app.db, &record).await?;
    let name = report.item().map(|item| prongsai_core::tracks::public_name(view, target, &item.slug()));
    let published = Published {
        content_hash: report.content_hash.clone(),
        pdf_sha256: stored[0].clone(),
        html_sha256: stored[1].clone(),
        published_at,
        item: name.clone(),
        code: Some(record.code),
        scan_sha256: None,
    };
    app.db
        .set_setting(target.published_key(agency, year), serde_json::to_string(&published).expect("plain data"))
        .await?;
    if let (Some(_), Some(name)) = (&target.slot.track, &name) {
        app.db.set_setting(public_name_key(agency, year, name), target.published_key(agency, year)).await?;
    }
    // The year's directory records it, so the ITAS sheet fills its address in on every device.
    if let (Some(item), Some(name)) = (report.item(), name) {
        let rows = app.db.documents_of(agency.to_string(), year).await?;
        if let Some(directory) = rows.iter().find(|r| r.kind == DocKind::Directory) {
            let url = format!("{}{}", app.config.public_base(), PublishedInfo::new(agency, year, &name, None).pdf);
            let record = PublishedItem { url, published_at, code: published.code.clone().unwrap_or_default() };
            let code = item.code.clone();
            let message = match part {
                Part::Report => "บันทึกการเผยแพร่รายงาน",
                Part::Plan => "บันทึกการเผยแพร่แผน",
            };
            app.server_edit(directory, message, move |tx| {
                prongsai_core::docs::directory::set_publication(tx, &code, &record)
            })
            .await?;
        }
    }
    let mut detail =
        json!({ "year": year, "content_hash": published.content_hash, "pdf_sha256": published.pdf_sha256 });
    if let Some(track) = &target.slot.track {
        detail["track"] = json!(track);
        detail["round"] = json!(target.slot.round.as_deref().filter(|_| part == Part::Report));
    }
    let action = match part {
        Part::Report => AuditAction::ReportPublished,
        Part::Plan => AuditAction::PlanPublished,
    };
    app.audit(agency, actor, action, &format!("{year}"), detail).await?;
    tracing::info!(%agency, year, part = part.as_str(), track = target.slot.track_id(), "published the signed document");
    Ok(Some(published))
}

/// Publishes in the background after a signature or a recorded reason; what triggered it is
/// already recorded.
pub fn publish_soon<D: Database>(app: App<D>, actor: Actor, agency: String, year: i64) {
    tokio::spawn(async move {
        if let Err(e) = publish_if_approved(&app, &actor, &agency, year).await {
            tracing::error!(%agency, year, error = %e, "publishing the signed report failed");
        }
    });
}

/// The published plan and report, for anyone: `/public/{agency}/{year}/{item}.pdf` or `.html`,
/// the item code as the year's criteria spell it in lower case (`index.html` too, the report's),
/// and `{item}-scan.pdf` for a wet-signed scan.
async fn public<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year, file)): Path<(String, i64, String)>,
) -> Result<Response, AppError> {
    let Some((name, extension)) = file.rsplit_once('.') else { return Err(AppError::NotFound) };
    let (name, scan) = match name.strip_suffix("-scan") {
        Some(item) => (item, true),
        None => (name, false),
    };
    // The integrity measures' report and plan, then whichever other track's publication carries
    // the name: settings only, so an open route never reads an agency-year.
    let report_key = Target::integrity(Part::Report).published_key(&agency, year);
    let mut keys = vec![report_key.clone(), Target::integrity(Part::Plan).published_key(&agency, year)];
    keys.extend(app.db.setting(public_name_key(&agency, year, name)).await?);
    for key in keys {
        let Some(published) = published_at(&app.db, &key).await? else { continue };
        let slug = published.item_slug(year);
        let report_of_year = key == report_key;
        let named = name == slug || (report_of_year && !scan && name == "index" && extension == "html");
        if !named {
            continue;
        }
        let (format, sha) = match (extension, scan) {
            ("pdf", false) => (Format::Pdf, published.pdf_sha256.clone()),
            ("html", false) => (Format::Html, published.html_sha256.clone()),
            ("pdf", true) => (Format::Pdf, published.scan_sha256.clone().ok_or(AppError::NotFound)?),
            _ => return Err(AppError::NotFound),
        };
        let blob = app.db.blob_get(agency.clone(), sha).await?.ok_or(AppError::NotFound)?;
        let file_name = format!("{agency}-{year}-{slug}.{}", format.extension());
        let mut response = file_response(blob.data, format, &file_name, false);
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=300"));
        return Ok(response);
    }
    Err(AppError::NotFound)
}

/// Whether and when the plan or the report was published, and its public addresses (for the app
/// and ITAS); for the report, whether it waits for its plan.
async fn published_info<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year)): Path<(String, i64)>,
    Query(round): Query<crate::api::RoundQuery>,
) -> Result<Response, AppError> {
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    let target = round.publication(&agency_year)?;
    Ok(Json(info(&app, &agency, year, &agency_year, &target).await?).into_response())
}

/// What [`published_info`] answers: of one plan or round's report of `agency_year`.
async fn info<D: Database>(
    app: &App<D>,
    agency: &str,
    year: i64,
    agency_year: &AgencyYear,
    target: &Target,
) -> Result<PublishedInfo, AppError> {
    let part = target.part;
    let view = agency_year.in_slot(&target.slot).map_err(|_| AppError::NotFound)?;
    let published = published_part(&app.db, agency, year, target).await?;
    let slug = match &published {
        Some(p) => p.item_slug(year),
        None => match view.track_items().and_then(|t| t.item(part).map(ResolvedItem::slug)) {
            Some(slug) => prongsai_core::tracks::public_name(&view, target, &slug),
            None => match part {
                Part::Report => prongsai_core::wire::builtin_report_slug(year),
                Part::Plan => "plan".into(),
            },
        },
    };
    let waiver = view.approvals.plan.waiver.clone().filter(|_| part == Part::Report);
    let plan = Target { part: Part::Plan, ..target.clone() };
    let waits_for_plan = part == Part::Report
        && published.is_none()
        && Report::build(&view).fully_approved()
        && !report_may_follow(published_part(&app.db, agency, year, &plan).await?.is_some(), &view);
    Ok(PublishedInfo {
        part,
        waits_for_plan,
        plan_waiver: waiver,
        ..PublishedInfo::new(agency, year, &slug, published)
    })
}

/// The year's whole ITAS answer sheet (core's `itas::sheet`), checked against the agency's site
/// and this server's.
async fn itas_sheet<D: Database>(
    State(app): State<App<D>>,
    Path((agency, year)): Path<(String, i64)>,
) -> Result<Json<prongsai_core::itas::ItasSheet>, AppError> {
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    let host = prongsai_core::itas::url_host(&app.config.public_base()).ok();
    let today = crate::api::date_or_today(None)?;
    Ok(Json(prongsai_core::itas::sheet(&agency_year, host.as_deref(), today)))
}

/// The largest wet-signed scan accepted.
pub const MAX_SCAN_BYTES: usize = 25 * 1024 * 1024;

/// (coordinator, admin) Attaches the wet-signed scan (PDF) of the final memo to the published
/// report: it is published beside it and listed on its verification page. A new publication
/// (after the content changed and every step signed again) starts without one.
async fn put_scan<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    Query(round): Query<crate::api::RoundQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    if !caller.runs_the_year() {
        return Err(AppError::Forbidden("only the coordinator or the admin attaches the signed scan".into()));
    }
    if body.len() > MAX_SCAN_BYTES.min(app.config.max_blob_bytes) {
        return Err(AppError::refused(ErrorKind::TooLarge, "the scan is larger than accepted"));
    }
    if FileType::sniff(&body) != Some(FileType::Pdf) {
        return Err(AppError::refused(ErrorKind::UnsupportedType, "the signed memo must be a PDF scan"));
    }
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    let target = round.publication(&agency_year)?;
    let part = target.part;
    let _one = PUBLISHING.lock().await;
    let Some(mut published) = published_part(&app.db, &agency, year, &target).await? else {
        return Err(AppError::Conflict(ErrorKind::NotPublished, format!("the {} is not published yet", part.as_str())));
    };
    let sha256 = prongsai_core::hash::sha256_hex(&body);
    crate::quota::check_upload(&app, &agency, &sha256, body.len() as u64).await?;
    let size = body.len();
    app.db
        .blob_put(agency.clone(), sha256.clone(), BlobRow { media_type: "application/pdf".into(), data: body.to_vec() })
        .await?;
    published.scan_sha256 = Some(sha256.clone());
    app.db
        .set_setting(target.published_key(&agency, year), serde_json::to_string(&published).expect("plain data"))
        .await?;
    let detail = json!({
        "year": year, "part": part.as_str(), "sha256": sha256, "size": size, "content_hash": published.content_hash
    });
    app.audit(&agency, &Actor::of(&caller), AuditAction::ScanAttached, &format!("{year}"), detail).await?;
    tracing::info!(user = %caller.user.username, %agency, year, part = part.as_str(), "attached the signed scan");
    drop(_one);
    Ok(Json(info(&app, &agency, year, &agency_year, &target).await?).into_response())
}

/// (coordinator, admin) Records why the report may be published before its plan (or, with an
/// empty reason, withdraws it); a report every step approved goes out at once.
async fn put_plan_waiver<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Path((agency, year)): Path<(String, i64)>,
    Query(round): Query<crate::api::RoundQuery>,
    Json(request): Json<PlanWaiverRequest>,
) -> Result<Response, AppError> {
    if !caller.runs_the_year() {
        return Err(AppError::Forbidden("only the coordinator or the admin records why the plan comes later".into()));
    }
    let reason = request.reason.trim().to_string();
    if reason.chars().count() > PlanWaiverRequest::MAX_CHARS {
        return Err(AppError::BadRequest(format!("a reason is at most {} characters", PlanWaiverRequest::MAX_CHARS)));
    }
    let (agency_year, rows) = app.agency_year(&agency, year).await?;
    // `?track=`: the reason is for that track's reports (its last round's answered).
    let (slot, _) = round.target(&agency_year)?;
    crate::years::ensure_open(&app, &agency, year).await?;
    let approvals = rows.iter().find(|r| r.kind == DocKind::Approvals).ok_or(AppError::NotFound)?.clone();
    let waiver = (!reason.is_empty()).then(|| PlanWaiver {
        reason: reason.clone(),
        by: caller.user.username.clone(),
        at: now_ms(),
    });
    let recorded = waiver.clone();
    let slot_written = slot.clone();
    app.server_edit_as(
        &approvals,
        "บันทึกเหตุผลที่เผยแพร่รายงานก่อนแผน",
        &caller.user.username,
        move |tx, _| prongsai_core::docs::approvals::set_plan_waiver(tx, &slot_written, recorded.as_ref()),
    )
    .await?;
    let actor = Actor::of(&caller);
    let detail = json!({ "year": year, "reason": reason, "track": slot.track_id() });
    app.audit(&agency, &actor, AuditAction::PlanWaiverRecorded, &format!("{year}"), detail).await?;
    tracing::info!(user = %caller.user.username, %agency, year, withdrawn = waiver.is_none(), "plan waiver");
    // Publish now, not in the background: the answer says whether the report went out.
    publish_if_approved(&app, &actor, &agency, year).await?;
    let (agency_year, _) = app.agency_year(&agency, year).await?;
    let target = Target { slot, part: Part::Report };
    Ok(Json(info(&app, &agency, year, &agency_year, &target).await?).into_response())
}

/// Reads an agency-year straight from the database, without starting a repo or writing anything:
/// what `prongsai-server export` uses, whether or not a server is running on the same data.
pub async fn read_agency_year<D: Database>(db: &D, agency: &str, year: i64) -> Result<AgencyYear, AppError> {
    let rows = db.documents_of(agency.to_string(), year).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut agency_year = AgencyYear::default();
    for row in &rows {
        let chunks = db.chunk_load_prefix(format!("{}/", row.doc_id)).await?;
        let mut doc = Automerge::new();
        // Snapshots first, then incremental changes; automerge orders changes by their deps.
        let mut ordered: Vec<(&String, &Vec<u8>)> = chunks.iter().collect();
        ordered.sort_by_key(|(key, _)| !key.contains("/snapshot/"));
        for (key, bytes) in ordered {
            doc.load_incremental(bytes).map_err(|e| {
                AppError::BadRequest(format!("document {} chunk {key} cannot be read: {e}", row.doc_id))
            })?;
        }
        agency_year.load(&DocKey { kind: row.kind, division: row.division.clone() }, &doc)?;
    }
    Ok(agency_year)
}
