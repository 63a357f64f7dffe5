//! One person pressing "เริ่มปีงบประมาณใหม่", as its own process, for the test that starts the
//! same year from two processes at once. It signs in and warms its connection, prints `ready`,
//! waits for a line on stdin (the test releases every process at the same moment), asks the
//! server to start the year after YEAR, and prints `{"created": bool, "documents": [url, …]}`.
//!
//! Usage: prongsai-next-year SERVER_URL TOKEN AGENCY YEAR

use std::io::{BufRead, Write};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, token, agency, year] = args.as_slice() else {
        return Err("usage: prongsai-next-year SERVER_URL TOKEN AGENCY YEAR".into());
    };
    let year: i64 = year.parse()?;
    let api = prongsai_client::ServerApi::new(url::Url::parse(server)?).with_token(token);
    api.me().await?;
    println!("ready");
    std::io::stdout().flush()?;
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go)?;
    let (started, created) = api.next_year(agency, year).await?;
    let mut documents: Vec<String> = api.documents(agency, started.year).await?.into_iter().map(|d| d.url).collect();
    documents.sort();
    println!("{}", serde_json::json!({ "created": created, "documents": documents }));
    Ok(())
}
