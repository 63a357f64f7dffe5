//! Creating agencies, users and agency-year documents. Only the server creates documents; each is
//! registered (agency, year, kind, division) before anyone can sync it.

use prongsai_core::docs::{self, CommitMeta};
use prongsai_core::model::{DocKey, DocKind, DocumentUrls, Role};
use prongsai_core::sample::AgencyFixture;
use prongsai_core::wire::ErrorKind;
use serde::Serialize;

use crate::app::{App, AppError, now_ms};
use crate::auth;
use crate::db::{AgencyRow, Database, DocumentRow, NewUser, UserRow};

/// A created account, as `sample` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedAccount {
    pub username: String,
    pub password: String,
    /// The account's main role (the first it has).
    pub role: String,
    pub division: Option<String>,
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewAccount<'a> {
    pub agency_id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub position: &'a str,
    pub division: Option<String>,
    pub roles: Vec<Role>,
    pub password: &'a str,
}

/// Creates a user with a password hashed by argon2id.
pub async fn create_user<D: Database>(app: &App<D>, account: NewAccount<'_>) -> Result<UserRow, AppError> {
    let NewAccount { agency_id, username, display_name, position, division, roles, password } = account;
    validate_username(username)?;
    prongsai_core::admin::check_password(password).map_err(AppError::BadRequest)?;
    let password = password.to_string();
    let password_hash = auth::hash_password_async(password).await.map_err(AppError::BadRequest)?;
    let user = app
        .db
        .user_create(NewUser {
            agency_id: agency_id.to_string(),
            username: username.to_string(),
            display_name: display_name.to_string(),
            position: position.to_string(),
            division,
            roles,
            password_hash,
            created_at: now_ms(),
        })
        .await
        .map_err(|e| match e {
            crate::db::DbError::Conflict(_) => {
                AppError::Conflict(ErrorKind::UsernameTaken, format!("the username {username:?} is taken"))
            }
            other => AppError::Db(other),
        })?;
    Ok(user)
}

/// Usernames are ASCII letters, digits, '.', '_' and '-', 2–40 characters.
pub fn validate_username(username: &str) -> Result<(), AppError> {
    prongsai_core::admin::check_username(username).map_err(AppError::BadRequest)
}

/// Creates the agency if it does not exist.
pub async fn ensure_agency<D: Database>(app: &App<D>, id: &str, name: &str) -> Result<(), AppError> {
    if app.db.agency(id.to_string()).await?.is_none() {
        app.db.agency_create(AgencyRow { id: id.to_string(), name: name.to_string(), created_at: now_ms() }).await?;
    }
    Ok(())
}

/// Creates and registers every document of one agency-year from a fixture.
pub async fn create_agency_year<D: Database>(
    app: &App<D>,
    fixture: &AgencyFixture,
) -> Result<Vec<DocumentRow>, AppError> {
    let agency_id = fixture.agency.id.clone();
    let year = fixture.year;
    if !app.db.documents_of(agency_id.clone(), year).await?.is_empty() {
        return Err(AppError::Conflict(
            ErrorKind::AlreadyExists,
            format!("{agency_id} already has documents for {year}"),
        ));
    }
    ensure_agency(app, &agency_id, &fixture.agency.name).await?;
    let now = now_ms();
    let typed = fixture.typed_documents(now).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let meta = CommitMeta::new("สร้างเอกสารประจำปี", "server", now).with_actor(app.write_actor.clone());

    let mut created: Vec<DocumentRow> = Vec::new();
    let mut urls = DocumentUrls::default();
    let mut pending: Vec<(DocKey, prongsai_core::automerge::Automerge)> = vec![
        (DocKey::of(DocKind::Plan), docs::create(&typed.plan, &meta)?),
        (DocKey::of(DocKind::Review), docs::create(&typed.review, &meta)?),
        (DocKey::of(DocKind::Memo), docs::create(&typed.memo, &meta)?),
        (DocKey::of(DocKind::Approvals), docs::create(&typed.approvals, &meta)?),
    ];
    for (division, doc) in &typed.results {
        pending.push((DocKey::results(division), docs::create(doc, &meta)?));
    }
    // Who wrote with which actor, as the newest year before knows it: sessions issued before
    // this year existed write into it too.
    let known_actors = newest_directory(app, &agency_id).await?.map(|d| d.actors).unwrap_or_default();
    for (key, doc) in pending {
        let row = create_document(app, &agency_id, year, &key, doc).await?;
        let url = format!("automerge:{}", row.doc_id);
        match (&key.kind, &key.division) {
            (DocKind::Plan, _) => urls.plan = url,
            (DocKind::Review, _) => urls.review = url,
            (DocKind::Memo, _) => urls.memo = url,
            (DocKind::Approvals, _) => urls.approvals = url,
            (DocKind::Results, Some(d)) => {
                urls.results.insert(d.clone(), url);
            }
            _ => {}
        }
        created.push(row);
    }
    let mut directory = typed.directory;
    directory.documents = urls;
    for (actor, info) in known_actors {
        directory.actors.entry(actor).or_insert(info);
    }
    // The ITA criteria the year prints under, for devices that may not know them.
    let criteria =
        crate::criteria::for_year(&crate::criteria::reference(&app.db).await?, year, &directory.criteria_form);
    directory.criteria_version = prongsai_core::ita::version_hash(&criteria);
    directory.criteria = serde_json::to_string(&criteria).unwrap_or_default();
    // The server's own changes (creating the year, signatures) are named in history too.
    directory.actors.insert(
        app.server_actor.to_hex_string(),
        prongsai_core::model::ActorInfo {
            username: SERVER_USER.to_string(),
            device: "Prongsai server".to_string(),
            issued_at: now,
        },
    );
    let directory = docs::create(&directory, &meta)?;
    let row = create_document(app, &agency_id, year, &DocKey::of(DocKind::Directory), directory).await?;
    created.insert(0, row);
    // All of the year is registered in one transaction: a year exists whole or not at all, and
    // the registry's key (agency, year, kind, division) lets only one of two concurrent
    // creations (in any process on this database) register.
    register(app, created.clone()).await.map_err(|e| match e {
        AppError::Db(crate::db::DbError::Conflict(_)) => {
            AppError::Conflict(ErrorKind::AlreadyExists, format!("{agency_id} already has documents for {year}"))
        }
        other => other,
    })?;
    tracing::info!(agency = %agency_id, year, documents = created.len(), "created an agency-year");
    Ok(created)
}

