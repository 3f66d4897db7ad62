"""The official `openai` Python SDK's `client.responses` against `POST /v1/responses`
(codex_oauth mode): stream and non-stream, with the request shape the Codex CLI sends."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
    ResponseTextDeltaEvent,
)

from helpers import FIXTURES, RESPONSES_TOOLS, error_golden, model, responses_golden
from helpers import client as strict_client


def client(gateway, **kwargs):
    """The SDK as users run it: lenient parsing of the backend's own objects (see helpers)."""
    return strict_client(gateway, strict=False, **kwargs)


class Capture:
    """Records the bytes the SDK sends, so tests can compare them with what upstream got."""

    def __init__(self):
        self.bodies: list[bytes] = []

    def http_client(self):
        def hook(request):
            request.read()
            self.bodies.append(bytes(request.content))

        return openai.DefaultHttpxClient(event_hooks={"request": [hook]})


def codex_request(case: str, **overrides) -> dict:
    """A request shaped like the Codex CLI's: tools, reasoning, include, store false."""
    request = {
        "model": model(case),
        "instructions": "You are Codex, a coding agent.",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]}
        ],
        "tools": RESPONSES_TOOLS,
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "store": False,
        "prompt_cache_key": "conv-0199a1b2",
    }
    request.update(overrides)
    return request


def upstream_event_types(case: str) -> list[str]:
    types = []
    for line in (FIXTURES / case / "upstream.sse").read_text().splitlines():
        if line.startswith("data: "):
            try:
                types.append(json.loads(line[6:])["type"])
            except (ValueError, KeyError):
                pass
    return types


def test_responses_stream_codex_shape_is_byte_identical_upstream(gateway):
    """Nothing needs normalising: the backend receives exactly the SDK's bytes."""
    capture = Capture()
    c = client(gateway, http_client=capture.http_client())
    stream = c.responses.create(**codex_request("text"), stream=True)
    events = list(stream)
    sent = capture.bodies[-1]
    upstream = gateway.last_generation_request()
    assert upstream["body"].encode() == sent
    assert upstream["headers"].get("session_id") == "conv-0199a1b2"
    assert isinstance(events[0], ResponseCreatedEvent)
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert [e.type for e in events] == upstream_event_types("text")
    text = "".join(e.delta for e in events if isinstance(e, ResponseTextDeltaEvent))
    assert text == events[-1].response.output_text
    assert text == responses_golden("text")["output"][1]["content"][0]["text"]


def test_responses_stream_relays_headers(gateway):
    c = client(gateway)
    with c.responses.with_streaming_response.create(**codex_request("text"), stream=True) as raw:
        assert raw.headers["content-type"].startswith("text/event-stream")
        assert raw.headers.get("x-request-id")
        assert raw.headers.get("x-codex-primary-used-percent") == "12.5"
        events = list(raw.parse())
    assert isinstance(events[-1], ResponseCompletedEvent)


def test_responses_non_stream_codex_shape(gateway):
    capture = Capture()
    c = client(gateway, http_client=capture.http_client())
    raw = c.responses.with_raw_response.create(**codex_request("text"))
    response = raw.parse()
    assert "x-codex-gateway-ignored-params" not in raw.headers
    assert isinstance(response, Response)
    golden = responses_golden("text")
    assert response.object == "response"
    assert response.status == "completed"
    assert response.id == golden["id"]
    assert response.output_text == golden["output"][1]["content"][0]["text"]
    assert isinstance(response.output[0], ResponseReasoningItem)
    assert isinstance(response.output[1], ResponseOutputMessage)
    assert response.usage.total_tokens == golden["usage"]["total_tokens"]
    # Upstream got the client's body with only `stream` flipped to true, keys in order.
    sent = json.loads(capture.bodies[-1])
    upstream = json.loads(gateway.last_generation_request()["body"])
    assert upstream == {**sent, "stream": True}
    assert [k for k in upstream if k != "stream"] == [k for k in sent if k != "stream"]


def test_responses_stream_helper(gateway):
    with client(gateway).responses.stream(**codex_request("reasoning_summary")) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_response()
    assert "response.reasoning_summary_text.delta" in kinds
    golden = responses_golden("reasoning_summary")
    reasoning = final.output[0]
    assert isinstance(reasoning, ResponseReasoningItem)
    assert [s.text for s in reasoning.summary] == [s["text"] for s in golden["output"][0]["summary"]]
    assert reasoning.encrypted_content == golden["output"][0]["encrypted_content"]
    assert final.output_text == golden["output"][1]["content"][0]["text"]


def test_responses_parallel_tool_calls(gateway):
    golden = [o for o in responses_golden("tool_calls_parallel")["output"] if o["type"] == "function_call"]
    response = client(gateway).responses.create(**codex_request("tool_calls_parallel"))
    calls = [o for o in response.output if isinstance(o, ResponseFunctionToolCall)]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in calls] == [
        (g["call_id"], g["name"], json.loads(g["arguments"])) for g in golden
    ]


