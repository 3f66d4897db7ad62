//! The gateway under test. By default the test host; with `E2E_RUNTIME=spin`, Spin itself
//! (`$SPIN`, else `spin` from PATH) serving the shipped `spin.toml`, and with `E2E_KV=redis`
//! also Spin's Redis key-value store on a private `redis-server`; with `E2E_BUILD=p3` as well,
//! the WASIp3 build from `spin-p3.toml`. Scenarios that need the test host's fault injection
//! return early on Spin, saying so.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use test_host::TestHost;

/// Whether this run serves the gateway with Spin.
pub fn on_spin() -> bool {
    std::env::var("E2E_RUNTIME").is_ok_and(|v| v == "spin")
}

/// Whether this run serves the WASIp3 build (on Spin only: the test host is WASI 0.2).
pub fn on_p3() -> bool {
    let p3 = std::env::var("E2E_BUILD").is_ok_and(|v| v == "p3");
    assert!(!p3 || on_spin(), "E2E_BUILD=p3 needs E2E_RUNTIME=spin");
    p3
}

/// After a test wrote the store behind the gateway's back, as another instance would: the
/// WASIp3 build sees such a write within `gateway_core::memo::MAX_AGE_MS`, so it waits that
/// long; the WASI 0.2 build reads the store on every request.
pub async fn another_instance_wrote() {
    if on_spin() && on_p3() {
        let ms = gateway_core::memo::MAX_AGE_MS.unsigned_abs() + 100;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Whether this run serves the gateway with Spin on its Redis key-value store.
pub fn on_redis() -> bool {
    on_spin() && std::env::var("E2E_KV").is_ok_and(|v| v == "redis")
}

/// Return early from a scenario that only the test host can stage.
#[macro_export]
macro_rules! test_host_only {
    ($why:expr) => {
        if $crate::runtime::on_spin() {
            eprintln!("skipped on Spin: {}", $why);
            return;
        }
    };
}

/// Return early from a scenario that needs Spin on Redis, unless this run is one.
#[macro_export]
macro_rules! spin_redis_only {
    ($why:expr) => {
        if !$crate::runtime::on_redis() {
            eprintln!(
                "skipped: runs only on Spin with Redis (E2E_RUNTIME=spin E2E_KV=redis): {}",
                $why
            );
            return;
        }
    };
}

/// A served gateway.
pub enum Gateway {
    Host(TestHost),
    Spin(SpinGateway),
}

impl Gateway {
    pub fn base_url(&self) -> String {
        match self {
            Self::Host(h) => h.base_url(),
            Self::Spin(s) => s.url.clone(),
        }
    }

    /// Everything the guest logged so far.
    pub fn logs(&self) -> String {
        match self {
            Self::Host(h) => h.logs(),
            Self::Spin(s) => ["stdout", "stderr"]
                .iter()
                .map(|stream| {
                    let file = s.state_dir.join(format!("logs/gateway_{stream}.txt"));
                    std::fs::read_to_string(file).unwrap_or_default()
                })
                .collect(),
        }
    }
}

/// `spin up` on a shipped manifest (only the component's `source` points at the tested build).
pub struct SpinGateway {
    child: Child,
    /// What `spin up` was given, to start it again.
    args: Vec<std::ffi::OsString>,
    url: String,
    state_dir: PathBuf,
    redis: Option<RedisServer>,
}

impl Drop for SpinGateway {
    fn drop(&mut self) {
        self.kill();
    }
}

impl SpinGateway {
    pub async fn start(dir: &Path, variables: &[(String, String)]) -> SpinGateway {
        let (manifest, wasm) = if on_p3() {
            ("spin-p3.toml", test_host::GATEWAY_P3_WASM)
        } else {
            ("spin.toml", test_host::GATEWAY_WASM)
        };
        let manifest = std::fs::read_to_string(test_host::repo_path(manifest)).unwrap();
        let source = format!("source = {:?}", wasm);
        let manifest: String = manifest
            .lines()
            .map(|l| {
                if l.starts_with("source = ") {
                    source.as_str()
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.join("spin.toml"), manifest).unwrap();
        let state_dir = dir.join(".spin");
        let port = free_port();
        let mut args: Vec<std::ffi::OsString> = vec![
            "up".into(),
            "--from".into(),
            dir.join("spin.toml").into(),
            "--listen".into(),
            format!("127.0.0.1:{port}").into(),
            "--state-dir".into(),
            state_dir.clone().into(),
            "--quiet".into(),
        ];
        let redis = on_redis().then(|| RedisServer::start(&dir.join("redis")));
        if let Some(redis) = &redis {
            let config = dir.join("runtime-config.toml");
            std::fs::write(
                &config,
                format!(
                    "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{}\"\n",
                    redis.port
                ),
            )
            .unwrap();
            args.extend(["--runtime-config-file".into(), config.into()]);
        }
        for (k, v) in variables {
            args.extend(["--variable".into(), format!("{k}={v}").into()]);
        }
        let mut gateway = SpinGateway {
            child: spawn_spin(&args),
            args,
            url: format!("http://127.0.0.1:{port}"),
            state_dir,
            redis,
        };
        gateway.wait_ready().await;
        gateway
    }

    /// Another `spin up` of the same deployment (manifest, settings, store and state
    /// directory) on its own port: a second instance sharing the first one's store.
    pub async fn another(&self) -> SpinGateway {
        let port = free_port();
        let mut args = self.args.clone();
        if let Some(at) = args.iter().position(|a| a == "--listen") {
            args[at + 1] = format!("127.0.0.1:{port}").into();
        }
        let mut gateway = SpinGateway {
            child: spawn_spin(&args),
            args,
            url: format!("http://127.0.0.1:{port}"),
            state_dir: self.state_dir.clone(),
            redis: None,
        };
        gateway.wait_ready().await;
        gateway
    }

    /// End `spin up` (as an operator's supervisor would) and start it again, same settings.
    pub async fn restart(&mut self) {
        self.kill();
        self.child = spawn_spin(&self.args);
        self.wait_ready().await;
    }

    fn kill(&mut self) {
        // `spin up` runs the trigger as a child process: end the whole process group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The private Redis behind the store, when this run uses one.
    pub fn redis(&mut self) -> Option<&mut RedisServer> {
        self.redis.as_mut()
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            // Ours must still run: a `spin up` that could not bind its port has ended.
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("spin up ended ({status}) before serving {}", self.url);
            }
            // Any answer of the gateway's means Spin serves (a bad setting under test answers
            // 500); every answer of its carries a request id, the fake servers' do not.
            if let Ok(answer) = client.get(format!("{}/healthz", self.url)).send().await {
                assert!(
                    answer.headers().contains_key("x-request-id"),
                    "something other than this test's gateway answers on {}",
                    self.url
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("spin up did not serve {} within 120 s", self.url);
    }

    pub fn redis_port(&self) -> Option<u16> {
        self.redis.as_ref().map(|r| r.port)
    }
}

fn spawn_spin(args: &[std::ffi::OsString]) -> Child {
    let spin = std::env::var("SPIN").unwrap_or_else(|_| "spin".into());
    Command::new(spin)
        .args(args)
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("E2E_RUNTIME=spin needs spin on PATH or $SPIN")
}

/// A port nothing listens on, never handed to another test of this run: the OS may give a
/// port it just freed to the next bind, and a Spin or Redis that lost the race to bind it
/// would leave its test talking to another test's server.
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A private `redis-server` for one test, persisting to an append-only file in its scenario's
/// directory (the setting docs/en/deployment.md asks for), so it can be stopped and started again.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl RedisServer {
    fn start(dir: &Path) -> RedisServer {
        std::fs::create_dir_all(dir).unwrap();
        let mut redis = RedisServer {
            child: None,
            port: free_port(),
            dir: dir.to_path_buf(),
        };
        // A port taken by some other program since it was picked: try another, a few times
        // (a Redis that fails for any other reason fails every time).
        for _ in 0..5 {
            if redis.serve() {
                return redis;
            }
            redis.port = free_port();
        }
        panic!("redis-server did not start on any of 5 ports");
    }

    /// Start it again on the same port and data directory.
    pub fn resume(&mut self) {
        assert!(self.serve(), "redis-server did not start again on its port");
    }

    /// Start it; whether it is the one answering on its port.
    fn serve(&mut self) -> bool {
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--dir"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("E2E_KV=redis needs redis-server on PATH");
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            if child.try_wait().ok().flatten().is_some() {
                return false;
            }
            if let Some(pid) = redis_pid(self.port) {
                break pid;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("redis-server did not start within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let ours = pid == child.id();
        if !ours {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        self.child = Some(child);
        true
    }

    /// Stop it the way a restart or a crash-free shutdown does: it writes its data and exits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-s", "TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

/// The process id of the Redis answering on `port`, if one does.
fn redis_pid(port: u16) -> Option<u32> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).ok()?;
    // Bounded: something else on the port may accept and never answer.
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(1))
        .ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let info: String = redis::cmd("INFO").arg("server").query(&mut conn).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The store the gateway under test reads: Spin's SQLite file, or its Redis.
pub enum TestKv {
    Sqlite(kv_sqlite::SqliteKv),
    Redis(std::cell::RefCell<redis::Connection>),
}

impl TestKv {
    pub fn open(sqlite: &Path, gateway: &Gateway) -> TestKv {
        if let Gateway::Spin(spin) = gateway {
            if let Some(port) = spin.redis_port() {
                let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
                return TestKv::Redis(client.get_connection().unwrap().into());
            }
        }
        TestKv::Sqlite(kv_sqlite::SqliteKv::open(sqlite, "default").unwrap())
    }

    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            Self::Sqlite(kv) => kv.get(key).map_err(|e| e.to_string()),
            Self::Redis(c) => redis::cmd("GET")
                .arg(key)
                .query(&mut *c.borrow_mut())
                .map_err(|e| e.to_string()),
        }
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        match self {
            Self::Sqlite(kv) => kv.set(key, value).map_err(|e| e.to_string()),
            Self::Redis(c) => redis::cmd("SET")
                .arg(key)
                .arg(value)
                .query(&mut *c.borrow_mut())
                .map_err(|e| e.to_string()),
        }
    }

    pub fn keys(&self) -> Result<Vec<String>, String> {
        match self {
            Self::Sqlite(kv) => kv.keys().map_err(|e| e.to_string()),
            Self::Redis(c) => redis::cmd("KEYS")
                .arg("*")
                .query(&mut *c.borrow_mut())
                .map_err(|e| e.to_string()),
        }
    }

    pub fn delete(&self, key: &str) -> Result<(), String> {
        match self {
            Self::Sqlite(kv) => kv.delete(key).map_err(|e| e.to_string()),
            Self::Redis(c) => redis::cmd("DEL")
                .arg(key)
                .query(&mut *c.borrow_mut())
                .map_err(|e| e.to_string()),
        }
    }

    /// Remove every key, as a `FLUSHALL`, an evicting Redis or a lost volume does.
    pub fn wipe(&self) {
        for key in self.keys().unwrap() {
            self.delete(&key).unwrap();
        }
    }

    /// Seconds `key` has left to live on Redis (`-1`: no expiry); `None` on SQLite, which has
    /// no expiry at all.
    pub fn ttl_secs(&self, key: &str) -> Option<i64> {
        match self {
            Self::Sqlite(_) => None,
            Self::Redis(c) => Some(
                redis::cmd("TTL")
                    .arg(key)
                    .query(&mut *c.borrow_mut())
                    .unwrap(),
            ),
        }
    }
}
