//! Issue 25: the Images API through the backend's `image_generation` tool. The fake backend
//! draws a real PNG (`test_host::fake_codex::images`), streams partial images, strips the tool
//! on a Free account, and counts the drawings under way at once.

use base64::Engine as _;
use gateway_core::auth::token::TOKEN_KEY;
use serde_json::{json, Value};
use test_host::fake_codex::images::{DRAWN_PNG, PARTIAL_PNG};
use test_host::fake_oauth::account_record;

use crate::support::*;

fn decoded(b64: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_str().unwrap())
        .unwrap()
}

/// The `(event, data)` pairs of an SSE body.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let event = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or_default();
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            (event.to_owned(), serde_json::from_str(data).unwrap())
        })
        .collect()
}

fn image_calls(env: &Env) -> Vec<Value> {
    env.codex
        .generation_requests()
        .into_iter()
        .map(|r| r.json())
        .filter(|b| b["tools"][0]["type"] == "image_generation")
        .collect()
}

#[tokio::test]
async fn generations_draw_n_images_at_once_and_answer_the_png_bytes() {
    let env = Env::start("img-gen", &[]).await;
    env.seed_token(3600);
    let res = env
        .post_json(
            "/v1/images/generations",
            &json!({"prompt": "an otter in a hat", "model": "gpt-image-2", "n": 2,
                    "size": "1024x1536", "quality": "low", "style": "vivid"}),
        )
        .send()
        .await
        .unwrap();
    assert!(
        res.headers().get("content-length").is_some(),
        "a sized answer"
    );
    assert_eq!(
        res.headers()["x-codex-gateway-ignored-params"],
        "style",
        "what is not honoured is said"
    );
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for image in data {
        assert_eq!(decoded(&image["b64_json"]), DRAWN_PNG);
        assert_eq!(image["revised_prompt"], "A picture of: an otter in a hat");
    }
    assert_eq!(
        (
            &body["size"],
            &body["quality"],
            &body["output_format"],
            &body["background"]
        ),
        (
            &json!("1024x1536"),
            &json!("low"),
            &json!("png"),
            &json!("opaque")
        )
    );
    assert_eq!(
        body["usage"]["input_tokens"], 114,
        "both calls' usage: {body}"
    );
    assert_eq!(body["usage"]["total_tokens"], 156);
    assert!(body["created"].as_i64().unwrap() > 1_700_000_000);

    assert_eq!(
        env.codex.image_drawings_peak(),
        2,
        "both images were drawn at the same time"
    );
    let calls = image_calls(&env);
    assert_eq!(calls.len(), 2);
    let call = &calls[0];
    assert_eq!(call["model"], "gpt-5.4-mini", "image_host_model's default");
    assert_eq!(call["tool_choice"], json!({"type": "image_generation"}));
    assert_eq!(
        call["tools"][0],
        json!({"type": "image_generation", "model": "gpt-image-2", "size": "1024x1536",
               "quality": "low"})
    );
    assert_eq!(call["input"][0]["content"][0]["text"], "an otter in a hat");
    assert_eq!(
        (&call["stream"], &call["store"]),
        (&json!(true), &json!(false))
    );
    let logs = env.logs().await;
    assert!(logs.contains("/v1/images/generations"), "{logs}");
    assert!(
        !logs.contains("otter"),
        "the prompt never reaches the log: {logs}"
    );
}

