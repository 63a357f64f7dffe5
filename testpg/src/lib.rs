//! A throwaway PostgreSQL cluster for tests. Tests run as root, and PostgreSQL refuses to: the
//! cluster is made (`initdb`) and run (`postgres`) as the `postgres` user Debian's package
//! creates, or `nobody`, in a directory of its own under the system's temporary directory, on a
//! free loopback port with its socket beside its data. Dropping it stops the server (a fast
//! shutdown, then harder) and removes the directory. If the test's process is killed outright,
//! a watchdog beside the server ends it and removes the directory, so no cluster outlives its test.
//!
//! The binaries come from `/usr/lib/postgresql/15/bin` (`PRONGSAI_PG_BIN` names another), which
//! `scripts/setup.sh` installs; nothing needs to run beforehand.

use std::io;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's PostgreSQL 15 keeps its server binaries.
pub const DEFAULT_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running cluster. Its superuser is `postgres`, trusted on loopback (a test's own cluster).
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

fn bin_dir() -> PathBuf {
    std::env::var_os("PRONGSAI_PG_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEFAULT_BIN))
}

/// The uid and gid PostgreSQL runs as: `postgres`, else `nobody`.
fn unprivileged() -> io::Result<(u32, u32)> {
    let id = |flag: &str, user: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok().filter(|_| out.status.success())
    };
    for user in ["postgres", "nobody"] {
        if let (Some(uid), Some(gid)) = (id("-u", user), id("-g", user)) {
            return Ok((uid, gid));
        }
    }
    Err(io::Error::other("neither a postgres nor a nobody user to run PostgreSQL as"))
}

/// Sends `signal` (a name: INT, QUIT) to `pid`.
fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status();
}

fn free_port() -> io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn run(command: &mut Command, what: &str) -> io::Result<()> {
    let out = command.output()?;
    if out.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )))
}

impl Cluster {
    /// Makes and starts a new cluster, ready for connections.
    pub fn start() -> io::Result<Cluster> {
        let (uid, gid) = unprivileged()?;
        let bin = bin_dir();
        let unique = format!(
            "prongsai-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
        );
        let dir = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&dir)?;
        let mut cluster = Cluster { dir, port: 0, child: None };
        let data = cluster.data_dir();
        std::fs::create_dir(&data)?;
        std::os::unix::fs::chown(&cluster.dir, Some(uid), Some(gid))?;
        std::os::unix::fs::chown(&data, Some(uid), Some(gid))?;
        run(
            Command::new(bin.join("initdb"))
                .args(["-D".as_ref(), data.as_os_str()])
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
                .current_dir(&cluster.dir)
                .uid(uid)
                .gid(gid)
                .env("LC_ALL", "C"),
            "initdb",
        )?;
        // A port another process takes between choosing and binding makes the server exit: choose again.
        let mut last = None;
        for _ in 0..5 {
            match cluster.launch(free_port()?) {
                Ok(()) => return Ok(cluster),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("postgres did not start")))
    }

    /// Starts the server on `port` and waits until it accepts connections.
    fn launch(&mut self, port: u16) -> io::Result<()> {
        let (uid, gid) = unprivileged()?;
        let data = self.data_dir();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("server.log"))?;
        let mut command = Command::new(bin_dir().join("postgres"));
        command
            .args(["-D".as_ref(), data.as_os_str()])
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .args(["-k".as_ref(), self.dir.as_os_str()])
            // No POSIX shared memory segments left behind if the server is ever killed.
            .args(["-c", "dynamic_shared_memory_type=mmap"])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .uid(uid)
            .gid(gid);
        let mut child = command.spawn()?;
        // A test killed outright drops nothing: a watchdog of the server's own ends it (an
        // immediate shutdown) and removes its directory once the test's process is gone.
        let watchdog = format!(
            "while kill -0 {test} 2>/dev/null && kill -0 {server} 2>/dev/null; do sleep 1; done; \
             if kill -0 {server} 2>/dev/null; then kill -QUIT {server}; sleep 2; kill -KILL {server} 2>/dev/null; \
             rm -rf '{dir}'; fi",
            test = std::process::id(),
            server = child.id(),
            dir = self.dir.display()
        );
        Command::new("sh")
            .args(["-c", &watchdog])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!("postgres exited ({status}): {}", self.log())));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() && self.accepts(port) {
                self.port = port;
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(io::Error::other(format!("postgres did not start in 30 s: {}", self.log())));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// SIGKILLs the server (a crash: no shutdown, no checkpoint) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same data and port, after [`Cluster::kill`]: it recovers
    /// from its write-ahead log as after a crash.
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        // Backends of the killed server may hold its shared memory a moment longer.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.launch(self.port) {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// Whether the server accepts connections (not merely its port: it also answers while it is
    /// still starting up).
    fn accepts(&self, port: u16) -> bool {
        Command::new(bin_dir().join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
            .status()
            .is_ok_and(|s| s.success())
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server's log so far (for a failure's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's own directory (its data, socket and log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A URL for `database` as the superuser, over loopback TCP.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs SQL as the superuser in `database` with Debian's `psql`; answers its unaligned output.
    pub fn psql(&self, database: &str, sql: &str) -> io::Result<String> {
        let out = Command::new(bin_dir().join("psql"))
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"])
            .args(["-p", &self.port.to_string(), "-d", database, "-c", sql])
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!("psql: {}", String::from_utf8_lossy(&out.stderr))));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    /// Makes a new, empty database.
    pub fn create_database(&self, name: &str) -> io::Result<()> {
        self.psql("postgres", &format!("CREATE DATABASE \"{}\"", name.replace('"', "")))?;
        Ok(())
    }

    /// The server's process id (to pause it or kill it in a fault test).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server: a fast shutdown (SIGINT), then an immediate one (SIGQUIT), then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        for (name, wait) in [("INT", 10), ("QUIT", 5)] {
            signal(child.id(), name);
            let deadline = Instant::now() + Duration::from_secs(wait);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_starts_answers_and_leaves_nothing_behind() {
        let cluster = Cluster::start().expect("a cluster starts");
        cluster.create_database("prongsai").expect("a database");
        assert_eq!(cluster.psql("prongsai", "SELECT 1 + 1").expect("a query"), "2");
        assert_eq!(cluster.psql("prongsai", "SHOW fsync").expect("a setting"), "on", "durable, as in production");
        let (dir, port, pid) = (cluster.dir().to_path_buf(), cluster.port(), cluster.pid().expect("running"));
        drop(cluster);
        assert!(!dir.exists(), "its directory is removed");
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "nothing listens on its port");
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "the server has exited");
    }
}
