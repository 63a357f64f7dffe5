//! The app's page state as a reducer: what is shown and why, changed only by named actions.
//! Tested without a DOM.

use std::collections::BTreeSet;
use std::rc::Rc;

use prongsai_core::app::{Connection, SessionView, SyncState};
use prongsai_core::calendar::Date;
use prongsai_core::calendar::Schedule;
use prongsai_core::model::Status;
use prongsai_core::notifications::{Notification, Person, notifications};
use prongsai_core::tracks::Slot;
use prongsai_core::view::{Cell, MeasureRow, MergedView, ReviewState};
use yew::Reducible;

use crate::i18n::Lang;
use crate::place::Place;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The backend has not answered yet.
    Starting,
    Login,
    /// The central office's picture: matrix, quarters, what waits, approvals.
    Dashboard,
    Table,
    Measure(String),
    /// The report memo: the coordinator's editor, and the memo as it prints for everyone.
    Memo,
    /// Reports in every format: saved on the device (app) or downloaded (web).
    Reports,
    /// User administration (the agency's admin).
    Users,
    /// Changing one's own password.
    Account,
    /// The agency: its years (start, next, close, the ITA result) and, for its admin, the
    /// letterhead, emblem, divisions and approval chain. Where a new agency starts.
    Agency,
    /// What waits for this person (core's `notifications`), with what they marked read.
    Notifications,
    /// The whole ITAS answer sheet of the year.
    Itas,
    /// The year's tracks (plan-and-report pairs besides the integrity measures): adding one, and
    /// each track's projects and results by round.
    Tracks,
}

