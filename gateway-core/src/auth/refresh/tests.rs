use std::sync::{Arc, Barrier, Mutex};

use super::*;
use crate::auth::lease::{holder_key, Holder};
use crate::auth::mem_kv::{MemKv, OpCounts};
use crate::auth::oauth::TokenResponse;
use crate::auth::testkit::{record, store, stored, FakeIssuer, HookKv, RealClock, VirtualTime};
use crate::auth::token::{Secret, TOKEN_KEY};
use pretty_assertions::assert_eq;

const NOW_MS: i64 = 1_000_000_000;
const NOW: i64 = NOW_MS / 1000;

fn policy() -> RefreshPolicy {
    RefreshPolicy::default()
}

fn access(result: &Result<TokenRecord, GatewayError>) -> String {
    match result {
        Ok(r) => r.access_token.expose().to_owned(),
        Err(e) => format!("error {}: {e}", e.code()),
    }
}

/// A fresh holder key of another instance, as if it were refreshing right now.
fn someone_is_refreshing(kv: &dyn Kv, fp: &str, at_ms: i64) {
    let holder = Holder {
        nonce: 999,
        started_at_ms: at_ms,
    };
    kv.set(&holder_key(fp), &serde_json::to_vec(&holder).unwrap())
        .unwrap();
}

fn rotated(n: u32) -> TokenRecord {
    TokenRecord {
        access_token: Secret::new(format!("at-{n}")),
        refresh_token: Secret::new(format!("rt-{n}")),
        expires_at: Some(NOW + 3_600),
        ..record(None, NOW)
    }
}

fn failure(kind: FailureKind, code: &str, at: i64) -> Option<RefreshFailure> {
    Some(RefreshFailure {
        kind,
        code: code.into(),
        at,
        attempts: 1,
    })
}

/// [`acquire_token`] of the default account's record, with the default test policy.
fn acquire(
    kv: &dyn Kv,
    clock: &dyn Clock,
    issuer: &dyn TokenEndpoint,
    nonce: u64,
) -> Result<TokenRecord, GatewayError> {
    acquire_token(kv, TOKEN_KEY, clock, issuer, &policy(), nonce)
}

/// [`force_refresh`] of the default account's record, with the default test policy.
fn renew(
    kv: &dyn Kv,
    clock: &dyn Clock,
    issuer: &dyn TokenEndpoint,
    rejected: &str,
    nonce: u64,
) -> Result<TokenRecord, GatewayError> {
    force_refresh(kv, TOKEN_KEY, clock, issuer, &policy(), rejected, nonce)
}

