//! The field app end to end: the real app binary in a real webview (WebKitGTK, driven through
//! tauri-driver and WebKitWebDriver under Xvfb) against the real server, with a headless client
//! checking what arrived. Screenshots of the login, table, measure and history pages are written
//! to tests/artifacts/app/.

use std::time::Duration;

use prongsai_core::docs::MemoField;
use prongsai_core::edit::Edit;
use prongsai_core::model::DocKey;
use prongsai_tests::webdriver::{Driver, Session, artifact};
use prongsai_tests::{Sample, Server, YEAR, device, eventually, eventually_seen, workspace_binary};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

async fn open_app(driver: &Driver) -> Session {
    let app = workspace_binary("prongsai-app");
    let session = Session::new(driver, json!({ "tauri:options": { "application": app } })).await;
    session.set_window_size(1280, 900).await;
    session
}

/// Fills in the login page (whatever it holds already) and signs in.
async fn sign_in(app: &Session, server: &Server, username: &str, password: &str) {
    for (id, text) in
        [("#login-server", server.url().as_str()), ("#login-username", username), ("#login-password", password)]
    {
        let input = app.wait_for(id, WAIT).await;
        app.clear(&input).await;
        app.type_text(&input, text).await;
    }
    app.click(&app.wait_for("[data-testid=login-submit]", WAIT).await).await;
    // Signed in once the first page has its data (the bar then shows the agency and stops
    // moving, so the next click lands where the test aims), or on a page that has none to wait
    // for; or the sign-in page answered (a second factor asked for, a refusal).
    let settled = "if (document.querySelector('[data-testid=login-otp], .form-error')) return true;\
        const page = document.querySelector('main > section[data-testid]');\
        return !!page && page.dataset.testid !== 'login-page' && (\
          ['agency-page', 'account-page'].includes(page.dataset.testid) ||\
          !['โปร่งใส', 'Prongsai'].includes(document.querySelector('.brand span').innerText.trim()));";
    prongsai_tests::eventually("the app shows its first page", WAIT, || async {
        app.execute(settled, json!([])).await == json!(true)
    })
    .await;
}

/// Replaces what a field holds, as a person selecting it all and typing does, and fires `event`
/// (`input` as each key does, or `change` as leaving the field does). WebDriver's clear races the
/// page re-rendering the field from the data it has just reloaded.
async fn replace_text(app: &Session, css: &str, text: &str, event: &str) {
    app.wait_for(css, WAIT).await;
    app.execute(
        "const i = document.querySelector(arguments[0]); i.value = arguments[1]; \
         i.dispatchEvent(new Event(arguments[2], { bubbles: true }));",
        json!([css, text, event]),
    )
    .await;
}

/// The bell's unread count, as the top bar shows it.
async fn unread_count(app: &Session) -> usize {
    let bell = app.wait_for("[data-testid=notification-count]", WAIT).await;
    app.attribute(&bell, "data-count").await.and_then(|c| c.parse().ok()).unwrap_or(usize::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_edit_online_and_offline_across_an_app_restart_and_everything_arrives() {
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    let app_data = sample.device_dir("app");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;

    // Sign in as สมชาย, staff of สำนักปลัด.
    let app = open_app(&driver).await;
    app.wait_for("[data-testid=login-page]", WAIT).await;
    app.screenshot(&artifact("app", "1-login.png")).await;
    sign_in(&app, &server, "somchai", sample.password("somchai")).await;

    // The table of the sample agency, filtered to สำนักปลัด.
    app.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
    let who = app.text(&app.wait_for("[data-testid=who]", WAIT).await).await;
    assert!(who.contains("สำนักปลัด"), "{who}");
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "the app is up to date", |c| c == "up_to_date")
        .await;
    app.screenshot(&artifact("app", "2-table.png")).await;

    // Edit a result online.
    let open = app.wait_for("tr[data-measure=m1] button.link", WAIT).await;
    app.click(&open).await;
    app.wait_for("[data-testid=my-result]", WAIT).await;
    app.append_result_text(" ออนไลน์ครั้งแรก").await;
    app.wait_text("[data-testid=history]", WAIT, "history shows the edit", |t| t.contains("แก้ไขผลการดำเนินงาน")).await;
    app.wait_attribute("[data-testid=unconfirmed]", "data-count", WAIT, "the server confirms the edit", |c| c == "0")
        .await;
    app.screenshot(&artifact("app", "3-measure.png")).await;
    let history = app.wait_for("[data-testid=history]", WAIT).await;
    app.scroll_into_view(&history).await;
    app.screenshot(&artifact("app", "4-history.png")).await;

    // The server goes away; the app says so and keeps working.
    server.kill().await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "the app says it is offline", |c| c == "offline")
        .await;
    app.append_result_text(" ออฟไลน์").await;
    eventually("the app counts the pending change", WAIT, || async { app.unconfirmed().await >= 1 }).await;
    let pending_before_quit = app.unconfirmed().await;

    // Quit and start the app again, still offline: the edit and the count are still there.
    app.quit().await;
    let app = open_app(&driver).await;
    app.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "still offline after the restart", |c| {
        c == "offline"
    })
    .await;
    assert_eq!(app.unconfirmed().await, pending_before_quit, "the count survives the restart");
    // At tablet width the table turns into one card per measure.
    app.set_window_size(768, 1024).await;
    app.screenshot(&artifact("app", "5-table-tablet.png")).await;
    app.click(&app.wait_for("tr[data-measure=m1] button.link", WAIT).await).await;
    let area = app.wait_for("[data-testid=result-text]", WAIT).await;
    let text = app.value(&area).await;
    assert!(text.contains("ออนไลน์ครั้งแรก") && text.contains("ออฟไลน์"), "both edits are on the device: {text}");
    // A photo from the tablet's camera, offline: made a JPEG without its metadata, kept on the
    // device and listed at once; it goes up when the server is back.
    let photos = sample.device_dir("camera");
    std::fs::create_dir_all(&photos).expect("dir");
    let photo = photos.join("site-visit.png");
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png"), &photo).expect("png");
    app.type_text(&app.wait_for("[data-testid=evidence-camera]", WAIT).await, photo.to_str().expect("utf-8")).await;
    app.wait_text("[data-testid=measure-page]", WAIT, "the photo is listed", |t| t.contains("site-visit.jpg")).await;
    // Each page has its own address in the app's webview too: Back, Forward and a reload
    // (offline) land on the same page.
    app.back().await;
    app.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
    app.forward().await;
    app.wait_for("[data-testid=measure-page][data-measure=m1]", WAIT).await;
    app.refresh().await;
    app.wait_for("[data-testid=measure-page][data-measure=m1] [data-testid=result-text]", WAIT).await;
    assert!(app.current_url().await.ends_with(&format!("#/measure/m1?year={YEAR}")), "{}", app.current_url().await);

    // The server comes back: the app syncs and its count returns to zero.
    server.restart().await;
    app.wait_attribute(
        "[data-testid=unconfirmed]",
        "data-count",
        Duration::from_secs(90),
        "the count returns to zero",
        |c| c == "0",
    )
    .await;

    // Another person's device sees both edits.
    let head = device(&server, &sample.device_dir("parichat"), "parichat", sample.password("parichat")).await;
    let photo = eventually_seen("a second device sees both edits and the photo", WAIT, || async {
        let doc = head.document(YEAR, &DocKey::results("palad")).await.map_err(|e| e.to_string())?;
        let results = prongsai_core::docs::read::<prongsai_core::model::ResultsDoc>(&doc).map_err(|e| e.to_string())?;
        let m1 = results.results.get("m1").ok_or_else(|| "no m1".to_string())?;
        let text = m1.text.as_str().to_string();
        let photo = m1.evidence.values().find(|e| e.file_name.as_deref() == Some("site-visit.jpg"));
        match photo.and_then(|p| p.sha256.clone()) {
            Some(sha) if text.contains("ออนไลน์ครั้งแรก") && text.contains("ออฟไลน์") => {
                Ok(sha)
            }
            _ => Err(format!("text {text:?}, photo {photo:?}")),
        }
    })
    .await;
    let bytes = head.evidence_file(&photo).await.expect("the photo is on the server");
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");

    head.shutdown().await;
    app.quit().await;
    driver.stop().await;
    server.kill().await;

    // The app kept the last table it showed on the device, which a cold start shows while the
    // documents are read: both edits are in it.
    let device = prongsai_client::Device::open(prongsai_client::DeviceConfig::new(&app_data))
        .await
        .expect("opens")
        .expect("still signed in");
    let kept = device
        .last_picture(YEAR, &prongsai_core::tracks::Slot::INTEGRITY)
        .await
        .expect("reads")
        .expect("the app kept its picture");
    assert_eq!(kept.measures.len(), 8);
    let m1 = kept.measures.iter().find(|m| m.id == "m1").and_then(|m| m.cells.iter().find(|c| c.division == "palad"));
    let text = m1.map(|c| c.text.clone()).unwrap_or_default();
    assert!(text.contains("ออนไลน์ครั้งแรก") && text.contains("ออฟไลน์"), "{text}");
    assert!(
        device
            .last_picture(YEAR, &prongsai_core::tracks::Slot::of(Some("anticorruption"), None))
            .await
            .expect("reads")
            .is_none(),
        "a picture is kept only of what was shown"
    );
    device.shutdown().await;
}

