//! Shared setup: a test host wired to fresh fakes and a private key-value file.

use std::collections::HashMap;
use std::path::PathBuf;

use gateway_core::auth::token::{TokenRecord, TOKEN_KEY};
use test_host::fake_codex::FakeCodex;
use test_host::fake_oauth::{login_record, FakeOAuth};
use test_host::{HostConfig, TestHost};

use crate::runtime::{on_spin, Gateway, SpinGateway, TestKv};

pub const KEY: &str = "sk-e2e-downstream-key-0123456789";

pub struct Env {
    pub host: Gateway,
    pub codex: FakeCodex,
    pub oauth: FakeOAuth,
    pub dir: PathBuf,
    pub client: reqwest::Client,
    /// Seconds the test host's guest clock runs ahead (see [`Env::advance_clock`]).
    clock: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// The variables given on top of the wiring to the fakes.
    extra: Vec<(String, String)>,
    /// Removes `dir` when the test ends.
    _scratch: tempfile::TempDir,
}

/// A fresh directory, removed when the returned guard drops.
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("cgw-e2e-{name}-"))
        .tempdir()
        .unwrap()
}

impl Env {
    /// Gateway + fakes, with `extra` variables on top of the wiring to the fakes.
    pub async fn start(name: &str, extra: &[(&str, &str)]) -> Env {
        Self::start_failing(name, extra, &[]).await
    }

    /// Like [`Env::start`], with a variables provider that fails for the `failing` names.
    pub async fn start_failing(name: &str, extra: &[(&str, &str)], failing: &[&str]) -> Env {
        let codex = FakeCodex::start().await.unwrap();
        let oauth = FakeOAuth::start("rt-initial").await.unwrap();
        let scratch = temp_dir(name);
        let dir = scratch.path().to_path_buf();
        let mut variables: HashMap<String, String> = HashMap::from([
            ("downstream_api_key".into(), KEY.into()),
            ("codex_base_url".into(), codex.base_url()),
            ("upstream_base_url".into(), codex.base_url()),
            ("oauth_issuer".into(), oauth.base_url()),
        ]);
        for (k, v) in extra {
            variables.insert((*k).into(), (*v).into());
        }
        let clock = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let host = if on_spin() {
            assert!(
                failing.is_empty(),
                "a failing provider is staged by the test host only"
            );
            let mut variables: Vec<(String, String)> = variables.into_iter().collect();
            variables.sort();
            Gateway::Spin(SpinGateway::start(&dir, &variables).await)
        } else {
            let host = TestHost::start(HostConfig {
                variables,
                kv_path: dir.join(".spin/sqlite_key_value.db"),
                files_dir: None,
                port: 0,
                failing_variables: failing.iter().map(|v| (*v).to_owned()).collect(),
                clock_shift: clock.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
            Gateway::Host(host)
        };
        Env {
            host,
            codex,
            oauth,
            dir,
            clock,
            client: reqwest::Client::new(),
            extra: extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            _scratch: scratch,
        }
    }

    /// The guest's log once it has settled: a line is written after the answer it describes
    /// has left, and Spin appends to its log files on its own time.
    pub async fn logs(&self) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut last = self.host.logs();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let now = self.host.logs();
            if now == last || std::time::Instant::now() > deadline {
                return now;
            }
            last = now;
        }
    }

    /// Another instance of this gateway, sharing its store, fakes and settings: a second
    /// `spin up` on Spin, a second test-host process otherwise; its base URL.
    pub async fn another_instance(&self) -> (Instance, String) {
        match &self.host {
            Gateway::Spin(spin) => {
                let other = Gateway::Spin(spin.another().await);
                let url = other.base_url();
                (Instance::Gateway(other), url)
            }
            Gateway::Host(_) => {
                let (child, url) = self.spawn_process();
                (Instance::Process(child), url)
            }
        }
    }

