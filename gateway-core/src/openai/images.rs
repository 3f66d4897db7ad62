//! OpenAI Images API requests (`/v1/images/generations`, `/v1/images/edits`), read into what the
//! backend's `image_generation` tool is asked for. The same fields arrive as JSON or as
//! multipart text fields; both are read here from one JSON object.

use serde_json::{Map, Value};

use super::multipart::Part;
use crate::error::GatewayError;

/// Most images one request may ask for (`n`): each is one backend call, all in flight at once
/// on the same subscription, which has its own concurrency and usage limits.
pub const MAX_IMAGES: u64 = 4;

/// Most partial images a streamed request may ask for (the tool's own maximum).
pub const MAX_PARTIAL_IMAGES: u64 = 3;

/// Most input images an edit may carry (the Images API's own maximum).
pub const MAX_INPUT_IMAGES: usize = 16;

/// Which Images API route a request came from: it names the streamed events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRoute {
    /// `/v1/images/generations`: `image_generation.*` events.
    Generation,
    /// `/v1/images/edits`: `image_edit.*` events.
    Edit,
}

impl ImageRoute {
    /// The prefix of the streamed event types.
    pub fn event_prefix(self) -> &'static str {
        match self {
            Self::Generation => "image_generation",
            Self::Edit => "image_edit",
        }
    }
}

/// An image sent with an edit, as a data URL, or the mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputImage {
    /// `data:<type>;base64,<bytes>`.
    pub data_url: String,
}

/// One Images API request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRequest {
    /// What to draw, or how to edit.
    pub prompt: String,
    /// How many images, each its own backend call.
    pub n: u64,
    /// Whether the answer is an event stream.
    pub stream: bool,
    /// Partial images per image, when streaming.
    pub partial_images: u64,
    /// The `image_generation` tool's options, as the backend names them (`model`, `size`,
    /// `quality`, `background`, `output_format`, `output_compression`, `moderation`,
    /// `input_fidelity`).
    pub tool: Map<String, Value>,
    /// Images to edit (empty for a generation).
    pub images: Vec<InputImage>,
    /// The edit's mask.
    pub mask: Option<InputImage>,
    /// Fields read but not honoured, for the ignored-parameters header.
    pub ignored: Vec<String>,
}

/// A tool option's allowed spellings.
const CHOICES: &[(&str, &[&str])] = &[
    ("quality", &["low", "medium", "high", "auto"]),
    ("background", &["transparent", "opaque", "auto"]),
    ("output_format", &["png", "jpeg", "webp"]),
    ("moderation", &["auto", "low"]),
    ("input_fidelity", &["low", "high"]),
];

/// Read an Images API request from its JSON object (or multipart fields made into one).
pub fn parse_image_request(
    fields: &Map<String, Value>,
    route: ImageRoute,
) -> Result<ImageRequest, GatewayError> {
    let mut request = ImageRequest {
        prompt: String::new(),
        n: 1,
        stream: false,
        partial_images: 0,
        tool: Map::new(),
        images: Vec::new(),
        mask: None,
        ignored: Vec::new(),
    };
    for (name, value) in fields {
        if value.is_null() {
            continue;
        }
        read_field(&mut request, name, value, route)?;
    }
    if request.prompt.trim().is_empty() {
        return Err(GatewayError::bad_param(
            "prompt",
            "`prompt` is required: a description of the image",
        ));
    }
    if !request.stream && request.partial_images > 0 {
        request.ignored.push("partial_images".into());
        request.partial_images = 0;
    }
    Ok(request)
}

fn read_field(
    request: &mut ImageRequest,
    name: &str,
    value: &Value,
    route: ImageRoute,
) -> Result<(), GatewayError> {
    match name {
        "prompt" => request.prompt = text(name, value)?.to_owned(),
        "n" => request.n = whole(name, value, 1, MAX_IMAGES)?,
        "stream" => {
            request.stream = value
                .as_bool()
                .ok_or_else(|| GatewayError::bad_param(name, "`stream` must be a boolean"))?;
        }
        "partial_images" => request.partial_images = whole(name, value, 0, MAX_PARTIAL_IMAGES)?,
        "response_format" => match text(name, value)? {
            "b64_json" => {}
            "url" => {
                return Err(GatewayError::bad_param(
                    name,
                    "`response_format: \"url\"` is not available: this gateway stores no \
                     images, so it answers every image as `b64_json`; omit `response_format` \
                     or send \"b64_json\"",
                ))
            }
            other => return Err(unknown_value(name, other, &["b64_json"])),
        },
        "model" => {
            let model = text(name, value)?;
            if is_gpt_image_model(model) {
                request.tool.insert(name.into(), model.into());
            } else {
                // DALL·E and other names: the backend's own image model draws instead.
                request.ignored.push(name.into());
            }
        }
        "size" => {
            let size = text(name, value)?;
            if size != "auto" && !is_dimensions(size) {
                return Err(GatewayError::bad_param(
                    name,
                    format!(
                        "`size` must be \"auto\" or WIDTHxHEIGHT (like \"1024x1024\"), not {size:?}"
                    ),
                ));
            }
            request.tool.insert(name.into(), size.into());
        }
        "quality" if matches!(value.as_str(), Some("standard" | "hd")) => {
            // DALL·E's spellings: a GPT image model chooses its own quality.
            request.ignored.push(name.into());
        }
        "output_compression" => {
            request
                .tool
                .insert(name.into(), whole(name, value, 0, 100)?.into());
        }
        "input_fidelity" if route == ImageRoute::Generation => request.ignored.push(name.into()),
        "user" => {}
        _ => {
            if let Some((_, allowed)) = CHOICES.iter().find(|(field, _)| *field == name) {
                let chosen = text(name, value)?;
                if !allowed.contains(&chosen) {
                    return Err(unknown_value(name, chosen, allowed));
                }
                request.tool.insert(name.into(), chosen.into());
            } else {
                // DALL·E's `style`, and anything newer than this gateway.
                request.ignored.push(name.into());
            }
        }
    }
    Ok(())
}

