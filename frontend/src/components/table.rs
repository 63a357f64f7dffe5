//! The agency-year's measures laid out like the report's table: มาตรการ/แนวทาง, วิธีดำเนินการ,
//! ผู้รับผิดชอบ, ระยะเวลาดำเนินงาน, ผลการดำเนินงาน, ข้อเสนอ.

use prongsai_core::edit::Edit;
use prongsai_core::model::{DocKey, DocKind};
use prongsai_core::thai;
use prongsai_core::view::{MeasureRow, MergedView};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use super::datepicker::BeDatePicker;
use crate::backend;
use crate::format;
use crate::i18n::Lang;
use crate::state::{Action, Route};

#[derive(Properties, PartialEq)]
pub struct MeasureTableProps {
    pub measures: Vec<MeasureRow>,
    pub overview: std::rc::Rc<MergedView>,
    /// The viewer's division, highlighted in each row.
    pub my_division: Option<String>,
    pub lang: Lang,
    pub on_open: Callback<String>,
}

#[component]
pub fn MeasureTable(props: &MeasureTableProps) -> Html {
    let lang = props.lang;
    // Another track lays out projects, with budget and indicator, as its printed plan does.
    let projects = !props.overview.slot.is_integrity();
    let division_name = |id: &str| {
        props.overview.divisions.iter().find(|d| d.id == id).map(|d| d.name.clone()).unwrap_or_else(|| id.to_string())
    };
    let rows = props.measures.iter().map(|m| {
        let open = {
            let (on_open, id) = (props.on_open.clone(), m.id.clone());
            Callback::from(move |_| on_open.emit(id.clone()))
        };
        let onkeydown = {
            let (on_open, id) = (props.on_open.clone(), m.id.clone());
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" {
                    on_open.emit(id.clone())
                }
            })
        };
        let methods = m.methods.iter().enumerate().map(|(i, method)| html! { <li value={(i + 1).to_string()}>{ &method.text }</li> });
        let responsible = m.responsible.iter().enumerate().map(|(i, d)| {
            let mine = props.my_division.as_deref() == Some(d.as_str());
            html! { <li value={(i + 1).to_string()} class={classes!(mine.then_some("mine"))}>{ division_name(d) }</li> }
        });
        let cells = m.cells.iter().map(|c| {
            let mine = props.my_division.as_deref() == Some(c.division.as_str());
            let carried = c.carried_from.as_ref().map(|r| format!(" · {} {}", lang.pick("ยกมาจาก", "carried from"), thai::to_official_digits(r)));
            html! {
                <span class={classes!("chip", status_class(&c.status), mine.then_some("mine"), c.late.then_some("late"), carried.is_some().then_some("carried"))}
                    data-division={c.division.clone()}
                    title={format!("{}: {} · {}{}", division_name(&c.division), lang.status(&c.status), lang.review(c.review), carried.clone().unwrap_or_default())}>
                    { division_name(&c.division) }
                </span>
            }
        });
        if projects {
            return html! {
                <tr key={m.id.clone()} data-measure={m.id.clone()} class="opens" tabindex="0" onkeydown={onkeydown} onclick={open}>
                    <td data-label={lang.pick("โครงการ/กิจกรรม", "Project")} class="col-title">
                        // The whole row opens the project; the title is its button for the keyboard.
                        <button class="link">{ format!("{}. {}", m.number, m.title) }</button>
                    </td>
                    <td data-label={lang.pick("วิธีดำเนินการ", "Methods")}><ol>{ for methods }</ol></td>
                    <td data-label={lang.pick("ผู้รับผิดชอบ", "Responsible")} class="col-responsible"><ol>{ for responsible }</ol></td>
                    <td data-label={lang.pick("ระยะเวลาดำเนินงาน", "Schedule")} class="col-schedule">{ &m.schedule_label }</td>
                    <td data-label={lang.pick("งบประมาณ (บาท)", "Budget (baht)")} class="col-budget" data-testid="budget">
                        { m.budget.map(|b| thai::format_baht(b, thai::Digits::Thai)).unwrap_or_default() }
                    </td>
                    <td data-label={lang.pick("ตัวชี้วัด", "Indicator")} class="col-indicator">{ &m.indicator }</td>
                    <td data-label={lang.pick("ผลการดำเนินงาน", "Result")} class="col-result">
                        <p class="published" data-testid="round-result-shown">{ &m.published_result }</p>
                        <div class="chips">{ for cells }</div>
                    </td>
                </tr>
            };
        }
        html! {
            <tr key={m.id.clone()} data-measure={m.id.clone()} class="opens" tabindex="0" onkeydown={onkeydown} onclick={open}>
                <td data-label={lang.pick("มาตรการ/แนวทาง", "Measure")} class="col-title">
                    <button class="link">{ format!("{}. {}", m.number, m.title) }</button>
                </td>
                <td data-label={lang.pick("วิธีดำเนินการ", "Methods")}><ol>{ for methods }</ol></td>
                <td data-label={lang.pick("ผู้รับผิดชอบ", "Responsible")} class="col-responsible"><ol>{ for responsible }</ol></td>
                <td data-label={lang.pick("ระยะเวลาดำเนินงาน", "Schedule")} class="col-schedule">{ &m.schedule_label }</td>
                <td data-label={lang.pick("ผลการดำเนินงาน", "Result")} class="col-result">
                    <p class="published">{ &m.published_result }</p>
                    <div class="chips">{ for cells }</div>
                </td>
                <td data-label={lang.pick("ข้อเสนอ", "Suggestions")} class="col-suggestion">{ &m.suggestion }</td>
            </tr>
        }
    });
    let headings: &[(&str, &str)] = if projects {
        &[
            ("โครงการ/กิจกรรม", "Project"),
            ("วิธีดำเนินการ", "Methods"),
            ("ผู้รับผิดชอบ", "Responsible"),
            ("ระยะเวลาดำเนินงาน", "Schedule"),
            ("งบประมาณ (บาท)", "Budget (baht)"),
            ("ตัวชี้วัด", "Indicator"),
            ("ผลการดำเนินงาน", "Result"),
        ]
    } else {
        &[
            ("มาตรการ/แนวทาง", "Measure"),
            ("วิธีดำเนินการ", "Methods"),
            ("ผู้รับผิดชอบ", "Responsible"),
            ("ระยะเวลาดำเนินงาน", "Schedule"),
            ("ผลการดำเนินงาน", "Result"),
            ("ข้อเสนอ", "Suggestions"),
        ]
    };
    html! {
        <table class={classes!("measures", projects.then_some("projects"))} data-testid="measure-table">
            <thead>
                <tr>{ for headings.iter().map(|(th, en)| html! { <th scope="col">{ lang.pick(th, en) }</th> }) }</tr>
            </thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

pub fn status_class(status: &prongsai_core::model::Status) -> &'static str {
    use prongsai_core::model::Status;
    match status {
        Status::NotStarted | Status::Other(_) => "not-started",
        Status::InProgress => "in-progress",
        Status::Done => "done",
        Status::Blocked => "blocked",
    }
}

