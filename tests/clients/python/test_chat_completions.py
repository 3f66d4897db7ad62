"""The official `openai` Python SDK against `POST /v1/chat/completions` (codex_oauth mode).

Every answer must come back as the SDK's typed objects, with no validation error (the client is
built with `_strict_response_validation=True`), and must match the golden fixtures the fake
Codex backend streams.
"""

from __future__ import annotations

import json
import time

import openai
import pydantic
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.completion_usage import CompletionUsage

from helpers import USER_HI, WEATHER_TOOLS, chat_golden, client, error_golden, model


def collect(stream) -> list[ChatCompletionChunk]:
    chunks = list(stream)
    assert chunks, "empty stream"
    for chunk in chunks:
        assert isinstance(chunk, ChatCompletionChunk)
    return chunks


def content_of(chunks) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# --- models ------------------------------------------------------------------------------------


def test_models_list(gateway):
    page = client(gateway).models.list()
    ids = [m.id for m in page.data]
    assert "gpt-5.4" in ids
    for m in page.data:
        assert isinstance(m, openai.types.Model)
        assert m.object == "model" and m.owned_by


# --- non-stream --------------------------------------------------------------------------------


def test_chat_non_stream_text(gateway):
    golden = chat_golden("text")
    raw = client(gateway).chat.completions.with_raw_response.create(
        model=model("text"),
        messages=[{"role": "system", "content": "Be terse."}, *USER_HI],
    )
    assert raw.headers.get("x-request-id")
    assert "x-codex-gateway-ignored-params" not in raw.headers
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == model("text")
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == golden["choices"][0]["message"]["content"]
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    assert isinstance(completion.usage, CompletionUsage)
    assert completion.usage.model_dump(exclude_none=True) == golden["usage"]


def test_chat_ignored_params_are_named(gateway):
    raw = client(gateway).chat.completions.with_raw_response.create(
        model=model("text"),
        messages=USER_HI,
        temperature=0.2,
        max_tokens=100,
        top_p=0.9,
        seed=7,
    )
    named = {p.strip() for p in raw.headers["x-codex-gateway-ignored-params"].split(",")}
    assert named == {"temperature", "max_tokens", "top_p", "seed"}
    assert raw.parse().choices[0].finish_reason == "stop"
    upstream = json.loads(gateway.last_generation_request()["body"])
    for name in named:
        assert name not in upstream


def test_chat_request_id_is_echoed(gateway):
    raw = client(gateway).chat.completions.with_raw_response.create(
        model=model("text"), messages=USER_HI, extra_headers={"x-request-id": "py-req-42"}
    )
    assert raw.headers["x-request-id"] == "py-req-42"
    assert gateway.last_generation_request()["headers"].get("x-request-id") == "py-req-42"


def test_chat_usage_details(gateway):
    golden = chat_golden("usage_cached_reasoning")
    completion = client(gateway).chat.completions.create(
        model=model("usage_cached_reasoning"), messages=USER_HI
    )
    usage = completion.usage
    assert usage.prompt_tokens_details.cached_tokens == golden["usage"]["prompt_tokens_details"]["cached_tokens"]
    assert usage.completion_tokens_details.reasoning_tokens == golden["usage"]["completion_tokens_details"]["reasoning_tokens"]
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


@pytest.mark.parametrize(
    ("case", "finish_reason"),
    [
        ("incomplete_max_output_tokens", "length"),
        ("incomplete_content_filter", "content_filter"),
        ("unknown_event_type", "stop"),
    ],
)
def test_chat_finish_reasons(gateway, case, finish_reason):
    golden = chat_golden(case)
    completion = client(gateway).chat.completions.create(model=model(case), messages=USER_HI)
    assert completion.choices[0].finish_reason == finish_reason
    assert completion.choices[0].message.content == golden["choices"][0]["message"]["content"]


def test_chat_structured_output_request_is_accepted(gateway):
    completion = client(gateway).chat.completions.create(
        model=model("text"),
        messages=USER_HI,
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "greeting",
                "schema": {"type": "object", "properties": {"g": {"type": "string"}}},
                "strict": False,
            },
        },
        verbosity="low",
    )
    assert completion.choices[0].finish_reason == "stop"
    upstream = json.loads(gateway.last_generation_request()["body"])
    assert upstream["text"]["format"]["type"] == "json_schema"
    assert upstream["text"]["verbosity"] == "low"


