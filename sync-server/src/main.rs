//! `prongsai-server`: serve, create the sample agency, and administer users.
//! Every subcommand logs to stderr; stdout carries only the command's result.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use prongsai_core::admin::{NewUserRequest, UserChange};
use prongsai_core::model::Role;
use prongsai_sync_server::app::Actor;
use prongsai_sync_server::db::Database;
use prongsai_sync_server::db::copy::{self, Place};
use prongsai_sync_server::{App, Config, Location, Store, admin, provision, reports};
use tracing_subscriber::EnvFilter;

/// mimalloc gives freed memory back to the system, so the server shrinks again after idle
/// agencies' repos stop (with glibc's allocator its resident size only ever grew).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "prongsai-server", version, about = "Prongsai sync server (โปร่งใส)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data is kept: a data directory (SQLite, the default) or a PostgreSQL database.
#[derive(Args, Clone)]
struct DataDir {
    /// The data directory (holds prongsai.sqlite3).
    #[arg(long, env = "PRONGSAI_DATA", default_value = "data")]
    data: PathBuf,
    /// Keep the data in this PostgreSQL database instead of the data directory
    /// (postgres://USER:PASSWORD@HOST:PORT/NAME); several servers may share it.
    #[arg(long, env = "PRONGSAI_DATABASE")]
    database: Option<String>,
}

impl DataDir {
    fn location(&self) -> Location {
        match &self.database {
            Some(url) => Location::Postgres(url.clone()),
            None => Location::Dir(self.data.clone()),
        }
    }

    /// Opens the storage (creating or upgrading it as needed).
    async fn open(&self) -> anyhow::Result<Store> {
        let location = self.location();
        Store::open(&location).await.with_context(|| format!("opening {}", describe(&location)))
    }

    /// Opens existing storage to read only, whether or not a server is running on it.
    async fn open_read_only(&self) -> anyhow::Result<Store> {
        let location = self.location();
        Store::open_read_only(&location).await.with_context(|| format!("opening {}", describe(&location)))
    }
}

fn describe(location: &Location) -> String {
    match location {
        Location::Dir(dir) => format!("the data directory {}", dir.display()),
        Location::Postgres(_) => format!("the database {location}"),
    }
}

