//! The year's tracks: the plan-and-report pairs it runs besides the integrity measures (the
//! anti-corruption action plan, the personnel plan, …). The coordinator adds one from the year's
//! criteria; everyone reads each track's projects, with budget and indicator, and what each
//! division reported in each round (a round shows the one before until a division reports in it).
//! Choosing a round shows that track on every page (the app's documents, offline too).

use prongsai_core::model::Role;
use prongsai_core::thai::{self, Digits};
use prongsai_core::tracks::Slot;
use prongsai_core::wire::TracksInfo;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use crate::backend;
use crate::state::{Action, Route};

#[component]
pub fn TracksPage() -> Html {
    let app = use_context::<AppContext>().expect("TracksPage is inside the app");
    let lang = app.lang;
    let year = app.session.as_ref().map(|s| s.year).unwrap_or_default();
    // What the year's criteria offer to add: the server's answer (adding is online).
    let info = use_state(|| None::<Result<TracksInfo, String>>);
    let failed = use_state(|| None::<String>);
    {
        let info = info.clone();
        use_effect_with((year, app.revision), move |_| {
            spawn_local(async move {
                let answer = backend::agency::<TracksInfo>("GET", &format!("/years/{year}/tracks"), None).await;
                info.set(Some(answer.map_err(|e| lang.error(&e.kind).to_string())));
            });
        });
    }
    let may_add =
        app.session.as_ref().is_some_and(|s| s.roles.iter().any(|r| matches!(r, Role::Coordinator | Role::Admin)));
    let add = |track: String| {
        let (info, failed, app) = (info.clone(), failed.clone(), app.clone());
        Callback::from(move |_| {
            let (info, failed, track, app) = (info.clone(), failed.clone(), track.clone(), app.clone());
            spawn_local(async move {
                let body = serde_json::json!({ "track": track });
                match backend::agency::<TracksInfo>("POST", &format!("/years/{year}/tracks"), Some(body)).await {
                    Ok(now) => {
                        info.set(Some(Ok(now)));
                        failed.set(None);
                        // The directory changed on the server; the device's picture follows when it syncs.
                        app.dispatch(Action::DocumentsChanged);
                    }
                    Err(e) => failed.set(Some(format!("{} ({})", lang.error(&e.kind), e.message))),
                }
            });
        })
    };
    let choose = |slot: Slot, route: Option<Route>| {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::OpenSlot { slot: slot.clone(), route: route.clone() }))
    };
    // The tracks as this device's documents have them (offline too), else as the server says.
    let known = app.integrity.as_ref().or(app.overview.as_ref()).map(|o| o.tracks.clone()).unwrap_or_default();
    let tracks = match (&*info, known.is_empty()) {
        (Some(Ok(info)), _) if info.tracks.len() > known.len() => info.tracks.clone(),
        _ => known,
    };
    let shown = app.overview.as_ref().map(|o| o.slot.clone()).unwrap_or_default();
    let list = html! {
        <ul class="plain tracks" data-testid="tracks">
            { for tracks.iter().map(|t| {
                let items = t.items.as_ref();
                let codes = items
                    .map(|i| i.plan.iter().map(|p| p.code.clone()).chain(i.rounds.iter().map(|r| r.item.code.clone())).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                let rounds: Vec<(Slot, String)> = if t.rounds.is_empty() {
                    vec![(Slot::INTEGRITY, lang.pick("เปิด", "Open").to_string())]
                } else {
                    t.rounds
                        .iter()
                        .map(|r| {
                            let label = t.round_label(&r.id);
                            (Slot::of(Some(&t.id), Some(&r.id)), if label.is_empty() { thai::to_official_digits(&r.title) } else { label })
                        })
                        .collect()
                };
                html! {
                    <li data-track={t.id.clone()}>
                        <b>{ &t.title }</b>{ format!(" ({codes})") }
                        { for rounds.into_iter().map(|(slot, title)| {
                            let on = shown == slot || (slot.is_integrity() && shown.is_integrity());
                            html! {
                                <button class={classes!("small", on.then_some("primary"))} onclick={choose(slot.clone(), None)}
                                    data-round={slot.round.clone().unwrap_or_default()}>
                                    { title }
                                </button>
                            }
                        }) }
                    </li>
                }
            }) }
        </ul>
    };
    let adding = match &*info {
        Some(Ok(info)) if may_add && !info.available.is_empty() => html! {
            <fieldset class="add-track">
                <legend>{ lang.pick("เพิ่มแผนงานตามเกณฑ์ของปีนี้", "Add a track from this year's criteria") }</legend>
                { for info.available.iter().map(|t| html! {
                    <button onclick={add(t.id.clone())} data-testid={format!("add-track-{}", t.id)}>{ format!("+ {}", t.title) }</button>
                }) }
            </fieldset>
        },
        Some(Err(message)) if tracks.is_empty() => {
            html! { <p class="muted" data-testid="tracks-unknown">{ message.clone() }</p> }
        }
        _ => html! {},
    };
    // The coordinator moves the day the round shown is cut off ("today" cuts it off today).
    let set_cutoff = {
        let (app, failed) = (app.clone(), failed.clone());
        let slot = app.overview.as_ref().map(|o| o.slot.clone()).unwrap_or_default();
        Callback::from(move |day: Option<prongsai_core::Date>| {
            let (Some(track), Some(round)) = (slot.track.clone(), slot.round.clone()) else { return };
            let day = day.unwrap_or_else(|| prongsai_core::Date::from_unix_millis_bangkok(js_sys::Date::now() as i64));
            let (app, failed) = (app.clone(), failed.clone());
            spawn_local(async move {
                let body = serde_json::json!({ "cutoff": day.to_string() });
                let path = format!("/years/{year}/tracks/{track}/rounds/{round}");
                match backend::agency::<TracksInfo>("PUT", &path, Some(body)).await {
                    Ok(_) => {
                        failed.set(None);
                        app.dispatch(Action::DocumentsChanged);
                    }
                    Err(e) => failed.set(Some(format!("{} ({})", lang.error(&e.kind), e.message))),
                }
            });
        })
    };
    // The coordinator imports the shown track's projects from a file, on this device (the app).
    let import_outcome = use_state(|| None::<super::agency::Outcome>);
    let import_run = {
        let app = app.clone();
        super::agency::runner(
            import_outcome.clone(),
            lang,
            std::rc::Rc::new(move || app.dispatch(Action::DocumentsChanged)),
        )
    };
    let table = match app.overview.as_ref().filter(|o| !o.slot.is_integrity()) {
        None => html! {},
        Some(view) => html! {
            <>
                if may_add && backend::in_app() {
                    <super::agency::ImportPlan lang={lang} run={import_run.clone()} track={view.slot.track.clone()} />
                    { super::agency::outcome_notice(&import_outcome).unwrap_or_default() }
                }
                if let Some(cutoff) = view.round_cutoff() {
                    <p class="muted" data-testid="round-cutoff">{ format!("{} {}",
                        lang.pick("ข้อมูลของรอบนี้ตัดยอด ณ วันที่", "This round's results are cut off on"),
                        thai::format_date(cutoff, thai::MonthStyle::Full, Digits::Thai)) }</p>
                    if may_add {
                        <div data-testid="round-cutoff-picker">
                            <super::datepicker::BeDatePicker label={lang.pick("วันตัดยอดข้อมูลของรอบนี้", "This round's cut-off")}
                                value={cutoff} on_change={set_cutoff.clone()} lang={lang} />
                        </div>
                    }
                }
                <button class="primary" onclick={choose(view.slot.clone(), Some(Route::Table))} data-testid="track-open-table">
                    { lang.pick("รายงานผลและแก้ไขโครงการ", "Report results and edit projects") }
                </button>
                <table class="track-table" data-testid="track-table" data-track={view.slot.track.clone().unwrap_or_default()} data-round={view.slot.round.clone().unwrap_or_default()}>
                    <thead><tr>
                        <th>{ lang.pick("โครงการ/กิจกรรม", "Project") }</th>
                        <th>{ lang.pick("ผู้รับผิดชอบ", "Divisions") }</th>
                        <th>{ lang.pick("งบประมาณ (บาท)", "Budget (baht)") }</th>
                        <th>{ lang.pick("ตัวชี้วัด", "Indicator") }</th>
                        <th>{ lang.pick("ผลการดำเนินงาน", "Results") }</th>
                    </tr></thead>
                    <tbody>{ for view.measures.iter().map(|m| html! {
                        <tr data-measure={m.id.clone()}>
                            <td>{ format!("{}. {}", thai::to_thai_digits(&m.number.to_string()), m.title) }</td>
                            <td>{ m.cells.iter().map(|c| view.divisions.iter().find(|d| d.id == c.division).map_or(c.division.clone(), |d| d.name.clone())).collect::<Vec<_>>().join(", ") }</td>
                            <td data-testid="track-budget">{ m.budget.map(|b| thai::format_baht(b, Digits::Thai)).unwrap_or_default() }</td>
                            <td>{ thai::to_official_digits(&m.indicator) }</td>
                            <td data-testid="track-results">{ for m.cells.iter().filter(|c| !c.text.is_empty()).map(|c| html! {
                                <p class={classes!(c.carried_from.is_some().then_some("carried"))}>{ &c.text }</p>
                            }) }</td>
                        </tr>
                    }) }</tbody>
                </table>
            </>
        },
    };
    html! {
        <section class="tracks-page" data-testid="tracks-page">
            <h1>{ lang.pick("แผนงานของปี", "This year's tracks") }</h1>
            <p class="muted">{ lang.pick(
                "เลือกแผนงานและรอบรายงาน แล้วหน้าภาพรวม ตาราง และรายงาน จะแสดงแผนงานนั้น (เลือกได้จากแถบด้านบนเช่นกัน) ทำงานได้แม้ออฟไลน์",
                "Pick a track and round: the overview, the table and the reports then show it (the switcher at the top does the same). Works offline.",
            ) }</p>
            { list }
            { adding }
            if let Some(message) = &*failed {
                <p class="export-state failed" role="alert" data-testid="add-track-failed">{ message.clone() }</p>
            }
            { table }
        </section>
    }
}
