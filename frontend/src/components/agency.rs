//! The agency page: its fiscal years (start the first one blank, from a plan file or from another
//! year; start the next one; close and reopen; the ITA result each year got; import a plan file
//! into the open year) and, for its admin, what every report prints: the letterhead, the emblem,
//! the divisions and the approval chain. A new agency starts here. Everything but the plan import
//! is a call to the server, which decides who may.

use std::rc::Rc;

use prongsai_core::admin::UserAccount;
use prongsai_core::model::{AgencyKind, Role};
use prongsai_core::profile::{AgencyProfile, ChainStep, ItaResult, ProfileDetails};
use prongsai_core::thai;
use prongsai_core::wire::{AgencyOverview, YearInfo, YearStarted};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::AppContext;
use crate::backend::{self, BackendError, Upload};
use crate::i18n::Lang;
use crate::state::Action;

/// What the page says after an action.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    Done(String),
    Failed(String),
}

fn failed(lang: Lang, e: &BackendError) -> Outcome {
    Outcome::Failed(format!("{} ({})", lang.admin_error(&e.kind), e.message))
}

pub(crate) type Call = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, BackendError>>>>;

/// Runs one call, shows its outcome, and reloads the page's data.
#[derive(Clone)]
pub(crate) struct Run(Rc<dyn Fn(Call)>);

