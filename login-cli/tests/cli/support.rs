//! Running the real `login-cli` binary against the fakes: a private workdir, a config pointing at
//! the fake issuer, line-by-line stdout, and a browser stand-in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use gateway_core::auth::token::{TokenRecord, TOKEN_KEY};
use test_host::fake_codex::FakeCodex;
use test_host::fake_oauth::FakeOAuth;
use test_host::{HostConfig, TestHost};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

pub const KEY: &str = "sk-login-cli-downstream-key-0123456789";
pub const ADMIN_KEY: &str = "admin-key-for-login-cli-tests-0123456789";

/// A private workdir.
pub struct Work {
    pub dir: tempfile::TempDir,
}

impl Work {
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn write_config(&self, yaml: &str) {
        std::fs::write(self.dir.path().join("config.yaml"), yaml).unwrap();
    }

    /// A config for `oauth`: its issuer, any free callback port, plain logs.
    pub fn use_issuer(&self, oauth: &FakeOAuth, extra: &str) {
        self.write_config(&format!(
            "oauth:\n  issuer: {}\n  redirect_port: 0\nlogging:\n  color: never\n{extra}",
            oauth.base_url()
        ));
    }

    pub fn token_file(&self) -> PathBuf {
        self.dir.path().join("oauth-token.json")
    }

    pub fn spin_db(&self) -> PathBuf {
        self.dir.path().join(".spin/sqlite_key_value.db")
    }

    /// The record in the token file.
    pub fn file_record(&self) -> Option<TokenRecord> {
        let bytes = std::fs::read(self.token_file()).ok()?;
        Some(TokenRecord::from_json(&bytes).unwrap())
    }

