//! Waiting for the operator: a spinner with the time left (stderr, terminals only), the
//! timeout, and Ctrl-C, all of which end the wait cleanly so the caller can free the port and
//! say what happened.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::exit::{fail, ExitKind};
use crate::ui::{short_duration, Spinner};

/// Wait for `work` for at most `timeout`; `what` names what is awaited in messages.
pub async fn bounded<T>(
    what: &str,
    timeout: Duration,
    work: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + timeout;
    let spinner = Spinner::start(what);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let interrupted = tokio::signal::ctrl_c();
    let expired = tokio::time::sleep_until(deadline);
    tokio::pin!(work, interrupted, expired);
    let mut signals = true;
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = &mut expired => {
                spinner.clear();
                return Err(fail(
                    ExitKind::Timeout,
                    format!(
                        "timed out after {} {what}; nothing was stored (raise --timeout, or use --device or --paste)",
                        short_duration(timeout)
                    ),
                ));
            }
            signal = &mut interrupted, if signals => {
                if signal.is_err() {
                    // No handler could be installed: Ctrl-C keeps its default effect.
                    signals = false;
                    continue;
                }
                spinner.clear();
                return Err(fail(ExitKind::Interrupted, format!("interrupted while {what}; nothing was stored")));
            }
            _ = tick.tick() => {
                let left = deadline.saturating_duration_since(Instant::now());
                spinner.set(format!("{what}: {} left (Ctrl-C to cancel)", short_duration(left)));
            }
        }
    }
}
