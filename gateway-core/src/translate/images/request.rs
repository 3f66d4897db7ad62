//! One image as a Codex Responses call: a chat model (`image_host_model`) that is made to call
//! the hosted `image_generation` tool with the client's options, on the client's prompt and
//! images.

use serde_json::{json, Map, Value};

use crate::error::GatewayError;
use crate::openai::images::ImageRequest;

/// The backend needs instructions; these keep the host model to one faithful tool call.
pub const INSTRUCTIONS: &str = "Create the image the user asks for with the image_generation \
tool: call it once, following the user's request exactly. Do not answer in text.";

/// The Responses body for one image of `request`, drawn by `host_model`. `forced` names the
/// tool in `tool_choice`; without it the instructions alone steer the model.
pub fn image_call_body(
    host_model: &str,
    request: &ImageRequest,
    forced: bool,
) -> Result<Vec<u8>, GatewayError> {
    let mut tool = Map::new();
    tool.insert("type".into(), "image_generation".into());
    tool.extend(request.tool.clone());
    if request.partial_images > 0 {
        tool.insert("partial_images".into(), request.partial_images.into());
    }
    if let Some(mask) = &request.mask {
        tool.insert(
            "input_image_mask".into(),
            json!({"image_url": mask.data_url}),
        );
    }
    let mut content = vec![json!({"type": "input_text", "text": request.prompt})];
    content.extend(
        request
            .images
            .iter()
            .map(|image| json!({"type": "input_image", "image_url": image.data_url})),
    );
    let body = json!({
        "model": host_model,
        "instructions": INSTRUCTIONS,
        "input": [{"type": "message", "role": "user", "content": content}],
        "tools": [Value::Object(tool)],
        "parallel_tool_calls": false,
        "stream": true,
        "store": false,
    });
    let Value::Object(mut body) = body else {
        return Err(GatewayError::Internal(
            "the image call is not an object".into(),
        ));
    };
    if forced {
        body.insert("tool_choice".into(), json!({"type": "image_generation"}));
    }
    serde_json::to_vec(&body).map_err(|e| GatewayError::Internal(e.to_string()))
}

/// Whether a 400 says the backend would not take the tool by name in `tool_choice` (users
/// have seen "Tool choice 'image_generation' not found in 'tools' parameter"): the call is then
/// made again without it.
pub fn refuses_forced_tool(err: &GatewayError) -> bool {
    let GatewayError::Upstream {
        status: 400,
        message,
        ..
    } = err
    else {
        return false;
    };
    let message = message.to_ascii_lowercase();
    message.contains("tool choice") || message.contains("tool_choice")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openai::images::{parse_image_request, ImageRoute, InputImage};

    #[test]
    fn the_call_forces_the_tool_with_the_clients_options() {
        let Value::Object(fields) = json!({"prompt": "an otter", "size": "1024x1024",
            "quality": "low", "stream": true, "partial_images": 2, "model": "gpt-image-2"})
        else {
            unreachable!()
        };
        let mut request = parse_image_request(&fields, ImageRoute::Edit).unwrap();
        request.images.push(InputImage {
            data_url: "data:image/png;base64,AAAA".into(),
        });
        request.mask = Some(InputImage {
            data_url: "data:image/png;base64,BBBB".into(),
        });
        let body: Value =
            serde_json::from_slice(&image_call_body("gpt-5.4-mini", &request, true).unwrap())
                .unwrap();
        assert_eq!(
            body,
            json!({
                "model": "gpt-5.4-mini",
                "instructions": INSTRUCTIONS,
                "input": [{"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "an otter"},
                    {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]}],
                "tools": [{"type": "image_generation", "size": "1024x1024", "quality": "low",
                           "model": "gpt-image-2", "partial_images": 2,
                           "input_image_mask": {"image_url": "data:image/png;base64,BBBB"}}],
                "parallel_tool_calls": false,
                "stream": true,
                "store": false,
                "tool_choice": {"type": "image_generation"},
            })
        );
        let unforced: Value =
            serde_json::from_slice(&image_call_body("m", &request, false).unwrap()).unwrap();
        assert!(unforced.get("tool_choice").is_none());
    }

    #[test]
    fn only_a_refused_tool_choice_is_retried_unforced() {
        let refusal = |status, message: &str| GatewayError::Upstream {
            status,
            code: crate::error::UpstreamCode::BadRequest,
            message: message.into(),
            retry_after: None,
        };
        let seen = "Tool choice 'image_generation' not found in 'tools' parameter.";
        assert!(refuses_forced_tool(&refusal(400, seen)));
        assert!(!refuses_forced_tool(&refusal(
            400,
            "Unsupported parameter: size"
        )));
        assert!(!refuses_forced_tool(&refusal(429, seen)));
    }
}
