//! Tool-call bookkeeping for the chat stream: upstream function-call events → `tool_calls` deltas.
//!
//! Calls are numbered 0, 1, … in order of first appearance and found again by item id, else by
//! output index. A call is announced once (`id`, `type`, `name`, `arguments: ""`), then its
//! argument pieces follow; when no piece was streamed, the complete arguments from the `.done`
//! events are sent exactly once. Never emits the same argument text twice.

use crate::codex::event::{ArgumentsDone, Delta};
use crate::codex::response::FunctionCallItem;
use crate::openai::chunk::{FunctionDelta, ToolCallDelta};

/// Every function call seen so far in one response.
#[derive(Debug, Default)]
pub struct ToolCalls {
    calls: Vec<CallState>,
}

#[derive(Debug, Default)]
struct CallState {
    item_id: Option<String>,
    output_index: Option<u32>,
    call_id: Option<String>,
    name: Option<String>,
    announced: bool,
    arguments_sent: bool,
    /// Arguments received before the call could be announced.
    buffered: String,
}

/// Whether an item event is the call's opening or its completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemPhase {
    /// `response.output_item.added`.
    Added,
    /// `response.output_item.done`: the item is complete; announce it whatever is missing.
    Done,
}

impl ToolCalls {
    /// Whether any call was announced to the client.
    pub fn any(&self) -> bool {
        self.calls.iter().any(|c| c.announced)
    }

    /// A `function_call` item was added or completed.
    pub fn on_item(
        &mut self,
        output_index: Option<u32>,
        item: &FunctionCallItem,
        phase: ItemPhase,
    ) -> Vec<ToolCallDelta> {
        let Some((index, call)) = self.entry(item.id.as_deref(), output_index) else {
            return Vec::new();
        };
        fill(&mut call.call_id, item.call_id.as_deref());
        fill(&mut call.name, item.name.as_deref());
        let arguments = item.arguments.as_deref().unwrap_or_default();
        if !call.announced && !arguments.is_empty() {
            // The item's arguments are complete when it has any; they supersede pieces.
            call.buffered = arguments.to_owned();
        }
        let mut out = Vec::new();
        out.extend(call.announce(index, phase == ItemPhase::Done));
        if phase == ItemPhase::Done {
            out.extend(call.send_whole(index, arguments));
        }
        out
    }

    /// `response.function_call_arguments.delta`.
    pub fn on_delta(&mut self, delta: &Delta) -> Vec<ToolCallDelta> {
        if delta.delta.is_empty() {
            return Vec::new();
        }
        let Some((index, call)) = self.entry(delta.item_id.as_deref(), delta.output_index) else {
            return Vec::new();
        };
        if !call.announced {
            call.buffered.push_str(&delta.delta);
            return Vec::new();
        }
        call.arguments_sent = true;
        vec![arguments_delta(index, delta.delta.clone())]
    }

    /// `response.function_call_arguments.done`.
    pub fn on_done(&mut self, done: &ArgumentsDone) -> Vec<ToolCallDelta> {
        let Some((index, call)) = self.entry(done.item_id.as_deref(), done.output_index) else {
            return Vec::new();
        };
        fill(&mut call.name, done.name.as_deref());
        if !call.announced {
            if !done.arguments.is_empty() {
                call.buffered = done.arguments.clone();
            }
            return call.announce(index, false).into_iter().collect();
        }
        call.send_whole(index, &done.arguments)
            .into_iter()
            .collect()
    }

    /// At the end of the response: announce calls that never got complete metadata.
    pub fn flush(&mut self) -> Vec<ToolCallDelta> {
        let mut out = Vec::new();
        for (index, call) in self.calls.iter_mut().enumerate() {
            out.extend(call.announce(to_u32(index), true));
        }
        out
    }

    /// The call an event belongs to, created when it is new.
    fn entry(
        &mut self,
        item_id: Option<&str>,
        output_index: Option<u32>,
    ) -> Option<(u32, &mut CallState)> {
        let position = self.locate(item_id.filter(|id| !id.is_empty()), output_index);
        self.calls
            .get_mut(position)
            .map(|call| (to_u32(position), call))
    }

    /// By item id first; else by output index, among calls whose item id does not contradict.
    fn locate(&mut self, item_id: Option<&str>, output_index: Option<u32>) -> usize {
        let by_id = item_id.and_then(|id| {
            self.calls
                .iter()
                .position(|c| c.item_id.as_deref() == Some(id))
        });
        let by_index = || {
            let index = output_index?;
            self.calls.iter().position(|c| {
                c.output_index == Some(index) && (c.item_id.is_none() || item_id.is_none())
            })
        };
        match by_id.or_else(by_index) {
            Some(position) => {
                if let Some(call) = self.calls.get_mut(position) {
                    fill(&mut call.item_id, item_id);
                    call.output_index = call.output_index.or(output_index);
                }
                position
            }
            None => {
                self.calls.push(CallState {
                    item_id: item_id.map(str::to_owned),
                    output_index,
                    ..CallState::default()
                });
                self.calls.len().saturating_sub(1)
            }
        }
    }
}

