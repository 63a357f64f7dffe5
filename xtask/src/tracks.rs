//! Tracks, measured with the real server and client crate: an agency-year running five tracks
//! (the integrity measures and four more of the year's criteria), each a plan of 50 measures or
//! projects held by every one of 10 divisions, a division's results in each; the device opened
//! offline from its disk shows the first track's table, then builds the others.

use std::time::Instant;

use anyhow::Context;
use prongsai_client::{Device, DeviceConfig, ServerApi};
use prongsai_core::edit::Edit;
use prongsai_core::model::Role;
use prongsai_core::tracks::Slot;

use crate::load::{Percentiles, percentiles};
use crate::targets::{Kind, Target, admin};
use crate::years::{DIVISIONS, MEASURES, plan_csv, today};

/// A year whose criteria offer four tracks besides the integrity measures.
const YEAR: i64 = 2566;
/// The tracks added to the integrity measures.
pub const ADDED: [&str; 4] = ["anticorruption", "procurement", "personnel", "risk"];
/// How many cold loads are timed.
const RUNS: usize = 7;

pub struct TracksResult {
    /// Opening the device and the first track's table on screen from the picture it kept on its
    /// last run (what the app shows while it reads the documents).
    pub kept: Percentiles,
    /// Opening the device and the first track's table built from the documents.
    pub first: Percentiles,
    /// … and every other track's table after it.
    pub all: Percentiles,
    /// Within `first`: opening the device.
    pub open: Percentiles,
    /// Within `first`: opening the device and reading its documents (`Device::agency_year`).
    pub read: Percentiles,
}

/// A track's plan: `MEASURES` projects of three methods, every division responsible, each with
/// a budget and an indicator.
fn projects(divisions: &[String]) -> Vec<Edit> {
    let mut edits = Vec::new();
    for i in 0..MEASURES {
        let id = format!("p{i}");
        edits.push(Edit::AddMeasure {
            id: id.clone(), index: i, title: format!("โครงการที่ {} ของแผนงาน", i + 1)
        });
        for (k, text) in ["ประชุมชี้แจง", "ดำเนินการตามแผน", "รายงานผล"].into_iter().enumerate()
        {
            edits.push(Edit::AddMethod { measure: id.clone(), id: format!("{id}-{k}"), index: k, text: text.into() });
        }
        for division in divisions {
            edits.push(Edit::SetResponsible { measure: id.clone(), division: division.clone(), responsible: true });
        }
        edits.push(Edit::SetSchedule { measure: id.clone(), schedule: "1-4".into() });
        edits.push(Edit::SetBudget { measure: id.clone(), satang: Some(5_000_000 + i as i64 * 10_000) });
        edits.push(Edit::SetIndicator {
            measure: id.clone(), text: "ผู้เข้าร่วมไม่น้อยกว่าร้อยละ ๘๐".into()
        });
    }
    edits
}

