//! `/v1/responses`: the chat route's 64-character rule for function names (see `tool_names`),
//! applied to the raw body without re-formatting anything it does not rename, and undone in the
//! relayed events so the client only ever sees its own names.
//!
//! Both directions find names with one byte scan for `"name"` keys, so a body or event without
//! a long or shortened name costs a single pass and no copy. The scan cannot be fooled by text:
//! inside a JSON string every `"` is escaped, so `"name"` only matches a real key.

use std::ops::Range;

use serde_json::value::RawValue;

use crate::json::{raw_json, raw_string, RawObject};
use crate::sse::decode::SseEvent;

use crate::translate::tool_names::{forwarded_name, ToolNames, MAX_TOOL_NAME};

/// Shortens long function names in `function` tools, a function `tool_choice` (also inside
/// `allowed_tools`) and `function_call` input items; returns the plan (empty, and nothing
/// edited, when every name fits). Namespaced tools and calls keep their names.
pub(crate) fn shorten_raw_names(object: &mut RawObject, body: &[u8]) -> ToolNames {
    // A name over the limit has a token longer than the limit plus its quotes: only those are
    // decoded.
    let any_long = name_tokens(body)
        .filter(|token| token.len() > MAX_TOOL_NAME + 2)
        .filter_map(|token| decoded(body, token))
        .any(|name| name.chars().count() > MAX_TOOL_NAME);
    if !any_long {
        return ToolNames::default();
    }
    let tools = raw_items(object.get("tools"));
    let input = raw_items(object.get("input"));
    let choice = object
        .get("tool_choice")
        .and_then(|raw| serde_json::from_str::<RawObject>(raw.get()).ok());
    let allowed = choice
        .as_ref()
        .map(|c| raw_items(c.get("tools")))
        .unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    let mut reserved: Vec<String> = Vec::new();
    for tool in &tools {
        match function_name(tool, FUNCTION) {
            Some(name) => names.push(name),
            None => reserved.extend(forwarded_name(tool.get())),
        }
    }
    names.extend(choice.as_ref().and_then(|c| named(c, FUNCTION)));
    names.extend(allowed.iter().filter_map(|t| function_name(t, FUNCTION)));
    names.extend(input.iter().filter_map(|i| function_name(i, FUNCTION_CALL)));
    let plan = ToolNames::plan(
        names.iter().map(String::as_str),
        reserved.iter().map(String::as_str),
    );
    if plan.is_empty() {
        return plan;
    }
    if let Some(tools) = renamed_items(tools, FUNCTION, &plan) {
        object.set("tools", tools);
    }
    if let Some(input) = renamed_items(input, FUNCTION_CALL, &plan) {
        object.set("input", input);
    }
    if let Some(mut choice) = choice {
        let mut changed = rename(&mut choice, FUNCTION, &plan);
        if let Some(allowed) = renamed_items(allowed, FUNCTION, &plan) {
            choice.set("tools", allowed);
            changed = true;
        }
        if changed {
            object.set("tool_choice", raw_json(choice.to_json()));
        }
    }
    plan
}

/// The event with every `"name"` value the plan shortened given back its client name; `None`
/// when it names none of them (the usual case: most events are text).
pub fn restore_event_names(event: &SseEvent, plan: &ToolNames) -> Option<SseEvent> {
    if plan.is_empty() {
        return None;
    }
    let data = restored(event.data.as_bytes(), plan)?;
    Some(SseEvent {
        event: event.event.clone(),
        data: String::from_utf8(data).ok()?,
        raw: restored(&event.raw, plan).unwrap_or_else(|| event.raw.clone()),
    })
}

const FUNCTION: &str = "\"function\"";
const FUNCTION_CALL: &str = "\"function_call\"";

/// `bytes` with shortened names replaced, or `None` when there is none.
fn restored(bytes: &[u8], plan: &ToolNames) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    for span in name_tokens(bytes) {
        let Some(name) = decoded(bytes, span.clone()) else {
            continue;
        };
        let client = plan.client(&name);
        if client == name {
            continue;
        }
        let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 64));
        out.extend_from_slice(bytes.get(copied..span.start)?);
        out.extend_from_slice(quoted(client).as_bytes());
        copied = span.end;
    }
    let mut out = out?;
    out.extend_from_slice(bytes.get(copied..)?);
    Some(out)
}

