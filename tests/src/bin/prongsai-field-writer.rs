//! A headless field device for the fault tests: signs in once (later runs open the saved login),
//! syncs with the server, and appends `[PREFIX.i]` to its division's result text of measure m4
//! for i = 0, 1, 2, … forever, printing `saved i` once edit i is on the device's disk. The test
//! SIGKILLs it mid-stream and checks that every printed edit survived.
//!
//! Usage: prongsai-field-writer DATA_DIR SERVER_URL USERNAME PASSWORD DIVISION PREFIX

use std::io::Write;

use prongsai_client::{Device, DeviceConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, server, username, password, division, prefix] = args.as_slice() else {
        return Err("usage: prongsai-field-writer DATA_DIR SERVER_URL USERNAME PASSWORD DIVISION PREFIX".into());
    };
    let config = DeviceConfig::new(dir);
    let device = match Device::open(config.clone()).await? {
        Some(device) => device,
        None => Device::login(config, url::Url::parse(server)?, username, password).await?,
    };
    device.connect()?;
    // As the app does when it opens: the whole agency-year, so it is all on this device.
    device.agency_year(prongsai_tests::YEAR).await?;
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        prongsai_tests::append_result(&device, division, "m4", &format!("[{prefix}.{i}]")).await?;
        writeln!(out, "saved {i}")?;
        out.flush()?;
    }
    Ok(())
}
