//! Table-driven tests of `chat_to_responses`: every mapping, every refusal, and no panics.

use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

/// A successful translation: `expect` lists the upstream top-level keys to compare (others are
/// not checked), `absent` the keys that must not be there.
struct Case {
    name: &'static str,
    input: &'static str,
    expect: &'static str,
    absent: &'static [&'static str],
    ignored: &'static [&'static str],
}

const USER_MESSAGES: &str = r#""messages":[{"role":"user","content":"Hi"}]"#;

fn with_user(fields: &str) -> String {
    format!(
        r#"{{"model":"gpt-5",{fields}{}{USER_MESSAGES}}}"#,
        if fields.is_empty() { "" } else { "," }
    )
}

const CASES: &[Case] = &[
    Case {
        name: "minimal request gets every required upstream field in order",
        input: r#"{"model":" gpt-5 ","messages":[{"role":"user","content":"Hi"}]}"#,
        expect: r#"{"model":"gpt-5","instructions":"You are a helpful assistant.",
            "input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}],
            "store":false,"stream":true,"include":["reasoning.encrypted_content"]}"#,
        absent: &[
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "reasoning",
            "text",
            "prompt_cache_key",
        ],
        ignored: &[],
    },
    Case {
        name: "system and developer messages join into instructions",
        input: r#"{"model":"m","messages":[{"role":"system","content":"Be terse."},
            {"role":"developer","content":[{"type":"text","text":"Use tools."},{"type":"text","text":"Always."}]},
            {"role":"system","content":"  "},{"role":"user","content":"Hi"}]}"#,
        expect: r#"{"instructions":"Be terse.\n\nUse tools.\nAlways."}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "user parts map to input_text, input_image and input_file",
        input: r#"{"model":"m","messages":[{"role":"user","content":[
            {"type":"text","text":"look"},
            {"type":"image_url","image_url":{"url":"https://x/y.png"}},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"high"}},
            {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBE","filename":"a.pdf"}}]}]}"#,
        expect: r#"{"input":[{"type":"message","role":"user","content":[
            {"type":"input_text","text":"look"},
            {"type":"input_image","image_url":"https://x/y.png","detail":"auto"},
            {"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"high"},
            {"type":"input_file","file_data":"data:application/pdf;base64,JVBE","filename":"a.pdf"}]}]}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "assistant text comes before its tool calls and tool results follow",
        input: r#"{"model":"m","messages":[{"role":"user","content":"Weather?"},
            {"role":"assistant","content":"Checking.","tool_calls":[
                {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"SF\"}"}},
                {"id":"call_b","function":{"name":"get_time","arguments":""}}]},
            {"role":"tool","tool_call_id":"call_a","content":"{\"t\":18}"},
            {"role":"tool","tool_call_id":"call_b","content":[{"type":"text","text":"noon"},{"type":"text","text":"UTC"}]}]}"#,
        expect: r#"{"input":[
            {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather?"}]},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
            {"type":"function_call","call_id":"call_a","name":"get_weather","arguments":"{\"city\":\"SF\"}"},
            {"type":"function_call","call_id":"call_b","name":"get_time","arguments":"{}"},
            {"type":"function_call_output","call_id":"call_a","output":"{\"t\":18}"},
            {"type":"function_call_output","call_id":"call_b","output":"noon\nUTC"}]}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "assistant with null content yields only calls; missing ids are synthesised",
        input: r#"{"model":"m","messages":[{"role":"user","content":"x"},
            {"role":"assistant","content":null,"tool_calls":[{"function":{"name":"f"}}]},
            {"role":"tool","tool_call_id":"call_1_0","content":null}]}"#,
        expect: r#"{"input":[
            {"type":"message","role":"user","content":[{"type":"input_text","text":"x"}]},
            {"type":"function_call","call_id":"call_1_0","name":"f","arguments":"{}"},
            {"type":"function_call_output","call_id":"call_1_0","output":""}]}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "assistant parts become output_text and refusal",
        input: r#"{"model":"m","messages":[{"role":"user","content":"x"},
            {"role":"assistant","content":[{"type":"text","text":"a"},{"type":"refusal","refusal":"no"}]},
            {"role":"assistant","content":""}]}"#,
        expect: r#"{"input":[
            {"type":"message","role":"user","content":[{"type":"input_text","text":"x"}]},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"a"},{"type":"refusal","refusal":"no"}]}]}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "tool result with an image stays a list of parts",
        input: r#"{"model":"m","messages":[{"role":"user","content":"x"},
            {"role":"assistant","tool_calls":[{"id":"c","function":{"name":"shot","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"c","content":[{"type":"text","text":"here"},{"type":"image_url","image_url":{"url":"data:image/png;base64,QQ=="}}]}]}"#,
        expect: r#"{"input":[
            {"type":"message","role":"user","content":[{"type":"input_text","text":"x"}]},
            {"type":"function_call","call_id":"c","name":"shot","arguments":"{}"},
            {"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"here"},
                {"type":"input_image","image_url":"data:image/png;base64,QQ==","detail":"auto"}]}]}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "legacy functions, function_call and function results are matched by id",
        input: r#"{"model":"m","functions":[{"name":"lookup","parameters":{"type":"object"}}],"function_call":{"name":"lookup"},
            "messages":[{"role":"user","content":"x"},
            {"role":"assistant","content":null,"function_call":{"name":"lookup","arguments":"{\"q\":1}"}},
            {"role":"function","name":"lookup","content":"found"}]}"#,
        expect: r#"{"input":[
            {"type":"message","role":"user","content":[{"type":"input_text","text":"x"}]},
            {"type":"function_call","call_id":"call_legacy_1","name":"lookup","arguments":"{\"q\":1}"},
            {"type":"function_call_output","call_id":"call_legacy_1","output":"found"}],
            "tools":[{"type":"function","name":"lookup","parameters":{"type":"object"}}],
            "tool_choice":{"type":"function","name":"lookup"}}"#,
        absent: &["parallel_tool_calls"],
        ignored: &[],
    },
    Case {
        name: "function tools flatten; other tools pass through; choice and parallel forwarded",
        input: r#"{"model":"m","messages":[{"role":"user","content":"x"}],
            "tools":[{"type":"function","function":{"name":"lookup_weather","description":"d","strict":true,
                "parameters":{"type":"object","properties":{"n":{"type":"integer","maximum":12345678901234567890123}}}}},
                {"type":"function","function":{"name":"noargs"}},
                {"type":"web_search","search_context_size":"low"}],
            "tool_choice":{"type":"function","function":{"name":"lookup_weather"}},
            "parallel_tool_calls":true}"#,
        expect: r#"{"tools":[
            {"type":"function","name":"lookup_weather","description":"d",
             "parameters":{"type":"object","properties":{"n":{"type":"integer","maximum":12345678901234567890123}}},"strict":true},
            {"type":"function","name":"noargs","parameters":{"type":"object","properties":{}}},
            {"type":"web_search","search_context_size":"low"}],
            "tool_choice":{"type":"function","name":"lookup_weather"},"parallel_tool_calls":true}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "string tool choice and hosted tool choice objects",
        input: r#"{"model":"m","messages":[{"role":"user","content":"x"}],
            "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","function_call":"auto"}"#,
        expect: r#"{"tool_choice":"required"}"#,
        absent: &[],
        ignored: &["function_call"],
    },
    Case {
        name: "tool options without tools are dropped and reported",
        input: r#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[],"tool_choice":"auto","parallel_tool_calls":false}"#,
        expect: r#"{}"#,
        absent: &["tools", "tool_choice", "parallel_tool_calls"],
        ignored: &["tool_choice", "parallel_tool_calls"],
    },
    Case {
        name: "reasoning_effort gets an auto summary",
        input: r#"{"model":"m","reasoning_effort":"High","messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"reasoning":{"effort":"high","summary":"auto"}}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "reasoning object keeps its summary; reasoning_effort wins on effort",
        input: r#"{"model":"m","reasoning_effort":"low","reasoning":{"effort":"xhigh","summary":"detailed"},"messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"reasoning":{"effort":"low","summary":"detailed"}}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "effort none asks for no summary; summary none omits it",
        input: r#"{"model":"m","reasoning":{"effort":"none"},"messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"reasoning":{"effort":"none"}}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "blank reasoning_effort means no reasoning",
        input: r#"{"model":"m","reasoning_effort":" ","messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{}"#,
        absent: &["reasoning"],
        ignored: &[],
    },
    Case {
        name: "json_schema response format and verbosity go to text",
        input: r#"{"model":"m","verbosity":"low","response_format":{"type":"json_schema","json_schema":{"name":"out","strict":true,
            "schema":{"type":"object","properties":{"a":{"type":"number","default":0.1000000000000000055511151231257827}}}}},
            "messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"text":{"format":{"type":"json_schema","name":"out",
            "schema":{"type":"object","properties":{"a":{"type":"number","default":0.1000000000000000055511151231257827}}},"strict":true},"verbosity":"low"}}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "json_object format; text format is nothing",
        input: r#"{"model":"m","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"text":{"format":{"type":"json_object"}}}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "text response format adds no text object",
        input: r#"{"model":"m","response_format":{"type":"text"},"messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{}"#,
        absent: &["text"],
        ignored: &[],
    },
    Case {
        name: "prompt_cache_key wins over user, which is reported",
        input: r#"{"model":"m","prompt_cache_key":"conv-1","user":"u-9","messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"prompt_cache_key":"conv-1"}"#,
        absent: &[],
        ignored: &["user"],
    },
    Case {
        name: "user becomes the cache key when there is none",
        input: r#"{"model":"m","user":"u-9","messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"prompt_cache_key":"u-9"}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "rejected parameters are dropped and reported; nulls are silent",
        input: r#"{"model":"m","max_tokens":100,"max_completion_tokens":5,"temperature":0.2,"top_p":1,
            "frequency_penalty":0,"presence_penalty":0,"logprobs":true,"top_logprobs":2,"logit_bias":{"1":2},
            "seed":7,"stop":["x"],"n":1,"service_tier":"auto","metadata":{"a":"b"},"store":true,
            "modalities":["text"],"stream_options":{"include_usage":true},"prediction":{"type":"content","content":"x"},
            "seed":null,"wat":1,"audio":null,"messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"store":false}"#,
        absent: &[
            "max_tokens",
            "max_output_tokens",
            "temperature",
            "top_p",
            "n",
            "service_tier",
            "metadata",
            "wat",
            "stop",
        ],
        ignored: &[
            "n",
            "modalities",
            "service_tier",
            "store",
            "stream_options",
            "max_tokens",
            "max_completion_tokens",
            "temperature",
            "top_p",
            "frequency_penalty",
            "presence_penalty",
            "logprobs",
            "top_logprobs",
            "logit_bias",
            "stop",
            "metadata",
            "prediction",
            "wat",
        ],
    },
    Case {
        name: "priority tier and client_metadata are forwarded; store false is honoured silently",
        input: r#"{"model":"m","service_tier":"priority","store":false,"client_metadata":{"x-codex-installation-id":"i"},
            "messages":[{"role":"user","content":"x"}]}"#,
        expect: r#"{"service_tier":"priority","client_metadata":{"x-codex-installation-id":"i"}}"#,
        absent: &[],
        ignored: &[],
    },
    Case {
        name: "message fields without an equivalent are reported once",
        input: r#"{"model":"m","messages":[{"role":"user","content":"x","name":"bob"},{"role":"user","content":"y","name":"al"},
            {"role":"assistant","content":"z","reasoning_content":"hmm","refusal":null}]}"#,
        expect: r#"{}"#,
        absent: &[],
        ignored: &["messages[].name", "messages[].reasoning_content"],
    },
];