/// The dashboard's filters: a division, a quarter, a status (each optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DashboardFilter {
    pub division: Option<String>,
    pub quarter: Option<u8>,
    pub status: Option<Status>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub lang: Lang,
    pub route: Route,
    pub session: Option<SessionView>,
    /// The server address last used, to prefill the login page.
    pub last_server: String,
    pub sync: SyncState,
    /// The largest count of unconfirmed changes plus files to upload since the last time it was
    /// zero: the progress bar's 100%.
    pub sync_peak: usize,
    /// The merged picture of the track and round shown (`slot`).
    pub overview: Option<Rc<MergedView>>,
    /// `overview` is the picture this device kept from its last run, shown while the documents
    /// are read (a cold start), not yet a fresh one.
    pub picture_kept: bool,
    /// The integrity measures' picture, which notifications are computed from whatever track
    /// is shown (the same as `overview` when the integrity measures are shown).
    pub integrity: Option<Rc<MergedView>>,
    /// Every round of every other track the year runs, for their notifications (loaded after
    /// the pages' own picture).
    pub track_views: Vec<Rc<MergedView>>,
    /// The track and round the pages show and edit: the integrity measures by default; a
    /// track's last round when it names none.
    pub slot: Slot,
    pub my_division_only: bool,
    /// The date the picture is seen at; today when `None`.
    pub as_of: Option<Date>,
    /// Moves whenever documents change; pages reload what they show when it does.
    pub revision: u64,
    /// An error or notice to show until dismissed.
    pub notice: Option<String>,
    pub filter: DashboardFilter,
    /// The notifications this person marked read (from the server, or the device offline).
    pub read_notifications: BTreeSet<String>,
    /// A page asked for by its address (the one the app was opened at, or Back and Forward) that
    /// cannot show yet: before sign-in, or while its year is opened.
    pub wanted: Option<Place>,
    /// Someone signed out in this window: the addresses it wrote for them (Back) are not kept
    /// for the next person; one typed or pasted is.
    pub signed_out_here: bool,
    /// Counts the address changes the browser made (Back, Forward, a link): the page shown
    /// then replaces the address instead of adding to the history.
    pub navigations: u64,
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
            picture_kept: false,
            integrity: None,
            track_views: Vec::new(),
            slot: Slot::INTEGRITY,
            my_division_only: false,
            as_of: None,
            revision: 0,
            notice: None,
            filter: DashboardFilter::default(),
            read_notifications: BTreeSet::new(),
            wanted: None,
            signed_out_here: false,
            navigations: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Started {
        session: Option<SessionView>,
        sync: SyncState,
    },
    SignedIn {
        session: SessionView,
    },
    SignedOut,
    Sync {
        state: SyncState,
    },
    DocumentsChanged,
    OverviewLoaded {
        overview: Rc<MergedView>,
    },
    /// The picture the device kept from its last run, for a table on screen before the
    /// documents are read; ignored once a fresh one is shown.
    PictureKept {
        overview: Rc<MergedView>,
    },
    /// The pictures of the other tracks' rounds arrived.
    TrackViewsLoaded {
        views: Vec<Rc<MergedView>>,
    },
    /// Show (and edit) another track and round, on `route` when given.
    OpenSlot {
        slot: Slot,
        route: Option<Route>,
    },
    Open {
        route: Route,
    },
    ToggleMyDivision,
    SetLang {
        lang: Lang,
    },
    SetAsOf {
        date: Option<Date>,
    },
    Notice {
        text: String,
    },
    DismissNotice,
    Filter {
        filter: DashboardFilter,
    },
    /// Another year was opened (the year switcher, a year just started).
    /// Another year opened (the switcher, a year just started or chosen, or the same year after
    /// it closed or reopened); unless `stay`, the agency page gives way to the year's first page.
    YearOpened {
        session: SessionView,
        stay: bool,
    },
    /// The notifications this person has marked read, as the backend answered.
    NotificationsRead {
        read: Vec<String>,
    },
    /// The address changed (Back, Forward, a link typed or pasted): show its page; the person's
    /// first page when it names none.
    Navigate {
        place: Option<Place>,
        /// The address is one this window wrote (Back and Forward return to them), not one
        /// typed or pasted.
        written_here: bool,
    },
    /// The page asked for cannot be shown (its year did not open): stay where we are.
    ForgetWanted,
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Started { session, sync } => {
                next.set_sync(sync);
                // Someone signed in before the launch's answer arrived: theirs is the session.
                if next.session.is_some() {
                    return Rc::new(next);
                }
                next.route = match &session {
                    Some(s) => home(s),
                    None => Route::Login,
                };
                next.my_division_only = session.as_ref().is_some_and(staff_first);
                next.session = session;
                next.open_wanted();
            }
            Action::SignedIn { session } => {
                next.last_server = session.server.clone();
                next.my_division_only = staff_first(&session);
                next.route = home(&session);
                next.session = Some(session);
                next.notice = None;
                next.open_wanted();
            }
            Action::SignedOut => {
                if let Some(session) = next.session.take() {
                    next.last_server = session.server;
                }
                // The pages of whoever was signed in are theirs: Back after signing out must not
                // hand one to the next person on this tablet.
                next.wanted = None;
                next.signed_out_here = true;
                next.overview = None;
                next.integrity = None;
                next.track_views.clear();
                next.slot = Slot::INTEGRITY;
                next.read_notifications.clear();
                next.route = Route::Login;
            }
            Action::Sync { state } => {
                if state.connection == Connection::SignedOut && next.session.is_some() {
                    return Rc::new(next).reduce(Action::SignedOut);
                }
                next.set_sync(state);
            }
            Action::DocumentsChanged => next.revision += 1,
            Action::OverviewLoaded { overview } => {
                // A picture of the year shown before another was opened, arriving late.
                if !next.of_this_year(&overview) {
                    return self;
                }
                if overview.slot.is_integrity() {
                    next.integrity = Some(overview.clone());
                }
                // A picture of another track than the one now shown arrived late: not this page's.
                if shows(&next.slot, &overview.slot) {
                    next.overview = Some(overview);
                    next.picture_kept = false;
                }
            }
            Action::PictureKept { overview } => {
                if next.overview.is_none() && shows(&next.slot, &overview.slot) && next.of_this_year(&overview) {
                    next.overview = Some(overview);
                    next.picture_kept = true;
                }
            }
            Action::TrackViewsLoaded { views } => next.track_views = views,
            Action::OpenSlot { slot, route } => {
                // A page chosen now wins over one still waiting for its year.
                next.wanted = None;
                next.show_slot(slot);
                if let Some(route) = route {
                    next.route = route;
                }
            }
            Action::Open { route } => {
                next.wanted = None;
                next.route = route;
            }
            Action::ToggleMyDivision => next.my_division_only = !next.my_division_only,
            Action::SetLang { lang } => next.lang = lang,
            Action::SetAsOf { date } => next.as_of = date,
            Action::Notice { text } => next.notice = Some(text),
            Action::DismissNotice => next.notice = None,
            Action::Filter { filter } => next.filter = filter,
            // Marks only ever grow (the server drops only the oldest, long gone), so a list fetched
            // before a mark was stored, arriving after the mark's own answer, adds nothing and
            // takes nothing away.
            Action::NotificationsRead { read } => next.read_notifications.extend(read),
            Action::Navigate { place, written_here } => {
                let Some(session) = &next.session else {
                    // Not signed in: the page opens once someone is, unless it is one the
                    // person who just signed out saw (Back after signing out).
                    if !(next.signed_out_here && written_here) {
                        next.wanted = place;
                    }
                    return Rc::new(next);
                };
                let home = home(session);
                next.navigations += 1;
                match place {
                    Some(place) if Some(&place) == self.wanted.as_ref() => return self,
                    // Back to the page shown while another waited for its year: that one is
                    // no longer wanted.
                    Some(place) if Some(&place) == self.place().as_ref() => {
                        if self.wanted.is_none() {
                            return self;
                        }
                        next.wanted = None;
                    }
                    Some(place) => {
                        next.wanted = Some(place);
                        // A page that cannot be shown here: the person's first page.
                        if !next.open_wanted() && next.wanted.is_none() {
                            next.route = home;
                        }
                    }
                    None => next.route = home,
                }
            }
            Action::ForgetWanted => next.wanted = None,
            Action::YearOpened { session, stay } => {
                next.overview = None;
                next.integrity = None;
                next.track_views.clear();
                next.slot = Slot::INTEGRITY;
                next.revision += 1;
                next.as_of = None;
                if next.route == Route::Agency && session.year != 0 && !stay {
                    next.route = home(&session);
                }
                next.session = Some(session);
                next.open_wanted();
            }
        }
        Rc::new(next)
    }
}

