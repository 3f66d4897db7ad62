"""The official `openai` Python SDK's `client.images` against `/v1/images/generations` and
`/v1/images/edits` (codex_oauth mode): the fake backend draws a real PNG with the hosted
`image_generation` tool, and the bytes the SDK hands back must be exactly that PNG."""

from __future__ import annotations

import base64
import json

import openai
import pytest
from openai.types import ImageEditCompletedEvent, ImageGenCompletedEvent, ImageGenPartialImageEvent, ImagesResponse

from helpers import REPO, client

IMAGES = REPO / "testing" / "fixtures" / "images"
DRAWN = (IMAGES / "drawn.png").read_bytes()
PARTIAL = (IMAGES / "partial.png").read_bytes()
SOURCE = IMAGES / "source.png"


def image_calls(gateway) -> list[dict]:
    bodies = [json.loads(r["body"]) for r in gateway.upstream_requests() if r["method"] == "POST"]
    return [b for b in bodies if b.get("tools", [{}])[0].get("type") == "image_generation"]


def test_generate_returns_the_drawn_png(gateway):
    gateway.clear_upstream_requests()
    result = client(gateway).images.generate(
        model="gpt-image-2", prompt="an otter in a hat", n=2, size="1024x1024", quality="low"
    )
    assert isinstance(result, ImagesResponse)
    assert len(result.data) == 2
    for image in result.data:
        assert base64.b64decode(image.b64_json) == DRAWN
        assert image.revised_prompt == "A picture of: an otter in a hat"
    assert (result.size, result.quality, result.output_format) == ("1024x1024", "low", "png")
    assert result.usage.input_tokens == 114
    calls = image_calls(gateway)
    assert len(calls) == 2
    assert calls[0]["tools"][0]["model"] == "gpt-image-2"


def test_generate_streams_partial_images_then_the_image(gateway):
    stream = client(gateway).images.generate(
        model="gpt-image-2", prompt="a fox", stream=True, partial_images=2
    )
    events = list(stream)
    assert [type(e) for e in events] == [
        ImageGenPartialImageEvent,
        ImageGenPartialImageEvent,
        ImageGenCompletedEvent,
    ]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    assert base64.b64decode(events[0].b64_json) == PARTIAL
    assert base64.b64decode(events[2].b64_json) == DRAWN
    assert events[2].usage.total_tokens == 78


def test_edit_sends_the_images_and_returns_the_drawn_png(gateway):
    gateway.clear_upstream_requests()
    with SOURCE.open("rb") as first, SOURCE.open("rb") as second, SOURCE.open("rb") as mask:
        result = client(gateway).images.edit(
            model="gpt-image-2", image=[first, second], mask=mask, prompt="put a hat on it"
        )
    assert base64.b64decode(result.data[0].b64_json) == DRAWN
    assert result.data[0].revised_prompt == "An edit of 2 image(s): put a hat on it (inside the mask)"
    call = image_calls(gateway)[-1]
    sent = base64.b64encode(SOURCE.read_bytes()).decode()
    images = [p for p in call["input"][0]["content"] if p["type"] == "input_image"]
    assert [p["image_url"] for p in images] == [f"data:image/png;base64,{sent}"] * 2


def test_edit_streams_edit_events(gateway):
    with SOURCE.open("rb") as image:
        events = list(
            client(gateway).images.edit(image=image, prompt="a hat", stream=True, model="gpt-image-2")
        )
    assert [type(e) for e in events] == [ImageEditCompletedEvent]
    assert base64.b64decode(events[0].b64_json) == DRAWN


def test_a_url_answer_is_refused_clearly(gateway):
    with pytest.raises(openai.BadRequestError) as refused:
        client(gateway).images.generate(prompt="an otter", response_format="url")
    assert refused.value.status_code == 400
    assert "b64_json" in refused.value.body["message"]
    assert refused.value.body["param"] == "response_format"


def test_no_image_is_an_error_not_an_empty_list(gateway):
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        client(gateway).images.generate(prompt="[refuse] please")
    assert refused.value.body["code"] == "image_not_generated"
    assert "I can't help with creating that image." in refused.value.body["message"]
