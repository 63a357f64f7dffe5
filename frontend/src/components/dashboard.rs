//! The central office's dashboard: a measure × division matrix coloured by status, progress per
//! fiscal quarter (SVG), what is late, waiting for review or changed since approval, conflicts,
//! evidence, the OIT window, and the memo's approval chain, where the approver whose turn it is
//! signs. Filters by division, quarter and status. It updates when documents change.

use std::rc::Rc;

use prongsai_core::calendar::Date;
use prongsai_core::history::ActivityEntry;
use prongsai_core::model::{SignatureDecision, Status};
use prongsai_core::report_model::Part;
use prongsai_core::view::{Cell, CellRef, MeasureRow, MergedView, QuarterProgress, ReviewState};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::AppContext;
use super::datepicker::BeDatePicker;
use super::measure::{history_message, person};
use super::table::status_class;
use crate::backend;
use crate::format;
use crate::i18n::Lang;
use crate::state::{Action, DashboardFilter, Route};

#[component]
pub fn DashboardPage() -> Html {
    let app = use_context::<AppContext>().expect("DashboardPage is inside the app");
    let lang = app.lang;
    let Some(overview) = app.overview.clone() else {
        return html! { <p class="loading">{ lang.pick("กำลังโหลด…", "Loading…") }</p> };
    };
    let open = {
        let app = app.clone();
        Callback::from(move |id: String| app.dispatch(Action::Open { route: Route::Measure(id) }))
    };
    let set_date = {
        let app = app.clone();
        Callback::from(move |date| app.dispatch(Action::SetAsOf { date }))
    };
    let set_filter = {
        let app = app.clone();
        Callback::from(move |filter| app.dispatch(Action::Filter { filter }))
    };
    let rows: Vec<(MeasureRow, Vec<Cell>)> =
        app.dashboard_rows().into_iter().map(|(m, cells)| (m.clone(), cells.into_iter().cloned().collect())).collect();
    let columns: Vec<(String, String)> = overview
        .divisions
        .iter()
        .filter(|d| app.filter.division.as_ref().is_none_or(|f| f == &d.id))
        .map(|d| (d.id.clone(), d.name.clone()))
        .collect();
    let counts = &overview.counts;
    let window = overview.oit_window.as_ref().map(|w| match (w.days_until_open, w.days_left) {
        _ if overview.as_of > w.to => lang.pick("ปิดรับข้อมูล OIT แล้ว", "OIT window closed").to_string(),
        (Some(days), _) if days > 0 => {
            format!("{} {days} {}", lang.pick("เปิดรับข้อมูล OIT อีก", "OIT window opens in"), lang.pick("วัน", "days"))
        }
        (_, Some(days)) if days >= 0 => {
            format!("{} {days} {}", lang.pick("เหลือเวลาส่งข้อมูล OIT", "OIT window closes in"), lang.pick("วัน", "days"))
        }
        _ => lang.pick("ปิดรับข้อมูล OIT แล้ว", "OIT window closed").to_string(),
    });
    let track = overview.track_and_round();
    html! {
        <section class="dashboard" data-testid="dashboard">
            <div class="page-head">
                if let Some((track, round)) = track {
                    <h1 data-testid="track-heading">{ format!("{track} · {} {} {}", prongsai_core::thai::to_official_digits(round), lang.pick("ปีงบประมาณ", "fiscal year"), overview.year) }</h1>
                } else {
                    <h1>{ format!("{} {} {}", lang.pick("ภาพรวม ปีงบประมาณ", "Overview, fiscal year"), overview.year, overview.agency.short_name) }</h1>
                }
                <BeDatePicker label={lang.pick("สถานะ ณ วันที่", "Status as of")} value={app.as_of.unwrap_or(overview.as_of)} on_change={set_date} lang={lang} />
            </div>
            <div class="tiles">
                <Tile label={lang.pick("มาตรการ", "Measures")} value={counts.measures} class="" />
                <Tile label={lang.pick("ดำเนินการแล้ว", "Done")} value={counts.done} class="done" />
                <Tile label={lang.pick("กำลังดำเนินการ", "In progress")} value={counts.in_progress} class="in-progress" />
                <Tile label={lang.pick("ยังไม่เริ่ม", "Not started")} value={counts.not_started} class="not-started" />
                <Tile label={lang.pick("ติดปัญหา", "Blocked")} value={counts.blocked} class="blocked" />
                <Tile label={lang.pick("เลยกำหนด", "Late")} value={overview.late.len()} class="late" />
                <Tile label={lang.pick("หลักฐาน", "Evidence")} value={counts.evidence} class="" />
                if let Some(window) = window { <div class="tile window" data-testid="oit-window">{ window }</div> }
            </div>
            <Filters filter={app.filter.clone()} overview={overview.clone()} lang={lang} on_change={set_filter} />
            <Matrix rows={rows} columns={columns} lang={lang} on_open={open.clone()} />
            <QuarterChart quarters={overview.quarters.clone()} lang={lang} />
            <div class="lists">
                <CellList title={lang.pick("รอตรวจ", "Awaiting review")} items={overview.awaiting_review.clone()} lang={lang} on_open={open.clone()} testid="awaiting" />
                <CellList title={lang.pick("เลยกำหนดและยังไม่เสร็จ", "Late and not done")} items={overview.late.clone()} lang={lang} on_open={open.clone()} testid="late" />
                <CellList title={lang.pick("แก้ไขหลังผ่านการตรวจ", "Changed since approval")} items={overview.changed_since_approval.clone()} lang={lang} on_open={open.clone()} testid="changed" />
                <CellList title={lang.pick("ส่งกลับให้แก้ไข", "Returned")} items={overview.returned.clone()} lang={lang} on_open={open.clone()} testid="returned-list" />
            </div>
            if !overview.conflicts.is_empty() {
                <section class="conflicts" data-testid="dashboard-conflicts">
                    <h2>{ format!("{} ({})", lang.pick("ค่าที่ขัดกันรอการตัดสินใจ", "Conflicts to decide"), overview.conflicts.len()) }</h2>
                    <ul>{ for overview.conflicts.iter().filter_map(|c| c.measure.clone().map(|m| (m, c.field.clone()))).map(|(m, field)| {
                        let go = { let (open, m) = (open.clone(), m.clone()); Callback::from(move |_| open.emit(m.clone())) };
                        html! { <li><button class="link" onclick={go}>{ format!("{m} · {field}") }</button></li> }
                    }) }</ul>
                </section>
            }
            <Approvals overview={overview.clone()} lang={lang} part={Part::Plan} />
            <Approvals overview={overview.clone()} lang={lang} part={Part::Report} />
            <OtherTracks overview={overview.clone()} />
            <ActivityFeed overview={overview.clone()} lang={lang} on_open={open} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct OtherTracksProps {
    overview: Rc<MergedView>,
}

/// Every other track the year runs, each with its matrix (its last round), from the pictures
/// the app loads after the track shown; a track's title opens it on every page.
#[component]
fn OtherTracks(props: &OtherTracksProps) -> Html {
    let app = use_context::<AppContext>().expect("OtherTracks is inside the app");
    let lang = app.lang;
    // The pictures the app already holds: the integrity measures', and each other track's
    // rounds (`AppState::track_views`), of which a card shows the last.
    let shown = props.overview.slot.track.as_ref();
    let views: Vec<Rc<MergedView>> = props
        .overview
        .tracks
        .iter()
        .filter(|t| Some(&t.id) != shown && !(t.rounds.is_empty() && shown.is_none()))
        .filter_map(|t| match t.rounds.last() {
            None => app.integrity.clone(),
            Some(last) => app
                .track_views
                .iter()
                .find(|v| v.slot.track.as_ref() == Some(&t.id) && v.slot.round.as_ref() == Some(&last.id))
                .cloned(),
        })
        .collect();
    if views.is_empty() {
        return html! {};
    }
    let cards = views.iter().map(|view| {
        let slot = view.slot.clone();
        let open_track = {
            let (app, slot) = (app.clone(), slot.clone());
            Callback::from(move |_| app.dispatch(Action::OpenSlot { slot: slot.clone(), route: None }))
        };
        let open_measure = {
            let (app, slot) = (app.clone(), slot.clone());
            Callback::from(move |id: String| {
                app.dispatch(Action::OpenSlot { slot: slot.clone(), route: Some(Route::Measure(id)) })
            })
        };
        let title = match view.track_and_round() {
            Some((track, round)) => format!("{track} · {}", prongsai_core::thai::to_official_digits(round)),
            None => view.integrity.as_ref().map(|t| t.title.clone()).unwrap_or_default(),
        };
        let rows: Vec<(MeasureRow, Vec<Cell>)> = view.measures.iter().map(|m| (m.clone(), m.cells.clone())).collect();
        let columns: Vec<(String, String)> = view.divisions.iter().map(|d| (d.id.clone(), d.name.clone())).collect();
        let c = &view.counts;
        html! {
            <article class="track-card" data-testid="track-card" data-track={slot.track_id().to_string()}>
                <h3><button class="link" onclick={open_track}>{ title }</button></h3>
                <p class="muted">{ format!("{} {} · {} {} · {} {}",
                    lang.pick("รายการ", "items"), c.measures, lang.pick("ดำเนินการแล้ว", "done"), c.done,
                    lang.pick("เลยกำหนด", "late"), view.late.len()) }</p>
                if !rows.is_empty() {
                    <Matrix rows={rows} columns={columns} lang={lang} on_open={open_measure} testid="track-matrix" />
                }
            </article>
        }
    });
    html! {
        <section class="other-tracks" data-testid="other-tracks">
            <h2>{ lang.pick("แผนงานอื่นของปี", "The year's other tracks") }</h2>
            { for cards }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TileProps {
    label: AttrValue,
    value: usize,
    class: AttrValue,
}

#[component]
fn Tile(props: &TileProps) -> Html {
    html! {
        <div class={classes!("tile", props.class.to_string())}>
            <span class="tile-value">{ props.value }</span>
            <span class="tile-label">{ props.label.clone() }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FiltersProps {
    pub filter: DashboardFilter,
    pub overview: Rc<MergedView>,
    pub lang: Lang,
    pub on_change: Callback<DashboardFilter>,
}

#[component]
pub fn Filters(props: &FiltersProps) -> Html {
    let lang = props.lang;
    let change = |apply: fn(&mut DashboardFilter, String)| {
        let (filter, on_change) = (props.filter.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let mut next = filter.clone();
            apply(&mut next, e.target_unchecked_into::<HtmlSelectElement>().value());
            on_change.emit(next);
        })
    };
    let on_division = change(|f, v| f.division = (!v.is_empty()).then_some(v));
    let on_quarter = change(|f, v| f.quarter = v.parse().ok());
    let on_status = change(|f, v| f.status = (!v.is_empty()).then(|| Status::parse(&v)));
    let clear = {
        let on_change = props.on_change.clone();
        Callback::from(move |_| on_change.emit(DashboardFilter::default()))
    };
    let f = &props.filter;
    html! {
        <div class="filters" data-testid="filters">
            <label>{ lang.pick("หน่วยงาน", "Division") }
                <select onchange={on_division} data-testid="filter-division">
                    <option value="" selected={f.division.is_none()}>{ lang.pick("ทุกหน่วยงาน", "All") }</option>
                    { for props.overview.divisions.iter().map(|d| html! {
                        <option value={d.id.clone()} selected={f.division.as_ref() == Some(&d.id)}>{ &d.name }</option>
                    }) }
                </select>
            </label>
            <label>{ lang.pick("ไตรมาส", "Quarter") }
                <select onchange={on_quarter} data-testid="filter-quarter">
                    <option value="" selected={f.quarter.is_none()}>{ lang.pick("ทุกไตรมาส", "All") }</option>
                    { for props.overview.quarters.iter().map(|q| html! {
                        <option value={q.quarter.to_string()} selected={f.quarter == Some(q.quarter)}>{ &q.label }</option>
                    }) }
                </select>
            </label>
            <label>{ lang.pick("สถานะ", "Status") }
                <select onchange={on_status} data-testid="filter-status">
                    <option value="" selected={f.status.is_none()}>{ lang.pick("ทุกสถานะ", "All") }</option>
                    { for [Status::NotStarted, Status::InProgress, Status::Done, Status::Blocked].iter().map(|s| html! {
                        <option value={s.as_str().to_string()} selected={f.status.as_ref() == Some(s)}>{ lang.status(s) }</option>
                    }) }
                </select>
            </label>
            <button class="small" onclick={clear}>{ lang.pick("ล้างตัวกรอง", "Clear filters") }</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct MatrixProps {
    pub rows: Vec<(MeasureRow, Vec<Cell>)>,
    /// (division id, name), in the directory's order.
    pub columns: Vec<(String, String)>,
    pub lang: Lang,
    pub on_open: Callback<String>,
    #[prop_or(AttrValue::Static("matrix"))]
    pub testid: AttrValue,
}

/// Measures down, divisions across; a cell is coloured by that division's status on that measure.
#[component]
pub fn Matrix(props: &MatrixProps) -> Html {
    let lang = props.lang;
    let rows = props.rows.iter().map(|(m, cells)| {
        let open = {
            let (on_open, id) = (props.on_open.clone(), m.id.clone());
            Callback::from(move |_| on_open.emit(id.clone()))
        };
        let tds = props.columns.iter().map(|(division, name)| match cells.iter().find(|c| &c.division == division) {
            Some(c) => {
                // Marks are drawn by CSS (no glyph a font might lack), named by their title.
                let marks = [
                    (c.late, "late", lang.pick("เลยกำหนด", "late")),
                    (c.review == ReviewState::AwaitingReview, "awaiting", lang.pick("รอตรวจ", "awaiting review")),
                    (c.review == ReviewState::ChangedSinceApproval, "changed", lang.pick("แก้ไขหลังผ่านการตรวจ", "changed since approval")),
                    (c.review == ReviewState::Returned, "returned", lang.pick("ส่งกลับ", "returned")),
                ];
                let title = format!("{name}: {} · {}", lang.status(&c.status), lang.review(c.review));
                html! {
                    <td class={classes!("cell", status_class(&c.status))} data-division={division.clone()}
                        data-status={c.status.as_str().to_string()} title={title}>
                        <span class="cell-status">{ lang.status(&c.status) }</span>
                        { for marks.iter().filter(|(on, ..)| *on).map(|(_, mark, what)| html! { <span class={classes!("mark", *mark)} title={*what} aria-label={*what}></span> }) }
                    </td>
                }
            }
            None => html! { <td class="cell none" data-division={division.clone()}></td> },
        });
        html! {
            // The whole row opens the measure; the title is its button for the keyboard.
            <tr key={m.id.clone()} data-measure={m.id.clone()} class="opens" onclick={open}>
                <th scope="row"><button class="link">{ format!("{}. {}", m.number, m.title) }</button></th>
                { for tds }
            </tr>
        }
    });
    html! {
        <div class="matrix-wrap">
            <table class="matrix" data-testid={props.testid.clone()}>
                <thead><tr>
                    <th scope="col">{ lang.pick("มาตรการ", "Measure") }</th>
                    { for props.columns.iter().map(|(id, name)| html! { <th scope="col" data-division={id.clone()}>{ name }</th> }) }
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct QuarterChartProps {
    pub quarters: Vec<QuarterProgress>,
    pub lang: Lang,
}

/// One stacked bar per fiscal quarter: the (measure, division) pairs scheduled in it by status.
#[component]
pub fn QuarterChart(props: &QuarterChartProps) -> Html {
    let lang = props.lang;
    let most = props.quarters.iter().map(|q| q.scheduled).max().unwrap_or(0).max(1);
    let (bar_width, gap, height) = (120usize, 40usize, 160usize);
    let bars = props.quarters.iter().enumerate().map(|(i, q)| {
        let x = 20 + i * (bar_width + gap);
        let mut y = height;
        let segments = [(q.done, "done"), (q.in_progress, "in-progress"), (q.blocked, "blocked"), (q.not_started, "not-started")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, class)| {
                let h = n * height / most;
                y -= h;
                html! { <rect class={classes!("seg", class)} x={x.to_string()} y={(y + 10).to_string()} width={bar_width.to_string()} height={h.to_string()} /> }
            })
            .collect::<Html>();
        html! {
            <g>
                { segments }
                <text x={(x + bar_width / 2).to_string()} y={(height + 32).to_string()} text-anchor="middle">{ &q.label }</text>
                <text x={(x + bar_width / 2).to_string()} y={(height + 52).to_string()} text-anchor="middle" class="sub">
                    { format!("{}/{} {}", q.done, q.scheduled, lang.pick("เสร็จ", "done")) }
                </text>
            </g>
        }
    });
    let width = 20 + props.quarters.len() * (bar_width + gap);
    html! {
        <section class="quarters">
            <h2>{ lang.pick("ความคืบหน้ารายไตรมาส", "Progress by quarter") }</h2>
            <svg class="quarter-chart" data-testid="quarter-chart" viewBox={format!("0 0 {width} {}", height + 60)} role="img"
                aria-label={lang.pick("แผนภูมิความคืบหน้ารายไตรมาส", "Progress by quarter")}>
                { for bars }
            </svg>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct CellListProps {
    title: AttrValue,
    items: Vec<CellRef>,
    lang: Lang,
    on_open: Callback<String>,
    testid: AttrValue,
}

#[component]
fn CellList(props: &CellListProps) -> Html {
    let lang = props.lang;
    html! {
        <section class="cell-list" data-testid={props.testid.clone()}>
            <h2>{ format!("{} ({})", props.title, props.items.len()) }</h2>
            if props.items.is_empty() {
                <p class="none">{ lang.pick("ไม่มี", "None") }</p>
            } else {
                <ul>{ for props.items.iter().map(|c| {
                    let open = { let (on_open, id) = (props.on_open.clone(), c.measure.clone()); Callback::from(move |_| on_open.emit(id.clone())) };
                    html! { <li><button class="link" onclick={open}>{ format!("{}. {}", c.number, c.title) }</button>{ format!(" · {}", c.division_name) }</li> }
                }) }</ul>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ApprovalsProps {
    overview: Rc<MergedView>,
    lang: Lang,
    /// The plan's chain or the memo's.
    part: Part,
}

/// The plan's or the memo's approval chain; the approver whose turn it is signs or returns it here.
#[component]
fn Approvals(props: &ApprovalsProps) -> Html {
    let part = props.part;
    let app = use_context::<AppContext>().expect("inside the app");
    let lang = props.lang;
    let comment = use_state(String::new);
    // The date written on the signature: the server's today unless the approver picks another.
    let today = props.overview.as_of;
    let sign_date = use_state(|| None::<Date>);
    let me = app.session.as_ref().map(|s| s.username.clone()).unwrap_or_default();
    let my_roles = app.session.as_ref().map(|s| s.roles.clone()).unwrap_or_default();
    let steps = props.overview.approvals_of(part).iter().map(|step| {
        let state = match (&step.decision, step.up_to_date) {
            (Some(SignatureDecision::Approved), true) => lang.pick("เห็นชอบแล้ว", "approved"),
            (Some(SignatureDecision::Returned), true) => lang.pick("ส่งกลับให้แก้ไข", "returned"),
            (Some(SignatureDecision::Other(_)), true) => lang.pick("ลงนามแล้ว", "signed"),
            (Some(_), false) => lang.pick("ลงนามแล้ว แต่เนื้อหาเปลี่ยน ต้องลงนามใหม่", "signed, but the content changed: sign again"),
            (None, _) => lang.pick("ยังไม่ลงนาม", "not signed"),
        };
        // The server's own rule (core's `signing`): the box shows only where a signature is taken.
        let mine = props.overview.may_sign_part(part, &step.step, &me, &my_roles);
        let decide = |decision: SignatureDecision| {
            let (app, comment, step_id, date) = (app.clone(), comment.clone(), step.step.clone(), *sign_date);
            let slot = props.overview.slot.clone();
            Callback::from(move |_| {
                let (app, comment, step_id, decision, slot) =
                    (app.clone(), comment.clone(), step_id.clone(), decision.clone(), slot.clone());
                spawn_local(async move {
                    let target = prongsai_core::tracks::Target { slot: slot.clone(), part };
                    match backend::sign(&target, &step_id, decision, &comment, date).await {
                        Ok(()) => {
                            comment.set(String::new());
                            app.dispatch(Action::DocumentsChanged);
                        }
                        Err(e) => app.dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) }),
                    }
                });
            })
        };
        let on_date = {
            let sign_date = sign_date.clone();
            Callback::from(move |date: Option<Date>| sign_date.set(date))
        };
        let on_comment = {
            let comment = comment.clone();
            Callback::from(move |e: InputEvent| comment.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
        };
        html! {
            <li class={classes!("step", step.is_next.then_some("next"), step.up_to_date.then_some("signed"))} data-step={step.step.clone()}>
                <strong>{ &step.title }</strong>
                <span>{ format!("{} ({})", step.name, step.position) }</span>
                <span class="step-state" data-testid="step-state">{ state }</span>
                if let Some(c) = step.comment.as_ref().filter(|c| !c.is_empty()) { <p class="comment">{ c.clone() }</p> }
                if mine {
                    <div class="sign-box" data-testid="sign-box">
                        <textarea rows="2" placeholder={lang.pick("ความเห็น", "Comment")} value={(*comment).clone()} oninput={on_comment} />
                        <BeDatePicker label={lang.pick("วันที่ลงนาม", "Date signed")} value={sign_date.unwrap_or(today)} on_change={on_date.clone()} lang={lang} />
                        <button class="primary" onclick={decide(SignatureDecision::Approved)} data-testid="sign-approve">{ lang.pick("เห็นชอบ / ลงนาม", "Approve and sign") }</button>
                        <button onclick={decide(SignatureDecision::Returned)} disabled={comment.trim().is_empty()}>{ lang.pick("ส่งกลับให้แก้ไข", "Return") }</button>
                    </div>
                }
            </li>
        }
    });
    let code = props.overview.integrity.as_ref().and_then(|t| t.item(part)).map(|i| format!(" ({})", i.code));
    let (heading, testid) = match part {
        Part::Plan => (lang.pick("การอนุมัติแผนมาตรการ", "The plan's approval chain"), "plan-approvals"),
        Part::Report => (lang.pick("การเสนอบันทึกข้อความรายงานผล", "The report memo's approval chain"), "approvals"),
    };
    let heading = format!("{heading}{}", code.unwrap_or_default());
    html! {
        <section class="approvals" data-testid={testid} data-part={part.as_str()}>
            <h2>{ heading }</h2>
            <ol>{ for steps }</ol>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ActivityFeedProps {
    overview: Rc<MergedView>,
    lang: Lang,
    on_open: Callback<String>,
}

/// Recent changes across the agency, by whom, with links to the measures they touched.
#[component]
fn ActivityFeed(props: &ActivityFeedProps) -> Html {
    let app = use_context::<AppContext>().expect("inside the app");
    let lang = props.lang;
    let entries = use_state(Vec::<ActivityEntry>::new);
    {
        let entries = entries.clone();
        use_effect_with(app.revision, move |_| {
            spawn_local(async move {
                if let Ok(loaded) = backend::activity().await {
                    entries.set(loaded);
                }
            });
        });
    }
    let items = entries.iter().map(|e| {
        let links = e.measures.iter().filter_map(|id| props.overview.measures.iter().find(|m| &m.id == id)).map(|m| {
            let open = {
                let (on_open, id) = (props.on_open.clone(), m.id.clone());
                Callback::from(move |_| on_open.emit(id.clone()))
            };
            html! { <button class="link" onclick={open}>{ format!("{}. {}", m.number, m.title) }</button> }
        });
        html! {
            <li>
                <span class="when">{ format::when(e.at_ms, lang) }</span>
                <span class="who">{ person(e.display_name.as_deref(), e.username.as_deref(), lang) }</span>
                <span class="what">{ history_message(&e.message, lang) }</span>
                <span class="links">{ for links }</span>
            </li>
        }
    });
    html! {
        <section class="history activity" data-testid="activity">
            <h2>{ lang.pick("ความเคลื่อนไหวล่าสุด", "Recent activity") }</h2>
            if entries.is_empty() {
                <p>{ lang.pick("ยังไม่มีการแก้ไข", "No changes yet") }</p>
            } else {
                <ol>{ for items }</ol>
            }
        </section>
    }
}
