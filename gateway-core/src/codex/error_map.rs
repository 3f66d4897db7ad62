//! How upstream failures (HTTP error statuses and in-stream errors) become [`GatewayError`]s.
//!
//! One classification serves both paths, so a quota error looks the same to clients whether it
//! arrived as an HTTP 429, a 404, a `response.failed` or an `error` event. Upstream text is cut
//! to [`MAX_MESSAGE_CHARS`]; nothing here reads a clock (callers pass `now`).

use serde::Deserialize;

use crate::codex::response::UpstreamError;
use crate::error::{GatewayError, UpstreamCode};

/// The most upstream text an error message carries.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// `Retry-After` of an overload the backend gave no delay for: capacity comes back in seconds,
/// and a client that waits this long usually gets through (documented in api-reference.md).
pub const OVERLOAD_RETRY_SECS: u64 = 5;

const OVERLOAD_CODES: [&str; 3] = [
    "server_is_overloaded",
    "service_unavailable_error",
    "server_overloaded",
];

/// Maps an in-stream upstream error (`response.failed`'s `error`, or an `error` event).
///
/// `now_unix` turns `resets_at` into a delay; without it only `resets_in_seconds` is used.
pub fn map_stream_error(err: &UpstreamError, now_unix: Option<i64>) -> GatewayError {
    let message = err.message.as_deref().map(excerpt).unwrap_or_default();
    classify(err, &message, now_unix, None).unwrap_or_else(|| {
        let message = if message.is_empty() {
            "upstream reported a failure without a message".to_owned()
        } else {
            message
        };
        upstream(502, UpstreamCode::Error, message, None)
    })
}

/// Maps a `response.failed` event's `error` (absent: a failure without details).
pub fn map_failed_response(error: Option<&UpstreamError>, now_unix: Option<i64>) -> GatewayError {
    match error {
        Some(error) => map_stream_error(error, now_unix),
        None => GatewayError::upstream_error("upstream reported response.failed without an error"),
    }
}

