//! Wall clock, monotonic sleep and randomness from WASI.

use gateway_core::ports::Clock;
use wasi::clocks::{monotonic_clock, wall_clock};

use super::Spin;

impl Clock for Spin {
    fn now_ms(&self) -> i64 {
        let now = wall_clock::now();
        i64::try_from(now.seconds)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000)
            .saturating_add(i64::from(now.nanoseconds / 1_000_000))
    }

    fn sleep_ms(&self, ms: u64) {
        monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
    }
}

/// 16 bytes from the host's secure random source.
pub fn random_16() -> [u8; 16] {
    let mut out = [0u8; 16];
    for (dst, src) in out
        .iter_mut()
        .zip(wasi::random::random::get_random_bytes(16))
    {
        *dst = src;
    }
    out
}
