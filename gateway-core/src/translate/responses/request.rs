//! `/v1/responses` pass-through: normalise only what the backend requires, keep the rest byte-exact.
//!
//! This must never re-format a value it does not edit. The body is read as an ordered list of
//! `(key, raw value)`; only the keys below are touched, every other value is copied byte for byte
//! (large integers and long floats keep their digits, keys keep their order), and when nothing
//! needs changing the client's bytes are returned as they came.
//!
//! What is changed:
//! - `store` becomes `false` (added when absent; a client `true` is listed in `ignored`).
//! - `stream` becomes `true` upstream (added when absent); [`Normalized::stream`] keeps what the
//!   client asked. A non-boolean `stream` is a 400.
//! - `instructions` becomes [`DEFAULT_INSTRUCTIONS`] when absent, not a string, or blank, unless
//!   the body is in the Responses Lite shape ([`crate::codex::lite`]), which has none.
//! - When `reasoning` is present, `include` gains `reasoning.encrypted_content` (existing entries
//!   kept; a non-array `include` is a 400).
//! - [`REJECTED_PARAMS`] are removed (listed in `ignored` unless null), and `service_tier` too
//!   unless it is `"priority"`. `metadata` is among them: it only labels stored responses, and
//!   the backend never stores.
//! - Array `input`: `item_reference` items (and bare `{"id":…}` references) are dropped and
//!   reported as `input[].item_reference`, since a stateless backend cannot resolve them; item
//!   `id`s are stripped for the same reason (not reported: they carry no client intent).
//!   `call_id` and everything else stay. A `role: "system"` item becomes a `developer` one in
//!   place (the backend refuses system items), and `prompt_cache_breakpoint` is removed from
//!   items and their content parts (reported as `input[].prompt_cache_breakpoint`). A string
//!   `input` is left alone.
//!
//! - Function names over 64 characters in `tools`, a function `tool_choice` and `function_call`
//!   items are shortened as on the chat route ([`super::responses_names`]); the relayed events
//!   give them back.
//!
//! Edited keys stay where they were; added keys go at the end. Duplicate copies of an edited key
//! are dropped so the backend cannot read a different one.

use serde_json::value::RawValue;

use crate::codex::request::{DEFAULT_INSTRUCTIONS, INCLUDE_ENCRYPTED_REASONING};
use crate::error::GatewayError;
use crate::json::{is_object, not_an_object};
use crate::json::{raw_json, raw_string, RawObject};

use super::names::shorten_raw_names;
use crate::translate::ignored::Ignored;
use crate::translate::tool_names::ToolNames;

/// A normalised `/v1/responses` body.
#[derive(Debug)]
pub struct Normalized {
    /// Upstream body: the client's exact bytes when `changed` is false.
    pub body: Vec<u8>,
    /// Whether the client asked for `stream: true`.
    pub stream: bool,
    /// The `model` string, when present.
    pub model: Option<String>,
    /// Client parameters removed, for the `x-codex-gateway-ignored-params` header.
    pub ignored: Vec<String>,
    /// `prompt_cache_key`, sent as the `session_id` header.
    pub session_id: Option<String>,
    /// Whether `body` differs from the client's bytes.
    pub changed: bool,
    /// Function names shortened for the backend, to restore in the relayed events.
    pub tool_names: ToolNames,
}

/// Top-level parameters the Codex backend rejects; removed before forwarding.
pub const REJECTED_PARAMS: &[&str] = &[
    "max_output_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "truncation",
    "user",
    "previous_response_id",
    "prompt_cache_retention",
    "prompt_cache_options",
    "context_management",
    "safety_identifier",
    "generate",
    "stream_options",
    "metadata",
];

/// The one `service_tier` the backend accepts.
const PRIORITY_TIER: &str = "\"priority\"";

