//! The reports page: every format the agency publishes or hands on (the O43 memo as PDF, Word and
//! a web page; the results table; the O42 plan; the ITAS answers; the plan template). In the app a
//! report is rendered on the device, offline too, and saved into the documents folder or where
//! the person picks; in a browser it downloads from the server.

use prongsai_core::Date;
use prongsai_core::model::Role;
use prongsai_core::report_format::ReportFormat;
use prongsai_core::report_model::Part;
use prongsai_core::thai::{self, Digits, MonthStyle};
use prongsai_core::tracks::{Slot, Target};
use prongsai_core::verification;
use prongsai_core::wire::PublishedInfo;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use crate::backend::{self, Exported};
use crate::i18n::Lang;

#[derive(Clone, Debug, PartialEq)]
enum Progress {
    Idle,
    Rendering(&'static str),
    Done(&'static str, Exported),
    Failed(&'static str, String),
}

#[component]
pub fn ReportsPage() -> Html {
    let app = use_context::<AppContext>().expect("ReportsPage is inside the app");
    let lang = app.lang;
    let progress = use_state(|| Progress::Idle);
    let in_app = backend::in_app();
    let busy = matches!(*progress, Progress::Rendering(_));
    let slot = app.slot.clone();
    let export = |format: &'static str, ask: bool| {
        let (progress, slot) = (progress.clone(), slot.clone());
        Callback::from(move |_| {
            let (progress, slot) = (progress.clone(), slot.clone());
            progress.set(Progress::Rendering(format));
            spawn_local(async move {
                match backend::export_report(format, ask, &slot).await {
                    Ok(Some(done)) => progress.set(Progress::Done(format, done)),
                    Ok(None) => progress.set(Progress::Idle),
                    Err(e) => {
                        progress.set(Progress::Failed(format, format!("{} ({})", lang.error(&e.kind), e.message)))
                    }
                }
            });
        })
    };
    let items = app.overview.as_ref().and_then(|o| o.integrity.clone());
    let rows = ReportFormat::ALL.into_iter().map(|format| {
        let (th, en) = format.label(items.as_ref());
        let label = if lang == crate::i18n::Lang::Th { th } else { en };
        // A plan is the track's, not a round's: its file is asked for without the round.
        let of_round = format.of_part(Part::Plan) != format;
        let download_slot = Slot { round: slot.round.clone().filter(|_| of_round), ..slot.clone() };
        let format = format.name();
        let actions = if in_app {
            html! {
                <>
                    <button disabled={busy} onclick={export(format, false)} data-testid={format!("export-{format}")}>
                        { lang.pick("บันทึก", "Save") }
                    </button>
                    <button class="secondary" disabled={busy} onclick={export(format, true)} data-testid={format!("export-as-{format}")}>
                        { lang.pick("บันทึกเป็น…", "Save as…") }
                    </button>
                </>
            }
        } else if backend::on_device() {
            // A tablet used as a device: the device fetches the server's file with its session
            // (the page holds no token for an address to carry).
            let (progress, slot) = (progress.clone(), download_slot.clone());
            let download = Callback::from(move |_| {
                let (progress, slot) = (progress.clone(), slot.clone());
                progress.set(Progress::Rendering(format));
                spawn_local(async move {
                    match backend::download_report(format, &slot).await {
                        Ok(()) => progress.set(Progress::Idle),
                        Err(e) => {
                            progress.set(Progress::Failed(format, format!("{} ({})", lang.error(&e.kind), e.message)))
                        }
                    }
                });
            });
            html! { <button class="button" disabled={busy} onclick={download} data-testid={format!("download-{format}")}>{ lang.pick("ดาวน์โหลด", "Download") }</button> }
        } else {
            match backend::report_download_url(format, &download_slot) {
                Some(url) => html! { <a class="button" href={url} download="" data-testid={format!("download-{format}")}>{ lang.pick("ดาวน์โหลด", "Download") }</a> },
                None => html! {},
            }
        };
        let status = match &*progress {
            Progress::Rendering(f) if *f == format => {
                html! { <span class="export-state busy" role="status" data-testid="export-busy">{ lang.pick("กำลังสร้างรายงาน…", "Rendering…") }</span> }
            }
            Progress::Done(f, done) if *f == format => html! {
                <span class="export-state done" role="status" data-testid="export-done" data-path={done.path.clone()}>
                    { format!("{} {} ({} KB, {} ms)", lang.pick("บันทึกแล้วที่", "Saved to"), done.path, done.bytes.div_ceil(1024), done.millis) }
                </span>
            },
            Progress::Failed(f, message) if *f == format => {
                html! { <span class="export-state failed" role="alert" data-testid="export-failed">{ message.clone() }</span> }
            }
            _ => html! {},
        };
        html! {
            <li class="report-format" data-format={format}>
                <span class="report-label">{ label }</span>
                <span class="report-actions">{ actions }</span>
                { status }
            </li>
        }
    });
    html! {
        <section class="reports-page" data-testid="reports-page">
            <h1>{ lang.pick("รายงานและไฟล์ส่งออก", "Reports and exports") }</h1>
            if let Some((track, round)) = app.overview.as_ref().and_then(|o| o.track_and_round()) {
                <p class="track-of-reports" data-testid="reports-track">{ format!("{track} · {}", prongsai_core::thai::to_official_digits(round)) }</p>
            }
            <p class="muted">{ explanation(lang, in_app) }</p>
            <ul class="report-formats">{ for rows }</ul>
            <PublicationBox part={Part::Plan} slot={slot.clone()} />
            <PublicationBox part={Part::Report} slot={slot.clone()} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct PublicationProps {
    part: Part,
    /// The track and round shown (the integrity measures' by default).
    #[prop_or_default]
    slot: Slot,
}

/// The published plan or report of the year: its public addresses, the verification code it
/// prints, and the wet-signed scan the coordinator attaches; for the report, whether it waits for
/// its plan and the coordinator's reason for publishing it first. From the server (online only).
#[component]
fn PublicationBox(props: &PublicationProps) -> Html {
    let app = use_context::<AppContext>().expect("PublicationBox is inside the app");
    let lang = app.lang;
    let part = props.part;
    let target = Target { slot: props.slot.clone(), part };
    let waiver_text = use_state(String::new);
    let waiver_state = use_state(|| None::<Result<(), String>>);
    let info = use_state(|| None::<Result<PublishedInfo, String>>);
    let file = use_state(|| None::<web_sys::File>);
    let attach_state = use_state(|| None::<Result<(), String>>);
    let session = app.session.clone();
    let year = session.as_ref().map(|s| s.year).unwrap_or_default();
    {
        let info = info.clone();
        let query = target.query_string();
        use_effect_with((year, app.revision, query), move |(_, _, query)| {
            let query = query.clone();
            spawn_local(async move {
                let path = format!("/years/{year}/published{query}");
                let answer = backend::agency::<PublishedInfo>("GET", &path, None).await;
                info.set(Some(answer.map_err(|e| lang.error(&e.kind).to_string())));
            });
        });
    }
    let server = session.as_ref().map(|s| s.server.trim_end_matches('/').to_string()).unwrap_or_default();
    let address = |path: &str| format!("{server}{path}");
    let may_attach =
        session.as_ref().is_some_and(|s| s.roles.iter().any(|r| matches!(r, Role::Coordinator | Role::Admin)));
    let on_file = {
        let file = file.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            file.set(input.files().and_then(|f| f.get(0)));
        })
    };
    let attach = {
        let (file, info, attach_state) = (file.clone(), info.clone(), attach_state.clone());
        let (track, round) = (target.slot.track.clone(), target.slot.round.clone());
        Callback::from(move |_| {
            let (track, round) = (track.clone(), round.clone());
            let Some(chosen) = (*file).clone() else {
                attach_state.set(Some(Err(lang.pick("เลือกไฟล์ PDF ก่อน", "Choose the PDF first").to_string())));
                return;
            };
            let (info, attach_state) = (info.clone(), attach_state.clone());
            spawn_local(async move {
                let answer = async {
                    let bytes = backend::read_file(&chosen).await?;
                    let value = backend::upload(&backend::Upload::Scan { year, part, track, round }, bytes).await?;
                    serde_json::from_value::<PublishedInfo>(value)
                        .map_err(|e| backend::BackendError { kind: "other".into(), message: e.to_string() })
                }
                .await;
                match answer {
                    Ok(now) => {
                        info.set(Some(Ok(now)));
                        attach_state.set(Some(Ok(())));
                    }
                    Err(e) => attach_state.set(Some(Err(format!("{} ({})", lang.error(&e.kind), e.message)))),
                }
            });
        })
    };
    let save_waiver = {
        let (waiver_text, waiver_state, info) = (waiver_text.clone(), waiver_state.clone(), info.clone());
        let query = target.query_string();
        Callback::from(move |_| {
            let (waiver_text, waiver_state, info, query) =
                (waiver_text.clone(), waiver_state.clone(), info.clone(), query.clone());
            spawn_local(async move {
                let body = serde_json::json!({ "reason": (*waiver_text).clone() });
                let path = format!("/years/{year}/plan-waiver{query}");
                match backend::agency::<PublishedInfo>("PUT", &path, Some(body)).await {
                    Ok(now) => {
                        info.set(Some(Ok(now)));
                        waiver_text.set(String::new());
                        waiver_state.set(Some(Ok(())));
                    }
                    Err(e) => waiver_state.set(Some(Err(format!("{} ({})", lang.error(&e.kind), e.message)))),
                }
            });
        })
    };
    let on_waiver_input = {
        let waiver_text = waiver_text.clone();
        Callback::from(move |e: InputEvent| {
            waiver_text.set(e.target_unchecked_into::<web_sys::HtmlTextAreaElement>().value())
        })
    };
    // The report waits for its plan: the coordinator may record why it goes first.
    let waiver = match &*info {
        Some(Ok(info)) if part == Part::Report => html! {
            <>
                if info.waits_for_plan {
                    <p class="notice" data-testid="publication-waits-for-plan">{ lang.pick(
                        "ผู้ลงนามเห็นชอบรายงานครบแล้ว แต่รายงานจะเผยแพร่หลังแผนมาตรการเผยแพร่แล้ว หรือเมื่อผู้ประสานงานบันทึกเหตุผลที่ต้องเผยแพร่ก่อน",
                        "Every step approved the report; it is published once its plan is, or once the coordinator records why it goes first.",
                    ) }</p>
                }
                if let Some(w) = &info.plan_waiver {
                    <p data-testid="publication-plan-waiver">{ format!("{} {}", lang.pick("เหตุผลที่เผยแพร่ก่อนแผน:", "Why it goes before the plan:"), w.reason) }</p>
                }
                if may_attach && info.published.is_none() && (info.waits_for_plan || info.plan_waiver.is_none()) {
                    <fieldset class="plan-waiver">
                        <legend>{ lang.pick("เผยแพร่รายงานก่อนแผน: บันทึกเหตุผล", "Publish the report before its plan: record why") }</legend>
                        <textarea rows="2" value={(*waiver_text).clone()} oninput={on_waiver_input} data-testid="plan-waiver-reason" />
                        <button onclick={save_waiver} disabled={waiver_text.trim().is_empty()} data-testid="plan-waiver-save">{ lang.pick("บันทึกเหตุผล", "Record the reason") }</button>
                        { match &*waiver_state {
                            Some(Ok(())) => html! { <span class="export-state done" role="status">{ lang.pick("บันทึกแล้ว", "Recorded") }</span> },
                            Some(Err(message)) => html! { <span class="export-state failed" role="alert" data-testid="plan-waiver-failed">{ message.clone() }</span> },
                            None => html! {},
                        } }
                    </fieldset>
                }
            </>
        },
        _ => html! {},
    };
    let body = match &*info {
        None => html! { <p class="muted">{ lang.pick("กำลังตรวจสอบ…", "Checking…") }</p> },
        Some(Err(message)) => html! { <p class="muted" data-testid="publication-unknown">{ message.clone() }</p> },
        Some(Ok(PublishedInfo { published: None, .. })) => html! {
            <p data-testid="publication-none">{ match part {
                Part::Plan => lang.pick(
                    "ยังไม่เผยแพร่ แผนจะเผยแพร่เองเมื่อผู้ลงนามทุกขั้นตอนอนุมัติแผนฉบับปัจจุบัน (ลงนามที่หน้าภาพรวม)",
                    "Not published yet: the plan publishes itself once every step has approved the current version (signed on the overview).",
                ),
                Part::Report => lang.pick(
                    "ยังไม่เผยแพร่ รายงานจะเผยแพร่เองเมื่อผู้ลงนามทุกขั้นตอนเห็นชอบฉบับปัจจุบัน",
                    "Not published yet: the report publishes itself once every step has approved the current version.",
                ),
            } }</p>
        },
        Some(Ok(info)) => {
            let published = info.published.as_ref().expect("matched above");
            let when = thai::format_date(
                Date::from_unix_millis_bangkok(published.published_at),
                MonthStyle::Full,
                Digits::Thai,
            );
            html! {
                <>
                    <p data-testid="publication-date">{ format!("{} {when}", lang.pick("เผยแพร่แล้วเมื่อ", "Published on")) }</p>
                    <ul class="plain">
                        <li>{ "PDF: " }<code data-testid="publication-pdf">{ address(&info.pdf) }</code></li>
                        <li>{ "HTML: " }<code>{ address(&info.html) }</code></li>
                        if let (Some(code), Some(verify)) = (&published.code, &info.verify) {
                            <li>
                                { lang.pick("รหัสตรวจสอบ ", "Verification code ") }
                                <b data-testid="publication-code">{ verification::grouped(code) }</b>
                                { " · " }<code data-testid="publication-verify">{ address(verify) }</code>
                            </li>
                        }
                        if let Some(scan) = &info.scan {
                            <li>{ lang.pick("สำเนาที่ลงนามด้วยลายมือ: ", "Wet-signed scan: ") }<code data-testid="publication-scan">{ address(scan) }</code></li>
                        }
                    </ul>
                    if may_attach {
                        <fieldset class="attach-scan">
                            <legend>{ lang.pick("แนบสำเนาบันทึกที่ลงนามด้วยลายมือ (PDF)", "Attach the wet-signed memo (PDF)") }</legend>
                            <input type="file" accept="application/pdf,.pdf" onchange={on_file} data-testid="scan-file" />
                            <button onclick={attach} data-testid="scan-attach">{ lang.pick("แนบและเผยแพร่", "Attach and publish") }</button>
                            { match &*attach_state {
                                Some(Ok(())) => html! { <span class="export-state done" role="status" data-testid="scan-done">{ lang.pick("แนบแล้ว", "Attached") }</span> },
                                Some(Err(message)) => html! { <span class="export-state failed" role="alert" data-testid="scan-failed">{ message.clone() }</span> },
                                None => html! {},
                            } }
                        </fieldset>
                    }
                </>
            }
        }
    };
    let code = app.overview.as_ref().and_then(|o| o.integrity.as_ref()?.item(part)).map(|i| format!(" {}", i.code));
    let (heading, testid) = match part {
        Part::Plan => (lang.pick("การเผยแพร่แผนมาตรการ", "Publishing the plan"), "plan-publication"),
        Part::Report => (lang.pick("การเผยแพร่รายงานผล", "Publishing the report"), "publication"),
    };
    let heading = format!("{heading}{}", code.unwrap_or_default());
    html! {
        <section class="publication" data-testid={testid} data-part={part.as_str()}>
            <h2>{ heading }</h2>
            { body }
            { waiver }
        </section>
    }
}

fn explanation(lang: Lang, in_app: bool) -> &'static str {
    if in_app {
        lang.pick(
            "รายงานสร้างจากข้อมูลในเครื่องนี้ ใช้ได้แม้ไม่มีสัญญาณ ปุ่ม \"บันทึก\" เก็บไฟล์ไว้ในโฟลเดอร์เอกสาร/Prongsai",
            "Reports are rendered from this device's data, offline too. \"Save\" puts the file in Documents/Prongsai.",
        )
    } else {
        lang.pick(
            "รายงานสร้างจากข้อมูลล่าสุดบนเซิร์ฟเวอร์ รายงานที่ลงนามครบแล้วเผยแพร่ที่ /public/หน่วยงาน/ปี/รหัสข้อ.pdf",
            "Reports are rendered from the server's latest data. A fully signed report is published at /public/agency/year/item.pdf.",
        )
    }
}
