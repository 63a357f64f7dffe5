//! The coordinator's plan editor for one measure: title, methods (add, reorder, remove),
//! responsible divisions, quarters, the published result and the suggestion. Each field is saved
//! as its own small edit when it loses focus, so concurrent edits of other fields merge.

use std::rc::Rc;

use prongsai_core::calendar::{FiscalQuarter, Schedule};
use prongsai_core::detail::MeasureDetail;
use prongsai_core::edit::Edit;
use prongsai_core::thai;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::saved_text::SavedText;
use crate::format;
use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct PlanEditorProps {
    pub detail: Rc<MeasureDetail>,
    pub lang: Lang,
    pub on_apply: Callback<Vec<Edit>>,
    /// A track's project (budget and indicator; its report prints each division's result, so
    /// no published result or suggestion of the coordinator's).
    #[prop_or_default]
    pub projects: bool,
}

/// The schedule code after turning one quarter on or off.
pub fn toggle_quarter(code: &str, quarter: u8, on: bool) -> String {
    let current = Schedule::parse(code).unwrap_or_default();
    let quarters = current
        .quarters()
        .filter(|q| q.number() != quarter)
        .chain(on.then(|| FiscalQuarter::new(quarter)).flatten())
        .collect::<Vec<_>>();
    Schedule::from_quarters(quarters).to_code()
}

