use std::sync::{Arc, Mutex};

use super::*;
use crate::auth::mem_kv::MemKv;
use crate::auth::testkit::{HookKv, VirtualTime};

const TTL_MS: i64 = 30_000;
const TIMING: LeaseTiming = LeaseTiming {
    ttl_ms: TTL_MS,
    grace_ms: 50,
};
const WINDOW_MS: i64 = TTL_MS / 2;
const FP: &str = "00000000deadbeef";

#[test]
fn holder_freshness_table() {
    let h = Holder {
        nonce: 1,
        started_at_ms: 100_000,
    };
    let cases: &[(&str, i64, bool)] = &[
        ("just written", 100_000, true),
        ("almost ttl", 100_000 + TTL_MS - 1, true),
        ("at ttl", 100_000 + TTL_MS, false),
        ("long dead", 100_000 + 10 * TTL_MS, false),
        ("our clock a bit behind", 100_000 - 1_000, true),
        ("holder clock far ahead", 100_000 - TTL_MS, false),
    ];
    for (name, now, fresh) in cases {
        assert_eq!(h.is_fresh(*now, TTL_MS), *fresh, "case {name}");
    }
}

#[test]
fn key_names_are_the_documented_interface() {
    assert_eq!(lease_key("abc", 42), "codex-gateway/lease/abc/42");
    assert_eq!(holder_key("abc"), "codex-gateway/lease-holder/abc");
    assert_eq!(TIMING.window_ms(), 15_000);
    assert_eq!(TIMING.window_at(29_999), 1);
    assert_eq!(TIMING.window_at(-1), -1);
}

#[test]
fn first_claim_wins_and_second_loses_until_released() {
    let kv = MemKv::new();
    let time = VirtualTime::at(1_000_000);
    let clock = time.clock();
    let won = claim(&kv, &clock, FP, 1, TIMING).unwrap();
    let window = TIMING.window_at(1_000_000);
    assert_eq!(won, Claim::Won { window });
    assert_eq!(clock.slept_ms(), 50, "grace");
    assert_eq!(
        claim(&kv, &clock, FP, 2, TIMING).unwrap(),
        Claim::HeldElsewhere
    );
    release(&kv, FP, 1, window);
    assert!(
        kv.keys().is_empty(),
        "release leaves nothing behind: {:?}",
        kv.keys()
    );
    assert!(matches!(
        claim(&kv, &clock, FP, 3, TIMING).unwrap(),
        Claim::Won { .. }
    ));
}

#[test]
fn release_keeps_a_holder_key_that_is_not_ours() {
    let kv = MemKv::new();
    let clock = VirtualTime::at(0).clock();
    let Claim::Won { window } = claim(&kv, &clock, FP, 1, TIMING).unwrap() else {
        panic!()
    };
    release(&kv, FP, 99, window);
    assert_eq!(read_holder(&kv, FP).unwrap().map(|h| h.nonce), Some(1));
}

#[test]
fn unreadable_holder_counts_as_absent() {
    let kv = MemKv::new();
    kv.set(&holder_key(FP), b"garbage").unwrap();
    let clock = VirtualTime::at(0).clock();
    assert!(matches!(
        claim(&kv, &clock, FP, 1, TIMING).unwrap(),
        Claim::Won { .. }
    ));
}

/// Instance A claims; before each of A's store operations in turn, instance B (whose clock reads
/// `offset` ms later) runs a whole claim. Whatever the interleaving, at most one wins, and when
/// both run to completion one of them does.
#[test]
fn any_interleaving_in_same_or_adjacent_window_has_one_winner() {
    // A sits 1 ms before a window boundary, so +1 ms puts B in the next window.
    let a_time = 10 * WINDOW_MS - 1;
    let offsets = [0, 1, WINDOW_MS / 2, WINDOW_MS];
    for offset in offsets {
        for before_op in 0..=6 {
            let mem = Arc::new(MemKv::new());
            let time = VirtualTime::at(a_time);
            let b_result = Arc::new(Mutex::new(None));
            let (mem_b, time_b, out) = (Arc::clone(&mem), time.clone(), Arc::clone(&b_result));
            let kv_a = HookKv::new(
                Arc::clone(&mem),
                before_op,
                Box::new(move || {
                    let clock_b = time_b.skewed(offset);
                    *out.lock().unwrap() = Some(claim(&*mem_b, &clock_b, FP, 2, TIMING).unwrap());
                }),
            );
            let a = claim(&kv_a, &time.clock(), FP, 1, TIMING).unwrap();
            let b = b_result.lock().unwrap().unwrap_or_else(|| {
                // A finished in fewer operations than `before_op`: B runs afterwards.
                claim(&*mem, &time.skewed(offset), FP, 2, TIMING).unwrap()
            });
            let winners = [a, b]
                .iter()
                .filter(|c| matches!(c, Claim::Won { .. }))
                .count();
            assert_eq!(
                winners, 1,
                "offset {offset} before op {before_op}: a={a:?} b={b:?}"
            );
        }
    }
}