/// The coordinator drafts the memo in the app; a signature given before the change shows as out of
/// date, in the app and in the server's status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_drafts_the_memo_and_an_earlier_signature_goes_out_of_date() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let head = prongsai_client::ServerApi::new(server.url());
    let login = head.login("parichat", sample.password("parichat"), "test").await.expect("parichat");
    let head = head.with_token(&login.token);
    head.sign("pakchong", YEAR, "head", "approved", "เห็นควร", None).await.expect("the first step signs");

    let app_data = sample.device_dir("app-kannika");
    let exports = sample.device_dir("kannika-exports");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver =
        Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path()), ("PRONGSAI_EXPORT_DIR", exports.as_path())]).await;
    let app = open_app(&driver).await;
    let field = |id: &'static str| app.wait_for(id, WAIT);
    sign_in(&app, &server, "kannika", sample.password("kannika")).await;

    app.click(&field("[data-testid=nav-memo]").await).await;
    app.wait_for("[data-testid=memo-editor]", WAIT).await;
    app.wait_attribute(
        "[data-testid=memo-step][data-step=head]",
        "class",
        WAIT,
        "the signature covers the memo",
        |c| c.contains("signed"),
    )
    .await;
    let proposals = app.find_all("[data-testid=memo-proposal]").await.len();
    let reference = field("[data-testid=memo-reference]").await;
    // Erase what is there and type the new reference, as a person would.
    let erase = "\u{E003}".repeat("รบ 72101/-".chars().count());
    app.type_text(&reference, &format!("{erase}รบ 72101/15")).await;
    // While she is still in the field, her other device changes the subject: the page shows it,
    // and what she is typing stays as she typed it.
    let laptop = device(&server, &sample.device_dir("kannika-laptop"), "kannika", sample.password("kannika")).await;
    let subject = "รายงานผลการดำเนินการตามมาตรการ (ฉบับแก้ไขจากโน้ตบุ๊ก)";
    laptop
        .apply(YEAR, vec![Edit::SetMemoField { field: MemoField::Subject, text: subject.into() }])
        .await
        .expect("the laptop edits the memo");
    app.wait_text("[data-testid=memo-preview]", WAIT, "the laptop's subject arrives", |t| {
        t.contains("ฉบับแก้ไขจากโน้ตบุ๊ก")
    })
    .await;
    assert_eq!(app.value(&reference).await, "รบ 72101/15", "a change arriving never overwrites what is being typed");
    // Leaving the field saves it; adding a proposal is a second edit. (She leaves the field
    // before pressing the button: a button pressed while the page re-renders for the saved
    // field can lose its click.)
    app.execute("document.activeElement.blur()", json!([])).await;
    app.wait_text("[data-testid=memo-preview]", WAIT, "the preview prints the new reference", |t| {
        t.contains("รบ ๗๒๑๐๑/๑๕")
    })
    .await;
    app.click(&field("[data-testid=memo-add-proposal]").await).await;
    eventually("the new proposal shows", WAIT, || async {
        app.find_all("[data-testid=memo-proposal]").await.len() == proposals + 1
    })
    .await;
    app.wait_attribute("[data-testid=memo-step][data-step=head]", "class", WAIT, "the signature is out of date", |c| {
        c.contains("stale")
    })
    .await;
    app.screenshot(&artifact("app", "5-memo.png")).await;

    // The server has the draft, and says the first step must sign again.
    eventually("the server's memo has the new reference and proposal", WAIT, || async {
        let status = head.status("pakchong", YEAR, None).await.expect("status");
        status["approvals"][0]["up_to_date"] == false && status["approvals"][0]["signed"] == true
    })
    .await;
    let reader = device(&server, &sample.device_dir("reader"), "viewer", sample.password("viewer")).await;
    eventually("another device reads the draft", WAIT, || async {
        let Ok(year) = reader.agency_year(YEAR).await else { return false };
        year.memo.reference == "รบ 72101/15"
            && year.memo.subject.as_str() == subject
            && year.memo.proposals.len() == proposals + 1
    })
    .await;

    // With the server gone, the coordinator still saves the report, rendered on the device.
    let mut server = server;
    server.kill().await;
    app.click(&field("[data-testid=nav-reports]").await).await;
    app.click(&field("[data-testid=export-pdf]").await).await;
    let done = app.wait_for("[data-testid=export-done]", WAIT).await;
    let path = app.attribute(&done, "data-path").await.expect("the saved file's path");
    assert!(path.starts_with(exports.to_str().expect("utf-8 path")), "{path}");
    app.screenshot(&artifact("app", "6-reports.png")).await;
    let pdf = std::fs::read(&path).expect("the PDF was written");
    assert!(pdf.starts_with(b"%PDF"));
    let text = std::process::Command::new("pdftotext").args(["-raw", &path, "-"]).output().expect("pdftotext");
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(text.contains("รบ ๗๒๑๐๑/๑๕") && text.contains("ฉบับร่าง"), "the draft as it is on the device");
    app.quit().await;
    driver.stop().await;
    reader.shutdown().await;
    laptop.shutdown().await;
}

