//! The always-visible sync indicator: connection, how many changes the server has not yet
//! confirmed as durable, when it last synced, and a progress bar while a burst is confirmed.

use prongsai_core::app::{Connection, SyncState};
use yew::prelude::*;

use crate::format;
use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct SyncIndicatorProps {
    pub state: SyncState,
    /// 0..=100 while changes are waiting for the server.
    pub progress: Option<u8>,
    pub lang: Lang,
}

#[component]
pub fn SyncIndicator(props: &SyncIndicatorProps) -> Html {
    let lang = props.lang;
    let state = &props.state;
    let class = match state.connection {
        Connection::Offline | Connection::SignedOut => "sync offline",
        Connection::Connecting => "sync connecting",
        Connection::Syncing => "sync syncing",
        Connection::UpToDate => "sync ok",
    };
    let pending = if state.unconfirmed > 0 {
        html! {
            <span class="sync-pending" data-testid="unconfirmed" data-count={state.unconfirmed.to_string()}>
                { format!("{} {}", state.unconfirmed, lang.pick("รายการรอยืนยันจากเซิร์ฟเวอร์", "changes not yet confirmed")) }
            </span>
        }
    } else {
        html! { <span class="sync-pending none" data-testid="unconfirmed" data-count="0">{ lang.pick("ไม่มีรายการค้าง", "nothing pending") }</span> }
    };
    let last = state.last_synced_ms.map(|ms| {
        html! { <span class="sync-last">{ format!("{} {}", lang.pick("ซิงก์ล่าสุด", "last synced"), format::when(ms, lang)) }</span> }
    });
    let uploads = (state.uploads_pending > 0).then(|| {
        html! { <span class="sync-uploads">{ format!("{} {}", state.uploads_pending, lang.pick("ไฟล์รออัปโหลด", "files to upload")) }</span> }
    });
    let bar = props.progress.map(|p| {
        html! {
            <div class="sync-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow={p.to_string()}>
                <div class="sync-bar-fill" style={format!("width: {p}%")}></div>
            </div>
        }
    });
    html! {
        <div class={class} data-testid="sync" data-connection={connection_code(state.connection)} role="status" aria-live="polite">
            <span class="sync-dot" aria-hidden="true"></span>
            <span class="sync-label">{ lang.connection(state.connection) }</span>
            { pending }
            { for uploads }
            { for last }
            { for bar }
            if state.refused > 0 {
                <span class="sync-error" data-testid="refused" title={state.error.clone().unwrap_or_default()}>
                    { format!("{} {}", state.refused, lang.pick(
                        "รายการถูกเซิร์ฟเวอร์ปฏิเสธ (ไม่มีสิทธิ์แก้ไขแล้ว) ติดต่อผู้ประสานงาน",
                        "changes refused by the server (no longer allowed); contact the coordinator")) }
                </span>
            } else if let Some(error) = &state.error {
                <span class="sync-error" title={error.clone()}>{ lang.pick("มีปัญหาในการบันทึก", "storage problem") }</span>
            }
        </div>
    }
}

fn connection_code(connection: Connection) -> &'static str {
    match connection {
        Connection::Offline => "offline",
        Connection::Connecting => "connecting",
        Connection::Syncing => "syncing",
        Connection::UpToDate => "up_to_date",
        Connection::SignedOut => "signed_out",
    }
}
