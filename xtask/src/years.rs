//! Years, measured with the real server and client crate: starting the next year of an
//! agency-year of 50 measures × 10 divisions on the server, switching between two years on a device
//! that holds both, and the cold load of an agency with five years on the device's disk.

use std::time::Instant;

use anyhow::Context;
use prongsai_client::{Device, DeviceConfig, ServerApi};

use crate::load::{Percentiles, percentiles};
use crate::targets::{Kind, Target, admin};

pub const MEASURES: usize = 50;
pub const DIVISIONS: usize = 10;
/// The first year, then one rollover a year up to five years.
const FIRST: i64 = 2566;
const YEARS: i64 = 5;

pub struct YearsResult {
    pub rollover: Percentiles,
    pub rollovers: usize,
    pub switch: Percentiles,
    pub cold_load: Percentiles,
    pub cold_open: Percentiles,
}

/// A plan file of `MEASURES` measures, each with three methods and every division responsible.
pub fn plan_csv(divisions: &[String]) -> String {
    let mut csv = String::from("ลำดับ,มาตรการ,วิธีการ,ผู้รับผิดชอบ,ไตรมาส,ข้อเสนอแนะ\r\n");
    for i in 1..=MEASURES {
        csv.push_str(&format!(
            "{i},\"มาตรการส่งเสริมคุณธรรมข้อที่ {i}\",\"- ประชุมชี้แจง\n- ดำเนินการตามแผน\n- รายงานผล\",\"{}\",ไตรมาสที่ ๑ - ๔,\"ควรติดตามผลอย่างต่อเนื่อง ({i})\"\r\n",
            divisions.join(",")
        ));
    }
    csv
}

pub fn today() -> prongsai_core::Date {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    prongsai_core::Date::from_unix_millis_bangkok(i64::try_from(ms).unwrap_or(0))
}

pub async fn years(data: &std::path::Path, switches: usize) -> anyhow::Result<YearsResult> {
    std::fs::create_dir_all(data)?;
    let d = data.to_str().context("utf-8 path")?;
    let created: serde_json::Value = serde_json::from_str(
        &admin(&["agency", "create", "--data", d, "--id", "bench", "--name", "เทศบาลตำบลทดสอบ"], None).await?,
    )?;
    let (username, password) = (
        created["admin"]["username"].as_str().context("admin")?.to_string(),
        created["admin"]["password"].as_str().context("password")?.to_string(),
    );
    let target = Target::start(Kind::Prongsai, data).await?;
    let login = ServerApi::new(target.http_url()).login(&username, &password, "bench").await?;
    let api = ServerApi::new(target.http_url()).with_token(&login.token);
    let mut names = Vec::new();
    for i in 1..=DIVISIONS {
        names.push(api.add_division("bench", &format!("กองทดสอบที่ {i}")).await?.name);
    }
    api.start_year_from_file("bench", FIRST, plan_csv(&names).into_bytes()).await?;

    // Each rollover on the server: measures, methods, divisions and schedules copied, every
    // division's results document made, the memo prefilled.
    let mut rollover = Vec::new();
    for year in FIRST..FIRST + YEARS - 1 {
        let started = Instant::now();
        let (next, created) = api.next_year("bench", year).await?;
        anyhow::ensure!(created && next.year == year + 1, "year {} was started", year + 1);
        rollover.push(started.elapsed().as_micros() as u32);
    }

    // A device with every year on its disk.
    let dir = data.join("device");
    let device = Device::login(DeviceConfig::new(&dir), target.http_url(), &username, &password).await?;
    device.connect()?;
    let last = FIRST + YEARS - 1;
    for year in FIRST..=last {
        device.set_year(year).await?;
        let loaded = device.agency_year(year).await?;
        anyhow::ensure!(loaded.plan.measures.len() == MEASURES, "year {year} holds the plan");
    }
    anyhow::ensure!(device.wait_confirmed(std::time::Duration::from_secs(60)).await, "in sync");

    // A switch as the app makes it: the year chosen (its document list refreshed), the session
    // for it, and the table of that year built.
    let mut switch = Vec::new();
    for i in 0..switches {
        let year = if i % 2 == 0 { last - 1 } else { last };
        let started = Instant::now();
        device.set_year(year).await?;
        let session = device.session_view(year).await?;
        let loaded = device.agency_year(year).await?;
        let view = prongsai_core::merged_view(&loaded, today());
        anyhow::ensure!(session.year == year && view.measures.len() == MEASURES, "switched to {year}");
        switch.push(started.elapsed().as_micros() as u32);
    }
    device.shutdown().await;

    // Cold load, offline: the device opened from its disk, the current year picked from the five
    // and its table built.
    let (mut cold, mut opened) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let started = Instant::now();
        let device = Device::open(DeviceConfig::new(&dir)).await?.context("signed in")?;
        opened.push(started.elapsed().as_micros() as u32);
        let years = device.years().await?;
        anyhow::ensure!(years.len() == YEARS as usize, "five years on disk: {years:?}");
        let year = device.current_year().await?;
        let loaded = device.agency_year(year).await?;
        let view = prongsai_core::merged_view(&loaded, today());
        anyhow::ensure!(view.measures.len() == MEASURES, "the table of {year}");
        cold.push(started.elapsed().as_micros() as u32);
        device.shutdown().await;
    }
    target.stop().await;
    Ok(YearsResult {
        rollovers: rollover.len(),
        rollover: percentiles(rollover),
        switch: percentiles(switch),
        cold_load: percentiles(cold),
        cold_open: percentiles(opened),
    })
}