/// Picks a year in the top bar's year switcher, as a person does.
async fn switch_year(app: &Session, year: i64) {
    app.wait_for(&format!("[data-testid=year-switcher] option[value='{year}']"), WAIT).await;
    app.execute(
        "const s = document.querySelector('[data-testid=year-switcher]'); s.value = arguments[0]; \
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        json!([year.to_string()]),
    )
    .await;
    app.wait_text(".table-page h1", WAIT, "the table of the year picked", |t| t.contains(&year.to_string())).await;
}

/// The agency has two years: the app opens on the latest one up to today's fiscal year, switches
/// to the other from the top bar, and both stay readable with the server gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_opens_on_the_current_year_and_switches_years_offline_too() {
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    let admin = prongsai_tests::signed_in_api(&server, &sample, "admin").await;
    let (next, _) = admin.next_year("pakchong", YEAR).await.expect("the next year");
    let app_data = sample.device_dir("app-years");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    let field = |id: &'static str| app.wait_for(id, WAIT);
    sign_in(&app, &server, "kannika", sample.password("kannika")).await;

    // Today's fiscal year is not started yet: the latest one before it opens, its measures
    // continued from the year before.
    app.click(&field("[data-testid=nav-table]").await).await;
    app.wait_text(".table-page h1", WAIT, "the newest year opens", |t| t.contains(&next.year.to_string())).await;
    app.poll_count("[data-testid=table-page] tr[data-measure]", 8, WAIT).await;
    let switcher = app.wait_for("[data-testid=year-switcher]", WAIT).await;
    assert_eq!(app.value(&switcher).await, next.year.to_string());
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "up to date", |c| c == "up_to_date").await;
    app.screenshot(&artifact("app", "years-1-newest.png")).await;

    switch_year(&app, YEAR).await;
    app.poll_count("[data-testid=table-page] tr[data-measure]", 8, WAIT).await;
    switch_year(&app, next.year).await;

    // The server goes away: both years are on the device.
    server.kill().await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "offline", |c| c != "up_to_date").await;
    switch_year(&app, YEAR).await;
    app.poll_count("[data-testid=table-page] tr[data-measure]", 8, WAIT).await;
    app.screenshot(&artifact("app", "years-2-offline.png")).await;
    switch_year(&app, next.year).await;
    app.poll_count("[data-testid=table-page] tr[data-measure]", 8, WAIT).await;

    app.quit().await;
    driver.stop().await;
}

/// The agency requires a second factor of approvers: in the app too, the นายก signing in lands on
/// setting it up with the QR code, keeps the recovery codes, reaches the agency's table, and from
/// then on signs in with password and code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_sets_up_a_second_factor_in_the_app_and_signs_in_with_it() {
    use prongsai_core::totp;
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs();
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let admin = prongsai_tests::signed_in_api(&server, &sample, "admin").await;
    admin
        .set_security("pakchong", &prongsai_core::admin::AgencySecurity { second_factor_required: true })
        .await
        .expect("required");
    let app_data = sample.device_dir("app-winai");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    let field = |id: &'static str| app.wait_for(id, WAIT);
    sign_in(&app, &server, "winai", sample.password("winai")).await;

    app.wait_for("[data-testid=second-factor-required]", WAIT).await;
    app.click(&field("[data-testid=second-factor-start]").await).await;
    app.wait_for("[data-testid=second-factor-qr] svg", WAIT).await;
    let secret = app.text(&field("[data-testid=second-factor-secret]").await).await;
    let secret = totp::decode_secret(&secret).expect("the secret as text");
    app.type_text(&field("[data-testid=second-factor-code]").await, &totp::code(&secret, now())).await;
    app.screenshot(&artifact("app", "second-factor.png")).await;
    app.click(&field("[data-testid=second-factor-confirm]").await).await;
    app.wait_text("[data-testid=recovery-codes]", WAIT, "the recovery codes", |t| t.matches('-').count() >= 10).await;
    // Everything answers now.
    app.click(&field("[data-testid=nav-dashboard]").await).await;
    app.wait_for("[data-testid=matrix] tbody tr[data-measure]", WAIT).await;

    app.click(&field("[data-testid=sign-out]").await).await;
    sign_in(&app, &server, "winai", sample.password("winai")).await;
    let code = field("[data-testid=login-otp]").await;
    // The next step's code: the one used to confirm may not be used again.
    app.type_text(&code, &totp::code(&secret, now() + totp::STEP_SECS)).await;
    app.click(&field("[data-testid=login-submit]").await).await;
    app.wait_for("[data-testid=matrix] tbody tr[data-measure]", WAIT).await;
    app.quit().await;
    driver.stop().await;
}

/// The coordinator imports a plan file into the year on the device with the server gone: the new
/// measure is in the table at once, and reaches the server when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_imports_a_plan_file_offline_in_the_app() {
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    let app_data = sample.device_dir("app-import");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "kannika", sample.password("kannika")).await;
    app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
    app.poll_count("[data-testid=table-page] tr[data-measure]", 8, WAIT).await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "up to date", |c| c == "up_to_date").await;

    server.kill().await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "offline", |c| c != "up_to_date").await;
    let file = sample.device_dir("files").join("แผนเพิ่มเติม.csv");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    std::fs::write(
        &file,
        "ลำดับ,มาตรการ,วิธีการ,ผู้รับผิดชอบ,ไตรมาส,ข้อเสนอแนะ\r\n\
         1,มาตรการตรวจสอบการใช้รถราชการ,\"- จัดทำสมุดบันทึกการใช้รถ\n- ตรวจสอบทุกเดือน\",สำนักงานปลัด,ไตรมาสที่ ๒ - ๓,\r\n",
    )
    .expect("the plan file");
    app.click(&app.wait_for("[data-testid=nav-agency]", WAIT).await).await;
    let input = app.wait_for("[data-testid=import-plan-file]", WAIT).await;
    app.type_text(&input, file.to_str().expect("utf-8 path")).await;
    app.wait_text("[data-testid=agency-done]", WAIT, "the import is done", |t| t.contains("นำเข้าแผนแล้ว")).await;
    let report = app.text(&app.wait_for("[data-testid=import-report]", WAIT).await).await;
    // สำนักงานปลัด is how people write สำนักปลัด: read, and said so.
    assert!(report.contains("มาตรการตรวจสอบการใช้รถราชการ") && report.contains("สำนักปลัด"), "{report}");
    app.screenshot(&artifact("app", "import-offline.png")).await;
    app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
    app.poll_count("[data-testid=table-page] tr[data-measure]", 9, WAIT).await;
    let table = app.text(&app.wait_for("[data-testid=table-page]", WAIT).await).await;
    assert!(table.contains("มาตรการตรวจสอบการใช้รถราชการ") && table.contains("จัดทำสมุดบันทึกการใช้รถ"), "{table}");

    // Back online: the server has it.
    server.restart().await;
    app.wait_attribute("[data-testid=unconfirmed]", "data-count", WAIT, "the server confirms the import", |c| c == "0")
        .await;
    let reader = device(&server, &sample.device_dir("reader"), "admin", sample.password("admin")).await;
    eventually("the server's copy has the imported measure", WAIT, || {
        let reader = reader.clone();
        async move {
            reader
                .agency_year(YEAR)
                .await
                .is_ok_and(|y| y.measures().iter().any(|(_, m)| m.title.as_str() == "มาตรการตรวจสอบการใช้รถราชการ"))
        }
    })
    .await;
    reader.shutdown().await;
    app.quit().await;
    driver.stop().await;
}

