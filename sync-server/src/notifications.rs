//! Which notifications a person has marked read, kept per person on the server so that reading
//! one on the web clears it in the app too. The notifications themselves are computed from the
//! documents wherever they are shown (core's `notifications`), offline too; only the marks are
//! stored here.

use axum::Json;
use axum::extract::State;
use prongsai_core::wire::{MarkRead, NotificationsRead};

use crate::api::Caller;
use crate::app::{App, AppError};
use crate::db::Database;
use crate::routes::{RouteTable, Scope};

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.get(Scope::Session, "/api/me/notifications/read", read::<D>).post(
        Scope::Session,
        "/api/me/notifications/read",
        mark::<D>,
    );
}

fn key(agency: &str, username: &str) -> String {
    format!("notifications-read/{agency}/{username}")
}

async fn load<D: Database>(app: &App<D>, agency: &str, username: &str) -> Result<Vec<String>, AppError> {
    Ok(parse(app.db.setting(key(agency, username)).await?))
}

fn parse(stored: Option<String>) -> Vec<String> {
    stored.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

async fn read<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
) -> Result<Json<NotificationsRead>, AppError> {
    Ok(Json(NotificationsRead { read: load(&app, &caller.user.agency_id, &caller.user.username).await? }))
}

/// One person's marks change one request at a time, on whichever node each reaches (a read and a
/// write of the whole list in one step of the database).
async fn mark<D: Database>(
    State(app): State<App<D>>,
    Caller(caller): Caller,
    Json(request): Json<MarkRead>,
) -> Result<Json<NotificationsRead>, AppError> {
    if request.ids.len() > MarkRead::MAX_IDS {
        return Err(AppError::BadRequest(format!("at most {} ids at once", MarkRead::MAX_IDS)));
    }
    if request.ids.iter().any(|id| id.is_empty() || id.chars().count() > MarkRead::MAX_ID_CHARS) {
        return Err(AppError::BadRequest(format!("an id is empty or over {} characters", MarkRead::MAX_ID_CHARS)));
    }
    let ids = request.ids;
    let change = move |stored: Option<String>| {
        let mut marks = NotificationsRead { read: parse(stored) };
        marks.mark(ids);
        serde_json::to_string(&marks.read).expect("plain data")
    };
    let stored = app.db.setting_update(key(&caller.user.agency_id, &caller.user.username), Box::new(change)).await?;
    Ok(Json(NotificationsRead { read: parse(Some(stored)) }))
}
