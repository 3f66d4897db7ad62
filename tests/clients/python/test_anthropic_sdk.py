"""The official `anthropic` Python SDK against the gateway's Anthropic Messages API.

`anthropic.Anthropic(base_url=gateway_url)` appends `/v1/messages` itself, as it does for
api.anthropic.com. Answers are checked against the fixtures the fake Codex backend streams
(`testing/fixtures/stream/<case>/upstream.sse`): the gateway builds every Anthropic object
itself, so the client validates them strictly (`_strict_response_validation=True`: any field
the SDK's types require and the answer lacks raises `APIResponseValidationError`).
"""

from __future__ import annotations

import json
import re

import anthropic
import pytest
from anthropic.types import Message, MessageTokensCount, TextBlock, ThinkingBlock, ToolUseBlock

from helpers import model, responses_golden

# Tools matching the `tool_calls_parallel` fixture (get_weather + get_time), Anthropic's shape.
TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather in a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city", "unit"],
        },
    },
    {
        "name": "get_time",
        "description": "Current time in a time zone",
        "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
    },
]

HI = [{"role": "user", "content": "Hi"}]
THINKING = {"type": "enabled", "budget_tokens": 2048}


def client(gateway, strict: bool = True, **kwargs) -> anthropic.Anthropic:
    if "auth_token" not in kwargs:
        kwargs.setdefault("api_key", gateway.api_key)
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 30)
    return anthropic.Anthropic(base_url=gateway.gateway_url, _strict_response_validation=strict, **kwargs)


def golden_text(case: str) -> str:
    """The assistant text of a fixture case."""
    message = next(o for o in responses_golden(case)["output"] if o["type"] == "message")
    return "".join(part["text"] for part in message["content"])


def golden_calls(case: str) -> list[tuple[str, str, dict]]:
    """The fixture's function calls as (call_id, name, arguments)."""
    return [
        (o["call_id"], o["name"], json.loads(o["arguments"]))
        for o in responses_golden(case)["output"]
        if o["type"] == "function_call"
    ]


def golden_reasoning(case: str) -> tuple[str, str]:
    """The fixture's reasoning item: its summary texts joined, and its encrypted content."""
    item = next(o for o in responses_golden(case)["output"] if o["type"] == "reasoning")
    return "\n\n".join(s["text"] for s in item["summary"]), item["encrypted_content"]


def last_input(gateway) -> list[dict]:
    return json.loads(gateway.last_generation_request()["body"])["input"]


# --- text --------------------------------------------------------------------------------------


def test_messages_create_text(gateway):
    gateway.clear_upstream_requests()
    raw = client(gateway).messages.with_raw_response.create(
        model=model("text"), max_tokens=1024, system="Be terse.", messages=HI
    )
    assert raw.headers.get("x-request-id")
    message = raw.parse()
    assert isinstance(message, Message)
    assert message.id.startswith("msg_")
    assert message.type == "message" and message.role == "assistant"
    assert message.model == model("text"), "the model comes back as the client named it"
    assert message.stop_reason == "end_turn"
    assert [type(b) for b in message.content] == [TextBlock]
    assert message.content[0].text == golden_text("text")
    usage = responses_golden("text")["usage"]
    assert message.usage.output_tokens == usage["output_tokens"]
    assert message.usage.input_tokens + (message.usage.cache_read_input_tokens or 0) == usage["input_tokens"]
    sent = json.loads(gateway.last_generation_request()["body"])
    assert sent["instructions"] == "Be terse."
    assert "max_tokens" not in sent and "max_output_tokens" not in sent


def test_auth_token_is_sent_as_bearer(gateway):
    message = client(gateway, auth_token=gateway.api_key).messages.create(
        model=model("text"), max_tokens=64, messages=HI
    )
    assert message.content[0].text == golden_text("text")


def test_thinking_is_not_shown_unless_asked_for(gateway):
    message = client(gateway).messages.create(model=model("reasoning_summary"), max_tokens=64, messages=HI)
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == golden_text("reasoning_summary")


# --- stream ------------------------------------------------------------------------------------


def test_messages_stream_helper(gateway):
    with client(gateway).messages.stream(model=model("text"), max_tokens=1024, messages=HI) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1, "the text arrives as deltas"
    assert "".join(pieces) == golden_text("text")
    assert final.stop_reason == "end_turn"
    assert final.content[0].text == golden_text("text")
    assert final.usage.output_tokens == responses_golden("text")["usage"]["output_tokens"]


