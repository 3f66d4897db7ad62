//! Test doubles for the auth module: clocks, a rotating fake token endpoint, a hooking store.
//!
//! Test-only; never compiled into the component.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::mem_kv::MemKv;
use super::oauth::{RefreshError, TokenEndpoint, TokenResponse};
use super::token::{Secret, TokenRecord, RECORD_VERSION, TOKEN_KEY};
use crate::ports::{Clock, Kv, KvError};

/// An unsigned JWT carrying `payload`.
pub(crate) fn make_jwt(payload: &serde_json::Value) -> String {
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("eyJhbGciOiJub25lIn0.{body}.c2ln")
}

type Hook = Box<dyn FnOnce() + Send>;

/// Virtual time shared by several clocks (instances), each with its own skew.
#[derive(Clone, Default)]
pub(crate) struct VirtualTime(Arc<AtomicI64>);

impl VirtualTime {
    pub(crate) fn at(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }
    pub(crate) fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    pub(crate) fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
    pub(crate) fn clock(&self) -> VirtualClock {
        self.skewed(0)
    }
    pub(crate) fn skewed(&self, skew_ms: i64) -> VirtualClock {
        VirtualClock {
            time: self.clone(),
            skew_ms,
            on_sleep: Mutex::new(VecDeque::new()),
            slept_ms: AtomicI64::new(0),
        }
    }
}

/// A clock whose `sleep_ms` advances virtual time (after running the next queued hook, if any).
pub(crate) struct VirtualClock {
    time: VirtualTime,
    skew_ms: i64,
    on_sleep: Mutex<VecDeque<Option<Hook>>>,
    slept_ms: AtomicI64,
}

