//! Any agency, any year, through the real server binary: an agency made from nothing on the
//! command line and set up over the HTTP API (letterhead, emblem, divisions, a four-step chain),
//! its first year started blank, the next year started from it (once, however many press the
//! button at once), a year closed and reopened, and last year's ITA result quoted in the new
//! memo.

use std::process::Stdio;
use std::time::Duration;

use prongsai_client::{ApiError, ServerApi};
use prongsai_core::admin::NewUserRequest;
use prongsai_core::model::{DocKey, DocKind, Role};
use prongsai_core::profile::{ChainStep, DivisionChange, ItaResult, LetterheadProfile, ProfileDetails};
use prongsai_core::wire::ErrorKind;
use prongsai_tests::{Server, cli, device, eventually, eventually_seen, workspace_binary};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const LONG: Duration = Duration::from_secs(60);

/// The six divisions of the test's เทศบาล, none of them named like the sample's.
const DIVISIONS: [&str; 6] =
    ["สำนักปลัดเทศบาล", "กองคลัง", "กองช่าง", "กองสาธารณสุขและสิ่งแวดล้อม", "กองการศึกษา", "กองสวัสดิการสังคม"];

struct Agency {
    _dir: tempfile::TempDir,
    server: Server,
    admin: ServerApi,
    admin_username: String,
}

/// `agency create` without a fixture: the contract's one JSON object, then the server on it.
async fn new_agency() -> Agency {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    let out = cli(&["agency", "create", "--data", data, "--id", "banmai", "--name", "เทศบาลตำบลบ้านใหม่"], None).await;
    let created: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object on stdout");
    assert_eq!(created["agency"], "banmai", "{out}");
    let username = created["admin"]["username"].as_str().expect("admin username").to_string();
    let password = created["admin"]["password"].as_str().expect("admin password").to_string();
    assert!(password.len() >= 12, "a generated password: {out}");
    // The same with the password from stdin: nothing else on stdout.
    let out = cli(
        &["agency", "create", "--data", data, "--id", "nongkhai", "--name", "อบต.หนองไข่", "--password-stdin"],
        Some("a long enough password 1\n"),
    )
    .await;
    let other: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(other["admin"]["password"], "a long enough password 1");

    let server = Server::start(std::path::Path::new(data), 0, &[]).await;
    let api = ServerApi::new(server.url());
    let login = api.login(&username, &password, "test").await.expect("the first admin signs in");
    Agency { _dir: dir, server, admin: api.with_token(&login.token), admin_username: username }
}

async fn add_user(agency: &Agency, username: &str, roles: Vec<Role>, division: Option<&str>) -> ServerApi {
    let issued = agency
        .admin
        .add_user(
            "banmai",
            &NewUserRequest {
                username: username.into(),
                display_name: format!("คุณ{username}"),
                position: "ตำแหน่งทดสอบ".into(),
                division: division.map(str::to_string),
                roles,
                password: Some("a long enough password 2".into()),
            },
        )
        .await
        .expect("the admin adds a user");
    assert!(issued.password.is_none(), "the admin gave the password");
    let api = ServerApi::new(agency.server.url());
    let login = api.login(username, "a long enough password 2", "test").await.expect("login");
    api.with_token(&login.token)
}

/// A new agency with one division (สำนักปลัดเทศบาล), its coordinator and a staff member
/// (`banmai.staff`), and fiscal year 2569 started blank.
async fn agency_with_a_year() -> (Agency, String, ServerApi) {
    let agency = new_agency().await;
    let palad = agency.admin.add_division("banmai", "สำนักปลัดเทศบาล").await.expect("division").id;
    let coordinator = add_user(&agency, "banmai.coord", vec![Role::Coordinator], Some(&palad)).await;
    add_user(&agency, "banmai.staff", vec![Role::Staff], Some(&palad)).await;
    coordinator.start_year("banmai", 2569, None).await.expect("year");
    (agency, palad, coordinator)
}

