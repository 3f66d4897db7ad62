//! Codex SSE events (Responses API streaming): one typed value per `data:` payload.
//!
//! Dispatch is on the JSON `type`, falling back to the `event:` name only when the payload has
//! none. Types we do not consume become [`ResponseEvent::Unknown`]; a payload that does not fit
//! the shape of a type we consume is an error, never silently skipped. Nothing here builds
//! `serde_json::Value` trees.
//!
//! Why not `#[serde(tag = "type")]`: serde buffers internally tagged content, and `RawValue`
//! (which keeps items and response objects byte-exact) cannot be read from that buffer. So the
//! tag is read first (from the leading field when the payload opens with it, as every backend
//! event does, else by a scan that allocates nothing for plain strings), then the payload is
//! parsed once into the variant's struct.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::codex::response::{OutputItem, ResponseObject, ResponseSummary, UpstreamError};
use crate::error::GatewayError;
use crate::sse::decode::SseEvent;

/// One upstream event, by the exact upstream type names. `R` is what a terminal event's
/// `response` is read as: the whole [`ResponseObject`] where the answer is that object, else
/// its [`ResponseSummary`]. The opening events are only ever read as a summary.
#[derive(Debug)]
pub enum ResponseEvent<R = ResponseObject> {
    /// `response.created`.
    Created(ResponseEnvelope<ResponseSummary>),
    /// `response.in_progress`.
    InProgress(ResponseEnvelope<ResponseSummary>),
    /// `response.output_item.added`.
    OutputItemAdded(OutputItemEvent),
    /// `response.output_item.done`.
    OutputItemDone(OutputItemEvent),
    /// `response.output_text.delta`.
    OutputTextDelta(Delta),
    /// `response.output_text.done`.
    OutputTextDone(TextDone),
    /// `response.reasoning_summary_text.delta`.
    ReasoningSummaryTextDelta(Delta),
    /// `response.reasoning_text.delta`.
    ReasoningTextDelta(Delta),
    /// `response.function_call_arguments.delta`.
    FunctionCallArgumentsDelta(Delta),
    /// `response.function_call_arguments.done`.
    FunctionCallArgumentsDone(ArgumentsDone),
    /// `response.completed`.
    Completed(ResponseEnvelope<R>),
    /// `response.incomplete`.
    Incomplete(ResponseEnvelope<R>),
    /// `response.failed`.
    Failed(ResponseEnvelope<R>),
    /// `error`.
    Error(ErrorEvent),
    /// Any type the gateway does not consume, by name (e.g. `codex.rate_limits`).
    Unknown(String),
}

/// Events whose payload is a whole `response` object.
#[derive(Debug, Deserialize)]
pub struct ResponseEnvelope<R> {
    /// The response as of this event.
    pub response: R,
}

/// `response.output_item.added` / `.done`.
#[derive(Debug, Deserialize)]
pub struct OutputItemEvent {
    /// Position of the item in `response.output`.
    #[serde(default)]
    pub output_index: Option<u32>,
    /// The item (complete on `.done`).
    pub item: OutputItem,
}

/// A text delta (output text, reasoning, or function-call arguments).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Delta {
    /// Id of the item the delta belongs to.
    #[serde(default)]
    pub item_id: Option<String>,
    /// Position of that item in `response.output`.
    #[serde(default)]
    pub output_index: Option<u32>,
    /// Content part index (text events).
    #[serde(default)]
    pub content_index: Option<u32>,
    /// Summary part index (reasoning summary events).
    #[serde(default)]
    pub summary_index: Option<u32>,
    /// The text piece.
    pub delta: String,
}

/// `response.output_text.done`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TextDone {
    /// Id of the message item.
    #[serde(default)]
    pub item_id: Option<String>,
    /// The complete text of the content part.
    pub text: String,
}

/// `response.function_call_arguments.done`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ArgumentsDone {
    /// Id of the `function_call` item.
    #[serde(default)]
    pub item_id: Option<String>,
    /// Position of that item in `response.output`.
    #[serde(default)]
    pub output_index: Option<u32>,
    /// Tool name, when upstream repeats it.
    #[serde(default)]
    pub name: Option<String>,
    /// The complete arguments.
    pub arguments: String,
}

/// `error`: either `{"error":{…}}` or the flat `{"code","message",…}` form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ErrorEvent {
    /// Nested form.
    #[serde(default)]
    error: Option<UpstreamError>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    resets_in_seconds: Option<f64>,
    #[serde(default)]
    resets_at: Option<f64>,
}

impl ErrorEvent {
    /// The error, whichever form it came in.
    pub fn into_error(self) -> UpstreamError {
        match self.error {
            Some(nested) => nested,
            None => UpstreamError {
                code: self.code,
                kind: self.error_type,
                message: self.message,
                resets_in_seconds: self.resets_in_seconds,
                resets_at: self.resets_at,
            },
        }
    }
}

/// A payload that does not fit the shape of a type we consume.
#[derive(Debug, thiserror::Error)]
#[error("upstream sent a malformed `{kind}` event: {source}")]
pub struct EventError {
    /// The event type.
    pub kind: String,
    /// What did not fit.
    pub source: serde_json::Error,
}

impl From<EventError> for GatewayError {
    fn from(err: EventError) -> Self {
        GatewayError::upstream_error(err.to_string())
    }
}

/// The event types that open a stream and say nothing about whether it will succeed.
pub const OPENING_TYPES: [&str; 4] = [
    "response.created",
    "response.in_progress",
    "codex.rate_limits",
    "codex.response.metadata",
];