/// Maps an upstream HTTP error status and body.
///
/// Bodies may be `{"error":{…}}`, `{"detail":"…"}`, a flat `{"code","message"}` or plain text.
pub fn map_upstream_status(
    status: u16,
    retry_after_header: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> GatewayError {
    let err = parse_error_body(body);
    let message = match err.message.as_deref() {
        Some(m) if !m.trim().is_empty() => excerpt(m),
        _ => format!("upstream answered HTTP {status}"),
    };
    let header_delay = retry_after_header.and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(mapped) = classify(&err, &message, Some(now_unix), header_delay) {
        return mapped;
    }
    match status {
        401 => upstream(401, UpstreamCode::Unauthorized, message, None),
        403 => upstream(403, UpstreamCode::Forbidden, message, None),
        404 => upstream(404, UpstreamCode::NotFound, message, None),
        429 => upstream(429, UpstreamCode::RateLimitExceeded, message, header_delay),
        400 | 422 => upstream(status, UpstreamCode::BadRequest, message, None),
        402..=499 => upstream(status, UpstreamCode::Error, message, None),
        _ => upstream(502, UpstreamCode::Error, message, None),
    }
}

/// The classes that do not depend on the HTTP status: quota, overload, context length.
fn classify(
    err: &UpstreamError,
    message: &str,
    now_unix: Option<i64>,
    header_delay: Option<u64>,
) -> Option<GatewayError> {
    let code = err.code();
    if let Some(quota) = UpstreamCode::quota(code) {
        let delay = reset_delay(err, now_unix)
            .or(header_delay)
            .or_else(|| try_again_in(message));
        let message = if message.is_empty() {
            code.to_owned()
        } else {
            message.to_owned()
        };
        return Some(upstream(429, quota, message, delay));
    }
    if OVERLOAD_CODES.contains(&code) || mentions_capacity(message) {
        let message = if message.is_empty() {
            "the upstream model is overloaded; try again later".to_owned()
        } else {
            message.to_owned()
        };
        return Some(upstream(
            503,
            UpstreamCode::ServerOverloaded,
            message,
            header_delay.or(Some(OVERLOAD_RETRY_SECS)),
        ));
    }
    if requires_newer_client(message) {
        let message = format!(
            "{message} (the Codex backend gates models by client version: raise the gateway's \
             `codex_client_version` setting to a Codex CLI release that serves this model)"
        );
        return Some(upstream(
            400,
            UpstreamCode::ClientVersionTooOld,
            message,
            None,
        ));
    }
    if code == "context_length_exceeded" {
        return Some(upstream(
            400,
            UpstreamCode::ContextLengthExceeded,
            message.to_owned(),
            None,
        ));
    }
    None
}

fn upstream(
    status: u16,
    code: UpstreamCode,
    message: String,
    retry_after: Option<u64>,
) -> GatewayError {
    GatewayError::Upstream {
        status,
        code,
        message,
        retry_after,
    }
}

/// Seconds until a quota resets, from `resets_in_seconds` or `resets_at − now`.
fn reset_delay(err: &UpstreamError, now_unix: Option<i64>) -> Option<u64> {
    let from_at = || {
        let now = now_unix? as f64;
        err.resets_at.map(|at| at - now)
    };
    let secs = err.resets_in_seconds.or_else(from_at)?;
    (secs.is_finite() && secs >= 0.0).then(|| secs.ceil().min(u64::MAX as f64) as u64)
}

/// `…try again in 1.5s` / `…in 20ms` (the rate-limit wording the Codex CLI also parses).
fn try_again_in(message: &str) -> Option<u64> {
    let lower = message.to_ascii_lowercase();
    let rest = lower.split("try again in ").nth(1)?.trim_start();
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(number_len);
    let value: f64 = number.parse().ok()?;
    let secs = if unit.trim_start().starts_with("ms") {
        value / 1000.0
    } else {
        value
    };
    (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64)
}

/// `The 'gpt-6-astra' model requires a newer version of Codex. Please upgrade …` (since
/// 2026-09, for a model whose `minimal_client_version` is above the request's).
fn requires_newer_client(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("requires a newer version of codex")
}

/// Adds the version the gateway presented to a [`UpstreamCode::ClientVersionTooOld`] refusal,
/// so the message says what the setting is now; other errors pass unchanged.
pub fn name_client_version(err: GatewayError, presented: &str) -> GatewayError {
    match err {
        GatewayError::Upstream {
            status,
            code: UpstreamCode::ClientVersionTooOld,
            message,
            retry_after,
        } => GatewayError::Upstream {
            status,
            code: UpstreamCode::ClientVersionTooOld,
            message: format!("{message}; the version presented was {presented}"),
            retry_after,
        },
        other => other,
    }
}

fn mentions_capacity(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("at capacity") || lower.contains("overloaded")
}

/// At most [`MAX_MESSAGE_CHARS`] characters, on a character boundary, marked when cut.
fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// The shapes upstream error bodies come in.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<ErrorField>,
    #[serde(default)]
    detail: Option<Detail>,
    #[serde(flatten)]
    flat: UpstreamError,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Object(UpstreamError),
    Text(String),
}

/// FastAPI's `detail`: a string, or a list of `{msg}` validation errors.
#[derive(Deserialize)]
#[serde(untagged)]
enum Detail {
    Text(String),
    List(Vec<DetailItem>),
}

#[derive(Deserialize)]
struct DetailItem {
    #[serde(default)]
    msg: String,
}

fn parse_error_body(body: &[u8]) -> UpstreamError {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        // Plain text is shown; an HTML error page from a proxy in front of upstream is not.
        let text = String::from_utf8_lossy(body);
        let shown = Some(text.into_owned())
            .filter(|t| !t.trim().is_empty() && !t.trim_start().starts_with('<'));
        return UpstreamError {
            message: shown,
            ..UpstreamError::default()
        };
    };
    let detail = match parsed.detail {
        Some(Detail::Text(text)) => Some(text),
        Some(Detail::List(items)) => Some(
            items
                .into_iter()
                .map(|i| i.msg)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        None => None,
    };
    match parsed.error {
        Some(ErrorField::Object(mut err)) => {
            err.message = err.message.or(detail);
            err
        }
        Some(ErrorField::Text(text)) => UpstreamError {
            message: Some(text),
            ..parsed.flat
        },
        None => UpstreamError {
            message: parsed.flat.message.clone().or(detail),
            ..parsed.flat
        },
    }
}

#[cfg(test)]
mod tests;