fn refused_kind(result: Result<impl std::fmt::Debug, ApiError>) -> ErrorKind {
    match result {
        Err(ApiError::Refused { kind, .. }) => kind,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_sets_itself_up_from_nothing_and_rolls_its_year_over() {
    let agency = new_agency().await;
    let admin = &agency.admin;
    let overview = admin.overview("banmai").await.expect("overview");
    assert!(overview.years.is_empty(), "a new agency has no year yet");
    assert_eq!(overview.profile.name, "เทศบาลตำบลบ้านใหม่");
    assert!(overview.current_year >= 2570, "today's fiscal year: {}", overview.current_year);

    // The letterhead; a bad website or odd Thai text is refused with the field named.
    let details = ProfileDetails {
        name: "เทศบาลตำบลบ้านใหม่".into(),
        short_name: "ทต.บ้านใหม่".into(),
        kind: prongsai_core::model::AgencyKind::SubdistrictMunicipality,
        subdistrict: "บ้านใหม่".into(),
        district: "เมืองนครราชสีมา".into(),
        province: "นครราชสีมา".into(),
        letterhead: LetterheadProfile {
            department: "สำนักปลัดเทศบาลตำบลบ้านใหม่".into(),
            address: "๙๙ หมู่ ๑ ตำบลบ้านใหม่".into(),
            phone: "044-123456".into(),
            reference_prefix: "นม ๕๓๒๐๑".into(),
            website: "https://www.banmai.go.th/".into(),
            glossary: vec!["บ้านใหม่".into()],
        },
    };
    let mut bad = details.clone();
    bad.letterhead.website = "javascript:alert(1)".into();
    assert_eq!(refused_kind(admin.set_profile("banmai", &bad).await), ErrorKind::Invalid);
    bad = details.clone();
    bad.letterhead.department = "สำนักปลัดเเทศบาล".into();
    assert_eq!(refused_kind(admin.set_profile("banmai", &bad).await), ErrorKind::Invalid);
    let profile = admin.set_profile("banmai", &details).await.expect("letterhead set");
    assert_eq!(profile.letterhead.website, "www.banmai.go.th");

    // The emblem: PNG or JPEG up to 1 MiB; anything else refused with a reason.
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../icons/32x32.png")).expect("an icon");
    admin.set_emblem("banmai", "image/png", png.clone()).await.expect("a PNG emblem");
    assert_eq!(admin.emblem("banmai").await.expect("emblem"), Some(png));
    assert!(admin.set_emblem("banmai", "image/png", b"<svg onload=alert(1)>".to_vec()).await.is_err());

    // Six divisions, one renamed (its old name kept), one more added and retired.
    let mut ids = Vec::new();
    for name in DIVISIONS {
        ids.push(admin.add_division("banmai", name).await.expect("division added").id);
    }
    assert_eq!(refused_kind(admin.add_division("banmai", "กองคลัง").await), ErrorKind::Invalid);
    let renamed = admin
        .change_division("banmai", &ids[3], &DivisionChange { name: Some("กองสาธารณสุข".into()), retired: None })
        .await
        .expect("renamed");
    assert_eq!(renamed.id, ids[3]);
    assert!(renamed.aliases.contains(&DIVISIONS[3].to_string()));
    let retired = admin.add_division("banmai", "กองวิชาการและแผนงาน").await.expect("added");
    admin
        .change_division("banmai", &retired.id, &DivisionChange { name: None, retired: Some(true) })
        .await
        .expect("retired");

    // People, and a four-step chain bound to its approvers.
    let coordinator = add_user(&agency, "banmai.coord", vec![Role::Coordinator], Some(&ids[0])).await;
    let _clerk = add_user(&agency, "banmai.klang", vec![Role::Staff], Some(&ids[1])).await;
    let refused = agency
        .admin
        .add_user(
            "banmai",
            &NewUserRequest {
                username: "banmai.old".into(),
                display_name: "คุณเก่า".into(),
                position: String::new(),
                division: Some(retired.id.clone()),
                roles: vec![Role::Staff],
                password: None,
            },
        )
        .await;
    assert_eq!(refused_kind(refused), ErrorKind::Invalid, "a retired division takes nobody new");
    let titles = ["ความเห็นหัวหน้าสำนักปลัดเทศบาล", "ความเห็นรองปลัดเทศบาล", "ความเห็นปลัดเทศบาล", "ความเห็นนายกเทศมนตรี"];
    let mut steps = Vec::new();
    let mut approvers = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let username = format!("banmai.a{i}");
        approvers.push(add_user(&agency, &username, vec![Role::Approver], None).await);
        steps.push(ChainStep {
            id: String::new(),
            title: title.to_string(),
            name: format!("คุณ{username}"),
            position: format!("ตำแหน่งขั้นที่ {}", i + 1),
            approver: Some(username),
        });
    }
    let mut six = steps.clone();
    six.extend(steps.iter().take(2).cloned());
    assert_eq!(refused_kind(admin.set_chain("banmai", &six).await), ErrorKind::Invalid, "at most five steps");
    let chain = admin.set_chain("banmai", &steps).await.expect("four steps");
    assert_eq!(chain.len(), 4);

    // The coordinator starts the first year, blank; a second start is refused as existing.
    let viewer = add_user(&agency, "banmai.view", vec![Role::Viewer], None).await;
    assert!(matches!(refused_kind(viewer.start_year("banmai", 2569, None).await), ErrorKind::Forbidden));
    coordinator.start_year("banmai", 2569, None).await.expect("the first year starts");
    assert_eq!(refused_kind(coordinator.start_year("banmai", 2569, None).await), ErrorKind::AlreadyExists);
    let listed = coordinator.documents("banmai", 2569).await.expect("documents");
    let results: Vec<String> =
        listed.iter().filter(|d| d.kind == DocKind::Results).filter_map(|d| d.division.clone()).collect();
    assert_eq!(listed.len(), 5 + 7, "directory, plan, review, memo, approvals and one results per division");
    assert!(ids.iter().all(|id| results.contains(id)));

    // A device reads the year as the profile set it.
    let dir = tempfile::tempdir().expect("device dir");
    let field = device(&agency.server, dir.path(), "banmai.coord", "a long enough password 2").await;
    assert_eq!(field.current_year().await.expect("a year to open"), 2569);
    let year = field.agency_year(2569).await.expect("the year");
    assert_eq!(year.directory.agency.letterhead.reference_prefix, "นม ๕๓๒๐๑");
    assert_eq!(year.directory.agency.address, "๙๙ หมู่ ๑ ตำบลบ้านใหม่");
    assert_eq!(year.divisions().len(), 7);
    assert!(year.directory.divisions[&retired.id].retired);
    assert_eq!(year.division_name(&ids[3]), "กองสาธารณสุข");
    let printed: Vec<&str> = year.approval_steps().into_iter().map(|(_, s)| s.title.as_str()).collect();
    assert_eq!(printed, titles);
    assert!(year.memo.department.as_str().starts_with("สำนักปลัดเทศบาลตำบลบ้านใหม่"));
    assert_eq!(year.memo.reference, "นม ๕๓๒๐๑/");
    assert!(year.plan.measures.is_empty());

    // The plan: two measures, entered as the coordinator would.
    use prongsai_core::edit::Edit;
    let plan_edits = vec![
        Edit::AddMeasure {
            id: "m1".into(), index: 0, title: "เปิดเผยข้อมูลการจัดซื้อจัดจ้าง".into()
        },
        Edit::AddMeasure {
            id: "m2".into(), index: 1, title: "อบรมคุณธรรมจริยธรรม".into()
        },
        Edit::SetResponsible { measure: "m1".into(), division: ids[1].clone(), responsible: true },
        Edit::SetResponsible { measure: "m2".into(), division: ids[0].clone(), responsible: true },
        Edit::SetSchedule { measure: "m1".into(), schedule: "ตลอดปีงบประมาณ".into() },
        Edit::SetSuggestion {
            measure: "m1".into(), text: "ควรเผยแพร่ทุกเดือน".into()
        },
    ];
    field.apply(2569, plan_edits).await.expect("the plan is written");
    assert!(field.wait_confirmed(LONG).await, "the plan reaches the server");

    // A division added now gets its results document in the open year at once.
    let added = admin.add_division("banmai", "กองยุทธศาสตร์").await.expect("added");
    let listed = coordinator.documents("banmai", 2569).await.expect("documents");
    assert!(listed.iter().any(|d| d.division.as_deref() == Some(added.id.as_str())));
    eventually("the device sees the new division in the directory", LONG, || {
        let (field, id) = (field.clone(), added.id.clone());
        async move {
            field.agency_year(2569).await.is_ok_and(|y| {
                y.directory.divisions.contains_key(&id) && y.directory.documents.results.contains_key(&id)
            })
        }
    })
    .await;

    // Last year's ITA result, then the next year from this one.
    admin
        .set_ita_result("banmai", 2569, &ItaResult { score_hundredths: 8750, ..ItaResult::default() })
        .await
        .expect("ITA result entered");
    let (started, created) = coordinator.next_year("banmai", 2569).await.expect("next year");
    assert!(created && started.year == 2570);
    let (again, created) = coordinator.next_year("banmai", 2569).await.expect("next year again");
    assert!(!created && again.year == 2570, "the second press finds the year made");
    let next = eventually_seen("the device has 2570", LONG, || {
        let field = field.clone();
        async move {
            field.refresh_years().await.map_err(|e| e.to_string())?;
            field.agency_year(2570).await.map_err(|e| e.to_string())
        }
    })
    .await;
    assert_eq!(next.plan.measures.len(), 2);
    let m1 = &next.plan.measures["m1"];
    let continued = m1.continues.as_ref().expect("m1 continues last year's m1");
    assert_eq!((continued.year, continued.measure.as_str()), (2569, "m1"));
    assert_eq!(continued.suggestion, "ควรเผยแพร่ทุกเดือน", "last year's ข้อเสนอ is this year's input");
    assert_eq!(m1.schedule.to_code(), "1-4");
    assert!(m1.suggestion.as_str().is_empty() && m1.published_result.as_str().is_empty());
    assert!(next.results.values().all(|r| r.results.values().all(|x| x.text.as_str().is_empty())));
    assert!(next.approvals.signatures.is_empty() && next.review.decisions.is_empty());
    assert!(next.memo.background.as_str().contains("๘๗.๕๐"), "เรื่องเดิม quotes the score: {:?}", next.memo.background);
    assert_eq!(next.memo.previous_assessment.as_ref().map(|p| (p.year, p.score_hundredths)), Some((2569, 8750)));
    assert_eq!(field.current_year().await.expect("current"), 2570, "the app opens on today's fiscal year");

    // Closing 2569: every document read-only, signatures refused; reopening needs a reason.
    admin.close_year("banmai", 2569, "ส่งรายงานแล้ว").await.expect("closed");
    let listed = coordinator.documents("banmai", 2569).await.expect("documents");
    assert!(listed.iter().all(|d| !d.writable && d.closed), "a closed year is written by nobody");
    field.set_year(2569).await.expect("switch years");
    let refused = field.apply(2569, vec![Edit::SetTitle { measure: "m2".into(), title: "แก้หลังปิด".into() }]).await;
    assert!(matches!(refused, Err(prongsai_client::DeviceError::YearClosed { year: 2569 })), "{refused:?}");
    let sign = approvers[0].sign("banmai", 2569, &chain[0].id, "approved", "", None).await;
    assert_eq!(refused_kind(sign), ErrorKind::YearClosed, "nothing is signed in a closed year");
    assert_eq!(refused_kind(admin.reopen_year("banmai", 2569, "").await), ErrorKind::Invalid);
    let reopened = admin.reopen_year("banmai", 2569, "แก้ไขตามข้อทักท้วง สตง.").await.expect("reopened");
    assert!(!reopened.closed && reopened.reason == "แก้ไขตามข้อทักท้วง สตง.");
    let audit = admin.audit_log("banmai", None).await.expect("audit");
    let reasons: Vec<String> = audit.iter().filter_map(|e| e.detail["reason"].as_str().map(str::to_string)).collect();
    assert!(reasons.contains(&"ส่งรายงานแล้ว".to_string()) && reasons.contains(&"แก้ไขตามข้อทักท้วง สตง.".to_string()));
    field
        .apply(2569, vec![Edit::SetTitle { measure: "m2".into(), title: "อบรมคุณธรรม".into() }])
        .await
        .expect("open again");
    assert!(field.wait_confirmed(LONG).await);
    field.shutdown().await;
    assert!(audit.iter().any(|e| e.actor == agency.admin_username));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_edit_to_a_year_closed_meanwhile_is_refused_and_kept_on_the_device() {
    let (agency, palad, _coordinator) = agency_with_a_year().await;
    let admin = &agency.admin;

    let dir = tempfile::tempdir().expect("device dir");
    let staff = device(&agency.server, dir.path(), "banmai.staff", "a long enough password 2").await;
    staff.agency_year(2569).await.expect("the year is on the device");
    staff.disconnect();
    let key = DocKey::results(&palad);
    staff
        .edit(2569, &key, "ผลงานนอกสถานที่", |tx, meta| {
            prongsai_core::docs::results::set_text(
                tx,
                &prongsai_core::tracks::Slot::INTEGRITY,
                "m9",
                "ตรวจเยี่ยมชุมชนแล้ว ๓ ครั้ง",
                meta,
            )
        })
        .await
        .expect("written offline");
    admin.close_year("banmai", 2569, "ปิดปีงบประมาณ").await.expect("closed meanwhile");
    staff.connect().expect("back online");
    eventually("the device shows the change refused", LONG, || {
        let staff = staff.clone();
        async move { staff.state().refused > 0 && staff.state().unconfirmed == 0 }
    })
    .await;
    // Never lost silently: the text is still on the device to copy.
    let year = staff.agency_year(2569).await.expect("readable");
    assert_eq!(
        year.result("m9", &palad).map(|r| r.text.as_str().to_string()).as_deref(),
        Some("ตรวจเยี่ยมชุมชนแล้ว ๓ ครั้ง")
    );
    // And the server never took it.
    let other_dir = tempfile::tempdir().expect("dir");
    let reader = device(&agency.server, other_dir.path(), "banmai.coord", "a long enough password 2").await;
    let seen = reader.agency_year(2569).await.expect("year");
    assert!(seen.result("m9", &palad).is_none_or(|r| r.text.as_str().is_empty()));
    staff.shutdown().await;
    reader.shutdown().await;
}

/// One process that presses "start the next year" when released.
struct Presser {
    child: tokio::process::Child,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Presser {
    async fn spawn(server: &Server, token: &str, year: i64) -> Presser {
        let mut child = tokio::process::Command::new(workspace_binary("prongsai-next-year"))
            .args([server.url().as_str(), token, "banmai", &year.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the helper starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = stdout.next_line().await.expect("reads").expect("a line");
        assert_eq!(ready, "ready");
        Presser { child, stdout }
    }

    async fn result(mut self) -> serde_json::Value {
        let line = self.stdout.next_line().await.expect("reads").expect("the helper answers");
        let status = self.child.wait().await.expect("exits");
        assert!(status.success());
        serde_json::from_str(&line).expect("JSON")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_the_next_year_from_two_processes_at_once_makes_it_once() {
    let agency = new_agency().await;
    let admin = &agency.admin;
    for name in &DIVISIONS[..3] {
        admin.add_division("banmai", name).await.expect("division");
    }
    let coordinator_api = ServerApi::new(agency.server.url());
    add_user(&agency, "banmai.coord", vec![Role::Coordinator], None).await;
    let a = coordinator_api.login("banmai.coord", "a long enough password 2", "a").await.expect("login a").token;
    let b = coordinator_api.login("banmai.coord", "a long enough password 2", "b").await.expect("login b").token;
    let first = 2565;
    admin.start_year("banmai", first, None).await.expect("first year");
    for round in 0..20 {
        let year = first + round;
        let one = Presser::spawn(&agency.server, &a, year).await;
        let two = Presser::spawn(&agency.server, &b, year).await;
        // Release both at once.
        let (mut one, mut two) = (one, two);
        let mut stdin_one = one.child.stdin.take().expect("stdin");
        let mut stdin_two = two.child.stdin.take().expect("stdin");
        let (r1, r2) = tokio::join!(stdin_one.write_all(b"go\n"), stdin_two.write_all(b"go\n"));
        r1.expect("released");
        r2.expect("released");
        let (one, two) = tokio::join!(one.result(), two.result());
        let created = [&one, &two].iter().filter(|r| r["created"] == true).count();
        assert_eq!(created, 1, "round {round}: exactly one press creates year {}: {one} {two}", year + 1);
        assert_eq!(one["documents"], two["documents"], "round {round}: both see one set of documents");
        let listed = admin.documents("banmai", year + 1).await.expect("documents");
        assert_eq!(listed.len(), 5 + 3, "round {round}: no document is made twice");
    }
    let years = admin.years("banmai").await.expect("years");
    assert_eq!(years, (first..=first + 20).collect::<Vec<_>>());
}

/// A person updates the app on one device; their other device, still on this release, meets what
/// the newer one wrote: it reads it and says "update the app" instead of writing into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_meeting_a_newer_releases_documents_asks_for_an_update_instead_of_writing() {
    use prongsai_client::DeviceError;
    use prongsai_core::automerge::{ROOT, transaction::Transactable};
    use prongsai_core::model::SCHEMA_VERSION;

    let (agency, palad, _coordinator) = agency_with_a_year().await;
    let key = DocKey::results(&palad);

    let (newer_dir, older_dir) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let newer = device(&agency.server, newer_dir.path(), "banmai.staff", "a long enough password 2").await;
    let older = device(&agency.server, older_dir.path(), "banmai.staff", "a long enough password 2").await;
    older.agency_year(2569).await.expect("the year is on the older device");
    assert!(!older.session_view(2569).await.expect("session").update_required);

    // The newer release writes its results document in its own schema.
    newer.agency_year(2569).await.expect("the year is on the newer device");
    newer
        .edit(2569, &key, "ผลงานจากแอปรุ่นใหม่", |tx, meta| {
            tx.put(ROOT, "schema", SCHEMA_VERSION + 1)?;
            prongsai_core::docs::results::set_text(
                tx,
                &prongsai_core::tracks::Slot::INTEGRITY,
                "m1",
                "บันทึกจากแอปรุ่นใหม่",
                meta,
            )
        })
        .await
        .expect("written by the newer release");
    eventually("the newer release's change is confirmed", LONG, || {
        let newer = newer.clone();
        async move { newer.state().unconfirmed == 0 }
    })
    .await;

    eventually("the older device meets it and asks for an update", LONG, || {
        let older = older.clone();
        async move { older.session_view(2569).await.is_ok_and(|s| s.update_required && s.writable.is_empty()) }
    })
    .await;
    // It still reads what the newer release wrote.
    let year = older.agency_year(2569).await.expect("readable");
    assert_eq!(year.result("m1", &palad).map(|r| r.text.as_str().to_string()).as_deref(), Some("บันทึกจากแอปรุ่นใหม่"));
    // And writes nothing into it: refused before anything is pending.
    let refused = older
        .edit(2569, &key, "แก้จากแอปรุ่นเก่า", |tx, meta| {
            prongsai_core::docs::results::set_text(
                tx,
                &prongsai_core::tracks::Slot::INTEGRITY,
                "m1",
                "แก้จากแอปรุ่นเก่า",
                meta,
            )
        })
        .await;
    assert!(
        matches!(refused, Err(DeviceError::UpdateRequired { schema, .. }) if schema == SCHEMA_VERSION + 1),
        "{refused:?}"
    );
    assert_eq!(older.state().unconfirmed, 0, "nothing pending from the refused edit");
    let year = older.agency_year(2569).await.expect("readable");
    assert_eq!(year.result("m1", &palad).map(|r| r.text.as_str().to_string()).as_deref(), Some("บันทึกจากแอปรุ่นใหม่"));
    newer.shutdown().await;
    older.shutdown().await;
}

/// A year started while a device is online comes onto its disk in the background, without anyone
/// opening it there, and reads with the server gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_year_comes_onto_a_device_in_the_background_and_reads_offline() {
    let (mut agency, palad, coordinator) = agency_with_a_year().await;
    let dir = tempfile::tempdir().expect("device dir");
    let staff = device(&agency.server, dir.path(), "banmai.staff", "a long enough password 2").await;
    staff.agency_year(2569).await.expect("the year is on the device");
    assert_eq!(staff.years().await.expect("years"), [2569]);

    coordinator.next_year("banmai", 2569).await.expect("the next year");
    let listed = coordinator.documents("banmai", 2570).await.expect("its documents");
    // As the app asks for the years when it draws its switcher.
    let years = staff.refresh_years().await.expect("years");
    assert_eq!(years, [2569, 2570]);
    eventually("every document of 2570 is on the device's disk", LONG, || {
        let (staff, listed) = (staff.clone(), listed.clone());
        async move { listed.iter().all(|e| staff.storage().has_document(e.document_id())) }
    })
    .await;

    agency.server.kill().await;
    let year = staff.agency_year(2570).await.expect("readable offline");
    assert_eq!(year.fiscal_year(), 2570);
    assert!(year.results.contains_key(&palad), "its division's results document is there");
    staff.shutdown().await;
}

/// Starting a year from a plan file: a file that cannot be read is refused with its report and
/// starts no year; a readable one starts the year with its measures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_starts_from_a_plan_file_only_when_the_file_reads() {
    let (agency, _palad, coordinator) = agency_with_a_year().await;
    let refused = coordinator.start_year_from_file("banmai", 2570, b"\x00\x01 not a plan".to_vec()).await;
    assert_eq!(refused_kind(refused), ErrorKind::ImportRefused);
    assert_eq!(coordinator.years("banmai").await.expect("years"), [2569], "no year was started");

    let csv = "ลำดับ,มาตรการ,วิธีการ,ผู้รับผิดชอบ,ไตรมาส,ข้อเสนอแนะ\r\n1,มาตรการเปิดเผยข้อมูล,- ประกาศทางเว็บไซต์,สำนักปลัดเทศบาล,ไตรมาสที่ ๑ - ๔,\r\n";
    coordinator.start_year_from_file("banmai", 2570, csv.as_bytes().to_vec()).await.expect("started from the file");
    assert_eq!(coordinator.years("banmai").await.expect("years"), [2569, 2570]);
    let dir = tempfile::tempdir().expect("device dir");
    let reader = device(&agency.server, dir.path(), "banmai.coord", "a long enough password 2").await;
    let year = reader.agency_year(2570).await.expect("the year");
    let titles: Vec<String> = year.measures().iter().map(|(_, m)| m.title.as_str().to_string()).collect();
    assert_eq!(titles, ["มาตรการเปิดเผยข้อมูล"]);
    reader.shutdown().await;
}
