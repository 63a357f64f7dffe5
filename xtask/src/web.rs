//! The web app as a tablet meets it: what it downloads (the wasm bundle and its JS, raw and
//! compressed), and the time from navigating to the table of measures on screen in Debian's
//! headless Chromium with the CPU throttled 4× (a mid-range tablet), signed in already: on a
//! first visit (nothing cached) and on a return visit (the shell from the service worker's cache).
//! Twice: the dashboard (every view from the server) and the tablet as a device (every view from
//! its own documents in IndexedDB, read by the device Worker), where the device also reports its
//! cold load: the agency-year read from its storage (IndexedDB opened, every document found and
//! loaded, then read into the app's model), at 4× and, in runs of their own, at full speed.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use prongsai_tests::webdriver::{Driver, Session};
use serde_json::json;

use crate::app::appear;
use crate::load::{Percentiles, percentiles};
use crate::targets::{Kind, Target, root, sample_staff};

pub struct WebStart {
    /// The device Worker's wasm (the tablet as a device downloads it too).
    pub worker_bytes: u64,
    pub worker_gzip: u64,
    /// The device's first agency-year after a start, read from IndexedDB (every document found
    /// and loaded, then read into the model), by its own clock, CPU 4× slower; the device only.
    pub cold_load: Option<Percentiles>,
    /// The same, CPU not throttled (return visits of their own).
    pub cold_load_full_speed: Option<Percentiles>,
    /// In those runs, the time from the device opening its session (its storage open) to the
    /// same moment: what the read-ahead of the year's documents overlaps with the app's start.
    pub since_open_full_speed: Option<Percentiles>,
    pub wasm_bytes: u64,
    pub wasm_gzip: u64,
    pub js_bytes: u64,
    pub js_gzip: u64,
    /// Navigation → the table on screen, nothing cached (the HTTP cache and the service worker
    /// cleared before each run).
    pub first_visit: Percentiles,
    /// The same with the shell served by the service worker.
    pub return_visit: Percentiles,
}

const TABLE_ROW: &str = "[data-testid=table-page] tr[data-measure]";

/// Run in every new document before its own scripts: the page's clock when the table's first
/// row appears.
const WATCH_TABLE: &str = "new MutationObserver((_, observer) => {\
    if (document.querySelector('[data-testid=table-page] tr[data-measure]')) {\
      window.__tableAt = performance.now(); observer.disconnect(); } })\
  .observe(document, { childList: true, subtree: true });";

fn gzip_size(path: &Path) -> anyhow::Result<u64> {
    let out = std::process::Command::new("gzip").args(["-9", "-c"]).arg(path).output().context("gzip")?;
    anyhow::ensure!(out.status.success(), "gzip {}", path.display());
    Ok(out.stdout.len() as u64)
}

async fn cdp(session: &Session, cmd: &str, params: serde_json::Value) -> anyhow::Result<()> {
    session.cdp(cmd, params).await.map_err(|e| anyhow::anyhow!("{cmd}: {e}"))?;
    Ok(())
}

/// The device's cold load by its own clock: the agency-year's read, and the time since the
/// device opened.
#[derive(Clone, Copy)]
struct ColdLoad {
    read: u32,
    since_open: u32,
}