fn translate(input: &str) -> (Value, Translated) {
    let translated = chat_to_responses(input.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
    let body: Value = serde_json::from_slice(&translated.body).unwrap();
    (body, translated)
}

#[test]
fn chat_to_responses_maps_every_field() {
    for case in CASES {
        let (body, translated) = translate(case.input);
        let expect: Value =
            serde_json::from_str(case.expect).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        for (key, want) in expect.as_object().unwrap() {
            assert_eq!(
                body.get(key),
                Some(want),
                "case `{}`, key `{key}`",
                case.name
            );
        }
        for key in case.absent {
            assert!(
                body.get(key).is_none(),
                "case `{}`: `{key}` must be absent",
                case.name
            );
        }
        assert_eq!(translated.ignored, case.ignored, "case `{}`", case.name);
    }
}

#[test]
fn upstream_keys_come_in_the_documented_order() {
    let input = with_user(
        r#""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto","parallel_tool_calls":true,
        "reasoning_effort":"low","verbosity":"high","prompt_cache_key":"k","service_tier":"priority""#,
    );
    let (body, _) = translate(&input);
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "model",
            "instructions",
            "input",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "reasoning",
            "text",
            "store",
            "stream",
            "include",
            "prompt_cache_key",
            "service_tier"
        ]
    );
}