#[tokio::test]
async fn a_stream_sends_partial_images_as_they_arrive_then_the_image() {
    let env = Env::start("img-stream", &[]).await;
    env.seed_token(3600);
    let res = env
        .post_json(
            "/v1/images/generations",
            &json!({"prompt": "a fox", "stream": true, "partial_images": 2,
                    "output_format": "webp"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let body = res.text().await.unwrap();
    let events = events(&body);
    let kinds: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "image_generation.partial_image",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    let (_, partial) = &events[1];
    assert_eq!(partial["type"], "image_generation.partial_image");
    assert_eq!(partial["partial_image_index"], 1);
    assert_eq!(decoded(&partial["b64_json"]), PARTIAL_PNG);
    let (_, done) = &events[2];
    assert_eq!(decoded(&done["b64_json"]), DRAWN_PNG);
    assert_eq!(done["output_format"], "webp");
    assert_eq!(done["usage"]["output_tokens"], 21);
    assert_eq!(image_calls(&env)[0]["tools"][0]["partial_images"], 2);
}

/// `POST /v1/images/edits` of `form`, with the key.
async fn edit(env: &Env, form: reqwest::multipart::Form) -> reqwest::Response {
    env.client
        .post(env.url("/v1/images/edits"))
        .bearer_auth(KEY)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn png_part(bytes: &[u8], name: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap()
}

#[tokio::test]
async fn an_edit_sends_its_images_and_mask_to_the_tool() {
    let env = Env::start("img-edit", &[]).await;
    env.seed_token(3600);
    let source = std::fs::read(test_host::repo_path("testing/fixtures/images/source.png")).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("prompt", "put a hat on it")
        .text("input_fidelity", "high")
        .text("stream", "true")
        .part("image[]", png_part(&source, "a.png"))
        .part("image[]", png_part(&source, "b.png"))
        .part("mask", png_part(&source, "mask.png"));
    let res = edit(&env, form).await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let events = events(&body);
    assert_eq!(events.len(), 1, "{body}");
    let (kind, done) = &events[0];
    assert_eq!(kind, "image_edit.completed");
    assert_eq!(decoded(&done["b64_json"]), DRAWN_PNG);

    let call = image_calls(&env).pop().unwrap();
    let content = call["input"][0]["content"].as_array().unwrap();
    assert_eq!(content.len(), 3, "the prompt and both images");
    let source_url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&source)
    );
    assert_eq!(
        content[1],
        json!({"type": "input_image", "image_url": source_url})
    );
    assert_eq!(
        call["tools"][0]["input_image_mask"],
        json!({"image_url": source_url})
    );
    assert_eq!(call["tools"][0]["input_fidelity"], "high");
}

#[tokio::test]
async fn bad_image_requests_get_clear_envelopes() {
    let env = Env::start("img-bad", &[("max_body_bytes", "4096")]).await;
    env.seed_token(3600);
    let (status, _, body) = env
        .post(
            "/v1/images/generations",
            &json!({"prompt": "p", "response_format": "url"}),
        )
        .await;
    assert_eq!(
        (status, envelope_code(&body)),
        (400, "invalid_request".into())
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("b64_json"));
    assert_eq!(body["error"]["param"], "response_format");

    let (status, _, body) = env
        .post("/v1/images/generations", &json!({"prompt": "p", "n": 9}))
        .await;
    assert_eq!((status, body["error"]["param"].clone()), (400, json!("n")));

    let malformed = env
        .client
        .post(env.url("/v1/images/edits"))
        .bearer_auth(KEY)
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body("--XyZ\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhat")
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(malformed).await;
    assert_eq!(
        (status, envelope_code(&body)),
        (400, "invalid_request".into())
    );

    let not_an_image = reqwest::multipart::Form::new()
        .text("prompt", "hat")
        .part("image", png_part(b"GIF89a not a png", "x.gif"));
    let res = edit(&env, not_an_image).await;
    let (status, _, body) = json_of(res).await;
    assert_eq!(
        (status, body["error"]["param"].clone()),
        (400, json!("image"))
    );

    let big = reqwest::multipart::Form::new()
        .text("prompt", "hat")
        .part("image", png_part(&vec![0x89; 8192], "big.png"));
    let res = edit(&env, big).await;
    assert_eq!(json_of(res).await.0, 413);

    let res = env
        .client
        .post(env.url("/v1/images/generations"))
        .json(&json!({"prompt": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await.0, 401, "the key is checked");
    assert!(image_calls(&env).is_empty(), "nothing bad went upstream");
}

#[tokio::test]
async fn no_image_is_a_422_that_says_why() {
    let env = Env::start("img-none", &[]).await;
    let free = account_record("acct-free", &env.oauth.current_refresh(), 3600);
    env.kv()
        .set(TOKEN_KEY, &serde_json::to_vec(&free).unwrap())
        .unwrap();
    let (status, _, body) = env
        .post("/v1/images/generations", &json!({"prompt": "an otter"}))
        .await;
    assert_eq!(
        (status, envelope_code(&body)),
        (422, "image_not_generated".into())
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("Free"),
        "{body}"
    );

    env.seed_token(3600);
    crate::runtime::another_instance_wrote().await;
    let res = env
        .post_json(
            "/v1/images/generations",
            &json!({"prompt": "[refuse] something", "stream": true}),
        )
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    assert_eq!(
        status, 422,
        "a stream that draws nothing is an error, not an empty 200"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("I can't help with creating that image."),
        "{body}"
    );
}

#[tokio::test]
async fn a_refused_tool_choice_is_asked_again_without_it() {
    let env = Env::start(
        "img-unforced",
        &[("image_host_model", "gpt-5.4-mini@no-forced-tool")],
    )
    .await;
    env.seed_token(3600);
    let (status, _, body) = env
        .post(
            "/v1/images/generations",
            &json!({"prompt": "a fox", "n": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let calls = image_calls(&env);
    let forced: Vec<bool> = calls
        .iter()
        .map(|c| c.get("tool_choice").is_some())
        .collect();
    assert_eq!(
        forced,
        [true, false, false],
        "refused once, then never forced"
    );
}

#[tokio::test]
async fn image_calls_fail_over_and_renew_like_every_call() {
    use crate::accounts::{seed_accounts, THREE};
    use test_host::fake_codex::Quota;
    let env = Env::start("img-accounts", &[("account_strategy", "fill-first")]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex.set_quota("acct-a", Quota::spent(120));
    let res = env
        .post_json(
            "/v1/images/generations",
            &json!({"prompt": "a fox", "n": 2}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-codex-gateway-account"], "b");
    assert!(res.headers().get("x-request-id").is_some());
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        env.codex.served_by("acct-b"),
        2,
        "both images on the account with room"
    );

    let single = Env::start("img-renew", &[]).await;
    single.codex.reject_expired_tokens();
    single.seed_token(-10);
    let (status, _, body) = single
        .post("/v1/images/generations", &json!({"prompt": "a fox"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(single.oauth.refresh_calls(), 1);
}

#[tokio::test]
async fn openai_api_mode_relays_both_routes_as_sent() {
    let env = Env::start(
        "img-openai-api",
        &[
            ("upstream_mode", "openai_api"),
            ("upstream_api_key", "sk-up"),
        ],
    )
    .await;
    let generation = json!({"model": "gpt-image-2", "prompt": "a fox", "response_format": "url"});
    let res = env
        .post_json("/v1/images/generations", &generation)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "an upstream that stores images may answer urls"
    );
    let seen = env.codex.generation_requests().pop().unwrap();
    assert_eq!(seen.path, "/v1/images/generations");
    assert_eq!(seen.json(), generation);

    let form = reqwest::multipart::Form::new()
        .text("prompt", "a hat")
        .part("image", png_part(DRAWN_PNG, "a.png"));
    let res = edit(&env, form).await;
    assert_eq!(res.status(), 200);
    let seen = env.codex.generation_requests().pop().unwrap();
    assert_eq!(seen.path, "/v1/images/edits");
    assert_eq!(seen.header("authorization"), Some("Bearer sk-up"));
    let content_type = seen.header("content-type").unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let sent = &seen.body;
    assert!(
        sent.windows(DRAWN_PNG.len()).any(|w| w == DRAWN_PNG),
        "the form reaches the upstream byte for byte"
    );
}
