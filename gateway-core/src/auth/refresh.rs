//! Getting a usable OAuth access token across many concurrent instances: the refresh protocol.
//!
//! Pure code over the ports: the record lives under one key per account ([`TOKEN_KEY`](super::token::TOKEN_KEY) for
//! the `default` account, see [`crate::accounts`]), the single refresher is chosen
//! by the [`lease`], and only that refresher calls the token endpoint. Refresh tokens
//! rotate and a reused one kills the session, so "exactly one refresh per generation" is the
//! invariant everything here serves. Never formats, logs or returns a token inside an error.
//!
//! * Hot path: one `get`, no write, when the token is outside the refresh margin.
//! * A recorded terminal failure means no token-endpoint call until a new login is written.
//! * A recorded transient failure backs off (`base * 2^(attempts-1)`, capped) while the old
//!   access token keeps serving if it is still valid.
//! * Losers of the lease never call the endpoint: they use the still-valid token or wait for the
//!   new generation.

use super::lease::{self, Claim, LeaseTiming};
use super::oauth::{RefreshError, TokenEndpoint};
use super::token::{FailureKind, RefreshFailure, TokenRecord, LOGIN_HINT};
use crate::error::GatewayError;
use crate::ports::{Clock, Kv};

/// Knobs of the refresh protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh this long before expiry (default 300 s).
    pub margin_secs: i64,
    /// A refresher silent for this long is presumed dead (default 30 s).
    pub lease_ttl_secs: i64,
    /// How long a request whose token has expired waits for another refresher (default 10 s).
    pub wait_max_ms: u64,
    /// Poll interval while waiting (default 100 ms).
    pub poll_ms: u64,
    /// First back-off after a transient failure (default 10 s).
    pub backoff_base_secs: i64,
    /// Longest back-off (default 300 s).
    pub backoff_max_secs: i64,
    /// Grace between writing and re-reading the lease holder key (default 50 ms).
    pub holder_grace_ms: u64,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            margin_secs: 300,
            lease_ttl_secs: 30,
            wait_max_ms: 10_000,
            poll_ms: 100,
            backoff_base_secs: 10,
            backoff_max_secs: 300,
            holder_grace_ms: 50,
        }
    }
}

impl RefreshPolicy {
    /// Seconds to wait after the `attempts`-th consecutive transient failure.
    pub fn backoff_secs(&self, attempts: u32) -> i64 {
        let base = self.backoff_base_secs.max(0);
        let shift = attempts.saturating_sub(1).min(30);
        base.saturating_mul(1i64 << shift)
            .min(self.backoff_max_secs.max(0))
    }

    pub(crate) fn timing(&self) -> LeaseTiming {
        LeaseTiming {
            ttl_ms: self.lease_ttl_secs.max(1).saturating_mul(1000),
            grace_ms: self.holder_grace_ms,
        }
    }
}

/// Writes of a freshly rotated record before giving up.
const PERSIST_ATTEMPTS: u8 = 3;

/// Pause between those writes.
const PERSIST_RETRY_MS: u64 = 50;

/// Why a token is wanted: before a call, or after the upstream rejected `access_token`.
#[derive(Debug, Clone, Copy)]
enum Want<'a> {
    Fresh,
    Replacing(&'a str),
}

/// What to do with a record, decided from the record alone.
#[derive(Debug)]
enum Plan {
    Use,
    Refresh,
    Fail(GatewayError),
}

/// Everything the protocol needs, bundled (the public functions take them separately).
struct Ctx<'a> {
    kv: &'a dyn Kv,
    key: &'a str,
    clock: &'a dyn Clock,
    endpoint: &'a dyn TokenEndpoint,
    policy: &'a RefreshPolicy,
    nonce: u64,
}

impl Ctx<'_> {
    fn now_secs(&self) -> i64 {
        self.clock.now_ms().div_euclid(1000)
    }
}

