//! The web dashboard in real headless Chromium (Debian's chromium through chromedriver), served by
//! the real server from the same Yew frontend as the app: the sample นายก signs in, sees every
//! measure and division, and sees a staff member's change arrive without a reload; the web
//! session's token cannot write any document. A screenshot is kept in tests/artifacts/web/.

use std::path::PathBuf;
use std::time::Duration;

use prongsai_core::automerge::transaction::Transactable;
use prongsai_core::automerge::{ROOT, ReadDoc};
use prongsai_core::docs::results;
use prongsai_core::edit::Edit;
use prongsai_core::model::{DocKey, Status};
use prongsai_tests::webdriver::{Driver, Session, artifact};
use prongsai_tests::{RawPeer, Sample, Server, YEAR, device, docx_text, eventually, eventually_seen, pdf_text, squash};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

fn step_of(user: &str) -> &'static str {
    if user == "parichat" { "head" } else { "palad" }
}

/// The sample agency, its server serving the dashboard, and Chromium on it.
struct OnTheWeb {
    sample: Sample,
    server: Server,
    driver: Driver,
    browser: Session,
}

impl OnTheWeb {
    async fn start() -> OnTheWeb {
        let sample = Sample::create().await;
        let web = web_dir();
        let server = Server::start(&sample.data(), 0, &["--web-dir", web.to_str().expect("utf-8 path")]).await;
        let driver = Driver::chromium().await;
        let browser = Session::new(&driver, Driver::chromium_capabilities(1366, 1000)).await;
        OnTheWeb { sample, server, driver, browser }
    }
}

/// Opens the dashboard and signs in.
async fn sign_in(browser: &Session, server: &Server, username: &str, password: &str) {
    browser.goto(server.url().as_str()).await;
    browser.type_text(&browser.wait_for("#login-username", WAIT).await, username).await;
    browser.type_text(&browser.wait_for("#login-password", WAIT).await, password).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
}

