//! The events of one or more image calls, read one after another, as Images API frames: a
//! partial image as it arrives, each finished image with its call's usage once the call
//! completes, and a failure (or a call that drew nothing) as an error.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::codex::event::type_of;
use crate::error::{GatewayError, UpstreamCode};
use crate::openai::images::ImageRoute;
use crate::serve::pump::failure_of;
use crate::sse::decode::SseEvent;
use crate::translate::end::{StreamEnd, CUT_SHORT};
use crate::translate::responses::fold::observe_terminal;

/// What the client asked the images to be; an answer says what they are where it can.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImageMeta {
    /// `1024x1024`, …
    pub size: Option<String>,
    /// `low`, `medium`, `high`.
    pub quality: Option<String>,
    /// `transparent` or `opaque`.
    pub background: Option<String>,
    /// `png`, `jpeg` or `webp`.
    pub output_format: Option<String>,
}

impl ImageMeta {
    /// What `self` does not say, from `fallback`.
    fn or(&self, fallback: &ImageMeta) -> ImageMeta {
        let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
        ImageMeta {
            size: pick(&self.size, &fallback.size),
            quality: pick(&self.quality, &fallback.quality),
            background: pick(&self.background, &fallback.background),
            output_format: pick(&self.output_format, &fallback.output_format),
        }
    }

    /// The four fields as a streamed event states them (each required there).
    fn event_fields(&self, event: &mut Map<String, Value>) {
        let fields = [
            ("size", &self.size, "auto"),
            ("quality", &self.quality, "auto"),
            ("background", &self.background, "auto"),
            ("output_format", &self.output_format, "png"),
        ];
        for (name, value, unsaid) in fields {
            event.insert(name.into(), value.as_deref().unwrap_or(unsaid).into());
        }
    }
}

/// Token usage of image calls, as the Images API reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageUsage {
    /// Input tokens, text and image.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input text tokens.
    pub text_tokens: u64,
    /// Input image tokens.
    pub image_tokens: u64,
}

impl ImageUsage {
    /// `self` plus `other`.
    pub fn plus(self, other: ImageUsage) -> ImageUsage {
        ImageUsage {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            text_tokens: self.text_tokens.saturating_add(other.text_tokens),
            image_tokens: self.image_tokens.saturating_add(other.image_tokens),
        }
    }

    /// The Images API's `usage` object.
    pub fn to_json(self) -> Value {
        json!({
            "total_tokens": self.input_tokens.saturating_add(self.output_tokens),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "input_tokens_details": {"text_tokens": self.text_tokens,
                                     "image_tokens": self.image_tokens},
        })
    }
}

/// One finished image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedImage {
    /// The image, base64.
    pub b64_json: String,
    /// The prompt the tool drew from.
    pub revised_prompt: Option<String>,
    /// What the image is.
    pub meta: ImageMeta,
    /// The usage of the call that drew it.
    pub usage: ImageUsage,
}

/// One frame of the Images API's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageFrame {
    /// A partial image, as an `…partial_image` event's fields.
    Partial(Map<String, Value>),
    /// A finished image.
    Completed(GeneratedImage),
    /// The answer failed.
    Error(GatewayError),
}

impl ImageFrame {
    /// The frame as an event of the Images API's stream.
    pub fn write_sse(&self, route: ImageRoute, created_at: i64, out: &mut Vec<u8>) {
        let (kind, data) = match self {
            Self::Partial(event) => ("partial_image", event.clone()),
            Self::Completed(image) => {
                let mut event = Map::new();
                event.insert("b64_json".into(), image.b64_json.clone().into());
                event.insert("created_at".into(), created_at.into());
                image.meta.event_fields(&mut event);
                event.insert("usage".into(), image.usage.to_json());
                ("completed", event)
            }
            Self::Error(err) => {
                out.extend_from_slice(b"event: error\ndata: ");
                out.extend_from_slice(&err.envelope_json());
                out.extend_from_slice(b"\n\n");
                return;
            }
        };
        let kind = format!("{}.{kind}", route.event_prefix());
        let mut data = data;
        data.insert("type".into(), kind.clone().into());
        let data = Value::Object(data);
        out.extend_from_slice(format!("event: {kind}\ndata: {data}\n\n").as_bytes());
    }
}