#[test]
fn missing_or_unreadable_record_asks_for_login() {
    let cases: &[(&str, Option<&[u8]>, &str)] = &[
        ("absent", None, "no OAuth token in the store"),
        ("garbage", Some(b"not json"), "unreadable"),
        ("future version", Some(br#"{"version": 2}"#), "unreadable"),
    ];
    for (name, bytes, needle) in cases {
        let kv = MemKv::new();
        if let Some(bytes) = bytes {
            kv.set(TOKEN_KEY, bytes).unwrap();
        }
        let issuer = FakeIssuer::new();
        let err = acquire(&kv, &VirtualTime::at(NOW_MS).clock(), &issuer, 1).unwrap_err();
        assert_eq!(
            (err.status(), err.code()),
            (503, "oauth_unavailable"),
            "case {name}"
        );
        let text = err.to_string();
        assert!(
            text.contains(needle) && text.contains("login-cli auth login"),
            "case {name}: {text}"
        );
        assert_eq!(issuer.calls(), 0);
    }
}

#[test]
fn hot_path_is_one_get_and_no_writes() {
    let kv = MemKv::new();
    store(&kv, &record(Some(NOW + 3_600), NOW - 60));
    let before = kv.op_counts();
    let clock = VirtualTime::at(NOW_MS).clock();
    let issuer = FakeIssuer::new();
    let token = acquire(&kv, &clock, &issuer, 1).unwrap();
    assert_eq!(token.access_token.expose(), "at-0");
    let after = kv.op_counts();
    assert_eq!(
        OpCounts {
            gets: after.gets - before.gets,
            sets: after.sets - before.sets,
            ..after
        },
        OpCounts {
            gets: 1,
            sets: 0,
            deletes: 0,
            increments: 0
        }
    );
    assert_eq!((issuer.calls(), clock.slept_ms()), (0, 0));
}

#[test]
fn winner_refreshes_persists_and_cleans_up() {
    // (name, expires_at, last_refresh, refreshes?)
    let cases: &[(&str, Option<i64>, i64, bool)] = &[
        ("inside the margin", Some(NOW + 100), NOW - 3_000, true),
        ("expired", Some(NOW - 10), NOW - 3_000, true),
        ("unknown expiry, 9 days old", None, NOW - 9 * 86_400, true),
        ("unknown expiry, 1 day old", None, NOW - 86_400, false),
    ];
    for (name, expires_at, last_refresh, refreshes) in cases {
        let kv = MemKv::new();
        store(&kv, &record(*expires_at, *last_refresh));
        let time = VirtualTime::at(NOW_MS);
        let issuer = FakeIssuer::new();
        let token = acquire(&kv, &time.clock(), &issuer, 1).unwrap();
        if !refreshes {
            assert_eq!(
                (token.access_token.expose(), issuer.calls()),
                ("at-0", 0),
                "case {name}"
            );
            continue;
        }
        assert_eq!(token.access_token.expose(), "at-1", "case {name}");
        assert_eq!(
            stored(&kv),
            token,
            "case {name}: persisted before returning"
        );
        assert_eq!(
            (
                token.last_refresh,
                token.expires_at,
                token.last_failure.clone()
            ),
            (NOW, Some(NOW + 3_600), None)
        );
        assert_eq!(
            kv.keys(),
            vec![TOKEN_KEY.to_owned()],
            "case {name}: lease keys released"
        );
        // The next request is the hot path again.
        let again = acquire(&kv, &time.clock(), &issuer, 2).unwrap();
        assert_eq!(
            (again.access_token.expose(), issuer.calls()),
            ("at-1", 1),
            "case {name}"
        );
    }
}

#[test]
fn recorded_terminal_failure_means_zero_endpoint_calls_until_a_new_login() {
    for code in [
        "refresh_token_reused",
        "refresh_token_expired",
        "refresh_token_invalidated",
        "invalid_grant",
    ] {
        let kv = MemKv::new();
        let mut dead = record(Some(NOW + 100), NOW - 3_000);
        dead.last_failure = failure(FailureKind::Terminal, code, NOW - 5);
        store(&kv, &dead);
        let issuer = FakeIssuer::new();
        let clock = VirtualTime::at(NOW_MS).clock();
        for nonce in 0..5 {
            let err = acquire(&kv, &clock, &issuer, nonce).unwrap_err();
            assert_eq!(err.code(), "oauth_unavailable");
            assert!(
                err.to_string().contains(code) && err.to_string().contains("login-cli auth login")
            );
            let err = renew(&kv, &clock, &issuer, "at-0", nonce).unwrap_err();
            assert_eq!(err.code(), "oauth_unavailable");
        }
        assert_eq!(issuer.calls(), 0, "code {code}");
        // A new login replaces the record, and the failure with it.
        store(&kv, &rotated(7));
        assert_eq!(access(&acquire(&kv, &clock, &issuer, 9)), "at-7");
    }
}

#[test]
fn terminal_refresh_error_is_recorded_and_stops_further_calls() {
    let kv = MemKv::new();
    store(&kv, &record(Some(NOW + 100), NOW - 3_000));
    let issuer = FakeIssuer::new();
    issuer.fail_next(crate::auth::oauth::classify_token_error(
        400,
        br#"{"error":"invalid_grant"}"#,
    ));
    let clock = VirtualTime::at(NOW_MS).clock();
    let err = acquire(&kv, &clock, &issuer, 1).unwrap_err();
    assert_eq!(err.code(), "oauth_unavailable");
    let failure = stored(&kv).last_failure.unwrap();
    assert_eq!(
        (failure.kind, failure.code.as_str(), failure.at),
        (FailureKind::Terminal, "invalid_grant", NOW)
    );
    assert_eq!(kv.keys(), vec![TOKEN_KEY.to_owned()]);
    assert!(acquire(&kv, &clock, &issuer, 2).is_err());
    assert_eq!(issuer.calls(), 1);
}

#[test]
fn transient_failure_keeps_serving_a_valid_token_and_backs_off() {
    let kv = MemKv::new();
    store(&kv, &record(Some(NOW + 200), NOW - 3_000));
    let issuer = FakeIssuer::new();
    issuer.fail_next(RefreshError::network("connection reset"));
    let time = VirtualTime::at(NOW_MS);
    let first = acquire(&kv, &time.clock(), &issuer, 1).unwrap();
    assert_eq!(first.access_token.expose(), "at-0");
    assert_eq!(
        stored(&kv).last_failure.map(|f| (f.code, f.attempts)),
        Some(("network".into(), 1))
    );

    time.advance(5_000);
    let writes = kv.op_counts().writes();
    assert_eq!(access(&acquire(&kv, &time.clock(), &issuer, 2)), "at-0");
    assert_eq!(
        (issuer.calls(), kv.op_counts().writes()),
        (1, writes),
        "within back-off: no call, no write"
    );

    time.advance(6_000);
    assert_eq!(access(&acquire(&kv, &time.clock(), &issuer, 3)), "at-1");
    assert_eq!((issuer.calls(), stored(&kv).last_failure), (2, None));
}

#[test]
fn transient_failure_with_an_expired_token_is_503_with_retry_after() {
    let kv = MemKv::new();
    store(&kv, &record(Some(NOW - 1), NOW - 3_000));
    let issuer = FakeIssuer::new();
    issuer.fail_next(crate::auth::oauth::classify_token_error(
        502,
        b"bad gateway",
    ));
    issuer.fail_next(RefreshError::network("timeout"));
    let time = VirtualTime::at(NOW_MS);
    let err = acquire(&kv, &time.clock(), &issuer, 1).unwrap_err();
    assert_eq!(
        (err.code(), err.retry_after()),
        ("oauth_refresh_failed", Some(10))
    );
    assert!(err.to_string().contains("http_502"), "{err}");

    time.advance(4_000);
    let err = acquire(&kv, &time.clock(), &issuer, 2).unwrap_err();
    assert_eq!(
        (err.code(), err.retry_after(), issuer.calls()),
        ("oauth_refresh_failed", Some(6), 1)
    );

    time.advance(6_000);
    let err = acquire(&kv, &time.clock(), &issuer, 3).unwrap_err();
    assert_eq!(
        (err.retry_after(), issuer.calls()),
        (Some(20), 2),
        "second failure doubles the back-off"
    );
    assert_eq!(stored(&kv).last_failure.map(|f| f.attempts), Some(2));
}

#[test]
fn backoff_doubles_and_is_capped() {
    let p = policy();
    let got: Vec<i64> = [0, 1, 2, 3, 5, 6, 40, u32::MAX]
        .iter()
        .map(|a| p.backoff_secs(*a))
        .collect();
    assert_eq!(got, vec![10, 10, 20, 40, 160, 300, 300, 300]);
}

#[test]
fn loser_with_a_still_valid_token_uses_it_without_waiting() {
    let kv = MemKv::new();
    let r = record(Some(NOW + 100), NOW - 3_000);
    store(&kv, &r);
    someone_is_refreshing(&kv, &r.fingerprint(), NOW_MS - 1_000);
    let clock = VirtualTime::at(NOW_MS).clock();
    let issuer = FakeIssuer::new();
    assert_eq!(access(&acquire(&kv, &clock, &issuer, 1)), "at-0");
    assert_eq!((issuer.calls(), clock.slept_ms()), (0, 0));
}

#[test]
fn loser_with_an_expired_token_waits_for_the_outcome() {
    let terminal = TokenRecord {
        last_failure: failure(FailureKind::Terminal, "refresh_token_expired", NOW),
        ..record(Some(NOW - 1), NOW - 3_000)
    };
    let transient = TokenRecord {
        last_failure: failure(FailureKind::Transient, "http_500", NOW),
        ..record(Some(NOW - 1), NOW - 3_000)
    };
    let cases = [
        ("new generation", Some(rotated(9)), "at-9"),
        (
            "terminal failure recorded",
            Some(terminal),
            "error oauth_unavailable",
        ),
        (
            "transient failure recorded",
            Some(transient),
            "error oauth_refresh_failed",
        ),
        ("nothing happens", None, "error oauth_refresh_failed"),
    ];
    for (name, outcome, expected) in cases {
        let kv = Arc::new(MemKv::new());
        let r = record(Some(NOW - 1), NOW - 3_000);
        store(&*kv, &r);
        someone_is_refreshing(&*kv, &r.fingerprint(), NOW_MS - 1_000);
        let clock = VirtualTime::at(NOW_MS).clock();
        clock.on_sleep(None);
        clock.on_sleep(None);
        let kv2 = Arc::clone(&kv);
        clock.on_sleep(Some(Box::new(move || {
            if let Some(outcome) = outcome {
                store(&*kv2, &outcome);
            }
        })));
        let issuer = FakeIssuer::new();
        let result = acquire(&*kv, &clock, &issuer, 1);
        assert!(
            access(&result).starts_with(expected),
            "case {name}: {}",
            access(&result)
        );
        assert_eq!(
            issuer.calls(),
            0,
            "case {name}: losers never call the endpoint"
        );
    }
}

#[test]
fn waiter_times_out_with_retry_after_one() {
    let kv = MemKv::new();
    let r = record(Some(NOW - 1), NOW - 3_000);
    store(&kv, &r);
    someone_is_refreshing(&kv, &r.fingerprint(), NOW_MS);
    let clock = VirtualTime::at(NOW_MS).clock();
    let err = acquire(&kv, &clock, &FakeIssuer::new(), 1).unwrap_err();
    assert_eq!(
        (err.code(), err.retry_after()),
        ("oauth_refresh_failed", Some(1))
    );
    assert!(err.to_string().contains("in progress elsewhere"), "{err}");
    let waited = clock.slept_ms();
    assert!((10_000..=10_100).contains(&waited), "waited {waited} ms");
}

#[test]
fn dead_holder_is_taken_over_after_the_ttl() {
    let kv = MemKv::new();
    let r = record(Some(NOW - 1), NOW - 3_000);
    store(&kv, &r);
    let time = VirtualTime::at(NOW_MS);
    // Instance A wins the lease and dies before refreshing.
    let won = lease::claim(&kv, &time.clock(), &r.fingerprint(), 1, policy().timing()).unwrap();
    assert!(matches!(won, Claim::Won { .. }));
    let issuer = FakeIssuer::new();
    let err = acquire(&kv, &time.clock(), &issuer, 2).unwrap_err();
    assert_eq!(err.retry_after(), Some(1));
    // The waiter slept 10 s; 20 more and A's lease is stale.
    time.advance(20_000);
    assert_eq!(access(&acquire(&kv, &time.clock(), &issuer, 3)), "at-1");
    assert_eq!(issuer.calls(), 1);
}

/// B's clock reads past A's lease TTL, so B takes over while A's refresh call is still in flight:
/// A's call then hits `refresh_token_reused`, and A picks up B's generation instead of declaring
/// the session dead.
#[test]
fn takeover_overlapping_a_slow_refresher_keeps_the_session() {
    let kv = Arc::new(MemKv::new());
    store(&*kv, &record(Some(NOW + 100), NOW - 3_000));
    let time = VirtualTime::at(NOW_MS);
    let issuer = Arc::new(FakeIssuer::new());
    let b_result = Arc::new(Mutex::new(None));
    let (kv_b, time_b, issuer_b, out) = (
        Arc::clone(&kv),
        time.clone(),
        Arc::clone(&issuer),
        Arc::clone(&b_result),
    );
    issuer.on_call(Box::new(move || {
        let clock_b = time_b.skewed(31_000);
        *out.lock().unwrap() = Some(acquire(&*kv_b, &clock_b, &*issuer_b, 2));
    }));
    let a = acquire(&*kv, &time.clock(), &*issuer, 1);
    assert_eq!(access(&a), "at-1");
    assert_eq!(access(b_result.lock().unwrap().as_ref().unwrap()), "at-1");
    assert_eq!(issuer.calls(), 2);
    let final_record = stored(&*kv);
    assert_eq!(
        (
            final_record.access_token.expose(),
            final_record.last_failure
        ),
        ("at-1", None)
    );
}

/// Same overlap with real threads, where B's rotation is still in flight (not yet persisted)
/// when A's call is refused as `refresh_token_reused`: A waits for B's generation instead of
/// recording the session as dead.
#[test]
fn reused_refresh_token_waits_for_the_concurrent_generation() {
    let kv = Arc::new(MemKv::new());
    store(&*kv, &record(Some(NOW + 100), NOW - 3_000));
    let issuer = Arc::new(FakeIssuer::new().answering_after(300));
    let p = RefreshPolicy {
        poll_ms: 5,
        holder_grace_ms: 10,
        ..policy()
    };
    let (kv_b, issuer_b, p_b) = (Arc::clone(&kv), Arc::clone(&issuer), p.clone());
    let b = std::thread::spawn(move || {
        access(&acquire_token(
            &*kv_b,
            TOKEN_KEY,
            &RealClock::at(NOW_MS),
            &*issuer_b,
            &p_b,
            2,
        ))
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    // A's clock reads past B's lease TTL: A takes over and calls with the consumed token.
    let a = access(&acquire_token(
        &*kv,
        TOKEN_KEY,
        &RealClock::at(NOW_MS + 31_000),
        &*issuer,
        &p,
        1,
    ));
    assert_eq!((a.as_str(), b.join().unwrap().as_str()), ("at-1", "at-1"));
    assert_eq!(issuer.calls(), 2);
    assert_eq!(stored(&*kv).last_failure, None);
}

/// An end-to-end window-boundary race: A sits 1 ms before a window boundary and B arrives 1 ms
/// after it, interleaved before each of A's store operations in turn.
#[test]
fn window_boundary_race_refreshes_once() {
    let window_ms = policy().timing().window_ms();
    let a_ms = (NOW_MS / window_ms + 1) * window_ms - 1;
    for before_op in 0..12 {
        let mem = Arc::new(MemKv::new());
        store(&*mem, &record(Some(a_ms / 1000 + 100), NOW - 3_000));
        let time = VirtualTime::at(a_ms);
        let issuer = Arc::new(FakeIssuer::new());
        let b_result = Arc::new(Mutex::new(None));
        let (mem_b, time_b, issuer_b, out) = (
            Arc::clone(&mem),
            time.clone(),
            Arc::clone(&issuer),
            Arc::clone(&b_result),
        );
        let kv_a = HookKv::new(
            Arc::clone(&mem),
            before_op,
            Box::new(move || {
                *out.lock().unwrap() = Some(acquire(&*mem_b, &time_b.skewed(2), &*issuer_b, 2));
            }),
        );
        let a = acquire(&kv_a, &time.clock(), &*issuer, 1);
        assert!(a.is_ok(), "before op {before_op}: {}", access(&a));
        if let Some(b) = b_result.lock().unwrap().as_ref() {
            assert!(b.is_ok(), "before op {before_op}: {}", access(b));
        }
        assert_eq!(issuer.calls(), 1, "before op {before_op}");
        assert_eq!(stored(&*mem).access_token.expose(), "at-1");
    }
}

fn run_threads(
    n: usize,
    kv: &Arc<MemKv>,
    clock: &Arc<RealClock>,
    issuer: &Arc<FakeIssuer>,
    rejected: Option<&'static str>,
) -> Vec<String> {
    let p = RefreshPolicy {
        poll_ms: 5,
        holder_grace_ms: 20,
        wait_max_ms: 5_000,
        ..policy()
    };
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (kv, clock, issuer, barrier, p) = (
                Arc::clone(kv),
                Arc::clone(clock),
                Arc::clone(issuer),
                Arc::clone(&barrier),
                p.clone(),
            );
            std::thread::spawn(move || {
                barrier.wait();
                let nonce = u64::try_from(i).unwrap() + 1;
                let result = match rejected {
                    None => acquire_token(&*kv, TOKEN_KEY, &*clock, &*issuer, &p, nonce),
                    Some(bad) => force_refresh(&*kv, TOKEN_KEY, &*clock, &*issuer, &p, bad, nonce),
                };
                access(&result)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn concurrent_instances_refresh_exactly_once_per_generation() {
    let kv = Arc::new(MemKv::new());
    let clock = Arc::new(RealClock::at(NOW_MS));
    store(&*kv, &record(Some(NOW - 1), NOW - 3_000));
    let issuer = Arc::new(FakeIssuer::with_delay(30));
    for round in 1..=3u32 {
        let results = run_threads(8, &kv, &clock, &issuer, None);
        assert!(
            results.iter().all(|r| *r == format!("at-{round}")),
            "round {round}: {results:?}"
        );
        assert_eq!(
            issuer.calls(),
            usize::try_from(round).unwrap(),
            "round {round}"
        );
        clock.shift(3_600_000); // days later: the new token has expired too
    }
    // Inside the margin but still valid: losers keep the old token, still one refresh.
    let now = clock.now_ms() / 1000;
    store(
        &*kv,
        &TokenRecord {
            expires_at: Some(now + 100),
            ..stored(&*kv)
        },
    );
    let results = run_threads(8, &kv, &clock, &issuer, None);
    assert!(
        results.iter().all(|r| r == "at-3" || r == "at-4"),
        "{results:?}"
    );
    assert_eq!(issuer.calls(), 4);
}

#[test]
fn concurrent_force_refresh_after_401_refreshes_once() {
    let kv = Arc::new(MemKv::new());
    let clock = Arc::new(RealClock::at(NOW_MS));
    store(&*kv, &record(Some(NOW + 3_600), NOW - 60));
    let issuer = Arc::new(FakeIssuer::with_delay(30));
    let results = run_threads(8, &kv, &clock, &issuer, Some("at-0"));
    assert!(results.iter().all(|r| r == "at-1"), "{results:?}");
    assert_eq!(issuer.calls(), 1);
}

#[test]
fn force_refresh_table() {
    // (name, stored record, holder present?, rejected, expected, endpoint calls)
    let backoff = TokenRecord {
        last_failure: failure(FailureKind::Transient, "http_500", NOW - 1),
        ..record(Some(NOW + 3_600), NOW - 60)
    };
    let cases = [
        (
            "another instance already refreshed",
            rotated(1),
            false,
            "at-0",
            "at-1",
            0,
        ),
        (
            "rejected token is refreshed even far from expiry",
            record(Some(NOW + 3_600), NOW - 60),
            false,
            "at-0",
            "at-1",
            1,
        ),
        (
            "loser waits for a new generation that never comes",
            record(Some(NOW + 3_600), NOW - 60),
            true,
            "at-0",
            "error oauth_refresh_failed",
            0,
        ),
        (
            "back-off applies although the token has not expired",
            backoff,
            false,
            "at-0",
            "error oauth_refresh_failed",
            0,
        ),
    ];
    for (name, r, holder, rejected, expected, calls) in cases {
        let kv = MemKv::new();
        store(&kv, &r);
        if holder {
            someone_is_refreshing(&kv, &r.fingerprint(), NOW_MS);
        }
        let issuer = FakeIssuer::new();
        let writes = kv.op_counts().writes();
        let result = renew(&kv, &VirtualTime::at(NOW_MS).clock(), &issuer, rejected, 1);
        assert!(
            access(&result).starts_with(expected),
            "case {name}: {}",
            access(&result)
        );
        assert_eq!(issuer.calls(), calls, "case {name}");
        if calls == 0 && !holder {
            assert_eq!(kv.op_counts().writes(), writes, "case {name}: no writes");
        }
    }
}

#[test]
fn a_login_written_during_a_refresh_is_not_overwritten() {
    let kv = Arc::new(MemKv::new());
    store(&*kv, &record(Some(NOW + 100), NOW - 3_000));
    let issuer = FakeIssuer::new();
    let kv2 = Arc::clone(&kv);
    issuer.on_call(Box::new(move || store(&*kv2, &rotated(42))));
    let token = acquire(&*kv, &VirtualTime::at(NOW_MS).clock(), &issuer, 1).unwrap();
    assert_eq!(token.access_token.expose(), "at-42");
    assert_eq!(stored(&*kv).access_token.expose(), "at-42");
}

#[test]
fn a_store_hiccup_while_persisting_is_retried() {
    let kv = Arc::new(MemKv::new());
    store(&*kv, &record(Some(NOW + 100), NOW - 3_000));
    let issuer = FakeIssuer::new();
    let kv2 = Arc::clone(&kv);
    issuer.on_call(Box::new(move || kv2.set_failing(true)));
    let clock = VirtualTime::at(NOW_MS).clock();
    clock.on_sleep(None); // the lease grace
    let kv3 = Arc::clone(&kv);
    clock.on_sleep(Some(Box::new(move || kv3.set_failing(false)))); // first retry pause
    let token = acquire(&*kv, &clock, &issuer, 1).unwrap();
    assert_eq!(token.access_token.expose(), "at-1");
    assert_eq!(stored(&*kv).access_token.expose(), "at-1");
}

#[test]
fn a_logout_during_a_refresh_is_not_undone() {
    let kv = Arc::new(MemKv::new());
    store(&*kv, &record(Some(NOW + 100), NOW - 3_000));
    let issuer = FakeIssuer::new();
    let kv2 = Arc::clone(&kv);
    issuer.on_call(Box::new(move || kv2.delete(TOKEN_KEY).unwrap()));
    let err = acquire(&*kv, &VirtualTime::at(NOW_MS).clock(), &issuer, 1).unwrap_err();
    assert_eq!(err.code(), "oauth_unavailable");
    assert!(kv.keys().is_empty(), "{:?}", kv.keys());
}

struct Answer(Result<TokenResponse, RefreshError>);

impl TokenEndpoint for Answer {
    fn refresh(&self, _refresh_token: &str) -> Result<TokenResponse, RefreshError> {
        self.0.clone()
    }
}

#[test]
fn unusable_answers_are_transient_failures_and_messages_hide_tokens() {
    let long = TokenRecord {
        access_token: Secret::new("access-token-secret-value"),
        refresh_token: Secret::new("refresh-token-secret-value"),
        ..record(Some(NOW - 1), NOW - 3_000)
    };
    let cases = [
        (
            "empty access token",
            Answer(Ok(TokenResponse::default())),
            "invalid_response",
        ),
        (
            "message echoing the token",
            Answer(Err(RefreshError::network("bad refresh-token-secret-value"))),
            "network",
        ),
    ];
    for (name, endpoint, code) in cases {
        let kv = MemKv::new();
        store(&kv, &long);
        let err = acquire(&kv, &VirtualTime::at(NOW_MS).clock(), &endpoint, 1).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.code(), "oauth_refresh_failed", "case {name}");
        assert!(
            text.contains(code) && !text.contains("secret-value"),
            "case {name}: {text}"
        );
        assert_eq!(
            stored(&kv).last_failure.map(|f| f.kind),
            Some(FailureKind::Transient)
        );
    }
}

#[test]
fn store_errors_are_kv_errors() {
    let kv = MemKv::new();
    store(&kv, &record(Some(NOW + 3_600), NOW));
    kv.set_failing(true);
    let err = acquire(&kv, &VirtualTime::at(NOW_MS).clock(), &FakeIssuer::new(), 1).unwrap_err();
    assert!(matches!(err, GatewayError::Kv(_)));
    assert_eq!(err.status(), 503);
}

#[test]
fn needs_login_only_for_failures_a_login_cures() {
    assert!(needs_login(&no_token_error()));
    assert!(needs_login(&terminal_error("invalid_grant")));
    assert!(!needs_login(&backoff_error("server_error", 30)));
    assert!(!needs_login(&in_progress_error()));
    assert!(!needs_login(&GatewayError::Kv("down".into())));
}

#[test]
fn ready_token_only_when_the_protocol_would_use_it_untouched() {
    let clock = RealClock::at(NOW_MS);
    let kv = MemKv::new();
    assert!(
        ready_token(&kv, TOKEN_KEY, &clock, 300).unwrap().is_none(),
        "nothing stored"
    );
    kv.set(TOKEN_KEY, b"not json").unwrap();
    assert!(
        ready_token(&kv, TOKEN_KEY, &clock, 300).unwrap().is_none(),
        "unreadable"
    );
    store(&kv, &record(Some(NOW + 3_600), NOW - 60));
    let ready = ready_token(&kv, TOKEN_KEY, &clock, 300)
        .unwrap()
        .expect("fresh record");
    assert_eq!(ready.access_token.expose(), "at-0");
    assert_eq!(
        access(&Ok(ready)),
        access(&acquire(&kv, &clock, &FakeIssuer::new(), 1))
    );
    store(&kv, &record(Some(NOW + 200), NOW - 60));
    assert!(
        ready_token(&kv, TOKEN_KEY, &clock, 300).unwrap().is_none(),
        "inside the margin"
    );
    let mut failed = record(Some(NOW + 3_600), NOW - 60);
    failed.last_failure = Some(RefreshFailure::after(
        None,
        FailureKind::Transient,
        "http_502",
        NOW - 5,
    ));
    store(&kv, &failed);
    assert!(
        ready_token(&kv, TOKEN_KEY, &clock, 300).unwrap().is_none(),
        "a failure is recorded"
    );
}

#[test]
fn each_account_refreshes_its_own_record_under_its_own_key() {
    let kv = MemKv::new();
    let work_key = crate::accounts::token_key("work");
    let due = record(Some(NOW + 60), NOW - 100);
    store(&kv, &due);
    kv.set(&work_key, &due.to_json().unwrap()).unwrap();
    let issuer = FakeIssuer::new();
    let clock = VirtualTime::at(NOW_MS).clock();
    let work = acquire_token(&kv, &work_key, &clock, &issuer, &policy(), 1).unwrap();
    assert_eq!(access(&Ok(work)), "at-1");
    assert_eq!(
        stored(&kv).access_token.expose(),
        "at-0",
        "the default record is its own"
    );
    let rotated = TokenRecord::from_json(&kv.get(&work_key).unwrap().unwrap()).unwrap();
    assert_eq!(rotated.refresh_token.expose(), "rt-1");
}
