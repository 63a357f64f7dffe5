//! A measure up close: the division's result editor (returned items show the coordinator's
//! comment first), the other divisions' results, conflicts to settle, the plan editor for the
//! coordinator, and the history of who changed what.

use std::rc::Rc;

use prongsai_core::conflicts::Conflict;
use prongsai_core::detail::{MeasureDetail, ResultDetail};
use prongsai_core::edit::Edit;
use prongsai_core::history::HistoryEntry;
use prongsai_core::model::{DocKey, DocKind, ReviewDecisionKind, Status};
use prongsai_core::view::ReviewState;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::AppContext;
use super::plan::PlanEditor;
use super::table::status_class;
use crate::backend;
use crate::form::{FormAction, ResultForm};
use crate::format;
use crate::i18n::Lang;
use crate::state::{Action, Route};

#[derive(Properties, PartialEq)]
pub struct MeasurePageProps {
    pub id: AttrValue,
}

#[component]
pub fn MeasurePage(props: &MeasurePageProps) -> Html {
    let app = use_context::<AppContext>().expect("MeasurePage is inside the app");
    let lang = app.lang;
    let detail = use_state(|| None::<Rc<MeasureDetail>>);
    let history = use_state(|| Rc::new(Vec::<HistoryEntry>::new()));
    let form = use_reducer(ResultForm::default);
    let my_division = app.session.as_ref().and_then(|s| s.division.clone());

    {
        let (detail, history, form, app) = (detail.clone(), history.clone(), form.clone(), app.clone());
        let id = props.id.to_string();
        let my_division = my_division.clone();
        use_effect_with((id, app.revision, app.as_of, app.slot.clone()), move |(id, _, as_of, slot)| {
            let id = id.clone();
            let as_of = as_of.map(|d| d.to_string());
            let slot = slot.clone();
            spawn_local(async move {
                match backend::measure(&id, as_of.as_deref(), &slot).await {
                    Ok(loaded) => {
                        if let Some(mine) =
                            my_division.and_then(|d| loaded.results.iter().find(|r| r.division == d).cloned())
                        {
                            form.dispatch(FormAction::Load {
                                measure: id.clone(),
                                division: mine.division.clone(),
                                result: Box::new(mine),
                            });
                        }
                        detail.set(Some(Rc::new(loaded)));
                    }
                    Err(e) => app.dispatch(Action::Notice { text: app.lang.error(&e.kind).to_string() }),
                }
                if let Ok(entries) = backend::history(&id, &slot).await {
                    history.set(Rc::new(entries));
                }
            });
        });
    }

    let back = {
        let app = app.clone();
        Callback::from(move |_| app.dispatch(Action::Open { route: Route::Table }))
    };
    // Moving from one measure to another keeps this component: until the new one is read, the
    // old one is not shown (typing into it would be lost when the new one arrives).
    let Some(detail) = (*detail).clone().filter(|d| *d.row.id == *props.id) else {
        return html! { <p class="loading">{ lang.pick("กำลังโหลด…", "Loading…") }</p> };
    };
    let session = app.session.clone().unwrap_or_default();
    let row = &detail.row;
    let apply = {
        let (form, app) = (form.clone(), app.clone());
        Callback::from(move |edits: Vec<Edit>| {
            if edits.is_empty() {
                return;
            }
            form.dispatch(FormAction::Saving);
            let (form, app) = (form.clone(), app.clone());
            let adds_link = edits.iter().any(|e| matches!(e, Edit::AddEvidence { .. }));
            spawn_local(async move {
                match backend::apply_in(&app.slot, edits).await {
                    Ok(()) if adds_link => form.dispatch(FormAction::LinkAdded),
                    Ok(()) => form.dispatch(FormAction::Saved),
                    Err(e) => form.dispatch(FormAction::Failed {
                        message: format!("{} ({})", app.lang.error(&e.kind), e.message),
                    }),
                }
            });
        })
    };
    let on_file = {
        let (form, app) = (form.clone(), app.clone());
        Callback::from(move |file: web_sys::File| {
            let current = (*form).clone();
            let (form, app) = (form.clone(), app.clone());
            form.dispatch(FormAction::Saving);
            spawn_local(async move {
                let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => js_sys::Uint8Array::new(&buffer),
                    Err(_) => {
                        form.dispatch(FormAction::Failed { message: app.lang.error("bad_file").to_string() });
                        return;
                    }
                };
                let meta = backend::EvidenceFile {
                    division: current.division.clone(),
                    measure: current.measure.clone(),
                    id: format::new_id("e"),
                    file_name: file.name(),
                    media_type: file.type_(),
                    caption: current.caption.trim().to_string(),
                    track: app.slot.track.clone(),
                    round: app.slot.round.clone(),
                };
                match backend::add_evidence_file(&meta, bytes).await {
                    Ok(()) => form.dispatch(FormAction::LinkAdded),
                    Err(e) => form.dispatch(FormAction::Failed {
                        message: format!("{} ({})", app.lang.error(&e.kind), e.message),
                    }),
                }
            });
        })
    };
    let plain_apply = {
        let app = app.clone();
        Callback::from(move |edits: Vec<Edit>| {
            let app = app.clone();
            spawn_local(async move {
                if let Err(e) = backend::apply_in(&app.slot, edits).await {
                    app.dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) });
                }
            });
        })
    };
    let mine = my_division.as_deref().and_then(|d| detail.results.iter().find(|r| r.division == d));
    let can_write_mine = my_division.as_ref().is_some_and(|d| session.can_write(&DocKey::results(d)));
    let others = detail.results.iter().filter(|r| Some(&r.division) != my_division.as_ref());
    let can_plan = session.can_write(&DocKey::of(DocKind::Plan));
    let can_review = session.can_write(&DocKey::of(DocKind::Review));
    let projects = !app.slot.is_integrity();

    html! {
        <section class="measure-page" data-testid="measure-page" data-measure={row.id.clone()}>
            <button class="back" onclick={back} data-testid="back">{
                if projects { lang.pick("← กลับไปตารางโครงการ", "← Back to the projects") } else { lang.pick("← กลับไปตารางมาตรการ", "← Back to the measures") }
            }</button>
            <h1>{ format!("{} {}. {}", if projects { lang.pick("โครงการที่", "Project") } else { lang.pick("มาตรการที่", "Measure") }, row.number, row.title) }</h1>
            <dl class="facts">
                <dt>{ lang.pick("วิธีดำเนินการ", "Methods") }</dt>
                <dd><ol>{ for row.methods.iter().map(|m| html! { <li>{ &m.text }</li> }) }</ol></dd>
                <dt>{ lang.pick("ระยะเวลาดำเนินงาน", "Schedule") }</dt>
                <dd>{ &row.schedule_label }</dd>
                if projects {
                    <dt>{ lang.pick("งบประมาณ (บาท)", "Budget (baht)") }</dt>
                    <dd data-testid="project-budget">{ row.budget.map(|b| prongsai_core::thai::format_baht(b, prongsai_core::thai::Digits::Thai)).unwrap_or_else(|| "-".into()) }</dd>
                    <dt>{ lang.pick("ตัวชี้วัด", "Indicator") }</dt>
                    <dd>{ &row.indicator }</dd>
                } else {
                    <dt>{ lang.pick("ผลการดำเนินงาน (ในรายงาน)", "Result (as published)") }</dt>
                    <dd class="published">{ &row.published_result }</dd>
                }
                if let Some(carried) = &row.carried {
                    <dt>{ format!("{} {}", lang.pick("ข้อเสนอจากปีงบประมาณ", "Suggestions from fiscal year"), prongsai_core::thai::to_thai_digits(&carried.year.to_string())) }</dt>
                    <dd class="carried" data-testid="carried-suggestion">{
                        if carried.suggestion.trim().is_empty() { lang.pick("(ไม่มีข้อเสนอ)", "(none)").to_string() } else { carried.suggestion.clone() }
                    }</dd>
                }
            </dl>
            if !detail.conflicts.is_empty() {
                <ConflictList conflicts={detail.conflicts.clone()} lang={lang} on_apply={plain_apply.clone()} />
            }
            if let (Some(mine), true) = (mine, can_write_mine) {
                <ResultEditor form={(*form).clone()} result={mine.clone()} lang={lang}
                    on_action={Callback::from({ let form = form.clone(); move |a| form.dispatch(a) })}
                    on_apply={apply.clone()} on_file={on_file} />
            } else if let Some(mine) = mine {
                <ResultCard measure={row.id.clone()} result={mine.clone()} lang={lang} can_review={false} on_apply={plain_apply.clone()} />
            }
            <section class="other-results">
                <h2>{ lang.pick("ผลของหน่วยงานที่รับผิดชอบ", "Results of the responsible divisions") }</h2>
                { for others.map(|r| html! { <ResultCard measure={row.id.clone()} result={r.clone()} lang={lang} can_review={can_review} on_apply={plain_apply.clone()} /> }) }
            </section>
            if can_plan {
                <PlanEditor detail={detail.clone()} lang={lang} on_apply={plain_apply.clone()} projects={projects} />
            }
            <HistoryPanel entries={(*history).clone()} lang={lang} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultEditorProps {
    pub form: ResultForm,
    pub result: ResultDetail,
    pub lang: Lang,
    pub on_action: Callback<FormAction>,
    pub on_apply: Callback<Vec<Edit>>,
    /// A file or photo picked as evidence.
    pub on_file: Callback<web_sys::File>,
}

/// The division's own result: status, text, percent, evidence, save and submit.
#[component]
pub fn ResultEditor(props: &ResultEditorProps) -> Html {
    let lang = props.lang;
    let form = &props.form;
    let result = &props.result;
    let on_status = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            on_action.emit(FormAction::SetStatus { status: Status::parse(&value) });
        })
    };
    // Typing in a box becomes one form action, named by `action`.
    let typed = |action: fn(String) -> FormAction| {
        let on_action = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let target = e.target();
            let value = target
                .as_ref()
                .and_then(|t| t.dyn_ref::<HtmlTextAreaElement>().map(HtmlTextAreaElement::value))
                .or_else(|| target.as_ref().and_then(|t| t.dyn_ref::<HtmlInputElement>().map(HtmlInputElement::value)))
                .unwrap_or_default();
            on_action.emit(action(value))
        })
    };
    let on_text = typed(|text| FormAction::SetText { text });
    let on_percent = typed(|text| FormAction::SetPercent { text });
    let on_link = typed(|text| FormAction::SetLink { text });
    let on_caption = typed(|text| FormAction::SetCaption { text });
    let bad_percent = form.parsed_percent().is_err();
    let save = {
        let (form, on_apply, on_action) = (form.clone(), props.on_apply.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match form.edits() {
                Ok(edits) if edits.is_empty() => on_action.emit(FormAction::Saved),
                Ok(edits) => on_apply.emit(edits),
                Err(_) => {}
            }
        })
    };
    let submit = {
        let (form, on_apply) = (form.clone(), props.on_apply.clone());
        Callback::from(move |_| {
            if let Ok(edits) = form.submit_edits() {
                on_apply.emit(edits);
            }
        })
    };
    let add_link = {
        let (form, on_apply) = (form.clone(), props.on_apply.clone());
        Callback::from(move |_| {
            if let Some(edit) = form.link_edit(format::new_id("e")) {
                on_apply.emit(vec![edit]);
            }
        })
    };
    let pick_file = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_file.emit(file);
            }
            input.set_value("");
        })
    };
    let revert = {
        let on_action = props.on_action.clone();
        Callback::from(move |_| on_action.emit(FormAction::Revert))
    };
    let statuses = [Status::NotStarted, Status::InProgress, Status::Done, Status::Blocked];
    html! {
        <section class="my-result" data-testid="my-result">
            <h2>{ format!("{} {}", lang.pick("ผลการดำเนินงานของ", "Result of"), result.division_name) }</h2>
            if result.review == ReviewState::Returned {
                <div class="review-comment returned" role="alert" data-testid="returned-comment">
                    <strong>{ lang.pick("ผู้ประสานงานส่งกลับให้แก้ไข:", "Returned by the coordinator:") }</strong>
                    <p>{ result.review_comment.clone().unwrap_or_default() }</p>
                </div>
            }
            <p class={classes!("review-state", review_class(result.review))} data-testid="review-state">{ lang.review(result.review) }</p>
            <CarriedNote carried_from={result.carried_from.clone()} lang={lang} />
            if form.changed_elsewhere {
                <p class="notice-inline" role="status">
                    { lang.pick("มีผู้อื่นแก้ไขรายการนี้ขณะที่คุณพิมพ์ ข้อความของคุณยังอยู่ บันทึกเพื่อใช้ข้อความของคุณ หรือ", "Someone else changed this while you typed; your text is kept. Save to keep yours, or") }
                    <button class="link" onclick={revert.clone()}>{ lang.pick("ดูฉบับล่าสุด", "show theirs") }</button>
                </p>
            }
            <form class="result-form" onsubmit={save}>
                <label for="result-status">{ lang.pick("สถานะ", "Status") }</label>
                <select id="result-status" data-testid="result-status" onchange={on_status}>
                    { for statuses.iter().map(|s| html! {
                        <option value={s.as_str().to_string()} selected={*s == form.status}>{ lang.status(s) }</option>
                    }) }
                </select>
                <label for="result-text">{ lang.pick("ผลการดำเนินงาน", "What was done") }</label>
                <textarea id="result-text" data-testid="result-text" rows="6" value={form.text.clone()} oninput={on_text} />
                <label for="result-percent">{ lang.pick("ความคืบหน้า (ร้อยละ)", "Progress (%)") }</label>
                <input id="result-percent" type="text" inputmode="numeric" value={form.percent.clone()} oninput={on_percent}
                    aria-invalid={bad_percent.to_string()} />
                if bad_percent {
                    <p class="form-error">{ lang.pick("ใส่ตัวเลข ๐ ถึง ๑๐๐ หรือเว้นว่าง", "Enter a number from 0 to 100, or leave it empty") }</p>
                }
                if let Some(error) = &form.error {
                    <p class="form-error" role="alert" data-testid="result-error">{ error.clone() }</p>
                }
                <div class="buttons">
                    <button type="submit" class="primary" disabled={form.saving || bad_percent} data-testid="result-save">
                        { lang.pick("บันทึก", "Save") }
                    </button>
                    <button type="button" disabled={form.saving || bad_percent} onclick={submit} data-testid="result-submit">
                        { lang.pick("ส่งให้ผู้ประสานงานตรวจ", "Submit for review") }
                    </button>
                    if form.dirty {
                        <span class="unsaved" data-testid="unsaved">{ lang.pick("ยังไม่ได้บันทึก", "Not saved yet") }</span>
                    }
                </div>
            </form>
            <EvidenceList measure={form.measure.clone()} result={result.clone()} lang={lang} can_remove={true} on_apply={props.on_apply.clone()} />
            <div class="add-link">
                <input type="url" placeholder="https://…" aria-label={lang.pick("ลิงก์หลักฐาน", "Evidence link")} value={form.link.clone()} oninput={on_link} />
                <input type="text" placeholder={lang.pick("คำอธิบาย", "Caption")} value={form.caption.clone()} oninput={on_caption} />
                <button type="button" onclick={add_link}>{ lang.pick("เพิ่มลิงก์", "Add link") }</button>
            </div>
            // On a tablet or phone, the camera itself (`capture`); the photo goes through the
            // same preparation as any other.
            <label class="file-pick camera">
                { lang.pick("ถ่ายภาพหลักฐาน", "Take a photo") }
                <input type="file" data-testid="evidence-camera" disabled={form.saving}
                    accept="image/*" capture="environment" onchange={pick_file.clone()} />
            </label>
            <label class="file-pick">
                { lang.pick("แนบไฟล์หรือภาพถ่าย", "Attach a file or photo") }
                <input type="file" data-testid="evidence-file" disabled={form.saving}
                    accept="image/jpeg,image/png,image/webp,application/pdf,.doc,.docx,.xls,.xlsx,.txt" onchange={pick_file} />
            </label>
            <p class="hint">{ lang.pick(
                "ภาพถ่ายจะถูกย่อขนาดและลบข้อมูลตำแหน่ง (GPS) ก่อนส่ง เพราะหลักฐานจะถูกเผยแพร่",
                "Photos are downscaled and their location (GPS) removed before upload, since evidence is published.") }</p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct CarriedNoteProps {
    pub carried_from: Option<String>,
    pub lang: Lang,
}

/// "Carried from round …": the division has not reported this in the round shown yet, so what it
/// reported in an earlier round stands in (and is where its first edit here starts from).
#[component]
pub fn CarriedNote(props: &CarriedNoteProps) -> Html {
    let Some(round) = &props.carried_from else { return html! {} };
    let lang = props.lang;
    html! {
        <p class="carried-note" role="note" data-testid="carried-from">
            { format!("{} {} {}", lang.pick("ยกมาจาก", "Carried from"), prongsai_core::thai::to_official_digits(round),
                lang.pick("— ยังไม่ได้รายงานในรอบนี้ แก้ไขแล้วบันทึกเพื่อรายงานรอบนี้", "— not reported in this round yet; edit and save to report it")) }
        </p>
    }
}

fn review_class(review: ReviewState) -> &'static str {
    match review {
        ReviewState::Draft => "draft",
        ReviewState::AwaitingReview => "awaiting",
        ReviewState::Approved => "approved",
        ReviewState::Returned => "returned",
        ReviewState::ChangedSinceApproval => "changed",
    }
}