/// Creates one document of an agency-year in the agency's repo; answers once it is stored. The
/// caller registers it (and only then can anyone sync it).
pub async fn create_document<D: Database>(
    app: &App<D>,
    agency_id: &str,
    year: i64,
    key: &DocKey,
    doc: prongsai_core::automerge::Automerge,
) -> Result<DocumentRow, AppError> {
    let repo = app.repos.get(agency_id).await?;
    let heads = doc.get_heads();
    let handle = repo.repo.create(doc).await?;
    app.confirm_stored(&handle.document_id().to_string(), &heads).await?;
    let row = DocumentRow {
        doc_id: handle.document_id().to_string(),
        agency_id: agency_id.to_string(),
        year,
        kind: key.kind,
        division: key.division.clone(),
        closed: false,
    };
    Ok(row)
}

/// Registers created documents in one transaction, then has every open connection decide again
/// what it may read: samod asked the policy about each document when it was created, before it
/// was registered, and was told "nothing".
pub async fn register<D: Database>(app: &App<D>, rows: Vec<DocumentRow>) -> Result<(), AppError> {
    app.db.documents_register(rows).await?;
    app.access.invalidate();
    crate::bump_access_epoch(&app.db).await?;
    Ok(())
}

/// The directory of the agency's newest year, if it has one.
pub async fn newest_directory<D: Database>(
    app: &App<D>,
    agency_id: &str,
) -> Result<Option<prongsai_core::model::DirectoryDoc>, AppError> {
    let Some(year) = app.db.years_of(agency_id.to_string()).await?.into_iter().max() else { return Ok(None) };
    let rows = app.db.documents_of(agency_id.to_string(), year).await?;
    let Some(row) = rows.iter().find(|r| r.kind == DocKind::Directory) else { return Ok(None) };
    let handle = app.handle(row).await?;
    let directory = handle.with_document_async(|doc| docs::read::<prongsai_core::model::DirectoryDoc>(doc)).await?;
    Ok(Some(directory?))
}

/// Keeps the fixture's agency as the agency's profile, unless it has one already.
pub async fn keep_profile<D: Database>(app: &App<D>, fixture: &AgencyFixture) -> Result<(), AppError> {
    let id = fixture.agency.id.clone();
    if app.db.agency_profile(id.clone()).await?.is_none() {
        let profile = prongsai_core::profile::AgencyProfile::from_fixture(fixture);
        let json = serde_json::to_string(&profile).map_err(|e| AppError::BadRequest(e.to_string()))?;
        app.db.agency_set_profile(id, json).await?;
    }
    Ok(())
}

/// The name the server's own changes go by in history ("ระบบ" on screen).
pub const SERVER_USER: &str = "server";

/// The sample agency: its documents and its accounts with fresh random passwords.
pub async fn create_sample<D: Database>(
    app: &App<D>,
    fixture: &AgencyFixture,
) -> Result<Vec<CreatedAccount>, AppError> {
    create_agency_year(app, fixture).await?;
    keep_profile(app, fixture).await?;
    let mut accounts = Vec::new();
    for account in &fixture.accounts {
        let password = auth::generate_password();
        create_user(
            app,
            NewAccount {
                agency_id: &fixture.agency.id,
                username: &account.username,
                display_name: &account.display_name,
                position: &account.position,
                division: account.division.clone(),
                roles: account.roles.clone(),
                password: &password,
            },
        )
        .await?;
        accounts.push(CreatedAccount {
            username: account.username.clone(),
            password,
            role: account.roles.first().map(|r| r.as_str().to_string()).unwrap_or_default(),
            division: account.division.clone(),
        });
    }
    Ok(accounts)
}