/// Normalise a `/v1/responses` body for the Codex backend.
///
/// ```
/// use gateway_core::translate::responses::request::normalize_responses;
///
/// let body = br#"{"model":"gpt-5","instructions":"Hi","input":"x","store":false,"stream":true}"#;
/// let n = normalize_responses(body).unwrap();
/// assert!(!n.changed);
/// assert_eq!(n.body, body);
/// ```
pub fn normalize_responses(body: &[u8]) -> Result<Normalized, GatewayError> {
    let mut object = parse_object(body)?;
    let mut edits = Edits::default();
    let stream = force_stream(&mut object, &mut edits)?;
    force_store(&mut object, &mut edits);
    default_instructions(&mut object, &mut edits);
    strip_rejected(&mut object, &mut edits);
    include_reasoning(&mut object, &mut edits)?;
    clean_input(&mut object, &mut edits);
    let tool_names = shorten_raw_names(&mut object, body);
    edits.changed |= !tool_names.is_empty();
    let model = string_value(object.get("model"));
    let session_id = string_value(object.get("prompt_cache_key")).filter(|s| !s.trim().is_empty());
    let changed = edits.changed;
    Ok(Normalized {
        body: if changed {
            object.to_json().into_bytes()
        } else {
            body.to_vec()
        },
        stream,
        model,
        ignored: edits.ignored.into_vec(),
        session_id,
        changed,
        tool_names,
    })
}

/// The parameters a one-shot body keeps that a Responses body may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneShot {
    /// `/v1/responses/compact`: the refused top-level parameters go too.
    Compact,
    /// `/v1/alpha/search`: its `max_output_tokens` and the rest are the search's own.
    Search,
}

/// A `/v1/responses/compact` or `/v1/alpha/search` body without what the backend refuses in
/// any request: `system` input items (made `developer` in place), nested
/// `prompt_cache_breakpoint`s, item references, and for compaction the refused parameters.
/// Returns the body (the client's bytes when nothing changed) and what was dropped.
pub fn clean_one_shot(body: &[u8], kind: OneShot) -> Result<(Vec<u8>, Vec<String>), GatewayError> {
    let mut object = parse_object(body)?;
    let mut edits = Edits::default();
    if kind == OneShot::Compact {
        strip_rejected(&mut object, &mut edits);
    }
    clean_input(&mut object, &mut edits);
    let body = if edits.changed {
        object.to_json().into_bytes()
    } else {
        body.to_vec()
    };
    Ok((body, edits.ignored.into_vec()))
}

#[derive(Default)]
struct Edits {
    changed: bool,
    ignored: Ignored,
}

fn parse_object(body: &[u8]) -> Result<RawObject, GatewayError> {
    if !is_object(body) {
        return Err(not_an_object(body));
    }
    serde_json::from_slice(body)
        .map_err(|e| GatewayError::bad_request(format!("invalid JSON: {e}")))
}

/// The raw text of `key` when it occurs exactly once.
fn single<'a>(object: &'a RawObject, key: &str) -> Option<&'a str> {
    let mut found = object.entries.iter().filter(|(k, _)| k == key);
    match (found.next(), found.next()) {
        (Some((_, value)), None) => Some(value.get()),
        _ => None,
    }
}

fn string_value(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
}

fn force_stream(object: &mut RawObject, edits: &mut Edits) -> Result<bool, GatewayError> {
    if single(object, "stream") == Some("true") {
        return Ok(true);
    }
    let asked = match object.get("stream").map(RawValue::get) {
        None | Some("null" | "false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(GatewayError::bad_param(
                "stream",
                "stream must be a boolean",
            ))
        }
    };
    object.set("stream", raw_json("true".to_owned()));
    edits.changed = true;
    Ok(asked)
}

fn force_store(object: &mut RawObject, edits: &mut Edits) {
    if single(object, "store") == Some("false") {
        return;
    }
    if object
        .get("store")
        .is_some_and(|v| v.get() != "null" && v.get() != "false")
    {
        edits.ignored.add("store");
    }
    object.set("store", raw_json("false".to_owned()));
    edits.changed = true;
}

fn default_instructions(object: &mut RawObject, edits: &mut Edits) {
    // A Responses Lite body carries its instructions as a developer message, and a top-level
    // `instructions` beside it is refused.
    if crate::codex::lite::is_lite_shaped(object) {
        return;
    }
    let usable = single(object, "instructions")
        .and_then(|raw| serde_json::from_str::<String>(raw).ok())
        .is_some_and(|s| !s.trim().is_empty());
    if !usable {
        object.set("instructions", raw_string(DEFAULT_INSTRUCTIONS));
        edits.changed = true;
    }
}

fn strip_rejected(object: &mut RawObject, edits: &mut Edits) {
    for name in REJECTED_PARAMS {
        if let Some(value) = object.remove(name) {
            edits.changed = true;
            if value.get() != "null" {
                edits.ignored.add(name);
            }
        }
    }
    if object.contains("service_tier") && single(object, "service_tier") != Some(PRIORITY_TIER) {
        if object
            .remove("service_tier")
            .is_some_and(|v| v.get() != "null")
        {
            edits.ignored.add("service_tier");
        }
        edits.changed = true;
    }
}