/// Most of the model's text kept to explain an answer without an image.
const TEXT_KEPT: usize = 400;

/// Reads `calls` image calls' events, one call after another.
#[derive(Debug)]
pub struct ImageEvents {
    calls: usize,
    finished_calls: usize,
    requested: ImageMeta,
    created_at: i64,
    /// The current call has sent events but not its terminal one.
    open: bool,
    images: Vec<GeneratedImage>,
    text: String,
    end: Option<StreamEnd>,
}

#[derive(Deserialize)]
struct PartialEvent {
    partial_image_b64: String,
    #[serde(default)]
    partial_image_index: u64,
    #[serde(flatten)]
    meta: ImageMeta,
}

#[derive(Deserialize)]
struct ItemDone {
    item: ImageItem,
}

#[derive(Deserialize)]
struct ImageItem {
    #[serde(rename = "type")]
    kind: String,
    result: Option<String>,
    revised_prompt: Option<String>,
    #[serde(flatten)]
    meta: ImageMeta,
}

#[derive(Deserialize)]
struct TextDelta {
    delta: String,
}

#[derive(Deserialize)]
struct Completed {
    response: CompletedResponse,
}

#[derive(Deserialize)]
struct CompletedResponse {
    usage: Option<TokenUsage>,
    tool_usage: Option<ToolUsage>,
}

#[derive(Deserialize)]
struct ToolUsage {
    image_gen: Option<TokenUsage>,
}

#[derive(Deserialize, Default)]
struct TokenUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    input_tokens_details: Option<InputDetails>,
}

#[derive(Deserialize, Default)]
struct InputDetails {
    text_tokens: Option<u64>,
    image_tokens: Option<u64>,
}

impl TokenUsage {
    fn into_usage(self) -> ImageUsage {
        let details = self.input_tokens_details.unwrap_or_default();
        let image_tokens = details.image_tokens.unwrap_or(0);
        ImageUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            text_tokens: details
                .text_tokens
                .unwrap_or(self.input_tokens.saturating_sub(image_tokens)),
            image_tokens,
        }
    }
}

impl ImageEvents {
    /// A reader of `calls` calls that asked for `requested`, answering at `created_at`.
    pub fn new(calls: usize, requested: ImageMeta, created_at: i64) -> Self {
        Self {
            calls,
            finished_calls: 0,
            requested,
            created_at,
            open: false,
            images: Vec::new(),
            text: String::new(),
            end: None,
        }
    }

    /// The answer's `created` time.
    pub fn created_at(&self) -> i64 {
        self.created_at
    }

    /// How the answer ended, once it has.
    pub fn end(&self) -> Option<&StreamEnd> {
        self.end.as_ref()
    }

    /// The frames one upstream event makes.
    pub fn on_event(&mut self, ev: &SseEvent) -> Vec<ImageFrame> {
        if self.end.is_some() {
            return Vec::new();
        }
        let kind = type_of(ev);
        if kind == "response.created" && self.open {
            // The next call's events while the last one never ended: its body was cut.
            return self.fail(GatewayError::upstream_error(CUT_SHORT));
        }
        self.open = true;
        let parsed = match kind.as_ref() {
            "response.image_generation_call.partial_image" => {
                return self.partial(serde_json::from_str(&ev.data));
            }
            "response.output_item.done" => {
                serde_json::from_str::<ItemDone>(&ev.data).map(|done| self.item_done(done.item))
            }
            "response.output_text.delta" => {
                serde_json::from_str::<TextDelta>(&ev.data).map(|d| self.keep_text(&d.delta))
            }
            _ => Ok(()),
        };
        if let Err(err) = parsed {
            return self.fail(GatewayError::upstream_error(format!(
                "upstream sent a malformed {kind} event: {err}"
            )));
        }
        match observe_terminal(ev) {
            None => Vec::new(),
            Some(StreamEnd::Completed) => self.call_completed(ev),
            Some(StreamEnd::Incomplete { reason }) => self.fail(no_image(&format!(
                "the backend stopped before drawing ({reason})"
            ))),
            Some(other) => self.finish(other),
        }
    }

