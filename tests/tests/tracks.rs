//! Tracks through the real server and real devices: the coordinator adds the anti-corruption
//! action plan from the year's criteria; she writes its projects on her device and a division
//! reports in the half-year round on theirs; the server's views and every export of the track
//! show them, and the integrity measures are untouched.

use std::time::Duration;

use prongsai_core::docs::MemoField;
use prongsai_core::edit::Edit;
use prongsai_core::tracks::Slot;
use prongsai_core::wire::TracksInfo;
use prongsai_tests::{Sample, Server, YEAR, device, eventually, pdf_text, signed_in_api, squash};

const LONG: Duration = Duration::from_secs(90);
const TRACK: &str = "anticorruption";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_adds_a_track_and_its_plan_and_rounds_reach_every_view_and_export() {
    let sample = Sample::create().await;
    let server = Server::start(&sample.data(), 0, &[]).await;
    let kannika = signed_in_api(&server, &sample, "kannika").await;
    let somchai = signed_in_api(&server, &sample, "somchai").await;
    let tracks = |api: prongsai_client::ServerApi| async move {
        let value = api.agency_call("pakchong", "GET", &format!("/years/{YEAR}/tracks"), None).await.expect("tracks");
        serde_json::from_value::<TracksInfo>(value).expect("tracks info")
    };
    let before = tracks(kannika.clone()).await;
    assert_eq!(before.tracks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["integrity"]);
    let offered: Vec<&str> = before.available.iter().map(|t| t.id.as_str()).collect();
    assert!(offered.contains(&TRACK) && !offered.contains(&"integrity"), "{offered:?}");

    let add = |api: prongsai_client::ServerApi, track: &'static str| async move {
        api.agency_call(
            "pakchong",
            "POST",
            &format!("/years/{YEAR}/tracks"),
            Some(serde_json::json!({ "track": track })),
        )
        .await
    };
    let refused = add(somchai.clone(), TRACK).await;
    assert!(matches!(refused, Err(prongsai_client::ApiError::Refused { status: 403, .. })), "{refused:?}");
    let unknown = add(kannika.clone(), "nogift").await;
    assert!(matches!(unknown, Err(prongsai_client::ApiError::Refused { status: 400, .. })), "not in 2565: {unknown:?}");
    let added: TracksInfo = serde_json::from_value(add(kannika.clone(), TRACK).await.expect("adds")).expect("info");
    let track = added.tracks.iter().find(|t| t.id == TRACK).expect("the track runs");
    assert_eq!(track.rounds.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["half", "annual"]);
    let again = add(kannika.clone(), TRACK).await;
    assert!(matches!(again, Err(prongsai_client::ApiError::Refused { status: 409, .. })), "{again:?}");
    // Each round is cut off at the end of its share of the fiscal year; the coordinator moves it.
    let cutoffs: Vec<Option<String>> = track.rounds.iter().map(|r| r.cutoff.clone()).collect();
    assert_eq!(cutoffs, [Some("2022-03-31".to_string()), Some("2022-09-30".to_string())]);
    let set_cutoff = |api: prongsai_client::ServerApi, round: &'static str, day: &'static str| async move {
        let path = format!("/years/{YEAR}/tracks/{TRACK}/rounds/{round}");
        api.agency_call("pakchong", "PUT", &path, Some(serde_json::json!({ "cutoff": day }))).await
    };
    let moved: TracksInfo =
        serde_json::from_value(set_cutoff(kannika.clone(), "half", "2022-04-10").await.expect("moved")).expect("info");
    let half = moved.tracks.iter().find(|t| t.id == TRACK).and_then(|t| t.rounds.first().cloned()).expect("half");
    assert_eq!(half.cutoff.as_deref(), Some("2022-04-10"));
    let status_code = |answer: Result<serde_json::Value, prongsai_client::ApiError>| match answer {
        Err(prongsai_client::ApiError::Refused { status, .. }) => status,
        Err(prongsai_client::ApiError::NotFound) => 404,
        other => panic!("refused, not {other:?}"),
    };
    assert_eq!(status_code(set_cutoff(somchai.clone(), "half", "2022-04-10").await), 403);
    assert_eq!(status_code(set_cutoff(kannika.clone(), "monthly", "2022-04-10").await), 404);
    assert_eq!(status_code(set_cutoff(kannika.clone(), "half", "2023-04-10").await), 400, "not a day of 2565");
    assert_eq!(status_code(set_cutoff(kannika.clone(), "half", "31/03/2565").await), 400);

    // The coordinator writes the track's plan on her device; สำนักปลัด reports on theirs.
    let coordinator = device(&server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    eventually("her device has the track", LONG, || async {
        coordinator.agency_year(YEAR).await.is_ok_and(|y| y.directory.tracks.contains_key(TRACK))
    })
    .await;
    let slot = |round: Option<&str>| Slot::of(Some(TRACK), round);
    coordinator
        .apply(
            YEAR,
            vec![Edit::InTrack {
                slot: slot(None),
                edits: vec![
                    Edit::AddMeasure {
                        id: "ac1".into(), index: 0, title: "โครงการอบรมคุณธรรมแก่บุคลากร".into()
                    },
                    Edit::SetResponsible { measure: "ac1".into(), division: "palad".into(), responsible: true },
                    Edit::SetSchedule { measure: "ac1".into(), schedule: "1-4".into() },
                    Edit::SetBudget { measure: "ac1".into(), satang: Some(1_234_550) },
                    Edit::SetIndicator {
                        measure: "ac1".into(), text: "ร้อยละ 80 ของบุคลากร".into()
                    },
                ],
            }],
        )
        .await
        .expect("the track's plan");
    assert!(coordinator.wait_confirmed(LONG).await);
    let staff = device(&server, &sample.device_dir("somchai"), "somchai", sample.password("somchai")).await;
    eventually("the division's device has the project", LONG, || async {
        staff
            .agency_year(YEAR)
            .await
            .is_ok_and(|y| y.plan.tracks.get(TRACK).is_some_and(|t| t.measures.contains_key("ac1")))
    })
    .await;
    let year = staff.agency_year(YEAR).await.expect("year");
    let half = year.resolve_slot(&slot(Some("half"))).expect("the half round");
    staff
        .apply(
            YEAR,
            vec![Edit::InTrack {
                slot: half,
                edits: vec![Edit::SetResultText {
                    division: "palad".into(),
                    measure: "ac1".into(),
                    text: "อบรมแล้ว 1 รุ่น".into(),
                }],
            }],
        )
        .await
        .expect("the division reports");
    assert!(staff.wait_confirmed(LONG).await);
    // Another division's results are not theirs to write, in a track as anywhere.
    let theirs = vec![Edit::InTrack {
        slot: year.resolve_slot(&slot(Some("half"))).expect("half"),
        edits: vec![Edit::SetResultText { division: "klang".into(), measure: "ac1".into(), text: "x".into() }],
    }];
    assert!(staff.apply(YEAR, theirs).await.is_err(), "another division's document");
    // The half round's memo is the coordinator's to write, like the integrity measures'.
    let memo = |text: &str| {
        vec![Edit::InTrack {
            slot: year.resolve_slot(&slot(Some("half"))).expect("half"),
            edits: vec![Edit::SetMemoField { field: MemoField::Facts, text: text.into() }],
        }]
    };
    assert!(staff.apply(YEAR, memo("x")).await.is_err(), "the memo is not a division's");
    coordinator.apply(YEAR, memo("สำนักปลัดรวบรวมผลครบรอบ 6 เดือนแล้ว")).await.expect("her memo");
    assert!(coordinator.wait_confirmed(LONG).await);

    // The server's view of the track: its project and the half round's result; the annual
    // round shows the half round's words until the division reports there.
    let status = |round: &'static str| {
        let api = kannika.clone();
        async move {
            api.agency_call("pakchong", "GET", &format!("/years/{YEAR}/status?track={TRACK}&round={round}"), None)
                .await
                .expect("status")
        }
    };
    let result_text = |status: &serde_json::Value| {
        status["measures"][0]["cells"]
            .as_array()
            .and_then(|cells| cells.iter().find(|c| c["division"] == "palad"))
            .map(|c| c["text"].as_str().unwrap_or_default().to_string())
    };
    let half_status = status("half").await;
    assert_eq!(half_status["measures"].as_array().map(Vec::len), Some(1), "the track's measures only");
    assert_eq!(result_text(&half_status).as_deref(), Some("อบรมแล้ว 1 รุ่น"));
    assert_eq!(result_text(&status("annual").await).as_deref(), Some("อบรมแล้ว 1 รุ่น"), "carried");
    let integrity =
        kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/status"), None).await.expect("status");
    assert!(integrity["measures"].as_array().is_some_and(|m| m.len() > 1 && m.iter().all(|m| m["id"] != "ac1")));
    for path in ["status", "memo"] {
        let unknown = kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/{path}?track=nogift"), None).await;
        assert!(matches!(
            unknown,
            Err(prongsai_client::ApiError::NotFound | prongsai_client::ApiError::Refused { status: 404, .. })
        ));
    }
    // The server's memo of each round: the half round's with her facts, the annual's unwritten;
    // both addressed from the integrity memo.
    let memo_of = |round: &'static str| {
        let api = kannika.clone();
        async move {
            api.agency_call("pakchong", "GET", &format!("/years/{YEAR}/memo?track={TRACK}&round={round}"), None)
                .await
                .expect("memo")
        }
    };
    let integrity_memo =
        kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/memo"), None).await.expect("memo");
    let (half_memo, annual_memo) = (memo_of("half").await, memo_of("annual").await);
    let content = |m: &serde_json::Value, field: &str| m["report"]["content"][field].clone();
    assert_eq!(content(&half_memo, "facts"), "สำนักปลัดรวบรวมผลครบรอบ 6 เดือนแล้ว");
    assert_eq!(content(&annual_memo, "facts"), "");
    assert_eq!(content(&half_memo, "department"), content(&integrity_memo, "department"));
    assert_ne!(content(&half_memo, "subject"), content(&integrity_memo, "subject"));
    assert_ne!(content(&integrity_memo, "facts"), content(&half_memo, "facts"), "the integrity memo's own");

    // Every export of the track, over HTTP and from the command line.
    let token = prongsai_client::ServerApi::new(server.url())
        .login("kannika", sample.password("kannika"), "test")
        .await
        .expect("login")
        .token;
    let get = |query: String| {
        let url = server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/reports/{query}")).expect("url");
        let token = token.clone();
        async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.expect("get") }
    };
    let plan = get(format!("pdf?track={TRACK}&round=plan")).await;
    assert_eq!(plan.status(), 200);
    let text = squash(&pdf_text(&plan.bytes().await.expect("pdf")));
    assert!(
        text.contains("แผนปฏิบัติการป้องกันการทุจริต") && text.contains("๑๒,๓๔๕.๕๐") && text.contains("ร้อยละ๘๐ของบุคลากร"),
        "{text}"
    );
    let report = get(format!("pdf?track={TRACK}&round=half")).await;
    assert_eq!(report.status(), 200);
    let text = squash(&pdf_text(&report.bytes().await.expect("pdf")));
    assert!(text.contains("รอบ๖เดือน") && text.contains("อบรมแล้ว๑รุ่น"), "{text}");
    assert!(text.contains("บันทึกข้อความ") && text.contains("สำนักปลัดรวบรวมผลครบรอบ๖เดือนแล้ว"), "the round's memo: {text}");
    for format in ["docx", "html", "xlsx"] {
        assert_eq!(get(format!("{format}?track={TRACK}&round=half")).await.status(), 200, "{format}");
    }
    assert_eq!(get(format!("pdf?track={TRACK}&round=monthly")).await.status(), 404);
    let out = sample.data().join("track-half.pdf");
    let (data, year, out_path) = (sample.data().display().to_string(), YEAR.to_string(), out.display().to_string());
    let args = ["export", "--data", &data, "--agency", "pakchong", "--year", &year, "--format", "pdf"];
    prongsai_tests::cli(&[&args[..], &["--track", TRACK, "--round", "half", "-o", &out_path]].concat(), None).await;
    assert!(squash(&pdf_text(&std::fs::read(&out).expect("written"))).contains("อบรมแล้ว๑รุ่น"));

    // The coordinator imports more projects from a file with the plan's budget and indicator
    // columns: a new project is added, the existing one updated in place, and a budget that is
    // not an amount is read as none and said so; the integrity measures are untouched.
    let csv = "ลำดับ,โครงการ/กิจกรรม,วิธีดำเนินการ,ผู้รับผิดชอบ,ระยะเวลาดำเนินงาน,งบประมาณ (บาท),ตัวชี้วัด\r\n\
               1,โครงการอบรมคุณธรรมแก่บุคลากร,อบรม,สำนักปลัด,ไตรมาสที่ ๑ - ๔,\"๑๕,๐๐๐\",ร้อยละ 80 ของบุคลากร\r\n\
               2,โครงการเผยแพร่ประมวลจริยธรรม,จัดทำแผ่นพับ,กองคลัง,ไตรมาสที่ ๒,งบกลาง,ผู้รับทราบ ๒๐๐ คน\r\n";
    let import = reqwest::Client::new()
        .post(server.url().join(&format!("api/agencies/pakchong/years/{YEAR}/import?track={TRACK}")).expect("url"))
        .bearer_auth(&token)
        .body(csv.as_bytes().to_vec())
        .send()
        .await
        .expect("import");
    assert_eq!(import.status(), 200);
    let answer: serde_json::Value = import.json().await.expect("json");
    assert_eq!(answer["applied"], serde_json::json!(true), "{answer}");
    assert!(answer["rows"][1]["notes"].to_string().contains("งบประมาณ"), "the word is not an amount: {answer}");
    let status = status("half").await;
    let projects: Vec<(String, Option<i64>, String)> = status["measures"]
        .as_array()
        .expect("measures")
        .iter()
        .map(|m| {
            (
                m["title"].as_str().unwrap_or_default().to_string(),
                m["budget"].as_i64(),
                m["indicator"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        projects,
        [
            ("โครงการอบรมคุณธรรมแก่บุคลากร".to_string(), Some(1_500_000), "ร้อยละ 80 ของบุคลากร".to_string()),
            ("โครงการเผยแพร่ประมวลจริยธรรม".to_string(), None, "ผู้รับทราบ ๒๐๐ คน".to_string()),
        ]
    );
    let integrity =
        kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/status"), None).await.expect("status");
    assert!(
        integrity["measures"].as_array().is_some_and(|m| m.iter().all(|m| m["title"] != "โครงการเผยแพร่ประมวลจริยธรรม"))
    );
    coordinator.shutdown().await;
    staff.shutdown().await;
}

/// A track's plan and each of its rounds are signed by the same chain as the integrity measures,
/// each by itself: a round every step approved waits for the track's plan, then goes out at its
/// own address (`{item}-{round}` before the last round), with its own verification code naming
/// the track and round, and fills in its own ITAS item; the integrity report is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracks_plan_and_each_round_are_signed_and_published_at_their_own_addresses() {
    use prongsai_core::report_model::Part;
    use prongsai_core::tracks::Target;
    let items = prongsai_tests::track_items(YEAR, TRACK);
    let plan_item = items.plan.clone().expect("a plan item");
    let (half_item, annual_item) = (items.rounds[0].item.clone(), items.rounds[1].item.clone());
    let (plan_slug, half_slug, annual_slug) =
        (plan_item.slug(), format!("{}-half", half_item.slug()), annual_item.slug());
    let sample = Sample::create().await;
    let site = "https://ita.pakchong.example";
    let server = Server::start(&sample.data(), 0, &["--public-url", site]).await;
    prongsai_tests::add_track(&server, &sample, TRACK).await;
    let (coordinator, staff) = prongsai_tests::a_project_planned(&server, &sample, "somchai").await;
    let half = Slot::of(Some(TRACK), Some("half"));
    let report =
        |text: &str| Edit::SetResultText { division: "palad".into(), measure: "ac1".into(), text: text.into() };
    staff
        .apply(
            YEAR,
            vec![Edit::InTrack {
                slot: half.clone(), edits: vec![report("อบรมแล้ว ๑ รุ่น")]
            }],
        )
        .await
        .expect("half");
    assert!(staff.wait_confirmed(LONG).await);
    let kannika = signed_in_api(&server, &sample, "kannika").await;
    let target = |round: Option<&str>, part: Part| Target { slot: Slot::of(Some(TRACK), round), part };
    let sign = |user: &'static str, step: &'static str, target: Target| {
        let (server, sample) = (&server, &sample);
        async move {
            let api = signed_in_api(server, sample, user).await;
            let body = prongsai_core::wire::SignRequest {
                decision: prongsai_core::model::SignatureDecision::Approved,
                comment: String::new(),
                date: None,
            };
            api.sign_target("pakchong", YEAR, &target, step, &body).await
        }
    };
    let chain = [("parichat", "head"), ("amnang", "palad"), ("winai", "mayor")];

    // Out of order, by the wrong person, or for a round the track does not have: refused.
    let early = sign("winai", "mayor", target(Some("half"), Part::Report)).await;
    assert!(matches!(early, Err(prongsai_client::ApiError::Refused { status: 409, .. })), "{early:?}");
    let wrong = sign("winai", "head", target(Some("half"), Part::Report)).await;
    assert!(matches!(wrong, Err(prongsai_client::ApiError::Refused { status: 403, .. })), "{wrong:?}");
    fn not_found<T>(answer: &Result<T, prongsai_client::ApiError>) -> bool {
        matches!(
            answer,
            Err(prongsai_client::ApiError::NotFound | prongsai_client::ApiError::Refused { status: 404, .. })
        )
    }
    for round in ["monthly", "../half", "plan/../half"] {
        let nowhere = sign("parichat", "head", target(Some(round), Part::Report)).await;
        assert!(not_found(&nowhere), "no round {round:?}: {nowhere:?}");
    }
    let other = Target { slot: Slot::of(Some("nogift"), None), part: Part::Plan };
    let untracked = sign("parichat", "head", other.clone()).await;
    assert!(not_found(&untracked), "a track the year does not run: {untracked:?}");
    assert!(not_found(&kannika.published_target("pakchong", YEAR, &other).await.map(|_| ())));

    // Every step approves the half round: it waits for the track's plan.
    for (user, step) in chain {
        sign(user, step, target(Some("half"), Part::Report)).await.expect("signs the half round");
    }
    let info = |t: Target| {
        let api = kannika.clone();
        async move { api.published_target("pakchong", YEAR, &t).await.expect("publication info") }
    };
    eventually("the half round waits for the plan", LONG, || async {
        info(target(Some("half"), Part::Report)).await.waits_for_plan
    })
    .await;
    assert_eq!(prongsai_tests::fetch(&server, &format!("public/pakchong/{YEAR}/{half_slug}.pdf")).await.0, 404);

    // The plan is signed: it goes out under its item, then the half round under `{item}-half`.
    for (user, step) in chain {
        sign(user, step, target(None, Part::Plan)).await.expect("signs the track's plan");
    }
    let half_info = prongsai_tests::eventually_seen("the half round is published", LONG, || async {
        let now = info(target(Some("half"), Part::Report)).await;
        now.published.clone().map(|_| now).ok_or("not yet")
    })
    .await;
    assert_eq!(half_info.pdf, format!("/public/pakchong/{YEAR}/{half_slug}.pdf"));
    let plan_info = info(target(None, Part::Plan)).await;
    assert_eq!(plan_info.pdf, format!("/public/pakchong/{YEAR}/{plan_slug}.pdf"));
    assert!(plan_info.published.is_some());
    let (status, pdf) = prongsai_tests::fetch(&server, &format!("public/pakchong/{YEAR}/{half_slug}.pdf")).await;
    assert_eq!(status, 200);
    let text = squash(&pdf_text(&pdf));
    for expected in ["โครงการอบรมคุณธรรม", "อบรมแล้ว๑รุ่น", "ลงนามในระบบ", half_item.code.as_str()]
    {
        assert!(text.contains(expected), "{expected} in the published half round: {text}");
    }
    assert_eq!(prongsai_tests::fetch(&server, &format!("public/pakchong/{YEAR}/{plan_slug}.pdf")).await.0, 200);
    // The annual round is not signed: nothing at its address; the integrity report neither.
    assert_eq!(prongsai_tests::fetch(&server, &format!("public/pakchong/{YEAR}/{annual_slug}.pdf")).await.0, 404);
    assert!(kannika.published("pakchong", YEAR, Part::Report).await.expect("info").published.is_none());

    // Its code verifies, naming the track and the round.
    let code = half_info.published.as_ref().and_then(|p| p.code.clone()).expect("a code");
    let verified = prongsai_tests::verified(&server, &code).await;
    assert_eq!(
        (&verified["track"], &verified["round"], &verified["hash_matches"], &verified["item"]),
        (
            &serde_json::json!(TRACK),
            &serde_json::json!("half"),
            &serde_json::json!(true),
            &serde_json::json!(half_item.code)
        ),
        "{verified}"
    );
    // A later edit of the half round shows as no longer matching what was signed.
    staff.apply(YEAR, vec![Edit::InTrack { slot: half, edits: vec![report("อบรมแล้ว ๒ รุ่น")] }]).await.expect("edit");
    assert!(staff.wait_confirmed(LONG).await);
    eventually("the code no longer matches", LONG, || async {
        prongsai_tests::verified(&server, &code).await["hash_matches"] == serde_json::json!(false)
    })
    .await;

    // The ITAS sheet fills the plan's and the half round's items in by itself.
    eventually("the directory records both", LONG, || async {
        coordinator.agency_year(YEAR).await.is_ok_and(|y| {
            [&plan_item.code, &half_item.code].iter().all(|code| {
                y.directory
                    .publications
                    .get(code.as_str())
                    .is_some_and(|p| p.url.starts_with(&format!("{site}/public/pakchong/")))
            })
        })
    })
    .await;
    // The server's sheet: the plan's and the half round's items answered by their publications,
    // the annual round's waiting for its own, each named by what answers it.
    let sheet = kannika.agency_call("pakchong", "GET", &format!("/years/{YEAR}/itas"), None).await.expect("the sheet");
    let row = |code: &str| {
        sheet["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["code"] == code))
            .cloned()
            .expect("on the sheet")
    };
    for (code, state) in
        [(&plan_item.code, "answered"), (&half_item.code, "answered"), (&annual_item.code, "unpublished")]
    {
        let item = row(code);
        assert_eq!(item["state"], state, "{item}");
        assert_eq!(item["prongsai"], true, "{item}");
    }
    assert_eq!(row(&annual_item.code)["answered_by"], items.rounds[1].round_title.as_str());
    coordinator.shutdown().await;
    staff.shutdown().await;
}