/// The sample's server over HTTPS with a test certificate, serving the dashboard, and the
/// address a browser reaches it at: a name that is not loopback (`prongsai.test`, which the
/// certificate's Chromium maps to 127.0.0.1), so the page is a secure context as on a tablet.
async fn serve_over_https(sample: &Sample) -> (prongsai_tests::TestCertificate, Server, String) {
    let certificate = prongsai_tests::TestCertificate::create(&sample.dir.path().join("tls"));
    let web = web_dir();
    let mut args: Vec<String> = certificate.serve_args().into();
    args.extend(["--web-dir".to_string(), web.to_str().expect("utf-8 path").to_string()]);
    let server = Server::start(&sample.data(), 0, &args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let origin = format!("https://prongsai.test:{}/", server.addr.port());
    (certificate, server, origin)
}

/// Headless Chromium as a touch device of `width`×`height` reaching the HTTPS server by name,
/// with its profile (service worker, IndexedDB) kept in `profile` across a restart.
fn touch_over_https(
    certificate: &prongsai_tests::TestCertificate,
    width: u32,
    height: u32,
    profile: &std::path::Path,
) -> serde_json::Value {
    let mut capabilities = certificate.chromium_capabilities(width, height);
    let touch = Driver::chromium_touch_capabilities(width, height);
    capabilities["goog:chromeOptions"]["mobileEmulation"] = touch["goog:chromeOptions"]["mobileEmulation"].clone();
    let args = capabilities["goog:chromeOptions"]["args"].as_array_mut().expect("args");
    args.push(format!("--user-data-dir={}", profile.display()).into());
    capabilities
}

/// Signs in on the page shown with "use this tablet as a device", and waits for the device's
/// table, up to date.
async fn sign_in_as_device(browser: &Session, username: &str, password: &str) {
    browser.type_text(&browser.wait_for("#login-username", WAIT).await, username).await;
    browser.type_text(&browser.wait_for("#login-password", WAIT).await, password).await;
    browser.click(&browser.wait_for("[data-testid=login-device]", WAIT).await).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
    browser.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
    browser
        .wait_attribute("[data-testid=sync]", "data-connection", WAIT, "the device is up to date", |c| {
            c == "up_to_date"
        })
        .await;
}

fn web_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend/dist");
    assert!(dir.join("prongsai_frontend_bg.wasm").exists(), "build the frontend first: scripts/build-frontend.sh");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mayor_watches_the_dashboard_update_live_and_the_web_session_writes_nothing() {
    let sample = Sample::create().await;
    let web = web_dir();
    let server = Server::start(&sample.data(), 0, &["--web-dir", web.to_str().expect("utf-8 path")]).await;

    prongsai_client::api::install_crypto();
    // GET / is the app page itself, not a redirect.
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(server.url())
        .send()
        .await
        .expect("GET /");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("boot.js"), "the frontend's page");

    let mut driver = Driver::chromium().await;
    let browser = Session::new(&driver, Driver::chromium_capabilities(1366, 1000)).await;
    browser.goto(server.url().as_str()).await;
    browser.wait_for("[data-testid=login-page]", WAIT).await;
    // The browser signs in to the server it came from: no server field to fill.
    assert!(browser.find("#login-server").await.is_none(), "the web sign-in has no server address field");
    browser.type_text(&browser.wait_for("#login-username", WAIT).await, "winai").await;
    browser.type_text(&browser.wait_for("#login-password", WAIT).await, sample.password("winai")).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;

    // Every measure and every division.
    browser.wait_for("[data-testid=matrix] tbody tr[data-measure]", WAIT).await;
    let rows = browser.find_all("[data-testid=matrix] tbody tr[data-measure]").await.len();
    let columns = browser.find_all("[data-testid=matrix] thead th[data-division]").await.len();
    assert_eq!((rows, columns), (8, 6));
    browser.wait_text("[data-testid=who]", WAIT, "the mayor's name shows", |t| t.contains("วินัย")).await;

    // A staff member of สำนักปลัด marks measure 2 done on their device: the cell turns without a reload.
    let cell = "[data-testid=matrix] tr[data-measure=m2] td[data-division=palad]";
    let before = browser.wait_attribute(cell, "data-status", WAIT, "the cell shows a status", |_| true).await;
    assert_ne!(before, "done");
    let staff = device(&server, &sample.device_dir("somchai"), "somchai", sample.password("somchai")).await;
    staff
        .edit(YEAR, &DocKey::results("palad"), "บันทึกผล", |tx, meta| {
            results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m2", &Status::Done, meta)
        })
        .await
        .expect("staff edit");
    assert!(staff.wait_confirmed(WAIT).await, "the server has the change");
    browser
        .wait_attribute(cell, "data-status", WAIT, "the dashboard shows the change without a reload", |s| s == "done")
        .await;
    // The page's live socket carried its token as a subprotocol, never in its address.
    let log = std::fs::read_to_string(sample.data().with_extension("server.log")).expect("the server's log");
    let live: Vec<&str> = log.lines().filter(|l| l.contains("/live")).collect();
    assert!(!live.is_empty() && live.iter().all(|l| !l.contains("token")), "{live:#?}");
    browser
        .wait_text("[data-testid=activity]", WAIT, "the activity feed names who changed what", |t| {
            t.contains("สมชาย") && t.contains("2. การเผยแพร่ข้อมูลหน่วยงาน")
        })
        .await;
    browser.screenshot(&artifact("web", "dashboard.png")).await;

    // The web session's token writes no document: the server says so, and refuses a hand-made write.
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(server.url().join("api/login").expect("url"))
        .json(&serde_json::json!({ "username": "somchai", "password": sample.password("somchai"), "web": true }))
        .send()
        .await
        .expect("web login")
        .json()
        .await
        .expect("login answer");
    let token = login["token"].as_str().expect("token");
    let peer_id = login["peer_id"].as_str().expect("peer id");
    let documents: Vec<serde_json::Value> = http
        .get(server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/documents")).expect("url"))
        .bearer_auth(token)
        .send()
        .await
        .expect("documents")
        .json()
        .await
        .expect("list");
    assert!(!documents.is_empty() && documents.iter().all(|d| d["writable"] == false), "{documents:?}");
    // The measure's history, as the web measure page reads it, names who changed it.
    let history: Vec<serde_json::Value> = http
        .get(server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/measures/m2/history")).expect("url"))
        .bearer_auth(token)
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("entries");
    assert!(history.iter().any(|h| h["username"] == "somchai" && h["message"] == "บันทึกผล"), "{history:?}");

    let palad = documents
        .iter()
        .find(|d| d["kind"] == "results" && d["division"] == "palad")
        .and_then(|d| d["url"].as_str())
        .and_then(|u| u.strip_prefix("automerge:"))
        .expect("palad's results")
        .to_string();
    let handle = staff.handle(&palad).await.expect("handle");
    let (hash, bytes) = handle
        .with_document_async(|doc| {
            let mut fork = doc.fork();
            let mut tx = fork.transaction();
            tx.put(ROOT, "written-from-the-web", true).expect("put");
            tx.commit();
            let change = fork.get_changes(&doc.get_heads()).pop().expect("the new change").clone();
            (change.hash(), change.raw_bytes().to_vec())
        })
        .await
        .expect("a change");
    let refused_before = server.metric("prongsai_refused_writes_total").await;
    let mut raw = RawPeer::connect(&server, token, peer_id).await;
    raw.push_changes(&palad, vec![hash], vec![bytes]).await;
    eventually("the server logs the refused write", WAIT, || async {
        server.metric("prongsai_refused_writes_total").await > refused_before
    })
    .await;
    let durable = staff.api().durable(&palad, &[hash], Duration::ZERO).await.expect("durable check");
    assert!(!durable, "the web session's change is not stored");
    let head = device(&server, &sample.device_dir("parichat"), "parichat", sample.password("parichat")).await;
    let doc = head.handle(&palad).await.expect("handle");
    let present =
        doc.with_document_async(|d| d.get(ROOT, "written-from-the-web").ok().flatten().is_some()).await.expect("read");
    assert!(!present, "nobody else receives it");

    // The mayor signs his step on the web once the steps before him approved: decision, comment, date.
    prongsai_tests::sign_the_plan(&server, &sample).await;
    for user in ["parichat", "amnang"] {
        let api = prongsai_client::ServerApi::new(server.url());
        let login = api.login(user, sample.password(user), "test").await.expect("login");
        api.with_token(&login.token)
            .sign("pakchong", YEAR, step_of(user), "approved", "เห็นชอบ", None)
            .await
            .expect("signs");
    }
    browser.wait_for("[data-testid=approvals] [data-testid=sign-box]", WAIT).await;
    browser
        .click(
            &browser.wait_for("[data-testid=approvals] [data-testid=sign-box] select option[value='25']", WAIT).await,
        )
        .await;
    let comment = browser.wait_for("[data-testid=approvals] [data-testid=sign-box] textarea", WAIT).await;
    browser.type_text(&comment, "อนุมัติให้เผยแพร่").await;
    browser.click(&browser.wait_for("[data-testid=approvals] [data-testid=sign-approve]", WAIT).await).await;
    let api = staff.api();
    eventually("the server recorded the mayor's signature with his date", WAIT, || async {
        let status = api.status("pakchong", YEAR, None).await.expect("status");
        let mayor = &status["approvals"][2];
        mayor["signer"] == "winai"
            && mayor["comment"] == "อนุมัติให้เผยแพร่"
            && mayor["date"].as_str().is_some_and(|d| d.ends_with("-25"))
            && mayor["up_to_date"] == true
    })
    .await;

    // Reports download from the server for a web reader.
    browser.click(&browser.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    let link = browser.wait_for("[data-testid=download-docx]", WAIT).await;
    let href = browser.attribute(&link, "href").await.expect("a download link");
    let docx = reqwest::get(server.url().join(&href).expect("url")).await.expect("download");
    assert_eq!(docx.status(), 200);
    assert!(docx.bytes().await.expect("body").starts_with(b"PK\x03\x04"), "a DOCX");

    // Every step signed: the report is public, and reads on a phone without sideways scrolling.
    let public =
        server.url().join(&format!("public/pakchong/2565/{}.html", prongsai_tests::report_slug(2565))).expect("url");
    eventually("the signed report is published", WAIT, || async {
        let response = reqwest::get(public.clone()).await.expect("request");
        response.status() == 200 && response.text().await.is_ok_and(|t| t.contains("อนุมัติให้เผยแพร่"))
    })
    .await;
    // The memo shows every step signed in the system; the reports page the code the report
    // prints and where anyone checks it.
    browser.click(&browser.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    eventually("the memo shows three steps signed in the system", WAIT, || async {
        let lines = browser.find_all("[data-testid=memo-sign-line]").await;
        let mut signed = 0;
        for line in &lines {
            signed += usize::from(browser.text(line).await.contains("ลงนามในระบบ"));
        }
        signed == 3
    })
    .await;
    browser.click(&browser.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    let code = browser
        .wait_text("[data-testid=publication] [data-testid=publication-code]", WAIT, "the verification code", |t| {
            t.len() == 19
        })
        .await;
    let verify = browser
        .wait_text(
            "[data-testid=publication] [data-testid=publication-verify]",
            WAIT,
            "the verification address",
            |t| t.contains("/verify/"),
        )
        .await;
    assert_eq!(verify.rsplit('/').next().map(prongsai_core::verification::grouped), Some(code.clone()));
    browser.screenshot(&artifact("web", "4-publication.png")).await;
    browser.goto(&verify).await;
    browser
        .wait_text("[data-verdict]", WAIT, "the verification page says the report matches", |t| {
            t.contains("ตรงกับข้อมูลที่ลงนาม")
        })
        .await;
    browser.screenshot(&artifact("web", "4-verified.png")).await;
    browser.set_window_size(390, 844).await;
    browser.goto(public.as_str()).await;
    browser.wait_text("main", WAIT, "the published memo shows", |t| t.contains("บันทึกข้อความ")).await;
    let fits = browser.execute("return document.documentElement.scrollWidth <= window.innerWidth + 1", json!([])).await;
    assert_eq!(fits, json!(true), "no sideways scrolling on a phone");
    browser.screenshot(&artifact("web", "4-published-phone.png")).await;

    browser.quit().await;
    driver.stop().await;
    head.shutdown().await;
    staff.shutdown().await;
}

/// The agency's admin manages users from the web (an อบต. has no one at a command line): adds a
/// staff member whose generated password then works; the memo is readable as it will print.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_adds_a_user_on_the_web_and_everyone_reads_the_memo() {
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    sign_in(&browser, &server, "admin", sample.password("admin")).await;

    browser.click(&browser.wait_for("[data-testid=nav-users]", WAIT).await).await;
    browser.wait_for("[data-testid=user-row][data-username=somchai]", WAIT).await;
    browser.type_text(&browser.wait_for("[data-testid=new-username]", WAIT).await, "nok").await;
    browser.type_text(&browser.wait_for("[data-testid=new-name]", WAIT).await, "นางสาวนกแก้ว ใจงาม").await;
    browser.click(&browser.wait_for("[data-testid=new-division] option[value=chang]", WAIT).await).await;
    browser.click(&browser.wait_for("[data-new-role=staff]", WAIT).await).await;
    browser.click(&browser.wait_for("[data-testid=add-user-submit]", WAIT).await).await;
    let password = browser
        .wait_text("[data-testid=issued-password]", WAIT, "the generated password is shown once", |t| t.len() >= 8)
        .await;
    browser.wait_for("[data-testid=user-row][data-username=nok]", WAIT).await;
    browser.screenshot(&artifact("web", "users.png")).await;

    // The password works, and the new member writes her division's results.
    let nok = device(&server, &sample.device_dir("nok"), "nok", &password).await;
    nok.edit(YEAR, &DocKey::results("chang"), "บันทึกผล", |tx, meta| {
        results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "กองช่างรับทราบ", meta)
    })
    .await
    .expect("her division");
    assert!(nok.wait_confirmed(WAIT).await);

    // Disabling her from the page signs her device out.
    browser
        .click(&browser.wait_for("[data-testid=user-row][data-username=nok] [data-testid=user-toggle]", WAIT).await)
        .await;
    eventually("her device is signed out", WAIT, || async {
        nok.state().connection == prongsai_client::Connection::SignedOut
    })
    .await;
    // The audit log on the same page says who did both, newest first.
    browser.wait_for("[data-testid=audit-log] [data-testid=audit-entry][data-action=user_disabled]", WAIT).await;
    browser.wait_for("[data-testid=audit-log] [data-testid=audit-entry][data-action=user_added]", WAIT).await;
    let log = browser.text(&browser.wait_for("[data-testid=audit-log]", WAIT).await).await;
    assert!(log.contains("admin") && log.contains("nok"), "who and to whom: {log}");

    // The memo as it prints: numbered proposals and the approval chain.
    browser.click(&browser.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    browser.wait_for("[data-testid=memo-preview] [data-testid=preview-proposal]", WAIT).await;
    assert!(browser.find("[data-testid=memo-editor]").await.is_none(), "only the coordinator drafts the memo");
    assert_eq!(browser.find_all("[data-testid=memo-step]").await.len(), 3);
    browser
        .wait_text("[data-testid=memo-preview]", WAIT, "last year's score in Thai digits", |t| t.contains("๙๕.๒๑"))
        .await;
    browser.screenshot(&artifact("web", "memo.png")).await;

    browser.quit().await;
    driver.stop().await;
    nok.shutdown().await;
}

/// The agency requires a second factor of approvers: the นายก signing in on the web lands on
/// setting it up (a QR code, or the secret to type), confirms a code, keeps the recovery codes
/// shown once, and from then on signs in with password and code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_sets_up_a_second_factor_on_the_web_and_signs_in_with_it() {
    use prongsai_core::totp;
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs();
    let sample = Sample::create().await;
    let web = web_dir();
    let server = Server::start(&sample.data(), 0, &["--web-dir", web.to_str().expect("utf-8 path")]).await;
    let admin = prongsai_tests::signed_in_api(&server, &sample, "admin").await;
    admin
        .set_security("pakchong", &prongsai_core::admin::AgencySecurity { second_factor_required: true })
        .await
        .expect("required");
    let mut driver = Driver::chromium().await;
    let browser = Session::new(&driver, Driver::chromium_capabilities(1366, 1000)).await;
    sign_in(&browser, &server, "winai", sample.password("winai")).await;

    // The page opens on setting it up.
    browser.wait_for("[data-testid=second-factor-required]", WAIT).await;
    browser.click(&browser.wait_for("[data-testid=second-factor-start]", WAIT).await).await;
    browser.wait_for("[data-testid=second-factor-qr] svg", WAIT).await;
    let secret = browser.text(&browser.wait_for("[data-testid=second-factor-secret]", WAIT).await).await;
    let secret = totp::decode_secret(&secret).expect("the secret as text");
    browser
        .type_text(&browser.wait_for("[data-testid=second-factor-code]", WAIT).await, &totp::code(&secret, now()))
        .await;
    browser.screenshot(&artifact("web", "second-factor.png")).await;
    browser.click(&browser.wait_for("[data-testid=second-factor-confirm]", WAIT).await).await;
    let codes = browser
        .wait_text("[data-testid=recovery-codes]", WAIT, "the recovery codes", |t| t.matches('-').count() >= 10)
        .await;
    assert!(!codes.is_empty());
    // Everything answers now.
    browser.click(&browser.wait_for("[data-testid=nav-dashboard]", WAIT).await).await;
    browser.wait_for("[data-testid=matrix] tbody tr[data-measure]", WAIT).await;

    // Signing in again takes the code from the app too.
    browser.click(&browser.wait_for("[data-testid=sign-out]", WAIT).await).await;
    browser.type_text(&browser.wait_for("#login-username", WAIT).await, "winai").await;
    browser.type_text(&browser.wait_for("#login-password", WAIT).await, sample.password("winai")).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
    let field = browser.wait_for("[data-testid=login-otp]", WAIT).await;
    // The next step's code: the one used to confirm may not be used again.
    browser.type_text(&field, &totp::code(&secret, now() + totp::STEP_SECS)).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
    browser.wait_for("[data-testid=matrix] tbody tr[data-measure]", WAIT).await;

    browser.quit().await;
    driver.stop().await;
}

/// A เทศบาล with six divisions unlike the sample's and a four-step chain, set up from nothing: the
/// operator's one command, then the admin on the web (letterhead, emblem, divisions, chain), the
/// coordinator starting the year on the web from a plan file, two divisions recording results
/// offline on their devices, the coordinator reviewing, the chain signing; the published PDF and
/// the DOCX carry the municipality's own letterhead, divisions and four steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_municipality_sets_itself_up_on_the_web_and_publishes_its_report() {
    use prongsai_core::admin::NewUserRequest;
    use prongsai_core::edit::Edit;
    use prongsai_core::model::{ReviewDecisionKind, Role};

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let out = prongsai_tests::cli(
        &["agency", "create", "--data", data.to_str().expect("utf-8"), "--id", "banmai", "--name", "เทศบาลตำบลบ้านใหม่"],
        None,
    )
    .await;
    let created: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    let admin_name = created["admin"]["username"].as_str().expect("admin").to_string();
    let admin_password = created["admin"]["password"].as_str().expect("password").to_string();
    let web = web_dir();
    let server = Server::start(&data, 0, &["--web-dir", web.to_str().expect("utf-8 path")]).await;

    let mut driver = Driver::chromium().await;
    let browser = Session::new(&driver, Driver::chromium_capabilities(1366, 1000)).await;
    let sign_in = |username: String, password: String| {
        let browser = &browser;
        async move {
            browser.type_text(&browser.wait_for("#login-username", WAIT).await, &username).await;
            browser.type_text(&browser.wait_for("#login-password", WAIT).await, &password).await;
            browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
        }
    };
    browser.goto(server.url().as_str()).await;
    sign_in(admin_name.clone(), admin_password.clone()).await;
    // A new agency opens on its own page: no year to show yet.
    browser.wait_for("[data-testid=agency-page] [data-testid=profile-form]", WAIT).await;

    // The letterhead.
    for (field, value) in [
        ("profile-short-name", "ทต.บ้านใหม่"),
        ("profile-district", "เมืองนครราชสีมา"),
        ("profile-province", "นครราชสีมา"),
        ("profile-department", "สำนักปลัดเทศบาลตำบลบ้านใหม่"),
        ("profile-phone", "044-123456"),
        ("profile-reference", "นม ๕๓๒๐๑"),
        ("profile-website", "www.banmai.go.th"),
    ] {
        let input = browser.wait_for(&format!("[data-testid={field}]"), WAIT).await;
        browser.clear(&input).await;
        browser.type_text(&input, value).await;
    }
    browser
        .click(&browser.wait_for("[data-testid=profile-kind] option[value=subdistrict_municipality]", WAIT).await)
        .await;
    browser.click(&browser.wait_for("[data-testid=profile-save]", WAIT).await).await;
    browser.wait_text("[data-testid=agency-done]", WAIT, "the letterhead is saved", |t| t.contains("บันทึก")).await;

    // The emblem: anything but PNG or JPEG is refused with the reason; a PNG is previewed, then set.
    let not_an_image = dir.path().join("emblem.svg");
    std::fs::write(&not_an_image, "<svg onload=alert(1)></svg>").expect("write");
    let file_input = browser.wait_for("[data-testid=emblem-file]", WAIT).await;
    browser.type_text(&file_input, not_an_image.to_str().expect("utf-8")).await;
    browser.wait_text("[data-testid=emblem-refused]", WAIT, "the refusal says why", |t| t.contains("PNG")).await;
    let png = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png").canonicalize().expect("the icon");
    browser.type_text(&browser.wait_for("[data-testid=emblem-file]", WAIT).await, png.to_str().expect("utf-8")).await;
    browser.wait_for("[data-testid=emblem-preview]", WAIT).await;
    browser.click(&browser.wait_for("[data-testid=emblem-save]", WAIT).await).await;
    browser.wait_text("[data-testid=agency-done]", WAIT, "the emblem is set", |t| t.contains("ตรา")).await;

    // Six divisions.
    let divisions = ["สำนักปลัดเทศบาล", "กองคลัง", "กองช่าง", "กองสาธารณสุขและสิ่งแวดล้อม", "กองการศึกษา", "กองสวัสดิการสังคม"];
    for (i, name) in divisions.iter().enumerate() {
        browser.type_text(&browser.wait_for("[data-testid=division-new]", WAIT).await, name).await;
        browser.click(&browser.wait_for("[data-testid=division-add]", WAIT).await).await;
        browser.poll_count("[data-testid=divisions] [data-testid=division]", i + 1, WAIT).await;
    }
    let api = prongsai_client::ServerApi::new(server.url());
    let admin_login = api.login(&admin_name, &admin_password, "test").await.expect("admin login");
    let admin = api.clone().with_token(&admin_login.token);
    let profile = admin.overview("banmai").await.expect("overview").profile;
    assert_eq!(profile.divisions.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), divisions);
    let ids: Vec<String> = profile.divisions.iter().map(|d| d.id.clone()).collect();

    // People (through the API, as the users page does), then the chain on the page.
    let password = "รหัสผ่านที่ยาวพอ 1";
    let add = |username: &'static str, roles: Vec<Role>, division: Option<String>| {
        let admin = admin.clone();
        async move {
            admin
                .add_user(
                    "banmai",
                    &NewUserRequest {
                        username: username.into(),
                        display_name: format!("คุณ{username}"),
                        position: "ตำแหน่ง".into(),
                        division,
                        roles,
                        password: Some(password.into()),
                    },
                )
                .await
                .expect("user added");
        }
    };
    add("bm.coord", vec![Role::Coordinator], Some(ids[0].clone())).await;
    add("bm.klang", vec![Role::Staff], Some(ids[1].clone())).await;
    add("bm.chang", vec![Role::Staff], Some(ids[2].clone())).await;
    let approvers = ["bm.a1", "bm.a2", "bm.a3", "bm.a4"];
    for a in approvers {
        add(a, vec![Role::Approver], None).await;
    }
    browser.goto(server.url().as_str()).await;
    browser.click(&browser.wait_for("[data-testid=nav-agency]", WAIT).await).await;
    let titles = ["ความเห็นหัวหน้าสำนักปลัดเทศบาล", "ความเห็นรองปลัดเทศบาล", "ความเห็นปลัดเทศบาล", "ความเห็นนายกเทศมนตรี"];
    for (i, title) in titles.iter().enumerate() {
        browser.click(&browser.wait_for("[data-testid=chain-add]", WAIT).await).await;
        let row = format!("[data-testid=chain-row]:nth-of-type({})", i + 1);
        browser.type_text(&browser.wait_for(&format!("{row} [data-testid=chain-title]"), WAIT).await, title).await;
        browser
            .type_text(
                &browser.wait_for(&format!("{row} [data-testid=chain-name]"), WAIT).await,
                &format!("ผู้ลงนามที่ {}", i + 1),
            )
            .await;
        browser
            .type_text(
                &browser.wait_for(&format!("{row} [data-testid=chain-position]"), WAIT).await,
                &format!("ตำแหน่งที่ {}", i + 1),
            )
            .await;
        browser
            .click(
                &browser
                    .wait_for(&format!("{row} [data-testid=chain-approver] option[value='{}']", approvers[i]), WAIT)
                    .await,
            )
            .await;
    }
    browser.click(&browser.wait_for("[data-testid=chain-save]", WAIT).await).await;
    browser.wait_text("[data-testid=agency-done]", WAIT, "the chain is saved", |t| t.contains("สายการลงนาม")).await;
    let chain = admin.overview("banmai").await.expect("overview").profile.approval_chain;
    assert_eq!(chain.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), titles);
    assert_eq!(chain.iter().map(|s| s.approver.clone().unwrap_or_default()).collect::<Vec<_>>(), approvers);
    browser.click(&browser.wait_for("[data-testid=sign-out]", WAIT).await).await;

    // The coordinator starts this fiscal year on the web from a plan file.
    let plan = dir.path().join("แผน.csv");
    std::fs::write(
        &plan,
        "ลำดับ,มาตรการ/แนวทาง,วิธีดำเนินการ,ผู้รับผิดชอบ,ระยะเวลาดำเนินงาน (ไตรมาส),ข้อเสนอ\r\n\
         1,เปิดเผยข้อมูลการจัดซื้อจัดจ้าง,- ประกาศแผนจัดซื้อจัดจ้างบนเว็บไซต์,กองคลัง,ตลอดปีงบประมาณ,\r\n\
         2,ตรวจสอบงานก่อสร้างอย่างโปร่งใส,- เปิดให้ประชาชนร่วมตรวจรับงาน,กองช่าง,ต.ค. ๖๙ – มี.ค. ๗๐,\r\n",
    )
    .expect("plan file");
    sign_in("bm.coord".into(), password.into()).await;
    browser.wait_for("[data-testid=start-year]", WAIT).await;
    browser.click(&browser.wait_for("[data-testid=start-year-source] option[value=file]", WAIT).await).await;
    browser
        .type_text(&browser.wait_for("[data-testid=start-year-file]", WAIT).await, plan.to_str().expect("utf-8"))
        .await;
    browser.click(&browser.wait_for("[data-testid=start-year-go]", WAIT).await).await;
    browser.wait_for("[data-testid=matrix] tbody tr[data-measure]", WAIT).await;
    let years = admin.years("banmai").await.expect("years");
    let year = *years.first().expect("a year");
    assert_eq!(years.len(), 1);
    browser.screenshot(&artifact("web", "new-agency-dashboard.png")).await;

    // Two divisions record results offline, then sync.
    let mut devices = Vec::new();
    for (username, division) in [("bm.klang", &ids[1]), ("bm.chang", &ids[2])] {
        let device_dir = dir.path().join(username);
        let field = device(&server, &device_dir, username, password).await;
        let agency_year = field.agency_year(year).await.expect("the year on the device");
        let (measure, _) = agency_year
            .plan
            .measures
            .iter()
            .find(|(_, m)| m.responsible.contains_key(division))
            .expect("a measure of the division");
        let measure = measure.clone();
        field.disconnect();
        let edits = vec![
            Edit::SetStatus { division: division.clone(), measure: measure.clone(), status: Status::Done },
            Edit::SetResultText {
                division: division.clone(),
                measure: measure.clone(),
                text: format!("{username} ดำเนินการครบแล้ว"),
            },
        ];
        field.apply(year, edits).await.expect("recorded offline");
        field
            .apply(year, vec![Edit::Submit { division: division.clone(), measure: measure.clone() }])
            .await
            .expect("submitted offline");
        devices.push((field, division.clone(), measure));
    }
    for (field, _, _) in &devices {
        field.connect().expect("online again");
        assert!(field.wait_confirmed(WAIT).await, "the results reach the server");
    }

    // The coordinator reviews both and writes what the report publishes.
    let coordinator = device(&server, &dir.path().join("coord"), "bm.coord", password).await;
    let mut decisions = Vec::new();
    eventually("the coordinator's device has both results", WAIT, || {
        let (coordinator, wanted) =
            (coordinator.clone(), devices.iter().map(|(_, d, m)| (d.clone(), m.clone())).collect::<Vec<_>>());
        async move {
            let Ok(y) = coordinator.agency_year(year).await else { return false };
            wanted.iter().all(|(d, m)| y.result(m, d).is_some_and(|r| r.submission.is_some()))
        }
    })
    .await;
    let agency_year = coordinator.agency_year(year).await.expect("year");
    for (_, division, measure) in &devices {
        let result = agency_year.result(measure, division).expect("a result");
        decisions.push(Edit::Decide {
            measure: measure.clone(),
            division: division.clone(),
            decision: ReviewDecisionKind::Approved,
            comment: String::new(),
            content_hash: prongsai_core::hash::result_content_hash(result),
        });
    }
    coordinator.apply(year, decisions).await.expect("reviewed");
    for (_, _, measure) in &devices {
        coordinator
            .apply(
                year,
                vec![Edit::SetPublishedResult {
                    measure: measure.clone(), text: "ดำเนินการแล้วเสร็จตามแผน".into()
                }],
            )
            .await
            .expect("published text");
    }
    assert!(coordinator.wait_confirmed(WAIT).await);

    // The chain signs, in order.
    for (i, approver) in approvers.iter().enumerate() {
        let login = api.login(approver, password, "test").await.expect("approver login");
        let signer = api.clone().with_token(&login.token);
        let plan = prongsai_core::report_model::Part::Plan;
        signer.sign_part("banmai", year, plan, &chain[i].id, "approved", "", None).await.expect("signed the plan");
        signer.sign("banmai", year, &chain[i].id, "approved", "เห็นชอบ", None).await.expect("signed");
    }
    let slug = prongsai_tests::report_slug(year);
    let pdf = eventually_bytes(&server, &format!("public/banmai/{year}/{slug}.pdf")).await;
    let text = squash(&pdf_text(&pdf));
    let docx = reqwest::Client::new()
        .get(server.url().join(&format!("api/agencies/banmai/years/{year}/reports/docx")).expect("url"))
        .bearer_auth(&admin_login.token)
        .send()
        .await
        .expect("docx")
        .bytes()
        .await
        .expect("bytes");
    let docx = squash(&docx_text(&docx));
    for (format, text) in [("PDF", &text), ("DOCX", &docx)] {
        assert!(text.contains(&squash("สำนักปลัดเทศบาลตำบลบ้านใหม่")), "{format} has the letterhead");
        assert!(text.contains(&squash("นม ๕๓๒๐๑")), "{format} has the reference");
        for division in ["กองคลัง", "กองช่าง"] {
            assert!(text.contains(division), "{format} names {division}");
        }
        for title in titles {
            assert!(text.contains(&squash(title)), "{format} prints the step {title}");
        }
        assert!(!text.contains("ปากช่อง"), "{format} has nothing of the sample agency");
    }
    for (field, _, _) in devices {
        field.shutdown().await;
    }
    coordinator.shutdown().await;
    browser.quit().await;
    driver.stop().await;
}

