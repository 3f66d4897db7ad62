use crate::ports::KvError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::auth::mem_kv::MemKv;
use crate::auth::oauth::RefreshError;
use crate::auth::refresh::acquire_token;
use crate::auth::testkit::{record, store, stored, FakeIssuer, RealClock};
use crate::auth::token::{Secret, TOKEN_KEY};

const NOW_MS: i64 = 1_000_000_000;
const NOW: i64 = NOW_MS / 1000;

fn policy() -> RefreshPolicy {
    RefreshPolicy {
        poll_ms: 5,
        holder_grace_ms: 5,
        ..RefreshPolicy::default()
    }
}

fn login() -> TokenRecord {
    TokenRecord {
        access_token: Secret::new("at-login"),
        refresh_token: Secret::new("rt-login"),
        last_refresh: NOW,
        expires_at: Some(NOW + 3600),
        ..record(Some(NOW + 3600), NOW)
    }
}

type Hook = Box<dyn FnOnce() + Send>;

/// A store that runs a hook right before its first write of the token record: the moment a
/// refresher has re-read the record and is about to write its result.
struct BeforeTokenWrite {
    inner: Arc<MemKv>,
    hook: Mutex<Option<Hook>>,
}

impl Kv for BeforeTokenWrite {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        if key == TOKEN_KEY {
            let hook = self.hook.lock().unwrap().take();
            if let Some(hook) = hook {
                hook();
            }
        }
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.inner.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.inner.increment(key, delta)
    }
}

/// A login installed while a refresh of the old generation is about to write its result:
/// `refresh_fails` picks the failure write (read–modify–set) or the rotated-record write.
fn install_during_refresh(refresh_fails: bool) -> (TokenRecord, Result<String, String>) {
    let mem = Arc::new(MemKv::new());
    store(&*mem, &record(Some(NOW - 10), NOW - 3_600));
    let issuer = FakeIssuer::new();
    if refresh_fails {
        issuer.fail_next(RefreshError::network("connection reset"));
    }
    let installer = Arc::new(Mutex::new(None));
    let (mem_b, slot) = (Arc::clone(&mem), Arc::clone(&installer));
    let kv_a = BeforeTokenWrite {
        inner: Arc::clone(&mem),
        hook: Mutex::new(Some(Box::new(move || {
            let b = std::thread::spawn(move || {
                install_exclusively(
                    &*mem_b,
                    TOKEN_KEY,
                    &RealClock::at(NOW_MS),
                    &policy(),
                    2,
                    |_| Some(login()),
                )
                .map(|written| written.is_some())
            });
            // Long enough for an unguarded install to land before the refresher's write.
            std::thread::sleep(Duration::from_millis(200));
            *slot.lock().unwrap() = Some(b);
        }))),
    };
    let a = acquire_token(
        &kv_a,
        TOKEN_KEY,
        &RealClock::at(NOW_MS),
        &issuer,
        &policy(),
        1,
    )
    .map(|r| r.access_token.expose().to_owned())
    .map_err(|e| e.code().to_owned());
    let b = installer.lock().unwrap().take().expect("the hook ran");
    assert_eq!(b.join().unwrap(), Ok(true), "the install went through");
    (stored(&*mem), a)
}

#[test]
fn a_login_installed_during_a_failing_refresh_is_kept() {
    let (kept, refresher) = install_during_refresh(true);
    assert_eq!(kept.access_token.expose(), "at-login");
    assert_eq!(
        kept.last_failure, None,
        "the old generation's failure is not carried over"
    );
    assert_eq!(refresher, Err("oauth_refresh_failed".to_owned()));
}

#[test]
fn a_login_installed_during_a_successful_refresh_is_kept() {
    let (kept, refresher) = install_during_refresh(false);
    assert_eq!(kept.access_token.expose(), "at-login");
    assert_eq!(
        refresher,
        Ok("at-1".to_owned()),
        "the refresher's caller still gets its token"
    );
}

/// [`install_exclusively`] of the default account's record at `NOW_MS`, nonce 1.
fn install(
    kv: &MemKv,
    decide: impl Fn(Option<&TokenRecord>) -> Option<TokenRecord>,
) -> Result<Option<TokenRecord>, GatewayError> {
    install_exclusively(kv, TOKEN_KEY, &RealClock::at(NOW_MS), &policy(), 1, decide)
}

#[test]
fn with_nothing_stored_the_install_writes_at_once() {
    let kv = MemKv::new();
    let written = install(&kv, |stored| {
        assert!(stored.is_none());
        Some(login())
    })
    .unwrap();
    assert_eq!(written.unwrap().access_token.expose(), "at-login");
    assert_eq!(stored(&kv).access_token.expose(), "at-login");
}

#[test]
fn decide_sees_the_stored_record_and_may_leave_it() {
    let kv = MemKv::new();
    store(&kv, &record(Some(NOW + 3600), NOW));
    let written = install(&kv, |stored| {
        assert_eq!(stored.unwrap().access_token.expose(), "at-0");
        None
    })
    .unwrap();
    assert!(written.is_none());
    assert_eq!(stored(&kv).access_token.expose(), "at-0");
    assert!(
        kv.get(&crate::auth::lease::holder_key(&stored(&kv).fingerprint()))
            .unwrap()
            .is_none(),
        "the lease is given back"
    );
}
