//! Reports through the real server binary: `prongsai-server export` in every format (with and
//! without a server running on the same data, changing nothing), the HTTP export for readers,
//! plan import over HTTP, and the signed report published at a public URL that stays put until
//! the memo is signed again.

use std::path::Path;
use std::time::Duration;

use prongsai_core::model::DocKey;
use prongsai_tests::{Sample, Server, YEAR, cli, device, eventually, eventually_seen, pdf_text, signed_in_api, squash};
use sha2::{Digest, Sha256};

const LONG: Duration = Duration::from_secs(90);

/// Hashes of the data directory's files (the database and its WAL; an empty WAL, which SQLite
/// creates when it opens the file, holds nothing and counts as none).
fn fingerprint(data: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(data)
        .expect("data dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("prongsai.sqlite3"))
        .filter(|e| !e.file_name().to_string_lossy().ends_with("-shm"))
        .filter(|e| e.metadata().is_ok_and(|m| m.len() > 0))
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                hex::encode(Sha256::digest(std::fs::read(e.path()).expect("read"))),
            )
        })
        .collect();
    files.sort();
    files
}

fn magic(format: &str) -> &'static [u8] {
    match format {
        "pdf" | "plan-pdf" => b"%PDF",
        "html" | "plan-html" => b"<!doctype html>",
        "itas" => b"\xEF\xBB\xBF",
        _ => b"PK\x03\x04",
    }
}

/// `prongsai-server export` of the sample agency's year.
async fn export(data: &Path, format: &str, file: &Path) {
    let (data, file) = (data.to_str().expect("utf-8 path"), file.to_str().expect("utf-8 path"));
    cli(&["export", "--data", data, "--agency", "pakchong", "--year", "2565", "--format", format, "-o", file], None)
        .await;
}