/// A public address's bytes, once it answers.
async fn eventually_bytes(server: &Server, path: &str) -> Vec<u8> {
    let url = server.url().join(path).expect("url");
    prongsai_tests::eventually_seen("the report is published", WAIT, || {
        let url = url.clone();
        async move {
            let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
            if response.status() != 200 {
                return Err(format!("HTTP {}", response.status()));
            }
            response.bytes().await.map(|b| b.to_vec()).map_err(|e| e.to_string())
        }
    })
    .await
}

/// The admin closes a year on the web (every page says so, and the server refuses writes to it),
/// reopens it with a reason, enters its ITA score, and starts the next year, which the year
/// switcher then shows and whose memo quotes the score.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_closes_reopens_and_rolls_a_year_over_on_the_web() {
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    sign_in(&browser, &server, "admin", sample.password("admin")).await;
    browser.click(&browser.wait_for("[data-testid=nav-agency]", WAIT).await).await;
    let row = format!("[data-testid=year-row][data-year='{YEAR}']");

    // Closed: the banner on every page, and the server refuses a write.
    browser
        .type_text(&browser.wait_for(&format!("{row} [data-testid=year-reason]"), WAIT).await, "ส่งรายงานครบแล้ว")
        .await;
    browser.click(&browser.wait_for(&format!("{row} [data-testid=close-year]"), WAIT).await).await;
    browser.wait_attribute(&row, "data-closed", WAIT, "the year is closed", |c| c == "true").await;
    browser.goto(server.url().as_str()).await;
    browser.wait_text("[data-testid=year-closed]", WAIT, "the banner says so", |t| t.contains("ปิดแล้ว")).await;
    let approver = prongsai_tests::signed_in_api(&server, &sample, "parichat").await;
    let refused = approver.sign("pakchong", YEAR, "head", "approved", "", None).await;
    assert!(
        matches!(
            &refused,
            Err(prongsai_client::ApiError::Refused { kind: prongsai_core::wire::ErrorKind::YearClosed, .. })
        ),
        "{refused:?}"
    );

    // Reopened with a reason; the banner goes.
    browser.click(&browser.wait_for("[data-testid=nav-agency]", WAIT).await).await;
    browser
        .type_text(&browser.wait_for(&format!("{row} [data-testid=year-reason]"), WAIT).await, "แก้ไขผลตามข้อทักท้วง")
        .await;
    browser.click(&browser.wait_for(&format!("{row} [data-testid=reopen-year]"), WAIT).await).await;
    browser.wait_attribute(&row, "data-closed", WAIT, "the year is open", |c| c == "false").await;
    let state = browser.text(&browser.wait_for(&format!("{row} [data-testid=year-state]"), WAIT).await).await;
    assert!(state.contains("แก้ไขผลตามข้อทักท้วง"), "the reason is kept: {state}");

    // The coordinator's suggestion on a measure, written on a device: next year's input.
    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    coordinator
        .apply(
            YEAR,
            vec![Edit::SetSuggestion {
                measure: "m1".into(), text: "ควรเพิ่มช่องทางร้องเรียนออนไลน์".into()
            }],
        )
        .await
        .expect("a suggestion");
    assert!(coordinator.wait_confirmed(WAIT).await, "the server has it");

    // The year's ITA score, then the next year.
    browser.type_text(&browser.wait_for(&format!("{row} [data-testid=ita-score-input]"), WAIT).await, "87.50").await;
    browser.click(&browser.wait_for(&format!("{row} [data-testid=ita-score-save]"), WAIT).await).await;
    browser
        .wait_text(&format!("{row} [data-testid=ita-score]"), WAIT, "the score is shown", |t| {
            t.contains("87.50") || t.contains("๘๗.๕๐")
        })
        .await;
    browser.click(&browser.wait_for("[data-testid=next-year]", WAIT).await).await;
    let next = YEAR + 1;
    browser.wait_for(&format!("[data-testid=year-switcher] option[value='{next}']"), WAIT).await;
    let switcher = browser.wait_for("[data-testid=year-switcher]", WAIT).await;
    assert_eq!(browser.value(&switcher).await, next.to_string(), "the new year is open");
    browser.screenshot(&artifact("web", "years.png")).await;
    let reader = device(&server, &sample.device_dir("reader"), "admin", sample.password("admin")).await;
    let year = reader.agency_year(next).await.expect("the new year");
    let quoted = year.memo.previous_assessment.as_ref().map(|p| (p.year, p.score_hundredths));
    assert_eq!(quoted, Some((YEAR, 8750)), "the memo quotes last year's score");
    assert_eq!(year.measures().len(), 8);

    // A second tab of the same browser opens on the new year too; switched there to last year,
    // it leaves this tab's pages on the new year (below: its table and measure are the new
    // year's, with last year's suggestion carried).
    let first_tab = browser.open_tab().await;
    browser.goto(server.url().as_str()).await;
    let switcher = browser.wait_for("[data-testid=year-switcher]", WAIT).await;
    assert_eq!(browser.value(&switcher).await, next.to_string(), "a new tab opens on the year chosen last");
    browser
        .execute(
            "const s = document.querySelector('[data-testid=year-switcher]'); s.value = arguments[0]; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            json!([YEAR.to_string()]),
        )
        .await;
    browser
        .wait_attribute("[data-testid=year-switcher]", "data-year", WAIT, "the other tab is on last year", |y| {
            y == YEAR.to_string()
        })
        .await;
    browser.close_tab_for(&first_tab).await;
    let shown = browser.attribute(&browser.wait_for("[data-testid=year-switcher]", WAIT).await, "data-year").await;
    assert_eq!(shown, Some(next.to_string()), "this tab still shows the new year");

    // The continued measure shows last year's suggestion as this year's input.
    browser.click(&browser.wait_for("[data-testid=nav-table]", WAIT).await).await;
    browser.click(&browser.wait_for("tr[data-measure=m1] button.link", WAIT).await).await;
    browser
        .wait_text("[data-testid=carried-suggestion]", WAIT, "last year's suggestion", |t| {
            t.contains("ควรเพิ่มช่องทางร้องเรียนออนไลน์")
        })
        .await;

    // A newer release writes the new year's plan: the web says to update, and offers no writing.
    coordinator.set_year(next).await.expect("the new year on the device");
    coordinator.agency_year(next).await.expect("loaded");
    coordinator
        .edit(next, &DocKey::of(prongsai_core::model::DocKind::Plan), "รุ่นใหม่", |tx, _| {
            tx.put(ROOT, "schema", prongsai_core::model::SCHEMA_VERSION + 1)?;
            Ok(())
        })
        .await
        .expect("written by a newer release");
    assert!(coordinator.wait_confirmed(WAIT).await, "the server has it");
    browser.goto(server.url().as_str()).await;
    browser.wait_text("[data-testid=update-required]", WAIT, "the update banner", |t| t.contains("อัปเดตแอป")).await;
    coordinator.shutdown().await;
    reader.shutdown().await;
    browser.quit().await;
    driver.stop().await;
}