fn include_reasoning(object: &mut RawObject, edits: &mut Edits) -> Result<(), GatewayError> {
    if object.get("reasoning").is_none_or(|r| r.get() == "null") {
        return Ok(());
    }
    let mut include: Vec<String> = match object.get("include").map(RawValue::get) {
        None | Some("null") => Vec::new(),
        Some(raw) => serde_json::from_str(raw).map_err(|_| {
            GatewayError::bad_param("include", "include must be an array of strings")
        })?,
    };
    if include.iter().any(|i| i == INCLUDE_ENCRYPTED_REASONING) {
        return Ok(());
    }
    include.push(INCLUDE_ENCRYPTED_REASONING.to_owned());
    let raw = serde_json::to_string(&include).unwrap_or_default();
    object.set("include", raw_json(raw));
    edits.changed = true;
    Ok(())
}

/// Clean an array `input` item by item: drop unresolvable references, strip item ids, turn
/// `system` messages into `developer` ones and remove the cache breakpoints the backend refuses.
fn clean_input(object: &mut RawObject, edits: &mut Edits) {
    let Some(items) = object
        .get("input")
        .and_then(|raw| serde_json::from_str::<Vec<Box<RawValue>>>(raw.get()).ok())
    else {
        return;
    };
    let mut changed = false;
    let mut kept: Vec<Box<RawValue>> = Vec::with_capacity(items.len());
    for item in items {
        let Ok(mut fields) = serde_json::from_str::<RawObject>(item.get()) else {
            kept.push(item);
            continue;
        };
        if is_reference(&fields) {
            edits.ignored.add("input[].item_reference");
            changed = true;
            continue;
        }
        // Item ids carry no client intent (a stateless backend cannot resolve them): not
        // reported.
        let edited = fields.remove("id").is_some() | clean_item(&mut fields, edits);
        if edited {
            kept.push(raw_json(fields.to_json()));
            changed = true;
        } else {
            kept.push(item);
        }
    }
    if changed {
        let raw = serde_json::to_string(&kept).unwrap_or_default();
        object.set("input", raw_json(raw));
        edits.changed = true;
    }
}

/// The backend refuses a `system` input item (since 2026-01): the same text as a `developer`
/// message, in the same place, is what it accepts.
const SYSTEM_ROLE: &str = "\"system\"";

/// The cache breakpoint the backend refuses on input items and their parts (since 2026-08).
const CACHE_BREAKPOINT: &str = "prompt_cache_breakpoint";

/// One input item's own edits; whether any was made.
fn clean_item(item: &mut RawObject, edits: &mut Edits) -> bool {
    let mut edited = false;
    if item.get("role").is_some_and(|r| r.get() == SYSTEM_ROLE) {
        item.set("role", raw_string("developer"));
        edited = true;
    }
    if item.remove(CACHE_BREAKPOINT).is_some() {
        edits.ignored.add("input[].prompt_cache_breakpoint");
        edited = true;
    }
    let parts = item
        .get("content")
        .and_then(|raw| serde_json::from_str::<Vec<Box<RawValue>>>(raw.get()).ok());
    let Some(parts) = parts else {
        return edited;
    };
    let mut parts_edited = false;
    let parts: Vec<Box<RawValue>> = parts
        .into_iter()
        .map(|part| match serde_json::from_str::<RawObject>(part.get()) {
            Ok(mut fields) if fields.contains(CACHE_BREAKPOINT) => {
                fields.remove(CACHE_BREAKPOINT);
                parts_edited = true;
                raw_json(fields.to_json())
            }
            _ => part,
        })
        .collect();
    if parts_edited {
        edits.ignored.add("input[].prompt_cache_breakpoint");
        item.set(
            "content",
            raw_json(serde_json::to_string(&parts).unwrap_or_default()),
        );
    }
    edited | parts_edited
}

/// `{"type":"item_reference",…}`, or an object that is nothing but an `id`.
fn is_reference(item: &RawObject) -> bool {
    match item.get("type") {
        Some(kind) => kind.get() == "\"item_reference\"",
        None => item.entries.len() == 1 && item.contains("id"),
    }
}

#[cfg(test)]
mod tests;
