//! What waits for the signed-in person: computed from the documents shown (so the app offline
//! lists what its documents say), each marked read per person. Opening one marks it read and
//! goes to where it is dealt with.

use prongsai_core::notifications::{Notification, NotificationKind};
use prongsai_core::report_model::Part;
use prongsai_core::thai;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::AppContext;
use crate::backend;
use crate::i18n::Lang;
use crate::state::{Action, Route};

/// The sentence a notification says, in the page's language.
pub fn wording(n: &Notification, lang: Lang) -> String {
    let measure = || {
        let number = n.number.map(|x| thai::to_thai_digits(&x.to_string())).unwrap_or_default();
        let what = if n.slot.is_integrity() {
            lang.pick("มาตรการที่", "measure")
        } else {
            lang.pick("โครงการที่", "project")
        };
        format!("{what} {number} {}", n.title.clone().unwrap_or_default())
    };
    let sentence = sentence(n, lang, measure);
    match &n.track_title {
        Some(track) => format!("{sentence} — {}", thai::to_official_digits(track)),
        None => sentence,
    }
}

/// The sentence of a notification, before the track it is in.
fn sentence(n: &Notification, lang: Lang, measure: impl Fn() -> String) -> String {
    let division = n.division_name.clone().unwrap_or_default();
    match n.kind {
        NotificationKind::Returned => format!(
            "{} {} ({division})",
            lang.pick("ผลการดำเนินงานถูกส่งกลับให้แก้ไข:", "A result was returned for changes:"),
            measure()
        ),
        NotificationKind::AwaitingReview => {
            format!("{} {} ({division})", lang.pick("รอการตรวจผลการดำเนินงาน:", "A result waits for review:"), measure())
        }
        NotificationKind::YourTurnToSign => format!(
            "{} {}",
            match n.part {
                Part::Plan => lang.pick("ถึงลำดับที่ท่านต้องลงนามอนุมัติแผนมาตรการ:", "It is your turn to approve the plan:"),
                Part::Report if !n.slot.is_integrity() =>
                    lang.pick("ถึงลำดับที่ท่านต้องลงนามรายงาน:", "It is your turn to sign the report:"),
                Part::Report => lang.pick("ถึงลำดับที่ท่านต้องลงนามบันทึกข้อความ:", "It is your turn to sign the memo:"),
            },
            n.title.clone().unwrap_or_default()
        ),
        NotificationKind::Late => match n.late_divisions {
            Some(count) => format!(
                "{} {} ({} {})",
                lang.pick("มาตรการล่าช้ากว่ากำหนด:", "A measure is late:"),
                measure(),
                thai::to_thai_digits(&count.to_string()),
                lang.pick("หน่วยงาน", "divisions")
            ),
            None => format!("{} {} ({division})", lang.pick("มาตรการล่าช้ากว่ากำหนด:", "A measure is late:"), measure()),
        },
        NotificationKind::WindowClosing => {
            let days = thai::to_thai_digits(&n.days.unwrap_or_default().to_string());
            match lang {
                Lang::Th => format!("ช่วงส่งข้อมูล OIT จะปิดในอีก {days} วัน"),
                Lang::En => format!("The OIT window closes in {days} days"),
            }
        }
    }
}

/// Where a notification is dealt with.
fn destination(n: &Notification) -> Route {
    match (n.kind, &n.measure) {
        // The plan's chain is signed on the overview, the memo's beside it in the memo.
        // A plan, and a track's round (its chain is listed with the track's), are signed on the
        // overview.
        (NotificationKind::YourTurnToSign, _) if n.part == Part::Plan || !n.slot.is_integrity() => Route::Dashboard,
        (NotificationKind::YourTurnToSign, _) => Route::Memo,
        (NotificationKind::WindowClosing, _) => Route::Dashboard,
        (_, Some(measure)) => Route::Measure(measure.clone()),
        (_, None) => Route::Dashboard,
    }
}

fn mark(app: &AppContext, ids: Vec<String>) {
    let app = app.clone();
    spawn_local(async move {
        match backend::mark_notifications_read(ids).await {
            Ok(marks) => app.dispatch(Action::NotificationsRead { read: marks.read }),
            Err(e) => app.dispatch(Action::Notice { text: format!("{} ({})", app.lang.error(&e.kind), e.message) }),
        }
    });
}

#[component]
pub fn NotificationsPage() -> Html {
    let app = use_context::<AppContext>().expect("NotificationsPage is inside the app");
    let lang = app.lang;
    let list = app.notifications();
    let unread: Vec<String> =
        list.iter().filter(|n| !app.read_notifications.contains(&n.id)).map(|n| n.id.clone()).collect();
    let read_all = {
        let (app, unread) = (app.clone(), unread.clone());
        Callback::from(move |_| mark(&app, unread.clone()))
    };
    let items = list.iter().map(|n| {
        let read = app.read_notifications.contains(&n.id);
        let open = {
            let (app, id, route, slot) = (app.clone(), n.id.clone(), destination(n), n.slot.clone());
            Callback::from(move |_| {
                if !read {
                    mark(&app, vec![id.clone()]);
                }
                // Opened in its own track and round.
                app.dispatch(Action::OpenSlot { slot: slot.clone(), route: Some(route.clone()) });
            })
        };
        let kind = serde_json::to_value(n.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        html! {
            <li class={classes!("notification", (!read).then_some("unread"))} data-testid="notification"
                data-kind={kind} data-part={n.part.as_str()} data-read={read.to_string()} data-id={n.id.clone()}
                data-track={n.slot.track.clone().unwrap_or_default()}>
                <span class="notification-text">{ wording(n, lang) }</span>
                <button class="small" onclick={open} data-testid="notification-open">{ lang.pick("เปิด", "Open") }</button>
            </li>
        }
    });
    html! {
        <section class="notifications-page" data-testid="notifications-page">
            <h1>{ lang.pick("การแจ้งเตือน", "Notifications") }</h1>
            if list.is_empty() {
                <p class="muted" data-testid="notifications-empty">{ lang.pick("ไม่มีเรื่องที่รอท่านอยู่", "Nothing waits for you.") }</p>
            } else {
                <p>
                    <button onclick={read_all} disabled={unread.is_empty()} data-testid="notifications-read-all">
                        { lang.pick("ทำเครื่องหมายว่าอ่านแล้วทั้งหมด", "Mark all as read") }
                    </button>
                </p>
                <ul class="notifications">{ for items }</ul>
            }
        </section>
    }
}