impl CallState {
    /// The call's first fragment, once its id and name are known (or `force`d).
    fn announce(&mut self, index: u32, force: bool) -> Option<ToolCallDelta> {
        let ready = self.call_id.is_some() && self.name.is_some();
        if self.announced || !(ready || force) {
            return None;
        }
        self.announced = true;
        let arguments = std::mem::take(&mut self.buffered);
        self.arguments_sent = !arguments.is_empty();
        let id = self
            .call_id
            .clone()
            .or_else(|| self.item_id.clone())
            .unwrap_or_else(|| format!("call_{index}"));
        Some(ToolCallDelta {
            index,
            id: Some(id),
            kind: Some("function"),
            function: FunctionDelta {
                name: Some(self.name.clone().unwrap_or_default()),
                arguments: Some(arguments),
            },
        })
    }

    /// The complete arguments, when the call is announced and no piece was sent yet.
    fn send_whole(&mut self, index: u32, arguments: &str) -> Option<ToolCallDelta> {
        if !self.announced || self.arguments_sent || arguments.is_empty() {
            return None;
        }
        self.arguments_sent = true;
        Some(arguments_delta(index, arguments.to_owned()))
    }
}

fn arguments_delta(index: u32, arguments: String) -> ToolCallDelta {
    ToolCallDelta {
        index,
        id: None,
        kind: None,
        function: FunctionDelta {
            name: None,
            arguments: Some(arguments),
        },
    }
}

fn fill(slot: &mut Option<String>, value: Option<&str>) {
    if slot.is_none() {
        *slot = value.filter(|v| !v.is_empty()).map(str::to_owned);
    }
}

fn to_u32(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, call_id: &str, name: &str, arguments: &str) -> FunctionCallItem {
        FunctionCallItem {
            id: Some(id.into()),
            call_id: Some(call_id.into()),
            name: Some(name.into()),
            arguments: Some(arguments.into()),
        }
    }

    fn delta(item_id: &str, output_index: u32, piece: &str) -> Delta {
        Delta {
            item_id: Some(item_id.into()),
            output_index: Some(output_index),
            content_index: None,
            summary_index: None,
            delta: piece.into(),
        }
    }

    fn args(deltas: &[ToolCallDelta]) -> Vec<(u32, Option<&str>, Option<&str>)> {
        deltas
            .iter()
            .map(|d| (d.index, d.id.as_deref(), d.function.arguments.as_deref()))
            .collect()
    }

    #[test]
    fn deltas_before_the_item_are_buffered_into_the_announcement() {
        let mut calls = ToolCalls::default();
        assert!(calls.on_delta(&delta("fc_1", 0, "{\"a\"")).is_empty());
        let out = calls.on_item(Some(0), &item("fc_1", "call_1", "f", ""), ItemPhase::Added);
        assert_eq!(args(&out), vec![(0, Some("call_1"), Some("{\"a\""))]);
        let out = calls.on_item(
            Some(0),
            &item("fc_1", "call_1", "f", "{\"a\":1}"),
            ItemPhase::Done,
        );
        assert!(out.is_empty(), "arguments were already streamed");
    }

    #[test]
    fn parallel_calls_are_found_by_id_or_output_index() {
        let mut calls = ToolCalls::default();
        calls.on_item(Some(1), &item("fc_a", "call_a", "f", ""), ItemPhase::Added);
        calls.on_item(Some(2), &item("fc_b", "call_b", "g", ""), ItemPhase::Added);
        let b = calls.on_delta(&Delta {
            item_id: None,
            ..delta("", 2, "x")
        });
        let a = calls.on_delta(&delta("fc_a", 9, "y"));
        assert_eq!(args(&b), vec![(1, None, Some("x"))]);
        assert_eq!(args(&a), vec![(0, None, Some("y"))]);
    }

    #[test]
    fn item_done_without_added_is_announced_with_everything() {
        let mut calls = ToolCalls::default();
        let out = calls.on_item(Some(0), &item("fc_1", "call_1", "f", "{}"), ItemPhase::Done);
        assert_eq!(args(&out), vec![(0, Some("call_1"), Some("{}"))]);
        assert!(calls.flush().is_empty());
    }
}
