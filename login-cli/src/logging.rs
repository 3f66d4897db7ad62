//! Diagnostic logs on stderr, shaped by `logging.level`, `logging.format` and `logging.color`.
//!
//! Events are named `login_cli.<area>.<op>`. Never log a token, a code, a verifier or a key.

use std::io::IsTerminal as _;

use crate::config::{ColorChoice, LogSettings};

/// Install the global subscriber (once; later calls are ignored).
pub fn init(settings: LogSettings) {
    let ansi = match settings.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(settings.level)
        .with_writer(|| QuietStderr)
        .with_target(false);
    let result = if settings.json {
        builder.json().with_ansi(false).try_init()
    } else {
        builder.with_ansi(ansi).try_init()
    };
    // A second init (tests) keeps the first subscriber.
    drop(result);
}

/// stderr that drops what it cannot write: a closed pipe must not end the program.
struct QuietStderr;

impl std::io::Write for QuietStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}