/// The admin sets the agency up in the app as on the web: the letterhead, the emblem through the
/// app's own upload (an SVG refused with the reason, a PNG previewed and set), a division added,
/// renamed (the old name kept) and retired, and a step of the approval chain retitled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_sets_the_agency_up_in_the_app() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let app_data = sample.device_dir("app-admin");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "admin", sample.password("admin")).await;
    app.click(&app.wait_for("[data-testid=nav-agency]", WAIT).await).await;
    app.wait_for("[data-testid=agency-page] [data-testid=profile-form]", WAIT).await;

    replace_text(&app, "[data-testid=profile-phone]", "032-000111", "input").await;
    app.click(&app.wait_for("[data-testid=profile-save]", WAIT).await).await;
    app.wait_text("[data-testid=agency-done]", WAIT, "the letterhead is saved", |t| t.contains("บันทึก")).await;

    let files = sample.device_dir("files");
    std::fs::create_dir_all(&files).expect("dir");
    let svg = files.join("emblem.svg");
    std::fs::write(&svg, "<svg onload=alert(1)></svg>").expect("write");
    app.type_text(&app.wait_for("[data-testid=emblem-file]", WAIT).await, svg.to_str().expect("utf-8")).await;
    app.wait_text("[data-testid=emblem-refused]", WAIT, "the refusal says why", |t| t.contains("PNG")).await;
    let png = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png");
    let png = png.canonicalize().expect("the icon");
    app.type_text(&app.wait_for("[data-testid=emblem-file]", WAIT).await, png.to_str().expect("utf-8")).await;
    app.wait_for("[data-testid=emblem-preview]", WAIT).await;
    app.click(&app.wait_for("[data-testid=emblem-save]", WAIT).await).await;
    app.wait_text("[data-testid=agency-done]", WAIT, "the emblem is set", |t| t.contains("ตรา")).await;

    app.type_text(&app.wait_for("[data-testid=division-new]", WAIT).await, "กองสาธารณสุข").await;
    app.click(&app.wait_for("[data-testid=division-add]", WAIT).await).await;
    app.poll_count("[data-testid=divisions] [data-testid=division]", 7, WAIT).await;
    let added = app.find_all("[data-testid=divisions] [data-testid=division]").await.pop().expect("the new division");
    let id = app.attribute(&added, "data-division").await.expect("its id");
    // A new name typed over the old one and the field left (its change event saves it).
    replace_text(
        &app,
        &format!("[data-division='{id}'] [data-testid=division-name]"),
        "กองสาธารณสุขและสิ่งแวดล้อม",
        "change",
    )
    .await;
    app.wait_text(&format!("[data-division='{id}'] .aliases"), WAIT, "the old name kept", |t| {
        t.contains("กองสาธารณสุข")
    })
    .await;
    app.click(&app.wait_for(&format!("[data-division='{id}'] [data-testid=division-retire]"), WAIT).await).await;
    app.wait_attribute(&format!("[data-division='{id}']"), "class", WAIT, "retired", |c| c.contains("retired")).await;

    replace_text(&app, "[data-testid=chain-row] [data-testid=chain-title]", "ความเห็นหัวหน้าสำนักปลัด อบต.", "input").await;
    app.click(&app.wait_for("[data-testid=chain-save]", WAIT).await).await;
    app.wait_text("[data-testid=agency-done]", WAIT, "the chain is saved", |t| t.contains("สายการลงนาม")).await;
    app.screenshot(&artifact("app", "agency.png")).await;

    // The server has all of it.
    let api = prongsai_tests::signed_in_api(&server, &sample, "admin").await;
    let profile = api.overview("pakchong").await.expect("overview").profile;
    assert_eq!(profile.letterhead.phone, "032-000111");
    let division = profile.divisions.iter().find(|d| d.id == id).expect("the division");
    assert_eq!(division.name, "กองสาธารณสุขและสิ่งแวดล้อม");
    assert_eq!(division.aliases, ["กองสาธารณสุข"]);
    assert!(division.retired);
    assert_eq!(profile.approval_chain[0].title, "ความเห็นหัวหน้าสำนักปลัด อบต.");
    let emblem = api.emblem("pakchong").await.expect("asks").expect("an emblem");
    assert_eq!(emblem, std::fs::read(&png).expect("the icon"));
    app.quit().await;
    driver.stop().await;
}

