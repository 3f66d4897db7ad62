//! What the operator reads: results on stdout, warnings and progress on stderr.
//!
//! The only place that prints. Never pass a token to these functions.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A line on stdout (results, URLs, codes the operator must act on). A closed pipe
/// (`login-cli auth status | head -1`) is not an error worth a panic.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// A warning on stderr.
pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {text}");
}

/// The final error on stderr.
pub fn error(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "error: {text}");
}

/// A spinner with a message on stderr, drawn only when stderr is a terminal.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// Start spinning (or do nothing when stderr is not a terminal).
    pub fn start(message: &str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner(Some(bar))
    }

    /// Replace the message.
    pub fn set(&self, message: String) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
        }
    }

    /// Remove the spinner line.
    pub fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.clear();
    }
}

/// `1m 05s`-style remaining time, whole seconds.
pub fn short_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 3600, (secs % 3600) / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// An RFC 3339 UTC time for Unix seconds.
pub fn timestamp(unix: i64) -> String {
    let when = u64::try_from(unix)
        .ok()
        .and_then(|s| std::time::UNIX_EPOCH.checked_add(Duration::from_secs(s)));
    match when {
        Some(t) => humantime::format_rfc3339_seconds(t).to_string(),
        None => format!("@{unix}"),
    }
}

/// `in 5m 03s` / `3h 02m ago`, relative to `now`.
pub fn relative(unix: i64, now: i64) -> String {
    let delta = unix.saturating_sub(now);
    let span = short_duration(Duration::from_secs(delta.unsigned_abs()));
    if delta >= 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// Seconds since the epoch.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_well() {
        assert_eq!(short_duration(Duration::from_secs(65)), "1m 05s");
        assert_eq!(short_duration(Duration::from_secs(7)), "7s");
        assert_eq!(short_duration(Duration::from_secs(3_725)), "1h 02m");
        assert_eq!(timestamp(86_400), "1970-01-02T00:00:00Z");
        assert_eq!(relative(100, 40), "in 1m 00s");
        assert_eq!(relative(40, 100), "1m 00s ago");
    }
}