pub async fn tracks(data: &std::path::Path) -> anyhow::Result<TracksResult> {
    std::fs::create_dir_all(data)?;
    let d = data.to_str().context("utf-8 path")?;
    let created: serde_json::Value = serde_json::from_str(
        &admin(&["agency", "create", "--data", d, "--id", "bench", "--name", "เทศบาลตำบลทดสอบ"], None).await?,
    )?;
    let password_of = |v: &serde_json::Value| v["admin"]["password"].as_str().map(str::to_string);
    let (username, password) = (
        created["admin"]["username"].as_str().context("admin")?.to_string(),
        password_of(&created).context("password")?,
    );
    let target = Target::start(Kind::Prongsai, data).await?;
    let login = ServerApi::new(target.http_url()).login(&username, &password, "bench").await?;
    let api = ServerApi::new(target.http_url()).with_token(&login.token);
    let mut names = Vec::new();
    let mut ids = Vec::new();
    for i in 1..=DIVISIONS {
        let division = api.add_division("bench", &format!("กองทดสอบที่ {i}")).await?;
        names.push(division.name);
        ids.push(division.id);
    }
    api.start_year_from_file("bench", YEAR, plan_csv(&names).into_bytes()).await?;
    for track in ADDED {
        let body = serde_json::json!({ "track": track });
        api.agency_call("bench", "POST", &format!("/years/{YEAR}/tracks"), Some(body)).await?;
    }
    let user = |name: &str, roles: Vec<Role>, division: Option<String>| prongsai_core::admin::NewUserRequest {
        username: name.into(),
        display_name: name.into(),
        position: String::new(),
        division,
        roles,
        password: None,
    };
    let coordinator = api.add_user("bench", &user("coordinator", vec![Role::Coordinator], None)).await?;
    let staff = api.add_user("bench", &user("staff", vec![Role::Staff], Some(ids[0].clone()))).await?;

    // The coordinator writes each track's plan on her device; a division reports in each
    // track's first round (and on the integrity measures) on its own.
    let writer = |name: &'static str, issued: prongsai_core::admin::PasswordIssued, dir: &'static str| {
        let (url, data) = (target.http_url(), data.to_path_buf());
        async move {
            let password = issued.password.context("a password")?;
            let device = Device::login(DeviceConfig::new(data.join(dir)), url, name, &password).await?;
            device.connect()?;
            device.set_year(YEAR).await?;
            anyhow::Ok(device)
        }
    };
    let planner = writer("coordinator", coordinator, "coordinator").await?;
    let ready = |device: &Device| {
        let device = device.clone();
        async move {
            for _ in 0..600 {
                if device.agency_year(YEAR).await.is_ok_and(|y| y.directory.tracks.len() == ADDED.len()) {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            anyhow::bail!("the device never had the year's tracks")
        }
    };
    ready(&planner).await?;
    for track in ADDED {
        let edits = vec![Edit::InTrack { slot: Slot::of(Some(track), None), edits: projects(&ids) }];
        planner.apply(YEAR, edits).await?;
    }
    anyhow::ensure!(planner.wait_confirmed(std::time::Duration::from_secs(120)).await, "plans confirmed");
    let reporter = writer("staff", staff, "staff").await?;
    ready(&reporter).await?;
    let division = ids[0].clone();
    let results = |prefix: &str| -> Vec<Edit> {
        (0..MEASURES)
            .map(|i| Edit::SetResultText {
                division: division.clone(),
                measure: format!("{prefix}{i}"),
                text: format!("ดำเนินการแล้ว มีผู้เข้าร่วม {} คน", 20 + i),
            })
            .collect()
    };
    for track in ADDED {
        let year = reporter.agency_year(YEAR).await?;
        anyhow::ensure!(year.plan.tracks.get(track).is_some_and(|t| t.measures.len() == MEASURES), "{track} planned");
        let first = year.tracks().into_iter().find(|t| t.id == track).and_then(|t| t.rounds.first().cloned());
        let slot = year.resolve_slot(&Slot::of(Some(track), first.map(|r| r.id).as_deref()))?;
        reporter.apply(YEAR, vec![Edit::InTrack { slot, edits: results("p") }]).await?;
    }
    let measures: Vec<String> = reporter.agency_year(YEAR).await?.plan.measures.keys().cloned().collect();
    let integrity = measures
        .iter()
        .map(|m| Edit::SetResultText {
            division: division.clone(), measure: m.clone(), text: "ดำเนินการแล้ว".into()
        })
        .collect();
    reporter.apply(YEAR, integrity).await?;
    anyhow::ensure!(reporter.wait_confirmed(std::time::Duration::from_secs(120)).await, "results confirmed");
    reporter.shutdown().await;
    // The coordinator's device receives them before it goes offline.
    let mut arrived = false;
    for _ in 0..600 {
        let year = planner.agency_year(YEAR).await?;
        let rounds = year.results.get(&division).map(|r| r.tracks.len()).unwrap_or(0);
        let reported = year.result(&measures[0], &division).is_some();
        if rounds == ADDED.len() && reported {
            arrived = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::ensure!(arrived, "the coordinator's device has every round's results");
    planner.shutdown().await;

    // A device that holds the year with every track, opened offline from its disk: the first
    // track's table, then the four others.
    let dir = data.join("coordinator");
    // The app's last run kept its first table's picture, as the app does whenever it shows one.
    {
        let device = Device::open(DeviceConfig::new(&dir)).await?.context("signed in")?;
        let year = device.current_year().await?;
        let view = prongsai_core::merged_view(&device.agency_year(year).await?, today());
        device.keep_picture(year, &view).await?;
        device.shutdown().await;
    }
    let (mut kept, mut first, mut all, mut open, mut read) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let started = Instant::now();
        let device = Device::open(DeviceConfig::new(&dir)).await?.context("signed in")?;
        open.push(started.elapsed().as_micros() as u32);
        let year = device.current_year().await?;
        let shown = device.last_picture(year, &Slot::INTEGRITY).await?.context("the kept picture")?;
        anyhow::ensure!(shown.measures.len() == MEASURES, "the kept picture is the first track's table");
        kept.push(started.elapsed().as_micros() as u32);
        let loaded = device.agency_year(year).await?;
        read.push(started.elapsed().as_micros() as u32);
        let view = prongsai_core::merged_view(&loaded, today());
        anyhow::ensure!(view.measures.len() == MEASURES && view.tracks.len() == ADDED.len() + 1, "five tracks");
        first.push(started.elapsed().as_micros() as u32);
        for track in ADDED {
            let other = prongsai_core::merged_view(&*loaded.in_slot(&Slot::of(Some(track), None))?, today());
            anyhow::ensure!(other.measures.len() == MEASURES, "{track}'s table");
        }
        all.push(started.elapsed().as_micros() as u32);
        device.shutdown().await;
    }
    target.stop().await;
    Ok(TracksResult {
        kept: percentiles(kept),
        first: percentiles(first),
        all: percentiles(all),
        open: percentiles(open),
        read: percentiles(read),
    })
}