impl PartialEq for Run {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A [`Run`] that shows each call's outcome in `outcome` and calls `then` after one succeeded.
pub(crate) fn runner(outcome: UseStateHandle<Option<Outcome>>, lang: Lang, then: Rc<dyn Fn()>) -> Run {
    Run(Rc::new(move |call: Call| {
        let (outcome, then) = (outcome.clone(), then.clone());
        spawn_local(async move {
            match call.await {
                Ok(done) => {
                    outcome.set(Some(done));
                    then();
                }
                Err(e) => outcome.set(Some(failed(lang, &e))),
            }
        });
    }))
}

/// What the page says after an action, if it did one.
pub(crate) fn outcome_notice(outcome: &Option<Outcome>) -> Option<Html> {
    outcome.clone().map(|o| match o {
        Outcome::Done(text) => html! { <p class="ok" role="status" data-testid="agency-done">{ text }</p> },
        Outcome::Failed(text) => html! { <p class="error" role="alert" data-testid="agency-error">{ text }</p> },
    })
}

fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

/// The year in Thai digits, as headings write it.
fn year_th(year: i64) -> String {
    thai::to_thai_digits(&year.to_string())
}

#[component]
pub fn AgencyPage() -> Html {
    let app = use_context::<AppContext>().expect("AgencyPage is inside the app");
    let lang = app.lang;
    let overview = use_state(|| None::<Rc<AgencyOverview>>);
    let users = use_state(Vec::<UserAccount>::new);
    let outcome = use_state(|| None::<Outcome>);
    let reload = use_state(|| 0u32);
    let is_admin = app.session.as_ref().is_some_and(|s| s.has_role(&Role::Admin));
    // Why the agency's data could not be read (offline, say): shown beside what was just done,
    // never in its place.
    let unreadable = use_state(|| None::<String>);
    {
        let (overview, users, unreadable) = (overview.clone(), users.clone(), unreadable.clone());
        use_effect_with((*reload, app.revision), move |_| {
            spawn_local(async move {
                match backend::agency::<AgencyOverview>("GET", "/profile", None).await {
                    Ok(o) => {
                        overview.set(Some(Rc::new(o)));
                        unreadable.set(None);
                    }
                    Err(e) => {
                        let why = if e.kind == "offline" {
                            lang.pick(
                                "ข้อมูลหน่วยงานและปีงบประมาณต้องเชื่อมต่อเซิร์ฟเวอร์ ลองอีกครั้งเมื่อออนไลน์",
                                "The agency and its years need the server: try again when online.",
                            )
                        } else {
                            lang.admin_error(&e.kind)
                        };
                        unreadable.set(Some(format!("{why} ({})", e.message)));
                    }
                }
                if is_admin && let Ok(list) = backend::users().await {
                    users.set(list);
                }
            });
        });
    }
    let run = {
        let reload = reload.clone();
        runner(outcome.clone(), lang, Rc::new(move || reload.set(*reload + 1)))
    };
    let notice = outcome_notice(&outcome);
    let unreadable = (*unreadable)
        .clone()
        .map(|text| html! { <p class="error" role="alert" data-testid="agency-unreadable">{ text }</p> });
    let plans_years = app.session.as_ref().is_some_and(|s| s.has_role(&Role::Coordinator) || s.has_role(&Role::Admin));
    // The plan import works on the device's own copy of the open year: in the app, offline too.
    let import = (backend::in_app() && plans_years && app.session.as_ref().is_some_and(|s| s.year != 0))
        .then(|| html! { <ImportPlan lang={lang} run={run.clone()} track={None::<String>} /> });
    let Some(data) = (*overview).clone() else {
        return html! {
            <section class="agency-page" data-testid="agency-page">
                { notice.unwrap_or_default() }
                if let Some(unreadable) = unreadable { { unreadable } } else {
                    <p class="loading">{ lang.pick("กำลังโหลด…", "Loading…") }</p>
                }
                { import.unwrap_or_default() }
            </section>
        };
    };
    html! {
        <section class="agency-page" data-testid="agency-page">
            <h1>{ data.profile.name.clone() }</h1>
            { notice.unwrap_or_default() }
            { unreadable.unwrap_or_default() }
            <Years data={data.clone()} lang={lang} run={run.clone()} plans={plans_years} admin={is_admin} />
            { import.unwrap_or_default() }
            if is_admin {
                <ProfileForm profile={data.profile.clone()} lang={lang} run={run.clone()} />
                <Emblem lang={lang} run={run.clone()} />
                <Divisions profile={data.profile.clone()} lang={lang} run={run.clone()} />
                <Chain profile={data.profile.clone()} users={(*users).clone()} lang={lang} run={run.clone()} />
            }
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Years

#[derive(Properties, PartialEq)]
struct YearsProps {
    data: Rc<AgencyOverview>,
    lang: Lang,
    run: Run,
    /// The coordinator or the admin: starts years, enters ITA results.
    plans: bool,
    admin: bool,
}

/// Opens a year in the app after it was started (or chosen).
async fn open_year(app: &AppContext, year: i64, stay: bool) -> Result<(), BackendError> {
    let session = backend::set_year(year).await?;
    app.dispatch(Action::YearOpened { session, stay });
    Ok(())
}

#[component]
fn Years(props: &YearsProps) -> Html {
    let app = use_context::<AppContext>().expect("inside the app");
    let lang = props.lang;
    let data = &props.data;
    let open_year_now = app.session.as_ref().map(|s| s.year).unwrap_or_default();
    let rows = data.years.iter().rev().map(|info| {
        html! { <YearRow key={info.year} info={info.clone()} lang={lang} run={props.run.clone()} plans={props.plans} admin={props.admin} open={info.year == open_year_now} /> }
    });
    let latest = data.years.iter().map(|y| y.year).max();
    let next = latest.map(|latest| {
        let onclick = {
            let (run, app) = (props.run.clone(), app.clone());
            Callback::from(move |_| {
                let app = app.clone();
                (run.0)(Box::pin(async move {
                    let started: YearStarted = backend::agency("POST", &format!("/years/{latest}/next"), None).await?;
                    open_year(&app, started.year, false).await?;
                    Ok(Outcome::Done(format!(
                        "{} {}",
                        lang.pick("เริ่มปีงบประมาณ", "Started fiscal year"),
                        year_th(started.year)
                    )))
                }))
            })
        };
        html! {
            <button class="primary" onclick={onclick} data-testid="next-year">
                { format!("{} {}", lang.pick("เริ่มปีงบประมาณใหม่", "Start the new fiscal year"), year_th(latest + 1)) }
            </button>
        }
    });
    html! {
        <section class="years" data-testid="years">
            <h2>{ lang.pick("ปีงบประมาณ", "Fiscal years") }</h2>
            if data.years.is_empty() {
                <p>{ lang.pick("หน่วยงานยังไม่มีปีงบประมาณในระบบ", "The agency has no fiscal year yet.") }</p>
            } else {
                <table class="year-list">
                    <thead><tr>
                        <th>{ lang.pick("ปีงบประมาณ", "Year") }</th>
                        <th>{ lang.pick("สถานะ", "State") }</th>
                        <th>{ lang.pick("ผลการประเมิน ITA", "ITA result") }</th>
                        <th></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            }
            if props.plans {
                if let Some(next) = next { { next } }
                <StartYear years={data.years.iter().map(|y| y.year).collect::<Vec<_>>()} current={data.current_year} lang={lang} run={props.run.clone()} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct YearRowProps {
    info: YearInfo,
    lang: Lang,
    run: Run,
    plans: bool,
    admin: bool,
    /// The year the app has open now.
    open: bool,
}

#[component]
fn YearRow(props: &YearRowProps) -> Html {
    let app = use_context::<AppContext>().expect("inside the app");
    let lang = props.lang;
    let info = &props.info;
    let year = info.year;
    let reason = use_state(String::new);
    let score = use_state(String::new);
    let open = {
        let (run, app) = (props.run.clone(), app.clone());
        Callback::from(move |_| {
            let app = app.clone();
            (run.0)(Box::pin(async move {
                open_year(&app, year, false).await?;
                Ok(Outcome::Done(format!("{} {}", lang.pick("เปิดปีงบประมาณ", "Opened fiscal year"), year_th(year))))
            }))
        })
    };
    let close_or_reopen = {
        let (run, reason, closed, app) = (props.run.clone(), reason.clone(), info.closed, app.clone());
        Callback::from(move |_| {
            let (text, app) = ((*reason).trim().to_string(), app.clone());
            let action = if closed { "reopen" } else { "close" };
            (run.0)(Box::pin(async move {
                let _: YearInfo = backend::agency(
                    "POST",
                    &format!("/years/{year}/{action}"),
                    Some(serde_json::json!({ "reason": text })),
                )
                .await?;
                // What may be written in the open year changed.
                if app.session.as_ref().is_some_and(|s| s.year == year) {
                    open_year(&app, year, true).await?;
                }
                Ok(Outcome::Done(if closed {
                    format!("{} {}", lang.pick("เปิดปีงบประมาณอีกครั้ง", "Reopened fiscal year"), year_th(year))
                } else {
                    format!("{} {}", lang.pick("ปิดปีงบประมาณ", "Closed fiscal year"), year_th(year))
                }))
            }))
        })
    };
    let save_score = {
        let (run, score) = (props.run.clone(), score.clone());
        Callback::from(move |_| {
            let text = (*score).clone();
            (run.0)(Box::pin(async move {
                let Some(hundredths) = thai::parse_score(&text) else {
                    return Ok(Outcome::Failed(
                        lang.pick(
                            "คะแนนต้องเป็นตัวเลข 0–100 ทศนิยมไม่เกิน 2 ตำแหน่ง",
                            "A score is 0–100 with at most two decimals",
                        )
                        .to_string(),
                    ));
                };
                let result = ItaResult { score_hundredths: hundredths, ..ItaResult::default() };
                let _: YearInfo = backend::agency(
                    "PUT",
                    &format!("/years/{year}/ita-result"),
                    Some(serde_json::to_value(result).unwrap_or_default()),
                )
                .await?;
                Ok(Outcome::Done(lang.pick("บันทึกผลการประเมิน ITA แล้ว", "ITA result saved").to_string()))
            }))
        })
    };
    let state = if info.closed {
        format!(
            "{} {}",
            lang.pick("ปิดแล้ว", "Closed"),
            if info.reason.is_empty() { String::new() } else { format!("({})", info.reason) }
        )
    } else if info.reason.is_empty() {
        lang.pick("เปิดอยู่", "Open").to_string()
    } else {
        // Reopened: why, as the admin wrote it.
        format!("{} ({})", lang.pick("เปิดอยู่ เปิดอีกครั้งเพราะ", "Open, reopened because"), info.reason)
    };
    let continues = info
        .continues
        .map(|from| format!(" · {} {}", lang.pick("ต่อจากปี", "continues"), year_th(from)))
        .unwrap_or_default();
    let result = info.ita_result.map(|r| thai::format_score(r.score_hundredths)).unwrap_or_else(|| "—".to_string());
    html! {
        <tr data-testid="year-row" data-year={year.to_string()} data-closed={info.closed.to_string()}>
            <td>{ format!("{}{continues}", year_th(year)) }</td>
            <td data-testid="year-state">{ state }</td>
            <td>
                <span data-testid="ita-score">{ result }</span>
                if props.plans {
                    <input class="score" inputmode="decimal" value={(*score).clone()} placeholder={lang.pick("คะแนน", "score")}
                        oninput={{ let score = score.clone(); Callback::from(move |e: InputEvent| score.set(e.target_unchecked_into::<HtmlInputElement>().value())) }}
                        aria-label={format!("{} {}", lang.pick("ผลการประเมิน ITA ปี", "ITA result of"), year)} data-testid="ita-score-input" />
                    <button class="small" onclick={save_score} data-testid="ita-score-save">{ lang.pick("บันทึก", "Save") }</button>
                }
            </td>
            <td class="actions">
                if !props.open {
                    <button class="small" onclick={open} data-testid="open-year">{ lang.pick("เปิดดู", "Open") }</button>
                }
                if props.admin {
                    <input value={(*reason).clone()} placeholder={lang.pick("เหตุผล", "Reason")}
                        oninput={{ let reason = reason.clone(); Callback::from(move |e: InputEvent| reason.set(e.target_unchecked_into::<HtmlInputElement>().value())) }}
                        data-testid="year-reason" />
                    <button class="small" onclick={close_or_reopen} data-testid={if info.closed { "reopen-year" } else { "close-year" }}>
                        { if info.closed { lang.pick("เปิดปีอีกครั้ง", "Reopen") } else { lang.pick("ปิดปีงบประมาณ", "Close the year") } }
                    </button>
                }
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct StartYearProps {
    years: Vec<i64>,
    current: i64,
    lang: Lang,
    run: Run,
}

/// Where a year's plan starts from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Blank,
    File,
    Year(i64),
}

/// Start a year: blank, from a plan file, or from another year's plan.
#[component]
fn StartYear(props: &StartYearProps) -> Html {
    let app = use_context::<AppContext>().expect("inside the app");
    let lang = props.lang;
    let candidates: Vec<i64> = (props.current - 1..=props.current + 1).filter(|y| !props.years.contains(y)).collect();
    let year = use_state(|| candidates.iter().copied().find(|y| *y == props.current).or(candidates.first().copied()));
    let source = use_state(|| Source::Blank);
    let file = use_state(|| None::<web_sys::File>);
    if candidates.is_empty() {
        return Html::default();
    }
    let on_year = {
        let year = year.clone();
        Callback::from(move |e: Event| year.set(e.target_unchecked_into::<HtmlSelectElement>().value().parse().ok()))
    };
    let on_source = {
        let source = source.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            source.set(match value.as_str() {
                "file" => Source::File,
                "blank" => Source::Blank,
                other => other.parse().map(Source::Year).unwrap_or(Source::Blank),
            });
        })
    };
    let on_file = {
        let file = file.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            file.set(input.files().and_then(|f| f.get(0)));
        })
    };
    let start = {
        let (run, year, source, file, app) =
            (props.run.clone(), year.clone(), source.clone(), file.clone(), app.clone());
        Callback::from(move |_| {
            let Some(year) = *year else { return };
            let (source, file, app) = (*source, (*file).clone(), app.clone());
            (run.0)(Box::pin(async move {
                match source {
                    Source::File => {
                        let Some(file) = file else {
                            return Ok(Outcome::Failed(
                                lang.pick("เลือกไฟล์แผน (XLSX หรือ CSV) ก่อน", "Choose the plan file (XLSX or CSV) first")
                                    .to_string(),
                            ));
                        };
                        let bytes = backend::read_file(&file).await?;
                        backend::upload(&Upload::StartYear { year }, bytes).await?;
                    }
                    Source::Blank => {
                        let _: YearStarted =
                            backend::agency("POST", "/years", Some(serde_json::json!({ "year": year }))).await?;
                    }
                    Source::Year(from) => {
                        let _: YearStarted =
                            backend::agency("POST", "/years", Some(serde_json::json!({ "year": year, "from": from })))
                                .await?;
                    }
                }
                open_year(&app, year, false).await?;
                Ok(Outcome::Done(format!("{} {}", lang.pick("เริ่มปีงบประมาณ", "Started fiscal year"), year_th(year))))
            }))
        })
    };
    html! {
        <fieldset class="start-year" data-testid="start-year">
            <legend>{ if props.years.is_empty() { lang.pick("เริ่มปีงบประมาณแรก", "Start the first fiscal year") } else { lang.pick("เริ่มปีงบประมาณอื่น", "Start another fiscal year") } }</legend>
            <label>{ lang.pick("ปีงบประมาณ", "Fiscal year") }
                <select onchange={on_year} data-testid="start-year-year">
                    { for candidates.iter().map(|y| html! { <option value={y.to_string()} selected={Some(*y) == *year}>{ year_th(*y) }</option> }) }
                </select>
            </label>
            <label>{ lang.pick("แผนเริ่มจาก", "Plan starts from") }
                <select onchange={on_source} data-testid="start-year-source">
                    <option value="blank" selected={*source == Source::Blank}>{ lang.pick("แผนว่าง", "A blank plan") }</option>
                    <option value="file" selected={*source == Source::File}>{ lang.pick("ไฟล์แผน (XLSX/CSV)", "A plan file (XLSX/CSV)") }</option>
                    { for props.years.iter().map(|y| html! {
                        <option value={y.to_string()} selected={*source == Source::Year(*y)}>{ format!("{} {}", lang.pick("แผนของปี", "The plan of"), year_th(*y)) }</option>
                    }) }
                </select>
            </label>
            if *source == Source::File {
                <input type="file" accept=".xlsx,.csv" onchange={on_file} data-testid="start-year-file" />
            }
            <button class="primary" onclick={start} data-testid="start-year-go">{ lang.pick("เริ่มปีงบประมาณ", "Start the year") }</button>
        </fieldset>
    }
}

#[derive(Properties, PartialEq)]
pub(crate) struct ImportProps {
    pub lang: Lang,
    pub run: Run,
    /// Another track's projects (the integrity measures' plan when `None`).
    pub track: Option<String>,
}

/// A plan file into the open year's plan, or a track's projects, read on this device (offline
/// too).
#[component]
pub(crate) fn ImportPlan(props: &ImportProps) -> Html {
    let lang = props.lang;
    let report = use_state(|| None::<serde_json::Value>);
    let on_file = {
        let (run, report, track) = (props.run.clone(), report.clone(), props.track.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            let (report, track) = (report.clone(), track.clone());
            (run.0)(Box::pin(async move {
                let bytes = backend::read_file(&file).await?;
                let answer = backend::upload(&Upload::ImportPlan { dry_run: false, track }, bytes).await?;
                let changes = thai::to_thai_digits(&answer["changes"].as_u64().unwrap_or(0).to_string());
                report.set(Some(answer));
                Ok(Outcome::Done(format!(
                    "{} {changes} {}",
                    lang.pick("นำเข้าแผนแล้ว", "Plan imported:"),
                    lang.pick("รายการ", "changes")
                )))
            }))
        })
    };
    let rows = (*report).as_ref().and_then(|r| r["rows"].as_array().cloned()).unwrap_or_default();
    html! {
        <fieldset class="import-plan" data-testid="import-plan">
            <legend>{ if props.track.is_some() {
                lang.pick("นำเข้าโครงการ/กิจกรรมของแผนงานนี้จากไฟล์ (XLSX/CSV: งบประมาณ ตัวชี้วัด)", "Import this track's projects from a file (XLSX/CSV: budget, indicator)")
            } else {
                lang.pick("นำเข้าแผนจากไฟล์ (XLSX/CSV) เข้าปีที่เปิดอยู่", "Import a plan file (XLSX/CSV) into the open year")
            } }</legend>
            <input type="file" accept=".xlsx,.csv" onchange={on_file} data-testid="import-plan-file" />
            if !rows.is_empty() {
                <ul class="import-report" data-testid="import-report">
                    { for rows.iter().map(|row| html! {
                        <li data-outcome={row["outcome"].as_str().unwrap_or_default().to_string()}>
                            { format!("{} {}: {} {}", lang.pick("แถว", "Row"), row["row"], row["title"].as_str().unwrap_or_default(),
                                row["notes"].as_array().map(|n| n.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(" · ")).unwrap_or_default()) }
                        </li>
                    }) }
                </ul>
            }
        </fieldset>
    }
}

// ---------------------------------------------------------------------------------------------
// The admin's profile: letterhead, emblem, divisions, chain

#[derive(Properties, PartialEq)]
struct ProfileProps {
    profile: AgencyProfile,
    lang: Lang,
    run: Run,
}

#[component]
fn ProfileForm(props: &ProfileProps) -> Html {
    let lang = props.lang;
    let draft = use_state(|| props.profile.details());
    {
        // A saved (or reloaded) profile replaces the draft.
        let draft = draft.clone();
        use_effect_with(props.profile.details(), move |details| draft.set(details.clone()));
    }
    let field = |label: &'static str,
                 testid: &'static str,
                 get: fn(&ProfileDetails) -> String,
                 set: fn(&mut ProfileDetails, String)| {
        let oninput = {
            let draft = draft.clone();
            Callback::from(move |e: InputEvent| {
                let mut next = (*draft).clone();
                set(&mut next, e.target_unchecked_into::<HtmlInputElement>().value());
                draft.set(next);
            })
        };
        html! {
            <label>{ label }
                <input value={get(&draft)} oninput={oninput} data-testid={testid} />
            </label>
        }
    };
    let kinds = [
        AgencyKind::Sao,
        AgencyKind::SubdistrictMunicipality,
        AgencyKind::TownMunicipality,
        AgencyKind::CityMunicipality,
        AgencyKind::Pao,
        AgencyKind::Agency,
    ];
    let on_kind = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            next.kind = AgencyKind::parse(&e.target_unchecked_into::<HtmlSelectElement>().value());
            draft.set(next);
        })
    };
    let save = {
        let (run, draft) = (props.run.clone(), draft.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let details = (*draft).clone();
            (run.0)(Box::pin(async move {
                let _: AgencyProfile =
                    backend::agency("PUT", "/profile", Some(serde_json::to_value(&details).unwrap_or_default()))
                        .await?;
                Ok(Outcome::Done(lang.pick("บันทึกข้อมูลหน่วยงานแล้ว", "The agency's details are saved").to_string()))
            }))
        })
    };
    html! {
        <form class="profile-form" onsubmit={save} data-testid="profile-form">
            <h2>{ lang.pick("ข้อมูลหน่วยงานและหัวบันทึกข้อความ", "The agency and its letterhead") }</h2>
            { field(lang.pick("ชื่อหน่วยงาน", "Name"), "profile-name", |d| d.name.clone(), |d, v| d.name = v) }
            { field(lang.pick("ชื่อย่อ", "Short name"), "profile-short-name", |d| d.short_name.clone(), |d, v| d.short_name = v) }
            <label>{ lang.pick("ประเภท", "Kind") }
                <select onchange={on_kind} data-testid="profile-kind">
                    { for kinds.iter().map(|k| html! { <option value={k.as_str().to_string()} selected={*k == draft.kind}>{ kind_label(k, lang) }</option> }) }
                </select>
            </label>
            { field(lang.pick("ตำบล", "Subdistrict"), "profile-subdistrict", |d| d.subdistrict.clone(), |d, v| d.subdistrict = v) }
            { field(lang.pick("อำเภอ", "District"), "profile-district", |d| d.district.clone(), |d, v| d.district = v) }
            { field(lang.pick("จังหวัด", "Province"), "profile-province", |d| d.province.clone(), |d, v| d.province = v) }
            { field(lang.pick("ส่วนราชการ", "Department (ส่วนราชการ)"), "profile-department", |d| d.letterhead.department.clone(), |d, v| d.letterhead.department = v) }
            { field(lang.pick("ที่อยู่", "Address"), "profile-address", |d| d.letterhead.address.clone(), |d, v| d.letterhead.address = v) }
            { field(lang.pick("โทรศัพท์", "Telephone"), "profile-phone", |d| d.letterhead.phone.clone(), |d, v| d.letterhead.phone = v) }
            { field(lang.pick("ที่ (เลขที่หนังสือ)", "Reference prefix (ที่)"), "profile-reference", |d| d.letterhead.reference_prefix.clone(), |d, v| d.letterhead.reference_prefix = v) }
            { field(lang.pick("เว็บไซต์ (โดเมน)", "Website (domain)"), "profile-website", |d| d.letterhead.website.clone(), |d, v| d.letterhead.website = v) }
            <button class="primary" type="submit" data-testid="profile-save">{ lang.pick("บันทึก", "Save") }</button>
        </form>
    }
}

