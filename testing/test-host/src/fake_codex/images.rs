//! The hosted `image_generation` tool, as users see the backend run it: a Responses call whose
//! tools hold it draws one image (real PNG bytes, base64 in the `image_generation_call` item's
//! `result`), streams `partial_images` previews first, and names what it drew (size, quality,
//! background, format, revised prompt). A Free plan strips the tool silently: the model answers
//! in text. Some accounts refuse the tool by name in `tool_choice` (`@no-forced-tool` on the
//! host model stands for them). The drawing takes [`DRAW_MS`], and the fake counts how many
//! drawings are under way at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{json, Value};

use super::{single_item_stream, sse, tokio_stream_from, Body, Recorded, Scenario};

/// The image every drawing returns.
pub const DRAWN_PNG: &[u8] = include_bytes!("../../../fixtures/images/drawn.png");
/// Every partial image.
pub const PARTIAL_PNG: &[u8] = include_bytes!("../../../fixtures/images/partial.png");
/// How long one drawing takes.
pub const DRAW_MS: u64 = 300;

/// Drawings under way, and the most seen at once.
#[derive(Debug, Default)]
pub struct Drawings {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Drawings {
    /// The most drawings that were ever under way at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    fn start(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }

    fn end(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The tool's definition, when the request offers it.
fn image_tool(body: &Value) -> Option<&Value> {
    body["tools"]
        .as_array()?
        .iter()
        .find(|t| t["type"] == "image_generation")
}

/// The answer to a call that offers the image tool; `None` for any other call.
pub fn answer(req: &Recorded, drawings: &Arc<Drawings>) -> Option<hyper::Response<Body>> {
    let body = req.json();
    let tool = image_tool(&body)?.clone();
    let forced = body["tool_choice"]["type"] == "image_generation";
    let model = body["model"].as_str().unwrap_or_default();
    if forced && model.ends_with("@no-forced-tool") {
        let error = json!({"error": {"message": "Tool choice 'image_generation' not found in 'tools' parameter.",
            "type": "invalid_request_error", "param": "tool_choice", "code": null}});
        return Some(Scenario::json(400, &error.to_string()).into_response());
    }
    let free = req
        .header("chatgpt-account-id")
        .is_some_and(|a| a.contains("free"));
    let prompt = prompt_of(&body);
    if free || prompt.contains("[refuse]") {
        let text = if free {
            "Here is a description of the picture you asked for: an otter in a hat."
        } else {
            "I can't help with creating that image."
        };
        let item = json!({"type": "message", "id": "msg_img", "status": "completed",
            "role": "assistant", "content": [{"type": "output_text", "annotations": [], "text": text}]});
        return Some(single_item_stream(req, item).into_response());
    }
    Some(drawing(&body, &tool, drawings.clone()))
}

fn prompt_of(body: &Value) -> String {
    body["input"][0]["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["type"] == "input_text")
        .filter_map(|p| p["text"].as_str())
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What the tool drew, as it states it: what was asked, with `auto` resolved.
fn drawn(tool: &Value, body: &Value) -> Value {
    let asked = |name: &str, auto: &str| match tool[name].as_str() {
        None | Some("auto") => auto.to_owned(),
        Some(v) => v.to_owned(),
    };
    let images = body["input"][0]["content"].as_array().map_or(0, |c| {
        c.iter().filter(|p| p["type"] == "input_image").count()
    });
    let mut revised = format!("A picture of: {}", prompt_of(body));
    if images > 0 {
        revised = format!("An edit of {images} image(s): {}", prompt_of(body));
        if tool.get("input_image_mask").is_some() {
            revised.push_str(" (inside the mask)");
        }
    }
    json!({"type": "image_generation_call", "id": "ig_fake", "status": "completed",
           "result": b64(DRAWN_PNG), "revised_prompt": revised,
           "size": asked("size", "1024x1024"), "quality": asked("quality", "medium"),
           "background": asked("background", "opaque"),
           "output_format": asked("output_format", "png")})
}

fn drawing(body: &Value, tool: &Value, drawings: Arc<Drawings>) -> hyper::Response<Body> {
    let item = drawn(tool, body);
    let partials = tool["partial_images"].as_u64().unwrap_or(0);
    let model = body["model"].clone();
    let response = move |status: &str, output: Value| {
        json!({"id": "resp_img", "object": "response", "created_at": crate::fake_oauth::now(),
               "status": status, "model": model, "output": output,
               "usage": {"input_tokens": 57, "input_tokens_details": {"cached_tokens": 0},
                         "output_tokens": 21, "output_tokens_details": {"reasoning_tokens": 0},
                         "total_tokens": 78}})
    };
    let mut started = item.clone();
    started["status"] = json!("in_progress");
    started["result"] = Value::Null;
    let head = vec![
        sse(
            "response.created",
            json!({"type": "response.created", "sequence_number": 0,
                   "response": response("in_progress", json!([]))}),
        ),
        sse(
            "response.output_item.added",
            json!({"type": "response.output_item.added", "sequence_number": 1,
                   "output_index": 0, "item": started}),
        ),
        sse(
            "response.image_generation_call.in_progress",
            json!({"type": "response.image_generation_call.in_progress", "sequence_number": 2,
                   "output_index": 0, "item_id": "ig_fake"}),
        ),
    ];
    let mut tail: Vec<Bytes> = (0..partials)
        .map(|i| {
            sse(
                "response.image_generation_call.partial_image",
                json!({"type": "response.image_generation_call.partial_image",
                       "sequence_number": 3 + i, "output_index": 0, "item_id": "ig_fake",
                       "partial_image_index": i, "partial_image_b64": b64(PARTIAL_PNG),
                       "size": item["size"], "quality": item["quality"],
                       "background": item["background"], "output_format": item["output_format"]}),
            )
        })
        .collect();
    tail.extend([
        sse(
            "response.output_item.done",
            json!({"type": "response.output_item.done", "sequence_number": 3 + partials,
                   "output_index": 0, "item": item}),
        ),
        sse(
            "response.completed",
            json!({"type": "response.completed", "sequence_number": 4 + partials,
                   "response": response("completed", json!([item]))}),
        ),
    ]);
    drawings.start();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(4);
    tokio::spawn(async move {
        let send_all = |events: Vec<Bytes>| {
            let tx = tx.clone();
            async move {
                for event in events {
                    if tx.send(Ok(Frame::data(event))).await.is_err() {
                        return false;
                    }
                }
                true
            }
        };
        if send_all(head).await {
            tokio::time::sleep(Duration::from_millis(DRAW_MS)).await;
            send_all(tail).await;
        }
        drawings.end();
    });
    let mut res = hyper::Response::new(BodyExt::boxed(StreamBody::new(tokio_stream_from(rx))));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/event-stream"),
    );
    res
}