#[derive(Properties, PartialEq)]
pub struct EvidenceListProps {
    pub measure: String,
    pub result: ResultDetail,
    pub lang: Lang,
    pub can_remove: bool,
    pub on_apply: Callback<Vec<Edit>>,
}

#[component]
pub fn EvidenceList(props: &EvidenceListProps) -> Html {
    let lang = props.lang;
    if props.result.evidence.is_empty() {
        return html! { <p class="evidence none">{ lang.pick("ยังไม่มีหลักฐาน", "No evidence yet") }</p> };
    }
    let items = props.result.evidence.iter().map(|e| {
        let label = e.file_name.clone().or_else(|| e.url.clone()).unwrap_or_default();
        let remove = {
            let on_apply = props.on_apply.clone();
            let edit = Edit::RemoveEvidence { division: props.result.division.clone(), measure: props.measure.clone(), id: e.id.clone() };
            Callback::from(move |_| on_apply.emit(vec![edit.clone()]))
        };
        html! {
            <li>
                if let Some(url) = &e.url {
                    <a href={url.clone()} target="_blank" rel="noopener noreferrer">{ label.clone() }</a>
                } else {
                    <span>{ label.clone() }</span>
                }
                if !e.caption.is_empty() { <span class="caption">{ format!(" — {}", e.caption) }</span> }
                if props.can_remove {
                    <button class="small" aria-label={lang.pick("ลบหลักฐาน", "Remove evidence")} onclick={remove}>{ "×" }</button>
                }
            </li>
        }
    });
    html! {
        <section class="evidence">
            <h3>{ lang.pick("หลักฐาน", "Evidence") }</h3>
            <ul>{ for items }</ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultCardProps {
    pub measure: String,
    pub result: ResultDetail,
    pub lang: Lang,
    /// The coordinator sees approve / return buttons on submitted results.
    pub can_review: bool,
    pub on_apply: Callback<Vec<Edit>>,
}

/// A division's result, read-only.
#[component]
pub fn ResultCard(props: &ResultCardProps) -> Html {
    let lang = props.lang;
    let r = &props.result;
    html! {
        <article class={classes!("result-card", status_class(&r.status))} data-division={r.division.clone()}>
            <header>
                <h3>{ &r.division_name }</h3>
                <span class={classes!("chip", status_class(&r.status))}>{ lang.status(&r.status) }</span>
                <span class={classes!("review-state", review_class(r.review))}>{ lang.review(r.review) }</span>
                if r.late { <span class="chip late">{ lang.pick("เลยกำหนด", "Late") }</span> }
            </header>
            if let Some(comment) = &r.review_comment {
                <p class="review-comment">{ comment.clone() }</p>
            }
            <CarriedNote carried_from={r.carried_from.clone()} lang={lang} />
            <p class="result-text">{ if r.text.is_empty() { lang.pick("ยังไม่ได้รายงานผล", "Nothing reported yet").to_string() } else { r.text.clone() } }</p>
            if let (Some(by), Some(at)) = (&r.updated_by, r.updated_at) {
                <p class="meta">{ format!("{} {by} · {}", lang.pick("แก้ไขล่าสุดโดย", "Last changed by"), format::when(at, lang)) }</p>
            }
            <EvidenceList measure={props.measure.clone()} result={r.clone()} lang={lang} can_remove={false} on_apply={props.on_apply.clone()} />
            if props.can_review && matches!(r.review, ReviewState::AwaitingReview | ReviewState::ChangedSinceApproval) {
                <ReviewBox measure={props.measure.clone()} result={r.clone()} lang={lang} on_apply={props.on_apply.clone()} />
            }
        </article>
    }
}

#[derive(Properties, PartialEq)]
pub struct ReviewBoxProps {
    pub measure: String,
    pub result: ResultDetail,
    pub lang: Lang,
    pub on_apply: Callback<Vec<Edit>>,
}

/// The coordinator's decision on a submitted result: approve it, or return it with a comment.
#[component]
pub fn ReviewBox(props: &ReviewBoxProps) -> Html {
    let lang = props.lang;
    let comment = use_state(String::new);
    let decide = |decision: ReviewDecisionKind| {
        let (on_apply, comment) = (props.on_apply.clone(), comment.clone());
        let (measure, division, content_hash) =
            (props.measure.clone(), props.result.division.clone(), props.result.content_hash.clone());
        Callback::from(move |_| {
            on_apply.emit(vec![Edit::Decide {
                measure: measure.clone(),
                division: division.clone(),
                decision: decision.clone(),
                comment: (*comment).clone(),
                content_hash: content_hash.clone(),
            }])
        })
    };
    let on_comment = {
        let comment = comment.clone();
        Callback::from(move |e: InputEvent| comment.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    html! {
        <div class="review-box">
            <textarea rows="2" placeholder={lang.pick("ความเห็น (ต้องระบุเมื่อส่งกลับ)", "Comment (required to return)")}
                value={(*comment).clone()} oninput={on_comment} />
            <button class="primary small" onclick={decide(ReviewDecisionKind::Approved)}>{ lang.pick("ผ่าน", "Approve") }</button>
            <button class="small" disabled={comment.trim().is_empty()} onclick={decide(ReviewDecisionKind::Returned)}>{ lang.pick("ส่งกลับแก้ไข", "Return") }</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ConflictListProps {
    pub conflicts: Vec<Conflict>,
    pub lang: Lang,
    pub on_apply: Callback<Vec<Edit>>,
}

/// Where two people set different values: show every value and let a person keep one.
#[component]
pub fn ConflictList(props: &ConflictListProps) -> Html {
    let lang = props.lang;
    let items = props.conflicts.iter().map(|c| {
        let values = c.values.iter().enumerate().map(|(index, value)| {
            let choose = {
                let on_apply = props.on_apply.clone();
                let edit = Edit::ResolveConflict {
                    document: c.document.clone(),
                    path: c.path.clone(),
                    index,
                    expected: value.display.clone(),
                };
                Callback::from(move |_| on_apply.emit(vec![edit.clone()]))
            };
            html! {
                <li>
                    <span class="value">{ shown_value(&c.field, &value.display, lang) }</span>
                    <button class="small" onclick={choose}>{ lang.pick("ใช้ค่านี้", "Keep this") }</button>
                </li>
            }
        });
        let whose = c.division.clone().map(|d| format!(" ({d})")).unwrap_or_default();
        html! {
            <li class="conflict">
                <p>{ format!("{} “{}”{whose}", lang.pick("มีผู้แก้ไขพร้อมกันต่างกันที่", "Edited differently at the same time:"), field_label(&c.field, lang)) }</p>
                <ul>{ for values }</ul>
            </li>
        }
    });
    html! {
        <section class="conflicts" data-testid="conflicts">
            <h2>{ lang.pick("ต้องเลือกค่าที่ถูกต้อง", "Choose the right value") }</h2>
            <ul>{ for items }</ul>
        </section>
    }
}

/// What a field is called on screen; empty for bookkeeping fields history need not show.
fn field_label(field: &str, lang: Lang) -> String {
    match field {
        "status" => lang.pick("สถานะ", "status"),
        "text" => lang.pick("ผลการดำเนินงาน", "result text"),
        "result" => lang.pick("สร้างรายการผลการดำเนินงาน", "result created"),
        "measure" => lang.pick("สร้างมาตรการ", "measure created"),
        "schedule" => lang.pick("ระยะเวลาดำเนินงาน", "schedule"),
        "percent" => lang.pick("ร้อยละความคืบหน้า", "percent"),
        "evidence" => lang.pick("หลักฐาน", "evidence"),
        "submission" => lang.pick("ส่งตรวจ", "submission"),
        "decision" | "comment" => lang.pick("ผลการตรวจ", "review"),
        "title" => lang.pick("ชื่อมาตรการ", "title"),
        "methods" => lang.pick("วิธีดำเนินการ", "methods"),
        "responsible" => lang.pick("ผู้รับผิดชอบ", "responsible divisions"),
        "published_result" => lang.pick("ผลที่รายงาน", "published result"),
        "suggestion" => lang.pick("ข้อเสนอ", "suggestion"),
        "round_result" => lang.pick("ผลที่รายงานในรอบ", "the round's result"),
        "budget" => lang.pick("งบประมาณ", "budget"),
        "indicator" => lang.pick("ตัวชี้วัด", "indicator"),
        "order" => lang.pick("ลำดับ", "order"),
        _ => "",
    }
    .to_string()
}

fn shown_value(field: &str, display: &str, lang: Lang) -> String {
    match field {
        "status" => lang.status(&Status::parse(display)).to_string(),
        "budget" => display
            .parse::<i64>()
            .map(|satang| prongsai_core::thai::format_baht(satang, prongsai_core::thai::Digits::Thai))
            .unwrap_or_else(|_| display.to_string()),
        _ => display.to_string(),
    }
}

#[derive(Properties, PartialEq)]
pub struct HistoryPanelProps {
    pub entries: Rc<Vec<HistoryEntry>>,
    pub lang: Lang,
}

/// Who changed what about this measure, newest first.
#[component]
pub fn HistoryPanel(props: &HistoryPanelProps) -> Html {
    let lang = props.lang;
    let items = props.entries.iter().rev().map(|e| {
        let who = person(e.display_name.as_deref(), e.username.as_deref(), lang);
        let fields = e
            .fields
            .iter()
            .filter_map(|f| {
                let label = field_label(&f.field, lang);
                Some(match f.value.as_deref() {
                    _ if label.is_empty() => return None,
                    Some("null") | None => label,
                    Some(v) if f.field == "status" => format!("{label}: {}", lang.status(&Status::parse(v))),
                    Some(v) => format!("{label}: {}", shorten(v)),
                })
            })
            .collect::<Vec<_>>()
            .join(" · ");
        html! {
            <li>
                <span class="when">{ format::when(e.at_ms, lang) }</span>
                <span class="who">{ who }</span>
                <span class="what">{ history_message(&e.message, lang) }</span>
                <span class="fields">{ fields }</span>
            </li>
        }
    });
    html! {
        <section class="history" data-testid="history">
            <h2>{ lang.pick("ประวัติการแก้ไข", "History") }</h2>
            if props.entries.is_empty() {
                <p>{ lang.pick("ยังไม่มีการแก้ไข", "No changes yet") }</p>
            } else {
                <ol>{ for items }</ol>
            }
        </section>
    }
}

fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(80).collect();
    if chars.next().is_some() { format!("{short}…") } else { short }
}

/// Commit messages are written in English by `Edit::message`; show them in the chosen language.
/// Who made a change, as shown: their name, "ระบบ" for the server, or "unknown".
pub(crate) fn person(display_name: Option<&str>, username: Option<&str>, lang: Lang) -> String {
    match (display_name, username) {
        (Some(name), _) if !name.is_empty() => name.to_string(),
        (_, Some("server")) => lang.pick("ระบบ", "the system").to_string(),
        (_, Some(username)) => username.to_string(),
        (_, None) => lang.pick("ผู้ใช้ที่ระบบไม่รู้จัก", "an unknown device").to_string(),
    }
}

pub(crate) fn history_message(message: &str, lang: Lang) -> String {
    message
        .split(", ")
        .map(|part| {
            match part {
                "set status" => lang.pick("เปลี่ยนสถานะ", "set status"),
                "edit result" => lang.pick("แก้ไขผลการดำเนินงาน", "edited the result"),
                "set percent" => lang.pick("ปรับความคืบหน้า", "set progress"),
                "add evidence" => lang.pick("เพิ่มหลักฐาน", "added evidence"),
                "remove evidence" => lang.pick("ลบหลักฐาน", "removed evidence"),
                "submit for review" => lang.pick("ส่งตรวจ", "submitted for review"),
                "review decision" => lang.pick("ผู้ประสานงานตรวจ", "review decision"),
                "resolve conflict" => lang.pick("เลือกค่าที่ขัดกัน", "settled a conflict"),
                "add measure" => lang.pick("เพิ่มมาตรการ", "added the measure"),
                "edit title" => lang.pick("แก้ไขชื่อมาตรการ", "edited the title"),
                "edit published result" => lang.pick("แก้ไขผลที่รายงาน", "edited the published result"),
                "edit suggestion" => lang.pick("แก้ไขข้อเสนอ", "edited the suggestion"),
                "edit round result" => lang.pick("แก้ไขผลที่รายงานในรอบ", "edited the round's result"),
                "set budget" => lang.pick("กำหนดงบประมาณ", "set the budget"),
                "set indicator" => lang.pick("กำหนดตัวชี้วัด", "set the indicator"),
                "set schedule" => lang.pick("กำหนดไตรมาส", "set the schedule"),
                "assign division" => lang.pick("กำหนดผู้รับผิดชอบ", "assigned divisions"),
                "add method" | "edit method" | "move method" | "remove method" => {
                    lang.pick("แก้ไขวิธีดำเนินการ", "changed the methods")
                }
                "move measure" => lang.pick("ย้ายลำดับมาตรการ", "moved the measure"),
                "edit memo" => lang.pick("แก้ไขบันทึกข้อความ", "edited the memo"),
                "set drafter" => lang.pick("กำหนดผู้จัดทำบันทึก", "set the drafter"),
                "set previous assessment" => lang.pick("บันทึกผลการประเมินปีก่อน", "set last year's score"),
                "add proposal" | "edit proposal" | "move proposal" | "remove proposal" => {
                    lang.pick("แก้ไขข้อเสนอเพื่อพิจารณา", "changed the proposals")
                }
                other => return other.to_string(),
            }
            .to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}
