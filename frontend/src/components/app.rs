//! The root: asks the backend what to show, listens to its events, and routes between the pages.

use prongsai_core::app::SyncState;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use super::dashboard::DashboardPage;
use super::login::LoginPage;
use super::measure::MeasurePage;
use super::memo::MemoPage;
use super::reports::ReportsPage;
use super::sync::SyncIndicator;
use super::table::TablePage;
use super::users::{AccountPage, UsersPage};
use crate::backend;
use crate::state::{Action, AppState, Route};

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);

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
            let changed = state.dispatcher();
            backend::listen(backend::CHANGED_EVENT, move |_: serde_json::Value| {
                changed.dispatch(Action::DocumentsChanged)
            });
        });
    }

    // The merged picture, reloaded whenever documents change or the date is moved.
    {
        let app = state.clone();
        let signed_in = state.session.is_some();
        use_effect_with((signed_in, state.revision, state.as_of), move |(signed_in, _, as_of)| {
            if *signed_in {
                let as_of = as_of.map(|d| d.to_string());
                spawn_local(async move {
                    match backend::overview(as_of.as_deref()).await {
                        Ok(overview) => app.dispatch(Action::OverviewLoaded { overview: std::rc::Rc::new(overview) }),
                        Err(e) => app
                            .dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) }),
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
    let sign_out = {
        let app = state.clone();
        Callback::from(move |_| {
            let app = app.clone();
            spawn_local(async move {
                let _ = backend::sign_out().await;
                app.dispatch(Action::SignedOut);
            });
        })
    };
    let dismiss = {
        let app = state.clone();
        Callback::from(move |_| app.dispatch(Action::DismissNotice))
    };
    let go = |route: Route| {
        let app = state.clone();
        Callback::from(move |_| app.dispatch(Action::Open { route: route.clone() }))
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
    };
    let is_admin = state.session.as_ref().is_some_and(|s| s.has_role(&prongsai_core::model::Role::Admin));
    let who = state.session.as_ref().map(|s| {
        let division = s.division_name.clone().map(|d| format!(" · {d}")).unwrap_or_default();
        format!("{}{division}", s.display_name)
    });
    html! {
        <ContextProvider<AppContext> context={state.clone()}>
            <div class="app" lang={lang.code()}>
                <header class="topbar">
                    <button class="brand link" onclick={go_home}>
                        <img src="icon.png" alt="" width="28" height="28" />
                        <span>{ state.overview.as_ref().map(|o| o.agency.short_name.clone()).unwrap_or_else(|| lang.pick("โปร่งใส", "Prongsai").to_string()) }</span>
                    </button>
                    if signed_in {
                        <nav class="tabs">
                            <button class={classes!("tab", on(&Route::Dashboard))} onclick={go(Route::Dashboard)} data-testid="nav-dashboard">{ lang.pick("ภาพรวม", "Overview") }</button>
                            <button class={classes!("tab", on(&Route::Table))} onclick={go(Route::Table)} data-testid="nav-table">{ lang.pick("ตารางมาตรการ", "Measures") }</button>
                            <button class={classes!("tab", on(&Route::Memo))} onclick={go(Route::Memo)} data-testid="nav-memo">{ lang.pick("บันทึกข้อความ", "Memo") }</button>
                            <button class={classes!("tab", on(&Route::Reports))} onclick={go(Route::Reports)} data-testid="nav-reports">{ lang.pick("รายงาน", "Reports") }</button>
                            if is_admin {
                                <button class={classes!("tab", on(&Route::Users))} onclick={go(Route::Users)} data-testid="nav-users">{ lang.pick("ผู้ใช้", "Users") }</button>
                            }
                        </nav>
                        <SyncIndicator state={state.sync.clone()} progress={state.sync_progress()} lang={lang} />
                    }
                    <div class="topbar-end">
                        if let Some(who) = who { <span class="who" data-testid="who">{ who }</span> }
                        <button class="small" onclick={switch_lang} data-testid="lang">{ lang.pick("English", "ภาษาไทย") }</button>
                        if state.session.is_some() {
                            <button class="small" onclick={go(Route::Account)} data-testid="nav-account">{ lang.pick("บัญชีของฉัน", "My account") }</button>
                            <button class="small" onclick={sign_out} data-testid="sign-out">{ lang.pick("ออกจากระบบ", "Sign out") }</button>
                        }
                    </div>
                </header>
                if let Some(text) = &state.notice {
                    <div class="notice" role="alert" data-testid="notice">
                        <span>{ text.clone() }</span>
                        <button class="small" onclick={dismiss} aria-label={lang.pick("ปิด", "Close")}>{ "×" }</button>
                    </div>
                }
                <main>{ page }</main>
            </div>
        </ContextProvider<AppContext>>
    }
}
