//! The field app's cold start, as a user sees it: the release app (`prongsai-app`, built with
//! `custom-protocol` as for a user) launched in WebKitGTK through tauri-driver, already signed in
//! with the agency-year on its disk, until the table of measures is on screen and answers clicks.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use prongsai_client::{Device, DeviceConfig};
use prongsai_tests::webdriver::{Driver, Session};
use serde_json::json;

use crate::load::{Percentiles, percentiles};
use crate::targets::{Kind, Target, root, sample_staff};

pub struct AppStart {
    /// The first launch of this run (the app's files not yet in the page cache, unless an earlier
    /// run read them).
    pub first_ms: f64,
    /// Launch → the webview answers (tauri-driver's new session: the process, the window, the page).
    pub window: Percentiles,
    /// Launch → the table's rows are on screen.
    pub table: Percentiles,
    /// The first click on a row → that measure's page.
    pub first_click: Percentiles,
    /// By the page's own clock (from its navigation start): the wasm module downloaded, and
    /// the table found on screen.
    pub page_wasm: Percentiles,
    pub page_table: Percentiles,
}

/// The page's clock when asked (just after the table appeared) and when its wasm had arrived.
const PAGE_CLOCK: &str = "const wasm = performance.getEntriesByType('resource').find(r => r.name.endsWith('.wasm'));\
                          return [performance.now(), wasm ? wasm.responseEnd : 0];";

fn binary() -> PathBuf {
    root().join("target/release/prongsai-app")
}

const TABLE_ROW: &str = "[data-testid=table-page] tr[data-measure]";
const WAIT: Duration = Duration::from_secs(60);

/// Polls for `css` every few milliseconds (the harness's own waits poll at 100 ms, too coarse to
/// time a start).
pub(crate) async fn appear(session: &Session, css: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    while session.find(css).await.is_none() {
        anyhow::ensure!(Instant::now() < deadline, "{css} did not appear within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// `display`: the X display to start the app on, when this process has none.
pub async fn app_start(data: &Path, runs: usize, display: Option<String>) -> anyhow::Result<AppStart> {
    let app = binary();
    anyhow::ensure!(app.exists(), "{} is missing: run without --no-build", app.display());
    let password = sample_staff(data).await?;
    let target = Target::start(Kind::Prongsai, data).await?;

    // The app's data directory as after a first sign-in: the saved login and every document.
    let app_data = data.join("app");
    let device = Device::login(DeviceConfig::new(&app_data), target.http_url(), "somchai", &password).await?;
    device.connect()?;
    device.agency_year(prongsai_tests::YEAR).await?;
    anyhow::ensure!(device.wait_confirmed(Duration::from_secs(30)).await, "the first sync finishes");
    device.shutdown().await;

    let mut env = vec![("PRONGSAI_APP_DATA", app_data.as_path())];
    if let Some(display) = &display {
        env.push(("DISPLAY", Path::new(display)));
    }
    let mut driver = Driver::tauri(&env).await;
    let (mut window, mut table, mut click, mut wasm, mut page) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut first_ms = 0.0;
    for run in 0..=runs {
        let started = Instant::now();
        let session = Session::new(&driver, json!({ "tauri:options": { "application": app } })).await;
        let up = started.elapsed();
        appear(&session, TABLE_ROW).await?;
        let shown = started.elapsed();
        let clock = session.execute(PAGE_CLOCK, json!([])).await;
        let at = |i: usize| (clock[i].as_f64().unwrap_or(0.0) * 1000.0) as u32;
        let row = session.find("tr[data-measure=m1] button.link").await.context("the first measure's link")?;
        let clicked = Instant::now();
        session.click(&row).await;
        appear(&session, "[data-testid=my-result]").await?;
        let answered = clicked.elapsed();
        session.quit().await;
        if run == 0 {
            first_ms = shown.as_secs_f64() * 1000.0;
        } else {
            window.push(up.as_micros() as u32);
            table.push(shown.as_micros() as u32);
            click.push(answered.as_micros() as u32);
            wasm.push(at(1));
            page.push(at(0));
        }
    }
    driver.stop().await;
    target.stop().await;
    Ok(AppStart {
        first_ms,
        window: percentiles(window),
        table: percentiles(table),
        first_click: percentiles(click),
        page_wasm: percentiles(wasm),
        page_table: percentiles(page),
    })
}
