//! The decision on each request made with a client key, and the window counters behind its
//! limits. A request limit is counted when the request is admitted, with the store's atomic
//! `increment`, so N allowed means exactly N admitted on every instance together. A token limit
//! is checked against what earlier answers used (tokens are known only once an answer ends, so
//! requests already under way may carry a window past its limit).

use serde::{Deserialize, Serialize};

use super::limit::{Limit, Metric};
use super::record::ClientKey;
use crate::calendar::utc_date;
use crate::error::GatewayError;
use crate::ports::Kv;

/// Where a key's counter for `limit`'s window starting at `start` lives.
pub fn window_key(name: &str, limit: &Limit, start: i64) -> String {
    let metric = match limit.metric {
        Metric::Requests => "requests",
        Metric::Tokens => "tokens",
    };
    format!(
        "codex-gateway/key-window/{name}/{metric}/{}/{start}",
        limit.window.name()
    )
}

/// A counter's value: `increment` by 0 reads it the same way on every store.
pub fn read_counter(kv: &dyn Kv, key: &str) -> Result<u64, GatewayError> {
    Ok(kv.increment(key, 0)?.try_into().unwrap_or(0))
}

/// Refuse a key that was revoked or has expired, with its own message.
pub fn check_live(key: &ClientKey, now: i64) -> Result<(), GatewayError> {
    if let Some(at) = key.revoked_at {
        return Err(GatewayError::Unauthorized(format!(
            "this key ({}) was revoked on {}; ask the gateway's owner for a new one",
            key.name,
            utc_date(at)
        )));
    }
    if let Some(at) = key.expires_at.filter(|at| *at <= now) {
        return Err(GatewayError::Unauthorized(format!(
            "this key ({}) expired on {}; ask the gateway's owner for a new one",
            key.name,
            utc_date(at)
        )));
    }
    Ok(())
}

/// Refuse, or admit and count, a request by `key` for `model` at `now`.
pub fn admit(kv: &dyn Kv, key: &ClientKey, model: &str, now: i64) -> Result<(), GatewayError> {
    check_live(key, now)?;
    if !key.allows(model) {
        return Err(GatewayError::ModelNotAllowed(format!(
            "this key ({}) may not use model {:?}; it may use: {}",
            key.name,
            model.chars().take(100).collect::<String>(),
            key.models.join(", ")
        )));
    }
    for limit in key.limits.iter().filter(|l| l.metric == Metric::Tokens) {
        let (start, end) = limit.window.bounds(now);
        if read_counter(kv, &window_key(&key.name, limit, start))? >= limit.max {
            return Err(reached(key, limit, end, now));
        }
    }
    let mut counted: Vec<String> = Vec::new();
    for limit in key.limits.iter().filter(|l| l.metric == Metric::Requests) {
        let (start, end) = limit.window.bounds(now);
        let counter = window_key(&key.name, limit, start);
        let admitted = kv.increment(&counter, 1)?;
        counted.push(counter);
        if u64::try_from(admitted).unwrap_or(u64::MAX) > limit.max {
            // Not admitted: the windows count only what went through.
            for counter in &counted {
                let _ = kv.increment(counter, -1);
            }
            return Err(reached(key, limit, end, now));
        }
    }
    Ok(())
}

fn reached(key: &ClientKey, limit: &Limit, end: i64, now: i64) -> GatewayError {
    GatewayError::KeyLimitReached {
        message: format!(
            "this key ({}) has reached its limit of {}; the window ends at {} UTC",
            key.name,
            limit.to_text(),
            crate::log::rfc3339_ms(end.saturating_mul(1000))
        ),
        retry_after: u64::try_from(end - now).unwrap_or(0).max(1),
    }
}