/// The hole of a single per-window counter: A has taken window w, B arrives in w+1 before A has
/// written its holder key. With one counter B would get 1 on w+1; sharing w+1 makes it lose.
#[test]
fn adjacent_window_candidate_loses_before_the_holder_is_written() {
    let mem = Arc::new(MemKv::new());
    let time = VirtualTime::at(4 * WINDOW_MS - 1);
    let seen = Arc::new(Mutex::new(None));
    let (mem_b, time_b, out) = (Arc::clone(&mem), time.clone(), Arc::clone(&seen));
    // A's operations: get holder (0), increment w (1), increment w+1 (2), set holder (3).
    let kv_a = HookKv::new(
        Arc::clone(&mem),
        3,
        Box::new(move || {
            assert!(
                mem_b.get(&holder_key(FP)).unwrap().is_none(),
                "holder not yet written"
            );
            *out.lock().unwrap() = Some(claim(&*mem_b, &time_b.skewed(1), FP, 2, TIMING).unwrap());
        }),
    );
    assert!(matches!(
        claim(&kv_a, &time.clock(), FP, 1, TIMING).unwrap(),
        Claim::Won { .. }
    ));
    assert_eq!(*seen.lock().unwrap(), Some(Claim::HeldElsewhere));
}

/// Two claims that both pass the counters (clocks more than a TTL apart) and write the holder
/// key within the grace: the last writer wins and both agree.
#[test]
fn concurrent_holder_writes_resolve_to_the_last_writer() {
    let mem = Arc::new(MemKv::new());
    let time = VirtualTime::at(1_000_000);
    let clock_a = time.clock();
    let seen = Arc::new(Mutex::new(None));
    let (mem_b, time_b, out) = (Arc::clone(&mem), time.clone(), Arc::clone(&seen));
    clock_a.on_sleep(Some(Box::new(move || {
        let clock_b = time_b.skewed(TTL_MS + 5_000);
        *out.lock().unwrap() = Some(claim(&*mem_b, &clock_b, FP, 2, TIMING).unwrap());
    })));
    let a = claim(&*mem, &clock_a, FP, 1, TIMING).unwrap();
    let b = seen.lock().unwrap().unwrap();
    assert_eq!(a, Claim::HeldElsewhere);
    assert!(matches!(b, Claim::Won { .. }));
}

/// A holder that died right after claiming blocks others for about one TTL, no more.
#[test]
fn dead_holder_is_taken_over_after_the_ttl() {
    let kv = MemKv::new();
    let time = VirtualTime::at(7 * WINDOW_MS + 123);
    assert!(matches!(
        claim(&kv, &time.clock(), FP, 1, TIMING).unwrap(),
        Claim::Won { .. }
    ));
    // ...and dies without releasing.
    let mut waited = 0;
    loop {
        if let Claim::Won { .. } = claim(&kv, &time.clock(), FP, 2, TIMING).unwrap() {
            break;
        }
        time.advance(1_000);
        waited += 1_000;
        assert!(waited <= TTL_MS + 1_000, "no takeover after {waited} ms");
    }
    assert!(
        waited >= TTL_MS - 1_000,
        "taken over too early: {waited} ms"
    );
    assert_eq!(read_holder(&kv, FP).unwrap().map(|h| h.nonce), Some(2));
}

/// Same, when the holder died between its increments and writing the holder key.
#[test]
fn holder_that_died_before_writing_its_key_is_taken_over_within_the_ttl() {
    let kv = MemKv::new();
    let start = 7 * WINDOW_MS + 123;
    let w = TIMING.window_at(start);
    kv.increment(&lease_key(FP, w), 1).unwrap();
    kv.increment(&lease_key(FP, w + 1), 1).unwrap();
    let time = VirtualTime::at(start);
    let mut waited = 0;
    while claim(&kv, &time.clock(), FP, 2, TIMING).unwrap() == Claim::HeldElsewhere {
        time.advance(1_000);
        waited += 1_000;
    }
    assert!(waited <= TTL_MS, "waited {waited} ms");
}

#[test]
fn store_errors_surface() {
    let kv = MemKv::new();
    kv.set_failing(true);
    let clock = VirtualTime::at(0).clock();
    assert!(claim(&kv, &clock, FP, 1, TIMING).is_err());
    release(&kv, FP, 1, 0); // best effort: no panic, no error
}