/// The home page: returned items first, then the table with its filter and date.
#[component]
pub fn TablePage() -> Html {
    let app = use_context::<AppContext>().expect("TablePage is inside the app");
    let lang = app.lang;
    let Some(overview) = app.overview.clone() else {
        return html! { <p class="loading">{ lang.pick("กำลังโหลด…", "Loading…") }</p> };
    };
    let session = app.session.clone().unwrap_or_default();
    let open = {
        let app = app.clone();
        Callback::from(move |id: String| app.dispatch(Action::Open { route: Route::Measure(id) }))
    };
    let toggle = {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::ToggleMyDivision))
    };
    let set_date = {
        let app = app.clone();
        Callback::from(move |date| app.dispatch(Action::SetAsOf { date }))
    };
    let can_plan = session.can_write(&DocKey::of(DocKind::Plan));
    let track = overview.track_and_round();
    let add_measure = {
        let app = app.clone();
        let index = overview.measures.len();
        let title = match track {
            Some(_) => lang.pick("โครงการใหม่", "New project"),
            None => lang.pick("มาตรการใหม่", "New measure"),
        };
        Callback::from(move |_| {
            let id = format::new_id("m");
            let edit = Edit::AddMeasure { id: id.clone(), index, title: title.to_string() };
            let app = app.clone();
            spawn_local(async move {
                match backend::apply_in(&app.slot, vec![edit]).await {
                    Ok(()) => app.dispatch(Action::Open { route: Route::Measure(id) }),
                    Err(e) => app.dispatch(Action::Notice { text: app.lang.error(&e.kind).to_string() }),
                }
            });
        })
    };
    let returned = app.returned_to_me();
    let returned_list = (!returned.is_empty()).then(|| {
        let items = returned.iter().map(|(m, comment)| {
            let open = {
                let (open, id) = (open.clone(), m.id.clone());
                Callback::from(move |_| open.emit(id.clone()))
            };
            html! {
                <li>
                    <button class="link" onclick={open}>{ format!("{}. {}", m.number, m.title) }</button>
                    <p class="comment">{ *comment }</p>
                </li>
            }
        });
        html! {
            <section class="returned" data-testid="returned">
                <h2>{ lang.pick("ส่งกลับให้แก้ไข", "Returned for changes") }</h2>
                <ul>{ for items }</ul>
            </section>
        }
    });
    let measures: Vec<MeasureRow> = app.visible_measures().into_iter().cloned().collect();
    html! {
        <section class="table-page" data-testid="table-page">
            <div class="page-head">
                if let Some((track, round)) = track {
                    <h1 data-testid="track-heading">{ format!("{track} · {} {} {} {}", thai::to_official_digits(round), lang.pick("ปีงบประมาณ", "fiscal year"), thai::to_thai_digits(&overview.year.to_string()), overview.agency.short_name) }</h1>
                } else {
                    <h1>{ format!("{} {} {}", lang.pick("แผนมาตรการ ปีงบประมาณ", "Measures, fiscal year"), overview.year, overview.agency.short_name) }</h1>
                }
                <div class="toolbar">
                    if session.division.is_some() {
                        <label class="toggle">
                            <input type="checkbox" checked={app.my_division_only} onchange={toggle} data-testid="my-division" />
                            { format!("{} ({})", lang.pick("เฉพาะหน่วยงานของฉัน", "My division only"), session.division_name.clone().unwrap_or_default()) }
                        </label>
                    }
                    <BeDatePicker label={lang.pick("สถานะ ณ วันที่", "Status as of")} value={app.as_of.unwrap_or(overview.as_of)} on_change={set_date} lang={lang} />
                    if can_plan {
                        <button onclick={add_measure} data-testid="add-measure">{
                            if track.is_some() { lang.pick("+ เพิ่มโครงการ", "+ Add project") } else { lang.pick("+ เพิ่มมาตรการ", "+ Add measure") }
                        }</button>
                    }
                </div>
            </div>
            if let Some(cutoff) = overview.round_cutoff() {
                <p class="muted" data-testid="round-cutoff">{ format!("{} {}",
                    lang.pick("ข้อมูลของรอบนี้ตัดยอด ณ วันที่", "This round's results are cut off on"),
                    thai::format_date(cutoff, thai::MonthStyle::Full, thai::Digits::Thai)) }</p>
            }
            { for returned_list }
            <MeasureTable measures={measures} overview={overview.clone()} my_division={session.division.clone()} lang={lang} on_open={open} />
        </section>
    }
}
