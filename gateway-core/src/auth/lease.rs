//! The refresh lease: at most one refresher per token generation across instances and machines.
//!
//! Built only on the key-value store's atomic `increment` plus plain get/set/delete, never on
//! compare-and-swap (unsafe on Spin's SQLite and Redis stores, see `ports::Kv`). Never stores or
//! logs a token: keys carry the generation's fingerprint, values a nonce and a time.
//!
//! # Keys (an interface: login-cli and operators may see them)
//!
//! * `codex-gateway/lease/<fp>/<window>`: counter (8 little-endian bytes, as Spin stores it).
//!   `<fp>` is [`TokenRecord::fingerprint`](super::token::TokenRecord::fingerprint), `<window>` is
//!   `now_ms / (ttl_ms / 2)`.
//! * `codex-gateway/lease-holder/<fp>`: `{"nonce": u64, "started_at_ms": i64}` of the claimer.
//!
//! # Claim
//!
//! 1. If the holder key is fresh (younger than the TTL), someone is refreshing: lose.
//! 2. Increment the counters of the current window `w` **and of `w + 1`**; win only with 1 on both.
//! 3. Write the holder key with our nonce, sleep a short grace, re-read it: proceed only if our
//!    nonce is still there.
//!
//! # Why it is safe on SQLite and Redis
//!
//! * `increment` is atomic on both stores, so each counter hands out 1 exactly once. Two claims in
//!   the same or in adjacent windows share a counter (`w + 1`), so at most one of them wins: the
//!   window-boundary race of a one-counter scheme is closed without any timing assumption.
//! * Two winners therefore sit at least two windows apart, i.e. at least TTL/2 apart in time. By
//!   then the first winner's holder key (written right after its increments) is fresh, so the
//!   later candidate stops at step 1. Only a holder older than the TTL (dead, or slower than the
//!   TTL) lets a new claim through; that is the takeover.
//! * The holder key with nonce and grace re-read (last writer wins, every claimer reads the same
//!   value) covers the residual case where two claims both pass step 2 at the same moment, e.g.
//!   clocks that disagree by more than TTL/2.
//! * The refresher re-reads the record after winning and refreshes only if its generation is
//!   unchanged, so a claim that lands after a rotation does nothing; a holder that dies leaves a
//!   stale holder key and consumed counters only for windows `w` and `w + 1`, so the next
//!   candidate after the TTL takes over: a crash delays others by about one TTL.
//! * Assumptions: machine clocks agree to well within TTL/2, and the token-endpoint call (the
//!   host's request timeout) is shorter than the TTL.

use serde::{Deserialize, Serialize};

use crate::ports::{Clock, Kv, KvError};

/// Prefix of the lease counters.
pub const LEASE_PREFIX: &str = "codex-gateway/lease/";

/// Prefix of the holder keys.
pub const HOLDER_PREFIX: &str = "codex-gateway/lease-holder/";

/// Timing of the lease, derived from the refresh policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    /// A holder older than this is presumed dead.
    pub ttl_ms: i64,
    /// Sleep between writing the holder key and re-reading it.
    pub grace_ms: u64,
}

impl LeaseTiming {
    /// Length of one counter window: half the TTL (at least 1 ms).
    pub fn window_ms(&self) -> i64 {
        (self.ttl_ms / 2).max(1)
    }

    /// The window index at `now_ms`.
    pub fn window_at(&self, now_ms: i64) -> i64 {
        now_ms.div_euclid(self.window_ms())
    }
}

/// Who is refreshing a generation, and since when (the value of the holder key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The claimer's random nonce.
    pub nonce: u64,
    /// When it claimed (its clock, Unix ms).
    pub started_at_ms: i64,
}

impl Holder {
    /// Whether this holder still counts at `now_ms` (clock skew either way up to the TTL).
    pub fn is_fresh(&self, now_ms: i64, ttl_ms: i64) -> bool {
        now_ms.saturating_sub(self.started_at_ms).saturating_abs() < ttl_ms
    }
}

/// The counter key of `fingerprint` in `window`.
pub fn lease_key(fingerprint: &str, window: i64) -> String {
    format!("{LEASE_PREFIX}{fingerprint}/{window}")
}

/// The holder key of `fingerprint`.
pub fn holder_key(fingerprint: &str) -> String {
    format!("{HOLDER_PREFIX}{fingerprint}")
}

/// The outcome of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// We are the single refresher of this generation, claimed in `window`.
    Won {
        /// The first of the two counter windows we hold.
        window: i64,
    },
    /// Someone else is (or just was) refreshing.
    HeldElsewhere,
}

/// Read the holder key; an unreadable value counts as absent.
pub fn read_holder(kv: &dyn Kv, fingerprint: &str) -> Result<Option<Holder>, KvError> {
    let raw = kv.get(&holder_key(fingerprint))?;
    Ok(raw.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Try to become the single refresher of `fingerprint` (see the module docs).
pub fn claim(
    kv: &dyn Kv,
    clock: &dyn Clock,
    fingerprint: &str,
    nonce: u64,
    timing: LeaseTiming,
) -> Result<Claim, KvError> {
    let now_ms = clock.now_ms();
    if let Some(holder) = read_holder(kv, fingerprint)? {
        if holder.is_fresh(now_ms, timing.ttl_ms) {
            return Ok(Claim::HeldElsewhere);
        }
    }
    let window = timing.window_at(now_ms);
    for w in [window, window.saturating_add(1)] {
        if kv.increment(&lease_key(fingerprint, w), 1)? != 1 {
            return Ok(Claim::HeldElsewhere);
        }
    }
    let holder = Holder {
        nonce,
        started_at_ms: now_ms,
    };
    let bytes = serde_json::to_vec(&holder).map_err(|e| KvError(e.to_string()))?;
    kv.set(&holder_key(fingerprint), &bytes)?;
    clock.sleep_ms(timing.grace_ms);
    match read_holder(kv, fingerprint)? {
        Some(current) if current.nonce == nonce => Ok(Claim::Won { window }),
        Some(_) | None => Ok(Claim::HeldElsewhere),
    }
}

/// Give the lease back: drop our counters (so a retry after back-off can claim again) and the
/// holder key if it is still ours. Best effort: a failure only delays the next claim by a TTL.
pub fn release(kv: &dyn Kv, fingerprint: &str, nonce: u64, window: i64) {
    for w in [window, window.saturating_add(1)] {
        let _ignored = kv.delete(&lease_key(fingerprint, w));
    }
    if let Ok(Some(holder)) = read_holder(kv, fingerprint) {
        if holder.nonce == nonce {
            let _ignored = kv.delete(&holder_key(fingerprint));
        }
    }
}

#[cfg(test)]
mod tests;
