//! The web app as a tablet meets it: what it downloads (the wasm bundle and its JS, raw and
//! compressed), and the time from navigating to the table of measures on screen in Debian's
//! headless Chromium with the CPU throttled 4× (a mid-range tablet), signed in already: on a
//! first visit (nothing cached) and on a return visit (the shell from the service worker's cache).
//! Twice: the dashboard (every view from the server) and the tablet as a device (every view from
//! its own documents in IndexedDB, read by the device Worker), where the Worker also reports its
//! cold load: the first picture of the year from its storage.

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
    /// The Worker's first picture of the year after a start (storage opened, documents read
    /// from IndexedDB, the view computed), by its own clock; the device only.
    pub cold_load: Option<Percentiles>,
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

/// Navigates to `url` from a blank page (a full load, not a move within the page) and answers
/// the page's own time to the table, and on a device the Worker's time to its first picture.
async fn load(session: &Session, url: &str, device: bool) -> anyhow::Result<(u32, Option<u32>)> {
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
        let line = lines.iter().find(|l| l.contains("the first picture of the year"));
        if let Some(ms) = line.and_then(|l| l.split("ms=").nth(1)).and_then(|v| v.split(['"', ' ', '\\']).next()) {
            let ms: f64 = ms.parse().with_context(|| format!("the Worker's line: {line:?}"))?;
            return Ok((table, Some((ms * 1000.0) as u32)));
        }
        anyhow::ensure!(Instant::now() < deadline, "the device Worker never told its first picture");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    session.goto(origin.as_str()).await;
    let on_page = &session;
    let field = |css: &'static str| async move {
        appear(on_page, css).await?;
        on_page.find(css).await.with_context(|| format!("{css} on the sign-in page"))
    };
    session.type_text(&field("#login-username").await?, "somchai").await;
    session.type_text(&field("#login-password").await?, &password).await;
    if device {
        session.click(&field("[data-testid=login-device]").await?).await;
    }
    session.click(&field("[data-testid=login-submit]").await?).await;
    appear(&session, TABLE_ROW).await?;
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
            cold_loads.extend(cold_load.into_iter().chain(warm_load));
        }
    }
    session.quit().await;
    driver.stop().await;
    target.stop().await;
    Ok(WebStart {
        worker_bytes: std::fs::metadata(&worker)?.len(),
        worker_gzip: gzip_size(&worker)?,
        cold_load: device.then(|| percentiles(cold_loads)),
        wasm_bytes: std::fs::metadata(&wasm)?.len(),
        wasm_gzip: gzip_size(&wasm)?,
        js_bytes: std::fs::metadata(&js)?.len(),
        js_gzip: gzip_size(&js)?,
        first_visit: percentiles(first),
        return_visit: percentiles(back),
    })
}