/// A usable access token: the stored one, or a freshly refreshed one if it is inside the margin.
///
/// `nonce` must be random per request (it tells lease claimers apart).
///
/// ```
/// use gateway_core::auth::{mem_kv::MemKv, oauth::*, refresh::*, token::*};
/// use gateway_core::ports::{Clock, Kv};
///
/// struct Now;
/// impl Clock for Now {
///     fn now_ms(&self) -> i64 { 1_000_000 }
///     fn sleep_ms(&self, _ms: u64) {}
/// }
/// struct Issuer;
/// impl TokenEndpoint for Issuer {
///     fn refresh(&self, _rt: &str) -> Result<TokenResponse, RefreshError> {
///         Ok(serde_json::from_str(r#"{"access_token":"new","refresh_token":"rt2","expires_in":3600}"#).unwrap())
///     }
/// }
///
/// let kv = MemKv::new();
/// let err = acquire_token(&kv, TOKEN_KEY, &Now, &Issuer, &RefreshPolicy::default(), 7).unwrap_err();
/// assert!(err.to_string().contains("login-cli auth login"));
///
/// let login: TokenResponse = serde_json::from_str(r#"{"access_token":"old","refresh_token":"rt1","expires_in":60}"#).unwrap();
/// let record = TokenRecord::from_token_response(&login, 1_000, None).unwrap();
/// kv.set(TOKEN_KEY, &record.to_json().unwrap()).unwrap();
///
/// // Expires within the 300 s margin: this instance wins the lease and refreshes.
/// let token = acquire_token(&kv, TOKEN_KEY, &Now, &Issuer, &RefreshPolicy::default(), 7).unwrap();
/// assert_eq!(token.access_token.expose(), "new");
/// assert_eq!(token.expires_at, Some(1_000 + 3_600));
/// ```
pub fn acquire_token(
    kv: &dyn Kv,
    key: &str,
    clock: &dyn Clock,
    endpoint: &dyn TokenEndpoint,
    policy: &RefreshPolicy,
    nonce: u64,
) -> Result<TokenRecord, GatewayError> {
    let ctx = Ctx {
        kv,
        key,
        clock,
        endpoint,
        policy,
        nonce,
    };
    obtain(&ctx, Want::Fresh)
}

/// The stored record when it serves as it is: readable, outside the refresh margin, no failure
/// recorded. That is the hot path, and it needs none of the refresh settings (each one a host
/// call to read); `None` leaves the decision to [`acquire_token`].
pub fn ready_token(
    kv: &dyn Kv,
    key: &str,
    clock: &dyn Clock,
    margin_secs: i64,
) -> Result<Option<TokenRecord>, GatewayError> {
    let Some(bytes) = kv.get(key)? else {
        return Ok(None);
    };
    let Ok(record) = TokenRecord::from_json(&bytes) else {
        return Ok(None);
    };
    let now = clock.now_ms() / 1000;
    Ok(
        (record.last_failure.is_none() && !record.needs_refresh(now, margin_secs))
            .then_some(record),
    )
}

/// A replacement for `rejected_access_token` after the upstream answered 401.
///
/// If the store already holds a different access token, another instance refreshed: that one is
/// returned without a refresh. Otherwise the refresh goes through the same lease, and losers
/// wait for the new generation (the old access token is known bad).
pub fn force_refresh(
    kv: &dyn Kv,
    key: &str,
    clock: &dyn Clock,
    endpoint: &dyn TokenEndpoint,
    policy: &RefreshPolicy,
    rejected_access_token: &str,
    nonce: u64,
) -> Result<TokenRecord, GatewayError> {
    let ctx = Ctx {
        kv,
        key,
        clock,
        endpoint,
        policy,
        nonce,
    };
    obtain(&ctx, Want::Replacing(rejected_access_token))
}

fn obtain(ctx: &Ctx<'_>, want: Want<'_>) -> Result<TokenRecord, GatewayError> {
    let record = load(ctx.kv, ctx.key)?;
    let now = ctx.now_secs();
    match plan(&record, now, ctx.policy, want) {
        Plan::Use => return Ok(record),
        Plan::Fail(err) => return Err(err),
        Plan::Refresh => {}
    }
    let fingerprint = record.fingerprint();
    match lease::claim(
        ctx.kv,
        ctx.clock,
        &fingerprint,
        ctx.nonce,
        ctx.policy.timing(),
    )? {
        Claim::Won { window } => {
            let result = refresh_as_holder(ctx, &fingerprint, want);
            lease::release(ctx.kv, &fingerprint, ctx.nonce, window);
            result
        }
        Claim::HeldElsewhere if usable(&record, now, want) => Ok(record),
        Claim::HeldElsewhere => {
            wait_for_generation(ctx, &fingerprint, want)?.ok_or_else(in_progress_error)
        }
    }
}