const FORMATS: [&str; 10] =
    ["pdf", "docx", "html", "xlsx", "plan-pdf", "plan-docx", "plan-html", "itas", "itas-xlsx", "plan-xlsx"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_writes_every_format_with_or_without_a_server_and_changes_nothing() {
    let sample = Sample::create_on_sqlite().await;
    let data = sample.data();
    let out = tempfile::tempdir().expect("tempdir");
    let before = fingerprint(&data);
    for format in FORMATS {
        let file = out.path().join(format!("report-{format}"));
        export(&data, format, &file).await;
        let bytes = std::fs::read(&file).expect("the file was written");
        assert!(bytes.starts_with(magic(format)), "{format} starts like one");
    }
    // The name the plan's formats had when its item had one code still works for that year.
    let legacy = format!("{}-pdf", prongsai_tests::plan_slug(2565));
    let file = out.path().join("legacy.pdf");
    export(&data, &legacy, &file).await;
    assert!(std::fs::read(&file).expect("written").starts_with(b"%PDF"), "{legacy}");
    assert_eq!(fingerprint(&data), before, "export changed nothing in the data directory");
    let text = pdf_text(&std::fs::read(out.path().join("report-pdf")).expect("pdf"));
    assert!(text.contains("๒๑ มีนาคม ๒๕๖๕") && squash(&text).contains("การเปิดเผยข้อมูล"));

    // With the server running on the same data.
    let server = Server::start(&data, 0, &[]).await;
    let viewer = prongsai_client::ServerApi::new(server.url());
    let login = viewer.login("viewer", sample.password("viewer"), "test").await.expect("login");
    let file = out.path().join("while-serving.pdf");
    export(&data, "pdf", &file).await;
    assert!(squash(&pdf_text(&std::fs::read(&file).expect("pdf"))).contains("การเปิดเผยข้อมูล"));

    // The HTTP export, for readers of the agency only.
    let http = reqwest::Client::new();
    let url =
        |format: &str| server.url().join(&format!("api/agencies/pakchong/years/2565/reports/{format}")).expect("url");
    let response = http.get(url("docx")).bearer_auth(&login.token).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let file_name = format!("pakchong-2565-{}.docx", prongsai_tests::report_slug(2565));
    assert!(response.headers()["content-disposition"].to_str().expect("ascii").contains(&file_name));
    assert!(response.bytes().await.expect("body").starts_with(b"PK\x03\x04"));
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(http.get(url("docx")).send().await.expect("request")), 401, "no login");
    assert_eq!(status(http.get(url("odt")).bearer_auth(&login.token).send().await.expect("request")), 400);
    let other = server.url().join("api/agencies/other/years/2565/reports/pdf").expect("url");
    assert_eq!(status(http.get(other).bearer_auth(&login.token).send().await.expect("request")), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_file_imports_over_http_for_the_coordinator_only() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    prongsai_client::api::install_crypto();
    let http = reqwest::Client::new();
    let token = |user: &'static str| {
        let api = prongsai_client::ServerApi::new(server.url());
        let password = sample.password(user).to_string();
        async move { api.login(user, &password, "test").await.expect("login").token }
    };
    let (coordinator, staff) = (token("kannika").await, token("somchai").await);
    let url = |query: &str| server.url().join(&format!("api/agencies/pakchong/years/2565/import{query}")).expect("url");
    let csv = "มาตรการ/แนวทาง,วิธีดำเนินการ,ผู้รับผิดชอบ,ระยะเวลาดำเนินงาน\n\
               การรับฟังความคิดเห็นออนไลน์,\"- เปิดแบบสอบถาม\n- สรุปผลทุกไตรมาส\",\"สำนักงานปลัด\nกองคลัง\",๒ - ๓\n\
               ,- ไม่มีชื่อ,กองคลัง,1\n";
    let post = |token: String, query: &'static str, body: Vec<u8>| {
        let request = http.post(url(query)).bearer_auth(token).body(body);
        async move { request.send().await.expect("request") }
    };
    let refused = post(staff, "", csv.as_bytes().to_vec()).await;
    assert_eq!(refused.status(), 403, "staff do not write the plan");

    let dry = post(coordinator.clone(), "?dry_run=true", csv.as_bytes().to_vec()).await;
    assert_eq!(dry.status(), 200);
    let dry: serde_json::Value = dry.json().await.expect("json");
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["rows"][0]["outcome"], "corrected", "{dry}");
    assert_eq!(dry["rows"][1]["outcome"], "rejected");

    let broken = post(coordinator.clone(), "", b"\x89PNG\r\n\x1a\n\0\0\0\0junk".to_vec()).await;
    assert_eq!(broken.status(), 422);
    let broken: serde_json::Value = broken.json().await.expect("json");
    assert_eq!(broken["code"], "not_a_spreadsheet");

    let done = post(coordinator.clone(), "", csv.as_bytes().to_vec()).await;
    assert_eq!(done.status(), 200);
    let done: serde_json::Value = done.json().await.expect("json");
    assert_eq!(done["applied"], true);
    assert!(done["changes"].as_u64().unwrap_or(0) >= 5, "{done}");

    // Everyone's devices get the new measure; importing the same file again changes nothing.
    let viewer = device(&server, &sample.device_dir("viewer"), "viewer", sample.password("viewer")).await;
    eventually("the imported measure reaches a device", LONG, || async {
        viewer.agency_year(YEAR).await.is_ok_and(|y| {
            y.measures().iter().any(|(_, m)| {
                m.title.as_str() == "การรับฟังความคิดเห็นออนไลน์"
                    && m.schedule.to_code() == "2-3"
                    && y.responsible(m) == ["palad", "klang"]
            })
        })
    })
    .await;
    let again: serde_json::Value = post(coordinator, "", csv.as_bytes().to_vec()).await.json().await.expect("json");
    assert_eq!(again["changes"], 0, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_report_is_published_and_an_unsigned_edit_does_not_change_it() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let api_of = |user: &'static str| signed_in_api(&server, &sample, user);
    let (head, palad, mayor) = (api_of("parichat").await, api_of("amnang").await, api_of("winai").await);
    // The agency's emblem, set by the operator while the server runs, heads what is published.
    let emblem = Path::new(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png");
    let data = sample.data();
    cli(
        &[
            "agency",
            "emblem",
            "--data",
            data.to_str().expect("path"),
            "--id",
            "pakchong",
            "--file",
            emblem.to_str().expect("path"),
        ],
        None,
    )
    .await;
    let emblem_url = server.url().join("api/agencies/pakchong/emblem").expect("url");
    assert_eq!(head.emblem("pakchong").await.expect("emblem"), Some(std::fs::read(&emblem).expect("png")));
    let token = prongsai_client::ServerApi::new(server.url())
        .login("parichat", sample.password("parichat"), "test")
        .await
        .expect("login")
        .token;
    let put = reqwest::Client::new().put(emblem_url).bearer_auth(token).body(b"not an image".to_vec());
    assert_eq!(put.send().await.expect("put").status(), 403, "only the admin replaces it");
    let slug = prongsai_tests::report_slug(2565);
    let public = server.url().join(&format!("public/pakchong/2565/{slug}.pdf")).expect("url");
    let public_html = server.url().join(&format!("public/pakchong/2565/{slug}.html")).expect("url");
    // No login on these requests.
    let fetch = |url: url::Url| async move {
        let response = reqwest::get(url).await.expect("request");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    };
    assert_eq!(fetch(public.clone()).await.0, 404, "nothing is published before every step signs");
    // The plan goes first; the report may follow it.
    prongsai_tests::sign_the_plan(&server, &sample).await;

    let sign_all = || async {
        head.sign("pakchong", YEAR, "head", "approved", "พิจารณาแล้ว เห็นควร", Some("2022-03-22")).await.expect("head");
        palad.sign("pakchong", YEAR, "palad", "approved", "เห็นชอบแล้ว", Some("2022-03-23")).await.expect("palad");
        mayor.sign("pakchong", YEAR, "mayor", "approved", "เห็นชอบ", Some("2022-03-24")).await.expect("mayor");
    };
    sign_all().await;
    eventually("the signed report is published", LONG, || {
        let fetched = fetch(public.clone());
        async move { fetched.await.0 == 200 }
    })
    .await;
    let (_, first) = fetch(public.clone()).await;
    let text = pdf_text(&first);
    assert!(text.contains("เห็นชอบแล้ว") && text.contains("๒๔ มีนาคม ๒๕๖๕"), "signatures and their dates are printed");
    assert!(!text.contains("ฉบับร่าง"), "the published report is no draft");
    let dir = tempfile::tempdir().expect("tempdir");
    let published_pdf = dir.path().join("published.pdf");
    std::fs::write(&published_pdf, &first).expect("write");
    let images = std::process::Command::new("pdfimages")
        .args(["-list", published_pdf.to_str().expect("path")])
        .output()
        .expect("pdfimages");
    let images = String::from_utf8(images.stdout).expect("utf-8");
    assert_eq!(
        images.lines().filter(|l| l.split_whitespace().nth(2) == Some("image")).count(),
        1,
        "the emblem:\n{images}"
    );
    let (status, html) = fetch(public_html.clone()).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&html).contains("เห็นชอบแล้ว"));

    // An edit nobody has signed: the public report stays exactly as signed.
    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    change_a_proposal(&coordinator).await;
    eventually("the server sees the edit", LONG, || async {
        let status = head.status("pakchong", YEAR, None).await.expect("status");
        status["approvals"][0]["up_to_date"] == false
    })
    .await;
    assert_eq!(fetch(public.clone()).await, (200, first.clone()), "the unsigned edit changed nothing public");

    // Signed again: the new content is published at the same address.
    sign_all().await;
    eventually("the re-signed report replaces the old one", LONG, || {
        let fetched = fetch(public.clone());
        let first = first.clone();
        async move {
            let (status, bytes) = fetched.await;
            status == 200 && bytes != first
        }
    })
    .await;
    let (_, latest) = fetch(public).await;
    assert!(squash(&pdf_text(&latest)).contains("ประชาชนได้รับทราบทันที"));
}

