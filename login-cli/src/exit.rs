//! Exit codes: one table from failure class to process status, documented in `--help` and in
//! `config.example.yaml`.
//!
//! Commands return `anyhow::Error`; a [`Failure`] anywhere in its chain picks the code, anything
//! else exits 1. Messages never carry a token.

use std::fmt;

/// Why the process stops with a non-zero status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Anything not classified below: I/O, a store, the network, a busy callback port.
    Error,
    /// Bad flags, a bad `config.yaml`, or a path outside the workdir.
    Usage,
    /// `auth status`, `auth push`: no usable token is stored.
    NoToken,
    /// The login did not complete: wrong `state`, an `error=` callback, a failed code exchange,
    /// a denied device login.
    LoginFailed,
    /// Nothing arrived before `--timeout`.
    Timeout,
    /// `auth push`: the gateway refused (admin endpoint off, wrong admin key, bad record).
    Rejected,
    /// Ctrl-C.
    Interrupted,
}

impl ExitKind {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Error => 1,
            ExitKind::Usage => 2,
            ExitKind::NoToken => 3,
            ExitKind::LoginFailed => 4,
            ExitKind::Timeout => 5,
            ExitKind::Rejected => 6,
            ExitKind::Interrupted => 130,
        }
    }
}

/// The exit-code table, as printed after `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success (auth status: a usable token is stored)
  1    error: I/O, key-value store, network, callback port busy
  2    usage: bad flags, bad config.yaml value, config outside the workdir
  3    no usable token stored (auth status, auth push)
  4    login failed: wrong state, error= callback, code exchange or device login refused
  5    timed out waiting for the browser or the device approval (--timeout)
  6    the gateway refused a push (admin endpoint off: 404; wrong admin key: 401)
  130  interrupted (Ctrl-C); nothing was stored";

/// A classified failure: its kind picks the exit code, its message is shown to the operator.
#[derive(Debug)]
pub struct Failure {
    /// The class of failure.
    pub kind: ExitKind,
    message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// An error of `kind` with `message`.
pub fn fail(kind: ExitKind, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        kind,
        message: message.into(),
    })
}

/// The kind of the first [`Failure`] in the chain, else [`ExitKind::Error`].
pub fn exit_kind(err: &anyhow::Error) -> ExitKind {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(ExitKind::Error, |f| f.kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn the_first_failure_in_the_chain_picks_the_code() {
        let err = Err::<(), _>(fail(ExitKind::Timeout, "slow"))
            .context("login")
            .unwrap_err();
        assert_eq!(exit_kind(&err).code(), 5);
        assert_eq!(format!("{err:#}"), "login: slow");
        assert_eq!(exit_kind(&anyhow::anyhow!("plain")), ExitKind::Error);
    }
}
