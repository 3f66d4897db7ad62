//! Writing a token record that comes from outside the refresh protocol: a login installed
//! through `PUT /admin/token` (`login-cli auth push`) or a mounted `oauth-token.json`.
//!
//! Spin's stores offer no safe compare-and-swap (see `ports::Kv`), so such a write is made as
//! the holder of the refresh lease of the generation it replaces. A refresher of that
//! generation holds the same lease from before its token-endpoint call until its own write, and
//! re-reads the record under it; so the two writes never interleave, and whichever comes second
//! sees the first: a refresh that fails or succeeds during an install never overwrites the
//! installed login, and an install never resurrects a generation a refresher replaced.

use super::lease::{self, Claim};
use super::refresh::RefreshPolicy;
use super::token::TokenRecord;
use crate::error::GatewayError;
use crate::ports::{Clock, Kv};

/// Write what `decide` makes of the stored record (`None`: leave it), exclusively with any
/// refresher of the stored generation. Waits for a running refresh to finish, at most about
/// two lease TTLs (a dead holder is taken over after one). Returns what was written.
pub fn install_exclusively(
    kv: &dyn Kv,
    key: &str,
    clock: &dyn Clock,
    policy: &RefreshPolicy,
    nonce: u64,
    decide: impl Fn(Option<&TokenRecord>) -> Option<TokenRecord>,
) -> Result<Option<TokenRecord>, GatewayError> {
    let timing = policy.timing();
    let deadline = clock
        .now_ms()
        .saturating_add(timing.ttl_ms.saturating_mul(2));
    loop {
        let Some(stored) = read(kv, key)? else {
            // No generation, no refresher to race with.
            return write(kv, key, decide(None));
        };
        let fingerprint = stored.fingerprint();
        match lease::claim(kv, clock, &fingerprint, nonce, timing)? {
            Claim::Won { window } => {
                let result = match read(kv, key) {
                    Ok(Some(now)) if now.fingerprint() == fingerprint => {
                        Some(write(kv, key, decide(Some(&now))))
                    }
                    Ok(_) => None,
                    Err(err) => Some(Err(err)),
                };
                lease::release(kv, &fingerprint, nonce, window);
                match result {
                    Some(done) => return done,
                    // Replaced while we claimed: start over with the new generation.
                    None => continue,
                }
            }
            Claim::HeldElsewhere if clock.now_ms() < deadline => {
                clock.sleep_ms(policy.poll_ms.max(1));
            }
            Claim::HeldElsewhere => {
                return Err(GatewayError::oauth_refresh_failed(
                    "a token refresh is still in progress; try again shortly",
                    Some(1),
                ))
            }
        }
    }
}

/// The stored record; an unreadable one counts as none (a login replaces it).
fn read(kv: &dyn Kv, key: &str) -> Result<Option<TokenRecord>, GatewayError> {
    let bytes = kv.get(key)?;
    Ok(bytes.and_then(|b| TokenRecord::from_json(&b).ok()))
}

fn write(
    kv: &dyn Kv,
    key: &str,
    record: Option<TokenRecord>,
) -> Result<Option<TokenRecord>, GatewayError> {
    let Some(record) = record else {
        return Ok(None);
    };
    let bytes = record
        .to_json()
        .map_err(|e| GatewayError::Internal(e.to_string()))?;
    kv.set(key, &bytes)?;
    Ok(Some(record))
}

#[cfg(test)]
mod tests;