fn kind_label(kind: &AgencyKind, lang: Lang) -> &'static str {
    match kind {
        AgencyKind::Sao => lang.pick("องค์การบริหารส่วนตำบล", "Subdistrict administrative organisation"),
        AgencyKind::SubdistrictMunicipality => lang.pick("เทศบาลตำบล", "Subdistrict municipality"),
        AgencyKind::TownMunicipality => lang.pick("เทศบาลเมือง", "Town municipality"),
        AgencyKind::CityMunicipality => lang.pick("เทศบาลนคร", "City municipality"),
        AgencyKind::Pao => lang.pick("องค์การบริหารส่วนจังหวัด", "Provincial administrative organisation"),
        AgencyKind::Agency | AgencyKind::Other(_) => lang.pick("หน่วยงานอื่น", "Other agency"),
    }
}

#[derive(Properties, PartialEq)]
struct EmblemProps {
    lang: Lang,
    run: Run,
}

/// The emblem printed at the top of the memo: chosen, previewed, then sent (PNG or JPEG up to
/// 1 MiB; anything else is refused here with the reason, and by the server).
#[component]
fn Emblem(props: &EmblemProps) -> Html {
    let lang = props.lang;
    let preview = use_state(|| None::<String>);
    let chosen = use_state(|| None::<web_sys::File>);
    let problem = use_state(|| None::<String>);
    let on_file = {
        let (preview, chosen, problem) = (preview.clone(), chosen.clone(), problem.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            let kind = file.type_();
            let reason = if kind != "image/png" && kind != "image/jpeg" {
                Some(lang.pick("ตราสัญลักษณ์ต้องเป็นไฟล์ PNG หรือ JPEG", "The emblem must be a PNG or JPEG image"))
            } else if file.size() > 1024.0 * 1024.0 {
                Some(lang.pick("ไฟล์ตราสัญลักษณ์ต้องไม่เกิน 1 MB", "The emblem must be at most 1 MiB"))
            } else {
                None
            };
            problem.set(reason.map(str::to_string));
            if reason.is_some() {
                chosen.set(None);
                preview.set(None);
                input.set_value("");
                return;
            }
            preview.set(web_sys::Url::create_object_url_with_blob(&file).ok());
            chosen.set(Some(file));
        })
    };
    let send = {
        let (run, chosen) = (props.run.clone(), chosen.clone());
        Callback::from(move |_| {
            let Some(file) = (*chosen).clone() else { return };
            (run.0)(Box::pin(async move {
                let bytes = backend::read_file(&file).await?;
                backend::upload(&Upload::Emblem { media_type: file.type_() }, bytes).await?;
                Ok(Outcome::Done(
                    lang.pick(
                        "ตั้งตราสัญลักษณ์แล้ว รายงานที่สร้างต่อจากนี้จะมีตรานี้",
                        "Emblem set: reports rendered from now on carry it",
                    )
                    .to_string(),
                ))
            }))
        })
    };
    html! {
        <section class="emblem" data-testid="emblem">
            <h2>{ lang.pick("ตราสัญลักษณ์", "Emblem") }</h2>
            <input type="file" accept="image/png,image/jpeg" onchange={on_file} data-testid="emblem-file" />
            if let Some(reason) = (*problem).clone() {
                <p class="error" role="alert" data-testid="emblem-refused">{ reason }</p>
            }
            if let Some(url) = (*preview).clone() {
                <img class="emblem-preview" src={url} alt={lang.pick("ตัวอย่างตราสัญลักษณ์", "Emblem preview")} data-testid="emblem-preview" />
                <button class="primary" onclick={send} data-testid="emblem-save">{ lang.pick("ใช้ตรานี้", "Use this emblem") }</button>
            }
        </section>
    }
}