def test_chat_image_input(gateway):
    completion = client(gateway).chat.completions.create(
        model=model("text"),
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                ],
            }
        ],
    )
    assert completion.choices[0].message.content
    upstream = json.loads(gateway.last_generation_request()["body"])
    parts = upstream["input"][-1]["content"]
    assert {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"} in parts


# --- stream ------------------------------------------------------------------------------------


def test_chat_stream_with_usage(gateway):
    golden = chat_golden("text")
    stream = client(gateway).chat.completions.create(
        model=model("text"),
        messages=USER_HI,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = collect(stream)
    assert len({c.id for c in chunks}) == 1
    assert len({c.created for c in chunks}) == 1
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert content_of(chunks) == golden["choices"][0]["message"]["content"]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert isinstance(last.usage, CompletionUsage)
    assert last.usage.model_dump(exclude_none=True) == golden["usage"]
    assert all(c.usage is None for c in chunks[:-1])


def test_chat_stream_without_usage(gateway):
    chunks = collect(
        client(gateway).chat.completions.create(model=model("text"), messages=USER_HI, stream=True)
    )
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_chat_stream_helper_accumulates(gateway):
    golden = chat_golden("text")
    with client(gateway).chat.completions.stream(
        model=model("text"), messages=USER_HI, stream_options={"include_usage": True}
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "content.delta" in kinds and "content.done" in kinds
    assert final.choices[0].message.content == golden["choices"][0]["message"]["content"]
    assert final.choices[0].finish_reason == "stop"
    assert final.usage.total_tokens == golden["usage"]["total_tokens"]


# --- tool calls --------------------------------------------------------------------------------


def expected_calls(case: str) -> list[tuple[str, str, dict]]:
    calls = chat_golden(case)["choices"][0]["message"]["tool_calls"]
    return [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls]


def test_chat_parallel_tool_calls_non_stream(gateway):
    completion = client(gateway).chat.completions.create(
        model=model("tool_calls_parallel"),
        messages=[{"role": "user", "content": "Weather and time in Paris?"}],
        tools=WEATHER_TOOLS,
        tool_choice="auto",
        parallel_tool_calls=True,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls]
    assert got == expected_calls("tool_calls_parallel")
    assert all(c.type == "function" for c in choice.message.tool_calls)
    upstream = json.loads(gateway.last_generation_request()["body"])
    assert [t["name"] for t in upstream["tools"]] == ["get_weather", "get_time"]
    assert upstream["parallel_tool_calls"] is True


def test_chat_parallel_tool_calls_stream(gateway):
    chunks = collect(
        client(gateway).chat.completions.create(
            model=model("tool_calls_parallel"),
            messages=[{"role": "user", "content": "Weather and time in Paris?"}],
            tools=WEATHER_TOOLS,
            stream=True,
        )
    )
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
            if delta.id:
                assert call["id"] is None, "id repeated on a later fragment"
                call["id"] = delta.id
                assert delta.type == "function"
            if delta.function and delta.function.name:
                call["name"] += delta.function.name
            if delta.function and delta.function.arguments:
                call["arguments"] += delta.function.arguments
    got = [(c["id"], c["name"], json.loads(c["arguments"])) for _, c in sorted(calls.items())]
    assert got == expected_calls("tool_calls_parallel")
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_chat_tool_call_args_in_done_only(gateway):
    completion = client(gateway).chat.completions.create(
        model=model("tool_call_args_in_done"), messages=USER_HI, tools=WEATHER_TOOLS
    )
    got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in completion.choices[0].message.tool_calls]
    assert got == expected_calls("tool_call_args_in_done")


class GetWeather(pydantic.BaseModel):
    city: str
    unit: str


class GetTime(pydantic.BaseModel):
    tz: str


def test_chat_parse_helper_with_pydantic_tools(gateway):
    """`chat.completions.parse` parses tool arguments into the caller's pydantic models."""
    tools = [
        openai.pydantic_function_tool(GetWeather, name="get_weather"),
        openai.pydantic_function_tool(GetTime, name="get_time"),
    ]
    completion = client(gateway).chat.completions.parse(
        model=model("tool_calls_parallel"), messages=USER_HI, tools=tools
    )
    parsed = [c.function.parsed_arguments for c in completion.choices[0].message.tool_calls]
    assert parsed == [GetWeather(city="Paris", unit="c"), GetTime(tz="Europe/Paris")]


def test_chat_stream_helper_with_tools(gateway):
    with client(gateway).chat.completions.stream(
        model=model("tool_calls_parallel"), messages=USER_HI, tools=WEATHER_TOOLS
    ) as stream:
        done = [e for e in stream if e.type == "tool_calls.function.arguments.done"]
        final = stream.get_final_completion()
    assert [e.name for e in done] == ["get_weather", "get_time"]
    assert [json.loads(e.arguments) for e in done] == [a for _, _, a in expected_calls("tool_calls_parallel")]
    assert final.choices[0].finish_reason == "tool_calls"


def test_chat_multi_turn_tool_use(gateway):
    """call → tool results → answer: the SDK's own message objects go back in unchanged."""
    c = client(gateway)
    messages: list = [{"role": "user", "content": "Weather and time in Paris?"}]
    first = c.chat.completions.create(model=model("tool_calls_parallel"), messages=messages, tools=WEATHER_TOOLS)
    assistant = first.choices[0].message
    messages.append(assistant)
    for call in assistant.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"ok": true}'})
    second = c.chat.completions.create(model=model("text"), messages=messages, tools=WEATHER_TOOLS)
    assert second.choices[0].finish_reason == "stop"
    upstream = json.loads(gateway.last_generation_request()["body"])
    kinds = [item.get("type") for item in upstream["input"]]
    assert kinds.count("function_call") == 2 and kinds.count("function_call_output") == 2
    outputs = [i["call_id"] for i in upstream["input"] if i.get("type") == "function_call_output"]
    assert outputs == [call.id for call in assistant.tool_calls]


# --- reasoning ---------------------------------------------------------------------------------


def test_chat_reasoning_non_stream(gateway):
    golden = chat_golden("reasoning_summary")["choices"][0]["message"]
    completion = client(gateway).chat.completions.create(
        model=model("reasoning_summary"), messages=USER_HI, reasoning_effort="high"
    )
    message = completion.choices[0].message
    assert message.content == golden["content"]
    # Not in the SDK's types: kept as an extra field, readable as an attribute.
    assert message.reasoning_content == golden["reasoning_content"]
    assert message.model_extra == {"reasoning_content": golden["reasoning_content"]}
    upstream = json.loads(gateway.last_generation_request()["body"])
    assert upstream["reasoning"] == {"effort": "high", "summary": "auto"}


def test_chat_reasoning_stream(gateway):
    golden = chat_golden("reasoning_summary")["choices"][0]["message"]
    chunks = collect(
        client(gateway).chat.completions.create(
            model=model("reasoning_summary"),
            messages=USER_HI,
            reasoning_effort="medium",
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    reasoning = "".join(
        getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices
    )
    assert reasoning == golden["reasoning_content"]
    assert content_of(chunks) == golden["content"]
    assert chunks[-1].usage.completion_tokens_details.reasoning_tokens > 0


def test_chat_reasoning_stream_helper(gateway):
    golden = chat_golden("reasoning_summary")["choices"][0]["message"]
    with client(gateway).chat.completions.stream(
        model=model("reasoning_summary"), messages=USER_HI, reasoning_effort="low"
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.content == golden["content"]


# --- errors ------------------------------------------------------------------------------------


def test_rate_limit_error_carries_retry_after(gateway):
    c = client(gateway)
    with pytest.raises(openai.RateLimitError) as info:
        c.chat.completions.create(model=model("status-429"), messages=USER_HI)
    err = info.value
    assert err.status_code == 429
    assert err.code == "usage_limit_reached"
    assert err.type == "gateway_error"
    assert err.body["message"] == "The usage limit has been reached"
    assert err.response.headers["retry-after"] == "120"
    assert err.request_id is None or err.response.headers.get("x-request-id")
    # The SDK would wait exactly what the gateway said before its next try.
    options = openai._models.FinalRequestOptions.construct(method="post", url="/chat/completions")
    assert c._calculate_retry_timeout(1, options, err.response.headers) == 120


def test_error_answers_carry_ignored_params_and_rate_limit_headers(gateway):
    with pytest.raises(openai.RateLimitError) as info:
        client(gateway).chat.completions.create(model=model("status-429"), messages=USER_HI, temperature=0.5)
    headers = info.value.response.headers
    assert headers["x-codex-gateway-ignored-params"] == "temperature"
    assert headers["x-codex-primary-used-percent"] == "100"


def test_rate_limit_beyond_sdk_max_is_not_retried(gateway):
    """A usage limit resetting in 30 min: the SDK must give up at once instead of retrying."""
    golden = error_golden("failed_usage_limit")
    c = client(gateway, max_retries=2)
    started = time.monotonic()
    with pytest.raises(openai.RateLimitError) as info:
        c.chat.completions.create(model=model("failed_usage_limit"), messages=USER_HI)
    assert time.monotonic() - started < 10
    assert info.value.code == golden["code"]
    assert info.value.response.headers["retry-after"] == str(golden["retry_after"])


def test_rate_limit_before_any_output_in_stream_is_an_http_429(gateway):
    with pytest.raises(openai.RateLimitError) as info:
        client(gateway).chat.completions.create(
            model=model("failed_usage_limit"), messages=USER_HI, stream=True
        )
    assert info.value.response.headers["retry-after"] == "1800"


def test_wrong_key_is_authentication_error(gateway):
    with pytest.raises(openai.AuthenticationError) as info:
        client(gateway, api_key="sk-wrong").chat.completions.create(model=model("text"), messages=USER_HI)
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert info.value.response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n": 2}, "n"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"tool_choice": "sometimes", "tools": WEATHER_TOOLS}, "tool_choice"),
        ({"messages": [{"role": "tool", "tool_call_id": "call_nope", "content": "x"}]}, None),
    ],
    ids=["n", "effort", "empty-messages", "unknown-role", "tool-choice", "orphan-tool"],
)
def test_bad_request_is_bad_request_error(gateway, kwargs, param):
    args = {"model": model("text"), "messages": USER_HI, **kwargs}
    with pytest.raises(openai.BadRequestError) as info:
        client(gateway).chat.completions.create(**args)
    err = info.value
    assert err.status_code == 400
    assert err.code == "invalid_request"
    if param is not None:
        assert err.param == param
    assert err.message


def test_upstream_bad_request_keeps_status_and_message(gateway):
    with pytest.raises(openai.BadRequestError) as info:
        client(gateway).chat.completions.create(model=model("status-400"), messages=USER_HI)
    assert info.value.code == "upstream_bad_request"
    assert "temperature" in info.value.message


def test_upstream_not_found(gateway):
    with pytest.raises(openai.NotFoundError) as info:
        client(gateway).chat.completions.create(model=model("status-404"), messages=USER_HI)
    assert info.value.code == "upstream_not_found"


@pytest.mark.parametrize("status", [500, 503])
def test_upstream_5xx_is_502(gateway, status):
    with pytest.raises(openai.InternalServerError) as info:
        client(gateway).chat.completions.create(model=model(f"status-{status}"), messages=USER_HI)
    assert info.value.status_code == 502
    assert info.value.code == "upstream_error"


def test_capacity_error_is_503(gateway):
    golden = error_golden("error_event")
    with pytest.raises(openai.InternalServerError) as info:
        client(gateway).chat.completions.create(model=model("error_event"), messages=USER_HI)
    assert info.value.status_code == golden["status"] == 503
    assert info.value.code == golden["code"]


@pytest.mark.parametrize("case", ["truncated_mid_event", "eof_without_terminal"])
def test_stream_cut_mid_way_raises_api_error(gateway, case):
    """Content first, then the gateway's `data: {"error":…}` event: the SDK raises, no fake stop."""
    golden = error_golden(case)
    stream = client(gateway).chat.completions.create(model=model(case), messages=USER_HI, stream=True)
    seen: list[ChatCompletionChunk] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in stream:
            seen.append(chunk)
    assert seen, "the error should come after some content"
    assert all(c.choices[0].finish_reason is None for c in seen if c.choices)
    assert info.value.code == golden["code"]


@pytest.mark.parametrize("case", ["truncated_mid_event", "eof_without_terminal"])
def test_non_stream_cut_is_502(gateway, case):
    with pytest.raises(openai.InternalServerError) as info:
        client(gateway).chat.completions.create(model=model(case), messages=USER_HI)
    assert info.value.status_code == 502


# --- no buffering ------------------------------------------------------------------------------


def arrival_clusters(times: list[float], gap: float = 0.3) -> int:
    """How many groups of arrivals are separated by at least `gap` seconds."""
    clusters = 1
    for before, after in zip(times, times[1:]):
        if after - before >= gap:
            clusters += 1
    return clusters


def test_chat_stream_is_not_buffered(gateway):
    """The fake pauses 500 ms between upstream events: the SDK must see chunks as they come,
    not all at once at the end. (Load can only add delay, so this cannot pass by accident.)"""
    started = time.monotonic()
    stream = client(gateway).chat.completions.create(model=model("slow-tool_call_args_in_done"), messages=USER_HI, stream=True)
    times = []
    for _ in stream:
        times.append(time.monotonic() - started)
    assert times[-1] >= 2.0, times
    assert arrival_clusters(times) >= 3, times
