//! A headless field device, built on the client crate as the desktop app is.
//!
//! Writer (the fault tests): signs in once (later runs open the saved login), syncs with the
//! server, and appends `[PREFIX.i]` to its division's result text of measure m4 for i = 0, 1, 2,
//! … forever, printing `saved i` once edit i is on the device's disk. The test SIGKILLs it
//! mid-stream and checks that every printed edit survived.
//!
//! Reader (`--read`): signs in the same way and prints, as one JSON line each time it changes,
//! what this device sees of its division's result of MEASURE: the text and each evidence file
//! with the SHA-256 and pixel size of the bytes the device fetched for it. The test reads lines
//! until it sees what it waits for. The server's certificate is checked against the system's
//! roots (`SSL_CERT_FILE` names others, as for any rustls program).
//!
//! Usage: prongsai-field-writer DATA_DIR SERVER_URL USERNAME PASSWORD DIVISION PREFIX
//!        prongsai-field-writer --read DATA_DIR SERVER_URL USERNAME PASSWORD DIVISION MEASURE

use std::io::Write;

use prongsai_client::{Device, DeviceConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let read = args.first().is_some_and(|a| a == "--read");
    if read {
        args.remove(0);
    }
    let [dir, server, username, password, division, last] = args.as_slice() else {
        return Err(
            "usage: prongsai-field-writer [--read] DATA_DIR SERVER_URL USERNAME PASSWORD DIVISION PREFIX|MEASURE"
                .into(),
        );
    };
    let config = DeviceConfig::new(dir);
    let device = match Device::open(config.clone()).await? {
        Some(device) => device,
        None => Device::login(config, url::Url::parse(server)?, username, password).await?,
    };
    device.connect()?;
    // As the app does when it opens: the whole agency-year, so it is all on this device.
    device.agency_year(prongsai_tests::YEAR).await?;
    if read {
        return watch(&device, division, last).await;
    }
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        prongsai_tests::append_result(&device, division, "m4", &format!("[{prefix}.{i}]", prefix = last)).await?;
        writeln!(out, "saved {i}")?;
        out.flush()?;
    }
    Ok(())
}

/// Prints the division's result of `measure` whenever what this device sees of it changes.
async fn watch(device: &Device, division: &str, measure: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut changes = device.changes();
    let mut last = String::new();
    loop {
        let year = device.agency_year(prongsai_tests::YEAR).await?;
        let mut seen = serde_json::json!({ "text": "", "evidence": [] });
        if let Some(result) = year.result(measure, division) {
            seen["text"] = result.text.as_str().into();
            for evidence in result.evidence.values() {
                let Some(sha256) = &evidence.sha256 else { continue };
                // The file as this device opens it: from its own store, else from the server.
                let Ok(bytes) = device.evidence_file(sha256).await else { continue };
                let size = image::load_from_memory(&bytes).map(|i| [i.width(), i.height()]).ok();
                seen["evidence"].as_array_mut().expect("an array").push(serde_json::json!({
                    "file_name": evidence.file_name,
                    "sha256": sha256,
                    "fetched_sha256": prongsai_core::hash::sha256_hex(&bytes),
                    "pixels": size,
                }));
            }
        }
        let line = seen.to_string();
        if line != last {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}")?;
            out.flush()?;
            last = line;
        }
        // A file not fetched yet (the server's copy still on its way) is tried again on the next
        // change or after a while, whichever comes first.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), changes.changed()).await;
    }
}