/// Count an answer's `tokens` into the windows of `key`'s token limits.
pub fn charge_tokens(
    kv: &dyn Kv,
    key: &ClientKey,
    tokens: u64,
    now: i64,
) -> Result<(), GatewayError> {
    let delta = i64::try_from(tokens).unwrap_or(i64::MAX);
    for limit in key.limits.iter().filter(|l| l.metric == Metric::Tokens) {
        let (start, _) = limit.window.bounds(now);
        kv.increment(&window_key(&key.name, limit, start), delta)?;
    }
    Ok(())
}

/// How much of one limit's current window is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowUse {
    /// The limit, as written (`requests=100/5h`).
    pub limit: String,
    /// Used in the current window.
    pub used: u64,
    /// The limit's maximum.
    pub max: u64,
    /// When the window ends, Unix seconds.
    pub resets_at: i64,
}

/// The current windows of `key`'s limits.
pub fn windows_in_use(
    kv: &dyn Kv,
    key: &ClientKey,
    now: i64,
) -> Result<Vec<WindowUse>, GatewayError> {
    key.limits
        .iter()
        .map(|limit| {
            let (start, end) = limit.window.bounds(now);
            Ok(WindowUse {
                limit: limit.to_text(),
                used: read_counter(kv, &window_key(&key.name, limit, start))?,
                max: limit.max,
                resets_at: end,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mem_kv::MemKv;
    use crate::keys::record::test_key as key;

    const NOON: i64 = 1_765_022_400; // 2025-12-06T12:00:00Z

    #[test]
    fn revoked_expired_and_unlisted_are_refused_with_their_own_answers() {
        let kv = MemKv::new();
        let mut k = key(&["gpt-5.4"], &[]);
        k.expires_at = Some(10_000_000);
        assert!(admit(&kv, &k, "gpt-5.4", 0).is_ok());
        let err = admit(&kv, &k, "gpt-6-sol", 0).unwrap_err();
        assert_eq!((err.status(), err.code()), (403, "model_not_allowed"));
        let err = admit(&kv, &k, "gpt-5.4", 10_000_000).unwrap_err();
        assert_eq!(err.status(), 401);
        assert!(err.to_string().contains("expired on 1970-04-26"), "{err}");
        k.revoked_at = Some(NOON);
        let err = admit(&kv, &k, "gpt-5.4", 0).unwrap_err();
        assert!(err.to_string().contains("revoked on 2025-12-06"), "{err}");
    }

    #[test]
    fn a_request_limit_admits_exactly_n_per_window() {
        let kv = MemKv::new();
        let k = key(&[], &["requests=3/5h", "requests=100/day"]);
        let admitted = (0..5).filter(|_| admit(&kv, &k, "m", NOON).is_ok()).count();
        assert_eq!(admitted, 3);
        let err = admit(&kv, &k, "m", NOON).unwrap_err();
        assert_eq!((err.status(), err.code()), (429, "key_limit_reached"));
        // 12:00 on that day is inside the 5-hour window [08:00, 13:00).
        assert_eq!(err.retry_after(), Some(3600));
        let day = windows_in_use(&kv, &k, NOON).unwrap();
        assert_eq!(
            (day[0].used, day[1].used),
            (3, 3),
            "refusals are not counted"
        );
        assert!(admit(&kv, &k, "m", NOON + 3 * 3600).is_ok(), "a new window");
    }

    #[test]
    fn a_token_limit_refuses_once_used_up() {
        let kv = MemKv::new();
        let k = key(&[], &["tokens=1000/week"]);
        assert!(admit(&kv, &k, "m", NOON).is_ok());
        charge_tokens(&kv, &k, 999, NOON).unwrap();
        assert!(admit(&kv, &k, "m", NOON).is_ok());
        charge_tokens(&kv, &k, 5, NOON).unwrap();
        let err = admit(&kv, &k, "m", NOON).unwrap_err();
        assert!(err.to_string().contains("tokens=1000/week"), "{err}");
        // 2025-12-06 is a Saturday: the week ends Monday 00:00, 36 hours later.
        assert_eq!(err.retry_after(), Some(36 * 3600));
    }
}