    /// Another gateway process (the test-host binary) on the same store, fakes and settings;
    /// its base URL.
    pub fn spawn_process(&self) -> (std::process::Child, String) {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_test-host"));
        command
            .arg("--kv")
            .arg(self.dir.join(".spin/sqlite_key_value.db"))
            .args(["--var", &format!("downstream_api_key={KEY}")])
            .args([
                "--var",
                &format!("codex_base_url={}", self.codex.base_url()),
            ])
            .args(["--var", &format!("oauth_issuer={}", self.oauth.base_url())]);
        for (name, value) in &self.extra {
            command.args(["--var", &format!("{name}={value}")]);
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        (child, v["gateway_url"].as_str().unwrap().to_owned())
    }

    /// Move the gateway's wall clock `secs` ahead (test host only: Spin has no such knob).
    pub fn advance_clock(&self, secs: i64) {
        assert!(!on_spin(), "the clock moves on the test host only");
        self.clock
            .fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.host.base_url(), path)
    }

    pub fn kv(&self) -> TestKv {
        TestKv::open(&self.dir.join(".spin/sqlite_key_value.db"), &self.host)
    }

    /// Seed a token record that the fake OAuth server's current refresh token matches.
    pub fn seed_token(&self, expires_in: i64) -> TokenRecord {
        let record = self.login_record(expires_in);
        self.kv()
            .set(TOKEN_KEY, &serde_json::to_vec(&record).unwrap())
            .unwrap();
        record
    }

    /// A token record as a fresh login writes it, matching the fake OAuth server's refresh token.
    pub fn login_record(&self, expires_in: i64) -> TokenRecord {
        login_record(&self.oauth.current_refresh(), expires_in)
    }

    pub fn stored_token(&self) -> Option<TokenRecord> {
        self.kv()
            .get(TOKEN_KEY)
            .unwrap()
            .map(|b| serde_json::from_slice(&b).unwrap())
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(KEY)
    }

    /// POST JSON with the key; status, headers and parsed body (see [`json_of`]).
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
        json_of(self.post_json(path, body).send().await.unwrap()).await
    }

    /// GET with the key; status, headers and parsed body (see [`json_of`]).
    pub async fn fetch(&self, path: &str) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
        json_of(self.get(path).send().await.unwrap()).await
    }

    /// `n` POSTs of `body` to `path` at once; their statuses.
    pub async fn concurrent_posts(
        &self,
        n: usize,
        path: &str,
        body: &serde_json::Value,
    ) -> Vec<u16> {
        let posts = (0..n).map(|_| async {
            let res = self.post_json(path, body).send().await.unwrap();
            res.status().as_u16()
        });
        futures_util::future::join_all(posts).await
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(KEY).json(body)
    }
}

/// A second instance of a scenario's gateway, stopped when dropped.
pub enum Instance {
    /// A test-host process.
    Process(std::process::Child),
    /// A second `spin up`, held to be stopped when dropped.
    Gateway(#[allow(dead_code)] Gateway),
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Instance::Process(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Status, headers and parsed JSON of a response; fails the test on Spin's trap signature.
pub async fn json_of(
    res: reqwest::Response,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap();
    assert!(
        !(status == 500 && bytes.is_empty()),
        "empty 500: the guest trapped or never answered"
    );
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, headers, value)
}

/// Asserts the OpenAI-style envelope and returns its code.
pub fn envelope_code(body: &serde_json::Value) -> String {
    let err = body
        .get("error")
        .unwrap_or_else(|| panic!("no error envelope: {body}"));
    assert!(
        err.get("message").and_then(|m| m.as_str()).is_some(),
        "message: {body}"
    );
    assert_eq!(err["type"], "gateway_error", "{body}");
    err["code"].as_str().unwrap().to_owned()
}

/// The parallel tool-call fixture as a backend answers a request whose `get_weather` tool was
/// sent as `mcp__get_weather`.
pub fn answer_with_shortened_names() -> test_host::fake_codex::Scenario {
    let sse: Vec<u8> = test_host::fake_codex::fixture_events("tool_calls_parallel").concat();
    let body = String::from_utf8(sse)
        .unwrap()
        .replace(r#""name":"get_weather""#, r#""name":"mcp__get_weather""#);
    assert!(body.contains("mcp__get_weather"));
    test_host::fake_codex::Scenario::Raw {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body,
    }
}

/// A minimal chat request.
pub fn chat_body() -> serde_json::Value {
    serde_json::json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]})
}

/// The answer when no token can serve: 503 `oauth_unavailable`, telling the operator to log in.
pub fn assert_asks_for_login(status: u16, body: &serde_json::Value) {
    assert_eq!(status, 503, "{body}");
    assert_eq!(envelope_code(body), "oauth_unavailable");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("login-cli auth login"), "{body}");
}
