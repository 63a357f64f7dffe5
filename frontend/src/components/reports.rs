//! The reports page: every format the agency publishes or hands on (the O43 memo as PDF, Word and
//! a web page; the results table; the O42 plan; the ITAS answers; the plan template). In the app a
//! report is rendered on the device, offline too, and saved into the documents folder or where
//! the person picks; in a browser it downloads from the server.

use prongsai_core::report_format::ReportFormat;
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
    let export = |format: &'static str, ask: bool| {
        let progress = progress.clone();
        Callback::from(move |_| {
            let progress = progress.clone();
            progress.set(Progress::Rendering(format));
            spawn_local(async move {
                match backend::export_report(format, ask).await {
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
        } else {
            match backend::report_download_url(format) {
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
            <p class="muted">{ explanation(lang, in_app) }</p>
            <ul class="report-formats">{ for rows }</ul>
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
