//! A fake of auth.openai.com's token endpoint on 127.0.0.1 that behaves like the real one where
//! it matters: refresh tokens rotate and are single-use (a reused one gets
//! `refresh_token_reused`), every call is counted, and failures can be switched on.
//!
//! The login side (browser authorize with PKCE, the code exchange, the device-code endpoints and
//! revocation, for login-cli's tests) lives in `fake_oauth/login.rs`.

mod login;

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::server::conn::http1;
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

/// How the token endpoint behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Rotate tokens normally.
    Normal,
    /// Answer 503 (transient).
    Down,
    /// Answer 400 with this OAuth error code (terminal, e.g. `invalid_grant`).
    Reject(String),
}

struct State {
    current_refresh: Mutex<String>,
    /// Further logins, one refresh chain per ChatGPT account: account → its valid refresh token.
    chains: Mutex<std::collections::HashMap<String, String>>,
    chain_calls: Mutex<std::collections::HashMap<String, usize>>,
    used: Mutex<HashSet<String>>,
    issued_access: Mutex<Vec<String>>,
    refresh_calls: AtomicUsize,
    reused: AtomicUsize,
    generation: AtomicUsize,
    mode: Mutex<Mode>,
    delay_ms: Mutex<u64>,
    access_ttl_secs: Mutex<i64>,
    login: login::LoginState,
}