def test_responses_multi_turn_with_tool_outputs_and_item_ids(gateway):
    """Round 2 of a Codex turn: the previous output items (with ids the stateless backend
    cannot resolve) plus function_call_output items go back; ids are stripped upstream."""
    c = client(gateway)
    first = c.responses.create(**codex_request("tool_calls_parallel"))
    items = [item.model_dump(exclude_none=True) for item in first.output]
    assert all("id" in i for i in items)
    for call in (i for i in first.output if isinstance(i, ResponseFunctionToolCall)):
        items.append({"type": "function_call_output", "call_id": call.call_id, "output": '{"ok":true}'})
    request = codex_request("text")
    request["input"] = request["input"] + items
    second = c.responses.create(**request)
    assert second.status == "completed"
    upstream = json.loads(gateway.last_generation_request()["body"])
    assert all("id" not in item for item in upstream["input"])
    assert [i.get("call_id") for i in upstream["input"] if i.get("type") == "function_call_output"] == [
        i["call_id"] for i in items if i.get("type") == "function_call"
    ]


def test_responses_rejected_params_are_dropped_and_named(gateway):
    raw = client(gateway).responses.with_raw_response.create(
        **codex_request("text"),
        temperature=0.3,
        max_output_tokens=512,
        previous_response_id="resp_old",
        extra_body={"client_metadata": {"big": 123456789012345678901234567890}},
    )
    named = [p.strip() for p in raw.headers["x-codex-gateway-ignored-params"].split(",")]
    assert set(named) == {"temperature", "max_output_tokens", "previous_response_id"}
    assert raw.parse().status == "completed"
    body = gateway.last_generation_request()["body"]
    upstream = json.loads(body)
    assert not set(named) & set(upstream)
    assert "123456789012345678901234567890" in body


def test_responses_string_input_gets_default_instructions(gateway):
    response = client(gateway).responses.create(model=model("text"), input="Hi")
    assert response.status == "completed"
    upstream = json.loads(gateway.last_generation_request()["body"])
    assert upstream["instructions"] == "You are a helpful assistant."
    assert upstream["store"] is False and upstream["stream"] is True


def test_responses_empty_output_is_rebuilt(gateway):
    golden = responses_golden("completed_empty_output")
    response = client(gateway).responses.create(**codex_request("completed_empty_output"))
    assert [o.type for o in response.output] == [o["type"] for o in golden["output"]]


def test_responses_incomplete(gateway):
    response = client(gateway).responses.create(**codex_request("incomplete_max_output_tokens"))
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"


def test_responses_usage_limit_non_stream(gateway):
    golden = error_golden("failed_usage_limit")
    with pytest.raises(openai.RateLimitError) as info:
        client(gateway, max_retries=2).responses.create(**codex_request("failed_usage_limit"))
    assert info.value.code == golden["code"]
    assert info.value.response.headers["retry-after"] == str(golden["retry_after"])


def test_responses_failed_event_is_relayed_in_stream(gateway):
    events = list(client(gateway).responses.create(**codex_request("failed_usage_limit"), stream=True))
    assert isinstance(events[-1], ResponseFailedEvent)
    assert events[-1].response.status == "failed"
    assert events[-1].response.error is not None


def test_responses_error_event_is_relayed_in_stream(gateway):
    events = list(client(gateway).responses.create(**codex_request("error_event"), stream=True))
    assert isinstance(events[-1], ResponseErrorEvent)
    assert "capacity" in events[-1].message


@pytest.mark.parametrize("case", ["truncated_mid_event", "eof_without_terminal"])
def test_responses_cut_stream_ends_with_error_event(gateway, case):
    events = list(client(gateway).responses.create(**codex_request(case), stream=True))
    last = events[-1]
    assert isinstance(last, ResponseErrorEvent)
    assert last.type == "error"
    assert last.code == "upstream_error"
    # Every Responses stream event carries a sequence_number; the appended one must too.
    assert isinstance(last.model_dump().get("sequence_number"), int), last.model_dump()


def test_responses_status_errors(gateway):
    c = client(gateway)
    with pytest.raises(openai.RateLimitError) as info:
        c.responses.create(model=model("status-429"), input="hi")
    assert info.value.response.headers["retry-after"] == "120"
    with pytest.raises(openai.AuthenticationError):
        client(gateway, api_key="sk-wrong").responses.create(model=model("text"), input="hi")
    with pytest.raises(openai.BadRequestError) as info:
        c.responses.create(model=model("text"), input="hi", extra_body={"stream": "yes"})
    assert info.value.param == "stream"
    with pytest.raises(openai.InternalServerError) as info:
        c.responses.create(model=model("status-500"), input="hi")
    assert info.value.status_code == 502


def test_responses_stream_is_relayed_event_by_event(gateway):
    """Six upstream events 500 ms apart reach the SDK one by one."""
    import time

    started = time.monotonic()
    times = []
    for _ in client(gateway).responses.create(model=model("slow-tool_call_args_in_done"), input="hi", stream=True):
        times.append(time.monotonic() - started)
    assert len(times) == 6
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert sum(g >= 0.3 for g in gaps) >= 4, times


def test_responses_compact(gateway):
    """`client.responses.compact`, the SDK's remote compaction, through `/v1/responses/compact`."""
    history = [{"type": "message", "role": "user", "content": "Build the landing page."}]
    compacted = client(gateway).responses.compact(model="gpt-5.4", input=history, instructions="Compact.")
    assert compacted.object == "response.compaction"
    assert compacted.output[-1].type == "compaction"
    assert compacted.output[-1].encrypted_content
    upstream = gateway.last_generation_request()
    assert upstream["path"].endswith("/codex/responses/compact")
    assert json.loads(upstream["body"])["input"] == history
