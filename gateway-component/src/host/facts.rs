//! The runtime's clocks, randomness, files and log, through WASI 0.2 imports: one call each,
//! the same for the WASI 0.2 and WASIp3 builds (a WASIp3 component still links them).

use std::io::Write;

use wasi::clocks::{monotonic_clock, wall_clock};

/// One log line on stdout, which Spin captures. One write per line: stdout is line-buffered,
/// so the newline hands it to the host, and an explicit flush would be another host call.
pub fn write_line(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let now = wall_clock::now();
    i64::try_from(now.seconds)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
        .saturating_add(i64::from(now.nanoseconds / 1_000_000))
}

/// Block for `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
}

/// Monotonic nanoseconds.
pub fn monotonic_ns() -> u64 {
    monotonic_clock::now()
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

/// A random `u64`.
pub fn random_u64() -> u64 {
    wasi::random::random::get_random_u64()
}

/// A mounted file, if it can be read.
pub fn read_file(path: &str) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// The log and the clock of a host type, through these functions (`facts` in scope where it is
/// used): the same in both builds.
macro_rules! log_and_clock {
    ($host:ty) => {
        impl gateway_core::serve::host::LineOut for $host {
            fn write_line(&self, line: &str) {
                facts::write_line(line);
            }
        }

        impl gateway_core::ports::Clock for $host {
            fn now_ms(&self) -> i64 {
                facts::now_ms()
            }

            fn sleep_ms(&self, ms: u64) {
                facts::sleep_ms(ms);
            }
        }
    };
}

/// The method's name, from either binding's `method` enum (same variants, two Rust types).
macro_rules! method_name {
    ($method:expr, $ty:ident) => {
        match $method {
            $ty::Get => "GET".to_owned(),
            $ty::Head => "HEAD".to_owned(),
            $ty::Post => "POST".to_owned(),
            $ty::Put => "PUT".to_owned(),
            $ty::Delete => "DELETE".to_owned(),
            $ty::Connect => "CONNECT".to_owned(),
            $ty::Options => "OPTIONS".to_owned(),
            $ty::Trace => "TRACE".to_owned(),
            $ty::Patch => "PATCH".to_owned(),
            $ty::Other(m) => m,
        }
    };
}
