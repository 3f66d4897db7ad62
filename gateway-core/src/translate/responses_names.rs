//! `/v1/responses`: the chat route's 64-character rule for function names (see `tool_names`),
//! applied to the raw body without re-formatting anything it does not rename, and undone in the
//! relayed events so the client only ever sees its own names.

use serde_json::value::RawValue;

use crate::codex::request::{raw_json, raw_string, RawObject};
use crate::sse::decode::SseEvent;

use super::tool_names::{forwarded_name, ToolNames, MAX_TOOL_NAME};

/// Shortens long function names in `tools`, a function `tool_choice` and `function_call`
/// input items; returns the plan (empty, and nothing edited, when every name fits).
pub(crate) fn shorten_raw_names(object: &mut RawObject) -> ToolNames {
    let tools = raw_items(object, "tools");
    let input = raw_items(object, "input");
    let choice = object
        .get("tool_choice")
        .and_then(|raw| serde_json::from_str::<RawObject>(raw.get()).ok());
    let mut names: Vec<String> = Vec::new();
    let mut reserved: Vec<String> = Vec::new();
    for tool in &tools {
        match function_name(tool, "\"function\"") {
            Some(name) => names.push(name),
            None => reserved.extend(forwarded_name(tool.get())),
        }
    }
    names.extend(choice.as_ref().and_then(|c| named(c, "\"function\"")));
    names.extend(
        input
            .iter()
            .filter_map(|i| function_name(i, "\"function_call\"")),
    );
    if names.iter().all(|n| n.chars().count() <= MAX_TOOL_NAME) {
        return ToolNames::default();
    }
    let plan = ToolNames::plan(
        names.iter().map(String::as_str),
        reserved.iter().map(String::as_str),
    );
    if let Some(tools) = renamed_items(tools, "\"function\"", &plan) {
        object.set("tools", tools);
    }
    if let Some(input) = renamed_items(input, "\"function_call\"", &plan) {
        object.set("input", input);
    }
    if let Some(mut choice) = choice {
        if rename(&mut choice, "\"function\"", &plan) {
            object.set("tool_choice", raw_json(choice.to_json()));
        }
    }
    plan
}

/// The event with every `"name":"<shortened>"` given back its client name; `None` when the
/// event names none of them (the usual case: most events are text).
pub fn restore_event_names(event: &SseEvent, plan: &ToolNames) -> Option<SseEvent> {
    let mut restored: Option<SseEvent> = None;
    for (short, client) in plan.pairs() {
        // The backend writes compact JSON, so a renamed field reads exactly like this.
        let needle = format!("\"name\":{}", quoted(short));
        let current = restored.as_ref().unwrap_or(event);
        if !current.data.contains(&needle) {
            continue;
        }
        let replacement = format!("\"name\":{}", quoted(client));
        let raw = String::from_utf8_lossy(&current.raw).replace(&needle, &replacement);
        restored = Some(SseEvent {
            event: current.event.clone(),
            data: current.data.replace(&needle, &replacement),
            raw: raw.into_bytes(),
        });
    }
    restored
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The elements of an array field, raw; empty when absent or not an array.
fn raw_items(object: &RawObject, key: &str) -> Vec<Box<RawValue>> {
    object
        .get(key)
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default()
}

/// `name` of an object whose raw `type` is `kind`.
fn function_name(item: &RawValue, kind: &str) -> Option<String> {
    named(&serde_json::from_str::<RawObject>(item.get()).ok()?, kind)
}

fn named(object: &RawObject, kind: &str) -> Option<String> {
    if object.get("type").map(RawValue::get) != Some(kind) {
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
