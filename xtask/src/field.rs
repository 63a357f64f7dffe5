//! What a field device and the central office feel, measured with the real client crate against
//! prongsai-server and the sample agency: durability confirmation, an offline batch merging, a
//! cold load of the agency-year, and report rendering.

use std::time::{Duration, Instant};

use anyhow::Context;
use prongsai_client::{Device, DeviceConfig};
use prongsai_core::model::DocKind;

use crate::load::{Percentiles, percentiles};
use crate::targets::{Kind, Target, admin};

pub struct FieldResult {
    pub saved_locally: Percentiles,
    pub durable: Percentiles,
    pub offline_batch: usize,
    pub offline_merge_ms: f64,
    /// Within the merge: the connection up, and the server's durability answer.
    pub connected_ms: f64,
    pub server_durable_ms: f64,
    pub cold_load: Percentiles,
    /// Within the cold load: opening the device (its database, repo and saved login).
    pub cold_open: Percentiles,
}

async fn results_doc(device: &Device, division: &str) -> anyhow::Result<String> {
    Ok(device
        .documents(prongsai_tests::YEAR)
        .await?
        .into_iter()
        .find(|e| e.kind == DocKind::Results && e.division.as_deref() == Some(division))
        .context("the division's results document")?
        .document_id()
        .to_string())
}

async fn heads(device: &Device, doc_id: &str) -> anyhow::Result<Vec<prongsai_core::automerge::ChangeHash>> {
    Ok(device.handle(doc_id).await?.with_document_async(|doc| doc.get_heads()).await?)
}

pub async fn field(data: &std::path::Path, edits: usize, batch: usize) -> anyhow::Result<FieldResult> {
    std::fs::create_dir_all(data)?;
    let d = data.to_str().context("utf-8 path")?;
    let accounts: Vec<serde_json::Value> = serde_json::from_str(&admin(&["sample", "--data", d], None).await?)?;
    let password = |user: &str| -> anyhow::Result<String> {
        accounts
            .iter()
            .find(|a| a["username"] == user)
            .and_then(|a| a["password"].as_str())
            .map(str::to_string)
            .with_context(|| format!("no sample account {user}"))
    };
    let target = Target::start(Kind::Prongsai, data).await?;
    let devices = data.join("devices");

    // Edit → on the device's disk → the server's durability confirmation, one edit at a time.
    let online =
        Device::login(DeviceConfig::new(devices.join("online")), target.http_url(), "somchai", &password("somchai")?)
            .await?;
    online.connect()?;
    online.agency_year(prongsai_tests::YEAR).await?;
    let doc_id = results_doc(&online, "palad").await?;
    let (mut saved, mut durable) = (Vec::new(), Vec::new());
    for i in 0..edits {
        let started = Instant::now();
        prongsai_tests::append_result(&online, "palad", "m4", &format!("[{i}]")).await?;
        saved.push(started.elapsed().as_micros() as u32);
        let h = heads(&online, &doc_id).await?;
        while !online.api().durable(&doc_id, &h, Duration::from_secs(5)).await? {}
        durable.push(started.elapsed().as_micros() as u32);
    }

    // A day offline: `batch` edits (one change each), then the connection comes back.
    let offline =
        Device::login(DeviceConfig::new(devices.join("offline")), target.http_url(), "wipa", &password("wipa")?)
            .await?;
    offline.connect()?;
    offline.agency_year(prongsai_tests::YEAR).await?;
    anyhow::ensure!(offline.wait_confirmed(Duration::from_secs(30)).await, "the first sync finishes");
    offline.disconnect();
    for i in 0..batch {
        prongsai_tests::append_result(&offline, "klang", "m4", &format!("[{i}]")).await?;
    }
    let batch_doc = results_doc(&offline, "klang").await?;
    let batch_heads = heads(&offline, &batch_doc).await?;
    let started = Instant::now();
    offline.connect()?;
    anyhow::ensure!(offline.wait_connected(Duration::from_secs(30)).await, "the device reconnects");
    let connected_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The server's own answer, asked beside the device's: when the batch is durable there.
    anyhow::ensure!(offline.api().durable(&batch_doc, &batch_heads, Duration::from_secs(60)).await?, "durable");
    let server_durable_ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(offline.wait_confirmed(Duration::from_secs(120)).await, "the batch is confirmed");
    let offline_merge_ms = started.elapsed().as_secs_f64() * 1000.0;
    offline.shutdown().await;

    // Cold load: open the device from its disk and build the whole agency-year.
    let (mut cold, mut opened) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let started = Instant::now();
        let device = Device::open(DeviceConfig::new(devices.join("offline"))).await?.context("signed in")?;
        opened.push(started.elapsed().as_micros() as u32);
        let year = device.agency_year(prongsai_tests::YEAR).await?;
        anyhow::ensure!(!year.plan.measures.is_empty(), "the plan loads");
        cold.push(started.elapsed().as_micros() as u32);
        device.shutdown().await;
    }
    online.shutdown().await;
    target.stop().await;
    Ok(FieldResult {
        saved_locally: percentiles(saved),
        durable: percentiles(durable),
        offline_batch: batch,
        offline_merge_ms,
        connected_ms,
        server_durable_ms,
        cold_load: percentiles(cold),
        cold_open: percentiles(opened),
    })
}

pub struct ReportTiming {
    pub file: String,
    pub bytes: usize,
    /// The first render in this process (fonts parsed, caches cold).
    pub first_ms: f64,
    pub median_ms: f64,
    pub max_ms: f64,
}

/// Each report format of the sample agency-year, rendered `runs` times after a first one.
pub fn reports(runs: usize) -> anyhow::Result<Vec<ReportTiming>> {
    use prongsai_report::{Format, Options, render};
    let year = prongsai_core::sample::pakchong_2565().typed_documents(0)?.into_agency_year();
    let mut out = Vec::new();
    for format in Format::ALL {
        let started = Instant::now();
        let bytes = render(&year, format, &Options::default())?.len();
        let first_ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut times = Vec::new();
        for run in 0..runs {
            // A different suggestion each time, as after an edit: typst's memoized layout of the
            // previous render cannot answer for this one.
            let mut year = year.clone();
            if let Some(measure) = year.plan.measures.values_mut().next() {
                measure.suggestion = prongsai_core::autosurgeon::Text::with_value(format!("ข้อเสนอแนะฉบับที่ {run}"));
            }
            let started = Instant::now();
            render(&year, format, &Options::default())?;
            times.push(started.elapsed().as_micros() as u32);
        }
        let p = percentiles(times);
        out.push(ReportTiming {
            file: format.file_name("pakchong", year.fiscal_year(), year.track_items().as_ref()),
            bytes,
            first_ms,
            median_ms: p.p50_ms,
            max_ms: p.max_ms,
        });
    }
    Ok(out)
}