/// The coordinator rewords a proposal of the memo, confirmed by the server.
async fn change_a_proposal(coordinator: &prongsai_client::Device) {
    coordinator
        .edit(YEAR, &DocKey::of(prongsai_core::model::DocKind::Memo), "แก้ข้อเสนอ", |tx, _| {
            prongsai_core::docs::memo::set_proposal(
                tx,
                &prongsai_core::automerge::ROOT,
                "p2",
                "เผยแพร่ในเว็บไซต์ให้ประชาชนได้รับทราบทันที",
            )
        })
        .await
        .expect("edit");
    assert!(coordinator.wait_confirmed(LONG).await);
}

/// The public verification page as JSON (no login).
async fn verification(server: &Server, code: &str) -> (u16, serde_json::Value) {
    let url = server.url().join(&format!("verify/{code}")).expect("url");
    let response = reqwest::Client::new().get(url).header("accept", "application/json").send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// The code a device computes for the report as it holds it.
async fn code_on(device: &prongsai_client::Device) -> String {
    let year = device.agency_year(YEAR).await.expect("the year on the device");
    prongsai_core::verification::code(&prongsai_core::report_model::Report::build(&year))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_report_prints_its_signers_and_a_code_anyone_can_verify() {
    let sample = Sample::create().await;
    let site = "https://ita.pakchong.example";
    let server = Server::start(&sample.data(), 0, &["--public-url", site]).await;
    let api_of = |user: &'static str| signed_in_api(&server, &sample, user);
    let (head, palad, mayor) = (api_of("parichat").await, api_of("amnang").await, api_of("winai").await);
    let token_of = |user: &'static str| {
        let api = prongsai_client::ServerApi::new(server.url());
        let password = sample.password(user).to_string();
        async move { api.login(user, &password, "test").await.expect("login").token }
    };
    let (kannika, somchai) = (token_of("kannika").await, token_of("somchai").await);
    let scan_url = server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/published/scan")).expect("url");
    let put_scan = |token: String, body: Vec<u8>| {
        let url = scan_url.clone();
        async move {
            let response = reqwest::Client::new().put(url).bearer_auth(token).body(body).send().await.expect("put");
            (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let scan = b"%PDF-1.4\n% the memo as the mayor signed it with a pen\n".to_vec();
    let (status, body) = put_scan(kannika.clone(), scan.clone()).await;
    assert_eq!((status, body["kind"].as_str()), (409, Some("not_published")), "no scan before publication: {body}");

    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    prongsai_tests::sign_the_plan(&server, &sample).await;
    head.sign("pakchong", YEAR, "head", "approved", "พิจารณาแล้ว เห็นควร", Some("2022-03-22")).await.expect("head");
    palad.sign("pakchong", YEAR, "palad", "approved", "เห็นชอบแล้ว", Some("2022-03-23")).await.expect("palad");
    let partly = eventually_seen("the device sees two signatures", LONG, || async {
        let year = coordinator.agency_year(YEAR).await.map_err(|e| e.to_string())?;
        let signed = year.approvals.signatures.len();
        if signed == 2 { Ok(code_on(&coordinator).await) } else { Err(format!("{signed} signatures")) }
    })
    .await;
    assert_eq!(verification(&server, &partly).await.0, 404, "a report not yet published has nothing to verify");
    mayor.sign("pakchong", YEAR, "mayor", "approved", "เห็นชอบ", Some("2022-03-24")).await.expect("mayor");

    let slug = prongsai_tests::report_slug(YEAR);
    let public = server.url().join(&format!("public/pakchong/{YEAR}/{slug}.pdf")).expect("url");
    let pdf = eventually_seen("the signed report is published", LONG, || {
        let url = public.clone();
        async move {
            let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
            if response.status() != 200 {
                return Err(format!("{}", response.status()));
            }
            response.bytes().await.map(|b| b.to_vec()).map_err(|e| e.to_string())
        }
    })
    .await;
    let text = squash(&pdf_text(&pdf));
    // Every step prints its signer, position, "signed in the system" and its date.
    assert_eq!(text.matches("ลงนามในระบบ").count(), 3, "one per signed step:\n{text}");
    for expected in [
        "(นางสาวปาริชาติกิตติศิลป์สาร)",
        "(อำนางทองเนียม)",
        "(นายวินัยแซ่สวาย)",
        "นายกองค์การบริหารส่วนตำบลปากช่อง",
        "วันที่๒๒มีนาคม๒๕๖๕",
        "วันที่๒๓มีนาคม๒๕๖๕",
        "วันที่๒๔มีนาคม๒๕๖๕",
    ] {
        assert!(text.contains(expected), "the printed report lacks {expected}");
    }
    let address = format!("{site}/verify/");
    let at = text.find(&address).unwrap_or_else(|| panic!("the report prints its verification address:\n{text}"));
    let printed: String = text[at + address.len()..].chars().take(prongsai_core::verification::CODE_LEN).collect();
    assert!(
        text.contains(&format!("รหัสตรวจสอบเอกสาร{}", prongsai_core::verification::grouped(&printed))),
        "the code is printed in groups too"
    );
    eventually("the device has the last signature", LONG, || async {
        coordinator.agency_year(YEAR).await.is_ok_and(|y| y.approvals.signatures.len() == 3)
    })
    .await;
    assert_eq!(code_on(&coordinator).await, printed, "a device computes the code the server printed");

    // Anyone, without a login, sees what was signed and that the documents still match.
    let (status, verified) = verification(&server, &printed).await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["hash_matches"], true);
    assert_eq!(verified["current"], true);
    assert_eq!(verified["agency_name"], "องค์การบริหารส่วนตำบลปากช่อง");
    assert_eq!(verified["year"], YEAR);
    assert_eq!(verified["item"].as_str().map(str::to_lowercase), Some(slug.clone()));
    let steps: Vec<(String, String, String)> = verified["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().into(),
                s["decision"].as_str().unwrap_or_default().into(),
                s["date"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("นางสาวปาริชาติ กิตติศิลป์สาร".to_string(), "approved".to_string(), "2022-03-22".to_string()),
            ("อำนาง ทองเนียม".into(), "approved".into(), "2022-03-23".into()),
            ("นายวินัย แซ่สวาย".into(), "approved".into(), "2022-03-24".into()),
        ]
    );
    let grouped_lower = prongsai_core::verification::grouped(&printed).to_lowercase();
    let page = reqwest::get(server.url().join(&format!("verify/{grouped_lower}")).expect("url")).await.expect("page");
    assert_eq!(page.status(), 200, "a code typed in lower case with its hyphens reads");
    let csp = page.headers()["content-security-policy"].to_str().expect("csp").to_string();
    assert!(csp.contains("default-src 'none'"), "the page runs no script: {csp}");
    let html = page.text().await.expect("html");
    assert!(html.contains("data-verdict=\"ok\"") && html.contains("นายวินัย แซ่สวาย"), "{html}");

    // The wet-signed scan: the coordinator's, a PDF, published beside the report.
    assert_eq!(put_scan(somchai.clone(), scan.clone()).await.0, 403, "staff attach no scan");
    let (status, body) = put_scan(kannika.clone(), b"\x89PNG\r\n\x1a\nnot a pdf".to_vec()).await;
    assert_eq!((status, body["kind"].as_str()), (415, Some("unsupported_type")), "{body}");
    let (status, body) = put_scan(kannika.clone(), scan.clone()).await;
    assert_eq!(status, 200, "{body}");
    let scan_public = server.url().join(&format!("public/pakchong/{YEAR}/{slug}-scan.pdf")).expect("url");
    let fetched = reqwest::get(scan_public.clone()).await.expect("scan");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.expect("bytes").to_vec(), scan, "the scan as attached, without a login");
    let (_, verified) = verification(&server, &printed).await;
    assert_eq!(verified["scan"].as_str(), Some(scan_public.path()), "the verification page lists the scan");

    // The memo changes after signing: the old code says so; signed again, a new code verifies.
    change_a_proposal(&coordinator).await;
    eventually("the old code reports the change", LONG, || async {
        verification(&server, &printed).await.1["hash_matches"] == false
    })
    .await;
    head.sign("pakchong", YEAR, "head", "approved", "", Some("2022-03-25")).await.expect("head");
    palad.sign("pakchong", YEAR, "palad", "approved", "", Some("2022-03-25")).await.expect("palad");
    mayor.sign("pakchong", YEAR, "mayor", "approved", "", Some("2022-03-25")).await.expect("mayor");
    let renewed = eventually_seen("the re-signed report is published with a new code", LONG, || async {
        let code = code_on(&coordinator).await;
        match verification(&server, &code).await {
            (200, v) => Ok(v),
            (status, _) => Err(format!("{code}: {status}")),
        }
    })
    .await;
    assert_eq!((renewed["hash_matches"].clone(), renewed["current"].clone()), (true.into(), true.into()));
    assert_eq!(renewed["scan"], serde_json::Value::Null, "a new publication starts without a scan");
    let (_, old) = verification(&server, &printed).await;
    assert_eq!((old["hash_matches"].clone(), old["current"].clone()), (false.into(), false.into()), "{old}");
}

/// The whole ITAS sheet: every OIT item of the year; what Prongsai published fills itself in
/// (on the server and in every device's directory, offline too); typed addresses are checked
/// against the agency's site and this server's; the export carries every item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_itas_sheet_fills_in_what_was_published_and_checks_what_was_typed() {
    let sample = Sample::create().await;
    let site = "https://ita.pakchong.example";
    let server = Server::start(&sample.data(), 0, &["--public-url", site]).await;
    let answer = prongsai_tests::set_website(&server, &sample, "pakchong.go.th").await;
    assert_eq!(answer["letterhead"]["website"], "pakchong.go.th");
    let kannika = signed_in_api(&server, &sample, "kannika").await;
    let sheet = |api: prongsai_client::ServerApi| async move {
        let sheet = api.agency_call("pakchong", "GET", &format!("/years/{YEAR}/itas"), None).await.expect("sheet");
        serde_json::from_value::<prongsai_core::itas::ItasSheet>(sheet).expect("an ITAS sheet")
    };
    let before = sheet(kannika.clone()).await;
    let report = prongsai_tests::report_slug(YEAR).to_uppercase();
    let item = |s: &prongsai_core::itas::ItasSheet, code: &str| s.items.iter().find(|i| i.code == code).cloned();
    use prongsai_core::itas::{ItemSource, ItemState};
    assert_eq!(item(&before, &report).map(|i| i.state), Some(ItemState::Unpublished), "our report, not yet published");
    let others: Vec<String> = before.items.iter().filter(|i| !i.prongsai).map(|i| i.code.clone()).collect();
    assert!(others.len() > 20, "every OIT item of the year, not two rows: {}", before.items.len());
    assert_eq!(before.missing, others.len());

    // The coordinator types two answers on her device; a malformed address is refused there.
    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    let answer = |item: &str, url: &str| prongsai_core::edit::Edit::SetItasAnswer {
        item: item.into(),
        available: true,
        url: url.into(),
        explanation: "หน้าแรก > ข้อมูลพื้นฐาน".into(),
    };
    assert!(coordinator.apply(YEAR, vec![answer(&others[0], "pakchong.go.th/about")]).await.is_err(), "no scheme");
    coordinator
        .apply(
            YEAR,
            vec![
                answer(&others[0], "https://www.pakchong.go.th/about"),
                answer(&others[1], "https://facebook.com/pakchong"),
            ],
        )
        .await
        .expect("answers");
    assert!(coordinator.wait_confirmed(LONG).await);
    let typed = sheet(kannika.clone()).await;
    assert_eq!(item(&typed, &others[0]).map(|i| i.state), Some(ItemState::Answered), "the agency's own site");
    assert_eq!(item(&typed, &others[1]).map(|i| i.state), Some(ItemState::Foreign), "another site is flagged");

    // Every step signs: the report's address fills itself in, on the server and on the device.
    prongsai_tests::sign_every_step(&server, &sample).await;
    let url = format!("{site}/public/pakchong/{YEAR}/{}.pdf", report.to_lowercase());
    let published = eventually_seen("the sheet has the published report", LONG, || {
        let api = kannika.clone();
        let report = report.clone();
        async move {
            let s = sheet(api).await;
            match s.items.iter().find(|i| i.code == report) {
                Some(i) if i.source == ItemSource::Publication => Ok(i.clone()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    assert_eq!((published.state, published.url.as_str()), (ItemState::Answered, url.as_str()));
    eventually("the device's directory records the publication", LONG, || async {
        coordinator
            .agency_year(YEAR)
            .await
            .is_ok_and(|y| y.directory.publications.get(&report).is_some_and(|p| p.url == url))
    })
    .await;
    // The export covers every item, the published address and the typed ones among them.
    let token = prongsai_client::ServerApi::new(server.url())
        .login("kannika", sample.password("kannika"), "test")
        .await
        .expect("login")
        .token;
    let export = server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/reports/itas")).expect("url");
    let csv = reqwest::Client::new().get(export).bearer_auth(token).send().await.expect("the ITAS CSV");
    let text = csv.text().await.expect("utf-8");
    assert!(text.contains(&url) && text.contains("https://www.pakchong.go.th/about"), "{text}");
    assert_eq!(text.lines().count(), before.items.len() + 1, "a heading and one row per item");
    coordinator.shutdown().await;
}

/// Fetches a public address; its status and body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_is_signed_and_published_before_the_report_unless_the_coordinator_says_why() {
    use prongsai_core::report_model::Part;
    use prongsai_core::wire::PublishedInfo;
    let sample = Sample::create().await;
    let site = "https://ita.pakchong.example";
    let server = Server::start(&sample.data(), 0, &["--public-url", site]).await;
    let api_of = |user: &'static str| signed_in_api(&server, &sample, user);
    let (head, palad, mayor) = (api_of("parichat").await, api_of("amnang").await, api_of("winai").await);
    let (kannika, somchai) = (api_of("kannika").await, api_of("somchai").await);
    let (plan_slug, report_slug) = (prongsai_tests::plan_slug(YEAR), prongsai_tests::report_slug(YEAR));
    let info = |part: Part| {
        let api = kannika.clone();
        async move { api.published("pakchong", YEAR, part).await.expect("publication info") }
    };

    // The report's chain signs first: every step approved it, and it waits for its plan.
    for (api, step) in [(&head, "head"), (&palad, "palad"), (&mayor, "mayor")] {
        api.sign("pakchong", YEAR, step, "approved", "", None).await.expect("signs the report");
    }
    let waiting = eventually_seen("the report says it waits for its plan", LONG, || async {
        let now = info(Part::Report).await;
        if now.waits_for_plan { Ok(now) } else { Err(format!("{now:?}")) }
    })
    .await;
    assert_eq!(waiting.published, None, "not published before its plan");
    assert_eq!(prongsai_tests::fetch(&server, &format!("public/pakchong/{YEAR}/{report_slug}.pdf")).await.0, 404);

    // The plan's chain: its own approver per step, in order, as the report's.
    let refused = |r: Result<prongsai_core::wire::SignResponse, prongsai_client::ApiError>| match r {
        Err(prongsai_client::ApiError::Refused { status, .. }) => status,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let plan_sign = |api: &prongsai_client::ServerApi, step: &'static str| {
        let api = api.clone();
        async move { api.sign_part("pakchong", YEAR, Part::Plan, step, "approved", "", Some("2021-10-05")).await }
    };
    assert_eq!(refused(plan_sign(&palad, "palad").await), 409, "the plan's chain is signed in order too");
    assert_eq!(refused(plan_sign(&somchai, "head").await), 403, "only the step's approver signs the plan");
    let unknown = somchai.sign_part("pakchong", YEAR, Part::Plan, "nobody", "approved", "", None).await;
    assert!(unknown.is_err());
    plan_sign(&head, "head").await.expect("head approves the plan");
    plan_sign(&palad, "palad").await.expect("palad approves the plan");
    // The report's signatures are untouched by the plan's.
    let status = kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/status"), None).await.expect("status");
    assert_eq!(status["approvals"][2]["up_to_date"], true, "{}", status["approvals"]);
    assert_eq!(status["plan_approvals"][0]["up_to_date"], true);
    assert_eq!(status["plan_approvals"][2]["signed"], false);
    assert_eq!(info(Part::Plan).await.published, None, "not before its last step");
    plan_sign(&mayor, "mayor").await.expect("the mayor approves the plan");

    // The plan is published at its item's address; the report that waited goes out after it.
    let plan = eventually_seen("the plan is published", LONG, || async {
        let now = info(Part::Plan).await;
        if now.published.is_some() { Ok(now) } else { Err("not yet".to_string()) }
    })
    .await;
    assert_eq!(plan.part, Part::Plan);
    assert_eq!(plan.pdf, format!("/public/pakchong/{YEAR}/{plan_slug}.pdf"));
    let (status, pdf) = prongsai_tests::fetch(&server, &plan.pdf).await;
    assert_eq!((status, &pdf[..4]), (200, &b"%PDF"[..]));
    let text = squash(&pdf_text(&pdf));
    assert!(text.contains(&squash("ลงชื่อ ลงนามในระบบ")), "the plan prints its signatures: {text}");
    assert!(!text.contains(&squash("ฉบับร่าง")), "a signed plan is no draft");
    let code = plan.published.as_ref().and_then(|p| p.code.clone()).expect("the plan's code");
    assert!(text.contains(&prongsai_core::verification::grouped(&code)), "the plan prints its code");
    let (status, html) = prongsai_tests::fetch(&server, &plan.html).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&html).contains("ลงนามในระบบ"));
    let (status, verified) = verification(&server, &code).await;
    assert_eq!(status, 200);
    assert_eq!((verified["part"].as_str(), verified["hash_matches"].as_bool()), (Some("plan"), Some(true)));
    assert_eq!(verified["item"].as_str(), Some(plan_slug.to_uppercase().as_str()));
    let report: PublishedInfo = eventually_seen("the waiting report goes out after its plan", LONG, || async {
        let now = info(Part::Report).await;
        if now.published.is_some() { Ok(now) } else { Err(format!("{now:?}")) }
    })
    .await;
    assert!(!report.waits_for_plan);
    assert_eq!(prongsai_tests::fetch(&server, &format!("public/pakchong/{YEAR}/{report_slug}.pdf")).await.0, 200);

    // Both are in the ITAS sheet, filled in by their publications.
    let sheet = kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/itas"), None).await.expect("sheet");
    let sheet: prongsai_core::itas::ItasSheet = serde_json::from_value(sheet).expect("a sheet");
    for slug in [&plan_slug, &report_slug] {
        let row = sheet.items.iter().find(|i| i.code.to_lowercase() == *slug).expect("the item");
        assert_eq!(row.url, format!("{site}/public/pakchong/{YEAR}/{slug}.pdf"), "{row:?}");
        assert_eq!(row.state, prongsai_core::itas::ItemState::Answered);
    }

    // Reporting results does not unsign the plan: its content is the plan's own.
    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    change_a_proposal(&coordinator).await;
    eventually("the memo changed: the report's signatures are out of date", LONG, || async {
        let status = kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/status"), None).await;
        status.is_ok_and(|s| s["approvals"][0]["up_to_date"] == false)
    })
    .await;
    let status = kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/status"), None).await.expect("status");
    assert_eq!(status["plan_approvals"][2]["up_to_date"], true, "the plan stays signed");
    assert_eq!(verification(&server, &code).await.1["hash_matches"], true);

    // The plan, as named or as asked by round, from the CLI and over HTTP.
    let exported = sample.data().join("plan-by-round.pdf");
    let data = sample.data().display().to_string();
    let year = YEAR.to_string();
    let out = exported.display().to_string();
    let args =
        ["export", "--data", &data, "--agency", "pakchong", "--year", &year, "--format", "pdf", "--round", "plan"];
    cli(&[&args[..], &["-o", &out]].concat(), None).await;
    let by_cli = squash(&pdf_text(&std::fs::read(&exported).expect("the exported plan")));
    assert!(by_cli.contains(&squash("ลงชื่อ ลงนามในระบบ")) && !by_cli.contains(&squash("ผลการดำเนินงาน")), "{by_cli}");
    let token = prongsai_client::ServerApi::new(server.url())
        .login("kannika", sample.password("kannika"), "test")
        .await
        .expect("login")
        .token;
    let get = |query: &'static str| {
        let url = server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/reports/{query}")).expect("url");
        let token = token.clone();
        async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.expect("get") }
    };
    let by_http = get("pdf?round=plan").await;
    assert_eq!(by_http.status(), 200);
    let disposition = by_http.headers()[reqwest::header::CONTENT_DISPOSITION].to_str().expect("ascii").to_string();
    assert!(disposition.contains(&format!("{plan_slug}.pdf")), "{disposition}");
    assert_eq!(get("pdf?round=monthly").await.status(), 404, "a round the year does not have");
    coordinator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_goes_before_its_plan_only_with_the_coordinators_reason_shown_on_its_verification_page() {
    use prongsai_core::report_model::Part;
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let (kannika, somchai) =
        (signed_in_api(&server, &sample, "kannika").await, signed_in_api(&server, &sample, "somchai").await);
    for (user, step) in [("parichat", "head"), ("amnang", "palad"), ("winai", "mayor")] {
        let api = signed_in_api(&server, &sample, user).await;
        api.sign("pakchong", YEAR, step, "approved", "", None).await.expect("signs the report");
    }
    eventually("the report waits for its plan", LONG, || async {
        kannika.published("pakchong", YEAR, Part::Report).await.is_ok_and(|i| i.waits_for_plan)
    })
    .await;
    let reason = "แผนมาตรการปี ๒๕๖๕ เผยแพร่ในระบบเดิมก่อนเริ่มใช้โปรแกรมนี้";
    let refused = somchai.set_plan_waiver("pakchong", YEAR, reason).await;
    assert!(
        matches!(refused, Err(prongsai_client::ApiError::Refused { status: 403, .. })),
        "staff cannot waive the plan: {refused:?}"
    );
    let too_long = "ก".repeat(prongsai_core::wire::PlanWaiverRequest::MAX_CHARS + 1);
    assert!(matches!(
        kannika.set_plan_waiver("pakchong", YEAR, &too_long).await,
        Err(prongsai_client::ApiError::Refused { status: 400, .. })
    ));
    assert!(kannika.published("pakchong", YEAR, Part::Report).await.expect("info").published.is_none());

    let answer = kannika.set_plan_waiver("pakchong", YEAR, reason).await.expect("the coordinator says why");
    assert_eq!(answer.plan_waiver.as_ref().map(|w| (w.reason.as_str(), w.by.as_str())), Some((reason, "kannika")));
    let published = answer.published.expect("the report goes out at once");
    assert!(!answer.waits_for_plan);
    assert_eq!(kannika.published("pakchong", YEAR, Part::Plan).await.expect("info").published, None);
    let code = published.code.expect("a code");
    let (status, verified) = verification(&server, &code).await;
    assert_eq!(
        (status, verified["plan_waiver"].as_str(), verified["part"].as_str()),
        (200, Some(reason), Some("report"))
    );
    let page = reqwest::get(server.url().join(&format!("verify/{code}")).expect("url")).await.expect("page");
    let page = page.text().await.expect("html");
    assert!(page.contains("data-plan-waiver") && page.contains(reason), "the reason is on the page: {page}");
    // The audit trail names who recorded it.
    let admin = signed_in_api(&server, &sample, "admin").await;
    let audit = admin.agency_call("pakchong", "GET", "/audit", None).await.expect("audit");
    assert!(audit.to_string().contains("plan_waiver_recorded"), "{audit}");
}

/// What a person may send is bounded: a scan over 25 MiB is refused before it is read whole, and
/// read marks come at most 500 at a time, each id short, with the oldest forgotten past 2,000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_scan_and_too_many_read_marks_are_refused_and_change_nothing() {
    use prongsai_client::ApiError;
    use prongsai_core::wire::{MarkRead, NotificationsRead};
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    prongsai_tests::sign_every_step(&server, &sample).await;
    let kannika = signed_in_api(&server, &sample, "kannika").await;
    eventually("the report is published", LONG, || async {
        kannika
            .published("pakchong", YEAR, prongsai_core::report_model::Part::Report)
            .await
            .is_ok_and(|i| i.published.is_some())
    })
    .await;
    let mut huge = b"%PDF-1.4\n".to_vec();
    huge.resize(prongsai_sync_server::reports::MAX_SCAN_BYTES + 1024 * 1024, b'%');
    let refused = kannika.attach_scan("pakchong", YEAR, prongsai_core::report_model::Part::Report, huge).await;
    assert!(matches!(refused, Err(ApiError::Refused { status: 413, .. })), "{refused:?}");
    // The server could not read the rest of that body, so it closes the connection: the next
    // request, on a connection the client had kept, is sent again on a fresh one.
    let info = kannika.published("pakchong", YEAR, prongsai_core::report_model::Part::Report).await.expect("info");
    assert_eq!(info.scan, None, "nothing attached");

    let ids = |n: usize, tag: &str| (0..n).map(|i| format!("{tag}/{i}")).collect::<Vec<String>>();
    let too_many = kannika.mark_notifications_read(&ids(MarkRead::MAX_IDS + 1, "a")).await;
    assert!(matches!(too_many, Err(ApiError::Refused { status: 400, .. })), "{too_many:?}");
    let too_long = kannika.mark_notifications_read(&["x".repeat(MarkRead::MAX_ID_CHARS + 1)]).await;
    assert!(matches!(too_long, Err(ApiError::Refused { status: 400, .. })), "{too_long:?}");
    assert_eq!(kannika.notifications_read().await.expect("marks").read.len(), 0, "a refusal marks nothing");
    let mut marked = NotificationsRead::default();
    for batch in 0..5 {
        marked = kannika.mark_notifications_read(&ids(MarkRead::MAX_IDS, &format!("b{batch}"))).await.expect("a batch");
    }
    assert_eq!(marked.read.len(), NotificationsRead::MAX_KEPT);
    assert!(!marked.read.contains(&"b0/0".to_string()) && marked.read.contains(&"b4/499".to_string()), "oldest go");
}