/// Whether a picture of `view` (its round resolved) is one of `wanted` (a track's last round
/// when it names none).
fn shows(wanted: &Slot, view: &Slot) -> bool {
    wanted.track == view.track && (wanted.round.is_none() || wanted.round == view.round)
}

/// What is still on its way to the server: changes not confirmed and files not uploaded.
fn waiting(state: &SyncState) -> usize {
    state.unconfirmed + state.uploads_pending
}

/// Division staff start on the measure table; the central office (coordinator, approvers,
/// viewers, the web dashboard) on the dashboard.
fn home(session: &SessionView) -> Route {
    if session.enroll_second_factor {
        // Nothing else answers until the second factor the agency requires is set up.
        Route::Account
    } else if session.year == 0 {
        // A new agency: set it up and start its first year.
        Route::Agency
    } else if staff_first(session) {
        Route::Table
    } else {
        Route::Dashboard
    }
}

/// Pages that are the agency's or the person's, whatever year is shown.
fn yearless(route: &Route) -> bool {
    matches!(route, Route::Users | Route::Account | Route::Agency)
}

/// People who work in one division start with the table filtered to it.
fn staff_first(session: &SessionView) -> bool {
    use prongsai_core::model::Role;
    session.division.is_some() && !session.has_role(&Role::Coordinator)
}

impl AppState {
    /// A fresh state that opens the page at `fragment` (the address the app was opened at) once
    /// someone is signed in.
    pub fn at(fragment: &str) -> AppState {
        AppState { wanted: Place::parse(fragment), ..AppState::default() }
    }

    /// Whether `view` is of the year the session shows (a late answer may be of the one before).
    fn of_this_year(&self, view: &MergedView) -> bool {
        self.session.as_ref().is_none_or(|s| s.year == 0 || view.year == s.year)
    }

    /// The page shown, as its address names it (`None` while opening or signing in).
    pub fn place(&self) -> Option<Place> {
        let session = self.session.as_ref()?;
        (!matches!(self.route, Route::Starting | Route::Login)).then(|| Place {
            route: self.route.clone(),
            year: (session.year != 0).then_some(session.year),
            slot: self.slot.clone(),
        })
    }

    /// The year a page asked for is in, when it is another the person may open: the app opens
    /// it, and the page then.
    pub fn wanted_year(&self) -> Option<i64> {
        let (place, session) = (self.wanted.as_ref()?, self.session.as_ref()?);
        let opens = !session.enroll_second_factor && !yearless(&place.route);
        place.year.filter(|y| opens && *y != session.year && session.years.contains(y))
    }