// Parsed once per process: the size of `Serve` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the sync WebSocket, the HTTP API and the dashboard.
    Serve {
        #[command(flatten)]
        data: DataDir,
        /// Address to listen on; port 0 picks a free port. The chosen address is printed.
        #[arg(long, env = "PRONGSAI_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// A TOML file with `data`, `database` and `listen` (command-line flags and env win over it).
        #[arg(long, env = "PRONGSAI_CONFIG")]
        config: Option<PathBuf>,
        /// Largest WebSocket message accepted (bytes); a bigger one closes its connection.
        #[arg(long, env = "PRONGSAI_MAX_MESSAGE_BYTES")]
        max_message_bytes: Option<usize>,
        /// Stop an agency's repo (freeing its documents' memory) after this many idle seconds.
        #[arg(long, env = "PRONGSAI_REPO_IDLE_SECS")]
        repo_idle_secs: Option<u64>,
        /// Drop a document of a running agency's repo from memory after this many seconds that
        /// no connection or request has touched it (it loads again from storage when next used).
        #[arg(long, env = "PRONGSAI_DOC_IDLE_SECS")]
        doc_idle_secs: Option<u64>,
        /// How long a login stays valid, in seconds (default 90 days: devices work offline for weeks).
        #[arg(long, env = "PRONGSAI_SESSION_TTL_SECS")]
        session_ttl_secs: Option<u64>,
        /// The built frontend served at `/` as the web dashboard (scripts/build-frontend.sh).
        #[arg(long, env = "PRONGSAI_WEB_DIR", default_value = "frontend/dist")]
        web_dir: PathBuf,
        /// The address people reach this server at (e.g. https://ita.example.go.th): signed
        /// reports print their verification page under it (default: http:// and --listen).
        #[arg(long, env = "PRONGSAI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Serve HTTPS with this certificate chain (PEM, leaf first, e.g. certbot's
        /// fullchain.pem): tablets install the field app only from a secure address.
        #[arg(long, env = "PRONGSAI_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, env = "PRONGSAI_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// This server's name among several sharing one PostgreSQL database (default: the
        /// machine's name and the address served). Give each node its own; a node restarted
        /// with the same name takes its agencies back at once.
        #[arg(long, env = "PRONGSAI_NODE_NAME")]
        node_name: Option<String>,
        /// How long a node holds an agency without renewing (milliseconds, default 3000): the
        /// longest the other nodes wait to take over the agencies of a node that died or hangs.
        #[arg(long, env = "PRONGSAI_LEASE_TTL_MS")]
        lease_ttl_ms: Option<u64>,
        /// The address the other nodes reach this one at (`http://10.0.0.5:8080`), to carry a
        /// request for an agency this node serves to it (default: the address served, with the
        /// machine's name for an unspecified one such as 0.0.0.0).
        #[arg(long, env = "PRONGSAI_ADVERTISE")]
        advertise: Option<String>,
        /// The authority (PEM, one or more certificates) that signed the other nodes' HTTPS
        /// certificates, trusted besides the machine's usual roots when this node carries a
        /// request to a node that advertises an https:// address.
        #[arg(long, env = "PRONGSAI_CLUSTER_CA")]
        cluster_ca: Option<PathBuf>,
        /// How often to read whether users or sessions changed, where the database does not
        /// announce it (milliseconds, default 500; PostgreSQL announces changes at once).
        #[arg(long, env = "PRONGSAI_ACCESS_POLL_MS")]
        access_poll_ms: Option<u64>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Print every route of the HTTP API as JSON: method, path and who may call it (open,
    /// session, agency, admin).
    Routes,
    /// Print an agency's audit log as JSON, newest first: every administrative and operator
    /// action (who, when, from which session, what changed).
    Audit {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        agency: String,
        /// Entries older than this id (to page back).
        #[arg(long)]
        before: Option<i64>,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Create the sample agency (อบต.ปากช่อง, 2565) and its accounts; prints the accounts as JSON.
    Sample {
        #[command(flatten)]
        data: DataDir,
    },
    /// Write a report of an agency-year to a file. Reads the data directory without changing it,
    /// whether or not a server is running on it.
    Export {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        agency: String,
        /// Fiscal year, BE (e.g. 2565).
        #[arg(long)]
        year: i64,
        /// pdf, docx, html, xlsx, plan-pdf, plan-docx, plan-html, itas, itas-xlsx or plan-xlsx (the
        /// plan's also by its item, e.g. o42-pdf).
        #[arg(long)]
        format: String,
        /// Another track the year runs (`anticorruption`, …); the integrity measures when absent.
        #[arg(long)]
        track: Option<String>,
        /// `plan` for the plan's pdf, docx or html, or a round of the track (`half`, `annual`, …);
        /// the report of the track's last round when absent.
        #[arg(long)]
        round: Option<String>,
        /// The file to write.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// The agency's emblem (Garuda), PNG or JPEG, printed at the top of the memo; by default
        /// the one stored with `agency emblem`.
        #[arg(long)]
        emblem: Option<PathBuf>,
        /// The server's public address, under which a fully signed report prints its
        /// verification page (as `serve --public-url`).
        #[arg(long, env = "PRONGSAI_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Copy all the data into one SQLite file, consistently, while servers keep running.
    Backup {
        #[command(flatten)]
        data: DataDir,
        /// The backup file to write (it must not exist yet).
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Restore a backup into an empty data directory (or, with --database, an empty PostgreSQL
    /// database); the backup is checked first and a target holding data is refused.
    Restore {
        #[command(flatten)]
        data: DataDir,
        /// The backup file.
        file: PathBuf,
    },
    /// Check a backup file, a data directory or a database: every stored change loads and every
    /// registered document opens. Prints each document's heads as JSON; exits non-zero on any fault.
    Verify {
        /// A backup file (else the data directory or --database).
        file: Option<PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Copy all the data from one place to another: a data directory, a backup file or a
    /// PostgreSQL URL, into a new data directory or an empty PostgreSQL database.
    Migrate {
        /// A data directory, a backup file, or postgres://…
        #[arg(long)]
        from: String,
        /// A new data directory, or postgres://… of an empty database.
        #[arg(long)]
        to: String,
    },
    /// Manage agencies.
    Agency {
        #[command(subcommand)]
        command: AgencyCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The ITA criteria of each assessment year: list them, or import a newer year's without a
    /// new build.
    Ita {
        #[command(subcommand)]
        command: ItaCommand,
    },
}

#[derive(Subcommand)]
enum ItaCommand {
    /// Print every assessment year known, as a JSON array: year, form, items, confirmed, sources.
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Import one assessment year's criteria (a JSON file as in core/data/ita): checked whole,
    /// refused with the field and the reason. A running server writes them into every year's
    /// directory within seconds.
    Import {
        #[command(flatten)]
        data: DataDir,
        /// The criteria file.
        file: PathBuf,
    },
}

/// Limits and protections of a running server (each has a safe default).
#[derive(Args, Clone, Debug)]
struct Limits {
    /// A reverse proxy whose `X-Forwarded-For` names the client (repeatable); from anyone else
    /// the header is ignored.
    #[arg(long = "trusted-proxy", env = "PRONGSAI_TRUSTED_PROXY", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// The most evidence one agency may store, in bytes (default 5 GiB).
    #[arg(long, env = "PRONGSAI_AGENCY_QUOTA_BYTES")]
    agency_quota_bytes: Option<u64>,
    /// Evidence uploads are refused while the data directory's disk has less free space than
    /// this, in bytes (default 1 GiB), so sync writes keep room.
    #[arg(long, env = "PRONGSAI_MIN_FREE_DISK_BYTES")]
    min_free_disk_bytes: Option<u64>,
    /// Open sync and live connections one user may have at once (default 50).
    #[arg(long, env = "PRONGSAI_MAX_CONNECTIONS_PER_USER")]
    max_connections_per_user: Option<usize>,
    /// Seconds between WebSocket pings (default 30); two missed pongs close a connection.
    #[arg(long, env = "PRONGSAI_PING_INTERVAL_SECS")]
    ping_interval_secs: Option<u64>,
    /// Seconds a client may take to send a request's headers (default 10).
    #[arg(long, env = "PRONGSAI_HEADER_TIMEOUT_SECS")]
    header_timeout_secs: Option<u64>,
    /// Bytes that may wait to be sent to one sync peer before it counts as not reading and is
    /// cut (default 32 MiB).
    #[arg(long, env = "PRONGSAI_MAX_BACKLOG_BYTES")]
    max_backlog_bytes: Option<usize>,
}

impl Limits {
    fn apply(&self, config: &mut Config) {
        config.trusted_proxies.clone_from(&self.trusted_proxies);
        if let Some(bytes) = self.agency_quota_bytes {
            config.agency_quota_bytes = bytes;
        }
        if let Some(bytes) = self.min_free_disk_bytes {
            config.min_free_disk_bytes = bytes;
        }
        if let Some(n) = self.max_connections_per_user {
            config.max_connections_per_user = n;
        }
        if let Some(secs) = self.ping_interval_secs {
            config.keepalive.ping_interval = std::time::Duration::from_secs(secs.max(1));
        }
        if let Some(secs) = self.header_timeout_secs {
            config.header_timeout = std::time::Duration::from_secs(secs.max(1));
        }
        if let Some(bytes) = self.max_backlog_bytes {
            config.max_backlog_bytes = bytes.max(1024);
        }
    }
}

#[derive(Subcommand)]
enum AgencyCommand {
    /// Create an agency. Without --fixture: an empty agency and its first admin, printed as
    /// `{"agency": ID, "admin": {"username": …, "password": …}}` (the password is generated and
    /// shown once, or read from stdin with --password-stdin); everything else is set up in the
    /// app or on the web. With --fixture: the agency and one year's documents from the file.
    Create {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// A fixture JSON (as core/fixtures/pakchong-2565.json) to create a year's documents from.
        #[arg(long)]
        fixture: Option<PathBuf>,
        /// Read the first admin's password from stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set the agency's emblem (Garuda, PNG or JPEG): printed at the top of its memo.
    Emblem {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        id: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// List agencies and their years.
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Write everything of one agency to one ZIP file: its documents (Automerge files), users
    /// (without password hashes), evidence files, audit log, profile and published reports.
    Export {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        agency: String,
        /// The file to write (it must not exist yet).
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Remove one agency and everything of it, its audit log too, for good (export it first).
    /// Asks for its id on stdin as confirmation, unless given with --confirm. Its users'
    /// connections to running servers are cut.
    Delete {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        agency: String,
        /// The agency's id again: confirms without asking.
        #[arg(long)]
        confirm: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from stdin with --password-stdin, else generated and printed.
    Add {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        agency: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long, default_value = "")]
        position: String,
        #[arg(long)]
        division: Option<String>,
        /// staff, division_head, coordinator, approver, viewer or admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (read from stdin with --password-stdin, else generated and printed).
    ResetPassword {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Revoke every session of a user; a running server closes their connections.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        username: String,
    },
    /// Disable (or enable again) a user.
    Disable {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        username: String,
        #[arg(long)]
        enable: bool,
    },
    /// Sign a user in on a device without their password (for an administrator setting up a
    /// device, and for the run command): prints the device's session file as JSON. Keep it
    /// secret: it is a login.
    Session {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        username: String,
        /// The address the device reaches the server at.
        #[arg(long)]
        server: url::Url,
        #[arg(long, default_value = "")]
        device: String,
        /// Sign in this many devices at once, one JSON line each (for load tests with thousands
        /// of clients, instead of thousands of password logins).
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Spread the sessions over this many users: USERNAME itself and USERNAME-1 … created
        /// as needed like it (same agency, roles and division) with no password, so they sign
        /// in only through sessions minted here. For load tests: a user holds at most
        /// `--max-connections-per-user` connections.
        #[arg(long, default_value_t = 1)]
        users: u32,
    },
    /// List users as JSON.
    List {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        agency: Option<String>,
    },
}

fn parse_roles(names: &[String]) -> anyhow::Result<Vec<Role>> {
    names
        .iter()
        .map(|n| match Role::parse(n) {
            Role::Other(other) => bail!("unknown role {other:?}"),
            role => Ok(role),
        })
        .collect()
}

/// The password from stdin, or `None` for the server to generate one.
fn read_password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("reading the password from stdin")?;
    Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
}

#[derive(serde::Deserialize, Default)]
struct FileConfig {
    data: Option<PathBuf>,
    database: Option<String>,
    listen: Option<SocketAddr>,
}

/// A server's settings for `store`: the free-disk floor watches a data directory's disk only.
fn settings(store: &Store, listen: SocketAddr) -> Config {
    let mut config = Config::new(PathBuf::new(), listen);
    config.data_dir = store.local_dir().map(std::path::Path::to_path_buf);
    config
}

/// The server's state for an operator's command, which takes an agency it changes from any
/// node serving it.
async fn open(data: &DataDir, listen: SocketAddr) -> anyhow::Result<App<Store>> {
    let db = data.open().await?;
    let mut config = settings(&db, listen);
    config.take_over_agencies = true;
    Ok(App::new(config, db).await?)
}

/// Copies everything from one place to another, printing what was copied as JSON.
async fn copy_data(from: &Place, to: &Place) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let rows = copy::copy(from, to).await.with_context(|| format!("copying {} to {}", from.shown(), to.shown()))?;
    eprintln!("copied {} to {} in {} ms", from.shown(), to.shown(), started.elapsed().as_millis());
    println!("{}", serde_json::json!({ "from": from.shown(), "to": to.shown(), "rows": rows }));
    Ok(())
}

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn main() -> anyhow::Result<()> {
    allocator_settings();
    run()
}

/// How long mimalloc waits before it gives freed memory back to the system, unless the
/// environment says (`MIMALLOC_PURGE_DELAY`, milliseconds).
const PURGE_DELAY_MS: &str = "100";

/// mimalloc reads its settings from the environment as the process starts, before `main`, so
/// the server sets its own by starting itself again with them (the same process id and
/// arguments; only for `serve`; `mi_option_set` would need `unsafe`, which our crates forbid).
/// Its default purge delay, a second, is counted from the last allocator activity: a server
/// whose thousands of devices went quiet kept what their connecting had freed until they next
/// spoke (10,000 idle devices: 8.4–8.5 KiB each with the default, 7.9–8.3 with 100 ms).
fn allocator_settings() {
    use std::os::unix::process::CommandExt;
    // `MIMALLOC_RESET_DELAY` is the option's older name: an operator's setting under either wins.
    if std::env::args_os().nth(1).is_none_or(|command| command != "serve")
        || std::env::var_os("MIMALLOC_PURGE_DELAY").is_some()
        || std::env::var_os("MIMALLOC_RESET_DELAY").is_some()
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let error = std::process::Command::new(exe)
        .arg0(args.next().unwrap_or_else(|| "prongsai-server".into()))
        .args(args)
        .env("MIMALLOC_PURGE_DELAY", PURGE_DELAY_MS)
        .exec();
    // Only returns if the exec failed: serve with mimalloc's defaults.
    eprintln!("prongsai-server: could not apply the allocator's settings ({error}); serving with its defaults");
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,samod=warn,samod_core=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Audit { data, agency, before, limit } => {
            let db = data.open_read_only().await?;
            let entries = db.audit_list(agency, before, limit).await.context("reading the audit log")?;
            println!("{}", serde_json::to_string_pretty(&entries)?);
        }
        Command::Routes => {
            let table = prongsai_sync_server::api::route_table::<Store>();
            println!("{}", serde_json::to_string_pretty(table.list())?);
        }
        Command::Serve {
            data,
            listen,
            config,
            max_message_bytes,
            repo_idle_secs,
            doc_idle_secs,
            session_ttl_secs,
            web_dir,
            public_url,
            tls_cert,
            tls_key,
            node_name,
            lease_ttl_ms,
            advertise,
            cluster_ca,
            access_poll_ms,
            limits,
        } => {
            let file: FileConfig = match &config {
                Some(path) => toml::from_str(
                    &std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
                )
                .with_context(|| format!("parsing {}", path.display()))?,
                None => FileConfig::default(),
            };
            let from_cli = |name: &str| std::env::args().any(|a| a.starts_with(name));
            let mut data = data;
            if let Some(d) = file.data
                && !from_cli("--data")
                && std::env::var_os("PRONGSAI_DATA").is_none()
            {
                data.data = d;
            }
            if let Some(url) = file.database
                && !from_cli("--database")
                && std::env::var_os("PRONGSAI_DATABASE").is_none()
            {
                data.database = Some(url);
            }
            let listen = match file.listen {
                Some(l) if !from_cli("--listen") && std::env::var_os("PRONGSAI_LISTEN").is_none() => l,
                _ => listen,
            };
            let db = data.open().await?;
            let mut settings = settings(&db, listen);
            if let Some(max) = max_message_bytes {
                settings.max_message_bytes = max;
            }
            if let Some(idle) = repo_idle_secs {
                settings.repo_idle = std::time::Duration::from_secs(idle);
            }
            if let Some(idle) = doc_idle_secs {
                settings.doc_idle = std::time::Duration::from_secs(idle);
            }
            if let Some(ttl) = session_ttl_secs {
                settings.session_ttl = std::time::Duration::from_secs(ttl);
            }
            settings.web_dir = web_dir;
            if let Some(url) = public_url {
                let parsed = url::Url::parse(&url).with_context(|| format!("--public-url {url:?}"))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    bail!("--public-url must be an http or https address");
                }
                settings.public_url = Some(url);
            }
            if let Some(path) = &cluster_ca {
                let pem = std::fs::read(path).with_context(|| format!("reading --cluster-ca {}", path.display()))?;
                let roots = reqwest::Certificate::from_pem_bundle(&pem)
                    .with_context(|| format!("--cluster-ca {} holds no usable certificate", path.display()))?;
                if roots.is_empty() {
                    bail!("--cluster-ca {} holds no certificate (PEM expected)", path.display());
                }
                settings.cluster_ca = roots;
            }
            if let (Some(cert), Some(key)) = (&tls_cert, &tls_key) {
                settings.tls = Some(std::sync::Arc::new(prongsai_sync_server::tls::Tls::load(cert, key)?));
            }
            limits.apply(&mut settings);
            let listener =
                tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
            let address = listener.local_addr()?;
            // The address actually bound (a port of 0 picks one): what reports print by default.
            settings.listen = address;
            settings.node_name =
                node_name.unwrap_or_else(|| prongsai_sync_server::app::default_node_name(&address.to_string()));
            if let Some(ms) = lease_ttl_ms {
                settings.lease_ttl = std::time::Duration::from_millis(ms.max(300));
            }
            settings.advertise = match advertise {
                Some(url) => {
                    let parsed = url::Url::parse(&url).with_context(|| format!("--advertise {url:?}"))?;
                    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                        bail!("--advertise must be an http or https address with a host");
                    }
                    url.trim_end_matches('/').to_string()
                }
                None => settings.default_advertise(),
            };
            if let Some(ms) = access_poll_ms {
                settings.access_poll = std::time::Duration::from_millis(ms.max(100));
            }
            let scheme = if settings.tls.is_some() { "https" } else { "http" };
            let app = App::new(settings, db).await?;
            println!("listening on {scheme}://{address}");
            tracing::info!(%address, data = %data.location(), node = %app.config.node_name, "serving");
            // SIGHUP reads the certificate and key again (a renewed certificate, without a restart
            // that would drop every device's connection); it never stops the server.
            let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                .context("installing a SIGHUP handler")?;
            let tls = app.config.tls.clone();
            tokio::spawn(async move {
                while hangup.recv().await.is_some() {
                    match tls.as_ref().map(|tls| tls.reload()) {
                        None => tracing::info!("SIGHUP: no TLS certificate to read again (plain HTTP)"),
                        Some(Ok(())) => {
                            tracing::info!("SIGHUP: read the TLS certificate and key again; new connections get them")
                        }
                        Some(Err(error)) => {
                            tracing::warn!(error = %format!("{error:#}"), "SIGHUP: kept the TLS certificate in use")
                        }
                    }
                }
            });
            let shutdown = async {
                let ctrl_c = tokio::signal::ctrl_c();
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing a SIGTERM handler");
                tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
                tracing::info!("shutting down");
            };
            prongsai_sync_server::serve(app, listener, shutdown).await?;
        }
        Command::Sample { data } => {
            let app = open(&data, local()).await?;
            let fixture = prongsai_core::sample::pakchong_2565();
            let accounts = provision::create_sample(&app, &fixture).await.context("creating the sample agency")?;
            app.repos.stop_all().await;
            println!("{}", serde_json::to_string_pretty(&accounts)?);
        }
        Command::Export { data, agency, year, format, track, round, output, emblem, public_url } => {
            let db = data.open_read_only().await?;
            let agency_year = match reports::read_agency_year(&db, &agency, year).await {
                Err(prongsai_sync_server::app::AppError::NotFound) => {
                    bail!("agency {agency:?} has no documents for {year}")
                }
                other => other.context("reading the documents")?,
            };
            let Some((slot, part)) = agency_year.target(track.as_deref(), round.as_deref()) else {
                bail!("{agency} {year} runs no such track or round: --track {track:?} --round {round:?}");
            };
            let agency_year = agency_year.in_slot(&slot).context("the track")?.into_owned();
            let Some(format) = prongsai_report::Format::parse_for(&format, agency_year.track_items().as_ref()) else {
                bail!(
                    "unknown format {format:?}; one of {}",
                    prongsai_report::Format::ALL.map(prongsai_report::Format::name).join(", ")
                );
            };
            let format = if round.is_some() { format.of_part(part) } else { format };
            // The emblem given here, else the one stored for the agency.
            let emblem = match &emblem {
                Some(path) => Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?),
                None => reports::emblem(&db, &agency).await.context("reading the agency's emblem")?,
            };
            let started = std::time::Instant::now();
            let bytes = prongsai_report::render(
                &agency_year,
                format,
                &prongsai_report::Options { emblem, verify_base: public_url },
            )
            .context("rendering the report")?;
            std::fs::write(&output, &bytes).with_context(|| format!("writing {}", output.display()))?;
            eprintln!("wrote {} ({} bytes, {} ms)", output.display(), bytes.len(), started.elapsed().as_millis());
        }
        Command::Backup { data, output } => {
            copy_data(&Place::Storage(data.location()), &Place::File(output)).await?;
        }
        Command::Restore { data, file } => {
            copy_data(&Place::File(file), &Place::Storage(data.location())).await?;
        }
        Command::Migrate { from, to } => {
            let to = match Place::parse(&to) {
                Place::File(path) => Place::Storage(Location::Dir(path)),
                place => place,
            };
            copy_data(&Place::parse(&from), &to).await?;
        }
        Command::Verify { file, data } => {
            let place = file.map_or_else(|| Place::Storage(data.location()), Place::File);
            let report = copy::verify(&place).await.with_context(|| format!("verifying {}", place.shown()))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            for fault in &report.faults {
                eprintln!("fault: {fault}");
            }
            if !report.faults.is_empty() {
                eprintln!("{}: {} faults", place.shown(), report.faults.len());
                std::process::exit(1);
            }
            eprintln!(
                "{}: sound ({} agencies, {} documents, {} chunks)",
                place.shown(),
                report.agencies,
                report.documents.len(),
                report.chunks
            );
        }
        Command::Agency { command } => match command {
            AgencyCommand::Create { data, id, name, fixture: None, password_stdin } => {
                let app = open(&data, local()).await?;
                let password = read_password(password_stdin)?;
                let admin = prongsai_sync_server::agency::create_agency(&app, &Actor::operator(), &id, &name, password)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                app.repos.stop_all().await;
                let shown = serde_json::json!({
                    "agency": id,
                    "admin": { "username": admin.username, "password": admin.password },
                });
                println!("{shown}");
            }
            AgencyCommand::Create { data, id, name, fixture: Some(path), .. } => {
                let app = open(&data, local()).await?;
                provision::validate_username(&id).context("an agency id follows the username rules")?;
                if app.db.agency(id.clone()).await?.is_none() {
                    provision::ensure_agency(&app, &id, &name).await?;
                    app.audit(
                        &id,
                        &Actor::operator(),
                        prongsai_core::admin::AuditAction::AgencyCreated,
                        &id,
                        serde_json::json!({ "name": name }),
                    )
                    .await?;
                }
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                let mut fixture = prongsai_core::sample::AgencyFixture::parse(&text)?;
                fixture.agency.id = id.clone();
                let rows = provision::create_agency_year(&app, &fixture).await?;
                provision::keep_profile(&app, &fixture).await?;
                eprintln!("created {} documents for {id}, year {}", rows.len(), fixture.year);
                app.repos.stop_all().await;
                println!("{}", serde_json::json!({ "id": id, "name": name }));
            }
            AgencyCommand::Emblem { data, id, file } => {
                let db = data.open().await?;
                if db.agency(id.clone()).await?.is_none() {
                    bail!("no agency {id:?}");
                }
                let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let size = bytes.len();
                let sha256 = reports::set_emblem(&db, &id, bytes).await.context("storing the emblem")?;
                let entry = prongsai_core::admin::AuditEntry {
                    id: 0,
                    at: prongsai_sync_server::app::now_ms(),
                    actor: Actor::operator().username,
                    session: Actor::operator().session,
                    action: prongsai_core::admin::AuditAction::EmblemSet,
                    target: "emblem".into(),
                    detail: serde_json::json!({ "sha256": sha256, "size": size }),
                };
                db.audit_append(id.clone(), entry).await.context("writing the audit log")?;
                println!("{}", serde_json::json!({ "id": id, "emblem": file }));
            }
            AgencyCommand::List { data } => {
                let app = open(&data, local()).await?;
                let mut out = Vec::new();
                for agency in app.db.agencies().await? {
                    let years = app.db.years_of(agency.id.clone()).await?;
                    out.push(serde_json::json!({ "id": agency.id, "name": agency.name, "years": years }));
                }
                println!("{}", serde_json::to_string_pretty(&out)?);
            }
            AgencyCommand::Export { data, agency, output } => {
                let db = data.open_read_only().await?;
                let exported = prongsai_sync_server::leaving::export_agency(&db, &agency, &output)
                    .await
                    .with_context(|| format!("exporting {agency} to {}", output.display()))?;
                println!("{}", serde_json::to_string_pretty(&exported)?);
            }
            AgencyCommand::Delete { data, agency, confirm } => {
                let db = data.open().await?;
                let what = prongsai_sync_server::leaving::describe(&db, &agency).await?;
                let confirmed = match confirm {
                    Some(id) => id,
                    None => {
                        eprintln!("This removes {what}, for good. Type the agency's id to confirm:");
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line).context("reading the confirmation")?;
                        line.trim().to_string()
                    }
                };
                if confirmed != agency {
                    bail!("not confirmed ({confirmed:?} is not {agency:?}): nothing was removed");
                }
                let removed = prongsai_sync_server::leaving::delete_agency(&db, &agency).await?;
                tracing::warn!(%agency, "removed an agency and everything of it");
                println!("{}", serde_json::json!({ "agency": agency, "removed": removed }));
            }
        },
        Command::User { command } => run_user_command(command).await?,
        Command::Ita { command } => match command {
            ItaCommand::List { data } => {
                let db = data.open().await?;
                let years = prongsai_sync_server::criteria::list(&db).await?;
                println!("{}", serde_json::to_string_pretty(&years)?);
            }
            ItaCommand::Import { data, file } => {
                let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
                let criteria = prongsai_core::ita::Criteria::parse(&text)
                    .map_err(|e| anyhow::anyhow!("{} is refused: {e}", file.display()))?;
                let db = data.open().await?;
                let (year, form, items) = (criteria.year, criteria.form.clone(), criteria.items.len());
                prongsai_sync_server::criteria::import(&db, criteria).await?;
                println!("{}", serde_json::json!({ "year": year, "form": form, "items": items }));
            }
        },
    }
    Ok(())
}

async fn run_user_command(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { data, agency, username, display_name, position, division, roles, password_stdin } => {
            let app = open(&data, local()).await?;
            if app.db.agency(agency.clone()).await?.is_none() {
                bail!("no agency {agency:?}; create it with `prongsai-server agency create`");
            }
            let request = NewUserRequest {
                username,
                display_name,
                position,
                division,
                roles: parse_roles(&roles)?,
                password: read_password(password_stdin)?,
            };
            let issued = admin::add_user(&app, &Actor::operator(), &agency, request).await;
            app.repos.stop_all().await;
            let issued = issued?;
            let mut out = serde_json::json!({ "username": issued.user.username, "agency_id": agency });
            if let Some(password) = issued.password {
                out["password"] = serde_json::Value::String(password);
            }
            println!("{out}");
        }
        UserCommand::ResetPassword { data, username, password_stdin } => {
            let app = open(&data, local()).await?;
            let user =
                app.db.user_by_username(username.clone()).await?.with_context(|| format!("no user {username:?}"))?;
            let issued = admin::reset_password(
                &app,
                &Actor::operator(),
                &user.agency_id,
                &username,
                read_password(password_stdin)?,
            )
            .await;
            app.repos.stop_all().await;
            let issued = issued?;
            let mut out = serde_json::json!({ "username": username, "sessions_revoked": issued.sessions_revoked });
            if let Some(password) = issued.password {
                out["password"] = serde_json::Value::String(password);
            }
            println!("{out}");
        }
        UserCommand::Revoke { data, username } => {
            let app = open(&data, local()).await?;
            let user =
                app.db.user_by_username(username.clone()).await?.with_context(|| format!("no user {username:?}"))?;
            let revoked = admin::revoke_sessions(&app, &Actor::operator(), &user.agency_id, &username).await?;
            println!("{}", serde_json::json!({ "username": username, "sessions_revoked": revoked }));
        }
        UserCommand::Disable { data, username, enable } => {
            let app = open(&data, local()).await?;
            let user =
                app.db.user_by_username(username.clone()).await?.with_context(|| format!("no user {username:?}"))?;
            let change = UserChange { disabled: Some(!enable), ..UserChange::default() };
            let changed = admin::change_user(&app, &Actor::operator(), &user.agency_id, &username, change).await;
            app.repos.stop_all().await;
            changed?;
            println!("{}", serde_json::json!({ "username": username, "disabled": !enable }));
        }
        UserCommand::Session { data, username, server, device, count, users } => {
            let app = open(&data, local()).await?;
            let user =
                app.db.user_by_username(username.clone()).await?.with_context(|| format!("no user {username:?}"))?;
            if user.disabled {
                bail!("{username} is disabled");
            }
            let mut holders = vec![user.clone()];
            for i in 1..users.max(1) {
                let name = format!("{username}-{i}");
                let holder = match app.db.user_by_username(name.clone()).await? {
                    Some(existing) => existing,
                    None => {
                        app.db
                            .user_create(prongsai_sync_server::db::NewUser {
                                agency_id: user.agency_id.clone(),
                                username: name.clone(),
                                display_name: format!("{} {i}", user.display_name),
                                position: user.position.clone(),
                                division: user.division.clone(),
                                roles: user.roles.clone(),
                                // Not a password hash: no password ever verifies against it.
                                password_hash: "!minted-sessions-only".into(),
                                created_at: prongsai_sync_server::app::now_ms(),
                            })
                            .await?
                    }
                };
                holders.push(holder);
            }
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for n in 0..count {
                let user = &holders[n as usize % holders.len()];
                let issued = app.issue_session(user, &device, false).await?;
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "server": server.as_str(), "token": issued.token, "peer_id": issued.session.peer_id,
                        "actor_id": issued.session.actor_id, "username": user.username,
                        "agency_id": user.agency_id, "expires_at": issued.session.expires_at,
                    })
                )?;
            }
            out.flush()?;
            drop(out);
            app.repos.stop_all().await;
        }
        UserCommand::List { data, agency } => {
            let app = open(&data, local()).await?;
            let agencies = match agency {
                Some(a) => vec![a],
                None => app.db.agencies().await?.into_iter().map(|a| a.id).collect(),
            };
            let mut out = Vec::new();
            for agency in agencies {
                for u in app.db.users_of_agency(agency).await? {
                    out.push(serde_json::json!({
                        "username": u.username, "agency_id": u.agency_id, "display_name": u.display_name,
                        "position": u.position, "division": u.division,
                        "roles": u.roles.iter().map(Role::as_str).collect::<Vec<_>>(), "disabled": u.disabled,
                    }));
                }
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
    }
    Ok(())
}