/// The bell's unread count, as the top bar shows it.
async fn unread_count(browser: &Session) -> usize {
    let bell = browser.wait_for("[data-testid=notification-count]", WAIT).await;
    browser.attribute(&bell, "data-count").await.and_then(|c| c.parse().ok()).unwrap_or(usize::MAX)
}

/// The first approver is told it is her turn to sign; opening the notice takes her to the memo
/// and marks it read for her on the server (it stays read after a reload, and in her app); once
/// she signs, the notice is gone, and "mark all read" clears the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_is_told_her_turn_has_come_and_what_she_read_stays_read() {
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    sign_in(&browser, &server, "parichat", sample.password("parichat")).await;
    let turn = "[data-testid=notification][data-kind=your_turn_to_sign][data-part=report]";
    browser.click(&browser.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
    let notice = browser.wait_for(&format!("{turn}[data-read=false]"), WAIT).await;
    let before = unread_count(&browser).await;
    assert!(before >= 1, "the count includes her turn");
    let text = browser.text(&notice).await;
    assert!(text.contains("ถึงลำดับที่ท่านต้องลงนาม") && text.contains("ความเห็น"), "{text}");
    let id = browser.attribute(&notice, "data-id").await.expect("an id");
    browser.screenshot(&artifact("web", "notifications.png")).await;
    browser.click(&browser.find(&format!("{turn} [data-testid=notification-open]")).await.expect("open")).await;
    browser.wait_for("[data-testid=memo-preview]", WAIT).await;
    eventually_seen("the count drops by the one she opened", WAIT, || async {
        let now = unread_count(&browser).await;
        if now == before - 1 {
            return Ok(());
        }
        // What the page shows instead: the count, any error notice, and the page's address.
        let notice = match browser.find("[data-testid=notice]").await {
            Some(n) => browser.text(&n).await,
            None => String::new(),
        };
        Err(format!("{now} unread, from {before}; notice {notice:?}; page {:?}", browser.current_url().await))
    })
    .await;
    let api = prongsai_client::ServerApi::new(server.url());
    let login = api.login("parichat", sample.password("parichat"), "test").await.expect("login");
    let api = api.with_token(&login.token);
    assert!(api.notifications_read().await.expect("marks").read.contains(&id), "marked on the server, per person");
    let other = prongsai_client::ServerApi::new(server.url());
    let login = other.login("amnang", sample.password("amnang"), "test").await.expect("login");
    assert!(
        !other.with_token(&login.token).notifications_read().await.expect("marks").read.contains(&id),
        "nobody else's marks change"
    );

    // A reload keeps it read.
    browser.goto(server.url().as_str()).await;
    browser.click(&browser.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
    browser.wait_for(&format!("{turn}[data-read=true]"), WAIT).await;

    // She signs (through the API, as from her phone): it is no longer her turn.
    api.sign("pakchong", YEAR, "head", "approved", "เห็นควร", None).await.expect("signs");
    eventually("her turn leaves the list", WAIT, || async { browser.find(turn).await.is_none() }).await;
    browser.click(&browser.wait_for("[data-testid=notifications-read-all]", WAIT).await).await;
    eventually("everything is read", WAIT, || async { unread_count(&browser).await == 0 }).await;

    browser.quit().await;
    driver.stop().await;
}

/// On the web too, the coordinator attaches the wet-signed scan beside the published report
/// (a server-side publication, not a document write, so a web sign-in may).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_attaches_the_wet_signed_scan_on_the_web() {
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    prongsai_tests::sign_every_step(&server, &sample).await;
    sign_in(&browser, &server, "kannika", sample.password("kannika")).await;
    browser.click(&browser.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    browser
        .wait_text("[data-testid=publication] [data-testid=publication-code]", WAIT, "the published code", |t| {
            t.len() == 19
        })
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let scan = dir.path().join("memo-signed.pdf");
    let bytes = b"%PDF-1.4\n% signed with a pen\n".to_vec();
    std::fs::write(&scan, &bytes).expect("pdf");
    browser
        .type_text(
            &browser.wait_for("[data-testid=publication] [data-testid=scan-file]", WAIT).await,
            scan.to_str().expect("utf-8"),
        )
        .await;
    browser.click(&browser.wait_for("[data-testid=publication] [data-testid=scan-attach]", WAIT).await).await;
    browser.wait_for("[data-testid=publication] [data-testid=scan-done]", WAIT).await;
    let address = browser
        .wait_text("[data-testid=publication] [data-testid=publication-scan]", WAIT, "the scan's address", |t| {
            t.ends_with("-scan.pdf")
        })
        .await;
    let public = reqwest::get(&address).await.expect("the scan, without a login");
    assert_eq!(public.status(), 200);
    assert_eq!(public.bytes().await.expect("bytes").to_vec(), bytes);
    browser.quit().await;
    driver.stop().await;
}

/// The plan has its own chain: the mayor is told his turn has come, approves the plan on the
/// overview, and the reports page shows it published under its own item with its own code, while
/// the report waits for its own signatures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mayor_approves_the_plan_on_the_web_and_it_is_published_under_its_own_item() {
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    let plan = prongsai_core::report_model::Part::Plan;
    for (user, step) in [("parichat", "head"), ("amnang", "palad")] {
        let api = prongsai_tests::signed_in_api(&server, &sample, user).await;
        api.sign_part("pakchong", YEAR, plan, step, "approved", "", None).await.expect("signs the plan");
    }
    sign_in(&browser, &server, "winai", sample.password("winai")).await;
    let turn = "[data-testid=notification][data-kind=your_turn_to_sign][data-part=plan]";
    browser.click(&browser.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
    let notice = browser.wait_for(turn, WAIT).await;
    let text = browser.text(&notice).await;
    assert!(text.contains("อนุมัติแผนมาตรการ"), "{text}");
    browser.click(&browser.find(&format!("{turn} [data-testid=notification-open]")).await.expect("open")).await;

    // The overview shows both chains; only the plan's offers him a box, and only his step.
    let plan_box = "[data-testid=plan-approvals] [data-step=mayor] [data-testid=sign-box]";
    browser.wait_for(plan_box, WAIT).await;
    assert!(browser.find("[data-testid=approvals] [data-testid=sign-box]").await.is_none(), "the memo is not his turn");
    let heading = browser.text(&browser.wait_for("[data-testid=plan-approvals] h2", WAIT).await).await;
    assert!(heading.contains(&prongsai_tests::plan_slug(YEAR).to_uppercase()), "{heading}");
    browser.click(&browser.wait_for(&format!("{plan_box} [data-testid=sign-approve]"), WAIT).await).await;
    browser
        .wait_text("[data-testid=plan-approvals] [data-step=mayor] [data-testid=step-state]", WAIT, "signed", |t| {
            t.contains("เห็นชอบแล้ว")
        })
        .await;

    browser.click(&browser.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    let code = browser
        .wait_text("[data-testid=plan-publication] [data-testid=publication-code]", WAIT, "the plan's code", |t| {
            t.len() == 19
        })
        .await;
    let pdf_address = browser
        .text(&browser.wait_for("[data-testid=plan-publication] [data-testid=publication-pdf]", WAIT).await)
        .await;
    assert!(pdf_address.ends_with(&format!("/{}.pdf", prongsai_tests::plan_slug(YEAR))), "{pdf_address}");
    let pdf = reqwest::get(&pdf_address).await.expect("the plan, without a login");
    assert_eq!(pdf.status(), 200);
    let text = squash(&pdf_text(&pdf.bytes().await.expect("bytes")));
    assert!(text.contains(&squash(&code)), "the published plan prints the code the page shows");
    browser.wait_for("[data-testid=publication] [data-testid=publication-none]", WAIT).await;
    browser.screenshot(&artifact("web", "plan-publication.png")).await;
    browser.quit().await;
    driver.stop().await;
}

/// The coordinator adds the anti-corruption action plan on the web from the year's criteria; the
/// project written on her device and what สำนักปลัด reported in the half-year round show, with
/// the budget in baht, and the annual round shows the half-year's words until the division
/// reports there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_adds_a_track_on_the_web_and_reads_its_projects_round_by_round() {
    use prongsai_core::tracks::Slot;
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    sign_in(&browser, &server, "kannika", sample.password("kannika")).await;
    browser.click(&browser.wait_for("[data-testid=nav-tracks]", WAIT).await).await;
    browser.click(&browser.wait_for("[data-testid=add-track-anticorruption]", WAIT).await).await;
    browser.wait_for("[data-track=anticorruption] [data-round=half]", WAIT).await;
    assert!(browser.find("[data-testid=add-track-anticorruption]").await.is_none(), "added once");

    let (coordinator, staff) = prongsai_tests::a_project_planned(&server, &sample, "somchai").await;
    let year = staff.agency_year(YEAR).await.expect("year");
    let half = year.resolve_slot(&Slot::of(Some("anticorruption"), Some("half"))).expect("half");
    let text = Edit::SetResultText {
        division: "palad".into(), measure: "ac1".into(), text: "อบรมแล้ว ๑ รุ่น".into()
    };
    staff.apply(YEAR, vec![Edit::InTrack { slot: half, edits: vec![text] }]).await.expect("reports");
    assert!(staff.wait_confirmed(WAIT).await);

    for round in ["half", "annual"] {
        browser
            .click(&browser.wait_for(&format!("[data-track=anticorruption] [data-round={round}]"), WAIT).await)
            .await;
        let table = format!("[data-testid=track-table][data-round={round}]");
        browser
            .wait_text(&format!("{table} [data-testid=track-results]"), WAIT, "the half round's result", |t| {
                t.contains("อบรมแล้ว ๑ รุ่น")
            })
            .await;
        let budget = browser.text(&browser.wait_for(&format!("{table} [data-testid=track-budget]"), WAIT).await).await;
        assert_eq!(budget, "๑๒,๓๔๕.๕๐", "{round}");
    }
    browser.screenshot(&artifact("web", "tracks.png")).await;
    // The coordinator moves the annual round's cut-off to the 15th of September 2565.
    browser
        .wait_text("[data-testid=round-cutoff]", WAIT, "the default cut-off", |t| t.contains("๓๐ กันยายน ๒๕๖๕"))
        .await;
    browser
        .execute(
            "const s = document.querySelector('[data-testid=round-cutoff-picker] select'); s.value = '15'; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            serde_json::json!([]),
        )
        .await;
    browser.wait_text("[data-testid=round-cutoff]", WAIT, "the moved cut-off", |t| t.contains("๑๕ กันยายน ๒๕๖๕")).await;

    // The dashboard shows the track chosen, and every other track with its own matrix after it.
    browser.click(&browser.wait_for("[data-testid=nav-dashboard]", WAIT).await).await;
    browser
        .wait_text("[data-testid=dashboard] [data-testid=track-heading]", WAIT, "the track's overview", |t| {
            t.contains("แผนปฏิบัติการป้องกันการทุจริต")
        })
        .await;
    browser.wait_for("[data-testid=dashboard] [data-testid=matrix] tr[data-measure=ac1]", WAIT).await;
    let card = "[data-testid=other-tracks] [data-testid=track-card][data-track=integrity]";
    browser.poll_count(&format!("{card} [data-testid=track-matrix] tbody tr[data-measure]"), 8, WAIT).await;
    // The web downloads the round's report as shown.
    browser.click(&browser.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    let link = browser.wait_for("[data-testid=download-pdf]", WAIT).await;
    let href = browser.attribute(&link, "href").await.unwrap_or_default();
    assert!(href.contains("track=anticorruption") && href.contains("round=annual"), "{href}");
    let plan = browser.attribute(&browser.wait_for("[data-testid=download-plan-pdf]", WAIT).await, "href").await;
    assert!(plan.as_deref().is_some_and(|h| h.contains("track=anticorruption") && !h.contains("round=")), "{plan:?}");
    // The annual round's memo, which she writes on her device, reads on the web under that round
    // (read-only there).
    let annual = coordinator
        .agency_year(YEAR)
        .await
        .expect("year")
        .resolve_slot(&Slot::of(Some("anticorruption"), Some("annual")))
        .expect("annual");
    let subject = Edit::SetMemoField {
        field: prongsai_core::docs::MemoField::Subject,
        text: "รายงานผลการดำเนินการป้องกันการทุจริตประจำปี ๒๕๖๕ (ฉบับเสนอนายก)".into(),
    };
    coordinator.apply(YEAR, vec![Edit::InTrack { slot: annual, edits: vec![subject] }]).await.expect("her memo");
    assert!(coordinator.wait_confirmed(WAIT).await);
    browser.click(&browser.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    browser
        .wait_text(
            "[data-testid=memo-page][data-track=anticorruption] [data-testid=preview-subject]",
            WAIT,
            "her subject",
            |t| t.contains("(ฉบับเสนอนายก)"),
        )
        .await;
    assert!(browser.find("[data-testid=memo-editor]").await.is_none(), "the web reads the memo");
    // Picking the integrity measures in the switcher brings their dashboard back.
    browser
        .execute(
            "const s = document.querySelector('[data-testid=track-switcher]'); s.value = ''; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            serde_json::json!([]),
        )
        .await;
    browser.click(&browser.wait_for("[data-testid=nav-dashboard]", WAIT).await).await;
    browser.poll_count("[data-testid=dashboard] [data-testid=matrix] tbody tr[data-measure]", 8, WAIT).await;
    browser.wait_for("[data-testid=other-tracks] [data-track=anticorruption] [data-testid=track-matrix]", WAIT).await;
    coordinator.shutdown().await;
    staff.shutdown().await;
    browser.quit().await;
    driver.stop().await;
}

/// The mayor approves the last step of a track's half-year round on the web: the track's own
/// chain is on its overview, his signature publishes the round under its own item and round,
/// and the reports page of that round shows its address and code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mayor_signs_a_tracks_round_on_the_web_and_it_is_published_under_its_item() {
    use prongsai_core::report_model::Part;
    use prongsai_core::tracks::{Slot, Target};
    let items = prongsai_tests::track_items(YEAR, "anticorruption");
    let plan_item = items.plan.clone().expect("a plan item");
    let half_slug = format!("{}-half", items.rounds[0].item.slug());
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    prongsai_tests::add_track(&server, &sample, "anticorruption").await;
    let (coordinator, staff) = prongsai_tests::a_project_planned(&server, &sample, "somchai").await;
    let half = Slot::of(Some("anticorruption"), Some("half"));
    let text = Edit::SetResultText {
        division: "palad".into(), measure: "ac1".into(), text: "อบรมแล้ว ๑ รุ่น".into()
    };
    staff.apply(YEAR, vec![Edit::InTrack { slot: half.clone(), edits: vec![text] }]).await.expect("reports");
    assert!(staff.wait_confirmed(WAIT).await);
    let approve = prongsai_core::wire::SignRequest {
        decision: prongsai_core::model::SignatureDecision::Approved,
        comment: String::new(),
        date: None,
    };
    let plan = Target { slot: Slot::of(Some("anticorruption"), None), part: Part::Plan };
    let round = Target { slot: half, part: Part::Report };
    for (user, step) in [("parichat", "head"), ("amnang", "palad"), ("winai", "mayor")] {
        let api = prongsai_tests::signed_in_api(&server, &sample, user).await;
        api.sign_target("pakchong", YEAR, &plan, step, &approve).await.expect("signs the track's plan");
        if step != "mayor" {
            api.sign_target("pakchong", YEAR, &round, step, &approve).await.expect("signs the round");
        }
    }

    sign_in(&browser, &server, "winai", sample.password("winai")).await;
    // He is told it is his turn on that round, and the notice opens it.
    browser.click(&browser.wait_for("[data-testid=nav-notifications]", WAIT).await).await;
    let turn = "[data-testid=notification][data-kind=your_turn_to_sign][data-track=anticorruption]";
    let text = browser.text(&browser.wait_for(turn, WAIT).await).await;
    assert!(text.contains("ลงนามรายงาน") && text.contains("รอบ ๖ เดือน"), "{text}");
    browser.click(&browser.find(&format!("{turn} [data-testid=notification-open]")).await.expect("open")).await;
    browser.wait_for("[data-testid=dashboard] [data-testid=track-heading]", WAIT).await;
    let sign_box = "[data-testid=approvals] [data-step=mayor] [data-testid=sign-box]";
    browser.wait_for(sign_box, WAIT).await;
    let plan_state = "[data-testid=plan-approvals] [data-step=mayor] [data-testid=step-state]";
    let signed = browser.text(&browser.wait_for(plan_state, WAIT).await).await;
    assert!(signed.contains("เห็นชอบแล้ว"), "the track's plan is signed: {signed}");
    browser.click(&browser.wait_for(&format!("{sign_box} [data-testid=sign-approve]"), WAIT).await).await;
    browser
        .wait_text("[data-testid=approvals] [data-step=mayor] [data-testid=step-state]", WAIT, "signed", |t| {
            t.contains("เห็นชอบแล้ว")
        })
        .await;

    browser.click(&browser.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    browser
        .wait_text("[data-testid=publication] [data-testid=publication-code]", WAIT, "the round's code", |t| {
            t.len() == 19
        })
        .await;
    let address =
        browser.text(&browser.wait_for("[data-testid=publication] [data-testid=publication-pdf]", WAIT).await).await;
    assert!(address.ends_with(&format!("/public/pakchong/{YEAR}/{half_slug}.pdf")), "{address}");
    let pdf = reqwest::get(&address).await.expect("the round, without a login");
    assert_eq!(pdf.status(), 200);
    let plan_address = browser
        .text(&browser.wait_for("[data-testid=plan-publication] [data-testid=publication-pdf]", WAIT).await)
        .await;
    assert!(plan_address.ends_with(&format!("/public/pakchong/{YEAR}/{}.pdf", plan_item.slug())), "{plan_address}");
    let label = browser.text(&browser.wait_for("[data-format=plan-pdf] .report-label", WAIT).await).await;
    assert_eq!(label, format!("{} {} (PDF)", items.title, plan_item.code), "the track's plan, by its name");
    browser.screenshot(&artifact("web", "track-round-publication.png")).await;
    coordinator.shutdown().await;
    staff.shutdown().await;
    browser.quit().await;
    driver.stop().await;
}

/// Every page has its own address. The mayor opens a measure by clicking anywhere on its row,
/// goes Back and Forward, reloads; a link to a track's page opens that track; she signs out,
/// pastes a link to a measure, and it opens once she signs in; a link to a year the agency does
/// not have opens her first page. The page logs no error on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_has_an_address_that_back_forward_reload_and_a_pasted_link_land_on() {
    let OnTheWeb { sample, server, mut driver, browser } = OnTheWeb::start().await;
    prongsai_tests::add_track(&server, &sample, "anticorruption").await;
    sign_in(&browser, &server, "winai", sample.password("winai")).await;
    browser.wait_for("[data-testid=dashboard]", WAIT).await;
    browser.wait_fragment(&format!("#/dashboard?year={YEAR}"), WAIT).await;

    // A division's cell, not the title: the whole row opens its measure.
    browser
        .click(&browser.wait_for("[data-testid=matrix] tr[data-measure=m3] td[data-division=palad]", WAIT).await)
        .await;
    browser.wait_for("[data-testid=measure-page][data-measure=m3]", WAIT).await;
    browser.wait_fragment(&format!("#/measure/m3?year={YEAR}"), WAIT).await;
    browser.click(&browser.wait_for("[data-testid=nav-table]", WAIT).await).await;
    browser.click(&browser.wait_for("[data-testid=table-page] tr[data-measure=m5] td.col-schedule", WAIT).await).await;
    browser.wait_for("[data-testid=measure-page][data-measure=m5]", WAIT).await;

    // Back, Back, Forward, then a reload: each lands on its page.
    browser.back().await;
    browser.wait_for("[data-testid=table-page]", WAIT).await;
    browser.wait_fragment(&format!("#/table?year={YEAR}"), WAIT).await;
    browser.back().await;
    browser.wait_for("[data-testid=measure-page][data-measure=m3]", WAIT).await;
    browser.forward().await;
    browser.wait_for("[data-testid=table-page]", WAIT).await;
    browser.forward().await;
    browser.wait_for("[data-testid=measure-page][data-measure=m5]", WAIT).await;
    browser.refresh().await;
    browser.wait_for("[data-testid=measure-page][data-measure=m5]", WAIT).await;
    assert!(browser.current_url().await.ends_with(&format!("#/measure/m5?year={YEAR}")));

    // A link to a track's round: that track's table, and the switcher says so.
    let track_table = format!("{}#/table?year={YEAR}&track=anticorruption&round=half", server.url());
    browser.goto(&track_table).await;
    browser
        .wait_text("[data-testid=table-page] [data-testid=track-heading]", WAIT, "the track's table", |t| {
            t.contains("แผนปฏิบัติการป้องกันการทุจริต") && t.contains("๖ เดือน")
        })
        .await;
    let switched = browser.wait_for("[data-testid=track-switcher]", WAIT).await;
    assert_eq!(browser.value(&switched).await, "anticorruption/half");
    // Choosing another track is a page of its own too: Back returns to the half round.
    browser
        .execute(
            "const s = document.querySelector('[data-testid=track-switcher]'); s.value = ''; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            json!([]),
        )
        .await;
    browser.wait_fragment(&format!("#/table?year={YEAR}"), WAIT).await;
    browser.back().await;
    browser.wait_fragment("round=half", WAIT).await;
    browser
        .wait_text("[data-testid=table-page] [data-testid=track-heading]", WAIT, "the half round again", |t| {
            t.contains("แผนปฏิบัติการป้องกันการทุจริต") && t.contains("๖ เดือน")
        })
        .await;

    // Signed out, Back does not hand her last pages to the next person: they start on their own.
    browser.click(&browser.wait_for("[data-testid=sign-out]", WAIT).await).await;
    browser.wait_for("[data-testid=login-page]", WAIT).await;
    assert!(!browser.current_url().await.contains("#/"), "signing out leaves no page in the address");
    browser.back().await;
    browser.wait_for("[data-testid=login-page]", WAIT).await;
    browser.type_text(&browser.wait_for("#login-username", WAIT).await, "somchai").await;
    browser.type_text(&browser.wait_for("#login-password", WAIT).await, sample.password("somchai")).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
    browser.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
    browser.wait_fragment(&format!("#/table?year={YEAR}"), WAIT).await;
    assert!(browser.find("[data-testid=measure-page]").await.is_none(), "not a page she left");

    // Signed out, a pasted link waits for the sign-in, then opens.
    browser.click(&browser.wait_for("[data-testid=sign-out]", WAIT).await).await;
    browser.wait_for("[data-testid=login-page]", WAIT).await;
    browser.goto(&format!("{}#/measure/m7?year={YEAR}", server.url())).await;
    browser.wait_for("[data-testid=login-page]", WAIT).await;
    browser.type_text(&browser.wait_for("#login-username", WAIT).await, "winai").await;
    browser.type_text(&browser.wait_for("#login-password", WAIT).await, sample.password("winai")).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
    browser.wait_for("[data-testid=measure-page][data-measure=m7]", WAIT).await;

    // A year the agency does not have, or an address that names no page: her first page.
    browser.goto(&format!("{}#/table?year={}", server.url(), YEAR + 5)).await;
    browser.wait_for("[data-testid=dashboard]", WAIT).await;
    browser.wait_fragment(&format!("#/dashboard?year={YEAR}"), WAIT).await;
    browser.goto(&format!("{}#/nowhere", server.url())).await;
    browser.wait_for("[data-testid=dashboard]", WAIT).await;
    browser.wait_fragment(&format!("#/dashboard?year={YEAR}"), WAIT).await;

    browser.quit().await;
    driver.stop().await;
}

/// The pages a person can open, by their addresses, and what shows when each has loaded.
fn pages() -> Vec<(String, &'static str)> {
    [
        ("dashboard", "[data-testid=dashboard] [data-testid=matrix]"),
        ("table", "[data-testid=table-page] tr[data-measure]"),
        ("measure/m3", "[data-testid=measure-page]"),
        ("memo", "[data-testid=memo-page] [data-testid=preview-subject]"),
        ("reports", "[data-testid=reports-page]"),
        ("itas", "[data-testid=itas-page] [data-testid=itas-item]"),
        ("tracks", "[data-testid=tracks-page]"),
        ("notifications", "[data-testid=notifications-page]"),
        ("account", "[data-testid=account-page]"),
    ]
    .into_iter()
    .map(|(page, ready)| (format!("#/{page}?year={YEAR}"), ready))
    .collect()
}

/// What on the page a finger cannot hit well or reads broken: the visible controls under 44 px
/// high, and button labels broken across lines (a title shown as a link may wrap between words).
const TOUCH_PROBLEMS: &str = "
    const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
        && getComputedStyle(e).visibility !== 'hidden'; };
    const name = e => (e.dataset.testid || e.id || e.className || e.tagName) + ' ' + (e.innerText || e.value || '').trim().slice(0, 30);
    const small = [...document.querySelectorAll('button, select, input:not([type=checkbox]):not([type=radio]):not([type=file]), textarea')]
        .filter(visible).filter(e => e.getBoundingClientRect().height < 43.5)
        .map(e => 'small: ' + name(e) + ' ' + e.getBoundingClientRect().height.toFixed(1));
    const lines = e => { const range = document.createRange(); range.selectNodeContents(e);
        const gap = 0.8 * parseFloat(getComputedStyle(e).fontSize);
        const middles = [...range.getClientRects()].filter(r => r.width > 0).map(r => (r.top + r.bottom) / 2).sort((a, b) => a - b);
        return middles.filter((m, i) => i === 0 || m - middles[i - 1] > gap).length; };
    const broken = [...document.querySelectorAll('button:not(.link), .topbar .who')].filter(visible)
        .filter(e => lines(e) > 1).map(e => 'broken: ' + name(e));
    return small.concat(broken);";

/// How far the page reaches past the screen's width (a phone's browser zooms out to show it
/// all, so the visual viewport cannot tell: the layout viewport's width can).
const SIDEWAYS: &str = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;";

/// A division officer on a phone (390×844) and on a tablet (768×1024), touch screens both: on the
/// phone the bar folds into one menu button, no label in it is broken across lines, a tab from
/// the menu opens its page, and the menu closes as a phone's does (its tabs, a tap beside it,
/// Escape); on a 360 px phone no page scrolls sideways; on the tablet every
/// control is big enough for a finger. The pages log no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_division_officer_reads_every_page_on_a_phone_and_a_tablet_by_touch() {
    let sample = Sample::create().await;
    let web = web_dir();
    let server = Server::start(&sample.data(), 0, &["--web-dir", web.to_str().expect("utf-8 path")]).await;
    let mut driver = Driver::chromium().await;

    let phone = Session::new(&driver, Driver::chromium_touch_capabilities(390, 844)).await;
    sign_in(&phone, &server, "somchai", sample.password("somchai")).await;
    phone.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
    let menu = phone.wait_for("[data-testid=nav-menu]", WAIT).await;
    let on_phone = &phone;
    let hidden = |css: &'static str| async move {
        let script =
            format!("const e = document.querySelector('{css}'); return !e || e.getBoundingClientRect().height === 0;");
        on_phone.execute(&script, json!([])).await
    };
    assert_eq!(hidden("[data-testid=nav-dashboard]").await, json!(true), "the tabs fold into the menu on a phone");
    assert_eq!(hidden("[data-testid=sign-out]").await, json!(true));
    phone.click(&menu).await;
    phone.wait_attribute("[data-testid=nav-menu]", "aria-expanded", WAIT, "the menu opens", |v| v == "true").await;
    assert_eq!(hidden("[data-testid=nav-memo]").await, json!(false), "the menu shows the tabs");
    let problems = phone.execute(TOUCH_PROBLEMS, json!([])).await;
    assert_eq!(problems, json!([]), "the phone's menu");
    phone.screenshot(&artifact("web", "phone-menu.png")).await;
    phone.click(&phone.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    phone.wait_for("[data-testid=memo-page]", WAIT).await;
    assert_eq!(hidden("[data-testid=nav-memo]").await, json!(true), "opening a page closes the menu");
    // The tab of the page already shown closes it too, and so do a tap beside it and Escape.
    let expanded = |open: bool, what: &'static str| {
        phone.wait_attribute("[data-testid=nav-menu]", "aria-expanded", WAIT, what, move |v| v == open.to_string())
    };
    phone.click(&menu).await;
    expanded(true, "the menu opens").await;
    phone.click(&phone.wait_for("[data-testid=nav-memo]", WAIT).await).await;
    expanded(false, "the tab of the page shown closes the menu").await;
    phone.click(&menu).await;
    expanded(true, "the menu opens").await;
    phone.tap_at(195, 835).await;
    expanded(false, "a tap beside the menu closes it").await;
    phone.wait_for("[data-testid=memo-page]", WAIT).await;
    phone.click(&menu).await;
    expanded(true, "the menu opens").await;
    phone.type_text(&menu, "\u{E00C}").await;
    expanded(false, "Escape closes the menu").await;
    let focused = phone.execute("return document.activeElement.dataset.testid;", json!([])).await;
    assert_eq!(focused, json!("nav-menu"), "the keyboard is back on the menu's button");
    phone.quit().await;

    // On a 360 px phone nothing scrolls sideways; on a tablet every control takes a finger.
    for (width, height, shot) in [(360, 740, "phone-table.png"), (768, 1024, "tablet-table.png")] {
        let browser = Session::new(&driver, Driver::chromium_touch_capabilities(width, height)).await;
        sign_in(&browser, &server, "somchai", sample.password("somchai")).await;
        browser.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
        let mut failures = Vec::new();
        for (address, ready) in pages() {
            browser.goto(&format!("{}{address}", server.url())).await;
            browser.wait_for(ready, WAIT).await;
            let sideways = browser.execute(SIDEWAYS, json!([])).await;
            let problems = browser.execute(TOUCH_PROBLEMS, json!([])).await;
            failures.extend(
                sideways.as_f64().filter(|d| *d > 0.0).map(|d| format!("{address} scrolls sideways by {d} px")),
            );
            failures.extend(problems.as_array().into_iter().flatten().map(|p| format!("{address}: {p}")));
        }
        assert!(failures.is_empty(), "at {width} px: {failures:#?}");
        browser.goto(&format!("{}#/table?year={YEAR}", server.url())).await;
        browser.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
        browser.screenshot(&artifact("web", shot)).await;
        browser.quit().await;
    }
    driver.stop().await;
}