/// The decision for a record, before any lease work.
fn plan(record: &TokenRecord, now: i64, policy: &RefreshPolicy, want: Want<'_>) -> Plan {
    if let Want::Replacing(rejected) = want {
        if record.access_token.expose() != rejected {
            return Plan::Use;
        }
    }
    match &record.last_failure {
        Some(f) if f.kind == FailureKind::Terminal => return Plan::Fail(terminal_error(&f.code)),
        Some(f) => {
            let until = f.at.saturating_add(policy.backoff_secs(f.attempts));
            if now < until {
                return if usable(record, now, want) {
                    Plan::Use
                } else {
                    Plan::Fail(backoff_error(&f.code, until.saturating_sub(now)))
                };
            }
        }
        None => {}
    }
    match want {
        Want::Fresh if !record.needs_refresh(now, policy.margin_secs) => Plan::Use,
        Want::Fresh | Want::Replacing(_) => Plan::Refresh,
    }
}

/// Whether the record's access token may serve this request while a refresh is pending.
fn usable(record: &TokenRecord, now: i64, want: Want<'_>) -> bool {
    matches!(want, Want::Fresh) && !record.is_expired(now)
}

/// The lease is ours: re-check the record, refresh, persist, or record the failure.
fn refresh_as_holder(
    ctx: &Ctx<'_>,
    fingerprint: &str,
    want: Want<'_>,
) -> Result<TokenRecord, GatewayError> {
    let current = load(ctx.kv, ctx.key)?;
    let now = ctx.now_secs();
    if current.fingerprint() != fingerprint {
        // Rotated by another instance (or replaced by a login) since we read it: no refresh.
        return settle(current, now, ctx.policy, want);
    }
    match plan(&current, now, ctx.policy, want) {
        Plan::Use => return Ok(current),
        Plan::Fail(err) => return Err(err),
        Plan::Refresh => {}
    }
    let failure = match ctx.endpoint.refresh(current.refresh_token.expose()) {
        Ok(resp) => match TokenRecord::from_token_response(&resp, now, Some(&current)) {
            Ok(rotated) => return persist_rotated(ctx, fingerprint, rotated),
            Err(err) => RefreshError::invalid_response(err.to_string()),
        },
        Err(err) => err,
    };
    if failure.is_reused() {
        // Someone used this refresh token: if it was a concurrent refresher, its generation is
        // about to appear and the session is fine; only if none does is the failure terminal.
        if let Some(record) = wait_for_generation(ctx, fingerprint, want)? {
            return Ok(record);
        }
    }
    record_failure(ctx, fingerprint, want, &failure)
}

/// Store the rotated record, unless a new login replaced the generation meanwhile.
///
/// The issuer has already rotated the refresh token, so losing this write loses the session: a
/// store hiccup on the re-read does not stop the write, and the write gets a few retries.
fn persist_rotated(
    ctx: &Ctx<'_>,
    fingerprint: &str,
    rotated: TokenRecord,
) -> Result<TokenRecord, GatewayError> {
    match ctx.kv.get(ctx.key) {
        // Logged out while we refreshed: do not bring the session back.
        Ok(None) => return Err(no_token_error()),
        Ok(Some(bytes)) => {
            if let Ok(stored) = TokenRecord::from_json(&bytes) {
                if stored.fingerprint() != fingerprint {
                    // A login (or another refresher) wrote a newer generation: it wins.
                    return Ok(stored);
                }
            }
        }
        Err(_) => {}
    }
    let bytes = rotated
        .to_json()
        .map_err(|e| GatewayError::Internal(e.to_string()))?;
    let mut attempts_left = PERSIST_ATTEMPTS;
    loop {
        match ctx.kv.set(ctx.key, &bytes) {
            Ok(()) => return Ok(rotated),
            Err(err) if attempts_left <= 1 => return Err(err.into()),
            Err(_) => attempts_left -= 1,
        }
        ctx.clock.sleep_ms(PERSIST_RETRY_MS);
    }
}

