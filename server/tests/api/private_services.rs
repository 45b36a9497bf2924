//! Private instances a test may kill, freeze and restart: a single `nats-server`, a PostgreSQL
//! cluster of its own (`initdb` + `pg_ctl` in a temporary directory), and Chatalot components as
//! processes of their own (`chatalot <role>`). Never the shared services other tests use.

use crate::helpers::{config_env, eventually, free_local_port};
use chatalot_shared::config::Config;
use std::{
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Sends `signal` (`STOP`, `CONT`, ...) to process `pid` with kill(1).
pub fn send_signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill(1)");
    assert!(sent.success(), "SIG{signal} to {pid} not delivered");
}

/// Waits (at most 10 s) until something accepts connections on `port`.
fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A private nats-server (core NATS, no JetStream) that a test can kill, freeze and restart on
/// the same port.
pub struct PrivateNats {
    pub port: u16,
    child: Option<Child>,
}

impl PrivateNats {
    pub fn start(port: u16) -> Self {
        let mut nats = Self { port, child: None };
        nats.restart();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("nats-server running").id()
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Starts the server (again) on its port and waits until it accepts clients.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server must be installed (scripts/test.sh installs it)");
        self.child = Some(child);
        wait_for_port(self.port, "nats-server");
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        // A frozen server would not die of SIGKILL until continued; SIGKILL does kill stopped
        // processes, but continue it anyway so nothing is left behind stopped.
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .stderr(Stdio::null())
                .status();
        }
        self.kill();
    }
}

/// A PostgreSQL cluster of the test's own: `initdb` into a temporary directory, served by
/// `pg_ctl` on a free port with trust authentication. PostgreSQL refuses to run as root, so when
/// the tests run as root every command runs as the `postgres` user (`runuser`), in a directory
/// it owns. Stopped (`-m immediate`) and deleted when dropped.
pub struct PrivatePostgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
}

impl PrivatePostgres {
    pub fn start() -> Self {
        let bin = postgres_bin_dir();
        let as_postgres = String::from_utf8_lossy(
            &Command::new("id")
                .arg("-u")
                .output()
                .expect("run id(1)")
                .stdout,
        )
        .trim()
            == "0";
        let dir = std::env::temp_dir().join(format!(
            "chatalot-test-pg-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("create the PostgreSQL directory");
        let postgres = Self {
            port: free_local_port(),
            dir,
            bin,
            as_postgres,
        };
        if as_postgres {
            let owned = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&postgres.dir)
                .status()
                .expect("run chown");
            assert!(owned.success(), "cannot give the directory to postgres");
        }
        postgres.run(
            "initdb",
            &[
                "-D",
                &postgres.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            postgres.port,
            postgres.dir.display()
        );
        postgres.pg_ctl(&["start", "-o", &options]);
        postgres
    }

    /// The server's URL for `database`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// `program` from PostgreSQL's bin directory, as the postgres user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let status = self
            .command(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|err| panic!("run {program}: {err}"));
        assert!(status.success(), "{program} {args:?} failed: {status}");
    }

    /// `pg_ctl <action>` on this cluster, waiting (at most 30 s) for it to complete. The
    /// server's output goes to a log file: a server holding the test's pipes open would hang it.
    fn pg_ctl(&self, args: &[&str]) {
        let log = self.dir.join("log").display().to_string();
        let data = self.data();
        let mut all = vec!["-D", &data, "-l", &log, "-w", "-t", "30"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all);
    }

    /// `pg_ctl restart -m fast`: connections are closed, the server comes back on the same port.
    pub fn restart_fast(&self) {
        self.pg_ctl(&["restart", "-m", "fast"]);
    }

    /// The postmaster and every process it started (backends, checkpointer, ...).
    pub fn pids(&self) -> Vec<u32> {
        let pid_file = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .expect("postmaster.pid of a running server");
        let postmaster: u32 = pid_file
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .expect("a pid in postmaster.pid");
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok());
            if ppid == Some(postmaster) {
                pids.push(pid);
            }
        }
        pids
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.dir.join("data/postmaster.pid").exists() {
            // A frozen server cannot stop: continue every process first.
            for pid in self.pids() {
                let _ = Command::new("kill")
                    .args(["-CONT", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
            let data = self.data();
            let _ = self
                .command("pg_ctl")
                .args(["-D", &data, "-m", "immediate", "-w", "-t", "20", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest PostgreSQL's bin directory (`/usr/lib/postgresql/<version>/bin`), or
/// `TEST_POSTGRES_BIN`.
fn postgres_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TEST_POSTGRES_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL must be installed (scripts/lib/services.sh installs it)")
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL with initdb").1
}

/// One Chatalot component as a process of its own (`chatalot gateway`, `chatalot message`, ...),
/// so a test can SIGKILL it like a crash. Its admin port tells whether it is ready. Killed when
/// dropped.
pub struct ChatalotProcess {
    pub role: &'static str,
    /// Where a gateway listens (None for a service).
    pub addr: Option<SocketAddr>,
    pub admin: SocketAddr,
    child: Child,
}

impl ChatalotProcess {
    /// Starts `chatalot <role>` with `config` and waits (at most 30 s) until its `/readyz`
    /// answers 200 and, for a gateway, it listens.
    pub async fn start(role: &'static str, config: &Config) -> Self {
        use std::io::BufRead;
        let admin = SocketAddr::from(([127, 0, 0, 1], free_local_port()));
        // TEST_CHATALOT_BIN: another build of the binary (a copy, when the target directory is
        // shared with other checkouts that overwrite it).
        let program = std::env::var("TEST_CHATALOT_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_chatalot").to_string());
        let mut command = Command::new(program);
        command.arg(role).env_clear();
        for (key, value) in config_env(config) {
            command.env(key, value);
        }
        let log_filter = std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into());
        command
            .env("CHATALOT_GATEWAY__LISTEN", "127.0.0.1:0")
            .env("CHATALOT_ADMIN__LISTEN", admin.to_string())
            .env("CHATALOT_TELEMETRY__LOG_FILTER", log_filter)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("start `chatalot {role}`: {err}"));
        let stdout = child.stdout.take().expect("the process's stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the address, then keeps draining (logs go to stdout) so the child never blocks.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("gateway listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                } else if std::env::var_os("TEST_LOG").is_some() {
                    eprintln!("[{role} process] {line}");
                }
            }
        });
        let mut process = Self {
            role,
            addr: None,
            admin,
            child,
        };
        let ready = eventually(Duration::from_secs(30), || process.is_ready()).await;
        assert!(ready, "`chatalot {role}` not ready within 30 s");
        if role == "gateway" {
            let addr = rx
                .recv_timeout(Duration::from_secs(5))
                .expect("a ready gateway printed its address");
            process.addr = Some(addr.parse().expect("a socket address"));
        }
        process
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process still runs (it never exited since it was started).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Whether its `/readyz` answers 200 (NATS connected, database and Redis answering).
    pub async fn is_ready(&self) -> bool {
        let url = format!("http://{}/readyz", self.admin);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .expect("http client");
        matches!(client.get(url).send().await, Ok(r) if r.status() == 200)
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for ChatalotProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
