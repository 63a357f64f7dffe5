//! The end-to-end harness: the real `prongsai-server` binary on loopback with a real SQLite file,
//! and real devices (the client crate). Every wait polls a condition with a deadline.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use prongsai_client::{Device, DeviceConfig};

pub mod proxy;
pub mod webdriver;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A built binary of this workspace, next to the test executable's directory.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it runs from");
    let dir = exe.parent().and_then(Path::parent).expect("tests run from target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (cargo build --workspace --all-targets)",
        path.display()
    );
    path
}

pub fn server_binary() -> PathBuf {
    workspace_binary("prongsai-server")
}

/// Whether the end-to-end tests keep the server's data in PostgreSQL
/// (`PRONGSAI_TEST_BACKEND=postgres`: each [`Sample`] gets a throwaway cluster of its own) rather
/// than in the data directory's SQLite file.
pub fn on_postgres() -> bool {
    std::env::var("PRONGSAI_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The PostgreSQL database each sample data directory stands for, on that backend: commands
/// and servers given `--data DIR` get `PRONGSAI_DATABASE` too, so tests name only the directory.
static DATABASES: std::sync::Mutex<Vec<(PathBuf, String)>> = std::sync::Mutex::new(Vec::new());

fn database_of(data: &Path) -> Option<String> {
    let databases = DATABASES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    databases.iter().find(|(dir, _)| dir == data).map(|(_, url)| url.clone())
}

/// The database a command's `--data DIR` stands for, if any.
fn database_for_args(args: &[&str]) -> Option<String> {
    let at = args.iter().position(|a| *a == "--data")?;
    database_of(Path::new(args.get(at + 1)?))
}

/// Runs a `prongsai-server` subcommand to completion, succeeding or not: whether it did, its
/// stdout and its stderr.
pub async fn run_cli(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut command = Command::new(server_binary());
    if let Some(url) = database_for_args(args) {
        command.env("PRONGSAI_DATABASE", url);
    }
    command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn().expect("the server binary starts");
    if let Some(input) = stdin {
        use tokio::io::AsyncWriteExt;
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes()).await.expect("writing stdin");
    }
    drop(child.stdin.take());
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command finishes within 2 minutes")
        .expect("the command runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// A string at the root of one of the year's documents on `device`: a JavaScript string arrives
/// as a text object (automerge 3), a Rust `put` as a scalar.
pub async fn root_string(device: &Device, key: &prongsai_core::model::DocKey, field: &str) -> Option<String> {
    use prongsai_core::automerge::{ROOT, ReadDoc, Value};
    let doc = device.document(YEAR, key).await.ok()?;
    match doc.get(ROOT, field).ok().flatten()? {
        (Value::Scalar(s), _) => s.as_str().map(str::to_string),
        (Value::Object(_), id) => doc.text(&id).ok(),
    }
}

/// Adds a user to an agency with the command line; returns the password.
pub async fn add_user(data: &str, agency: &str, username: &str, roles: &[&str], division: Option<&str>) -> String {
    let password = format!("รหัส-{username}-ยาวพอ");
    let mut args = vec!["user", "add", "--data", data, "--agency", agency, "--username", username];
    args.extend(["--display-name", "ผู้ทดสอบ", "--password-stdin"]);
    for role in roles {
        args.extend(["--role", role]);
    }
    if let Some(division) = division {
        args.extend(["--division", division]);
    }
    cli(&args, Some(&password)).await;
    password
}

/// A second agency, `nongbua`, with the sample's documents.
pub async fn second_agency(data: &str) {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/fixtures/pakchong-2565.json");
    cli(&["agency", "create", "--data", data, "--id", "nongbua", "--name", "อบต.หนองบัว", "--fixture", fixture], None)
        .await;
}

/// Runs `tests/js/interop.mjs`, a client built on the reference `@automerge/automerge-repo`
/// packages, against `server` as `username`: it waits for `marker` in the plan, writes a marker of
/// its own into its division's results until the server confirms it durable, then tries a
/// forbidden write to the plan. Panics with its output if it fails.
pub async fn run_node_client(server: &url::Url, username: &str, password: &str, agency: &str, marker: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/js/interop.mjs");
    let modules = concat!(env!("CARGO_MANIFEST_DIR"), "/js/node_modules/@automerge/automerge-repo");
    assert!(Path::new(modules).exists(), "run `npm install --prefix tests/js` first (the test command does)");
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .arg(script)
            .args([server.as_str(), username, password, agency, &YEAR.to_string(), marker])
            .output(),
    )
    .await
    .expect("the Node client finishes within 2 minutes")
    .expect("node runs");
    assert!(
        output.status.success(),
        "the Node client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a `prongsai-server` subcommand to completion; returns stdout, panicking with stderr on failure.
pub async fn cli(args: &[&str], stdin: Option<&str>) -> String {
    let (ok, stdout, stderr) = run_cli(args, stdin).await;
    assert!(ok, "prongsai-server {args:?} failed: {stderr}");
    stdout
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Account {
    pub username: String,
    pub password: String,
    pub role: String,
    pub division: Option<String>,
}

/// A data directory holding the sample agency, and its accounts. On PostgreSQL
/// ([`on_postgres`]) the data is in a throwaway cluster of the sample's own, which the directory
/// stands for in every command and server the test starts.
pub struct Sample {
    pub dir: tempfile::TempDir,
    pub accounts: Vec<Account>,
    postgres: Option<prongsai_testpg::Cluster>,
}

impl Sample {
    pub async fn create() -> Sample {
        if on_postgres() { Sample::create_on_postgres().await } else { Sample::create_on_sqlite().await }
    }

    /// The sample in the data directory's SQLite file whatever the test backend (for a test of
    /// that file itself).
    pub async fn create_on_sqlite() -> Sample {
        let dir = Sample::directory();
        let data = dir.path().join("data");
        let out = cli(&["sample", "--data", data.to_str().expect("utf-8 path")], None).await;
        let accounts: Vec<Account> = serde_json::from_str(&out).expect("sample prints only the accounts as JSON");
        Sample { dir, accounts, postgres: None }
    }

    /// The sample in a new PostgreSQL cluster of its own (stopped and removed with the sample).
    pub async fn create_on_postgres() -> Sample {
        let dir = Sample::directory();
        let cluster = tokio::task::spawn_blocking(|| {
            let cluster = prongsai_testpg::Cluster::start().expect("a PostgreSQL cluster starts");
            cluster.create_database("prongsai").expect("a database");
            cluster
        })
        .await
        .expect("starting PostgreSQL");
        let data = dir.path().join("data");
        DATABASES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((data.clone(), cluster.url("prongsai")));
        let out = cli(&["sample", "--data", data.to_str().expect("utf-8 path")], None).await;
        let accounts: Vec<Account> = serde_json::from_str(&out).expect("sample prints only the accounts as JSON");
        Sample { dir, accounts, postgres: Some(cluster) }
    }

    /// A sample made from data already in `dir/data` (SQLite).
    pub fn in_directory(dir: tempfile::TempDir, accounts: Vec<Account>) -> Sample {
        Sample { dir, accounts, postgres: None }
    }

    fn directory() -> tempfile::TempDir {
        let mut dir = tempfile::tempdir().expect("a temporary directory");
        // PRONGSAI_KEEP_TEST_DATA=1 keeps data directories and server logs for debugging.
        if std::env::var_os("PRONGSAI_KEEP_TEST_DATA").is_some() {
            dir.disable_cleanup(true);
            eprintln!("test data kept in {}", dir.path().display());
        }
        dir
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Where the server keeps this sample's data.
    pub fn location(&self) -> prongsai_sync_server::Location {
        match &self.postgres {
            Some(cluster) => prongsai_sync_server::Location::Postgres(cluster.url("prongsai")),
            None => prongsai_sync_server::Location::Dir(self.data()),
        }
    }

    /// Changes the stored data behind the server's back (as an operator with SQL would), in
    /// the backend's own SQL client.
    pub async fn execute_sql(&self, sql: &str) {
        match &self.postgres {
            Some(cluster) => {
                cluster.psql("prongsai", sql).expect("the SQL runs");
            }
            None => {
                let conn = rusqlite::Connection::open(self.data().join("prongsai.sqlite3")).expect("the database");
                conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
                conn.execute_batch(sql).expect("the SQL runs");
            }
        }
    }

    /// The chunks the server has committed for a document, keyed by their storage key, read
    /// from the backend (without changing anything) while the server runs.
    pub async fn stored_chunks(&self, doc_id: &str) -> std::collections::HashMap<String, Vec<u8>> {
        use prongsai_sync_server::db::Database as _;
        let store = prongsai_sync_server::Store::open_read_only(&self.location()).await.expect("the storage opens");
        store.chunk_load_prefix(format!("{doc_id}/")).await.expect("the chunks")
    }

    pub fn password(&self, username: &str) -> &str {
        &self
            .accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap_or_else(|| panic!("no sample account {username}"))
            .password
    }

    /// The sample's own PostgreSQL cluster, on that backend.
    pub fn postgres(&self) -> Option<&prongsai_testpg::Cluster> {
        self.postgres.as_ref()
    }

    /// The same, to crash and restart it.
    pub fn postgres_mut(&mut self) -> Option<&mut prongsai_testpg::Cluster> {
        self.postgres.as_mut()
    }

    /// A fresh directory for one device.
    pub fn device_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join("devices").join(name)
    }
}

/// Every step of the sample's approval chains approves, in order, each through the server's signing
/// API as its own approver: first the plan, then the memo as it stands; both publish themselves.
pub async fn sign_every_step(server: &Server, sample: &Sample) {
    sign_the_plan(server, sample).await;
    for (user, step) in [("parichat", "head"), ("amnang", "palad"), ("winai", "mayor")] {
        let api = signed_in_api(server, sample, user).await;
        api.sign("pakchong", YEAR, step, "approved", "", None).await.expect("signs");
    }
}

/// The sample's approvers approve its plan, step by step: the plan is published, and the report
/// may be published after it.
pub async fn sign_the_plan(server: &Server, sample: &Sample) {
    for (user, step) in [("parichat", "head"), ("amnang", "palad"), ("winai", "mayor")] {
        let api = signed_in_api(server, sample, user).await;
        api.sign_part("pakchong", YEAR, prongsai_core::report_model::Part::Plan, step, "approved", "", None)
            .await
            .expect("signs the plan");
    }
}

/// The sample's coordinator runs one more of the year's tracks (`anticorruption`: the
/// anti-corruption action plan, with its half-year and annual rounds), through the server.
pub async fn add_track(server: &Server, sample: &Sample, track: &str) {
    let coordinator = signed_in_api(server, sample, "kannika").await;
    let body = serde_json::json!({ "track": track });
    coordinator.agency_call("pakchong", "POST", &format!("/years/{YEAR}/tracks"), Some(body)).await.expect("adds");
}

/// The coordinator's device plans the `anticorruption` track's project `ac1` (สำนักปลัด
/// responsible, all four quarters, ๑๒,๓๔๕.๕๐ baht); answers her device and สำนักปลัด's staff
/// device (in `staff_dir`) once it has the project.
pub async fn a_project_planned(server: &Server, sample: &Sample, staff_dir: &str) -> (Device, Device) {
    use prongsai_core::edit::Edit;
    let coordinator = device(server, &sample.device_dir("kannika"), "kannika", sample.password("kannika")).await;
    let wait = std::time::Duration::from_secs(90);
    eventually("her device has the track", wait, || async {
        coordinator.agency_year(YEAR).await.is_ok_and(|y| y.directory.tracks.contains_key("anticorruption"))
    })
    .await;
    let project = vec![
        Edit::AddMeasure {
            id: "ac1".into(), index: 0, title: "โครงการอบรมคุณธรรม".into()
        },
        Edit::SetResponsible { measure: "ac1".into(), division: "palad".into(), responsible: true },
        Edit::SetSchedule { measure: "ac1".into(), schedule: "1-4".into() },
        Edit::SetBudget { measure: "ac1".into(), satang: Some(1_234_550) },
    ];
    let slot = prongsai_core::tracks::Slot::of(Some("anticorruption"), None);
    coordinator.apply(YEAR, vec![Edit::InTrack { slot, edits: project }]).await.expect("the project");
    assert!(coordinator.wait_confirmed(wait).await);
    let staff = device(server, &sample.device_dir(staff_dir), "somchai", sample.password("somchai")).await;
    eventually("the division's device has the project", wait, || async {
        staff
            .agency_year(YEAR)
            .await
            .is_ok_and(|y| y.plan.tracks.get("anticorruption").is_some_and(|t| !t.measures.is_empty()))
    })
    .await;
    (coordinator, staff)
}

/// GETs a path of the server without signing in: its status and body.
pub async fn fetch(server: &Server, path: &str) -> (u16, Vec<u8>) {
    let response = reqwest::get(server.url().join(path).expect("url")).await.expect("get");
    let status = response.status().as_u16();
    (status, response.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
}

/// What `/verify/{code}` answers as JSON, as anyone can ask it.
pub async fn verified(server: &Server, code: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(server.url().join(&format!("verify/{code}")).expect("url"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("verify")
        .json()
        .await
        .expect("json")
}

/// The sample agency's admin sets its website domain through the profile API; answers the
/// profile as the server kept it.
pub async fn set_website(server: &Server, sample: &Sample, domain: &str) -> serde_json::Value {
    let admin = signed_in_api(server, sample, "admin").await;
    let mut profile = admin.agency_call("pakchong", "GET", "/profile", None).await.expect("profile")["profile"].clone();
    profile["letterhead"]["website"] = domain.into();
    admin.agency_call("pakchong", "PUT", "/profile", Some(profile)).await.expect("the website")
}

/// An API client signed in as one of the sample's accounts.
pub async fn signed_in_api(server: &Server, sample: &Sample, username: &str) -> prongsai_client::ServerApi {
    let api = prongsai_client::ServerApi::new(server.url());
    let login = api.login(username, sample.password(username), "test").await.expect("login");
    api.with_token(&login.token)
}

/// The headless field device (`prongsai-field-writer`) as somchai of สำนักปลัด, its data in
/// `dir`, appending `[prefix.i]` to measure m4 (stdout piped: one `saved i` line per edit).
pub fn field_writer(dir: &Path, server: &Server, sample: &Sample, prefix: &str) -> Command {
    let mut command = Command::new(workspace_binary("prongsai-field-writer"));
    command
        .args([dir.to_str().expect("utf-8 path"), server.url().as_str(), "somchai", sample.password("somchai")])
        .args(["palad", prefix])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    command
}

/// The headless field device reading (`prongsai-field-writer --read`): signed in as `username`
/// at `url`, it reports what it sees of `division`'s result of `measure`. `ca` is a PEM file of
/// roots the device trusts instead of the system's (a server with its own authority).
pub struct FieldReader {
    _child: Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl FieldReader {
    pub fn start(
        dir: &Path,
        url: &url::Url,
        (username, password): (&str, &str),
        (division, measure): (&str, &str),
        ca: Option<&Path>,
    ) -> FieldReader {
        let mut command = Command::new(workspace_binary("prongsai-field-writer"));
        command
            .args(["--read", dir.to_str().expect("utf-8 path"), url.as_str(), username, password, division, measure])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(ca) = ca {
            command.env("SSL_CERT_FILE", ca);
        }
        let mut child = command.spawn().expect("the headless device starts");
        let lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        FieldReader { _child: child, lines }
    }

    /// The first report (text, evidence with the fetched file's hash and pixel size) that
    /// satisfies `done`, within `timeout`.
    pub async fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = serde_json::Value::Null;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => {
                    last = serde_json::from_str(&line).expect("a JSON report");
                    if done(&last) {
                        return last;
                    }
                }
                Ok(Ok(None)) | Ok(Err(_)) => panic!("the headless device stopped before {what}; last seen: {last}"),
                Err(_) => panic!("timed out after {timeout:?} waiting until {what}; last seen: {last}"),
            }
        }
    }
}

/// A certificate authority made for one test, and a server certificate it signed for
/// `localhost`, `prongsai.test` and 127.0.0.1 (PEM files; OpenSSL from Debian's base system).
pub struct TestCertificate {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCertificate {
    pub fn create(dir: &Path) -> TestCertificate {
        std::fs::create_dir_all(dir).expect("the certificate directory");
        let at = |name: &str| dir.join(name);
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl").args(args).output().expect("openssl runs");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let path = |p: PathBuf| p.to_str().expect("utf-8 path").to_string();
        let (ca, ca_key, cert, key, csr, ext) =
            (at("ca.pem"), at("ca.key"), at("server.pem"), at("server.key"), at("server.csr"), at("server.ext"));
        std::fs::write(
            &ext,
            "subjectAltName=DNS:localhost,DNS:prongsai.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .expect("the extensions");
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(
            &[&["req", "-x509"], &ec[..], &["-keyout", &path(ca_key.clone()), "-out", &path(ca.clone())]]
                .concat()
                .into_iter()
                .chain(["-days", "30", "-subj", "/CN=Prongsai test CA"])
                .collect::<Vec<_>>(),
        );
        openssl(
            &[&["req"], &ec[..], &["-keyout", &path(key.clone()), "-out", &path(csr.clone())]]
                .concat()
                .into_iter()
                .chain(["-subj", "/CN=prongsai.test"])
                .collect::<Vec<_>>(),
        );
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path(csr),
            "-CA",
            &path(ca.clone()),
            "-CAkey",
            &path(ca_key),
            "-CAcreateserial",
            "-out",
            &path(cert.clone()),
            "-days",
            "30",
            "-extfile",
            &path(ext),
        ]);
        TestCertificate { ca, cert, key }
    }

    /// The `serve` arguments that make the server speak HTTPS with it.
    pub fn serve_args(&self) -> [String; 4] {
        let path = |p: &PathBuf| p.to_str().expect("utf-8 path").to_string();
        ["--tls-cert".into(), path(&self.cert), "--tls-key".into(), path(&self.key)]
    }

    /// The base64 SHA-256 of the server certificate's public key, as Chromium's
    /// `--ignore-certificate-errors-spki-list` takes it.
    pub fn spki_sha256(&self) -> String {
        let script = format!(
            "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
            self.cert.display()
        );
        let out = std::process::Command::new("sh").args(["-c", &script]).output().expect("openssl runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("base64").trim().to_string()
    }

    /// Headless Chromium that reaches `prongsai.test` at 127.0.0.1 and trusts this certificate
    /// as a tablet trusts a real one (a secure context: service workers run).
    pub fn chromium_capabilities(&self, width: u32, height: u32) -> serde_json::Value {
        let mut capabilities = webdriver::Driver::chromium_capabilities(width, height);
        let args = capabilities["goog:chromeOptions"]["args"].as_array_mut().expect("args");
        args.push("--host-resolver-rules=MAP prongsai.test 127.0.0.1".into());
        args.push(format!("--ignore-certificate-errors-spki-list={}", self.spki_sha256()).into());
        capabilities
    }

    /// An HTTP client that trusts this test's authority (and nothing else).
    pub fn client(&self) -> reqwest::Client {
        prongsai_client::api::install_crypto();
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&self.ca).expect("the CA")).expect("a PEM CA");
        reqwest::Client::builder().tls_certs_only([ca]).build().expect("a client trusting the test CA")
    }
}

/// HAProxy in front of three server nodes, with the reference configuration in
/// `deploy/haproxy.cfg`; stopped when dropped.
pub struct Haproxy {
    child: Child,
    pub addr: SocketAddr,
}

impl Haproxy {
    pub async fn start(nodes: &[Server]) -> Haproxy {
        Haproxy::start_on(&nodes.iter().map(|n| n.addr).collect::<Vec<_>>()).await
    }

    /// The same in front of nodes at `nodes` (the bench's servers).
    pub async fn start_on(nodes: &[SocketAddr]) -> Haproxy {
        assert_eq!(nodes.len(), 3, "deploy/haproxy.cfg names three nodes");
        let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut command = Command::new("haproxy");
        command.args(["-db", "-f"]).arg(&config).env("PRONGSAI_LB", addr.to_string());
        for (i, node) in nodes.iter().enumerate() {
            command.env(format!("PRONGSAI_NODE_{}", i + 1), node.to_string());
        }
        let child =
            command.stdout(Stdio::null()).stderr(Stdio::null()).kill_on_drop(true).spawn().expect("haproxy runs");
        let proxy = Haproxy { child, addr };
        prongsai_client::api::install_crypto();
        eventually("HAProxy answers", Duration::from_secs(30), || async {
            reqwest::get(format!("http://{addr}/healthz")).await.is_ok_and(|r| r.status().is_success())
        })
        .await;
        proxy
    }

    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("a URL")
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A running server process.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    data: PathBuf,
    extra: Vec<String>,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts `prongsai-server serve` on `127.0.0.1:port` (0: any free port).
    pub async fn start(data: &Path, port: u16, extra: &[&str]) -> Server {
        Server::start_with_env(data, extra, &[]).await.on_port(port).await
    }

    /// Starts the server on any free port with extra environment variables (fault knobs such as
    /// `PRONGSAI_FAULT_COMMIT_DELAY_MS`), kept for restarts.
    pub async fn start_with_env(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let (child, addr) = spawn(data, 0, &extra, &env).await;
        Server { child: Some(child), addr, data: data.to_path_buf(), extra, env }
    }

    /// The same server moved to `port` (0 keeps it where it is).
    async fn on_port(mut self, port: u16) -> Server {
        if port != 0 && port != self.addr.port() {
            self.kill().await;
            let (child, addr) = spawn(&self.data, port, &self.extra, &self.env).await;
            self.child = Some(child);
            self.addr = addr;
        }
        self
    }

    /// The server's address: `http://127.0.0.1:port/`, or for HTTPS (`--tls-cert`) the name
    /// its test certificate is for (`https://localhost:port/`).
    pub fn url(&self) -> url::Url {
        let https = self.extra.iter().any(|a| a == "--tls-cert");
        let base =
            if https { format!("https://localhost:{}/", self.addr.port()) } else { format!("http://{}/", self.addr) };
        url::Url::parse(&base).expect("a valid URL")
    }

    /// The server's process id (to pause it: `kill -STOP`).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// SIGKILL: no shutdown, no flush.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// SIGTERM: the server stops as an operator stops it (finishing its writes, letting its
    /// agencies go), and this waits until it has exited.
    pub async fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
            }
            let exited = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
            assert!(exited.is_ok(), "the server stops within a minute of SIGTERM");
        }
    }

    /// Starts the server again on the same port and data directory.
    pub async fn restart(&mut self) {
        self.kill().await;
        let (child, addr) = spawn(&self.data, self.addr.port(), &self.extra, &self.env).await;
        self.child = Some(child);
        self.addr = addr;
    }

    /// The server's Prometheus counter or gauge.
    pub async fn metric(&self, name: &str) -> u64 {
        prongsai_client::api::install_crypto();
        let body = reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text");
        body.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no metric {name}"))
    }
}

impl Drop for Sample {
    fn drop(&mut self) {
        if self.postgres.is_some() {
            let data = self.data();
            DATABASES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|(dir, _)| *dir != data);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

async fn spawn(data: &Path, port: u16, extra: &[String], env: &[(String, String)]) -> (Child, SocketAddr) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.with_extension("server.log"))
        .expect("a server log file");
    let listen = format!("127.0.0.1:{port}");
    // Binding the same port right after a kill can briefly fail; retry for a few seconds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut command = Command::new(server_binary());
        if let Some(url) = database_of(data) {
            command.env("PRONGSAI_DATABASE", url);
        }
        let mut child = command
            .args(["serve", "--data", data.to_str().expect("utf-8 path"), "--listen", &listen])
            .args(extra)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "RUST_LOG",
                std::env::var("PRONGSAI_TEST_SERVER_LOG").unwrap_or_else(|_| "info,samod=warn,samod_core=warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone().expect("log handle")))
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        if let Ok(Ok(Some(line))) = first
            && let Some(addr) = line.strip_prefix("listening on http://").or(line.strip_prefix("listening on https://"))
        {
            let addr: SocketAddr = addr.trim().parse().expect("the server prints its address");
            // Keep reading stdout so the server never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, addr);
        }
        let _ = child.start_kill();
        let _ = child.wait().await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server did not start on {listen}; see {}",
            data.with_extension("server.log").display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls `condition` until it holds, failing the test with `what` after `timeout` (also when one
/// poll itself never returns).
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_seen(what, timeout, || {
        let poll = condition();
        async move { poll.await.then_some(()).ok_or("not yet") }
    })
    .await;
}

/// Polls `probe` until it gives `Ok`, and returns that value. After `timeout` (also when one poll
/// itself never returns) the test fails with `what` and the last thing the probe said.
pub async fn eventually_seen<T, E, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    E: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = None;
    loop {
        match tokio::time::timeout_at(deadline, probe()).await {
            Ok(Ok(value)) => return value,
            Ok(Err(seen)) => last = Some(format!("{seen:?}")),
            Err(_) => last = Some(format!("a poll still running at the deadline (previous: {last:?})")),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}; last seen: {}",
            last.as_deref().unwrap_or("nothing")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs a device in and starts syncing.
pub async fn device(server: &Server, dir: &Path, username: &str, password: &str) -> Device {
    let mut config = DeviceConfig::new(dir);
    config.device_name = format!("test device of {username}");
    let device = Device::login(config, server.url(), username, password).await.expect("login works");
    device.connect().expect("connecting starts");
    device
}

/// A read-only web session's token for `username`, signed in through `http` (a client that
/// trusts the server's certificate, for a server on HTTPS).
pub async fn web_token(http: &reqwest::Client, server: &Server, username: &str, password: &str) -> String {
    let login: serde_json::Value = http
        .post(server.url().join("api/login").expect("url"))
        .json(&serde_json::json!({ "username": username, "password": password, "web": true }))
        .send()
        .await
        .expect("the server answers the login")
        .json()
        .await
        .expect("a login answer");
    login["token"].as_str().unwrap_or_else(|| panic!("{username} signs in: {login}")).to_string()
}

pub const YEAR: i64 = 2565;

/// Appends `token` to a division's result text of a measure, in one commit saved on the device
/// (returns once it is on the device's disk).
pub async fn append_result(
    device: &Device,
    division: &str,
    measure: &str,
    token: &str,
) -> Result<(), prongsai_client::DeviceError> {
    use prongsai_core::automerge::ReadDoc;
    use prongsai_core::docs::results;
    let (token, measure) = (token.to_string(), measure.to_string());
    device
        .edit(
            YEAR,
            &prongsai_core::model::DocKey::results(division),
            "เพิ่มผลการดำเนินงาน",
            move |tx, meta| {
                let obj = results::ensure(tx, &prongsai_core::tracks::Slot::INTEGRITY, &measure, meta)?;
                let length = tx.get(&obj, "text")?.map(|(_, id)| tx.length(&id)).unwrap_or(0);
                results::splice_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, &measure, length, 0, &token, meta)
            },
        )
        .await
}

/// A division's result text of a measure as the device has it now (empty when there is none).
pub async fn result_text(
    device: &Device,
    division: &str,
    measure: &str,
) -> Result<String, prongsai_client::DeviceError> {
    let year = device.agency_year(YEAR).await?;
    Ok(year.result(measure, division).map(|r| r.text.as_str().to_string()).unwrap_or_default())
}

/// A hand-driven automerge-repo peer over a raw WebSocket: it speaks the protocol itself, so a
/// test can send what a well-behaved client never would (changes to a read-only document,
/// garbage, oversized frames).
pub struct RawPeer {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    pub peer_id: String,
    pub server_peer: String,
}

/// Encodes an automerge-repo message: a CBOR map of string keys to strings, byte strings or
/// string arrays.
pub fn cbor_message(fields: &[(&str, CborValue<'_>)]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut e = minicbor::Encoder::new(&mut buf);
    e.map(fields.len() as u64).expect("encode");
    for (key, value) in fields {
        e.str(key).expect("encode");
        match value {
            CborValue::Str(s) => e.str(s).expect("encode"),
            CborValue::Bytes(b) => e.bytes(b).expect("encode"),
            CborValue::Strs(list) => {
                e.array(list.len() as u64).expect("encode");
                for s in *list {
                    e.str(s).expect("encode");
                }
                &mut e
            }
            CborValue::Uint(n) => e.u64(*n).expect("encode"),
            CborValue::EmptyMap => e.map(0).expect("encode"),
        };
    }
    buf
}

pub enum CborValue<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
    Strs(&'a [&'a str]),
    Uint(u64),
    EmptyMap,
}

impl RawPeer {
    /// Connects with a token and completes the join/peer handshake as `peer_id`.
    pub async fn connect(server: &Server, token: &str, peer_id: &str) -> RawPeer {
        RawPeer::connect_to(server.addr, token, peer_id).await
    }

    /// The same against any automerge-repo server on `addr` (the load generator's idle clients).
    pub async fn connect_to(addr: SocketAddr, token: &str, peer_id: &str) -> RawPeer {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/sync").into_client_request().expect("request");
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
        // Without Nagle, as the client crate's dialer: small sync messages go out at once.
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, None, true).await.expect("the upgrade succeeds");
        RawPeer::join(socket, peer_id).await
    }

    /// Connects as a browser does (it can send no header): the token as a WebSocket subprotocol
    /// beside `wire::SYNC_PROTOCOL`, which the server must answer with (or a browser drops the
    /// connection).
    pub async fn connect_as_browser(server: &Server, token: &str, peer_id: &str) -> RawPeer {
        use prongsai_core::wire::{SYNC_PROTOCOL, TOKEN_PROTOCOL_PREFIX};
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}/sync", server.addr).into_client_request().expect("request");
        let offered = format!("{SYNC_PROTOCOL}, {TOKEN_PROTOCOL_PREFIX}{token}");
        request.headers_mut().insert("sec-websocket-protocol", offered.parse().expect("header"));
        let (socket, answer) = tokio_tungstenite::connect_async(request).await.expect("the upgrade succeeds");
        assert_eq!(answer.headers()["sec-websocket-protocol"], SYNC_PROTOCOL, "the server picks the sync protocol");
        RawPeer::join(socket, peer_id).await
    }

    /// Connects with a tiny receive buffer, so that a peer that stops reading is felt by the
    /// server after a few kilobytes instead of megabytes.
    pub async fn connect_small_window(server: &Server, token: &str, peer_id: &str) -> RawPeer {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.set_recv_buffer_size(4096).expect("a small receive buffer");
        let stream = socket.connect(server.addr).await.expect("connects");
        let mut request = format!("ws://{}/sync", server.addr).into_client_request().expect("request");
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
        let (socket, _) = tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .expect("the upgrade succeeds");
        RawPeer::join(socket, peer_id).await
    }

    async fn join(
        mut socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
        peer_id: &str,
    ) -> RawPeer {
        use futures::{SinkExt, StreamExt};
        let join = cbor_message(&[
            ("type", CborValue::Str("join")),
            ("senderId", CborValue::Str(peer_id)),
            ("supportedProtocolVersions", CborValue::Strs(&["1"])),
            ("peerMetadata", CborValue::EmptyMap),
        ]);
        socket.send(tokio_tungstenite::tungstenite::Message::Binary(join.into())).await.expect("send join");
        let server_peer = loop {
            let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
                .await
                .expect("the server answers the join")
                .expect("the connection stays open")
                .expect("a frame");
            if let tokio_tungstenite::tungstenite::Message::Binary(bytes) = message
                && let Some(sender) = peer_sender(&bytes)
            {
                break sender;
            }
        };
        RawPeer { socket, peer_id: peer_id.to_string(), server_peer }
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) -> bool {
        use futures::SinkExt;
        self.socket.send(tokio_tungstenite::tungstenite::Message::Binary(bytes.into())).await.is_ok()
    }

    pub async fn send_text(&mut self, text: &str) -> bool {
        use futures::SinkExt;
        self.socket.send(tokio_tungstenite::tungstenite::Message::Text(text.into())).await.is_ok()
    }

    /// Sends a sync message carrying `changes` (raw change bytes), whatever the server allows.
    pub async fn push_changes(
        &mut self,
        document_id: &str,
        heads: Vec<prongsai_core::automerge::ChangeHash>,
        changes: Vec<Vec<u8>>,
    ) {
        use prongsai_core::automerge::sync::{Message, MessageVersion};
        let message = Message {
            heads,
            need: vec![],
            have: vec![],
            changes: changes.into(),
            flags: None,
            version: MessageVersion::V1,
        };
        assert!(self.send_sync("sync", document_id, &message.encode()).await, "the frame is sent");
    }

    /// Sends one automerge sync message for a document: `kind` is "request" while this peer has
    /// none of the document, else "sync". False once the connection is gone.
    pub async fn send_sync(&mut self, kind: &str, document_id: &str, data: &[u8]) -> bool {
        let frame = cbor_message(&[
            ("type", CborValue::Str(kind)),
            ("documentId", CborValue::Str(document_id)),
            ("senderId", CborValue::Str(&self.peer_id.clone())),
            ("targetId", CborValue::Str(&self.server_peer.clone())),
            ("data", CborValue::Bytes(data)),
        ]);
        self.send_binary(frame).await
    }

    /// The next sync message from the server: (document id, automerge sync message bytes).
    /// Other messages are skipped; None once the connection is closed.
    pub async fn next_sync(&mut self) -> Option<(String, Vec<u8>)> {
        use futures::StreamExt;
        loop {
            match self.socket.next().await? {
                Ok(tokio_tungstenite::tungstenite::Message::Binary(bytes)) => {
                    if let Some(found) = sync_payload(&bytes) {
                        return Some(found);
                    }
                }
                Ok(tokio_tungstenite::tungstenite::Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Requests a document and syncs it until the server has nothing more to send (2 s quiet);
    /// returns this peer's copy.
    pub async fn sync_document(&mut self, document_id: &str) -> prongsai_core::automerge::Automerge {
        use prongsai_core::automerge::sync::{self, SyncDoc};
        let (mut doc, mut state) = (prongsai_core::automerge::Automerge::new(), sync::State::new());
        loop {
            if let Some(message) = doc.generate_sync_message(&mut state) {
                let kind = if doc.get_heads().is_empty() { "request" } else { "sync" };
                assert!(self.send_sync(kind, document_id, &message.encode()).await, "the connection is open");
            }
            match tokio::time::timeout(Duration::from_secs(2), self.next_sync()).await {
                Ok(Some((id, data))) if id == document_id => {
                    let message = sync::Message::decode(&data).expect("a sync message");
                    doc.receive_sync_message(&mut state, message).expect("applies");
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!("the server closed the connection while syncing {document_id}"),
                Err(_) if !doc.get_heads().is_empty() => return doc,
                Err(_) => {}
            }
        }
    }

    /// Sends an ephemeral message (presence) about a document.
    pub async fn send_ephemeral(&mut self, document_id: &str, count: u64, data: &[u8]) -> bool {
        let frame = cbor_message(&[
            ("type", CborValue::Str("ephemeral")),
            ("senderId", CborValue::Str(&self.peer_id.clone())),
            ("targetId", CborValue::Str(&self.server_peer.clone())),
            ("count", CborValue::Uint(count)),
            ("sessionId", CborValue::Str(&format!("session-{}", self.peer_id))),
            ("documentId", CborValue::Str(document_id)),
            ("data", CborValue::Bytes(data)),
        ]);
        self.send_binary(frame).await
    }

    /// The data of the next ephemeral message; None once the connection is closed.
    pub async fn next_ephemeral(&mut self) -> Option<Vec<u8>> {
        loop {
            let (kind, _, data) = self.next_frame().await?;
            if kind == "ephemeral" {
                return data;
            }
        }
    }

    /// The type and document of the next message from the server; None once it is closed.
    pub async fn next_message(&mut self) -> Option<(String, Option<String>)> {
        self.next_frame().await.map(|(kind, doc, _)| (kind, doc))
    }

    async fn next_frame(&mut self) -> Option<(String, Option<String>, Option<Vec<u8>>)> {
        use futures::StreamExt;
        loop {
            match self.socket.next().await? {
                Ok(tokio_tungstenite::tungstenite::Message::Binary(bytes)) => {
                    let mut d = minicbor::Decoder::new(&bytes);
                    let Ok(Some(n)) = d.map() else { continue };
                    let (mut kind, mut doc, mut data) = (String::new(), None, None);
                    for _ in 0..n {
                        let Ok(key) = d.str() else { break };
                        match key {
                            "type" => kind = d.str().map(str::to_string).unwrap_or_default(),
                            "documentId" => doc = d.str().ok().map(str::to_string),
                            "data" => data = d.bytes().ok().map(<[u8]>::to_vec),
                            _ => {
                                let _ = d.skip();
                            }
                        }
                    }
                    return Some((kind, doc, data));
                }
                Ok(tokio_tungstenite::tungstenite::Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Waits until the server closes the connection (or the deadline passes: false).
    pub async fn closed_by_server(&mut self, timeout: Duration) -> bool {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// The document id and data of a `sync` message.
fn sync_payload(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    let mut d = minicbor::Decoder::new(bytes);
    let n = d.map().ok()??;
    let (mut kind, mut doc, mut data) = (None, None, None);
    for _ in 0..n {
        match d.str().ok()? {
            "type" => kind = Some(d.str().ok()?.to_string()),
            "documentId" => doc = Some(d.str().ok()?.to_string()),
            "data" => data = Some(d.bytes().ok()?.to_vec()),
            _ => d.skip().ok()?,
        }
    }
    (kind.as_deref() == Some("sync")).then_some((doc?, data?))
}

/// The `senderId` of a `peer` message.
fn peer_sender(bytes: &[u8]) -> Option<String> {
    let mut d = minicbor::Decoder::new(bytes);
    let n = d.map().ok()??;
    let (mut kind, mut sender) = (None, None);
    for _ in 0..n {
        let key = d.str().ok()?.to_string();
        match key.as_str() {
            "type" => kind = Some(d.str().ok()?.to_string()),
            "senderId" => sender = Some(d.str().ok()?.to_string()),
            _ => d.skip().ok()?,
        }
    }
    (kind.as_deref() == Some("peer")).then_some(sender).flatten()
}

/// An XLSX whose used range spans the whole sheet: a cell in A1 and one in the last row and
/// column (as a dense grid, 17 billion cells).
pub fn hostile_xlsx() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "title").expect("a cell");
    sheet.write_string(1_048_575, 16_383, "far away").expect("the last cell");
    workbook.save_to_buffer().expect("an xlsx")
}

/// The integrity track's items of a fiscal year under the build's criteria: tests take item codes
/// from the data, as the product does (no source names an item code).
pub fn integrity_items(year: i64) -> prongsai_core::ita::ResolvedTrack {
    use prongsai_core::ita::{INTEGRITY_TRACK, LOCAL_FORM, ReferenceData};
    ReferenceData::builtin().resolve_track(year, LOCAL_FORM, INTEGRITY_TRACK).expect("the integrity track")
}

/// A track's plan and report items in a fiscal year's criteria.
pub fn track_items(year: i64, track: &str) -> prongsai_core::ita::ResolvedTrack {
    use prongsai_core::ita::{LOCAL_FORM, ReferenceData};
    ReferenceData::builtin().resolve_track(year, LOCAL_FORM, track).expect("a track of the year")
}

/// The report item's name in addresses and file names for a fiscal year.
pub fn report_slug(year: i64) -> String {
    integrity_items(year).report().expect("a report item").slug()
}

/// The plan item's name in addresses and file names for a fiscal year.
pub fn plan_slug(year: i64) -> String {
    integrity_items(year).plan.expect("a plan item").slug()
}

/// A PDF's text through pdftotext (poppler-utils), in reading order.
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-raw", path.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/setup.sh test");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Whitespace does not count: the PDF breaks lines where it likes.
pub fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text of a DOCX: every `w:t`, one paragraph per line.
pub fn docx_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("docx is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").expect("document.xml"), &mut xml)
        .expect("utf-8");
    let mut out = String::new();
    for para in xml.split("</w:p>") {
        for piece in para.split("<w:t xml:space=\"preserve\">").skip(1) {
            out.push_str(piece.split("</w:t>").next().unwrap_or_default());
        }
        out.push('\n');
    }
    out
}