impl VirtualClock {
    /// Queue a hook for the next sleep (`None` = a plain sleep), in order.
    pub(crate) fn on_sleep(&self, hook: Option<Hook>) {
        self.on_sleep.lock().unwrap().push_back(hook);
    }
    pub(crate) fn slept_ms(&self) -> i64 {
        self.slept_ms.load(Ordering::SeqCst)
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> i64 {
        self.time.now() + self.skew_ms
    }
    fn sleep_ms(&self, ms: u64) {
        let hook = self.on_sleep.lock().unwrap().pop_front().flatten();
        if let Some(hook) = hook {
            hook();
        }
        let ms = i64::try_from(ms).unwrap();
        self.slept_ms.fetch_add(ms, Ordering::SeqCst);
        self.time.advance(ms);
    }
}

/// Real time (threads really sleep), starting at `base_ms`, shiftable for "days later" rounds.
pub(crate) struct RealClock {
    start: Instant,
    base_ms: AtomicI64,
}

impl RealClock {
    pub(crate) fn at(base_ms: i64) -> Self {
        Self {
            start: Instant::now(),
            base_ms: AtomicI64::new(base_ms),
        }
    }
    pub(crate) fn shift(&self, ms: i64) {
        self.base_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for RealClock {
    fn now_ms(&self) -> i64 {
        self.base_ms.load(Ordering::SeqCst)
            + i64::try_from(self.start.elapsed().as_millis()).unwrap()
    }
    fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// A token endpoint that rotates refresh tokens like auth.openai.com: the current refresh token
/// works once; any other one gets `refresh_token_reused`.
pub(crate) struct FakeIssuer {
    state: Mutex<IssuerState>,
    calls: AtomicUsize,
    delay_ms: u64,
    answer_delay_ms: u64,
    expires_in: i64,
}

struct IssuerState {
    generation: u32,
    valid_refresh: String,
    scripted: VecDeque<RefreshError>,
    on_call: VecDeque<Hook>,
}

impl FakeIssuer {
    /// Valid refresh token `rt-0`; each success hands out `at-N`/`rt-N`.
    pub(crate) fn new() -> Self {
        Self::with_delay(0)
    }
    pub(crate) fn with_delay(delay_ms: u64) -> Self {
        Self {
            state: Mutex::new(IssuerState {
                generation: 0,
                valid_refresh: "rt-0".into(),
                scripted: VecDeque::new(),
                on_call: VecDeque::new(),
            }),
            calls: AtomicUsize::new(0),
            delay_ms,
            answer_delay_ms: 0,
            expires_in: 3600,
        }
    }
    /// After a successful rotation, wait this long before answering (the answer is "in flight").
    pub(crate) fn answering_after(mut self, ms: u64) -> Self {
        self.answer_delay_ms = ms;
        self
    }
    /// The next calls fail with these errors (the refresh token is not consumed).
    pub(crate) fn fail_next(&self, err: RefreshError) {
        self.state.lock().unwrap().scripted.push_back(err);
    }
    /// Run `hook` at the start of the next call, before the token is checked.
    pub(crate) fn on_call(&self, hook: Hook) {
        self.state.lock().unwrap().on_call.push_back(hook);
    }
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TokenEndpoint for FakeIssuer {
    fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, RefreshError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let hook = self.state.lock().unwrap().on_call.pop_front();
        if let Some(hook) = hook {
            hook();
        }
        if self.delay_ms > 0 {
            std::thread::sleep(Duration::from_millis(self.delay_ms));
        }
        let mut state = self.state.lock().unwrap();
        if let Some(err) = state.scripted.pop_front() {
            return Err(err);
        }
        if refresh_token != state.valid_refresh {
            return Err(super::oauth::classify_token_error(
                401,
                br#"{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used"}}"#,
            ));
        }
        state.generation += 1;
        let n = state.generation;
        state.valid_refresh = format!("rt-{n}");
        drop(state);
        if self.answer_delay_ms > 0 {
            std::thread::sleep(Duration::from_millis(self.answer_delay_ms));
        }
        Ok(TokenResponse {
            access_token: Secret::new(format!("at-{n}")),
            refresh_token: Some(Secret::new(format!("rt-{n}"))),
            expires_in: Some(self.expires_in),
            ..TokenResponse::default()
        })
    }
}

/// A record `at-0`/`rt-0` expiring at `expires_at` (Unix seconds).
pub(crate) fn record(expires_at: Option<i64>, last_refresh: i64) -> TokenRecord {
    TokenRecord {
        version: RECORD_VERSION,
        access_token: Secret::new("at-0"),
        refresh_token: Secret::new("rt-0"),
        id_token: None,
        account_id: Some("acc".into()),
        email: None,
        plan_type: Some("plus".into()),
        expires_at,
        last_refresh,
        last_failure: None,
    }
}

pub(crate) fn store(kv: &dyn Kv, record: &TokenRecord) {
    kv.set(TOKEN_KEY, &record.to_json().unwrap()).unwrap();
}

pub(crate) fn stored(kv: &dyn Kv) -> TokenRecord {
    TokenRecord::from_json(&kv.get(TOKEN_KEY).unwrap().unwrap()).unwrap()
}

/// A store that runs a hook right before its `n`-th operation (0-based), to interleave
/// "instances" at a precise step.
pub(crate) struct HookKv {
    pub(crate) inner: Arc<MemKv>,
    ops: AtomicUsize,
    hook: Mutex<Option<(usize, Hook)>>,
}

impl HookKv {
    pub(crate) fn new(inner: Arc<MemKv>, before_op: usize, hook: Hook) -> Self {
        Self {
            inner,
            ops: AtomicUsize::new(0),
            hook: Mutex::new(Some((before_op, hook))),
        }
    }
    fn tick(&self) {
        let n = self.ops.fetch_add(1, Ordering::SeqCst);
        let mut slot = self.hook.lock().unwrap();
        if slot.as_ref().is_some_and(|(at, _)| *at == n) {
            let (_, hook) = slot.take().unwrap();
            drop(slot);
            hook();
        }
    }
}

impl Kv for HookKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.tick();
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.tick();
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.tick();
        self.inner.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.tick();
        self.inner.increment(key, delta)
    }
}
