//! The app's page state as a reducer: what is shown and why, changed only by named actions.
//! Tested without a DOM.

use std::rc::Rc;

use prongsai_core::app::{Connection, SessionView, SyncState};
use prongsai_core::calendar::Date;
use prongsai_core::view::{MeasureRow, MergedView, ReviewState};
use yew::Reducible;

use crate::i18n::Lang;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The backend has not answered yet.
    Starting,
    Login,
    Table,
    Measure(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub lang: Lang,
    pub route: Route,
    pub session: Option<SessionView>,
    /// The server address last used, to prefill the login page.
    pub last_server: String,
    pub sync: SyncState,
    /// The largest count of unconfirmed changes since the last time it was zero: the progress
    /// bar's 100%.
    pub sync_peak: usize,
    pub overview: Option<Rc<MergedView>>,
    pub my_division_only: bool,
    /// The date the picture is seen at; today when `None`.
    pub as_of: Option<Date>,
    /// Moves whenever documents change; pages reload what they show when it does.
    pub revision: u64,
    /// An error or notice to show until dismissed.
    pub notice: Option<String>,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            lang: Lang::Th,
            route: Route::Starting,
            session: None,
            last_server: String::new(),
            sync: SyncState::default(),
            sync_peak: 0,
            overview: None,
            my_division_only: false,
            as_of: None,
            revision: 0,
            notice: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Started { session: Option<SessionView>, sync: SyncState },
    SignedIn { session: SessionView },
    SignedOut,
    Sync { state: SyncState },
    DocumentsChanged,
    OverviewLoaded { overview: MergedView },
    Open { route: Route },
    ToggleMyDivision,
    SetLang { lang: Lang },
    SetAsOf { date: Option<Date> },
    Notice { text: String },
    DismissNotice,
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Started { session, sync } => {
                next.route = if session.is_some() { Route::Table } else { Route::Login };
                next.my_division_only = session.as_ref().is_some_and(staff_first);
                next.session = session;
                next.set_sync(sync);
            }
            Action::SignedIn { session } => {
                next.last_server = session.server.clone();
                next.my_division_only = staff_first(&session);
                next.session = Some(session);
                next.route = Route::Table;
                next.notice = None;
            }
            Action::SignedOut => {
                if let Some(session) = next.session.take() {
                    next.last_server = session.server;
                }
                next.overview = None;
                next.route = Route::Login;
            }
            Action::Sync { state } => {
                if state.connection == Connection::SignedOut && next.session.is_some() {
                    return Rc::new(next).reduce(Action::SignedOut);
                }
                next.set_sync(state);
            }
            Action::DocumentsChanged => next.revision += 1,
            Action::OverviewLoaded { overview } => next.overview = Some(Rc::new(overview)),
            Action::Open { route } => next.route = route,
            Action::ToggleMyDivision => next.my_division_only = !next.my_division_only,
            Action::SetLang { lang } => next.lang = lang,
            Action::SetAsOf { date } => next.as_of = date,
            Action::Notice { text } => next.notice = Some(text),
            Action::DismissNotice => next.notice = None,
        }
        Rc::new(next)
    }
}

/// People who work in one division start with the table filtered to it.
fn staff_first(session: &SessionView) -> bool {
    use prongsai_core::model::Role;
    session.division.is_some() && !session.has_role(&Role::Coordinator)
}

impl AppState {
    fn set_sync(&mut self, state: SyncState) {
        self.sync_peak = if state.unconfirmed == 0 { 0 } else { self.sync_peak.max(state.unconfirmed) };
        self.sync = state;
    }

    /// Share of the current burst of changes the server has confirmed, 0..=100; `None` when
    /// nothing is waiting.
    pub fn sync_progress(&self) -> Option<u8> {
        (self.sync_peak > 0).then(|| {
            let done = self.sync_peak.saturating_sub(self.sync.unconfirmed);
            u8::try_from(done * 100 / self.sync_peak).unwrap_or(100)
        })
    }

    /// The measures the table shows: all, or those of the person's division.
    pub fn visible_measures(&self) -> Vec<&MeasureRow> {
        let Some(overview) = &self.overview else { return Vec::new() };
        let division = self.session.as_ref().and_then(|s| s.division.as_deref());
        overview
            .measures
            .iter()
            .filter(|m| match (self.my_division_only, division) {
                (true, Some(d)) => m.responsible.iter().any(|r| r == d),
                _ => true,
            })
            .collect()
    }

    /// The person's division's results the coordinator returned: shown first, with the comment.
    pub fn returned_to_me(&self) -> Vec<(&MeasureRow, &str)> {
        let (Some(overview), Some(division)) =
            (&self.overview, self.session.as_ref().and_then(|s| s.division.as_deref()))
        else {
            return Vec::new();
        };
        overview
            .measures
            .iter()
            .filter_map(|m| {
                let cell = m.cells.iter().find(|c| c.division == division && c.review == ReviewState::Returned)?;
                Some((m, cell.review_comment.as_deref().unwrap_or("")))
            })
            .collect()
    }

    /// `as_of` as the backend takes it.
    pub fn as_of_text(&self) -> Option<String> {
        self.as_of.map(|d| d.to_string())
    }
}