/// Over HTTPS on a name that is not this machine's loopback (a tablet's view of the server), the
/// page is an installable app: its manifest names it and its icons, and its service worker
/// takes the page over. With the server down, a reload opens the app from the worker's cache
/// (its own page, saying the server cannot be reached), not the browser's error page; with the
/// server back, the dashboard again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_one_visit_the_web_app_opens_from_its_own_cache_with_the_server_down() {
    let sample = Sample::create().await;
    let (certificate, mut server, origin) = serve_over_https(&sample).await;

    // The manifest: a name, a start, and icons of the sizes a tablet asks for, all served.
    let https = certificate.client();
    let manifest: serde_json::Value = https
        .get(server.url().join("manifest.webmanifest").expect("url"))
        .send()
        .await
        .expect("the manifest")
        .json()
        .await
        .expect("JSON");
    assert_eq!((manifest["short_name"].as_str(), manifest["display"].as_str()), (Some("โปร่งใส"), Some("standalone")));
    for icon in manifest["icons"].as_array().expect("icons") {
        let src = icon["src"].as_str().expect("src");
        let png = https.get(server.url().join(src).expect("url")).send().await.expect("icon");
        assert_eq!(png.headers()["content-type"], "image/png", "{src}");
    }
    let sizes: Vec<&str> =
        manifest["icons"].as_array().into_iter().flatten().filter_map(|i| i["sizes"].as_str()).collect();
    assert!(sizes.contains(&"192x192") && sizes.contains(&"512x512"), "{sizes:?}");

    let mut driver = Driver::chromium().await;
    let browser = Session::new(&driver, certificate.chromium_capabilities(1366, 1000)).await;
    browser.goto(&origin).await;
    browser.wait_for("[data-testid=login-page]", WAIT).await;
    let linked = browser.execute("return document.querySelector('link[rel=manifest]').href", json!([])).await;
    assert_eq!(linked.as_str(), Some(format!("{origin}manifest.webmanifest").as_str()));
    eventually("the service worker controls the page", WAIT, || async {
        browser.execute("return !!navigator.serviceWorker.controller", json!([])).await == json!(true)
    })
    .await;
    browser.type_text(&browser.wait_for("#login-username", WAIT).await, "winai").await;
    browser.type_text(&browser.wait_for("#login-password", WAIT).await, sample.password("winai")).await;
    browser.click(&browser.wait_for("[data-testid=login-submit]", WAIT).await).await;
    browser.wait_for("[data-testid=dashboard] [data-testid=matrix]", WAIT).await;

    server.kill().await;
    browser.refresh().await;
    browser.wait_for("[data-testid=notice]", WAIT).await;
    assert!(browser.find(".app").await.is_some(), "the app itself, from its cache");
    // What failed meanwhile is the server's absence (the API, the live socket), nothing of the page.
    let offline = browser.page_errors().await;
    assert!(
        offline
            .iter()
            .all(|e| e.contains("/api/") && (e.contains("ERR_CONNECTION_REFUSED") || e.contains("WebSocket"))),
        "{offline:#?}"
    );

    server.restart().await;
    browser.refresh().await;
    browser.wait_for("[data-testid=dashboard] [data-testid=matrix]", WAIT).await;
    browser.quit().await;
    driver.stop().await;
}