/// Navigates to `url` from a blank page (a full load, not a move within the page) and answers
/// the page's own time to the table, and on a device its cold load of the agency-year.
async fn load(session: &Session, url: &str, device: bool) -> anyhow::Result<(u32, Option<ColdLoad>)> {
    session.goto("about:blank").await;
    session.console().await;
    session.goto(url).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let table = loop {
        let at = session.execute("return window.__tableAt || null", json!([])).await;
        if let Some(ms) = at.as_f64() {
            break (ms * 1000.0) as u32;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the table did not appear; the page says: {}",
            session.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    if !device {
        return Ok((table, None));
    }
    loop {
        let lines = session.console().await;
        if let Some(line) = lines.iter().find(|l| l.contains("the agency-year from this device's storage")) {
            let field = |name: &str| -> anyhow::Result<u32> {
                let value = line
                    .split(&format!(" {name}="))
                    .nth(1)
                    .and_then(|v| v.split(['"', ' ', '\\']).next())
                    .with_context(|| format!("{name} in the Worker's line: {line}"))?;
                let ms: f64 = value.parse().with_context(|| format!("{name} in the Worker's line: {line}"))?;
                Ok((ms * 1000.0) as u32)
            };
            return Ok((table, Some(ColdLoad { read: field("ms")?, since_open: field("since_open_ms")? })));
        }
        anyhow::ensure!(Instant::now() < deadline, "the device never told its cold load");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Opens `origin` and signs in as สมชาย (staff of สำนักปลัด), as a device of its own or on the
/// dashboard, until the table of measures shows.
async fn sign_in(session: &Session, origin: &str, password: &str, device: bool) -> anyhow::Result<()> {
    session.goto(origin).await;
    let field = |css: &'static str| async move {
        appear(session, css).await?;
        session.find(css).await.with_context(|| format!("{css} on the sign-in page"))
    };
    session.type_text(&field("#login-username").await?, "somchai").await;
    session.type_text(&field("#login-password").await?, password).await;
    if device {
        session.click(&field("[data-testid=login-device]").await?).await;
    }
    session.click(&field("[data-testid=login-submit]").await?).await;
    appear(session, TABLE_ROW).await
}

/// `device`: signed in with "use this tablet as a device" (views from the device Worker), else
/// the dashboard's read-only sign-in (views from the server).
pub async fn web_start(data: &Path, runs: usize, device: bool) -> anyhow::Result<WebStart> {
    let dist = root().join("frontend/dist");
    let (wasm, js) = (dist.join("prongsai_frontend_bg.wasm"), dist.join("prongsai_frontend.js"));
    let worker = dist.join("prongsai_browser_bg.wasm");
    anyhow::ensure!(wasm.exists(), "{} is missing: run scripts/build-frontend.sh", wasm.display());
    let password = sample_staff(data).await?;
    let target = Target::start_with(Kind::Prongsai, data, &["--web-dir", dist.to_str().context("utf-8 path")?]).await?;
    let origin = target.http_url();
    let table = format!("{origin}#/table?year={}", prongsai_tests::YEAR);

    let mut driver = Driver::chromium().await;
    let session = Session::new(&driver, Driver::chromium_touch_capabilities(768, 1024)).await;
    sign_in(&session, origin.as_str(), &password, device).await?;
    cdp(&session, "Page.addScriptToEvaluateOnNewDocument", json!({ "source": WATCH_TABLE })).await?;
    cdp(&session, "Emulation.setCPUThrottlingRate", json!({ "rate": 4 })).await?;

    let (mut first, mut back, mut cold_loads) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=runs {
        // A first visit: no HTTP cache, no service worker (the sign-in stays).
        cdp(&session, "Network.clearBrowserCache", json!({})).await?;
        let origin_only = origin.as_str().trim_end_matches('/');
        cdp(
            &session,
            "Storage.clearDataForOrigin",
            json!({ "origin": origin_only, "storageTypes": "cache_storage,service_workers" }),
        )
        .await?;
        let (cold, cold_load) = load(&session, &table, device).await?;
        // The service worker installs during that visit; the next load comes from its cache.
        let deadline = Instant::now() + Duration::from_secs(60);
        while session.execute("return !!navigator.serviceWorker.controller", json!([])).await != json!(true) {
            anyhow::ensure!(Instant::now() < deadline, "the service worker never took the page over");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (warm, warm_load) = load(&session, &table, device).await?;
        if run > 0 {
            first.push(cold);
            back.push(warm);
            cold_loads.extend(cold_load.into_iter().chain(warm_load).map(|c| c.read));
        }
    }
    // The cold load at full speed: return visits, nothing else measured.
    let (mut full_speed, mut since_open) = (Vec::new(), Vec::new());
    if device {
        cdp(&session, "Emulation.setCPUThrottlingRate", json!({ "rate": 1 })).await?;
        for _ in 0..runs {
            if let Some(cold) = load(&session, &table, device).await?.1 {
                full_speed.push(cold.read);
                since_open.push(cold.since_open);
            }
        }
    }
    session.quit().await;
    driver.stop().await;
    target.stop().await;
    Ok(WebStart {
        worker_bytes: std::fs::metadata(&worker)?.len(),
        worker_gzip: gzip_size(&worker)?,
        cold_load: device.then(|| percentiles(cold_loads)),
        cold_load_full_speed: device.then(|| percentiles(full_speed)),
        since_open_full_speed: device.then(|| percentiles(since_open)),
        wasm_bytes: std::fs::metadata(&wasm)?.len(),
        wasm_gzip: gzip_size(&wasm)?,
        js_bytes: std::fs::metadata(&js)?.len(),
        js_gzip: gzip_size(&js)?,
        first_visit: percentiles(first),
        return_visit: percentiles(back),
    })
}

/// The tablet as a device merging a morning's offline work: 1,000 edits applied in the browser's
/// device Worker with the server down (each one commit, each on IndexedDB before it counts), then
/// the server back and every edit confirmed.
pub struct OfflineMerge {
    pub edits: usize,
    /// All the edits applied on the device, one after another (each answered once stored).
    pub applied_ms: f64,
    /// The server up again → the device connected (its reconnect backoff included).
    pub reconnect_ms: f64,
    /// Connected → the server confirmed the last of them durable (the count back at 0).
    pub confirm_ms: f64,
}

/// A page of the server's origin that is not the app: the device Worker is started by hand there
/// (the app's own page would hold the device's lock) and spoken to as the app's backend does.
const START_DEVICE: &str = "\
  const worker = new Worker('device-worker.js', { type: 'module' });\
  const device = window.__device = { next: 1, waiting: new Map(), events: [], state: null, error: null };\
  worker.onmessage = (e) => {\
    const m = JSON.parse(e.data);\
    if ('ready' in m && !m.ready) device.error = JSON.stringify(m.error);\
    if (m.ready) device.ready = true;\
    if (m.id !== undefined && device.waiting.has(m.id)) { device.waiting.get(m.id)(m); device.waiting.delete(m.id); }\
    if (m.event === 'sync-state') { device.state = m.payload; device.events.push([performance.now(), m.payload]); }\
  };\
  device.call = (call, args) => new Promise((answer) => {\
    const id = device.next++; device.waiting.set(id, answer);\
    worker.postMessage({ id, call, args: JSON.stringify(args) });\
  });\
  return true;";

/// Applies the edits (each a JSON text of `apply`'s arguments) one after another.
const APPLY_ALL: &str = "\
  const [edits] = arguments; const device = window.__device;\
  (async () => {\
    const started = performance.now();\
    for (const args of edits) {\
      const answer = await device.call('apply', JSON.parse(args));\
      if (answer.err) { device.error = JSON.stringify(answer.err); return; }\
    }\
    device.applied = performance.now() - started;\
  })();\
  return true;";

async fn poll(session: &Session, what: &str, script: &str) -> anyhow::Result<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let error = session.execute("return (window.__device && window.__device.error) || null", json!([])).await;
        anyhow::ensure!(error.is_null(), "the device Worker failed while waiting for {what}: {error}");
        let value = session.execute(script, json!([])).await;
        if !value.is_null() && value != json!(false) {
            return Ok(value);
        }
        anyhow::ensure!(Instant::now() < deadline, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn offline_merge(data: &Path, edits: usize) -> anyhow::Result<OfflineMerge> {
    let dist = root().join("frontend/dist");
    let password = sample_staff(data).await?;
    let web_dir = ["--web-dir", dist.to_str().context("utf-8 path")?];
    let target = Target::start_with(Kind::Prongsai, data, &web_dir).await?;
    let (origin, listen) = (target.http_url(), target.addr.to_string());
    let mut driver = Driver::chromium().await;
    let session = Session::new(&driver, Driver::chromium_touch_capabilities(768, 1024)).await;
    sign_in(&session, origin.as_str(), &password, true).await?;
    let mut measures = Vec::new();
    for row in session.find_all(TABLE_ROW).await {
        measures.extend(session.attribute(&row, "data-measure").await);
    }
    anyhow::ensure!(!measures.is_empty(), "no measure of สำนักปลัด on the table");

    // Away from the app's page (its Worker ends and frees the device), to one of the origin's files.
    session.goto(origin.join("manifest.webmanifest")?.as_str()).await;
    session.execute(START_DEVICE, json!([])).await;
    poll(&session, "the device Worker", "return window.__device.ready || null").await?;
    poll(
        &session,
        "the device up to date",
        "return window.__device.state && window.__device.state.connection === 'up_to_date'",
    )
    .await?;
    target.stop().await;
    poll(
        &session,
        "the device offline",
        "return window.__device.state && window.__device.state.connection === 'offline'",
    )
    .await?;

    let args: Vec<String> = (0..edits)
        .map(|i| {
            let measure = measures[i % measures.len()].clone();
            let edit = prongsai_core::edit::Edit::SetResultText {
                division: "palad".into(),
                measure,
                text: format!("บันทึกระหว่างออฟไลน์ ครั้งที่ {i}"),
            };
            json!({ "edits": [edit], "track": null, "round": null }).to_string()
        })
        .collect();
    session.execute(APPLY_ALL, json!([args])).await;
    let applied = poll(&session, "the edits applied", "return window.__device.applied || null").await?;
    let unconfirmed = poll(&session, "the count", "return window.__device.state.unconfirmed").await?;
    anyhow::ensure!(unconfirmed.as_u64().is_some_and(|n| n >= 1), "no change waits for the server: {unconfirmed}");

    let restarted_at = session.execute("return performance.now()", json!([])).await.as_f64().unwrap_or_default();
    let target = Target::start_on(Kind::Prongsai, data, &listen, &web_dir).await?;
    let confirmed = poll(
        &session,
        "every edit confirmed",
        "const after = window.__device.events.filter(([at]) => at >= arguments[0]); \
         const connected = after.find(([, s]) => s.connection === 'syncing' || s.connection === 'up_to_date'); \
         if (!connected) return null; \
         const done = after.find(([at, s]) => at >= connected[0] && s.connection === 'up_to_date' && s.unconfirmed === 0); \
         return done ? [connected[0], done[0]] : null;"
            .replace("arguments[0]", &restarted_at.to_string())
            .as_str(),
    )
    .await?;
    let (connected_at, confirmed_at) =
        (confirmed[0].as_f64().unwrap_or_default(), confirmed[1].as_f64().unwrap_or_default());
    // The device's socket found no server while it was down, and the manifest's page asked for a
    // favicon: expected, not the app's errors.
    let errors = session.page_errors().await;
    let expected = |e: &String| e.contains("/sync") || e.contains("/favicon.ico");
    anyhow::ensure!(errors.iter().all(expected), "the page logged errors: {errors:#?}");
    session.quit().await;
    driver.stop().await;
    target.stop().await;
    Ok(OfflineMerge {
        edits,
        applied_ms: applied.as_f64().unwrap_or_default(),
        reconnect_ms: connected_at - restarted_at,
        confirm_ms: confirmed_at - connected_at,
    })
}
