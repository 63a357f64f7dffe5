//! The ITA criteria the server knows: those compiled into the build (core's `ita`), and the ones
//! an operator imports later without a new build (`prongsai-server ita import FILE`), kept in the
//! database. The server writes into each agency-year's directory the criteria it prints under, so
//! a device offline renders the right headings even when the device's build predates them.

use prongsai_core::ita::{Criteria, LOCAL_FORM, ReferenceData};
use prongsai_core::model::{DirectoryDoc, DocKind};

use crate::app::{App, AppError};
use crate::db::{Database, DbError};
use crate::repos::AgencyRepo;

/// The setting that holds the imported criteria (a JSON array of `ita::Criteria`).
const IMPORTED: &str = "ita_criteria";

pub async fn imported<D: Database>(db: &D) -> Result<Vec<Criteria>, DbError> {
    Ok(db.setting(IMPORTED.into()).await?.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default())
}

/// Everything the server knows: the build's criteria with the imported ones over them.
pub async fn reference<D: Database>(db: &D) -> Result<ReferenceData, DbError> {
    Ok(ReferenceData::builtin().with(imported(db).await?))
}

/// Adds (or replaces, for the same year and form) criteria an operator imports. The file was
/// checked whole before this (`Criteria::parse`).
pub async fn import<D: Database>(db: &D, criteria: Criteria) -> Result<(), DbError> {
    let mut all = imported(db).await?;
    all.retain(|c| (c.year, &c.form) != (criteria.year, &criteria.form));
    all.push(criteria);
    all.sort_by(|a, b| (a.year, &a.form).cmp(&(b.year, &b.form)));
    db.set_setting(IMPORTED.into(), serde_json::to_string(&all).unwrap_or_default()).await
}

/// One assessment year as `ita list` prints it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ListedYear {
    pub year: u32,
    pub form: String,
    pub items: usize,
    pub confirmed: bool,
    pub sources: Vec<String>,
    /// Imported by an operator (not compiled into this build).
    pub imported: bool,
}

pub async fn list<D: Database>(db: &D) -> Result<Vec<ListedYear>, DbError> {
    let imported = imported(db).await?;
    let reference = ReferenceData::builtin().with(imported.clone());
    Ok(reference
        .all()
        .map(|c| ListedYear {
            year: c.year,
            form: c.form.clone(),
            items: c.items.len(),
            confirmed: c.confirmed,
            sources: c.sources.iter().map(|s| s.url.clone()).collect(),
            imported: imported.iter().any(|i| (i.year, &i.form) == (c.year, &c.form)),
        })
        .collect())
}

/// The criteria an agency-year's directory should carry.
pub fn for_year(reference: &ReferenceData, year: i64, form: &str) -> Vec<Criteria> {
    reference.for_agency_year(year, if form.is_empty() { LOCAL_FORM } else { form })
}

/// The version of every criteria the server knows (the build's and the imported).
pub async fn current_version<D: Database>(db: &D) -> Result<String, DbError> {
    Ok(version_of(&reference(db).await?))
}

fn version_of(reference: &ReferenceData) -> String {
    prongsai_core::ita::version_hash(&reference.all().cloned().collect::<Vec<_>>())
}

/// Reads the criteria again (an operator may have imported some since) and brings the
/// directories of every agency this node serves up to them. Runs every few seconds. An agency
/// no node serves is brought up to date when a node next serves it ([`App::serve_agency`]): no
/// node takes an agency, let alone one another node serves, only to write criteria into it.
pub async fn refresh_directories<D: Database>(app: &App<D>) -> Result<usize, AppError> {
    app.set_criteria_version(current_version(&app.db).await?);
    let mut updated = 0;
    for repo in app.repos.serving().await {
        updated += bring_up_to_date(app, &repo).await?;
    }
    Ok(updated)
}

/// Writes into the directory of each of the agency's years the criteria that year prints
/// under, where they changed: once per version of the criteria and start of the agency's repo
/// here (the repo remembers the version). Returns how many directories changed.
pub async fn bring_up_to_date<D: Database>(app: &App<D>, repo: &AgencyRepo) -> Result<usize, AppError> {
    let mut applied = repo.criteria.lock().await;
    if *applied == app.criteria_version() {
        return Ok(0);
    }
    let reference = reference(&app.db).await?;
    let version = version_of(&reference);
    let agency = &repo.agency_id;
    let mut updated = 0;
    for year in app.db.years_of(agency.clone()).await? {
        let rows = app.db.documents_of(agency.clone(), year).await?;
        let Some(directory) = rows.iter().find(|r| r.kind == DocKind::Directory) else { continue };
        let handle = app.handle(directory).await?;
        let current: DirectoryDoc =
            handle.with_document_async(|doc| prongsai_core::docs::read::<DirectoryDoc>(doc)).await??;
        let wanted = for_year(&reference, year, &current.criteria_form);
        if prongsai_core::ita::version_hash(&wanted) == current.criteria_version {
            continue;
        }
        app.server_edit(
            directory,
            "ปรับปรุงเกณฑ์การประเมิน ITA",
            move |tx| prongsai_core::docs::directory::set_criteria(tx, &wanted),
        )
        .await?;
        updated += 1;
    }
    if updated > 0 {
        tracing::info!(agency = %agency, updated, "wrote the ITA criteria into the agency-years' directories");
    }
    *applied = version;
    Ok(updated)
}