/// Read an edit's form: its text fields as [`parse_image_request`] reads JSON, its `image`
/// (or `image[]`) files as the images to edit, its `mask` file as the mask.
pub fn parse_edit_form(parts: Vec<Part>) -> Result<ImageRequest, GatewayError> {
    let mut fields = Map::new();
    let mut images = Vec::new();
    let mut mask = None;
    for part in parts {
        let is_file = part.file_name.is_some();
        match part.name.as_str() {
            "image" | "image[]" => images.push(input_image(&part)?),
            "mask" => mask = Some(input_image(&part)?),
            _ if is_file => {
                return Err(GatewayError::bad_param(
                    part.name.clone(),
                    format!("unexpected file in field `{}`", part.name),
                ))
            }
            name => {
                let text = String::from_utf8(part.data).map_err(|_| {
                    GatewayError::bad_param(name, format!("`{name}` must be UTF-8 text"))
                })?;
                fields.insert(name.to_owned(), typed_field(name, text));
            }
        }
    }
    if images.is_empty() {
        return Err(GatewayError::bad_param(
            "image",
            "an edit needs at least one `image` file",
        ));
    }
    if images.len() > MAX_INPUT_IMAGES {
        return Err(GatewayError::bad_param(
            "image",
            format!("an edit takes at most {MAX_INPUT_IMAGES} images"),
        ));
    }
    let mut request = parse_image_request(&fields, ImageRoute::Edit)?;
    request.images = images;
    request.mask = mask;
    Ok(request)
}

/// A form field's text as the JSON value the same field would have in a JSON body.
fn typed_field(name: &str, text: String) -> Value {
    match name {
        "n" | "output_compression" | "partial_images" => text
            .trim()
            .parse::<u64>()
            .map_or(Value::String(text), Value::from),
        "stream" => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text),
        },
        _ => Value::String(text),
    }
}

/// A file part as a data URL, its type told by its bytes (a client's `content-type` for a file
/// is often `application/octet-stream`).
fn input_image(part: &Part) -> Result<InputImage, GatewayError> {
    use base64::Engine as _;
    let media_type = sniff_image(&part.data).ok_or_else(|| {
        GatewayError::bad_param(
            part.name.clone(),
            format!(
                "`{}` must be a PNG, JPEG or WebP image{}",
                part.name,
                part.file_name
                    .as_deref()
                    .map(|f| format!(" ({:?} is not)", f.chars().take(80).collect::<String>()))
                    .unwrap_or_default()
            ),
        )
    })?;
    let data = base64::engine::general_purpose::STANDARD.encode(&part.data);
    Ok(InputImage {
        data_url: format!("data:{media_type};base64,{data}"),
    })
}

/// The image type of `bytes` by their signature.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// A GPT image model name, which the tool accepts as its `model`.
pub fn is_gpt_image_model(model: &str) -> bool {
    model.starts_with("gpt-image-") || model.starts_with("chatgpt-image-")
}

/// `WIDTHxHEIGHT`, both positive whole numbers.
fn is_dimensions(size: &str) -> bool {
    let Some((w, h)) = size.split_once('x') else {
        return false;
    };
    let number = |s: &str| {
        !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()) && s != "0"
    };
    number(w) && number(h)
}

fn text<'v>(name: &str, value: &'v Value) -> Result<&'v str, GatewayError> {
    value
        .as_str()
        .ok_or_else(|| GatewayError::bad_param(name, format!("`{name}` must be a string")))
}

fn whole(name: &str, value: &Value, min: u64, max: u64) -> Result<u64, GatewayError> {
    value
        .as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            GatewayError::bad_param(
                name,
                format!("`{name}` must be a whole number from {min} to {max}"),
            )
        })
}

