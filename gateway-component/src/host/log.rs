//! Log lines to stdout (Spin captures a component's stdout into its log).

use std::io::Write;

use gateway_core::log::{format_line, Field, LogFormat, LogLevel};

use super::clock::WasiClock;
use gateway_core::ports::Clock;

/// A per-request logger: every line carries the request id.
pub struct Logger {
    /// Lines below this level are dropped.
    pub level: LogLevel,
    /// Text or JSON.
    pub format: LogFormat,
    /// The request id stamped on every line.
    pub request_id: String,
}

impl Logger {
    /// A logger for one request.
    pub fn new(level: LogLevel, format: LogFormat, request_id: &str) -> Self {
        Self {
            level,
            format,
            request_id: request_id.to_owned(),
        }
    }

    /// Write one event line if `level` passes the filter.
    pub fn emit(&self, level: LogLevel, event: &str, fields: &[(&str, Field)]) {
        if level < self.level {
            return;
        }
        let line = format_line(
            self.format,
            WasiClock.now_ms(),
            level,
            event,
            &self.request_id,
            fields,
        );
        // One write per line: stdout is line-buffered, so the newline hands it to the host, and
        // each further call (an explicit flush) would be another host call. A line that cannot
        // be written is not worth failing the request over.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}