#[test]
fn large_numbers_in_schemas_survive_byte_exact() {
    let input = with_user(
        r#""tools":[{"type":"function","function":{"name":"f","parameters":{"maximum":12345678901234567890123,"x":0.1000000000000000055511151231257827}}}]"#,
    );
    let translated = chat_to_responses(input.as_bytes()).unwrap();
    let body = String::from_utf8(translated.body).unwrap();
    assert!(
        body.contains(
            r#"{"maximum":12345678901234567890123,"x":0.1000000000000000055511151231257827}"#
        ),
        "{body}"
    );
}

#[test]
fn reporting_fields_follow_the_client() {
    let (_, t) = translate(&with_user(
        r#""stream":true,"stream_options":{"include_usage":true},"prompt_cache_key":"c""#,
    ));
    assert!(t.stream && t.include_usage);
    assert_eq!(t.session_id.as_deref(), Some("c"));
    assert_eq!(t.model, "gpt-5");
    let (_, t) = translate(&with_user(r#""stream":null"#));
    assert!(!t.stream && !t.include_usage && t.session_id.is_none());
}

#[test]
fn worked_example_of_the_original_gateway_now_translates_fully() {
    let input = r#"{"model":" gpt-5.3-codex ","stream":true,"temperature":0.2,"max_tokens":100,
     "reasoning_effort":"medium","tool_choice":"auto",
     "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
     "messages":[
      {"role":"system","content":"Be terse."},
      {"role":"system","content":[{"type":"text","text":"Use tools."}]},
      {"role":"user","content":"Weather in SF?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function",
         "function":{"name":"get_weather","arguments":"{\"city\":\"SF\"}"}}]},
      {"role":"tool","tool_call_id":"call_a","content":"{\"t\":18}"}]}"#;
    let (body, t) = translate(input);
    assert_eq!(
        body,
        json!({"model":"gpt-5.3-codex","instructions":"Be terse.\n\nUse tools.",
         "input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Weather in SF?"}]},
                  {"type":"function_call","call_id":"call_a","name":"get_weather","arguments":"{\"city\":\"SF\"}"},
                  {"type":"function_call_output","call_id":"call_a","output":"{\"t\":18}"}],
         "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],
         "tool_choice":"auto",
         "reasoning":{"effort":"medium","summary":"auto"},
         "store":false,"stream":true,"include":["reasoning.encrypted_content"]})
    );
    assert_eq!(t.ignored, ["temperature", "max_tokens"]);
}

