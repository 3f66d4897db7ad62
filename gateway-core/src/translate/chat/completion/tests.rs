use super::*;
use crate::openai::chat_response::CompletionUsage;
use crate::openai::chunk::{ChatCompletionChunk, ChunkDelta, FunctionDelta};
use crate::translate::chat::stream::ChatFrame;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

fn chunk(delta: ChunkDelta, finish_reason: Option<FinishReason>) -> ChatFrame {
    ChatFrame::Chunk(ChatCompletionChunk {
        id: "chatcmpl-1".into(),
        object: "chat.completion.chunk",
        created: 7,
        model: "m".into(),
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason,
        }],
        usage: None,
    })
}

fn content(text: &str) -> ChatFrame {
    chunk(
        ChunkDelta {
            content: Some(text.into()),
            ..ChunkDelta::default()
        },
        None,
    )
}

fn tool(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> ChatFrame {
    chunk(
        ChunkDelta {
            tool_calls: vec![ToolCallDelta {
                index,
                id: id.map(str::to_owned),
                kind: id.map(|_| "function"),
                function: FunctionDelta {
                    name: name.map(str::to_owned),
                    arguments: Some(arguments.into()),
                },
            }],
            ..ChunkDelta::default()
        },
        None,
    )
}

fn fold(frames: &[ChatFrame]) -> Result<Value, GatewayError> {
    let mut builder = ChatCompletionBuilder::new();
    for frame in frames {
        builder.push(frame);
    }
    builder
        .finish()
        .map(|body| serde_json::from_slice(&body).unwrap())
}

fn message(completion: &Value) -> &Value {
    &completion["choices"][0]["message"]
}

#[test]
fn builder_folds_text_reasoning_and_usage() {
    let usage_chunk = ChatFrame::Chunk(ChatCompletionChunk {
        id: "chatcmpl-1".into(),
        object: "chat.completion.chunk",
        created: 7,
        model: "m".into(),
        choices: Vec::new(),
        usage: Some(CompletionUsage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            ..CompletionUsage::default()
        }),
    });
    let thinking = chunk(
        ChunkDelta {
            reasoning_content: Some("hmm".into()),
            ..ChunkDelta::default()
        },
        None,
    );
    let frames = [
        thinking,
        content("a"),
        content("b"),
        chunk(ChunkDelta::default(), Some(FinishReason::Stop)),
        usage_chunk,
        ChatFrame::Done,
    ];
    assert_eq!(
        fold(&frames).unwrap(),
        json!({"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"m",
               "choices":[{"index":0,"message":{"role":"assistant","content":"ab","refusal":null,"reasoning_content":"hmm"},"finish_reason":"stop","logprobs":null}],
               "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})
    );
}

#[test]
fn builder_content_rules() {
    let finish = |r| chunk(ChunkDelta::default(), Some(r));
    let cases: Vec<(&str, Vec<ChatFrame>, Value)> = vec![
        (
            "empty answer is an empty string",
            vec![finish(FinishReason::Stop), ChatFrame::Done],
            json!({"role":"assistant","content":"","refusal":null}),
        ),
        (
            "only tool calls gives null content, fragments joined by index",
            vec![
                tool(1, Some("call_b"), Some("g"), ""),
                tool(0, Some("call_a"), Some("f"), "{"),
                tool(1, None, None, "[]"),
                tool(0, None, None, "}"),
                finish(FinishReason::ToolCalls),
                ChatFrame::Done,
            ],
            json!({"role":"assistant","content":null,"refusal":null,"tool_calls":[
                {"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}},
                {"id":"call_b","type":"function","function":{"name":"g","arguments":"[]"}}]}),
        ),
    ];
    for (name, frames, want) in cases {
        assert_eq!(message(&fold(&frames).unwrap()), &want, "case {name}");
    }
}

#[test]
fn builder_fails_like_the_stream() {
    let err = GatewayError::upstream_error("boom");
    assert_eq!(
        fold(&[content("a"), ChatFrame::Error(err.clone()), ChatFrame::Done]),
        Err(err)
    );
    let cut = fold(&[content("a")]).unwrap_err();
    assert_eq!((cut.status(), cut.code()), (502, "upstream_error"));
    assert!(fold(&[]).is_err());
}
