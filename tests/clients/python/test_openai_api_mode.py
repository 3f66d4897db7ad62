"""The `openai` SDK through the gateway in `openai_api` mode: every route is relayed to an
OpenAI-style upstream (here the fake, answering golden fixture files) unchanged."""

from __future__ import annotations

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseCompletedEvent

from helpers import USER_HI, WEATHER_TOOLS, chat_golden, client, responses_golden


def _without_nulls(value):
    """The golden file as `model_dump(exclude_none=True)` shows it."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def test_models_are_the_upstream_list(gateway_openai_api):
    ids = [m.id for m in client(gateway_openai_api).models.list().data]
    assert ids == ["gpt-5.4", "gpt-4o"]


def test_chat_non_stream_relayed(gateway_openai_api):
    gw = gateway_openai_api
    golden = chat_golden("text")
    completion = client(gw).chat.completions.create(
        model="gpt-5.4@file:text/chat.json", messages=USER_HI, temperature=0.5
    )
    assert isinstance(completion, ChatCompletion)
    assert completion.model_dump(exclude_none=True) == _without_nulls(golden)
    upstream = gw.last_generation_request()
    assert upstream["path"] == "/v1/chat/completions"
    assert upstream["headers"]["authorization"] == "Bearer sk-upstream-static"
    assert "chatgpt-account-id" not in upstream["headers"]
    assert "originator" not in upstream["headers"]
    assert '"temperature":0.5' in upstream["body"].replace(" ", "")


def test_chat_stream_relayed(gateway_openai_api):
    golden = chat_golden("tool_calls_parallel")
    chunks = list(
        client(gateway_openai_api).chat.completions.create(
            model="gpt-5.4@file:tool_calls_parallel/chat.sse",
            messages=USER_HI,
            tools=WEATHER_TOOLS,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    names = [
        d.function.name for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or [] if d.function.name
    ]
    assert names == [t["function"]["name"] for t in golden["choices"][0]["message"]["tool_calls"]]
    assert chunks[-1].usage.total_tokens == golden["usage"]["total_tokens"]


def test_responses_relayed(gateway_openai_api):
    gw = gateway_openai_api
    # Lenient parsing for Responses objects, as in test_responses.py (the backend's own shape).
    response = client(gw, strict=False).responses.create(model="gpt-5.4@file:text/responses.json", input="hi")
    assert isinstance(response, Response)
    assert response.output_text == responses_golden("text")["output"][1]["content"][0]["text"]
    assert gw.last_generation_request()["path"] == "/v1/responses"
    events = list(client(gw, strict=False).responses.create(model="gpt-5.4@text", input="hi", stream=True))
    assert isinstance(events[-1], ResponseCompletedEvent)


def test_upstream_4xx_relayed(gateway_openai_api):
    try:
        client(gateway_openai_api).chat.completions.create(model="gpt-5.4@status-429", messages=USER_HI)
    except openai.RateLimitError as err:
        assert err.status_code == 429
    else:
        raise AssertionError("expected a 429")