/// The event types that end a response.
pub const TERMINAL_TYPES: [&str; 4] = [
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
];

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// The `type` of an event that opens with it, as the Codex backend writes every event
/// (`{"type":"response.output_text.delta",...`), without parsing the rest: every event's type is
/// read before its payload is parsed. `None` sends the caller to a full parse (another layout,
/// or an escape in the name). A payload with a second `type` key is read by its first one.
fn leading_type(data: &str) -> Option<&str> {
    let rest = data.strip_prefix(r#"{"type":""#)?;
    let end = memchr::memchr2(b'"', b'\\', rest.as_bytes())?;
    (rest.as_bytes().get(end) == Some(&b'"')).then(|| rest.get(..end))?
}

/// The event's type: the JSON `type`, else the `event:` name, else empty.
pub fn type_of(ev: &SseEvent) -> Cow<'_, str> {
    if let Some(kind) = leading_type(&ev.data) {
        return Cow::Borrowed(kind);
    }
    serde_json::from_str::<Tag<'_>>(&ev.data)
        .ok()
        .and_then(|tag| tag.kind)
        .or_else(|| ev.event.as_deref().map(Cow::Borrowed))
        .unwrap_or_default()
}

impl<R: DeserializeOwned> ResponseEvent<R> {
    /// Parses the payload into the variant named by [`type_of`].
    pub fn parse(ev: &SseEvent) -> Result<Self, EventError> {
        let kind = type_of(ev);
        let data = ev.data.as_str();
        let parsed = match kind.as_ref() {
            "response.created" => serde_json::from_str(data).map(Self::Created),
            "response.in_progress" => serde_json::from_str(data).map(Self::InProgress),
            "response.output_item.added" => serde_json::from_str(data).map(Self::OutputItemAdded),
            "response.output_item.done" => serde_json::from_str(data).map(Self::OutputItemDone),
            "response.output_text.delta" => serde_json::from_str(data).map(Self::OutputTextDelta),
            "response.output_text.done" => serde_json::from_str(data).map(Self::OutputTextDone),
            "response.reasoning_summary_text.delta" => {
                serde_json::from_str(data).map(Self::ReasoningSummaryTextDelta)
            }
            "response.reasoning_text.delta" => {
                serde_json::from_str(data).map(Self::ReasoningTextDelta)
            }
            "response.function_call_arguments.delta" => {
                serde_json::from_str(data).map(Self::FunctionCallArgumentsDelta)
            }
            "response.function_call_arguments.done" => {
                serde_json::from_str(data).map(Self::FunctionCallArgumentsDone)
            }
            "response.completed" => serde_json::from_str(data).map(Self::Completed),
            "response.incomplete" => serde_json::from_str(data).map(Self::Incomplete),
            "response.failed" => serde_json::from_str(data).map(Self::Failed),
            "error" => serde_json::from_str(data).map(Self::Error),
            other => Ok(Self::Unknown(other.to_owned())),
        };
        parsed.map_err(|source| EventError {
            kind: kind.into_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            raw: Vec::new(),
        }
    }

    /// (name, event line, data, expected variant name or "error")
    const CASES: &[(&str, Option<&str>, &str, &str)] = &[
        (
            "json type wins",
            Some("x"),
            r#"{"type":"response.output_text.delta","delta":"hi"}"#,
            "OutputTextDelta",
        ),
        (
            "event name fallback",
            Some("response.output_text.delta"),
            r#"{"delta":"hi"}"#,
            "OutputTextDelta",
        ),
        ("no type no name", None, r#"{"delta":"hi"}"#, "Unknown"),
        (
            "type after other fields",
            Some("x"),
            r#"{"delta":"hi","type":"response.output_text.delta"}"#,
            "OutputTextDelta",
        ),
        (
            "type with spaces around the colon",
            None,
            r#"{ "type" : "response.output_text.delta", "delta":"hi"}"#,
            "OutputTextDelta",
        ),
        (
            "unknown type skipped",
            None,
            r#"{"type":"codex.rate_limits","x":1}"#,
            "Unknown",
        ),
        ("done marker skipped", None, "[DONE]", "Unknown"),
        (
            "known type missing field",
            None,
            r#"{"type":"response.output_text.delta"}"#,
            "error",
        ),
        (
            "known type wrong field type",
            None,
            r#"{"type":"response.output_text.delta","delta":5}"#,
            "error",
        ),
        (
            "known event name, not json",
            Some("response.completed"),
            "{oops",
            "error",
        ),
        (
            "flat error",
            None,
            r#"{"type":"error","code":"server_is_overloaded","message":"m"}"#,
            "Error",
        ),
        (
            "nested error",
            None,
            r#"{"type":"error","error":{"type":"usage_limit_reached"}}"#,
            "Error",
        ),
        (
            "escaped type string",
            None,
            r#"{"type":"response.output_text\u002edelta","delta":""}"#,
            "OutputTextDelta",
        ),
    ];

    fn variant(ev: &ResponseEvent) -> &'static str {
        match ev {
            ResponseEvent::OutputTextDelta(_) => "OutputTextDelta",
            ResponseEvent::Error(_) => "Error",
            ResponseEvent::Unknown(_) => "Unknown",
            _ => "other",
        }
    }

    #[test]
    fn parses_table() {
        for (name, event, data, want) in CASES {
            let got = match ResponseEvent::parse(&sse(*event, data)) {
                Ok(ev) => variant(&ev),
                Err(_) => "error",
            };
            assert_eq!(got, *want, "case {name}");
        }
    }

    #[test]
    fn error_event_forms_agree() {
        let flat: ErrorEvent = serde_json::from_str(
            r#"{"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null}"#,
        )
        .unwrap();
        let nested: ErrorEvent = serde_json::from_str(
            r#"{"type":"error","error":{"code":"rate_limit_exceeded","message":"slow down"}}"#,
        )
        .unwrap();
        assert_eq!(flat.into_error(), nested.into_error());
    }
}