    /// The Spin row: its SQLite type and the record.
    pub fn spin_row(&self) -> Option<(String, TokenRecord)> {
        if !self.spin_db().exists() {
            return None;
        }
        let conn = rusqlite::Connection::open(self.spin_db()).unwrap();
        let row = conn.query_row(
            "SELECT typeof(value), value FROM spin_key_value WHERE store = 'default' AND key = ?1",
            [TOKEN_KEY],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)),
        );
        match row {
            Ok((ty, bytes)) => Some((ty, TokenRecord::from_json(&bytes).unwrap())),
            Err(rusqlite::Error::QueryReturnedNoRows) => None,
            Err(e) => panic!("{e}"),
        }
    }

    /// The token file of `account` (`oauth-token.<account>.json`).
    pub fn account_file(&self, account: &str) -> PathBuf {
        self.dir.path().join(format!("oauth-token.{account}.json"))
    }

    /// The value under `key` in the workdir's Spin store (without creating the store).
    pub fn spin_value(&self, key: &str) -> Option<Vec<u8>> {
        if !self.spin_db().exists() {
            return None;
        }
        kv_sqlite::SqliteKv::open(&self.spin_db(), "default")
            .unwrap()
            .get(key)
            .unwrap()
    }

    /// Store `value` under `key` in the workdir's Spin store.
    pub fn set_spin_value(&self, key: &str, value: &[u8]) {
        kv_sqlite::SqliteKv::open(&self.spin_db(), "default")
            .unwrap()
            .set(key, value)
            .unwrap();
    }

    pub fn assert_no_token(&self) {
        assert!(!self.token_file().exists(), "a token file was left behind");
        assert!(self.spin_row().is_none(), "a Spin row was left behind");
        let stray: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("oauth-token"))
            .collect();
        assert!(stray.is_empty(), "temporary token files left: {stray:?}");
    }

    /// `login-cli --workdir <dir> <args>` with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_login-cli"));
        cmd.arg("--workdir").arg(self.dir.path()).args(args);
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "NO_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "no_proxy",
            "CODEX_HOME",
            "CODEX_GATEWAY_ADMIN_KEY",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.dir.path().join("home"));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.kill_on_drop(true);
        cmd
    }

    pub fn spawn(&self, args: &[&str]) -> Running {
        Running::new(self.command(args))
    }

    pub fn spawn_with_stdin(&self, args: &[&str]) -> Running {
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::piped());
        Running::new(cmd)
    }

    /// Run to completion.
    pub async fn run(&self, args: &[&str]) -> Finished {
        self.spawn(args).finish().await
    }

    /// Run to completion with `env` set on top of the clean environment.
    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Finished {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        Running::new(cmd).finish().await
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Finished {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A running binary whose stdout is read line by line.
pub struct Running {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<String>,
}

impl Running {
    fn new(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        Running {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            seen: Vec::new(),
        }
    }

    /// The first stdout line containing `needle` (20 s at most).
    pub async fn line_with(&mut self, needle: &str) -> String {
        let found = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = self.lines.next_line().await.unwrap() {
                self.seen.push(line.clone());
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!(
                "no stdout line with {needle:?}; saw:\n{}",
                self.seen.join("\n")
            ),
        }
    }

    /// The authorization URL the binary printed.
    pub async fn authorize_url(&mut self) -> String {
        self.line_with("/oauth/authorize?").await.trim().to_owned()
    }

    pub async fn write_stdin(&mut self, text: &str) {
        use tokio::io::AsyncWriteExt;
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// Wait (30 s at most) and collect the rest of the output.
    pub async fn finish(self) -> Finished {
        let Running {
            mut child,
            stdin,
            lines,
            seen,
        } = self;
        drop(stdin);
        let mut rest = String::new();
        let mut stderr = String::new();
        let mut err_pipe = child.stderr.take().unwrap();
        let mut out = lines.into_inner();
        let status = tokio::time::timeout(Duration::from_secs(30), async {
            let _ = tokio::join!(
                out.read_to_string(&mut rest),
                err_pipe.read_to_string(&mut stderr)
            );
            child.wait().await.unwrap()
        })
        .await
        .expect("login-cli did not exit within 30 s");
        let mut stdout = seen.join("\n");
        stdout.push('\n');
        stdout.push_str(&rest);
        Finished {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

/// A reqwest client that never follows redirects and ignores proxy variables.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The query parameters of a URL.
pub fn query(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    test_host::fake_oauth::url_decode_pairs(q)
        .into_iter()
        .collect()
}

/// Play the user at the issuer: open the authorize URL and return where the issuer redirects.
pub async fn sign_in(url: &str) -> String {
    let res = browser().get(url).send().await.unwrap();
    assert_eq!(
        res.status(),
        302,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Follow a redirect to the callback; the page's status and text.
pub async fn visit(url: &str) -> (u16, String) {
    let res = browser().get(url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The callback URL with other parameters.
pub fn callback_with(location: &str, query: &str) -> String {
    let base = location.split_once('?').map_or(location, |(b, _)| b);
    format!("{base}?{query}")
}

/// A gateway on `kv_path`, wired to the fakes, with `extra` variables.
pub async fn gateway(
    kv_path: PathBuf,
    codex: &FakeCodex,
    oauth: &FakeOAuth,
    extra: &[(&str, &str)],
) -> TestHost {
    let mut variables: HashMap<String, String> = HashMap::from([
        ("downstream_api_key".into(), KEY.into()),
        ("codex_base_url".into(), codex.base_url()),
        ("oauth_issuer".into(), oauth.base_url()),
    ]);
    for (k, v) in extra {
        variables.insert((*k).into(), (*v).into());
    }
    TestHost::start(HostConfig {
        variables,
        kv_path,
        files_dir: None,
        port: 0,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// A deployed gateway: a test host on its own store, wired to its own fakes.
pub struct Deployed {
    pub host: TestHost,
    /// Its Spin key-value store.
    pub kv_path: PathBuf,
    pub codex: FakeCodex,
    pub oauth: FakeOAuth,
    /// Holds the store; removed when dropped.
    pub dir: tempfile::TempDir,
}

impl Deployed {
    /// A gateway with `extra` variables, whose issuer accepts refresh token `rt`.
    pub async fn start(extra: &[(&str, &str)]) -> Deployed {
        let oauth = FakeOAuth::start("rt").await.unwrap();
        let codex = FakeCodex::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kv_path = dir.path().join(".spin/sqlite_key_value.db");
        let host = gateway(kv_path.clone(), &codex, &oauth, extra).await;
        Deployed {
            host,
            kv_path,
            codex,
            oauth,
            dir,
        }
    }
}

/// A one-message chat completion through the gateway; status and body.
pub async fn chat(host: &TestHost, stream: bool) -> (u16, String) {
    let res = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/v1/chat/completions", host.base_url()))
        .bearer_auth(KEY)
        .json(&serde_json::json!({
            "model": "gpt-5.4",
            "stream": stream,
            "messages": [{"role": "user", "content": "hi"}],
        }))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}