/// A field officer uses a tablet's browser as a device (issue 21): signed in as a device over
/// HTTPS on a name that is not loopback, she edits online, the server goes away, she edits two
/// measures and takes a photo, closes the browser and opens it again (the app comes from the
/// service worker, her data from IndexedDB), and when the server is back everything arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_works_as_a_device_offline_across_a_browser_restart_and_everything_arrives() {
    let sample = Sample::create().await;
    let (certificate, mut server, origin) = serve_over_https(&sample).await;
    // The tablet's browser keeps its profile (service worker, IndexedDB) across a restart.
    let profile = sample.device_dir("tablet-profile");
    let downloads = sample.device_dir("tablet-downloads");
    let tablet = || {
        let mut capabilities = touch_over_https(&certificate, 768, 1024, &profile);
        capabilities["goog:chromeOptions"]["prefs"] =
            json!({ "download.default_directory": downloads, "download.prompt_for_download": false });
        capabilities
    };

    let mut driver = Driver::chromium().await;
    let browser = Session::new(&driver, tablet()).await;
    browser.goto(&origin).await;
    browser.wait_for("[data-testid=login-page]", WAIT).await;
    eventually("the service worker controls the page", WAIT, || async {
        browser.execute("return !!navigator.serviceWorker.controller", json!([])).await == json!(true)
    })
    .await;
    sign_in_as_device(&browser, "somchai", sample.password("somchai")).await;
    // The session's token is the device Worker's: nothing of it in the page's storage.
    let stored = browser.execute("return JSON.stringify(Object.assign({}, localStorage))", json!([])).await;
    assert!(!stored.as_str().unwrap_or_default().contains("token"), "{stored}");
    let rows = browser.find_all("[data-testid=table-page] tr[data-measure]").await;
    let mut measures = Vec::new();
    for row in rows.iter().take(2) {
        measures.push(browser.attribute(row, "data-measure").await.expect("a measure id"));
    }
    let (first, second) = (measures[0].clone(), measures[1].clone());

    // Online: an edit the server confirms.
    browser.click(&browser.wait_for(&format!("tr[data-measure={first}] button.link"), WAIT).await).await;
    browser.append_result_text(" ออนไลน์จากแท็บเล็ต").await;
    browser
        .wait_attribute("[data-testid=unconfirmed]", "data-count", WAIT, "the server confirms the edit", |c| c == "0")
        .await;

    // The server goes away: two measures edited and a photo taken, offline.
    server.kill().await;
    browser
        .wait_attribute("[data-testid=sync]", "data-connection", WAIT, "the tablet says it is offline", |c| {
            c == "offline"
        })
        .await;
    browser.append_result_text(" ออฟไลน์").await;
    let photos = sample.device_dir("camera");
    std::fs::create_dir_all(&photos).expect("dir");
    // As a phone camera writes it: large, with an EXIF block holding where it was taken.
    let photo = photos.join("site-visit.jpg");
    // Taken with the phone held upright: the sensor's rows stored sideways, EXIF saying so.
    std::fs::write(&photo, prongsai_client::evidence::testing::photo_with_gps_turned(3000, 1500, 6)).expect("jpeg");
    browser
        .type_text(&browser.wait_for("[data-testid=evidence-camera]", WAIT).await, photo.to_str().expect("utf-8"))
        .await;
    browser
        .wait_text("[data-testid=measure-page]", WAIT, "the photo is listed", |t| t.contains("site-visit.jpg"))
        .await;
    browser.goto(&format!("{origin}#/measure/{second}?year={YEAR}")).await;
    browser.append_result_text(" แก้ในพื้นที่").await;
    eventually("the tablet counts its changes", WAIT, || async { browser.unconfirmed().await >= 2 }).await;
    let pending = browser.unconfirmed().await;
    // Signing out with changes the server has not confirmed asks first; staying keeps everything.
    browser.click(&browser.wait_for("[data-testid=sign-out]", WAIT).await).await;
    browser
        .wait_text("[data-testid=sign-out-pending]", WAIT, "the tablet warns", |t| t.contains("ยังไม่ถึงเซิร์ฟเวอร์"))
        .await;
    browser.click(&browser.wait_for("[data-testid=sign-out-cancel]", WAIT).await).await;
    assert!(browser.find("[data-testid=sign-out-pending]").await.is_none());
    assert!(browser.find("[data-testid=measure-page]").await.is_some(), "still signed in, on the same page");
    browser.screenshot(&artifact("web", "tablet-device-offline.png")).await;
    // What failed meanwhile is the device's socket finding no server, nothing of the page.
    let offline = |errors: Vec<String>| {
        assert!(errors.iter().all(|e| e.contains("/sync") && e.contains("ERR_CONNECTION_REFUSED")), "{errors:#?}");
    };
    offline(browser.page_errors().await);

    // The browser closes and opens again, the server still down: the app from its cache, the
    // data and the count from the device's own storage.
    browser.quit().await;
    let browser = Session::new(&driver, tablet()).await;
    browser.goto(&origin).await;
    browser.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;
    browser
        .wait_attribute("[data-testid=sync]", "data-connection", WAIT, "still offline after the restart", |c| {
            c == "offline"
        })
        .await;
    assert_eq!(browser.unconfirmed().await, pending, "the count survives the restart");
    browser.goto(&format!("{origin}#/measure/{first}?year={YEAR}")).await;
    let area = browser.wait_for("[data-testid=result-text]", WAIT).await;
    let text = browser.value(&area).await;
    assert!(text.contains("ออนไลน์จากแท็บเล็ต") && text.contains("ออฟไลน์"), "both edits are on the tablet: {text}");

    offline(browser.page_errors().await);

    // The server is back: the count returns to zero.
    server.restart().await;
    browser
        .wait_attribute("[data-testid=unconfirmed]", "data-count", Duration::from_secs(90), "all confirmed", |c| {
            c == "0"
        })
        .await;
    // Attempts to reach the server before it was back are all the page logged meanwhile.
    offline(browser.page_errors().await);
    // The server has it all: the head of division reads both measures and fetches the photo.
    let https = certificate.client();
    // The device Worker runs under its script's own policy: this server's scripts, wasm and
    // connections only.
    let worker = https.get(server.url().join("device-worker.js").expect("url")).send().await.expect("the Worker");
    let policy = worker.headers()["content-security-policy"].to_str().expect("a policy").to_string();
    assert!(policy.starts_with("default-src 'none'") && policy.contains("connect-src 'self'"), "{policy}");
    let token = prongsai_tests::web_token(&https, &server, "parichat", sample.password("parichat")).await;
    let read = |id: String| {
        let (https, token) = (https.clone(), token.clone());
        let url = server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/measures/{id}")).expect("url");
        async move {
            let detail: prongsai_core::detail::MeasureDetail = https
                .get(url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("the server answers")
                .json()
                .await
                .expect("JSON");
            detail.results.into_iter().find(|r| r.division == "palad").expect("สำนักปลัด's result")
        }
    };
    let blob = |sha: &str| server.url().join(&format!("api/blobs/{sha}")).expect("url");
    // The photo goes up from the device's queue after the edits: wait for it, not for a time.
    eventually("the photo reaches the server", WAIT, || async {
        let one = read(first.clone()).await;
        let Some(sha) = one
            .evidence
            .iter()
            .find_map(|e| e.sha256.clone().filter(|_| e.file_name.as_deref() == Some("site-visit.jpg")))
        else {
            return false;
        };
        https.get(blob(&sha)).bearer_auth(&token).send().await.is_ok_and(|r| r.status().is_success())
    })
    .await;
    let (one, two) = (read(first.clone()).await, read(second.clone()).await);
    assert!(one.text.contains("ออนไลน์จากแท็บเล็ต") && one.text.contains("ออฟไลน์"), "{}", one.text);
    assert!(two.text.contains("แก้ในพื้นที่"), "{}", two.text);
    let photo = one.evidence.iter().find(|e| e.file_name.as_deref() == Some("site-visit.jpg")).expect("the photo");
    let bytes = https
        .get(blob(photo.sha256.as_deref().expect("uploaded")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the photo")
        .bytes()
        .await
        .expect("bytes");
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
    // Prepared on the tablet by the app's rules: downscaled, no EXIF, no position.
    assert!(!bytes.windows(4).any(|w| w == b"Exif") && !bytes.windows(3).any(|w| w == b"GPS"), "no metadata");
    let decoded = image::load_from_memory(&bytes).expect("a photo");
    assert_eq!((decoded.width(), decoded.height()), (1024, 2048), "turned upright and downscaled on the tablet");
    assert!(prongsai_client::evidence::testing::white_corner(&bytes, true, false), "turned the right way");
    // A colleague's desktop device (the client crate the app runs, headless), trusting this
    // server's authority as a machine of the agency would: it sees both edits and opens the photo.
    let mut desktop = prongsai_tests::FieldReader::start(
        &sample.device_dir("desktop"),
        &server.url(),
        ("somchai", sample.password("somchai")),
        ("palad", &first),
        Some(&certificate.ca),
    );
    let seen = desktop
        .wait_until("the desktop device sees the tablet's edits and photo", WAIT, |seen| {
            let text = seen["text"].as_str().unwrap_or_default();
            text.contains("ออนไลน์จากแท็บเล็ต")
                && text.contains("ออฟไลน์")
                && seen["evidence"].as_array().is_some_and(|files| {
                    files.iter().any(|f| f["file_name"] == "site-visit.jpg" && f["fetched_sha256"] == f["sha256"])
                })
        })
        .await;
    let file = seen["evidence"].as_array().into_iter().flatten().find(|f| f["file_name"] == "site-visit.jpg");
    assert_eq!(file.map(|f| f["pixels"].clone()), Some(json!([1024, 2048])), "{seen}");
    drop(desktop);
    // A report from the tablet: the device fetches the server's file with its own session and
    // the browser saves it (the page has no token to put in a link).
    browser.click(&browser.wait_for("[data-testid=nav-reports]", WAIT).await).await;
    browser.click(&browser.wait_for("[data-testid=download-docx]", WAIT).await).await;
    let saved = prongsai_tests::eventually_seen("the browser saves the report", WAIT, || async {
        let files: Vec<_> = std::fs::read_dir(&downloads)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|f| f.path())
            .filter(|p| p.extension().is_some_and(|e| e == "docx"))
            .collect();
        files.first().cloned().ok_or_else(|| "no .docx yet".to_string())
    })
    .await;
    assert!(std::fs::read(&saved).expect("the file").starts_with(b"PK\x03\x04"), "a DOCX: {}", saved.display());
    // And the dashboard shows it: the mayor, on the web, reads the measure with both edits and
    // the photo.
    let mayor = Session::new(&driver, certificate.chromium_capabilities(1366, 1000)).await;
    mayor.goto(&origin).await;
    mayor.type_text(&mayor.wait_for("#login-username", WAIT).await, "winai").await;
    mayor.type_text(&mayor.wait_for("#login-password", WAIT).await, sample.password("winai")).await;
    mayor.click(&mayor.wait_for("[data-testid=login-submit]", WAIT).await).await;
    mayor.wait_for("[data-testid=dashboard] [data-testid=matrix]", WAIT).await;
    mayor.goto(&format!("{origin}#/measure/{first}?year={YEAR}")).await;
    mayor
        .wait_text("[data-testid=measure-page]", WAIT, "the dashboard shows the tablet's work", |t| {
            t.contains("ออนไลน์จากแท็บเล็ต") && t.contains("ออฟไลน์") && t.contains("site-visit.jpg")
        })
        .await;
    mayor.quit().await;
    browser.quit().await;
    driver.stop().await;
}

/// A phone used as a device: a second tab of the same browser waits for the first (one device per
/// browser) and says why, and carries on once the first closes; an edit made offline that the
/// server no longer takes (its author was moved to another division meanwhile) shows as refused,
/// not as waiting for ever, and never reaches the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_used_as_a_device_waits_for_its_other_tab_and_shows_a_refused_edit_as_refused() {
    let sample = Sample::create().await;
    let (certificate, mut server, origin) = serve_over_https(&sample).await;
    let mut driver = Driver::chromium().await;
    let profile = sample.device_dir("phone-profile");
    let phone = Session::new(&driver, touch_over_https(&certificate, 390, 844, &profile)).await;
    phone.goto(&origin).await;
    sign_in_as_device(&phone, "somchai", sample.password("somchai")).await;
    let measure =
        phone.attribute(&phone.wait_for("tr[data-measure]", WAIT).await, "data-measure").await.expect("an id");

    // A second tab: the device is the first tab's, so this one waits and says so.
    let first_tab = phone.open_tab().await;
    phone.goto(&origin).await;
    phone.wait_text("[data-testid=notice]", WAIT, "the second tab says why it waits", |t| t.contains("แท็บอื่น")).await;
    assert!(phone.find("[data-testid=table-page]").await.is_none(), "no second device on the same storage");
    // The first tab closes: the second carries on as the device, already signed in.
    let second_tab = phone.current_window().await;
    phone.switch_to(&first_tab).await;
    phone.close_tab_for(&second_tab).await;
    phone.wait_for("[data-testid=table-page] tr[data-measure]", WAIT).await;

    // Offline, an edit; meanwhile สมชาย is moved to กองคลัง (in the database, the server down).
    server.kill().await;
    phone
        .wait_attribute("[data-testid=sync]", "data-connection", WAIT, "the phone says it is offline", |c| {
            c == "offline"
        })
        .await;
    phone.goto(&format!("{origin}#/measure/{measure}?year={YEAR}")).await;
    phone.append_result_text(" ก่อนย้ายกอง").await;
    eventually("the phone counts the change", WAIT, || async { phone.unconfirmed().await >= 1 }).await;
    sample.execute_sql("UPDATE users SET division = 'klang' WHERE username = 'somchai'").await;
    server.restart().await;
    phone.wait_for("[data-testid=refused]", Duration::from_secs(90)).await;
    phone.wait_attribute("[data-testid=unconfirmed]", "data-count", WAIT, "nothing left waiting", |c| c == "0").await;
    phone.screenshot(&artifact("web", "phone-device-refused.png")).await;
    let https = certificate.client();
    let token = prongsai_tests::web_token(&https, &server, "parichat", sample.password("parichat")).await;
    let url = server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/measures/{measure}")).expect("url");
    let detail: prongsai_core::detail::MeasureDetail =
        https.get(url).bearer_auth(&token).send().await.expect("the server answers").json().await.expect("JSON");
    assert!(detail.results.iter().all(|r| !r.text.contains("ก่อนย้ายกอง")), "the server never took it");
    let errors = phone.page_errors().await;
    assert!(errors.iter().all(|e| e.contains("/sync") && e.contains("ERR_CONNECTION_REFUSED")), "{errors:#?}");
    phone.quit().await;
    driver.stop().await;
}