#[component]
fn Divisions(props: &ProfileProps) -> Html {
    let lang = props.lang;
    let name = use_state(String::new);
    let add = {
        let (run, name) = (props.run.clone(), name.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = (*name).trim().to_string();
            name.set(String::new());
            (run.0)(Box::pin(async move {
                let _: serde_json::Value =
                    backend::agency("POST", "/divisions", Some(serde_json::json!({ "name": text }))).await?;
                Ok(Outcome::Done(lang.pick("เพิ่มหน่วยงานแล้ว", "Division added").to_string()))
            }))
        })
    };
    let rows = props.profile.divisions.iter().map(|d| {
        let rename = {
            let (run, id) = (props.run.clone(), d.id.clone());
            Callback::from(move |e: Event| {
                let (text, id) = (input_value(&e).trim().to_string(), id.clone());
                (run.0)(Box::pin(async move {
                    let _: serde_json::Value =
                        backend::agency("PATCH", &format!("/divisions/{id}"), Some(serde_json::json!({ "name": text }))).await?;
                    Ok(Outcome::Done(lang.pick("เปลี่ยนชื่อหน่วยงานแล้ว ชื่อเดิมยังใช้ค้นหาได้", "Renamed; the old name still finds it").to_string()))
                }))
            })
        };
        let retire = {
            let (run, id, retired) = (props.run.clone(), d.id.clone(), d.retired);
            Callback::from(move |_| {
                let id = id.clone();
                (run.0)(Box::pin(async move {
                    let _: serde_json::Value = backend::agency(
                        "PATCH",
                        &format!("/divisions/{id}"),
                        Some(serde_json::json!({ "retired": !retired })),
                    )
                    .await?;
                    Ok(Outcome::Done(if retired {
                        lang.pick("ใช้หน่วยงานนี้อีกครั้งแล้ว", "Division in use again").to_string()
                    } else {
                        lang.pick("เลิกใช้หน่วยงานนี้แล้ว ข้อมูลเดิมยังอ่านได้", "Division retired; its records stay readable").to_string()
                    }))
                }))
            })
        };
        html! {
            <li key={d.id.clone()} data-testid="division" data-division={d.id.clone()} class={classes!(d.retired.then_some("retired"))}>
                <input value={d.name.clone()} onchange={rename} aria-label={lang.pick("ชื่อหน่วยงาน", "Division name")} data-testid="division-name" />
                if !d.aliases.is_empty() {
                    <span class="aliases">{ format!("{} {}", lang.pick("ชื่ออื่น:", "Also:"), d.aliases.join(", ")) }</span>
                }
                <button class="small" onclick={retire} data-testid="division-retire">
                    { if d.retired { lang.pick("ใช้อีกครั้ง", "Use again") } else { lang.pick("เลิกใช้", "Retire") } }
                </button>
            </li>
        }
    });
    html! {
        <section class="divisions" data-testid="divisions">
            <h2>{ lang.pick("กอง/ฝ่าย (ผู้รับผิดชอบ)", "Divisions") }</h2>
            <ul>{ for rows }</ul>
            <form onsubmit={add}>
                <input value={(*name).clone()} placeholder={lang.pick("ชื่อหน่วยงานใหม่", "New division's name")}
                    oninput={{ let name = name.clone(); Callback::from(move |e: InputEvent| name.set(e.target_unchecked_into::<HtmlInputElement>().value())) }}
                    data-testid="division-new" />
                <button class="small" type="submit" data-testid="division-add">{ lang.pick("เพิ่ม", "Add") }</button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ChainProps {
    profile: AgencyProfile,
    users: Vec<UserAccount>,
    lang: Lang,
    run: Run,
}

/// The approval chain: 1 to 5 steps, each with the heading printed above it, the name and position
/// printed under the signature, and the approver who signs it.
#[component]
fn Chain(props: &ChainProps) -> Html {
    let lang = props.lang;
    let steps = use_state(|| props.profile.approval_chain.clone());
    {
        let steps = steps.clone();
        use_effect_with(props.profile.approval_chain.clone(), move |chain| steps.set(chain.clone()));
    }
    let approvers: Vec<&UserAccount> =
        props.users.iter().filter(|u| !u.disabled && u.roles.contains(&Role::Approver)).collect();
    let edit = |index: usize, set: fn(&mut ChainStep, String)| {
        let steps = steps.clone();
        Callback::from(move |value: String| {
            let mut next = (*steps).clone();
            if let Some(step) = next.get_mut(index) {
                set(step, value);
            }
            steps.set(next);
        })
    };
    let rows = steps.iter().enumerate().map(|(i, step)| {
        let text = |label: &'static str, testid: &'static str, value: String, on: Callback<String>| {
            html! {
                <label>{ label }
                    <input value={value} oninput={Callback::from(move |e: InputEvent| on.emit(e.target_unchecked_into::<HtmlInputElement>().value()))} data-testid={testid} />
                </label>
            }
        };
        let on_approver = {
            let on = edit(i, |s, v| s.approver = (!v.is_empty()).then_some(v));
            Callback::from(move |e: Event| on.emit(e.target_unchecked_into::<HtmlSelectElement>().value()))
        };
        let remove = {
            let steps = steps.clone();
            Callback::from(move |_| {
                let mut next = (*steps).clone();
                next.remove(i);
                steps.set(next);
            })
        };
        let current = step.approver.clone().unwrap_or_default();
        html! {
            <li data-testid="chain-row">
                <strong>{ format!("{} {}", lang.pick("ขั้นที่", "Step"), thai::to_thai_digits(&(i + 1).to_string())) }</strong>
                { text(lang.pick("หัวข้อความเห็น", "Heading"), "chain-title", step.title.clone(), edit(i, |s, v| s.title = v)) }
                { text(lang.pick("ชื่อผู้ลงนาม", "Name"), "chain-name", step.name.clone(), edit(i, |s, v| s.name = v)) }
                { text(lang.pick("ตำแหน่ง", "Position"), "chain-position", step.position.clone(), edit(i, |s, v| s.position = v)) }
                <label>{ lang.pick("ผู้ลงนามในระบบ", "Approver") }
                    <select onchange={on_approver} data-testid="chain-approver">
                        <option value="" selected={current.is_empty()}>{ lang.pick("— ยังไม่กำหนด —", "— none —") }</option>
                        { for approvers.iter().map(|u| html! {
                            <option value={u.username.clone()} selected={u.username == current}>{ format!("{} ({})", u.display_name, u.username) }</option>
                        }) }
                    </select>
                </label>
                <button class="small" type="button" onclick={remove} data-testid="chain-remove">{ lang.pick("ลบขั้นนี้", "Remove") }</button>
            </li>
        }
    });
    let add = {
        let steps = steps.clone();
        Callback::from(move |_| {
            let mut next = (*steps).clone();
            if next.len() < prongsai_core::profile::MAX_CHAIN_STEPS {
                next.push(ChainStep::default());
            }
            steps.set(next);
        })
    };
    let save = {
        let (run, steps) = (props.run.clone(), steps.clone());
        Callback::from(move |_| {
            let chain = (*steps).clone();
            (run.0)(Box::pin(async move {
                let _: Vec<ChainStep> =
                    backend::agency("PUT", "/approval-chain", Some(serde_json::to_value(&chain).unwrap_or_default()))
                        .await?;
                Ok(Outcome::Done(lang.pick("บันทึกสายการลงนามแล้ว", "Approval chain saved").to_string()))
            }))
        })
    };
    let full = steps.len() >= prongsai_core::profile::MAX_CHAIN_STEPS;
    html! {
        <section class="chain" data-testid="chain">
            <h2>{ lang.pick("สายการลงนาม (๑–๕ ขั้น)", "Approval chain (1–5 steps)") }</h2>
            <ol>{ for rows }</ol>
            <button class="small" type="button" onclick={add} disabled={full} data-testid="chain-add">{ lang.pick("เพิ่มขั้น", "Add a step") }</button>
            <button class="primary" type="button" onclick={save} data-testid="chain-save">{ lang.pick("บันทึกสายการลงนาม", "Save the chain") }</button>
        </section>
    }
}
