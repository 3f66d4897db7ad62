//! Responses API objects as the Codex backend sends them: the `response` object and output items.
//!
//! Both keep the upstream JSON bytes (so `/v1/responses` answers carry every field unchanged,
//! numbers and key order included) next to typed views of the few fields the gateway reads.
//! Nothing here ever re-serialises a field it did not build itself.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A `response` object: every field as raw JSON in upstream order, plus typed views. Only the
/// folded `/v1/responses` answer needs the raw fields; everything else reads a
/// [`ResponseSummary`], which keeps no copy of the object (its instructions, tools and output
/// are skipped, not copied).
#[derive(Debug)]
pub struct ResponseObject {
    summary: ResponseSummary,
    fields: Vec<(String, Box<RawValue>)>,
}

/// The typed fields of a `response` object, and nothing else of it. Read from an object only,
/// as [`ResponseObject`] is (the derived reader, kept by `remote = "Self"` as an inherent
/// function, would also take an array).
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct ResponseSummary {
    /// `resp_…`.
    #[serde(default)]
    pub id: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// `in_progress`, `completed`, `incomplete`, `failed`, …
    #[serde(default)]
    pub status: Option<String>,
    /// Token accounting (on terminal events).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Why the response stopped early (`response.incomplete`).
    #[serde(default)]
    pub incomplete_details: Option<IncompleteDetails>,
    /// Why the response failed (`response.failed`).
    #[serde(default)]
    pub error: Option<UpstreamError>,
}

impl<'de> Deserialize<'de> for ResponseSummary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = ResponseSummary;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a response object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ResponseSummary::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// Responses API token usage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Completion tokens, reasoning included.
    #[serde(default)]
    pub output_tokens: u64,
    /// Sum; computed when absent.
    #[serde(default)]
    pub total_tokens: Option<u64>,
    /// Cache hits.
    #[serde(default)]
    pub input_tokens_details: Option<InputTokensDetails>,
    /// Reasoning share.
    #[serde(default)]
    pub output_tokens_details: Option<OutputTokensDetails>,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct InputTokensDetails {
    /// Prompt tokens served from the cache.
    #[serde(default)]
    pub cached_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OutputTokensDetails {
    /// Tokens spent reasoning.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

/// `response.incomplete_details`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncompleteDetails {
    /// `max_output_tokens`, `content_filter`, …
    #[serde(default)]
    pub reason: Option<String>,
}

/// An upstream error object, from `response.error`, an `error` event, or an HTTP error body.
///
/// Quota errors name themselves in `type` rather than `code`; [`UpstreamError::code`] looks at both.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct UpstreamError {
    /// Machine code, e.g. `server_is_overloaded`.
    #[serde(default)]
    pub code: Option<String>,
    /// Error type; carries the code for `usage_limit_reached`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
    /// Seconds until the limit resets.
    #[serde(default)]
    pub resets_in_seconds: Option<f64>,
    /// Unix seconds when the limit resets.
    #[serde(default)]
    pub resets_at: Option<f64>,
}

impl UpstreamError {
    /// The most specific code available: `code`, else `type`, else empty.
    pub fn code(&self) -> &str {
        [self.code.as_deref(), self.kind.as_deref()]
            .into_iter()
            .flatten()
            .find(|c| !c.is_empty())
            .unwrap_or_default()
    }
}

impl ResponseObject {
    /// The typed fields.
    pub fn summary(&self) -> &ResponseSummary {
        &self.summary
    }

    /// The raw `output` array items (empty when absent or not an array).
    pub fn output_items(&self) -> Vec<&RawValue> {
        self.raw("output")
            .and_then(|raw| serde_json::from_str::<Vec<&RawValue>>(raw.get()).ok())
            .unwrap_or_default()
    }

    /// Replaces `output` with `items`, keeping its position among the fields.
    pub fn set_output(&mut self, items: &[Box<RawValue>]) -> Result<(), serde_json::Error> {
        let output = serde_json::value::to_raw_value(items)?;
        match self.fields.iter_mut().find(|(key, _)| key == "output") {
            Some((_, value)) => *value = output,
            None => self.fields.push(("output".to_owned(), output)),
        }
        Ok(())
    }

    /// The JSON of the object, fields in upstream order and bytes unchanged.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    fn raw(&self, key: &str) -> Option<&RawValue> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| &**v)
    }

    fn from_fields(fields: Vec<(String, Box<RawValue>)>) -> Result<Self, serde_json::Error> {
        let entries = fields.iter().map(|(key, value)| (key.as_str(), &**value));
        let summary = <ResponseSummary as Deserialize>::deserialize(
            de::value::MapDeserializer::new(entries),
        )?;
        Ok(Self { summary, fields })
    }
}

impl<'de> Deserialize<'de> for ResponseObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Vec<(String, Box<RawValue>)>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a response object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(fields)
            }
        }
        let fields = deserializer.deserialize_map(Fields)?;
        Self::from_fields(fields).map_err(de::Error::custom)
    }
}