    /// End the answer for a reason the host observed.
    pub fn finish(&mut self, end: StreamEnd) -> Vec<ImageFrame> {
        if self.end.is_some() {
            return Vec::new();
        }
        match failure_of(&end) {
            Some(err) => {
                self.end = Some(end);
                vec![ImageFrame::Error(err)]
            }
            None => {
                self.end = Some(end);
                Vec::new()
            }
        }
    }

    fn fail(&mut self, err: GatewayError) -> Vec<ImageFrame> {
        self.finish(StreamEnd::Failed(err))
    }

    fn partial(&mut self, event: Result<PartialEvent, serde_json::Error>) -> Vec<ImageFrame> {
        let Ok(event) = event else {
            return self.fail(GatewayError::upstream_error(
                "upstream sent a malformed partial image event",
            ));
        };
        let mut frame = Map::new();
        frame.insert("b64_json".into(), event.partial_image_b64.into());
        frame.insert("created_at".into(), self.created_at.into());
        frame.insert(
            "partial_image_index".into(),
            event.partial_image_index.into(),
        );
        event.meta.or(&self.requested).event_fields(&mut frame);
        vec![ImageFrame::Partial(frame)]
    }

    fn item_done(&mut self, item: ImageItem) {
        if item.kind != "image_generation_call" {
            return;
        }
        if let Some(b64_json) = item.result.filter(|r| !r.is_empty()) {
            self.images.push(GeneratedImage {
                b64_json,
                revised_prompt: item.revised_prompt,
                meta: item.meta.or(&self.requested),
                usage: ImageUsage::default(),
            });
        }
    }

    fn keep_text(&mut self, delta: &str) {
        let room = TEXT_KEPT.saturating_sub(self.text.chars().count());
        self.text.extend(delta.chars().take(room));
    }

    fn call_completed(&mut self, ev: &SseEvent) -> Vec<ImageFrame> {
        self.open = false;
        let usage = serde_json::from_str::<Completed>(&ev.data)
            .ok()
            .and_then(|c| {
                let response = c.response;
                response
                    .tool_usage
                    .and_then(|t| t.image_gen)
                    .or(response.usage)
            })
            .unwrap_or_default()
            .into_usage();
        let images = std::mem::take(&mut self.images);
        if images.is_empty() {
            let said = std::mem::take(&mut self.text);
            let mut detail = "the backend answered without an image (a plan without image \
                 generation, such as ChatGPT Free, drops the tool; a refusal answers in text)"
                .to_owned();
            if !said.trim().is_empty() {
                detail.push_str("; the model said: ");
                detail.push_str(&said);
            }
            return self.fail(no_image(&detail));
        }
        self.text.clear();
        self.finished_calls = self.finished_calls.saturating_add(1);
        if self.finished_calls >= self.calls {
            self.end = Some(StreamEnd::Completed);
        }
        // A call's usage goes with its first image; a call draws one.
        let mut frames = Vec::with_capacity(images.len());
        for (i, mut image) in images.into_iter().enumerate() {
            if i == 0 {
                image.usage = usage;
            }
            frames.push(ImageFrame::Completed(image));
        }
        frames
    }
}

/// No image came back (422 `image_not_generated`).
fn no_image(detail: &str) -> GatewayError {
    GatewayError::Upstream {
        status: 422,
        code: UpstreamCode::ImageNotGenerated,
        message: format!("no image was generated: {detail}"),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests;
