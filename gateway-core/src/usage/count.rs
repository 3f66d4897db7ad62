//! Writing usage: per key × model × UTC day, a counter for requests and one for each token
//! count. The first request of a key × model on a day also takes a slot in that day's list of
//! pairs (`increment` hands out the slot, so two instances never take the same one), which is
//! how a report finds the pairs without listing the store.

use super::Tokens;
use crate::calendar::utc_date;
use crate::error::GatewayError;
use crate::fnv::fnv1a64;
use crate::ports::Kv;

/// The counted fields, as the counters and reports name them.
pub const FIELDS: [&str; 5] = [
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
];

/// Longest model name counted as sent; longer names are cut.
pub const MODEL_CHARS: usize = 128;

/// Where `field` of `key` × `model` on `date` is counted.
pub fn counter_key(date: &str, key: &str, model: &str, field: &str) -> String {
    let pair = fnv1a64(key.bytes().chain([0]).chain(model.bytes()));
    format!("codex-gateway/usage/{date}/{pair:016x}/{field}")
}

/// The counter handing out `date`'s pair slots.
pub fn pairs_key(date: &str) -> String {
    format!("codex-gateway/usage/{date}/pairs")
}

/// Where slot `slot` of `date`'s pairs is.
pub fn pair_key(date: &str, slot: i64) -> String {
    format!("codex-gateway/usage/{date}/pair/{slot}")
}

/// The model name a request is counted under.
pub fn counted_model(model: &str) -> String {
    model.chars().take(MODEL_CHARS).collect()
}

/// Count one request of `key` for `model` at `now`, with the tokens its answer reported.
pub fn count(
    kv: &dyn Kv,
    key: &str,
    model: &str,
    tokens: Tokens,
    now: i64,
) -> Result<(), GatewayError> {
    let date = utc_date(now);
    let model = counted_model(model);
    let requests = kv.increment(&counter_key(&date, key, &model, "requests"), 1)?;
    if requests == 1 {
        let slot = kv.increment(&pairs_key(&date), 1)? - 1;
        let pair = serde_json::to_vec(&[key, model.as_str()])
            .map_err(|e| GatewayError::Internal(e.to_string()))?;
        kv.set(&pair_key(&date, slot), &pair)?;
    }
    let counts = [
        ("input_tokens", tokens.input_tokens),
        ("cached_input_tokens", tokens.cached_input_tokens),
        ("output_tokens", tokens.output_tokens),
        ("reasoning_tokens", tokens.reasoning_tokens),
    ];
    for (field, n) in counts.into_iter().filter(|(_, n)| *n > 0) {
        let delta = i64::try_from(n).unwrap_or(i64::MAX);
        kv.increment(&counter_key(&date, key, &model, field), delta)?;
    }
    Ok(())
}