/// Once every step signed, the coordinator sees the memo signed in the system, the code the
/// published report prints, attaches the wet-signed scan in the app, and a PDF saved on the
/// device prints the same code and address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_attaches_the_wet_signed_scan_in_the_app_and_a_saved_pdf_prints_the_code() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    prongsai_tests::sign_every_step(&server, &sample).await;
    let app_data = sample.device_dir("app-kannika");
    let exports = sample.device_dir("kannika-exports");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver =
        Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path()), ("PRONGSAI_EXPORT_DIR", exports.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "kannika", sample.password("kannika")).await;

    app.click(&app.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    let memo_code =
        app.wait_text("[data-testid=memo-code]", WAIT, "the memo shows its code", |t| t.contains('-')).await;
    let mut signed = 0;
    for line in app.find_all("[data-testid=memo-sign-line]").await {
        signed += usize::from(app.text(&line).await.contains("ลงนามในระบบ"));
    }
    assert_eq!(signed, 3, "each step is signed in the system");

    app.click(&app.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    let code = app
        .wait_text("[data-testid=publication] [data-testid=publication-code]", WAIT, "the published code", |t| {
            t.len() == 19
        })
        .await;
    assert!(memo_code.ends_with(&code), "the memo and the publication show one code: {memo_code} / {code}");
    let files = sample.device_dir("scans");
    std::fs::create_dir_all(&files).expect("dir");
    let photo = files.join("not-a-pdf.png");
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../icons/32x32.png"), &photo).expect("png");
    app.type_text(
        &app.wait_for("[data-testid=publication] [data-testid=scan-file]", WAIT).await,
        photo.to_str().expect("utf-8"),
    )
    .await;
    app.click(&app.wait_for("[data-testid=publication] [data-testid=scan-attach]", WAIT).await).await;
    app.wait_text("[data-testid=publication] [data-testid=scan-failed]", WAIT, "a photo is refused", |t| {
        t.contains("ไม่รับไฟล์ชนิดนี้")
    })
    .await;
    let scan = files.join("memo-signed.pdf");
    let bytes = b"%PDF-1.4\n% signed with a pen by the mayor\n".to_vec();
    std::fs::write(&scan, &bytes).expect("pdf");
    app.type_text(
        &app.wait_for("[data-testid=publication] [data-testid=scan-file]", WAIT).await,
        scan.to_str().expect("utf-8"),
    )
    .await;
    app.click(&app.wait_for("[data-testid=publication] [data-testid=scan-attach]", WAIT).await).await;
    app.wait_for("[data-testid=publication] [data-testid=scan-done]", WAIT).await;
    let address = app
        .wait_text("[data-testid=publication] [data-testid=publication-scan]", WAIT, "the scan's address", |t| {
            t.ends_with("-scan.pdf")
        })
        .await;
    app.screenshot(&artifact("app", "7-publication.png")).await;
    let public = reqwest::get(&address).await.expect("the scan, without a login");
    assert_eq!(public.status(), 200);
    assert_eq!(public.bytes().await.expect("bytes").to_vec(), bytes);

    // The sticky top bar covers the export buttons while the page is scrolled to its end.
    app.execute("window.scrollTo(0, 0)", json!([])).await;
    app.click(&app.wait_for("[data-testid=export-pdf]", WAIT).await).await;
    let done = app.wait_for("[data-testid=export-done]", WAIT).await;
    let path = app.attribute(&done, "data-path").await.expect("the saved file's path");
    let text = std::process::Command::new("pdftotext").args(["-raw", &path, "-"]).output().expect("pdftotext");
    let text: String = String::from_utf8(text.stdout).expect("utf-8").split_whitespace().collect();
    let plain: String = code.chars().filter(|c| *c != '-').collect();
    let expected = format!("{}verify/{plain}", server.url());
    assert!(text.contains(&expected), "the saved PDF prints {expected}:\n{text}");
    assert_eq!(text.matches("ลงนามในระบบ").count(), 3);
    app.quit().await;
    driver.stop().await;
}

/// The report every step approved waits for its plan; the coordinator records in the app why it
/// goes first, and it is published at once with the reason on its verification page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_records_in_the_app_why_the_report_goes_before_its_plan() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    for (user, step) in [("parichat", "head"), ("amnang", "palad"), ("winai", "mayor")] {
        let api = prongsai_tests::signed_in_api(&server, &sample, user).await;
        api.sign("pakchong", YEAR, step, "approved", "", None).await.expect("signs the report");
    }
    let app_data = sample.device_dir("app-kannika");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "kannika", sample.password("kannika")).await;
    app.click(&app.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    app.wait_for("[data-testid=publication] [data-testid=publication-waits-for-plan]", WAIT).await;
    app.wait_for("[data-testid=plan-publication] [data-testid=publication-none]", WAIT).await;
    let reason = "แผนมาตรการเผยแพร่บนเว็บไซต์หน่วยงานก่อนเริ่มใช้ระบบ";
    app.type_text(&app.wait_for("[data-testid=plan-waiver-reason]", WAIT).await, reason).await;
    app.click(&app.wait_for("[data-testid=plan-waiver-save]", WAIT).await).await;
    let shown = app
        .wait_text("[data-testid=publication] [data-testid=publication-plan-waiver]", WAIT, "the reason", |t| {
            t.contains(reason)
        })
        .await;
    assert!(shown.contains("เผยแพร่ก่อนแผน"), "{shown}");
    let code = app
        .wait_text("[data-testid=publication] [data-testid=publication-code]", WAIT, "published at once", |t| {
            t.len() == 19
        })
        .await;
    assert!(app.find("[data-testid=publication] [data-testid=publication-waits-for-plan]").await.is_none());
    app.screenshot(&artifact("app", "8-plan-waiver.png")).await;
    let verified = reqwest::Client::new()
        .get(server.url().join(&format!("verify/{code}")).expect("url"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("verify");
    let verified: serde_json::Value = verified.json().await.expect("json");
    assert_eq!(verified["plan_waiver"].as_str(), Some(reason), "{verified}");
    app.quit().await;
    driver.stop().await;
}

/// Division staff are told in the app that a result came back to them; with the server gone
/// the notice is still there (computed from the documents on the device), opening it marks it
/// read on the device, and that mark reaches the server once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_are_told_a_result_came_back_and_mark_it_read_offline() {
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    // สำนักปลัด submits m1; the coordinator returns it.
    let staff = device(&server, &sample.device_dir("somchai-laptop"), "somchai", sample.password("somchai")).await;
    let palad = |text: &str| Edit::SetResultText { division: "palad".into(), measure: "m1".into(), text: text.into() };
    let submit = Edit::Submit { division: "palad".into(), measure: "m1".into() };
    staff.apply(YEAR, vec![palad("จัดอบรมแล้ว"), submit]).await.expect("submits");
    assert!(staff.wait_confirmed(WAIT).await);
    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    let hash = prongsai_tests::eventually_seen("the coordinator sees the submission", WAIT, || async {
        let year = coordinator.agency_year(YEAR).await.map_err(|e| e.to_string())?;
        let result = year.result("m1", "palad").filter(|r| r.submission.is_some()).ok_or("not yet")?;
        Ok::<_, String>(prongsai_core::hash::result_content_hash(result))
    })
    .await;
    let returned = Edit::Decide {
        measure: "m1".into(),
        division: "palad".into(),
        decision: prongsai_core::model::ReviewDecisionKind::Returned,
        comment: "ขอภาพถ่ายประกอบ".into(),
        content_hash: hash,
    };
    coordinator.apply(YEAR, vec![returned]).await.expect("returns");
    assert!(coordinator.wait_confirmed(WAIT).await);

    let app_data = sample.device_dir("app-somchai");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "somchai", sample.password("somchai")).await;
    let notice = "[data-testid=notification][data-kind=returned]";
    app.click(&app.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
    let element = app.wait_for(&format!("{notice}[data-read=false]"), WAIT).await;
    let id = app.attribute(&element, "data-id").await.expect("an id");
    assert!(id.starts_with("returned/m1/palad/"), "{id}");

    server.kill().await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "the app says it is offline", |c| c == "offline")
        .await;
    let before = unread_count(&app).await;
    app.click(&app.find(&format!("{notice} [data-testid=notification-open]")).await.expect("open")).await;
    app.wait_text("[data-testid=measure-page]", WAIT, "the measure it is about", |t| t.contains("ขอภาพถ่ายประกอบ"))
        .await;
    eventually("the count drops, offline", WAIT, || async { unread_count(&app).await == before - 1 }).await;
    app.screenshot(&artifact("app", "8-notification-read-offline.png")).await;

    // Quit and start again offline: still read.
    app.quit().await;
    let app = open_app(&driver).await;
    app.click(&app.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
    app.wait_for(&format!("{notice}[data-read=true]"), WAIT).await;

    // The server is back: opening the list sends the mark, and it is the person's everywhere.
    server.restart().await;
    let api = prongsai_client::ServerApi::new(server.url());
    let login = api.login("somchai", sample.password("somchai"), "test").await.expect("login");
    let api = api.with_token(&login.token);
    eventually("the mark made offline reaches the server", Duration::from_secs(90), || async {
        app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
        app.click(&app.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
        api.notifications_read().await.is_ok_and(|marks| marks.read.contains(&id))
    })
    .await;
    app.quit().await;
    driver.stop().await;
    staff.shutdown().await;
    coordinator.shutdown().await;
}

/// The coordinator answers the whole ITAS sheet in the app: every OIT item of the year is
/// there; a link off the agency's site is flagged and a malformed one refused; one on the site
/// counts as answered; the report item fills itself in once the report is published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_answers_the_itas_sheet_in_the_app() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    prongsai_tests::set_website(&server, &sample, "pakchong.go.th").await;
    let admin = prongsai_tests::signed_in_api(&server, &sample, "admin").await;

    let app_data = sample.device_dir("app-itas");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "kannika", sample.password("kannika")).await;
    app.click(&app.wait_for("[data-testid=nav-itas]", WAIT).await).await;
    let summary = app.wait_for("[data-testid=itas-summary]", WAIT).await;
    let total: usize = app.attribute(&summary, "data-total").await.and_then(|t| t.parse().ok()).expect("a total");
    assert!(total > 20, "every OIT item of the year, got {total}");
    assert_eq!(app.find_all("[data-testid=itas-item]").await.len(), total);
    let report = prongsai_tests::report_slug(YEAR).to_uppercase();
    app.wait_attribute(
        &format!("[data-testid=itas-item][data-code={report}]"),
        "data-state",
        WAIT,
        "not published",
        |s| s == "unpublished",
    )
    .await;
    let missing = "[data-testid=itas-item][data-state=missing]";
    let code = app.attribute(&app.wait_for(missing, WAIT).await, "data-code").await.expect("a code");
    let row = format!("[data-testid=itas-item][data-code={code}]");
    let answer = |url: &'static str| {
        let row = row.clone();
        let app = &app;
        async move {
            replace_text(app, &format!("{row} [data-testid=itas-url]"), url, "input").await;
            app.click(&app.wait_for(&format!("{row} [data-testid=itas-save]"), WAIT).await).await;
        }
    };
    answer("pakchong.go.th/structure").await;
    app.wait_text(&format!("{row} [data-testid=itas-problem]"), WAIT, "no scheme: refused", |t| t.contains("http"))
        .await;
    answer("https://facebook.com/pakchong").await;
    app.wait_attribute(&row, "data-state", WAIT, "another site is flagged", |s| s == "foreign").await;
    answer("https://www.pakchong.go.th/structure").await;
    app.wait_attribute(&row, "data-state", WAIT, "the agency's own site", |s| s == "answered").await;
    app.screenshot(&artifact("app", "9-itas.png")).await;

    // Every step signs: the report item fills itself in, from the directory the server writes.
    prongsai_tests::sign_every_step(&server, &sample).await;
    let item = format!("[data-testid=itas-item][data-code={report}]");
    app.wait_attribute(&item, "data-state", WAIT, "the published report answers its item", |s| s == "answered").await;
    let link = app.text(&app.wait_for(&format!("{item} [data-testid=itas-link]"), WAIT).await).await;
    assert!(link.ends_with(&format!("/public/pakchong/{YEAR}/{}.pdf", report.to_lowercase())), "{link}");
    // The server's sheet agrees.
    let sheet = admin.agency_call("pakchong", "GET", &format!("/years/{YEAR}/itas"), None).await.expect("sheet");
    let row_state = sheet["items"].as_array().expect("items").iter().find(|i| i["code"] == code.as_str()).cloned();
    assert_eq!(row_state.map(|i| i["state"].clone()), Some(json!("answered")));
    app.quit().await;
    driver.stop().await;
}