/// The byte range of every string token that is the value of a `"name"` key.
fn name_tokens(bytes: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    const KEY: &[u8] = b"\"name\"";
    // memchr's substring search: this runs over whole request bodies, images included.
    memchr::memmem::find_iter(bytes, KEY).filter_map(move |found| {
        let colon = skip_space(bytes, found + KEY.len());
        if bytes.get(colon) != Some(&b':') {
            return None;
        }
        let start = skip_space(bytes, colon + 1);
        Some(start..string_end(bytes, start)?)
    })
}

/// The text of a JSON string token.
fn decoded(bytes: &[u8], token: Range<usize>) -> Option<String> {
    serde_json::from_slice(bytes.get(token)?).ok()
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        at += 1;
    }
    at
}

/// The end (exclusive) of the JSON string token starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut at = start + 1;
    loop {
        match bytes.get(at)? {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            // A raw newline cannot be inside a JSON string (the token is broken).
            b'\n' => return None,
            _ => at += 1,
        }
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The elements of an array value, raw; empty when absent or not an array.
fn raw_items(value: Option<&RawValue>) -> Vec<Box<RawValue>> {
    value
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default()
}

/// `name` of an object whose raw `type` is `kind`.
fn function_name(item: &RawValue, kind: &str) -> Option<String> {
    named(&serde_json::from_str::<RawObject>(item.get()).ok()?, kind)
}

/// `name` of an un-namespaced object whose raw `type` is `kind`.
fn named(object: &RawObject, kind: &str) -> Option<String> {
    if object.get("type").map(RawValue::get) != Some(kind) || object.contains("namespace") {
        return None;
    }
    serde_json::from_str(object.get("name")?.get()).ok()
}

/// The array with renamed elements re-serialised and every other element byte for byte;
/// `None` when nothing was renamed.
fn renamed_items(items: Vec<Box<RawValue>>, kind: &str, plan: &ToolNames) -> Option<Box<RawValue>> {
    let mut changed = false;
    let items: Vec<Box<RawValue>> = items
        .into_iter()
        .map(|item| {
            let Ok(mut fields) = serde_json::from_str::<RawObject>(item.get()) else {
                return item;
            };
            if rename(&mut fields, kind, plan) {
                changed = true;
                raw_json(fields.to_json())
            } else {
                item
            }
        })
        .collect();
    changed.then(|| raw_json(serde_json::to_string(&items).unwrap_or_default()))
}

/// Renames the object's `name` when the plan shortened it.
fn rename(object: &mut RawObject, kind: &str, plan: &ToolNames) -> bool {
    let Some(name) = named(object, kind) else {
        return false;
    };
    let short = plan.upstream(&name);
    if short == name {
        return false;
    }
    object.set("name", raw_string(short));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_values_are_keys_only() {
        let cases: &[(&str, &[&str])] = &[
            (r#"{"name":"a","x":{"name" : "b"}}"#, &["a", "b"]),
            (
                r#"{"arguments":"{\"name\":\"c\"}","text":"\"name\":\"d\""}"#,
                &[],
            ),
            (r#"{"name":7,"name":"e\u0041"}"#, &["eA"]),
            (r#"{"my_name":"f","name":"g\"h"}"#, &["g\"h"]),
            (r#"{"name":"unterminated"#, &[]),
        ];
        for (json, want) in cases {
            let bytes = json.as_bytes();
            let got: Vec<String> = name_tokens(bytes)
                .filter_map(|token| decoded(bytes, token))
                .collect();
            assert_eq!(got, *want, "{json}");
        }
    }

    #[test]
    fn restoring_replaces_only_shortened_names() {
        let long = format!("mcp__{}__create_issue", "server".repeat(12));
        let plan = ToolNames::plan([long.as_str()], []);
        let event = r#"{"a":{"name": "mcp__create_issue"},"b":{"name":"other"},"args":"{\"name\":\"mcp__create_issue\"}","c":{"name":"mcp__create_issue"}}"#;
        let want = event
            .replacen(
                r#""name": "mcp__create_issue""#,
                &format!(r#""name": "{long}""#),
                1,
            )
            .replacen(
                r#""c":{"name":"mcp__create_issue""#,
                &format!(r#""c":{{"name":"{long}""#),
                1,
            );
        let got = restored(event.as_bytes(), &plan).unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), want);
        assert!(restored(br#"{"name":"other"}"#, &plan).is_none());
    }
}