impl Serialize for ResponseObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, value) in &self.fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// One output item: the raw upstream JSON and a typed view of what chat translation reads.
#[derive(Debug)]
pub struct OutputItem {
    /// The item exactly as upstream sent it.
    pub raw: Box<RawValue>,
    /// The typed view.
    pub kind: ItemKind,
}

/// The item types the gateway reads; anything else is `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// `function_call`.
    FunctionCall(FunctionCallItem),
    /// Any other item type (`message`, `reasoning`, `web_search_call`, …), by name.
    Other(String),
}

/// A `function_call` item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FunctionCallItem {
    /// `fc_…`: the key of argument delta events.
    #[serde(default)]
    pub id: Option<String>,
    /// `call_…`: the id the client must echo back.
    #[serde(default)]
    pub call_id: Option<String>,
    /// The tool name.
    #[serde(default)]
    pub name: Option<String>,
    /// JSON text of the arguments (complete on `output_item.done`).
    #[serde(default)]
    pub arguments: Option<String>,
}

#[derive(Deserialize)]
struct ItemTag {
    #[serde(rename = "type", default)]
    kind: String,
}

impl<'de> Deserialize<'de> for OutputItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let tag: ItemTag = serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
        let kind = match tag.kind.as_str() {
            "function_call" => {
                ItemKind::FunctionCall(serde_json::from_str(raw.get()).map_err(de::Error::custom)?)
            }
            _ => ItemKind::Other(tag.kind),
        };
        Ok(Self { raw, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn response_object_keeps_bytes_and_reads_typed_fields() {
        let text = r#"{"id":"resp_1","created_at":1700000000,"temperature":1.0,"status":"completed","output":[],"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":15},"error":null}"#;
        let object: ResponseObject = serde_json::from_str(text).unwrap();
        assert_eq!(object.summary().id.as_deref(), Some("resp_1"));
        assert_eq!(object.summary().status.as_deref(), Some("completed"));
        assert_eq!(
            object.summary().usage.as_ref().map(|u| u.total_tokens),
            Some(Some(15))
        );
        assert_eq!(object.summary().error, None);
        assert_eq!(String::from_utf8(object.to_json().unwrap()).unwrap(), text);
    }

    /// Read alone, the summary is what the whole object reads, and refuses what it refuses.
    #[test]
    fn a_summary_reads_as_the_whole_object_does() {
        let texts = [
            r#"{"id":"resp_1","created_at":1700000000,"instructions":"long","tools":[{"type":"function","name":"f"}],"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":10,"output_tokens":5},"error":null}"#,
            r#"{"id":"resp_2","status":"failed","error":{"code":"server_error","message":"m"},"output":[{"type":"message"}]}"#,
            r#"{"usage":null,"incomplete_details":null}"#,
        ];
        for text in texts {
            let object: ResponseObject = serde_json::from_str(text).unwrap();
            let summary: ResponseSummary = serde_json::from_str(text).unwrap();
            assert_eq!(&summary, object.summary(), "{text}");
        }
        for bad in [
            r#"{"usage":5}"#,
            r#"{"created_at":"soon"}"#,
            r#"{"error":"boom"}"#,
            "[]",
        ] {
            assert!(
                serde_json::from_str::<ResponseObject>(bad).is_err(),
                "{bad}"
            );
            assert!(
                serde_json::from_str::<ResponseSummary>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn output_can_be_replaced_in_place() {
        let mut object: ResponseObject =
            serde_json::from_str(r#"{"id":"r","output":[],"usage":null}"#).unwrap();
        assert!(object.output_items().is_empty());
        let item = RawValue::from_string(r#"{"type":"message"}"#.to_owned()).unwrap();
        object.set_output(&[item]).unwrap();
        let v: Value = serde_json::from_slice(&object.to_json().unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"id":"r","output":[{"type":"message"}],"usage":null})
        );
        assert_eq!(object.output_items().len(), 1);
    }

    #[test]
    fn mistyped_known_field_is_an_error() {
        assert!(
            serde_json::from_str::<ResponseObject>(r#"{"usage":{"input_tokens":"x"}}"#).is_err()
        );
    }

    #[test]
    fn output_item_views() {
        let call: OutputItem =
            serde_json::from_str(r#"{"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":"{}"}"#)
                .unwrap();
        assert_eq!(
            call.kind,
            ItemKind::FunctionCall(FunctionCallItem {
                id: Some("fc_1".into()),
                call_id: Some("call_1".into()),
                name: Some("f".into()),
                arguments: Some("{}".into()),
            })
        );
        let other: OutputItem =
            serde_json::from_str(r#"{"type":"reasoning","encrypted_content":"gAAA"}"#).unwrap();
        assert_eq!(other.kind, ItemKind::Other("reasoning".into()));
    }

    #[test]
    fn error_code_falls_back_to_type() {
        let err: UpstreamError =
            serde_json::from_str(r#"{"type":"usage_limit_reached","message":"m"}"#).unwrap();
        assert_eq!(err.code(), "usage_limit_reached");
        let err: UpstreamError =
            serde_json::from_str(r#"{"code":"x","type":"invalid_request_error"}"#).unwrap();
        assert_eq!(err.code(), "x");
    }
}
