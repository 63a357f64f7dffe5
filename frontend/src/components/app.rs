//! The root: asks the backend what to show, listens to its events, and routes between the pages.

use prongsai_core::app::SyncState;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use super::agency::AgencyPage;
use super::dashboard::DashboardPage;
use super::itas::ItasPage;
use super::login::LoginPage;
use super::measure::MeasurePage;
use super::memo::MemoPage;
use super::notifications::NotificationsPage;
use super::reports::ReportsPage;
use super::sync::SyncIndicator;
use super::table::TablePage;
use super::users::{AccountPage, UsersPage};
use crate::backend;
use crate::place::Place;
use crate::state::{Action, AppState, Route};
use prongsai_core::tracks::Slot;

/// The track and round the pages show, when the year runs more than the integrity measures:
/// each round of each track is one choice (a track's pages, edits and exports follow it).
fn track_switcher(state: &UseReducerHandle<AppState>) -> Html {
    let lang = state.lang;
    let tracks = state.integrity.as_ref().or(state.overview.as_ref()).map(|o| o.tracks.clone()).unwrap_or_default();
    if tracks.len() < 2 {
        return html! {};
    }
    let value_of = |slot: &Slot| match (&slot.track, &slot.round) {
        (Some(t), Some(r)) => format!("{t}/{r}"),
        (Some(t), None) => t.clone(),
        _ => String::new(),
    };
    // The round shown: the state's, or the one the picture resolved (a track's last).
    let shown = state.overview.as_ref().map(|o| o.slot.clone()).filter(|s| s.track == state.slot.track);
    let current = value_of(shown.as_ref().unwrap_or(&state.slot));
    let onchange = {
        let app = state.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let (track, round) = value.split_once('/').map_or((value.as_str(), None), |(t, r)| (t, Some(r)));
            let slot = Slot::of(Some(track), round);
            // The memo page shows the memo of the round chosen; the sheet is the year's and a
            // measure the track's: another track opens on its table from those.
            let route = matches!(app.route, Route::Itas | Route::Measure(_)).then_some(Route::Table);
            app.dispatch(Action::OpenSlot { slot, route });
        })
    };
    let options = tracks.iter().flat_map(|t| {
        let choices: Vec<(String, String)> = if t.rounds.is_empty() {
            vec![(String::new(), t.title.clone())]
        } else {
            t.rounds.iter().map(|r| (format!("{}/{}", t.id, r.id), t.title_with_round(&r.id))).collect()
        };
        choices.into_iter().map(|(value, label)| {
            let selected = value == current;
            html! { <option value={value} selected={selected} title={label.clone()}>{ label }</option> }
        })
    });
    html! {
        <select class="track-switcher" onchange={onchange} aria-label={lang.pick("แผนงาน", "Track")} data-testid="track-switcher">
            { for options }
        </select>
    }
}

