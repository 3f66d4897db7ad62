"""Helpers for the `openai` SDK tests: clients, golden fixtures, tool definitions."""

from __future__ import annotations

import json
from pathlib import Path

import openai

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "testing" / "fixtures" / "stream"

# Tools matching the `tool_calls_parallel` fixture (get_weather + get_time).
WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["c", "f"]},
                },
                "required": ["city", "unit"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Current time in a time zone",
            "parameters": {
                "type": "object",
                "properties": {"tz": {"type": "string"}},
                "required": ["tz"],
                "additionalProperties": False,
            },
        },
    },
]

# The same tools in the flat Responses API shape.
RESPONSES_TOOLS = [
    {"type": "function", "name": t["function"]["name"], "description": t["function"]["description"],
     "parameters": t["function"]["parameters"], "strict": False}
    for t in WEATHER_TOOLS
]

USER_HI = [{"role": "user", "content": "Hi"}]


def client(gateway, strict: bool = True, **kwargs) -> openai.OpenAI:
    """An SDK client for the gateway.

    `strict` turns on the SDK's own response validation: every response and stream event must
    parse into the SDK's pydantic types or the call raises `APIResponseValidationError`. Use it
    for what the gateway builds itself (chat completions, models, errors). Responses API objects
    are the backend's own, passed through unmodified; the SDK's strict types demand fields the
    Codex backend does not send (e.g. `usage.input_tokens_details.cache_write_tokens`), so those
    tests use the SDK as users do, with its default lenient parsing.
    """
    kwargs.setdefault("api_key", gateway.api_key)
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 30)
    return openai.OpenAI(base_url=gateway.base_url, _strict_response_validation=strict, **kwargs)


def chat_golden(case: str) -> dict:
    """The non-stream chat answer the gateway is expected to give for a fixture case."""
    return json.loads((FIXTURES / case / "chat.json").read_text())


def responses_golden(case: str) -> dict:
    """The non-stream Responses answer expected for a fixture case."""
    return json.loads((FIXTURES / case / "responses.json").read_text())


def error_golden(case: str) -> dict:
    """`{status, code, retry_after}` of a failure case."""
    return json.loads((FIXTURES / case / "error.json").read_text())


def model(case: str) -> str:
    """The model name that makes the fake backend play `case`."""
    return f"gpt-5.4@{case}"
