//! The memo (บันทึกข้อความ) that carries the report: the coordinator drafts it here (header
//! fields, เรื่องเดิม with last year's score and band, ข้อเท็จจริง, numbered proposals, the drafter),
//! everyone reads it as it will print, with the approval chain's signatures. Each field is saved
//! as its own small edit when it loses focus, so two people's edits of different fields merge.

use std::rc::Rc;

use prongsai_core::calendar::Date;
use prongsai_core::docs::MemoField;
use prongsai_core::edit::Edit;
use prongsai_core::model::{DocKey, DocKind, SignatureDecision};
use prongsai_core::report_model::{MemoView, ReportContent, SIGNED_IN_SYSTEM};
use prongsai_core::thai::{self, Digits, MonthStyle};
use prongsai_core::verification;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use super::datepicker::BeDatePicker;
use super::saved_text::SavedText;
use crate::backend;
use crate::format;
use crate::i18n::Lang;
use crate::state::Action;

#[component]
pub fn MemoPage() -> Html {
    let app = use_context::<AppContext>().expect("MemoPage is inside the app");
    let lang = app.lang;
    let memo = use_state(|| None::<Rc<MemoView>>);
    {
        let (memo, app) = (memo.clone(), app.clone());
        // Another track or round: its memo, not the last one's, once loaded; an answer to an
        // earlier load arriving after a later one is dropped.
        let cleared = memo.clone();
        use_effect_with(app.slot.clone(), move |_| cleared.set(None));
        let loads = use_mut_ref(|| 0u64);
        use_effect_with((app.revision, app.slot.clone()), move |(_, slot)| {
            let slot = slot.clone();
            *loads.borrow_mut() += 1;
            let this = *loads.borrow();
            spawn_local(async move {
                match backend::memo(&slot).await {
                    Ok(loaded) if *loads.borrow() == this => memo.set(Some(Rc::new(loaded))),
                    Ok(_) => {}
                    Err(e) => {
                        app.dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) })
                    }
                }
            });
        });
    }
    let Some(memo) = (*memo).clone() else {
        return html! { <p class="loading">{ lang.pick("กำลังโหลดบันทึกข้อความ…", "Loading the memo…") }</p> };
    };
    let can_edit = app.session.as_ref().is_some_and(|s| s.can_write(&DocKey::of(DocKind::Memo)));
    let apply = {
        let app = app.clone();
        Callback::from(move |edits: Vec<Edit>| {
            let app = app.clone();
            spawn_local(async move {
                match backend::apply_in(&app.slot, edits).await {
                    Ok(()) => app.dispatch(Action::DocumentsChanged),
                    Err(e) => {
                        app.dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) })
                    }
                }
            });
        })
    };
    let today = app.overview.as_ref().map(|o| o.as_of);
    // The item the report answers, from the year's criteria; marked while they are not confirmed.
    let item = memo.report.item().cloned();
    let item_code = item.as_ref().map(|i| format!(" ({})", i.code)).unwrap_or_default();
    let c = &memo.report.content;
    let heading = match (c.track_title.as_str(), c.round_title.as_str()) {
        ("", _) => lang.pick("บันทึกข้อความรายงานผล", "The report memo").to_string(),
        (track, "") => format!("{} {track}", lang.pick("บันทึกข้อความรายงานผล", "The report memo of")),
        (_, round) => format!("{} {}", lang.pick("บันทึกข้อความ", "The memo of"), thai::to_official_digits(round)),
    };
    html! {
        <section class="memo-page" data-testid="memo-page" data-track={c.track.clone()}>
            <h1>{ format!("{heading}{item_code}") }</h1>
            if item.as_ref().is_some_and(|i| !i.confirmed) {
                <p class="notice" data-testid="item-unconfirmed">{ lang.pick(
                    "หัวข้อตามเกณฑ์การประเมินปีนี้ยังไม่ได้ยืนยัน ใช้หัวข้อล่าสุดที่ทราบไปก่อน ตรวจสอบกับคู่มือ ITA เมื่อประกาศ",
                    "This year's ITA criteria are not confirmed yet: the last known heading stands in. Check it against the ITA manual once published.") }</p>
            }
            if can_edit {
                <MemoEditor memo={memo.clone()} lang={lang} on_apply={apply} today={today} />
            }
            <MemoPreview memo={memo} lang={lang} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct MemoEditorProps {
    pub memo: Rc<MemoView>,
    pub lang: Lang,
    pub on_apply: Callback<Vec<Edit>>,
    /// The date a new memo date starts at.
    pub today: Option<Date>,
}

/// The coordinator's form. Inputs show the documents' values and save on change.
#[component]
pub fn MemoEditor(props: &MemoEditorProps) -> Html {
    let lang = props.lang;
    let c = &props.memo.report.content;
    let save = |make: Rc<dyn Fn(String) -> Option<Edit>>| {
        let on_apply = props.on_apply.clone();
        Callback::from(move |value: String| match make(value) {
            Some(edit) => {
                on_apply.emit(vec![edit]);
                true
            }
            None => false,
        })
    };
    let field = |field: MemoField| Rc::new(move |text: String| Some(Edit::SetMemoField { field, text }));
    let textarea = |label: &'static str, key: MemoField, value: &str, rows: u32| {
        html! {
            <>
                <label for={format!("memo-{}", key.key())}>{ label }</label>
                <SavedText id={format!("memo-{}", key.key())} rows={rows} value={value.to_string()} on_save={save(field(key))} />
            </>
        }
    };
    let line = |label: &'static str, key: MemoField, value: &str| {
        html! {
            <>
                <label for={format!("memo-{}", key.key())}>{ label }</label>
                <SavedText id={format!("memo-{}", key.key())} value={value.to_string()} on_save={save(field(key))} />
            </>
        }
    };
    let reference = save(Rc::new(|reference| Some(Edit::SetMemoReference { reference })));
    let drafter_name = {
        let position = c.drafter_position.clone();
        save(Rc::new(move |name| Some(Edit::SetDrafter { name, position: position.clone() })))
    };
    let drafter_position = {
        let name = c.drafter_name.clone();
        save(Rc::new(move |position| Some(Edit::SetDrafter { name: name.clone(), position })))
    };
    let previous = c.previous_score.clone();
    let previous_year = previous.as_ref().map(|p| p.year).unwrap_or(c.year - 1);
    let previous_score = previous.as_ref().map(|p| p.score_hundredths).unwrap_or(0);
    let set_previous_year = save(Rc::new(move |text| {
        let year = i64::try_from(thai::parse_number(&text)?).ok()?;
        Some(Edit::SetPreviousAssessment { year, score_hundredths: previous_score })
    }));
    let set_previous_score = save(Rc::new(move |text| {
        let score = thai::parse_score(&text)?;
        Some(Edit::SetPreviousAssessment { year: previous_year, score_hundredths: i64::from(score) })
    }));
    let band = previous.as_ref().and_then(|p| p.band.clone());
    let date_picker = match c.date {
        Some(date) => {
            let on_apply = props.on_apply.clone();
            let on_change = Callback::from(move |date: Option<Date>| on_apply.emit(vec![Edit::SetMemoDate { date }]));
            html! {
                <div class="memo-date">
                    <BeDatePicker label={lang.pick("วันที่", "Date")} value={date} on_change={on_change.clone()} lang={lang} />
                    <button class="small" onclick={move |_| on_change.emit(None)}>{ lang.pick("ไม่ระบุวันที่", "No date") }</button>
                </div>
            }
        }
        None => {
            let (on_apply, today) = (props.on_apply.clone(), props.today);
            html! {
                <div class="memo-date">
                    <span>{ lang.pick("วันที่: ยังไม่กำหนด", "Date: not set") }</span>
                    <button class="small" disabled={today.is_none()} onclick={move |_| on_apply.emit(vec![Edit::SetMemoDate { date: today }])}>
                        { lang.pick("ใช้วันนี้", "Use today") }
                    </button>
                </div>
            }
        }
    };
    let ids = &props.memo.proposal_ids;
    let count = ids.len();
    let proposals = ids.iter().zip(&c.proposals).enumerate().map(|(index, (id, text))| {
        let change = {
            let id = id.clone();
            save(Rc::new(move |text| Some(Edit::SetProposal { id: id.clone(), text })))
        };
        let mover = |to: usize| {
            let (on_apply, id) = (props.on_apply.clone(), id.clone());
            Callback::from(move |_| on_apply.emit(vec![Edit::MoveProposal { id: id.clone(), index: to }]))
        };
        let remove = {
            let (on_apply, id) = (props.on_apply.clone(), id.clone());
            Callback::from(move |_| on_apply.emit(vec![Edit::RemoveProposal { id: id.clone() }]))
        };
        html! {
            <li key={id.clone()} data-testid="memo-proposal">
                <SavedText rows={2} value={text.clone()} on_save={change} aria_label={format!("{} {}", lang.pick("ข้อเสนอข้อ", "Proposal"), index + 1)} />
                <button class="small" disabled={index == 0} onclick={mover(index.saturating_sub(1))} aria-label={lang.pick("เลื่อนขึ้น", "Move up")}>{ "↑" }</button>
                <button class="small" disabled={index + 1 == count} onclick={mover(index + 1)} aria-label={lang.pick("เลื่อนลง", "Move down")}>{ "↓" }</button>
                <button class="small danger" onclick={remove} aria-label={lang.pick("ลบข้อเสนอ", "Remove proposal")}>{ "×" }</button>
            </li>
        }
    });
    let add_proposal = {
        let on_apply = props.on_apply.clone();
        let text = lang.pick("ข้อเสนอใหม่", "New proposal").to_string();
        Callback::from(move |_| {
            on_apply.emit(vec![Edit::AddProposal { id: format::new_id("p"), index: count, text: text.clone() }])
        })
    };
    html! {
        <form class="memo-editor" data-testid="memo-editor" onsubmit={|e: SubmitEvent| e.prevent_default()}>
            <h2>{ lang.pick("ร่างบันทึกข้อความ (ผู้ประสานงาน)", "Draft the memo (coordinator)") }</h2>
            <fieldset>
                <legend>{ lang.pick("หัวบันทึก", "Header") }</legend>
                { line(lang.pick("ส่วนราชการ", "Department"), MemoField::Department, &c.department) }
                <label for="memo-reference">{ lang.pick("ที่", "Reference") }</label>
                <SavedText id="memo-reference" value={c.reference.clone()} on_save={reference} testid="memo-reference" />
                { date_picker }
                { line(lang.pick("เรื่อง", "Subject"), MemoField::Subject, &c.subject) }
                { line(lang.pick("เรียน", "To"), MemoField::Addressee, &c.addressee) }
            </fieldset>
            <fieldset>
                <legend>{ lang.pick("เรื่องเดิม", "Background") }</legend>
                { textarea(lang.pick("ข้อความ", "Text"), MemoField::Background, &c.background, 4) }
                // Last year's ITA score is quoted in the integrity measures' memo.
                if c.track.is_empty() {
                <div class="previous-score">
                    <label for="memo-previous-year">{ lang.pick("ผลการประเมินปี พ.ศ.", "Assessment year (BE)") }</label>
                    <SavedText id="memo-previous-year" inputmode="numeric" value={previous_year.to_string()} on_save={set_previous_year} />
                    <label for="memo-previous-score">{ lang.pick("คะแนน", "Score") }</label>
                    <SavedText id="memo-previous-score" inputmode="decimal" testid="memo-previous-score"
                        value={previous.as_ref().map(|p| format!("{}.{:02}", p.score_hundredths / 100, p.score_hundredths % 100)).unwrap_or_default()}
                        on_save={set_previous_score} />
                    <span class="band" data-testid="memo-band">{ band.map(|b| format!("{} {b}", lang.pick("ระดับ", "Band"))).unwrap_or_default() }</span>
                </div>
                }
            </fieldset>
            <fieldset>
                <legend>{ lang.pick("ข้อเท็จจริง", "Facts") }</legend>
                { textarea(lang.pick("ข้อความ", "Text"), MemoField::Facts, &c.facts, 5) }
                { line(lang.pick("หัวข้อรายงาน", "Report heading"), MemoField::ReportTitle, &c.report_title) }
                { textarea(lang.pick("ย่อหน้าใต้หัวข้อ", "Paragraph under the heading"), MemoField::ReportIntro, &c.report_intro, 3) }
                { textarea(lang.pick("ข้อความก่อนตาราง", "Sentence before the table"), MemoField::TableLead, &c.table_lead, 2) }
            </fieldset>
            <fieldset>
                <legend>{ lang.pick("ข้อเสนอเพื่อพิจารณา", "Proposals") }</legend>
                { textarea(lang.pick("ข้อความนำ", "Opening sentence"), MemoField::ProposalsIntro, &c.proposals_intro, 2) }
                <ol class="proposal-list">{ for proposals }</ol>
                <button type="button" class="small" onclick={add_proposal} data-testid="memo-add-proposal">{ lang.pick("+ เพิ่มข้อเสนอ", "+ Add proposal") }</button>
                { textarea(lang.pick("ข้อความปิดท้าย", "Closing"), MemoField::Closing, &c.closing, 2) }
            </fieldset>
            <fieldset>
                <legend>{ lang.pick("ผู้จัดทำ", "Drafter") }</legend>
                <label for="memo-drafter-name">{ lang.pick("ชื่อ", "Name") }</label>
                <SavedText id="memo-drafter-name" value={c.drafter_name.clone()} on_save={drafter_name} />
                <label for="memo-drafter-position">{ lang.pick("ตำแหน่ง", "Position") }</label>
                <SavedText id="memo-drafter-position" value={c.drafter_position.clone()} on_save={drafter_position} />
            </fieldset>
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct MemoPreviewProps {
    pub memo: Rc<MemoView>,
    pub lang: Lang,
}

/// The memo as it will print (Thai digits, BE date), with each approval step's signature.
#[component]
pub fn MemoPreview(props: &MemoPreviewProps) -> Html {
    let lang = props.lang;
    let report = &props.memo.report;
    let c: &ReportContent = &report.content;
    let official = |text: &str| thai::to_official_digits(text);
    let paragraphs = |text: &str| {
        text.split('\n').filter(|p| !p.trim().is_empty()).map(|p| html! { <p>{ official(p) }</p> }).collect::<Html>()
    };
    let date = c.date.map(thai::format_date_official).unwrap_or_else(|| "……………………".into());
    let previous = c.previous_score.as_ref().map(|p| {
        let band = p.band.as_deref().map(|b| format!(" ระดับ {b}")).unwrap_or_default();
        format!(
            "ผลการประเมิน ITA ปี พ.ศ. {} ได้คะแนน {}{band}",
            thai::to_thai_digits(&p.year.to_string()),
            thai::format_score(u32::try_from(p.score_hundredths).unwrap_or(0))
        )
    });
    let proposals = c.proposals.iter().enumerate().map(|(i, p)| {
        html! { <li data-testid="preview-proposal">{ format!("{}. {}", thai::to_thai_digits(&(i + 1).to_string()), official(p)) }</li> }
    });
    let steps = report.steps_as_printed().into_iter().zip(&report.signatures).map(|(step, signature)| {
        let block = step.block;
        let (decision, state) = match signature {
            Some(s) => {
                let decision = match s.decision {
                    SignatureDecision::Approved => lang.pick("เห็นชอบ", "Approved"),
                    SignatureDecision::Returned => lang.pick("ส่งกลับแก้ไข", "Returned"),
                    SignatureDecision::Other(_) => lang.pick("ความเห็นอื่น", "Other"),
                };
                let when = s.date.map(|d| thai::format_date(d, MonthStyle::Full, Digits::Thai)).unwrap_or_default();
                let state = if s.up_to_date {
                    ("signed", lang.pick("ลงนามแล้ว", "Signed"))
                } else {
                    ("stale", lang.pick("เนื้อหาเปลี่ยนหลังลงนาม ต้องลงนามใหม่", "Changed since signing: sign again"))
                };
                (html! { <p>{ format!("{decision} {}", official(&s.comment)) }<br />{ when }</p> }, state)
            }
            None => (html! {}, ("waiting", lang.pick("รอลงนาม", "Waiting"))),
        };
        // A signature on the current content prints as signed in the system, by its signer.
        let sign_line = if step.signed.is_some() {
            SIGNED_IN_SYSTEM
        } else {
            "ลงชื่อ………………………………"
        };
        let (name, position) = (step.name, step.position);
        html! {
            <div class={classes!("signature-block", state.0)} data-testid="memo-step" data-step={block.step.clone()}>
                <h4>{ block.title.clone() }</h4>
                { decision }
                <p class="sign-line" data-testid="memo-sign-line">{ sign_line }</p>
                <p>{ format!("({name})") }</p>
                <p>{ official(position) }</p>
                <span class="step-state">{ state.1 }</span>
            </div>
        }
    });
    html! {
        <article class="memo-preview" data-testid="memo-preview" lang="th">
            <h2 class="memo-title">{ "บันทึกข้อความ" }</h2>
            <p><b>{ "ส่วนราชการ " }</b>{ official(&c.department) }</p>
            <p><b>{ "ที่ " }</b>{ official(&c.reference) }<b>{ "  วันที่ " }</b>{ date }</p>
            <p data-testid="preview-subject"><b>{ "เรื่อง " }</b>{ official(&c.subject) }</p>
            <p><b>{ "เรียน " }</b>{ official(&c.addressee) }</p>
            <h3>{ "๑. เรื่องเดิม" }</h3>
            { paragraphs(&c.background) }
            if let Some(previous) = previous { <p data-testid="preview-previous">{ previous }</p> }
            <h3>{ "๒. ข้อเท็จจริง" }</h3>
            { paragraphs(&c.facts) }
            <p class="muted">{ format!("{} {}",
                if c.track.is_empty() { lang.pick("ตารางมาตรการ", "Measures in the table:") } else { lang.pick("ตารางโครงการ", "Projects in the table:") },
                thai::to_thai_digits(&c.measures.len().to_string())) }</p>
            <h3>{ "๓. ข้อเสนอเพื่อพิจารณา" }</h3>
            { paragraphs(&c.proposals_intro) }
            <ol class="plain">{ for proposals }</ol>
            { paragraphs(&c.closing) }
            <div class="signature-block drafter">
                <p class="sign-line">{ "ลงชื่อ………………………………" }</p>
                <p>{ format!("({})", c.drafter_name) }</p>
                <p>{ c.drafter_position.clone() }</p>
            </div>
            { for steps }
            if props.memo.fully_approved {
                <p class="approved-all" data-testid="memo-approved">{ lang.pick("ผ่านการลงนามครบทุกขั้นตอนแล้ว", "Signed by every step") }</p>
                <p class="verification-code" data-testid="memo-code">
                    { format!("{} {}", lang.pick("รหัสตรวจสอบเอกสาร", "Verification code"), verification::grouped(&verification::code(report))) }
                </p>
            }
        </article>
    }
}