/// A refused request: the 400's `param` and a fragment of its message.
struct Bad {
    name: &'static str,
    input: &'static str,
    param: Option<&'static str>,
    message: &'static str,
}

#[rustfmt::skip]
const BAD: &[Bad] = &[
    Bad { name: "not json", input: "{", param: None, message: "invalid JSON" },
    Bad { name: "empty body", input: " \n", param: None, message: "request body is empty" },
    Bad { name: "trailing garbage", input: r#"{"model":"m","messages":[{"role":"user","content":"x"}]} x"#, param: None, message: "invalid JSON" },
    Bad { name: "array body", input: "[1]", param: None, message: "request body must be a JSON object" },
    Bad { name: "string body", input: r#""hi""#, param: None, message: "request body must be a JSON object" },
    Bad { name: "missing model", input: r#"{"messages":[{"role":"user","content":"x"}]}"#, param: Some("model"), message: "model is required" },
    Bad { name: "blank model", input: r#"{"model":"  ","messages":[{"role":"user","content":"x"}]}"#, param: Some("model"), message: "model is required" },
    Bad { name: "model not a string", input: r#"{"model":5,"messages":[]}"#, param: Some("model"), message: "invalid type" },
    Bad { name: "missing messages", input: r#"{"model":"m"}"#, param: Some("messages"), message: "messages is required" },
    Bad { name: "empty messages", input: r#"{"model":"m","messages":[]}"#, param: Some("messages"), message: "must not be empty" },
    Bad { name: "messages not an array", input: r#"{"model":"m","messages":{}}"#, param: Some("messages"), message: "invalid type" },
    Bad { name: "only system messages", input: r#"{"model":"m","messages":[{"role":"system","content":"x"}]}"#, param: Some("messages"), message: "at least one user" },
    Bad { name: "stream not a bool", input: r#"{"model":"m","stream":"yes","messages":[]}"#, param: Some("stream"), message: "expected a boolean" },
    Bad { name: "unknown role", input: r#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"bot","content":"x"}]}"#, param: Some("messages[1].role"), message: "unknown variant `bot`" },
    Bad { name: "missing role", input: r#"{"model":"m","messages":[{"content":"x"}]}"#, param: Some("messages[0]"), message: "missing field `role`" },
    Bad { name: "content wrong type", input: r#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":"y"},{"role":"user","content":5}]}"#, param: Some("messages[2].content"), message: "expected a string or an array of content parts" },
    Bad { name: "user without content", input: r#"{"model":"m","messages":[{"role":"user"}]}"#, param: Some("messages[0].content"), message: "is required" },
    Bad { name: "part without type", input: r#"{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}"#, param: Some("messages[0].content[0]"), message: "missing field `type`" },
    Bad { name: "text part without text", input: r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}"#, param: Some("messages[0].content[0].text"), message: "is required" },
    Bad { name: "image url not a string", input: r#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":7}}]}]}"#, param: Some("messages[0].content[0].image_url.url"), message: "expected a string" },
    Bad { name: "image part without image_url", input: r#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#, param: Some("messages[0].content[0].image_url"), message: "is required" },
    Bad { name: "audio input part", input: r#"{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}"#, param: Some("messages[0].content[0].type"), message: "audio input is not supported" },
    Bad { name: "unknown part type", input: r#"{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}"#, param: Some("messages[0].content[0].type"), message: "`video` is not supported in user messages" },
    Bad { name: "image in system message", input: r#"{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"u"}}]}]}"#, param: Some("messages[0].content[0].type"), message: "not supported in system messages" },
    Bad { name: "file part without data", input: r#"{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a"}}]}]}"#, param: Some("messages[0].content[0].file"), message: "file_id or file_data" },
    Bad { name: "tool message without id", input: r#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}"#, param: Some("messages[1].tool_call_id"), message: "tool_call_id is required" },
    Bad { name: "tool message with unknown id", input: r#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"r"}]}"#, param: Some("messages[1].tool_call_id"), message: "matches no earlier assistant tool call" },
    Bad { name: "tool result before its call", input: r#"{"model":"m","messages":[{"role":"tool","tool_call_id":"c","content":"r"},{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f"}}]}]}"#, param: Some("messages[0].tool_call_id"), message: "matches no earlier" },
    Bad { name: "tool call without name", input: r#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"arguments":"{}"}}]}]}"#, param: Some("messages[0].tool_calls[0].function.name"), message: "is required" },
    Bad { name: "tool call without function", input: r#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c"}]}]}"#, param: Some("messages[0].tool_calls[0].function"), message: "is required" },
    Bad { name: "tool call of another type", input: r#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"custom","function":{"name":"f"}}]}]}"#, param: Some("messages[0].tool_calls[0].type"), message: "unsupported tool call type `custom`" },
    Bad { name: "tool call arguments as object", input: r#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":{}}}]}]}"#, param: Some("messages[0].tool_calls[0].function.arguments"), message: "expected a string" },
    Bad { name: "legacy call without name", input: r#"{"model":"m","messages":[{"role":"assistant","function_call":{"arguments":"{}"}}]}"#, param: Some("messages[0].function_call.name"), message: "is required" },
    Bad { name: "function result without a call", input: r#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"function","name":"f","content":"r"}]}"#, param: Some("messages[1]"), message: "answers no earlier assistant function_call" },
    Bad { name: "function result for another name", input: r#"{"model":"m","messages":[{"role":"assistant","function_call":{"name":"g"}},{"role":"function","name":"f","content":"r"}]}"#, param: Some("messages[1]"), message: "answers no earlier" },
    Bad { name: "tools not an array", input: r#"{"model":"m","tools":{},"messages":[]}"#, param: Some("tools"), message: "invalid type" },
    Bad { name: "tool not an object", input: r#"{"model":"m","tools":[1],"messages":[]}"#, param: Some("tools[0]"), message: "invalid type" },
    Bad { name: "tool without type or function", input: r#"{"model":"m","tools":[{}],"messages":[]}"#, param: Some("tools[0]"), message: "missing field `type`" },
    Bad { name: "function tool without function", input: r#"{"model":"m","tools":[{"type":"function"}],"messages":[]}"#, param: Some("tools[0]"), message: "missing field `function`" },
    Bad { name: "function tool with bad description", input: r#"{"model":"m","tools":[{"type":"function","function":{"name":"f","description":3}}],"messages":[]}"#, param: Some("tools[0]"), message: "function.description: invalid type" },
    Bad { name: "function tool without name", input: r#"{"model":"m","tools":[{"type":"function","function":{}}],"messages":[{"role":"user","content":"x"}]}"#, param: Some("tools[0].function.name"), message: "is required" },
    Bad { name: "legacy function without name", input: r#"{"model":"m","functions":[{"description":"d"}],"messages":[{"role":"user","content":"x"}]}"#, param: Some("functions[0].name"), message: "is required" },
    Bad { name: "nonsense tool_choice string", input: r#"{"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"always","messages":[{"role":"user","content":"x"}]}"#, param: Some("tool_choice"), message: "must be none, auto, required" },
    Bad { name: "tool_choice function without name", input: r#"{"model":"m","tool_choice":{"type":"function","function":{}},"messages":[]}"#, param: Some("tool_choice"), message: "function.name is required" },
    Bad { name: "tool_choice number", input: r#"{"model":"m","tool_choice":3,"messages":[]}"#, param: Some("tool_choice"), message: "expected a string or an object" },
    Bad { name: "nonsense reasoning_effort", input: r#"{"model":"m","reasoning_effort":"extreme","messages":[{"role":"user","content":"x"}]}"#, param: Some("reasoning_effort"), message: "must be one of none, minimal" },
    Bad { name: "nonsense reasoning.effort", input: r#"{"model":"m","reasoning":{"effort":"lots"},"messages":[{"role":"user","content":"x"}]}"#, param: Some("reasoning.effort"), message: "got `lots`" },
    Bad { name: "nonsense reasoning.summary", input: r#"{"model":"m","reasoning":{"summary":"short"},"messages":[{"role":"user","content":"x"}]}"#, param: Some("reasoning.summary"), message: "must be one of auto" },
    Bad { name: "nonsense verbosity", input: r#"{"model":"m","verbosity":"loud","messages":[{"role":"user","content":"x"}]}"#, param: Some("verbosity"), message: "must be one of low" },
    Bad { name: "unknown response_format", input: r#"{"model":"m","response_format":{"type":"xml"},"messages":[{"role":"user","content":"x"}]}"#, param: Some("response_format.type"), message: "got `xml`" },
    Bad { name: "json_schema without spec", input: r#"{"model":"m","response_format":{"type":"json_schema"},"messages":[{"role":"user","content":"x"}]}"#, param: Some("response_format.json_schema"), message: "is required" },
    Bad { name: "json_schema without schema", input: r#"{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"x"}},"messages":[{"role":"user","content":"x"}]}"#, param: Some("response_format.json_schema.schema"), message: "is required" },
    Bad { name: "json_schema without name", input: r#"{"model":"m","response_format":{"type":"json_schema","json_schema":{"schema":{}}},"messages":[]}"#, param: Some("response_format.json_schema"), message: "missing field `name`" },
    Bad { name: "n above one", input: r#"{"model":"m","n":2,"messages":[{"role":"user","content":"x"}]}"#, param: Some("n"), message: "exactly one choice" },
    Bad { name: "n negative", input: r#"{"model":"m","n":-1,"messages":[]}"#, param: Some("n"), message: "invalid value" },
    Bad { name: "audio modality", input: r#"{"model":"m","modalities":["text","audio"],"messages":[{"role":"user","content":"x"}]}"#, param: Some("modalities"), message: "audio output is not supported" },
    Bad { name: "audio parameter", input: r#"{"model":"m","audio":{"voice":"alloy"},"messages":[{"role":"user","content":"x"}]}"#, param: Some("audio"), message: "audio output is not supported" },
];

#[test]
fn chat_to_responses_refuses_bad_input_naming_the_field() {
    for case in BAD {
        let err = match chat_to_responses(case.input.as_bytes()) {
            Ok(t) => panic!(
                "case `{}` was accepted: {}",
                case.name,
                String::from_utf8_lossy(&t.body)
            ),
            Err(err) => err,
        };
        assert_eq!(err.status(), 400, "case `{}`: {err:?}", case.name);
        assert_eq!(err.code(), "invalid_request", "case `{}`", case.name);
        assert_eq!(err.param(), case.param, "case `{}`: {err}", case.name);
        assert!(
            err.to_string().contains(case.message),
            "case `{}`: message was `{err}`",
            case.name
        );
        if case.param.is_some() {
            // Paths say where; serde_json's positions are noise once a path is given.
            assert!(
                !err.to_string().contains(" at line "),
                "case `{}`: `{err}`",
                case.name
            );
        }
    }
}

#[test]
fn every_listed_policy_is_what_extra_policy_returns() {
    for (name, policy) in EXTRA_POLICY {
        assert_eq!(extra_policy(name), *policy, "{name}");
    }
    assert_eq!(extra_policy("never-heard-of-it"), ExtraPolicy::Ignore);
}

proptest! {
    #[test]
    fn chat_to_responses_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = chat_to_responses(&bytes);
    }

    #[test]
    fn chat_to_responses_never_panics_on_json(value in arb_json()) {
        assert_upstream_invariants(&value)?;
    }

    #[test]
    fn chat_to_responses_never_panics_on_arbitrary_messages(
        messages in prop::collection::vec(prop_oneof![arb_message(), arb_json()], 1..6),
        extra in arb_json(),
    ) {
        assert_upstream_invariants(&json!({"model": "m", "messages": messages, "tools": [extra]}))?;
    }
}

fn assert_upstream_invariants(value: &Value) -> Result<(), TestCaseError> {
    {
        let body = serde_json::to_vec(value).unwrap();
        if let Ok(t) = chat_to_responses(&body) {
            let upstream: Value = serde_json::from_slice(&t.body).unwrap();
            prop_assert_eq!(&upstream["store"], &json!(false));
            prop_assert_eq!(&upstream["stream"], &json!(true));
            prop_assert!(upstream["instructions"].is_string());
        }
        Ok(())
    }
}

/// Plausible chat messages, so that translations also succeed and their output is checked.
fn arb_message() -> impl Strategy<Value = Value> {
    use prop::option::of;
    use prop::sample::select;
    let file = prop_oneof![3 => Just(json!({"file_id": "f"})), 1 => arb_json()];
    let part = (select(vec!["text", "image_url", "refusal", "file", "input_audio"]), file)
        .prop_map(|(kind, file)| json!({"type": kind, "text": "t", "refusal": "r", "image_url": {"url": "u"}, "file": file}));
    let content = prop_oneof![
        Just(Value::Null),
        "[a-z ]{0,6}".prop_map(Value::from),
        prop::collection::vec(part, 0..3).prop_map(Value::Array),
    ];
    let call = (
        of(select(vec!["c1", "c2"])),
        of(select(vec!["f", "g", " "])),
    )
        .prop_map(|(id, name)| json!({"id": id, "function": {"name": name, "arguments": "{}"}}));
    let role = select(vec![
        "system",
        "developer",
        "user",
        "assistant",
        "tool",
        "function",
    ]);
    let ids = of(select(vec!["c1", "c2", "call_0_0", "call_legacy_0"]));
    let legacy = of(select(vec!["f", "g"]).prop_map(|name| json!({"name": name})));
    (
        role,
        content,
        of(prop::collection::vec(call, 0..3)),
        ids,
        of(select(vec!["f", "g"])),
        legacy,
    )
        .prop_map(
            |(role, content, tool_calls, tool_call_id, name, function_call)| {
                json!({"role": role, "content": content, "tool_calls": tool_calls,
                "tool_call_id": tool_call_id, "name": name, "function_call": function_call})
            },
        )
}

/// Arbitrary JSON biased towards chat-request shapes, so deep paths get exercised.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "model",
        "messages",
        "role",
        "content",
        "type",
        "text",
        "tools",
        "function",
        "name",
        "arguments",
        "tool_calls",
        "tool_call_id",
        "image_url",
        "url",
        "tool_choice",
        "reasoning",
        "effort",
        "summary",
        "response_format",
        "json_schema",
        "schema",
        "n",
        "stream",
        "id",
        "function_call",
        "functions",
        "user",
        "system",
        "assistant",
        "tool",
        "file",
        "x",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![
            "user",
            "assistant",
            "system",
            "developer",
            "tool",
            "function",
            "text",
            "image_url",
            "function",
            "auto",
            "none",
            "required",
            "json_schema",
            "high",
            "m",
            "",
            "call_0_0",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

#[test]
fn long_function_names_are_shortened_everywhere_upstream() {
    let long = format!(
        "mcp__{}__create_issue",
        "github_enterprise_server".repeat(3)
    );
    let other = format!("a_{}", "b".repeat(80));
    let input = format!(
        r#"{{"model":"gpt-5",
        "tools":[{{"type":"function","function":{{"name":"{long}"}}}},
                 {{"type":"function","function":{{"name":"{other}"}}}},
                 {{"type":"function","function":{{"name":"short"}}}}],
        "tool_choice":{{"type":"function","function":{{"name":"{long}"}}}},
        "messages":[{{"role":"user","content":"Hi"}},
          {{"role":"assistant","tool_calls":[{{"id":"c1","type":"function",
             "function":{{"name":"{other}","arguments":"{{}}"}}}}]}},
          {{"role":"tool","tool_call_id":"c1","content":"ok"}}]}}"#
    );
    let (body, t) = translate(&input);
    let short_other: String = other.chars().take(64).collect();
    assert_eq!(
        body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["mcp__create_issue", short_other.as_str(), "short"]
    );
    assert_eq!(body["tool_choice"]["name"], "mcp__create_issue");
    assert_eq!(body["input"][1]["name"], short_other.as_str());
    assert_eq!(t.tool_names.client("mcp__create_issue"), long);
    assert_eq!(t.tool_names.client(&short_other), other);
    assert_eq!(t.tool_names.client("short"), "short");
}

#[test]
fn names_within_the_limit_leave_nothing_to_restore() {
    let (_, t) = translate(&with_user(
        r#""tools":[{"type":"function","function":{"name":"get_weather"}}]"#,
    ));
    assert!(t.tool_names.is_empty());
}

#[test]
fn shortened_names_avoid_forwarded_tools_and_cover_legacy_functions() {
    let long = format!("mcp__{}__create_issue", "server".repeat(12));
    let input = format!(
        r#"{{"model":"gpt-5",
        "tools":[{{"type":"function","function":{{"name":"{long}"}}}},
                 {{"type":"custom","custom":{{"name":"mcp__create_issue"}}}}],
        "messages":[{{"role":"user","content":"Hi"}}]}}"#
    );
    let (body, t) = translate(&input);
    assert_eq!(body["tools"][0]["name"], "mcp__create_issue_1");
    assert_eq!(body["tools"][1]["custom"]["name"], "mcp__create_issue");
    assert_eq!(t.tool_names.client("mcp__create_issue_1"), long);

    let legacy = format!(
        r#"{{"model":"gpt-5","functions":[{{"name":"{long}"}}],"function_call":{{"name":"{long}"}},
        "messages":[{{"role":"user","content":"Hi"}},
          {{"role":"assistant","function_call":{{"name":"{long}","arguments":"{{}}"}}}},
          {{"role":"function","name":"{long}","content":"ok"}}]}}"#
    );
    let (body, _) = translate(&legacy);
    assert_eq!(body["tools"][0]["name"], "mcp__create_issue");
    assert_eq!(body["tool_choice"]["name"], "mcp__create_issue");
    assert_eq!(body["input"][1]["name"], "mcp__create_issue");
    assert!(!body.to_string().contains(&long), "{body}");
}

#[test]
fn echoed_think_blocks_are_not_sent_back_as_answer_text() {
    let cases = [
        (
            "<think>A\n\nB</think>\n\nThe answer.",
            json!([{"type":"output_text","text":"The answer."}]),
        ),
        ("  <think>only reasoning</think>", json!(null)),
        (
            "<think>unclosed",
            json!([{"type":"output_text","text":"<think>unclosed"}]),
        ),
        (
            "Answer with <think>inside</think>",
            json!([{"type":"output_text","text":"Answer with <think>inside</think>"}]),
        ),
    ];
    for (content, want) in cases {
        let input = json!({"model":"gpt-5","messages":[
            {"role":"user","content":"Hi"},
            {"role":"assistant","content":content},
            {"role":"user","content":"Go on"}]});
        let (body, _) = translate(&input.to_string());
        let assistant = body["input"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["role"] == "assistant");
        assert_eq!(
            assistant.map_or(json!(null), |a| a["content"].clone()),
            want,
            "{content}"
        );
    }
    let parts = json!({"model":"gpt-5","messages":[
        {"role":"user","content":"Hi"},
        {"role":"assistant","content":[{"type":"text","text":"<think>r</think>x"},{"type":"text","text":"y"}]}]});
    let (body, _) = translate(&parts.to_string());
    assert_eq!(
        body["input"][1]["content"],
        json!([{"type":"output_text","text":"x"},{"type":"output_text","text":"y"}])
    );
}