#[component]
pub fn PlanEditor(props: &PlanEditorProps) -> Html {
    let lang = props.lang;
    let row = &props.detail.row;
    let id = row.id.clone();
    let save = |make: Rc<dyn Fn(String) -> Edit>| {
        let on_apply = props.on_apply.clone();
        Callback::from(move |value: String| {
            on_apply.emit(vec![make(value)]);
            true
        })
    };
    let title = {
        let id = id.clone();
        save(Rc::new(move |title| Edit::SetTitle { measure: id.clone(), title }))
    };
    let published = {
        let id = id.clone();
        save(Rc::new(move |text| Edit::SetPublishedResult { measure: id.clone(), text }))
    };
    let suggestion = {
        let id = id.clone();
        save(Rc::new(move |text| Edit::SetSuggestion { measure: id.clone(), text }))
    };
    let budget = {
        let (on_apply, id) = (props.on_apply.clone(), id.clone());
        Callback::from(move |text: String| {
            let satang = match text.trim() {
                "" => None,
                typed => match thai::parse_baht(typed) {
                    Some(satang) => Some(satang),
                    None => return false,
                },
            };
            on_apply.emit(vec![Edit::SetBudget { measure: id.clone(), satang }]);
            true
        })
    };
    let round_result = {
        let id = id.clone();
        save(Rc::new(move |text| Edit::SetRoundResult { measure: id.clone(), text }))
    };
    let indicator = {
        let id = id.clone();
        save(Rc::new(move |text| Edit::SetIndicator { measure: id.clone(), text }))
    };
    let quarters = (1..=4u8).map(|q| {
        let checked = Schedule::parse(&row.schedule).is_ok_and(|s| s.quarters().any(|x| x.number() == q));
        let onchange = {
            let (on_apply, id, code) = (props.on_apply.clone(), id.clone(), row.schedule.clone());
            Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                on_apply.emit(vec![Edit::SetSchedule { measure: id.clone(), schedule: toggle_quarter(&code, q, on) }]);
            })
        };
        html! {
            <label class="check">
                <input type="checkbox" checked={checked} onchange={onchange} />
                { format!("{} {q}", lang.pick("ไตรมาส", "Q")) }
            </label>
        }
    });
    let divisions = props.detail.divisions.iter().map(|(division, name)| {
        let checked = row.responsible.contains(division);
        let onchange = {
            let (on_apply, id, division) = (props.on_apply.clone(), id.clone(), division.clone());
            Callback::from(move |e: Event| {
                let responsible = e.target_unchecked_into::<HtmlInputElement>().checked();
                on_apply.emit(vec![Edit::SetResponsible {
                    measure: id.clone(),
                    division: division.clone(),
                    responsible,
                }]);
            })
        };
        html! { <label class="check"><input type="checkbox" checked={checked} onchange={onchange} />{ name }</label> }
    });
    let count = row.methods.len();
    let methods = row.methods.iter().enumerate().map(|(index, method)| {
        let text = {
            let (id, method) = (id.clone(), method.id.clone());
            save(Rc::new(move |text| Edit::SetMethodText { measure: id.clone(), id: method.clone(), text }))
        };
        let mover = |to: usize| {
            let (on_apply, id, method) = (props.on_apply.clone(), id.clone(), method.id.clone());
            Callback::from(move |_| on_apply.emit(vec![Edit::MoveMethod { measure: id.clone(), id: method.clone(), index: to }]))
        };
        let remove = {
            let (on_apply, id, method) = (props.on_apply.clone(), id.clone(), method.id.clone());
            Callback::from(move |_| on_apply.emit(vec![Edit::RemoveMethod { measure: id.clone(), id: method.clone() }]))
        };
        html! {
            <li key={method.id.clone()}>
                <SavedText value={method.text.clone()} on_save={text} aria_label={format!("{} {}", lang.pick("วิธีดำเนินการข้อ", "Method"), index + 1)} />
                <button class="small" disabled={index == 0} onclick={mover(index.saturating_sub(1))} aria-label={lang.pick("เลื่อนขึ้น", "Move up")}>{ "↑" }</button>
                <button class="small" disabled={index + 1 == count} onclick={mover(index + 1)} aria-label={lang.pick("เลื่อนลง", "Move down")}>{ "↓" }</button>
                <button class="small danger" onclick={remove} aria-label={lang.pick("ลบวิธีดำเนินการ", "Remove method")}>{ "×" }</button>
            </li>
        }
    });
    let add_method = {
        let (on_apply, id) = (props.on_apply.clone(), id.clone());
        let text = lang.pick("วิธีดำเนินการใหม่", "New method").to_string();
        Callback::from(move |_| {
            on_apply.emit(vec![Edit::AddMethod {
                measure: id.clone(),
                id: format::new_id("mt"),
                index: count,
                text: text.clone(),
            }])
        })
    };
    let move_measure = |to: usize| {
        let (on_apply, id) = (props.on_apply.clone(), id.clone());
        Callback::from(move |_| on_apply.emit(vec![Edit::MoveMeasure { id: id.clone(), index: to }]))
    };
    let remove_measure = {
        let (on_apply, id) = (props.on_apply.clone(), id.clone());
        let question = lang.pick("ลบมาตรการนี้ออกจากแผน?", "Remove this measure from the plan?");
        Callback::from(move |_| {
            let confirmed = web_sys::window().and_then(|w| w.confirm_with_message(question).ok()).unwrap_or(false);
            if confirmed {
                on_apply.emit(vec![Edit::RemoveMeasure { id: id.clone() }]);
            }
        })
    };
    let position = row.number - 1;
    html! {
        <section class="plan-editor" data-testid="plan-editor">
            <h2>{ lang.pick("แก้ไขแผน (ผู้ประสานงาน)", "Edit the plan (coordinator)") }</h2>
            <label>{ if props.projects { lang.pick("ชื่อโครงการ/กิจกรรม", "Project title") } else { lang.pick("ชื่อมาตรการ/แนวทาง", "Measure title") } }</label>
            <SavedText value={row.title.clone()} on_save={title} testid="plan-title" />
            <label>{ lang.pick("วิธีดำเนินการ", "Methods") }</label>
            <ol class="method-list">{ for methods }</ol>
            <button class="small" onclick={add_method}>{ lang.pick("+ เพิ่มวิธีดำเนินการ", "+ Add method") }</button>
            <fieldset><legend>{ lang.pick("ผู้รับผิดชอบ", "Responsible divisions") }</legend>{ for divisions }</fieldset>
            <fieldset><legend>{ lang.pick("ระยะเวลาดำเนินงาน", "Schedule") }</legend>
                { for quarters }
                if let Some(written) = Schedule::read(&row.schedule).written() {
                    <p class="notice" data-testid="schedule-as-written">{ format!("{} \"{written}\" {}",
                        lang.pick("อ่านช่วงเวลา", "Could not read the schedule"),
                        lang.pick("ไม่ได้ เก็บไว้ตามที่เขียน โปรดเลือกไตรมาส", "; kept as written, please tick the quarters")) }</p>
                }
            </fieldset>
            if props.projects {
                <label for="plan-budget">{ lang.pick("งบประมาณ (บาท)", "Budget (baht)") }</label>
                <SavedText id="plan-budget" testid="plan-budget" inputmode="decimal" size="16"
                    value={row.budget.map(|b| thai::format_baht(b, thai::Digits::Arabic)).unwrap_or_default()} on_save={budget} />
                <label for="plan-indicator">{ lang.pick("ตัวชี้วัด", "Indicator") }</label>
                <SavedText id="plan-indicator" testid="plan-indicator" rows={2} value={row.indicator.clone()} on_save={indicator} />
                <label for="round-result">{ lang.pick(
                    "ผลการดำเนินงานที่จะรายงานในรอบนี้ (เว้นว่างเพื่อใช้ผลที่หน่วยงานรายงาน)",
                    "Result to report in this round (empty: what the divisions reported)",
                ) }</label>
                <SavedText id="round-result" testid="round-result" rows={4} value={row.published_result.clone()} on_save={round_result} />
            } else {
                <label>{ lang.pick("ผลการดำเนินงานที่จะรายงาน", "Result to publish") }</label>
                <SavedText rows={4} value={row.published_result.clone()} on_save={published} />
                <label>{ lang.pick("ข้อเสนอ", "Suggestions") }</label>
                <SavedText rows={2} value={row.suggestion.clone()} on_save={suggestion} />
            }
            <div class="buttons">
                <button class="small" disabled={position == 0} onclick={move_measure(position.saturating_sub(1))}>{ lang.pick("เลื่อนมาตรการขึ้น", "Move measure up") }</button>
                <button class="small" onclick={move_measure(position + 1)}>{ lang.pick("เลื่อนมาตรการลง", "Move measure down") }</button>
                <button class="small danger" onclick={remove_measure}>{ lang.pick("ลบมาตรการ", "Remove measure") }</button>
            </div>
        </section>
    }
}
