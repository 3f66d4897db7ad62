use serde_json::json;

use super::*;
use crate::translate::images::answer::ImagesBuilder;

fn ev(data: Value) -> SseEvent {
    SseEvent {
        event: data["type"].as_str().map(str::to_owned),
        data: data.to_string(),
        raw: Vec::new(),
    }
}

/// One image call's events as the backend sends them: `partials` partial images, then the
/// image (or `text` and no image), then `response.completed` with the host model's usage.
fn call(partials: u64, image: Option<&str>, text: &str) -> Vec<SseEvent> {
    let mut events = vec![ev(
        json!({"type": "response.created", "response": {"id": "r"}}),
    )];
    for i in 0..partials {
        events.push(ev(
            json!({"type": "response.image_generation_call.partial_image",
            "output_index": 0, "item_id": "ig_1", "sequence_number": i + 1,
            "partial_image_index": i, "partial_image_b64": format!("part{i}"),
            "size": "1024x1024", "quality": "low", "background": "opaque",
            "output_format": "png"}),
        ));
    }
    if !text.is_empty() {
        events.push(ev(
            json!({"type": "response.output_text.delta", "delta": text}),
        ));
    }
    if let Some(image) = image {
        events.push(ev(
            json!({"type": "response.output_item.done", "output_index": 0,
            "item": {"type": "image_generation_call", "id": "ig_1", "status": "completed",
                     "result": image, "revised_prompt": "an otter, revised",
                     "size": "1024x1024", "quality": "low", "background": "opaque",
                     "output_format": "png"}}),
        ));
    }
    events.push(ev(
        json!({"type": "response.completed", "response": {"id": "r",
        "status": "completed", "output": [],
        "usage": {"input_tokens": 30, "output_tokens": 12, "total_tokens": 42,
                  "input_tokens_details": {"cached_tokens": 0}}}}),
    ));
    events
}

fn frames(calls: usize, events: &[SseEvent]) -> (Vec<ImageFrame>, ImageEvents) {
    let mut reader = ImageEvents::new(calls, ImageMeta::default(), 1_700_000_000);
    let frames = events.iter().flat_map(|e| reader.on_event(e)).collect();
    (frames, reader)
}

#[test]
fn partial_images_stream_and_the_image_completes_with_its_usage() {
    let (out, reader) = frames(1, &call(2, Some("FINAL"), ""));
    assert_eq!(out.len(), 3);
    let ImageFrame::Partial(first) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        (
            &first["b64_json"],
            &first["partial_image_index"],
            &first["size"]
        ),
        (&json!("part0"), &json!(0), &json!("1024x1024"))
    );
    let ImageFrame::Completed(image) = &out[2] else {
        panic!("{out:?}")
    };
    assert_eq!(image.b64_json, "FINAL");
    assert_eq!(image.usage.input_tokens, 30);
    assert_eq!(image.usage.text_tokens, 30);
    assert_eq!(reader.end(), Some(&StreamEnd::Completed));

    let mut sse = Vec::new();
    out[2].write_sse(ImageRoute::Edit, 7, &mut sse);
    let sse = String::from_utf8(sse).unwrap();
    let (head, data) = sse.split_once("\ndata: ").unwrap();
    assert_eq!(head, "event: image_edit.completed");
    let data: Value = serde_json::from_str(data.trim_end()).unwrap();
    assert_eq!(data["type"], "image_edit.completed");
    assert_eq!(data["created_at"], 7);
    assert_eq!(data["usage"]["total_tokens"], 42);
}

#[test]
fn calls_are_read_one_after_another_and_fold_into_one_answer() {
    let mut events = call(0, Some("ONE"), "");
    events.extend(call(0, Some("TWO"), ""));
    let (out, reader) = frames(2, &events);
    assert_eq!(reader.end(), Some(&StreamEnd::Completed));
    let mut builder = ImagesBuilder::new(5);
    out.iter().for_each(|f| builder.push(f));
    let answer: Value = serde_json::from_slice(&builder.finish().unwrap()).unwrap();
    assert_eq!(
        answer,
        json!({"created": 5,
               "data": [{"b64_json": "ONE", "revised_prompt": "an otter, revised"},
                        {"b64_json": "TWO", "revised_prompt": "an otter, revised"}],
               "background": "opaque", "output_format": "png", "quality": "low",
               "size": "1024x1024",
               "usage": {"total_tokens": 84, "input_tokens": 60, "output_tokens": 24,
                         "input_tokens_details": {"text_tokens": 60, "image_tokens": 0}}})
    );
}

#[test]
fn an_answer_without_an_image_is_a_422_that_says_why() {
    let (out, _) = frames(1, &call(0, None, ""));
    let [ImageFrame::Error(err)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!((err.status(), err.code()), (422, "image_not_generated"));
    assert!(err.to_string().contains("ChatGPT Free"), "{err}");

    let (out, _) = frames(1, &call(0, None, "I can't draw that."));
    let [ImageFrame::Error(err)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert!(err.to_string().contains("I can't draw that"), "{err}");
}

#[test]
fn a_failure_or_a_cut_call_ends_the_answer() {
    let failed = vec![
        ev(json!({"type": "response.created", "response": {"id": "r"}})),
        ev(
            json!({"type": "response.failed", "response": {"id": "r", "status": "failed",
            "error": {"code": "server_is_overloaded", "message": "overloaded"}}}),
        ),
    ];
    let (out, reader) = frames(1, &failed);
    assert!(matches!(out.as_slice(), [ImageFrame::Error(err)] if err.status() == 503));
    assert!(matches!(reader.end(), Some(StreamEnd::Failed(_))));

    // The first call's body ended before its terminal event; the second call's events follow.
    let mut cut = call(0, Some("ONE"), "");
    cut.pop();
    cut.extend(call(0, Some("TWO"), ""));
    let (out, _) = frames(2, &cut);
    let errors: Vec<_> = out
        .iter()
        .filter(|f| matches!(f, ImageFrame::Error(_)))
        .collect();
    assert!(
        matches!(errors.as_slice(), [ImageFrame::Error(err)] if err.code() == "upstream_error"),
        "{out:?}"
    );

    let mut reader = ImageEvents::new(1, ImageMeta::default(), 0);
    let out = reader.finish(StreamEnd::UpstreamEof);
    assert!(matches!(out.as_slice(), [ImageFrame::Error(_)]));
}