/// The address's fragment (`#/table?year=2568`), empty outside a browser.
fn address() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The history state of the entries this window writes: Back and Forward return to them, while an
/// address typed or pasted has none.
const WRITTEN_HERE: &str = "prongsai";

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| AppState::at(&address()));

    // The phone's menu, open or not: any page opened (or track, or year) closes it.
    let menu_open = use_state(|| false);

    // A page opens at its top, not scrolled to where the previous page was (under the sticky bar).
    {
        let menu_open = menu_open.clone();
        use_effect_with((state.route.clone(), state.slot.clone(), state.session.as_ref().map(|s| s.year)), move |_| {
            menu_open.set(false);
            if let Some(window) = web_sys::window() {
                window.scroll_to_with_x_and_y(0.0, 0.0);
            }
        });
    }

    // Once: what to show first, and the backend's events.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let app = state.clone();
            spawn_local(async move {
                match backend::startup().await {
                    Ok(startup) => app.dispatch(Action::Started { session: startup.session, sync: startup.sync }),
                    Err(e) => {
                        app.dispatch(Action::Started { session: None, sync: SyncState::default() });
                        app.dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) });
                    }
                }
            });
            let sync = state.dispatcher();
            backend::listen(backend::SYNC_EVENT, move |s: SyncState| sync.dispatch(Action::Sync { state: s }));
            // A tablet's device is open in another tab: this one waits for it, and says so.
            let waiting = state.clone();
            backend::listen(backend::DEVICE_WAITING_EVENT, move |_: serde_json::Value| {
                waiting.dispatch(Action::Notice { text: waiting.lang.error("other_tab").to_string() })
            });
            let changed = state.dispatcher();
            backend::listen(backend::CHANGED_EVENT, move |_: serde_json::Value| {
                changed.dispatch(Action::DocumentsChanged)
            });
            // Back, Forward, a link typed or pasted: the page its address names.
            let navigate = state.dispatcher();
            let on_address = Closure::<dyn Fn()>::new(move || {
                let written_here = web_sys::window()
                    .and_then(|w| w.history().ok())
                    .and_then(|h| h.state().ok())
                    .and_then(|s| s.as_string())
                    .is_some_and(|s| s == WRITTEN_HERE);
                navigate.dispatch(Action::Navigate { place: Place::parse(&address()), written_here })
            });
            if let Some(window) = web_sys::window() {
                for event in ["popstate", "hashchange"] {
                    let _ = window.add_event_listener_with_callback(event, on_address.as_ref().unchecked_ref());
                }
            }
            on_address.forget();
        });
    }

    // The page shown is the address: a new page is a new history entry (Back returns to the
    // one before); the first page after opening or signing in, and the page the browser moved to
    // (an address that cannot be shown gives the first page), replace the address instead.
    // Nothing is written while the page asked for waits for its year.
    {
        let written = use_mut_ref(|| None::<u64>);
        let fragment = state.place().and_then(|p| p.fragment());
        let navigations = state.navigations;
        use_effect_with((fragment, state.wanted.is_some(), navigations), move |(fragment, waiting, navigations)| {
            match fragment {
                _ if *waiting => {}
                None => *written.borrow_mut() = None,
                Some(fragment) => {
                    if let Some(window) = web_sys::window()
                        && let Ok(history) = window.history()
                    {
                        let mark = JsValue::from_str(WRITTEN_HERE);
                        let _ = if address() == *fragment {
                            // An address typed or pasted, now shown to the person signed in:
                            // marked as theirs, like the ones written here.
                            history.replace_state(&mark, "")
                        } else if *written.borrow() == Some(*navigations) {
                            history.push_state_with_url(&mark, "", Some(fragment))
                        } else {
                            history.replace_state_with_url(&mark, "", Some(fragment))
                        };
                    }
                    *written.borrow_mut() = Some(*navigations);
                }
            }
        });
    }

    // A page of another year was asked for: that year opens, then the page.
    {
        let app = state.clone();
        use_effect_with(state.wanted_year(), move |year| {
            if let Some(year) = *year {
                spawn_local(async move {
                    match backend::set_year(year).await {
                        Ok(session) => app.dispatch(Action::YearOpened { session, stay: true }),
                        Err(e) => {
                            app.dispatch(Action::ForgetWanted);
                            app.dispatch(Action::Notice {
                                text: format!("{} ({})", app.lang.error(&e.kind), e.message),
                            });
                        }
                    }
                });
            }
        });
    }

    // The merged picture of the track shown, reloaded whenever documents change, the date is
    // moved or another track is opened; and the integrity measures' too when another track is
    // shown, since notifications are computed from it.
    {
        let app = state.clone();
        // A new agency has no year yet: nothing to picture until one is started.
        let signed_in = state.session.as_ref().is_some_and(|s| s.year != 0);
        use_effect_with(
            (signed_in, state.revision, state.as_of, state.slot.clone()),
            move |(signed_in, _, as_of, slot)| {
                if *signed_in {
                    let as_of = as_of.map(|d| d.to_string());
                    let slot = slot.clone();
                    // Nothing on screen yet (a cold start, or another track opened): the picture
                    // the device kept shows while the documents are read.
                    if app.overview.is_none() && as_of.is_none() {
                        let (app, slot) = (app.clone(), slot.clone());
                        spawn_local(async move {
                            if let Ok(Some(kept)) = backend::last_overview(&slot).await {
                                app.dispatch(Action::PictureKept { overview: std::rc::Rc::new(kept) });
                            }
                        });
                    }
                    spawn_local(async move {
                        let mut wanted = vec![slot.clone()];
                        if !slot.is_integrity() {
                            wanted.push(Slot::INTEGRITY);
                        }
                        for slot in wanted {
                            match backend::overview(as_of.as_deref(), &slot).await {
                                Ok(overview) => {
                                    app.dispatch(Action::OverviewLoaded { overview: std::rc::Rc::new(overview) })
                                }
                                Err(e) => app.dispatch(Action::Notice {
                                    text: format!("{} ({})", app.lang.error(&e.kind), e.message),
                                }),
                            }
                        }
                    });
                }
            },
        );
    }

    // Every round of the other tracks, for what waits there (after the pages' own picture).
    {
        let app = state.clone();
        let tracks = state.integrity.as_ref().map(|o| o.tracks.clone()).unwrap_or_default();
        use_effect_with((tracks, state.revision, state.as_of), move |(tracks, _, as_of)| {
            let (tracks, as_of) = (tracks.clone(), as_of.map(|d| d.to_string()));
            if tracks.len() > 1 {
                spawn_local(async move {
                    if let Ok(views) = backend::track_overviews(as_of.as_deref(), &tracks).await {
                        let views = views.into_iter().map(std::rc::Rc::new).collect();
                        app.dispatch(Action::TrackViewsLoaded { views });
                    }
                });
            }
        });
    }

    // What this person marked read: at sign-in, and again whenever the list is opened.
    {
        let app = state.clone();
        let who = state.session.as_ref().map(|s| s.username.clone());
        let opened = state.route == Route::Notifications;
        use_effect_with((who, opened), move |(who, _)| {
            if who.is_some() {
                spawn_local(async move {
                    if let Ok(marks) = backend::notifications_read().await {
                        app.dispatch(Action::NotificationsRead { read: marks.read });
                    }
                });
            }
        });
    }

    let lang = state.lang;
    let switch_lang = {
        let app = state.clone();
        Callback::from(move |_| app.dispatch(Action::SetLang { lang: app.lang.other() }))
    };
    // Signing out with changes the server has not confirmed asks first: they stay on this device
    // and go up only when the same person signs in here again.
    let confirm_sign_out = use_state(|| false);
    let sign_out = {
        let (app, confirm) = (state.clone(), confirm_sign_out.clone());
        Callback::from(move |_| {
            if app.sync.unconfirmed > 0 && !*confirm {
                confirm.set(true);
                return;
            }
            confirm.set(false);
            let app = app.clone();
            spawn_local(async move {
                let _ = backend::sign_out().await;
                // The next person signing in starts on their own first page.
                if let Some(window) = web_sys::window()
                    && let Ok(history) = window.history()
                {
                    let bare = window.location().pathname().unwrap_or_default();
                    let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&bare));
                }
                app.dispatch(Action::SignedOut);
            });
        })
    };
    let dismiss = {
        let app = state.clone();
        Callback::from(move |_| app.dispatch(Action::DismissNotice))
    };
    // A tab closes the phone's menu, the one already shown too.
    let go = |route: Route| {
        let app = state.clone();
        let menu_open = menu_open.clone();
        Callback::from(move |_| {
            menu_open.set(false);
            app.dispatch(Action::Open { route: route.clone() })
        })
    };
    let toggle_menu = {
        let menu_open = menu_open.clone();
        Callback::from(move |_| menu_open.set(!*menu_open))
    };
    let close_menu = {
        let menu_open = menu_open.clone();
        Callback::from(move |_: MouseEvent| menu_open.set(false))
    };
    // Escape closes the menu and gives the keyboard back to its button.
    let menu_button = use_node_ref();
    let menu_keys = {
        let menu_open = menu_open.clone();
        let menu_button = menu_button.clone();
        Callback::from(move |e: KeyboardEvent| {
            if *menu_open && e.key() == "Escape" {
                menu_open.set(false);
                if let Some(button) = menu_button.cast::<web_sys::HtmlElement>() {
                    let _ = button.focus();
                }
            }
        })
    };
    let go_home = go(Route::Table);
    let signed_in = state.session.is_some();
    let on = |route: &Route| (state.route == *route).then_some("active");
    let page = match &state.route {
        Route::Starting => html! { <p class="loading">{ lang.pick("กำลังเปิด…", "Opening…") }</p> },
        Route::Login => html! { <LoginPage /> },
        Route::Dashboard => html! { <DashboardPage /> },
        Route::Table => html! { <TablePage /> },
        Route::Measure(id) => html! { <MeasurePage id={id.clone()} /> },
        Route::Memo => html! { <MemoPage /> },
        Route::Reports => html! { <ReportsPage /> },
        Route::Users => html! { <UsersPage /> },
        Route::Account => html! { <AccountPage /> },
        Route::Agency => html! { <AgencyPage /> },
        Route::Notifications => html! { <NotificationsPage /> },
        Route::Itas => html! { <ItasPage /> },
        Route::Tracks => html! { <super::tracks::TracksPage /> },
    };
    let unread = state.unread_notifications();
    let has_year = state.session.as_ref().is_some_and(|s| s.year != 0);
    let plans = state.session.as_ref().is_some_and(|s| {
        s.has_role(&prongsai_core::model::Role::Admin) || s.has_role(&prongsai_core::model::Role::Coordinator)
    });
    let switch_year = {
        let app = state.clone();
        Callback::from(move |e: Event| {
            let Ok(year) = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value().parse::<i64>() else {
                return;
            };
            let app = app.clone();
            spawn_local(async move {
                match backend::set_year(year).await {
                    Ok(session) => app.dispatch(Action::YearOpened { session, stay: false }),
                    Err(e) => {
                        app.dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) })
                    }
                }
            });
        })
    };
    let year_switcher = state.session.as_ref().filter(|s| s.year != 0 && s.years.len() > 1).map(|s| {
        html! {
            <select class="year-switcher" onchange={switch_year} aria-label={lang.pick("ปีงบประมาณ", "Fiscal year")} data-testid="year-switcher" data-year={s.year.to_string()}>
                { for s.years.iter().rev().map(|y| html! {
                    <option value={y.to_string()} selected={*y == s.year}>
                        { format!("{} {}{}", lang.pick("ปีงบประมาณ", "FY"), prongsai_core::thai::to_thai_digits(&y.to_string()),
                            if *y == s.current_year { lang.pick(" (ปีปัจจุบัน)", " (current)") } else { "" }) }
                    </option>
                }) }
            </select>
        }
    });
    let track_switcher = track_switcher(&state);
    let banners = state.session.as_ref().map(|s| {
        html! {
            <>
                if s.closed {
                    <div class="banner closed" role="status" data-testid="year-closed">
                        { format!("{} {} {}", lang.pick("ปีงบประมาณ", "Fiscal year"), prongsai_core::thai::to_thai_digits(&s.year.to_string()),
                            lang.pick("ปิดแล้ว อ่านได้อย่างเดียว", "is closed: read only")) }
                    </div>
                }
                if s.update_required {
                    <div class="banner update" role="alert" data-testid="update-required">
                        { lang.pick("เอกสารของปีนี้สร้างด้วยแอปรุ่นใหม่กว่า กรุณาอัปเดตแอป (อ่านได้ แต่จะไม่บันทึกการแก้ไข)",
                            "This year's documents were written by a newer version: update the app (you can read, nothing is saved)") }
                    </div>
                }
                if has_year && s.year != s.current_year && s.years.contains(&s.current_year) {
                    <div class="banner other-year" role="status" data-testid="other-year">
                        { format!("{} {}", lang.pick("กำลังดูปีงบประมาณ", "Viewing fiscal year"), prongsai_core::thai::to_thai_digits(&s.year.to_string())) }
                    </div>
                }
            </>
        }
    });
    let is_admin = state.session.as_ref().is_some_and(|s| s.has_role(&prongsai_core::model::Role::Admin));
    let who = state.session.as_ref().map(|s| {
        let division = s.division_name.clone().map(|d| format!(" · {d}")).unwrap_or_default();
        format!("{}{division}", s.display_name)
    });
    html! {
        <ContextProvider<AppContext> context={state.clone()}>
            <div class="app" lang={lang.code()}>
                <header class={classes!("topbar", signed_in.then_some("signed-in"), menu_open.then_some("menu-open"))} onkeydown={menu_keys}>
                    <button class="brand link" onclick={go_home}>
                        <img src="icon.png" alt="" width="28" height="28" />
                        <span>{ state.overview.as_ref().map(|o| o.agency.short_name.clone()).unwrap_or_else(|| lang.pick("โปร่งใส", "Prongsai").to_string()) }</span>
                    </button>
                    if signed_in {
                        <button class="menu-toggle small" onclick={toggle_menu} aria-expanded={(*menu_open).to_string()} ref={menu_button}
                            aria-controls="topbar-menu" data-testid="nav-menu">
                            { if *menu_open { lang.pick("ปิดเมนู", "Close menu") } else { lang.pick("เมนู", "Menu") } }
                            if unread > 0 && !*menu_open {
                                <span class="count" aria-hidden="true">{ prongsai_core::thai::to_thai_digits(&unread.to_string()) }</span>
                            }
                        </button>
                        <SyncIndicator state={state.sync.clone()} progress={state.sync_progress()} lang={lang} />
                    }
                    // On a phone, everything else is one menu under the bar.
                    <div class="topbar-menu" id="topbar-menu">
                        if signed_in {
                            { year_switcher.unwrap_or_default() }
                            { track_switcher }
                            <nav class="tabs">
                                if has_year {
                                    <button class={classes!("tab", on(&Route::Dashboard))} onclick={go(Route::Dashboard)} data-testid="nav-dashboard">{ lang.pick("ภาพรวม", "Overview") }</button>
                                    <button class={classes!("tab", on(&Route::Table))} onclick={go(Route::Table)} data-testid="nav-table">{
                                        if state.slot.is_integrity() { lang.pick("ตารางมาตรการ", "Measures") } else { lang.pick("ตารางโครงการ", "Projects") }
                                    }</button>
                                    // The report memo of the track and round shown.
                                    <button class={classes!("tab", on(&Route::Memo))} onclick={go(Route::Memo)} data-testid="nav-memo">{ lang.pick("บันทึกข้อความ", "Memo") }</button>
                                    <button class={classes!("tab", on(&Route::Reports))} onclick={go(Route::Reports)} data-testid="nav-reports">{ lang.pick("รายงาน", "Reports") }</button>
                                    <button class={classes!("tab", on(&Route::Itas))} onclick={go(Route::Itas)} data-testid="nav-itas">{ "ITAS" }</button>
                                    <button class={classes!("tab", on(&Route::Tracks))} onclick={go(Route::Tracks)} data-testid="nav-tracks">{ lang.pick("แผนงาน", "Tracks") }</button>
                                }
                                if plans {
                                    <button class={classes!("tab", on(&Route::Agency))} onclick={go(Route::Agency)} data-testid="nav-agency">{ lang.pick("หน่วยงานและปีงบประมาณ", "Agency and years") }</button>
                                }
                                if is_admin {
                                    <button class={classes!("tab", on(&Route::Users))} onclick={go(Route::Users)} data-testid="nav-users">{ lang.pick("ผู้ใช้", "Users") }</button>
                                }
                            </nav>
                        }
                        <div class="topbar-end">
                            if let Some(who) = who { <span class="who" data-testid="who">{ who }</span> }
                            <button class="small" onclick={switch_lang} data-testid="lang">{ lang.pick("English", "ภาษาไทย") }</button>
                            if has_year {
                                <button class={classes!("small", "bell", on(&Route::Notifications), (unread > 0).then_some("unread"))}
                                    onclick={go(Route::Notifications)} data-testid="nav-notifications"
                                    aria-label={lang.pick("การแจ้งเตือน", "Notifications")}>
                                    { lang.pick("แจ้งเตือน", "Alerts") }
                                    <span class="count" data-testid="notification-count" data-count={unread.to_string()}>{ prongsai_core::thai::to_thai_digits(&unread.to_string()) }</span>
                                </button>
                            }
                            if state.session.is_some() {
                                <button class="small" onclick={go(Route::Account)} data-testid="nav-account">{ lang.pick("บัญชีของฉัน", "My account") }</button>
                                <button class="small" onclick={sign_out.clone()} data-testid="sign-out">{ lang.pick("ออกจากระบบ", "Sign out") }</button>
                            }
                        </div>
                    </div>
                </header>
                if *menu_open {
                    <div class="menu-backdrop" onclick={close_menu} data-testid="menu-backdrop" aria-hidden="true"></div>
                }
                if state.picture_kept {
                    <p class="kept-picture" role="status" data-testid="kept-picture">{ lang.pick(
                        "แสดงข้อมูลที่บันทึกไว้ครั้งล่าสุด กำลังอ่านข้อมูลปัจจุบัน…",
                        "Showing what this device last saw; reading the current data…") }</p>
                }
                if let Some(text) = &state.notice {
                    <div class="notice" role="alert" data-testid="notice">
                        <span>{ text.clone() }</span>
                        <button class="small" onclick={dismiss} aria-label={lang.pick("ปิด", "Close")}>{ "×" }</button>
                    </div>
                }
                if *confirm_sign_out {
                    <div class="notice floating" role="alertdialog" data-testid="sign-out-pending">
                        <span>{ if lang == crate::i18n::Lang::Th {
                            format!("{} รายการยังไม่ถึงเซิร์ฟเวอร์ ถ้าออกจากระบบตอนนี้ รายการเหล่านี้จะเก็บไว้ในเครื่องนี้ และจะส่งเมื่อคุณเข้าสู่ระบบในเครื่องนี้อีกครั้ง",
                                prongsai_core::thai::to_thai_digits(&state.sync.unconfirmed.to_string()))
                        } else {
                            format!("{} changes have not reached the server. If you sign out now they stay on this device and are sent when you sign in here again.",
                                state.sync.unconfirmed)
                        } }</span>
                        <button class="small" onclick={sign_out.clone()} data-testid="sign-out-anyway">{ lang.pick("ออกจากระบบ", "Sign out") }</button>
                        <button class="small primary" data-testid="sign-out-cancel" onclick={{
                            let confirm = confirm_sign_out.clone();
                            Callback::from(move |_| confirm.set(false))
                        }}>{ lang.pick("อยู่ต่อ", "Stay signed in") }</button>
                    </div>
                }
                { banners.unwrap_or_default() }
                <main>{ page }</main>
            </div>
        </ContextProvider<AppContext>>
    }
}