    /// Shows the page asked for, once it can be: a page of another year waits until that year
    /// is open; a year this person cannot open, a new agency's year pages, and everything before
    /// the second factor the agency requires is set up are forgotten (the first page stays).
    /// Answers whether it opened; `wanted` is still set when it waits for its year.
    fn open_wanted(&mut self) -> bool {
        if self.session.is_none() || self.wanted_year().is_some() {
            return false;
        }
        let (Some(place), Some(session)) = (self.wanted.take(), &self.session) else { return false };
        let yearless = yearless(&place.route);
        let other_year = !yearless && place.year.is_some_and(|y| y != session.year);
        if other_year || session.enroll_second_factor || (session.year == 0 && !yearless) {
            return false;
        }
        self.show_slot(place.slot);
        self.route = place.route;
        true
    }

    /// Shows another track or round: its own picture (none until read) and no filter.
    fn show_slot(&mut self, slot: Slot) {
        if self.slot != slot {
            self.slot = slot;
            self.overview = None;
            self.filter = DashboardFilter::default();
        }
    }

    fn set_sync(&mut self, state: SyncState) {
        let waiting = waiting(&state);
        self.sync_peak = if waiting == 0 { 0 } else { self.sync_peak.max(waiting) };
        self.sync = state;
    }

    /// Share of the current burst of changes and uploads the server has confirmed, 0..=100;
    /// `None` when nothing is waiting.
    pub fn sync_progress(&self) -> Option<u8> {
        (self.sync_peak > 0).then(|| {
            let done = self.sync_peak.saturating_sub(waiting(&self.sync));
            u8::try_from(done * 100 / self.sync_peak).unwrap_or(100)
        })
    }

    /// What waits for the signed-in person in the year shown, most pressing first.
    /// Nothing waits in a closed year: nobody may act on it until the admin reopens it.
    pub fn notifications(&self) -> Vec<Notification> {
        let (Some(overview), Some(session)) = (&self.integrity, &self.session) else { return Vec::new() };
        if session.closed {
            return Vec::new();
        }
        let person =
            Person { username: &session.username, roles: &session.roles, division: session.division.as_deref() };
        std::iter::once(overview).chain(&self.track_views).flat_map(|view| notifications(view, person)).collect()
    }

    /// How many of them this person has not marked read.
    pub fn unread_notifications(&self) -> usize {
        prongsai_core::notifications::unread(&self.notifications(), &self.read_notifications)
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

    /// The dashboard's matrix after its filters: the measures shown and, per measure, the
    /// divisions' cells shown (a quarter keeps measures scheduled in it; a status keeps cells in
    /// that status; a division keeps that division's cells).
    pub fn dashboard_rows(&self) -> Vec<(&MeasureRow, Vec<&Cell>)> {
        let Some(overview) = &self.overview else { return Vec::new() };
        let f = &self.filter;
        overview
            .measures
            .iter()
            .filter(|m| {
                f.quarter
                    .is_none_or(|q| Schedule::parse(&m.schedule).is_ok_and(|s| s.quarters().any(|x| x.number() == q)))
            })
            .filter_map(|m| {
                let cells: Vec<&Cell> = m
                    .cells
                    .iter()
                    .filter(|c| f.division.as_ref().is_none_or(|d| &c.division == d))
                    .filter(|c| f.status.as_ref().is_none_or(|s| &c.status == s))
                    .collect();
                let filtered = f.division.is_some() || f.status.is_some();
                (!filtered || !cells.is_empty()).then_some((m, cells))
            })
            .collect()
    }

    /// `as_of` as the backend takes it.
    pub fn as_of_text(&self) -> Option<String> {
        self.as_of.map(|d| d.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(state: &Rc<AppState>, ids: &[&str]) -> Rc<AppState> {
        state.clone().reduce(Action::NotificationsRead { read: ids.iter().map(|s| s.to_string()).collect() })
    }

    /// Opening a notice marks it (POST) and leaves the list, which fetches the marks again (GET);
    /// the GET's answer can come back after the POST's and must not unmark what was just read.
    #[test]
    fn a_stale_list_of_marks_does_not_unmark_what_was_just_read() {
        let state = Rc::new(AppState::default());
        let after_mark = marked(&state, &["a", "b"]);
        let after_stale_fetch = marked(&after_mark, &["a"]);
        assert!(after_stale_fetch.read_notifications.contains("b"), "b stays read");
        let signed_out = after_stale_fetch.reduce(Action::SignedOut);
        assert!(signed_out.read_notifications.is_empty(), "the next person starts with no marks");
    }
}