/// A running fake issuer.
pub struct FakeOAuth {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOAuth {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A token record as a fresh login writes it (account `acct-test`), good for `expires_in`
/// seconds and renewable with `refresh_token`.
pub fn login_record(
    refresh_token: &str,
    expires_in: i64,
) -> gateway_core::auth::token::TokenRecord {
    account_record("acct-test", refresh_token, expires_in)
}

/// Like [`login_record`], for the ChatGPT account `account`.
pub fn account_record(
    account: &str,
    refresh_token: &str,
    expires_in: i64,
) -> gateway_core::auth::token::TokenRecord {
    use gateway_core::auth::token::{Secret, TokenRecord, RECORD_VERSION};
    TokenRecord {
        version: RECORD_VERSION,
        access_token: Secret::new(make_jwt(now() + expires_in, account, "seed")),
        refresh_token: Secret::new(refresh_token),
        id_token: None,
        account_id: Some(account.into()),
        email: Some("dev@example.com".into()),
        plan_type: Some("plus".into()),
        expires_at: Some(now() + expires_in),
        last_refresh: now() - 60,
        last_failure: None,
    }
}

/// An unsigned JWT with the claims the gateway reads (signature is not checked by anyone).
pub fn make_jwt(exp: i64, account: &str, nonce: &str) -> String {
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let header = serde_json::json!({"alg":"RS256","typ":"JWT"});
    let claims = serde_json::json!({
        "exp": exp,
        "iat": now(),
        "email": "dev@example.com",
        "jti": nonce,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": account,
            "chatgpt_plan_type": "plus",
        }
    });
    format!("{}.{}.sig", b64(&header), b64(&claims))
}

impl FakeOAuth {
    /// Start with `refresh` as the one valid refresh token.
    pub async fn start(refresh: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            current_refresh: Mutex::new(refresh.to_owned()),
            chains: Mutex::default(),
            chain_calls: Mutex::default(),
            used: Mutex::new(HashSet::new()),
            issued_access: Mutex::new(Vec::new()),
            refresh_calls: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            mode: Mutex::new(Mode::Normal),
            delay_ms: Mutex::new(0),
            access_ttl_secs: Mutex::new(3600),
            login: login::LoginState::default(),
        });
        let task = tokio::spawn(accept(listener, state.clone()));
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:<port>` (the issuer).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Token-endpoint refresh calls so far.
    pub fn refresh_calls(&self) -> usize {
        self.state.refresh_calls.load(Ordering::SeqCst)
    }
    /// Refreshes rejected as `refresh_token_reused`.
    pub fn reused_rejections(&self) -> usize {
        self.state.reused.load(Ordering::SeqCst)
    }
    /// The currently valid refresh token.
    pub fn current_refresh(&self) -> String {
        lock(&self.state.current_refresh).clone()
    }
    /// Access tokens issued by refreshes.
    pub fn issued_access(&self) -> Vec<String> {
        lock(&self.state.issued_access).clone()
    }
    /// Log in another ChatGPT account: `account` gets its own refresh chain, starting at a
    /// refresh token this returns, and its own count of refreshes.
    pub fn add_account(&self, account: &str) -> String {
        let refresh = format!("rt-{account}-initial");
        lock(&self.state.chains).insert(account.to_owned(), refresh.clone());
        refresh
    }

    /// Refresh calls made with `account`'s chain.
    pub fn refresh_calls_for(&self, account: &str) -> usize {
        lock(&self.state.chain_calls)
            .get(account)
            .copied()
            .unwrap_or_default()
    }

    /// Switch behaviour.
    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.state.mode) = mode;
    }
    /// Delay every answer (a slow issuer widens race windows).
    pub fn set_delay_ms(&self, ms: u64) {
        *lock(&self.state.delay_ms) = ms;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn accept(listener: TcpListener, state: Arc<State>) {
    while let Ok((stream, _)) = listener.accept().await {
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Body = BoxBody<Bytes, Infallible>;

fn json(status: u16, value: serde_json::Value) -> hyper::Response<Body> {
    let mut res = hyper::Response::new(Full::new(Bytes::from(value.to_string())).boxed());
    *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    res
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url_decode_pairs(&String::from_utf8_lossy(body))
}

/// Minimal `application/x-www-form-urlencoded` decoding.
pub fn url_decode_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(
    state: Arc<State>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Body>, Infallible> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let delay = *lock(&state.delay_ms);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if let Some(res) = login::route(&state, &path, &query, &body) {
        return Ok(res);
    }
    if path != "/oauth/token" {
        return Ok(json(404, serde_json::json!({"error":"not_found"})));
    }
    let fields = form(&body);
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match get("grant_type").as_deref() {
        Some("refresh_token") => Ok(refresh(&state, get("refresh_token").unwrap_or_default())),
        Some("authorization_code") => Ok(login::exchange_code(&state, &fields)),
        _ => Ok(json(
            400,
            serde_json::json!({"error":"unsupported_grant_type"}),
        )),
    }
}

/// A refresh of one of the further accounts' chains, if `presented` is one's current token.
fn refresh_chain(state: &State, presented: &str) -> Option<hyper::Response<Body>> {
    let mut chains = lock(&state.chains);
    let (account, current) = chains.iter_mut().find(|(_, rt)| **rt == presented)?;
    *lock(&state.chain_calls).entry(account.clone()).or_default() += 1;
    let n = state.generation.fetch_add(1, Ordering::SeqCst) + 1;
    lock(&state.used).insert(current.clone());
    *current = format!("rt-{account}-gen-{n}");
    let ttl = *lock(&state.access_ttl_secs);
    let access = make_jwt(now() + ttl, account, &format!("gen-{n}"));
    lock(&state.issued_access).push(access.clone());
    Some(json(
        200,
        serde_json::json!({
            "access_token": access,
            "refresh_token": current.clone(),
            "id_token": make_jwt(now() + ttl, account, "id"),
            "expires_in": ttl,
            "token_type": "Bearer",
        }),
    ))
}

fn refresh(state: &State, presented: String) -> hyper::Response<Body> {
    state.refresh_calls.fetch_add(1, Ordering::SeqCst);
    match lock(&state.mode).clone() {
        Mode::Normal => {}
        Mode::Down => return json(503, serde_json::json!({"error":"temporarily_unavailable"})),
        Mode::Reject(code) => {
            return json(
                400,
                serde_json::json!({"error": code, "error_description": "rejected by test"}),
            )
        }
    }
    if let Some(res) = refresh_chain(state, &presented) {
        return res;
    }
    let mut current = lock(&state.current_refresh);
    if presented != *current {
        if lock(&state.used).contains(&presented) {
            state.reused.fetch_add(1, Ordering::SeqCst);
            return json(
                401,
                serde_json::json!({"error": {"message": "Your refresh token has already been used to generate a new access token. Please try signing in again.", "type": "invalid_request_error", "code": "refresh_token_reused"}}),
            );
        }
        return json(
            400,
            serde_json::json!({"error":"invalid_grant","error_description":"unknown refresh token"}),
        );
    }
    let n = state.generation.fetch_add(1, Ordering::SeqCst) + 1;
    lock(&state.used).insert(current.clone());
    let new_refresh = format!("rt-gen-{n}");
    *current = new_refresh.clone();
    let ttl = *lock(&state.access_ttl_secs);
    let access = make_jwt(now() + ttl, "acct-test", &format!("gen-{n}"));
    lock(&state.issued_access).push(access.clone());
    json(
        200,
        serde_json::json!({
            "access_token": access,
            "refresh_token": new_refresh,
            "id_token": make_jwt(now() + ttl, "acct-test", "id"),
            "expires_in": ttl,
            "token_type": "Bearer",
        }),
    )
}