/// Write the failure into the record (same generation only) and answer accordingly.
fn record_failure(
    ctx: &Ctx<'_>,
    fingerprint: &str,
    want: Want<'_>,
    failure: &RefreshError,
) -> Result<TokenRecord, GatewayError> {
    let now = ctx.now_secs();
    let mut stored = load(ctx.kv, ctx.key)?;
    if stored.fingerprint() != fingerprint {
        return settle(stored, now, ctx.policy, want);
    }
    let recorded = RefreshFailure::after(
        stored.last_failure.as_ref(),
        failure.kind,
        failure.code.as_str(),
        now,
    );
    let retry_after = ctx.policy.backoff_secs(recorded.attempts);
    stored.last_failure = Some(recorded);
    let bytes = stored
        .to_json()
        .map_err(|e| GatewayError::Internal(e.to_string()))?;
    ctx.kv.set(ctx.key, &bytes)?;
    match failure.kind {
        FailureKind::Terminal => Err(terminal_error(&failure.code)),
        FailureKind::Transient if usable(&stored, now, want) => Ok(stored),
        FailureKind::Transient => Err(GatewayError::oauth_refresh_failed(
            format!(
                "OAuth token refresh failed ({}: {}); retrying in {retry_after} s",
                failure.code,
                scrub(&failure.message, &stored)
            ),
            Some(retry_secs(retry_after)),
        )),
    }
}

/// Poll the record until its generation changes (`Ok(Some)`, or the new record's error) or a
/// failure is recorded for it (that failure's error); `Ok(None)` when the wait times out.
fn wait_for_generation(
    ctx: &Ctx<'_>,
    fingerprint: &str,
    want: Want<'_>,
) -> Result<Option<TokenRecord>, GatewayError> {
    let wait_ms = i64::try_from(ctx.policy.wait_max_ms).unwrap_or(i64::MAX);
    let deadline = ctx.clock.now_ms().saturating_add(wait_ms);
    while ctx.clock.now_ms() < deadline {
        ctx.clock.sleep_ms(ctx.policy.poll_ms.max(1));
        let current = load(ctx.kv, ctx.key)?;
        let now = ctx.now_secs();
        if current.fingerprint() != fingerprint {
            return settle(current, now, ctx.policy, want).map(Some);
        }
        match plan(&current, now, ctx.policy, want) {
            Plan::Refresh => {}
            Plan::Use => return Ok(Some(current)),
            Plan::Fail(err) => return Err(err),
        }
    }
    Ok(None)
}

/// The answer for a record of a generation someone else just wrote: use it unless it is
/// unusable already.
fn settle(
    record: TokenRecord,
    now: i64,
    policy: &RefreshPolicy,
    want: Want<'_>,
) -> Result<TokenRecord, GatewayError> {
    match plan(&record, now, policy, want) {
        Plan::Use => Ok(record),
        Plan::Fail(err) => Err(err),
        Plan::Refresh if usable(&record, now, want) => Ok(record),
        Plan::Refresh => Err(in_progress_error()),
    }
}

/// The stored record; absent or unreadable records need a login.
fn load(kv: &dyn Kv, key: &str) -> Result<TokenRecord, GatewayError> {
    let bytes = kv.get(key)?.ok_or_else(no_token_error)?;
    TokenRecord::from_json(&bytes).map_err(|err| {
        GatewayError::oauth_unavailable(format!(
            "the stored OAuth token record is unreadable ({err}); {LOGIN_HINT}"
        ))
    })
}

/// Whether `err` means no stored token can serve until someone logs in again (none stored,
/// unreadable, or refused for good), as opposed to a failure that may pass.
pub fn needs_login(err: &GatewayError) -> bool {
    err.code() == "oauth_unavailable"
}

fn no_token_error() -> GatewayError {
    GatewayError::oauth_unavailable(format!("no OAuth token in the store; {LOGIN_HINT}"))
}

fn terminal_error(code: &str) -> GatewayError {
    GatewayError::oauth_unavailable(format!(
        "the OAuth session can no longer be refreshed ({code}); {LOGIN_HINT}"
    ))
}

fn backoff_error(code: &str, secs: i64) -> GatewayError {
    GatewayError::oauth_refresh_failed(
        format!(
            "the access token expired and the last refresh failed ({code}); retrying in {secs} s"
        ),
        Some(retry_secs(secs)),
    )
}

fn in_progress_error() -> GatewayError {
    GatewayError::oauth_refresh_failed("token refresh in progress elsewhere, try again", Some(1))
}

fn retry_secs(secs: i64) -> u64 {
    u64::try_from(secs.max(1)).unwrap_or(1)
}

/// The issuer's message with any of our tokens blanked out (a second line of defence).
fn scrub(message: &str, record: &TokenRecord) -> String {
    let mut text = message.to_owned();
    for secret in [record.access_token.expose(), record.refresh_token.expose()] {
        if secret.len() >= 8 {
            text = text.replace(secret, "***");
        }
    }
    text
}

#[cfg(test)]
mod tests;
