//! The year's tracks: the plan-and-report pairs it runs besides the integrity measures (the
//! anti-corruption action plan, the personnel plan, …). The coordinator adds one from the year's
//! criteria; everyone reads each track's projects, with budget and indicator, and what each
//! division reported in each round (a round shows the one before until a division reports in it).
//! From the server (online), as the dashboard of another track.

use std::rc::Rc;

use prongsai_core::model::Role;
use prongsai_core::thai::{self, Digits};
use prongsai_core::view::MergedView;
use prongsai_core::wire::TracksInfo;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use crate::backend;

#[component]
pub fn TracksPage() -> Html {
    let app = use_context::<AppContext>().expect("TracksPage is inside the app");
    let lang = app.lang;
    let year = app.session.as_ref().map(|s| s.year).unwrap_or_default();
    let info = use_state(|| None::<Result<TracksInfo, String>>);
    let chosen = use_state(|| None::<(String, String)>);
    // The view with the (track, round) it is of, so a page never shows one round under another's name.
    let view = use_state(|| None::<((String, String), Result<Rc<MergedView>, String>)>);
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
    {
        let view = view.clone();
        use_effect_with(((*chosen).clone(), app.revision), move |(chosen, _)| {
            if let Some((track, round)) = chosen.clone() {
                spawn_local(async move {
                    let path = format!("/years/{year}/status?track={track}&round={round}");
                    let answer = backend::agency::<MergedView>("GET", &path, None).await;
                    let answer = answer.map(Rc::new).map_err(|e| lang.error(&e.kind).to_string());
                    view.set(Some(((track, round), answer)));
                });
            }
        });
    }
    let may_add =
        app.session.as_ref().is_some_and(|s| s.roles.iter().any(|r| matches!(r, Role::Coordinator | Role::Admin)));
    let add = |track: String| {
        let (info, failed) = (info.clone(), failed.clone());
        Callback::from(move |_| {
            let (info, failed, track) = (info.clone(), failed.clone(), track.clone());
            spawn_local(async move {
                let body = serde_json::json!({ "track": track });
                match backend::agency::<TracksInfo>("POST", &format!("/years/{year}/tracks"), Some(body)).await {
                    Ok(now) => {
                        info.set(Some(Ok(now)));
                        failed.set(None);
                    }
                    Err(e) => failed.set(Some(format!("{} ({})", lang.error(&e.kind), e.message))),
                }
            });
        })
    };
    let choose = |track: String, round: String| {
        let chosen = chosen.clone();
        Callback::from(move |_| chosen.set(Some((track.clone(), round.clone()))))
    };
    let list = match &*info {
        None => html! { <p class="muted">{ lang.pick("กำลังโหลด…", "Loading…") }</p> },
        Some(Err(message)) => html! { <p class="muted" data-testid="tracks-unknown">{ message.clone() }</p> },
        Some(Ok(info)) => html! {
            <>
                <ul class="plain tracks" data-testid="tracks">
                    { for info.tracks.iter().map(|t| {
                        let items = t.items.as_ref();
                        let codes = items
                            .map(|i| i.plan.iter().map(|p| p.code.clone()).chain(i.rounds.iter().map(|r| r.item.code.clone())).collect::<Vec<_>>().join(", "))
                            .unwrap_or_default();
                        html! {
                            <li data-track={t.id.clone()}>
                                <b>{ &t.title }</b>{ format!(" ({codes})") }
                                { for t.rounds.iter().map(|r| {
                                    let on = chosen.as_ref().is_some_and(|(ct, cr)| *ct == t.id && *cr == r.id);
                                    html! {
                                        <button class={classes!("small", on.then_some("primary"))} onclick={choose(t.id.clone(), r.id.clone())} data-round={r.id.clone()}>
                                            { thai::to_official_digits(&r.title) }
                                        </button>
                                    }
                                }) }
                            </li>
                        }
                    }) }
                </ul>
                if may_add && !info.available.is_empty() {
                    <fieldset class="add-track">
                        <legend>{ lang.pick("เพิ่มแผนงานตามเกณฑ์ของปีนี้", "Add a track from this year's criteria") }</legend>
                        { for info.available.iter().map(|t| html! {
                            <button onclick={add(t.id.clone())} data-testid={format!("add-track-{}", t.id)}>{ format!("+ {}", t.title) }</button>
                        }) }
                    </fieldset>
                }
                if let Some(message) = &*failed {
                    <p class="export-state failed" role="alert" data-testid="add-track-failed">{ message.clone() }</p>
                }
            </>
        },
    };
    let table = match &*view {
        None => html! {},
        Some((_, Err(message))) => html! { <p class="muted">{ message.clone() }</p> },
        Some(((track, round), Ok(view))) => html! {
            <table class="track-table" data-testid="track-table" data-track={track.clone()} data-round={round.clone()}>
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
                        <td data-testid="track-results">{ for m.cells.iter().filter(|c| !c.text.is_empty()).map(|c| html! { <p>{ &c.text }</p> }) }</td>
                    </tr>
                }) }</tbody>
            </table>
        },
    };
    html! {
        <section class="tracks-page" data-testid="tracks-page">
            <h1>{ lang.pick("แผนงานของปี", "This year's tracks") }</h1>
            <p class="muted">{ lang.pick(
                "มาตรการส่งเสริมคุณธรรมฯ อยู่ที่หน้าภาพรวมและตารางมาตรการ แผนงานอื่นตามเกณฑ์ของปีอยู่ที่นี่ เลือกรอบรายงานเพื่อดูโครงการและผลการดำเนินงาน",
                "The integrity measures are on the overview and the measure table; the year's other tracks are here. Pick a round to see its projects and results.",
            ) }</p>
            { list }
            { table }
        </section>
    }
}