fn unknown_value(name: &str, value: &str, allowed: &[&str]) -> GatewayError {
    let value: String = value.chars().take(40).collect();
    GatewayError::bad_param(
        name,
        format!(
            "`{name}` must be one of {}, not {value:?}",
            allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<ImageRequest, GatewayError> {
        let Value::Object(fields) = body else {
            unreachable!("tests pass objects")
        };
        parse_image_request(&fields, ImageRoute::Generation)
    }

    #[test]
    fn the_tool_gets_the_honoured_options_and_nothing_else() {
        let request = parse(json!({
            "prompt": "an otter", "model": "gpt-image-2", "n": 2, "size": "1536x864",
            "quality": "high", "background": "opaque", "output_format": "webp",
            "output_compression": 80, "moderation": "low", "user": "u1",
            "response_format": "b64_json", "style": "vivid"
        }))
        .unwrap();
        assert_eq!(request.n, 2);
        assert_eq!(
            Value::Object(request.tool),
            json!({"model": "gpt-image-2", "size": "1536x864", "quality": "high",
                   "background": "opaque", "output_format": "webp", "output_compression": 80,
                   "moderation": "low"})
        );
        assert_eq!(request.ignored, ["style"]);
    }

    #[test]
    fn dall_e_spellings_are_ignored_not_refused() {
        let request = parse(json!({"prompt": "p", "model": "dall-e-3", "quality": "hd"})).unwrap();
        assert!(request.tool.is_empty());
        assert_eq!(request.ignored, ["model", "quality"]);
    }

    #[test]
    fn partial_images_only_count_when_streaming() {
        let request = parse(json!({"prompt": "p", "partial_images": 2})).unwrap();
        assert_eq!(
            (request.partial_images, request.ignored),
            (0, vec!["partial_images".into()])
        );
        let streamed = parse(json!({"prompt": "p", "partial_images": 2, "stream": true})).unwrap();
        assert_eq!(streamed.partial_images, 2);
    }

    fn file(name: &str, data: &[u8]) -> Part {
        Part {
            name: name.into(),
            file_name: Some("x.png".into()),
            content_type: Some("application/octet-stream".into()),
            data: data.to_vec(),
        }
    }

    fn field(name: &str, value: &str) -> Part {
        Part {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: value.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_edit_form_reads_like_json_with_its_images_as_data_urls() {
        let png = b"\x89PNG\r\n\x1a\nrest";
        let request = parse_edit_form(vec![
            field("prompt", "add a hat"),
            field("n", "2"),
            field("stream", "true"),
            field("input_fidelity", "high"),
            file("image[]", png),
            file("image[]", b"\xFF\xD8\xFFjpeg"),
            file("mask", png),
        ])
        .unwrap();
        assert_eq!((request.n, request.stream), (2, true));
        assert_eq!(request.tool["input_fidelity"], "high");
        assert_eq!(request.images.len(), 2);
        assert_eq!(
            request.images[0].data_url,
            "data:image/png;base64,iVBORw0KGgpyZXN0"
        );
        assert!(request.images[1]
            .data_url
            .starts_with("data:image/jpeg;base64,"));
        assert!(request.mask.is_some());
    }

    #[test]
    fn an_edit_needs_real_images() {
        let cases = [
            (vec![field("prompt", "p")], "image"),
            (
                vec![field("prompt", "p"), file("image", b"GIF89a")],
                "image",
            ),
            (
                vec![
                    field("prompt", "p"),
                    file("image", b"\x89PNG\r\n\x1a\n"),
                    file("mask", b"text"),
                ],
                "mask",
            ),
            (
                vec![
                    field("prompt", "p"),
                    file("image", b"\x89PNG\r\n\x1a\n"),
                    field("n", "two"),
                ],
                "n",
            ),
            (
                vec![
                    field("prompt", "p"),
                    file("image", b"\x89PNG\r\n\x1a\n"),
                    file("extra", b"x"),
                ],
                "extra",
            ),
        ];
        for (parts, param) in cases {
            let err = parse_edit_form(parts).unwrap_err();
            assert_eq!((err.status(), err.param()), (400, Some(param)));
        }
    }

    #[test]
    fn bad_requests_name_their_field() {
        let cases = [
            (json!({}), "prompt"),
            (json!({"prompt": "  "}), "prompt"),
            (json!({"prompt": "p", "n": 0}), "n"),
            (json!({"prompt": "p", "n": 5}), "n"),
            (json!({"prompt": "p", "n": "2"}), "n"),
            (json!({"prompt": "p", "size": "big"}), "size"),
            (json!({"prompt": "p", "size": "0x10"}), "size"),
            (json!({"prompt": "p", "quality": "ultra"}), "quality"),
            (
                json!({"prompt": "p", "output_format": "gif"}),
                "output_format",
            ),
            (
                json!({"prompt": "p", "output_compression": 101}),
                "output_compression",
            ),
            (
                json!({"prompt": "p", "partial_images": 4, "stream": true}),
                "partial_images",
            ),
            (
                json!({"prompt": "p", "response_format": "url"}),
                "response_format",
            ),
            (json!({"prompt": "p", "stream": "yes"}), "stream"),
        ];
        for (body, param) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!((err.status(), err.param()), (400, Some(param)), "{body}");
        }
        let url = parse(json!({"prompt": "p", "response_format": "url"})).unwrap_err();
        assert!(url.to_string().contains("b64_json"), "{url}");
    }
}
