//! The whole ITAS answer sheet of the year: every OIT item with its URL and explanation, how far
//! it is from complete, and the OIT window's countdown. Items a Prongsai publication answers
//! carry its address by themselves; the coordinator types the rest (in the app, offline too).

use prongsai_core::edit::Edit;
use prongsai_core::itas::{ItasSheet, ItemSource, ItemState, SheetItem, url_host};
use prongsai_core::model::{DocKey, DocKind};
use prongsai_core::thai::to_thai_digits;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use crate::backend;
use crate::i18n::Lang;

fn state_label(state: ItemState, lang: Lang) -> &'static str {
    match state {
        ItemState::Answered => lang.pick("ตอบแล้ว", "Answered"),
        ItemState::Missing => lang.pick("ยังไม่ตอบ", "Missing"),
        ItemState::Unpublished => lang.pick("รายงานยังไม่เผยแพร่", "Report not published"),
        ItemState::Foreign => lang.pick("ลิงก์อยู่นอกเว็บไซต์หน่วยงาน", "Link off the agency's site"),
    }
}

fn state_name(state: ItemState) -> &'static str {
    match state {
        ItemState::Answered => "answered",
        ItemState::Missing => "missing",
        ItemState::Unpublished => "unpublished",
        ItemState::Foreign => "foreign",
    }
}