/// Chooses a track and round in the top bar's switcher (`track/round`, empty for the integrity
/// measures), as a person picking it does.
async fn switch_track(app: &Session, value: &str) {
    app.wait_for(&format!("[data-testid=track-switcher] option[value='{value}']"), WAIT).await;
    app.execute(
        "const s = document.querySelector('[data-testid=track-switcher]'); s.value = arguments[0]; \
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        json!([value]),
    )
    .await;
}

/// The coordinator plans the anti-corruption action plan's projects in the app with the server
/// gone: a project with its division, quarters, budget (typed as people write baht; a word is
/// refused) and indicator, in the track's own table, never among the integrity measures; all of
/// it reaches the server when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_plans_a_tracks_projects_offline_in_the_app() {
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    prongsai_tests::add_track(&server, &sample, "anticorruption").await;
    let app_data = sample.device_dir("app-track-plan");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "kannika", sample.password("kannika")).await;
    app.wait_for("[data-testid=dashboard]", WAIT).await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "up to date", |c| c == "up_to_date").await;
    app.wait_for("[data-testid=track-switcher] option[value='anticorruption/half']", WAIT).await;

    server.kill().await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "offline", |c| c != "up_to_date").await;
    app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
    switch_track(&app, "anticorruption/half").await;
    app.wait_text("[data-testid=track-heading]", WAIT, "the track's table", |t| t.contains("ป้องกันการทุจริต")).await;
    let headings = app.text(&app.wait_for("[data-testid=measure-table] thead", WAIT).await).await;
    assert!(headings.contains("งบประมาณ (บาท)") && headings.contains("ตัวชี้วัด"), "{headings}");
    assert!(app.find("[data-testid=table-page] tr[data-measure]").await.is_none(), "no project yet");

    app.click(&app.wait_for("[data-testid=add-measure]", WAIT).await).await;
    app.wait_for("[data-testid=plan-editor] [data-testid=plan-budget]", WAIT).await;
    replace_text(&app, "[data-testid=plan-title]", "โครงการอบรมคุณธรรมจริยธรรมแก่บุคลากร", "change").await;
    replace_text(&app, "[data-testid=plan-budget]", "งบกลาง", "change").await;
    replace_text(&app, "[data-testid=plan-budget]", "๑๒,๓๔๕.๕๐", "change").await;
    replace_text(&app, "[data-testid=plan-indicator]", "ผู้เข้าอบรมร้อยละ ๘๐", "change").await;
    replace_text(&app, "[data-testid=round-result]", "อบรมแล้ว ๒ รุ่น ผู้เข้าร่วม ๙๐ คน", "change").await;
    app.execute(
        "const label = [...document.querySelectorAll('[data-testid=plan-editor] label.check')] \
           .find(l => l.textContent.includes(arguments[0])); label.querySelector('input').click();",
        json!(["สำนักปลัด"]),
    )
    .await;
    app.wait_text("[data-testid=measure-page] h1", WAIT, "the project's title", |t| t.contains("โครงการที่ 1")).await;

    app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
    let row = "[data-testid=table-page] tr[data-measure]";
    app.wait_text(&format!("{row} [data-testid=budget]"), WAIT, "the budget as baht", |t| t == "๑๒,๓๔๕.๕๐").await;
    app.wait_text(&format!("{row} [data-testid=round-result-shown]"), WAIT, "the round's result", |t| {
        t.contains("ผู้เข้าร่วม ๙๐ คน")
    })
    .await;
    // Each field is its own small edit: the row shows them all once the last has been applied.
    app.wait_text(row, WAIT, "the project with its division", |t| {
        t.contains("อบรมคุณธรรมจริยธรรม") && t.contains("ร้อยละ ๘๐") && t.contains("สำนักปลัด")
    })
    .await;
    app.screenshot(&artifact("app", "track-plan-offline.png")).await;

    // The half round's report memo, still offline: addressed as the integrity memo is until she
    // writes it; her subject is the round's alone.
    app.click(&app.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    app.wait_text("[data-testid=memo-page][data-track=anticorruption] h1", WAIT, "the round's memo", |t| {
        t.contains("รอบ ๖ เดือน")
    })
    .await;
    let integrity_memo = prongsai_core::AgencyYear::from_documents(
        prongsai_core::sample::pakchong_2565()
            .typed_documents(0)
            .expect("sample")
            .into_automerge(&prongsai_core::docs::CommitMeta::new("seed", "server", 1), |_| String::new())
            .expect("documents")
            .iter(),
    )
    .expect("the sample")
    .memo;
    app.wait_text("[data-testid=memo-preview]", WAIT, "the office, and the subject made from the round", |t| {
        t.contains(&prongsai_core::thai::to_official_digits(integrity_memo.department.as_str()))
            && t.contains("ป้องกันการทุจริต")
    })
    .await;
    let subject = "รายงานการกำกับติดตามแผนปฏิบัติการป้องกันการทุจริต รอบ ๖ เดือน (ทดสอบ)";
    replace_text(&app, "#memo-subject", subject, "change").await;
    app.wait_text("[data-testid=preview-subject]", WAIT, "the preview prints her subject", |t| t.contains("(ทดสอบ)"))
        .await;
    app.screenshot(&artifact("app", "track-memo-offline.png")).await;

    // Still offline, she imports more projects from a file on the แผนงาน page: a new project with
    // its budget and indicator joins the track's plan; the one she typed is updated in place.
    let file = sample.device_dir("files").join("โครงการป้องกันการทุจริต.csv");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    std::fs::write(
        &file,
        "ลำดับ,โครงการ/กิจกรรม,วิธีดำเนินการ,ผู้รับผิดชอบ,ระยะเวลาดำเนินงาน,งบประมาณ (บาท),ตัวชี้วัด\r\n\
         1,โครงการอบรมคุณธรรมจริยธรรมแก่บุคลากร,อบรม,สำนักปลัด,ไตรมาสที่ ๑ - ๔,\"๑๒,๓๔๕.๕๐\",ผู้เข้าอบรมร้อยละ ๘๐\r\n\
         2,กิจกรรมเผยแพร่ประมวลจริยธรรม,จัดทำแผ่นพับ,กองคลัง,ไตรมาสที่ ๒,\"๓,๕๐๐\",ผู้รับทราบ ๒๐๐ คน\r\n",
    )
    .expect("the projects file");
    app.click(&app.wait_for("[data-testid=nav-tracks]", WAIT).await).await;
    let input = app.wait_for("[data-testid=tracks-page] [data-testid=import-plan-file]", WAIT).await;
    app.type_text(&input, file.to_str().expect("utf-8 path")).await;
    app.wait_text("[data-testid=agency-done]", WAIT, "the import is done", |t| t.contains("นำเข้าแผนแล้ว")).await;
    let table = "[data-testid=track-table][data-track=anticorruption]";
    app.poll_count(&format!("{table} tbody tr[data-measure]"), 2, WAIT).await;
    app.wait_text(table, WAIT, "the imported project with its budget", |t| {
        t.contains("เผยแพร่ประมวลจริยธรรม") && t.contains("๓,๕๐๐") && t.contains("ผู้รับทราบ ๒๐๐ คน")
    })
    .await;

    switch_track(&app, "").await;
    app.click(&app.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    app.wait_text(
        "[data-testid=memo-page]:not([data-track=anticorruption]) [data-testid=preview-subject]",
        WAIT,
        "the integrity memo's subject is its own",
        |t| !t.contains("(ทดสอบ)") && !t.is_empty(),
    )
    .await;
    app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
    app.poll_count("[data-testid=table-page] tr[data-measure]", 8, WAIT).await;
    let integrity = app.text(&app.wait_for("[data-testid=table-page]", WAIT).await).await;
    assert!(!integrity.contains("อบรมคุณธรรมจริยธรรม"), "the integrity plan is untouched");

    server.restart().await;
    app.wait_attribute("[data-testid=unconfirmed]", "data-count", WAIT, "the server confirms", |c| c == "0").await;
    let reader = device(&server, &sample.device_dir("reader"), "admin", sample.password("admin")).await;
    let project = prongsai_tests::eventually_seen("the server has both projects", WAIT, || async {
        let year = reader.agency_year(YEAR).await.map_err(|e| e.to_string())?;
        let measures = year.plan.tracks.get("anticorruption").map(|t| t.measures.clone()).unwrap_or_default();
        let typed = measures.values().find(|m| m.title.as_str() == "โครงการอบรมคุณธรรมจริยธรรมแก่บุคลากร").cloned();
        let imported = measures.values().find(|m| m.title.as_str() == "กิจกรรมเผยแพร่ประมวลจริยธรรม");
        match (typed, imported) {
            (Some(typed), Some(imported)) if measures.len() == 2 && imported.budget == Some(350_000) => Ok(typed),
            _ => Err(format!("not yet: {} projects", measures.len())),
        }
    })
    .await;
    assert_eq!(project.title.as_str(), "โครงการอบรมคุณธรรมจริยธรรมแก่บุคลากร");
    assert_eq!(project.budget, Some(1_234_550), "typed baht, kept in satang; the word was refused");
    assert_eq!(project.indicator.as_ref().map(|t| t.as_str().to_string()).as_deref(), Some("ผู้เข้าอบรมร้อยละ ๘๐"));
    assert!(project.responsible.get("palad").is_some_and(|r| *r), "{:?}", project.responsible);
    let year = reader.agency_year(YEAR).await.expect("year");
    let round = &year.review.tracks["anticorruption"].rounds["half"];
    let written: Vec<String> = round.published.values().map(|t| t.as_str().to_string()).collect();
    assert_eq!(written, ["อบรมแล้ว ๒ รุ่น ผู้เข้าร่วม ๙๐ คน"], "the half round's result, the coordinator's");
    let round_memo = year.memo.tracks.get("anticorruption").and_then(|t| t.rounds.get("half"));
    assert_eq!(round_memo.map(|m| m.subject.as_str()), Some(subject), "the half round's memo has her subject");
    assert_eq!(year.memo.subject, integrity_memo.subject, "the integrity memo is untouched");
    reader.shutdown().await;
    app.quit().await;
    driver.stop().await;
}

/// A division reports the annual round of a track in the app with the server gone: its half-year
/// text stands in, marked as carried, until it edits; its first save starts the annual round from
/// that text (the half-year round keeps what it said), and the server gets both rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_division_reports_a_tracks_next_round_offline_in_the_app_starting_from_the_last() {
    use prongsai_core::tracks::Slot;
    let sample = Sample::create().await;
    let mut server = Server::start(&sample.data(), 0, &[]).await;
    prongsai_tests::add_track(&server, &sample, "anticorruption").await;
    // สำนักปลัด reported the half-year round from another device.
    let (coordinator, laptop) = prongsai_tests::a_project_planned(&server, &sample, "somchai-laptop").await;
    let slot = |round: Option<&str>| Slot::of(Some("anticorruption"), round);
    let half =
        vec![Edit::SetResultText {
            division: "palad".into(), measure: "ac1".into(), text: "อบรมแล้ว ๑ รุ่น".into()
        }];
    let submit = Edit::Submit { division: "palad".into(), measure: "ac1".into() };
    laptop
        .apply(YEAR, vec![Edit::InTrack { slot: slot(Some("half")), edits: [half, vec![submit]].concat() }])
        .await
        .expect("half");
    assert!(laptop.wait_confirmed(WAIT).await);
    // The coordinator returns the half round's result, asking for the list of attendees.
    let hash = prongsai_tests::eventually_seen("the coordinator sees the submission", WAIT, || async {
        let year = coordinator.agency_year(YEAR).await.map_err(|e| e.to_string())?;
        let half = year.in_slot(&slot(Some("half"))).map_err(|e| e.to_string())?;
        let result = half.result("ac1", "palad").filter(|r| r.submission.is_some()).ok_or("not yet")?;
        Ok::<_, String>(prongsai_core::hash::result_content_hash(result))
    })
    .await;
    let returned = Edit::Decide {
        measure: "ac1".into(),
        division: "palad".into(),
        decision: prongsai_core::model::ReviewDecisionKind::Returned,
        comment: "ขอรายชื่อผู้เข้าอบรม".into(),
        content_hash: hash,
    };
    let half_slot = coordinator.agency_year(YEAR).await.expect("year").resolve_slot(&slot(Some("half"))).expect("half");
    coordinator.apply(YEAR, vec![Edit::InTrack { slot: half_slot, edits: vec![returned] }]).await.expect("returns");
    assert!(coordinator.wait_confirmed(WAIT).await);

    let app_data = sample.device_dir("app-track-round");
    std::fs::create_dir_all(&app_data).expect("app data dir");
    let mut driver = Driver::tauri(&[("PRONGSAI_APP_DATA", app_data.as_path())]).await;
    let app = open_app(&driver).await;
    sign_in(&app, &server, "somchai", sample.password("somchai")).await;
    app.wait_for("[data-testid=table-page]", WAIT).await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "up to date", |c| c == "up_to_date").await;
    // He is told the half round's result came back; the notice opens it in its round.
    app.click(&app.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
    let notice = "[data-testid=notification][data-kind=returned][data-track=anticorruption]";
    let text = app.text(&app.wait_for(notice, WAIT).await).await;
    assert!(text.contains("โครงการที่") && text.contains("รอบ ๖ เดือน"), "{text}");
    app.click(&app.find(&format!("{notice} [data-testid=notification-open]")).await.expect("open")).await;
    app.wait_text("[data-testid=returned-comment]", WAIT, "the coordinator's comment", |t| {
        t.contains("ขอรายชื่อผู้เข้าอบรม")
    })
    .await;
    app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
    app.wait_for("[data-testid=table-page] tr[data-measure=ac1]", WAIT).await;

    server.kill().await;
    app.wait_attribute("[data-testid=sync]", "data-connection", WAIT, "offline", |c| c != "up_to_date").await;
    switch_track(&app, "anticorruption/annual").await;
    app.wait_for("tr[data-measure=ac1] .chip.carried[data-division=palad]", WAIT).await;
    app.wait_text("[data-testid=round-cutoff]", WAIT, "the annual round's cut-off", |t| t.contains("๓๐ กันยายน ๒๕๖๕"))
        .await;
    app.click(&app.wait_for("tr[data-measure=ac1] button.link", WAIT).await).await;
    app.wait_text("[data-testid=my-result] [data-testid=carried-from]", WAIT, "carried from the half year", |t| {
        t.contains("รอบ ๖ เดือน")
    })
    .await;
    let area = app.wait_for("[data-testid=result-text]", WAIT).await;
    assert_eq!(app.value(&area).await, "อบรมแล้ว ๑ รุ่น", "the half year's text to start from");
    app.append_result_text(" และรุ่นที่ ๒ ครบทุกกอง").await;
    eventually("its own once saved", WAIT, || async { app.find("[data-testid=carried-from]").await.is_none() }).await;
    app.wait_text("[data-testid=history]", WAIT, "the round's history shows the edit", |t| {
        t.contains("แก้ไขผลการดำเนินงาน")
    })
    .await;
    app.screenshot(&artifact("app", "track-round-offline.png")).await;
    app.click(&app.wait_for("[data-testid=nav-table]", WAIT).await).await;
    eventually("the table no longer marks it carried", WAIT, || async {
        app.find("tr[data-measure=ac1] .chip[data-division=palad]").await.is_some()
            && app.find("tr[data-measure=ac1] .chip.carried").await.is_none()
    })
    .await;

    server.restart().await;
    app.wait_attribute("[data-testid=unconfirmed]", "data-count", WAIT, "the server confirms", |c| c == "0").await;
    let reader = device(&server, &sample.device_dir("reader"), "admin", sample.password("admin")).await;
    let rounds = prongsai_tests::eventually_seen("the server has the annual round", WAIT, || async {
        let year = reader.agency_year(YEAR).await.map_err(|e| e.to_string())?;
        let text = |round: &str| {
            year.results
                .get("palad")?
                .tracks
                .get("anticorruption")?
                .rounds
                .get(round)?
                .results
                .get("ac1")
                .map(|r| r.text.as_str().to_string())
        };
        Ok::<_, String>((text("half"), text("annual").ok_or("not yet")?))
    })
    .await;
    assert_eq!(rounds, (Some("อบรมแล้ว ๑ รุ่น".to_string()), "อบรมแล้ว ๑ รุ่น และรุ่นที่ ๒ ครบทุกกอง".to_string()));
    assert!(reader.agency_year(YEAR).await.expect("year").result("ac1", "palad").is_none(), "not an integrity result");
    reader.shutdown().await;
    laptop.shutdown().await;
    coordinator.shutdown().await;
    app.quit().await;
    driver.stop().await;
}