def test_messages_create_stream_events(gateway):
    events = list(client(gateway).messages.create(model=model("text"), max_tokens=1024, messages=HI, stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"], kinds
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 1, kinds
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
    assert text == golden_text("text")
    delta = next(e for e in events if e.type == "message_delta")
    assert delta.delta.stop_reason == "end_turn"


# --- tools -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_tool_use_blocks_then_results(gateway, stream):
    c = client(gateway)
    ask = dict(model=model("tool_calls_parallel"), max_tokens=1024, tools=TOOLS,
               messages=[{"role": "user", "content": "Weather and time in Paris?"}])
    if stream:
        with c.messages.stream(**ask) as s:
            message = s.get_final_message()
    else:
        message = c.messages.create(**ask)
    assert message.stop_reason == "tool_use"
    assert all(isinstance(b, ToolUseBlock) for b in message.content), message.content
    assert [(b.id, b.name, b.input) for b in message.content] == golden_calls("tool_calls_parallel")

    gateway.clear_upstream_requests()
    results = [{"type": "tool_result", "tool_use_id": b.id, "content": f"{b.name}: ok"} for b in message.content]
    answer = c.messages.create(
        model=model("text"), max_tokens=1024, tools=TOOLS,
        messages=[*ask["messages"], message.to_param(), {"role": "user", "content": results}],
    )
    assert answer.content[0].text == golden_text("text")
    sent = last_input(gateway)
    calls = [(i["call_id"], i["name"], json.loads(i["arguments"])) for i in sent if i.get("type") == "function_call"]
    assert calls == golden_calls("tool_calls_parallel")
    outputs = [i for i in sent if i.get("type") == "function_call_output"]
    assert [o["call_id"] for o in outputs] == [c[0] for c in golden_calls("tool_calls_parallel")]
    assert "get_weather: ok" in json.dumps(outputs[0]["output"])


# --- thinking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_thinking_round_trip(gateway, stream):
    c = client(gateway)
    ask = dict(model=model("reasoning_summary"), max_tokens=4096, thinking=THINKING,
               messages=[{"role": "user", "content": "A haiku"}])
    if stream:
        with c.messages.stream(**ask) as s:
            thoughts = [e.thinking for e in s if e.type == "thinking"]
            message = s.get_final_message()
        assert thoughts, "the thinking arrives as deltas"
    else:
        message = c.messages.create(**ask)
    summary, encrypted = golden_reasoning("reasoning_summary")
    assert [b.type for b in message.content] == ["thinking", "text"]
    thinking = message.content[0]
    assert isinstance(thinking, ThinkingBlock)
    assert re.fullmatch(r"cgw2\.[0-9a-f]{8}\..+", thinking.signature), thinking.signature
    assert thinking.signature.endswith("." + encrypted)
    assert thinking.thinking == summary
    assert message.content[1].text == golden_text("reasoning_summary")
    sent = json.loads(gateway.last_generation_request()["body"])
    assert sent["reasoning"]["summary"] == "auto"

    # The next turn sends the signed block back verbatim: the reasoning item goes upstream.
    gateway.clear_upstream_requests()
    # The same backend model: a signature is bound to the model that reasoned.
    again = c.messages.create(
        model=model("reasoning_summary"), max_tokens=4096, thinking=THINKING,
        messages=[*ask["messages"], message.to_param(), {"role": "user", "content": "Another"}],
    )
    assert again.stop_reason == "end_turn"
    reasoning = [i for i in last_input(gateway) if i.get("type") == "reasoning"]
    assert len(reasoning) == 1, last_input(gateway)
    assert reasoning[0]["encrypted_content"] == encrypted


def test_foreign_thinking_signature_is_dropped_not_refused(gateway):
    gateway.clear_upstream_requests()
    message = client(gateway).messages.create(
        model=model("text"), max_tokens=4096, thinking=THINKING,
        messages=[
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "EqQBCkgIARABGAIiQ"},
                {"type": "text", "text": "Hello"},
            ]},
            {"role": "user", "content": "Again"},
        ],
    )
    assert message.stop_reason == "end_turn"
    assert not [i for i in last_input(gateway) if i.get("type") == "reasoning"]


# --- count_tokens, models ------------------------------------------------------------------------


def test_count_tokens(gateway):
    gateway.clear_upstream_requests()
    c = client(gateway)
    small = c.messages.count_tokens(model=model("text"), messages=HI)
    assert isinstance(small, MessageTokensCount)
    assert small.input_tokens > 0
    larger = c.messages.count_tokens(
        model=model("text"), system="Be terse. " * 50, tools=TOOLS,
        messages=[{"role": "user", "content": "Weather and time in Paris? " * 20}],
    )
    assert larger.input_tokens > small.input_tokens
    assert not [r for r in gateway.upstream_requests() if r["method"] == "POST"], "no upstream call"


def test_models_list(gateway):
    page = client(gateway).models.list()
    ids = [m.id for m in page.data]
    assert "gpt-5.4" in ids
    for m in page.data:
        assert m.type == "model" and m.display_name and m.created_at and m.lifecycle == "active"


# --- errors ------------------------------------------------------------------------------------


def test_rate_limit_error(gateway):
    with pytest.raises(anthropic.RateLimitError) as caught:
        client(gateway).messages.create(model=model("status-429"), max_tokens=64, messages=HI)
    err = caught.value
    assert err.status_code == 429
    assert err.type == "rate_limit_error"
    assert err.body["type"] == "error" and err.api_message
    assert err.response.headers.get("retry-after")


def test_rate_limit_error_on_a_stream(gateway):
    with pytest.raises(anthropic.RateLimitError) as caught:
        with client(gateway).messages.stream(model=model("status-429"), max_tokens=64, messages=HI) as s:
            s.get_final_message()
    assert caught.value.type == "rate_limit_error"


def test_overloaded_error(gateway):
    with pytest.raises(anthropic.InternalServerError) as caught:
        client(gateway).messages.create(model=model("failed_overloaded"), max_tokens=64, messages=HI)
    assert caught.value.status_code == 503
    assert caught.value.type == "overloaded_error"


@pytest.mark.parametrize("how", ["api_key", "auth_token"])
def test_wrong_key_is_authentication_error(gateway, how):
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client(gateway, **{how: "sk-wrong"}).messages.create(model=model("text"), max_tokens=64, messages=HI)
    assert caught.value.status_code == 401
    assert caught.value.type == "authentication_error"


def test_empty_messages_is_bad_request(gateway):
    with pytest.raises(anthropic.BadRequestError) as caught:
        client(gateway).messages.create(model=model("text"), max_tokens=64, messages=[])
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert "messages" in caught.value.api_message
