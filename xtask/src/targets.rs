//! The servers under test, started by the bench itself: `prongsai-server` (release, on a fresh
//! SQLite file) and the reference automerge-repo sync server in Node (`tests/js/reference-server.mjs`:
//! NodeWSServerAdapter + NodeFSStorageAdapter), each on a free loopback port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Prongsai,
    Reference,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Prongsai => "prongsai-server",
            Kind::Reference => "JS automerge-repo",
        }
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_path_buf()
}

/// The PostgreSQL database that `admin` commands and servers use instead of their `--data`
/// directory's SQLite file, while the cluster section runs.
static DATABASE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// From now on, admin commands and servers keep their data in `url` (`None`: in SQLite again).
pub fn use_database(url: Option<String>) {
    if let Ok(mut database) = DATABASE.lock() {
        *database = url;
    }
}

fn with_database(command: &mut Command) {
    if let Some(url) = DATABASE.lock().ok().and_then(|d| d.clone()) {
        command.env("PRONGSAI_DATABASE", url);
    }
}

/// The release server, or `PRONGSAI_BENCH_SERVER` (to try the bench on a debug build).
pub fn server_binary() -> PathBuf {
    std::env::var_os("PRONGSAI_BENCH_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/release/prongsai-server"))
}

/// A running server process and its data directory.
pub struct Target {
    pub addr: SocketAddr,
    child: Child,
    /// Where the server's stderr goes.
    log: PathBuf,
}

impl Target {
    pub async fn start(kind: Kind, data: &Path) -> anyhow::Result<Target> {
        Target::start_with(kind, data, &[]).await
    }

    /// `extra`: more `serve` arguments (ours only).
    pub async fn start_with(kind: Kind, data: &Path, extra: &[&str]) -> anyhow::Result<Target> {
        Target::start_on(kind, data, "127.0.0.1:0", extra).await
    }

    /// Ours on `listen` (`127.0.0.1:0`: any free port; a stopped target's address: its restart).
    pub async fn start_on(kind: Kind, data: &Path, listen: &str, extra: &[&str]) -> anyhow::Result<Target> {
        let mut command = match kind {
            Kind::Prongsai => {
                let mut c = Command::new(server_binary());
                c.args(["serve", "--data"]).arg(data).args(["--listen", listen]).args(extra);
                c.env("RUST_LOG", "warn");
                with_database(&mut c);
                c
            }
            Kind::Reference => {
                let mut c = Command::new("node");
                c.arg(root().join("tests/js/reference-server.mjs")).arg(data).arg("0");
                c
            }
        };
        let log = data.with_extension("log");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log)?))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", kind.label()))?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("the server did not start within a minute")??
            .context("the server exited before listening")?;
        let addr: SocketAddr = line
            .strip_prefix("listening on http://")
            .with_context(|| format!("unexpected first line {line:?}"))?
            .trim()
            .parse()?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Target { addr, child, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// CPU time the server process has used so far (user + system), in seconds.
    pub fn cpu_secs(&self) -> f64 {
        cpu_secs_of(self.pid())
    }

    /// False once the server process has exited (a zombie not yet reaped counts as exited).
    pub fn is_alive(&self) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|state| state != "Z")
    }

    /// Runs `work` against this server, giving up as soon as the server has exited, with the end
    /// of its log: a crashed server must not leave the bench waiting on clients that retry.
    pub async fn while_alive<T>(
        &self,
        work: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let exited = async {
            while self.is_alive() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        };
        tokio::select! {
            result = work => result,
            () = exited => {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let last = log.lines().rev().find(|l| l.contains("Error")).unwrap_or("no error in its log").trim();
                bail!("the server exited: {last}")
            }
        }
    }

    pub fn http_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("a URL")
    }

    /// SIGKILL, and wait until it has exited.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// SIGTERM and wait (the reference server flushes its storage on SIGTERM), SIGKILL after 30 s.
    pub async fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().await;
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.is_err() {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
    }
}

/// Runs a `prongsai-server` administration command to completion and returns its stdout.
/// Creates the sample agency in `data`; answers the password of somchai (staff of สำนักปลัด).
pub async fn sample_staff(data: &Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(data)?;
    let d = data.to_str().context("utf-8 path")?;
    let accounts: Vec<serde_json::Value> = serde_json::from_str(&admin(&["sample", "--data", d], None).await?)?;
    let password = accounts
        .iter()
        .find(|a| a["username"] == "somchai")
        .and_then(|a| a["password"].as_str())
        .context("no sample account somchai")?;
    Ok(password.to_string())
}

pub async fn admin(args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    let mut command = Command::new(server_binary());
    with_database(&mut command);
    let mut child = command
        .args(args)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(input) = stdin {
        child.stdin.take().context("stdin")?.write_all(input.as_bytes()).await?;
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().await?;
    if !output.status.success() {
        bail!("prongsai-server {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// A device login minted by `prongsai-server user session --count`.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Minted {
    pub token: String,
    pub peer_id: String,
    /// The actor (hex) this login writes with; our server takes changes only from the actors it
    /// issued. Empty for the reference server's anonymous clients.
    #[serde(default)]
    pub actor_id: String,
}

impl Minted {
    /// The actor a writer with this login uses (a random one for an anonymous client).
    pub fn actor(&self) -> prongsai_core::automerge::ActorId {
        self.actor_id.parse().unwrap_or_else(|_| prongsai_core::automerge::ActorId::random())
    }
}

/// How many logins one user holds at most in the bench: the server allows 50 connections per
/// user, so sessions are spread over as many users as that takes.
pub const SESSIONS_PER_USER: usize = 40;

/// Creates agency `id` with the sample's year of documents and one coordinator, and mints
/// `sessions` logins for it (none with 0).
pub async fn bench_agency(data: &Path, id: &str, sessions: u32) -> anyhow::Result<Vec<Minted>> {
    let d = data.to_str().context("utf-8 path")?;
    let fixture = root().join("core/fixtures/pakchong-2565.json");
    let fixture = fixture.to_str().context("utf-8 path")?;
    admin(&["agency", "create", "--data", d, "--id", id, "--name", id, "--fixture", fixture], None).await?;
    let user = format!("{id}c");
    admin(
        &["user", "add", "--data", d, "--agency", id, "--username", &user, "--display-name", &user]
            .into_iter()
            .chain(["--role", "coordinator", "--password-stdin"])
            .collect::<Vec<_>>(),
        Some("bench-password-1234"),
    )
    .await?;
    if sessions == 0 {
        return Ok(Vec::new());
    }
    let count = sessions.to_string();
    let users = (sessions as usize).div_ceil(SESSIONS_PER_USER).to_string();
    let out = admin(
        &["user", "session", "--data", d, "--username", &user, "--server", "http://127.0.0.1/", "--count", &count]
            .into_iter()
            .chain(["--users", &users])
            .collect::<Vec<_>>(),
        None,
    )
    .await?;
    out.lines().map(|l| Ok(serde_json::from_str(l)?)).collect()
}

/// CPU time (user and system) a process has used so far, in seconds.
pub fn cpu_secs_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) : utime is the 14th field, stime the 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