#[component]
pub fn ItasPage() -> Html {
    let app = use_context::<AppContext>().expect("ItasPage is inside the app");
    let lang = app.lang;
    let sheet = use_state(|| None::<Result<ItasSheet, String>>);
    let reload = use_state(|| 0u32);
    {
        let sheet = sheet.clone();
        use_effect_with((app.revision, *reload), move |_| {
            spawn_local(async move {
                let answer = backend::itas_sheet().await;
                sheet.set(Some(answer.map_err(|e| format!("{} ({})", lang.error(&e.kind), e.message))));
            });
        });
    }
    let editable = backend::on_device()
        && app.session.as_ref().is_some_and(|s| s.can_write(&DocKey::of(DocKind::Plan)) && !s.closed);
    let saved = {
        let reload = reload.clone();
        Callback::from(move |_| reload.set(*reload + 1))
    };
    let body = match &*sheet {
        None => html! { <p class="muted">{ lang.pick("กำลังโหลด…", "Loading…") }</p> },
        Some(Err(message)) => html! { <p class="error" role="alert">{ message.clone() }</p> },
        Some(Ok(sheet)) => {
            let window = match (sheet.window_days_left, sheet.days_until_window) {
                (Some(0), _) => lang.pick("ช่วงส่งข้อมูล OIT ปิดแล้ว", "The OIT window has closed").to_string(),
                (Some(left), _) => format!(
                    "{} {} {}",
                    lang.pick("ช่วงส่งข้อมูล OIT เหลืออีก", "The OIT window closes in"),
                    to_thai_digits(&left.to_string()),
                    lang.pick("วัน", "days")
                ),
                (None, Some(until)) => format!(
                    "{} {} {}",
                    lang.pick("ช่วงส่งข้อมูล OIT เปิดในอีก", "The OIT window opens in"),
                    to_thai_digits(&until.to_string()),
                    lang.pick("วัน", "days")
                ),
                _ => String::new(),
            };
            let total = sheet.items.len();
            html! {
                <>
                    <p class="itas-summary" data-testid="itas-summary" data-answered={sheet.answered.to_string()}
                        data-missing={sheet.missing.to_string()} data-total={total.to_string()}>
                        { format!("{} {} / {} · {} {} · {} {} · {} {}",
                            lang.pick("ตอบแล้ว", "Answered"), to_thai_digits(&sheet.answered.to_string()), to_thai_digits(&total.to_string()),
                            lang.pick("ยังไม่ตอบ", "missing"), to_thai_digits(&sheet.missing.to_string()),
                            lang.pick("รอเผยแพร่", "awaiting publication"), to_thai_digits(&sheet.unpublished.to_string()),
                            lang.pick("ลิงก์นอกเว็บไซต์", "off-site links"), to_thai_digits(&sheet.foreign.to_string())) }
                    </p>
                    if !window.is_empty() { <p class="itas-window" data-testid="itas-window">{ window }</p> }
                    <table class="itas">
                        <thead><tr>
                            <th>{ lang.pick("ข้อ", "Item") }</th>
                            <th>{ lang.pick("ประเด็น", "Title") }</th>
                            <th>{ lang.pick("สถานะ", "State") }</th>
                            <th>{ lang.pick("คำตอบ", "Answer") }</th>
                        </tr></thead>
                        <tbody>
                            { for sheet.items.iter().map(|item| html! {
                                <ItasRow key={item.code.clone()} item={item.clone()} lang={lang} editable={editable} saved={saved.clone()} />
                            }) }
                        </tbody>
                    </table>
                </>
            }
        }
    };
    html! {
        <section class="itas-page" data-testid="itas-page">
            <h1>{ lang.pick("คำตอบในระบบ ITAS", "ITAS answers") }</h1>
            <p class="muted">{ lang.pick(
                "ทุกข้อของแบบ OIT ปีนี้: ข้อที่รายงานจากโปร่งใสตอบได้ ระบบใส่ที่อยู่ให้เองเมื่อเผยแพร่แล้ว ข้ออื่นกรอกลิงก์บนเว็บไซต์หน่วยงาน แล้วส่งออกเป็น CSV หรือ Excel ที่หน้ารายงาน",
                "Every OIT item of the year: items a Prongsai report answers get its address once published; type the others' links on the agency's site, then export CSV or Excel from the reports page.",
            ) }</p>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RowProps {
    item: SheetItem,
    lang: Lang,
    editable: bool,
    saved: Callback<()>,
}

/// One item: its state, and (for the coordinator in the app) its answer to edit.
#[component]
fn ItasRow(props: &RowProps) -> Html {
    let item = &props.item;
    let lang = props.lang;
    let url = use_state(|| item.url.clone());
    let explanation = use_state(|| item.explanation.clone());
    let available = use_state(|| item.available != Some(false));
    let problem = use_state(|| None::<String>);
    let from_publication = item.source == ItemSource::Publication;
    let save = {
        let (url, explanation, available, problem, saved) =
            (url.clone(), explanation.clone(), available.clone(), problem.clone(), props.saved.clone());
        let code = item.code.clone();
        Callback::from(move |_| {
            let typed = (*url).trim().to_string();
            if !typed.is_empty()
                && let Err(e) = url_host(&typed)
            {
                problem.set(Some(e.to_string()));
                return;
            }
            let edit = Edit::SetItasAnswer {
                item: code.clone(),
                available: *available,
                url: typed,
                explanation: (*explanation).clone(),
            };
            let (problem, saved) = (problem.clone(), saved.clone());
            spawn_local(async move {
                match backend::apply(vec![edit]).await {
                    Ok(()) => {
                        problem.set(None);
                        saved.emit(());
                    }
                    Err(e) => problem.set(Some(format!("{} ({})", lang.error(&e.kind), e.message))),
                }
            });
        })
    };
    let on_url = {
        let url = url.clone();
        Callback::from(move |e: InputEvent| url.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let on_explanation = {
        let explanation = explanation.clone();
        Callback::from(move |e: InputEvent| {
            explanation.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    let on_available = {
        let available = available.clone();
        Callback::from(move |e: Event| {
            available.set(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value() == "yes")
        })
    };
    let answer = if props.editable && !from_publication {
        html! {
            <div class="itas-edit">
                <select onchange={on_available} data-testid="itas-available">
                    <option value="yes" selected={*available}>{ "มี" }</option>
                    <option value="no" selected={!*available}>{ "ไม่มี" }</option>
                </select>
                <input type="url" value={(*url).clone()} oninput={on_url} placeholder="https://" data-testid="itas-url" />
                <input type="text" value={(*explanation).clone()} oninput={on_explanation}
                    placeholder={lang.pick("คำอธิบาย เช่น หน้าแรก > ITA", "Where to click")} data-testid="itas-explanation" />
                <button class="small" onclick={save} data-testid="itas-save">{ lang.pick("บันทึก", "Save") }</button>
                if let Some(problem) = &*problem { <span class="error" role="alert" data-testid="itas-problem">{ problem.clone() }</span> }
            </div>
        }
    } else {
        html! {
            <div class="itas-answer">
                if !item.url.is_empty() { <code data-testid="itas-link">{ item.url.clone() }</code> }
                if item.available == Some(false) { <span>{ "ไม่มี" }</span> }
                if !item.explanation.is_empty() { <small>{ item.explanation.clone() }</small> }
            </div>
        }
    };
    html! {
        <tr class={classes!("itas-item", state_name(item.state))} data-testid="itas-item" data-code={item.code.clone()}
            data-state={state_name(item.state)}>
            <td>{ item.code.clone() }</td>
            <td>{ item.title.clone() }
                if !item.answered_by.is_empty() {
                    <span class="muted answered-by" data-testid="itas-answered-by">{ format!(" · {}", prongsai_core::thai::to_official_digits(&item.answered_by)) }</span>
                }
            </td>
            <td><span class="badge">{ state_label(item.state, lang) }</span>
                if from_publication { <br /><small>{ lang.pick("จากรายงานที่เผยแพร่", "from the published report") }</small> }</td>
            <td>{ answer }</td>
        </tr>
    }
}
