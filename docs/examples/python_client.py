"""codex-gateway from the official `openai` Python SDK (pip install openai).

    export CODEX_GATEWAY_API_KEY=sk-choose-a-long-random-key
    python3 docs/examples/python_client.py

CODEX_GATEWAY_BASE_URL (default http://127.0.0.1:3000/v1) and CODEX_GATEWAY_MODEL
(default gpt-5.3-codex) may be set too.
"""

import json
import os

from openai import OpenAI

client = OpenAI(
    base_url=os.environ.get("CODEX_GATEWAY_BASE_URL", "http://127.0.0.1:3000/v1"),
    api_key=os.environ["CODEX_GATEWAY_API_KEY"],
)
MODEL = os.environ.get("CODEX_GATEWAY_MODEL", "gpt-5.3-codex")

# 1. Chat Completions, one answer.
completion = client.chat.completions.create(
    model=MODEL,
    messages=[
        {"role": "system", "content": "Answer in one short sentence."},
        {"role": "user", "content": "What is WebAssembly?"},
    ],
    reasoning_effort="low",
)
print("chat:", completion.choices[0].message.content)
print("usage:", completion.usage.total_tokens if completion.usage else None)

# 2. Chat Completions, streamed, with a final usage chunk.
stream = client.chat.completions.create(
    model=MODEL,
    messages=[{"role": "user", "content": "Count from 1 to 5."}],
    stream=True,
    stream_options={"include_usage": True},
)
print("stream: ", end="")
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end="", flush=True)
    if chunk.usage:
        print(f"\nstream usage: {chunk.usage.total_tokens}")

# 3. Tool calls: the model may answer with a call instead of text.
tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
messages = [{"role": "user", "content": "What is the weather in Paris?"}]
first = client.chat.completions.create(model=MODEL, messages=messages, tools=tools)
message = first.choices[0].message
if message.tool_calls:
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls:
        args = json.loads(call.function.arguments or "{}")
        print("tool call:", call.function.name, args)
        messages.append(
            {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 18, "sky": "clear"}'}
        )
    final = client.chat.completions.create(model=MODEL, messages=messages, tools=tools)
    print("after tool:", final.choices[0].message.content)
else:
    print("no tool call:", message.content)

# 4. Responses API (what Codex-native clients use), non-stream and stream.
response = client.responses.create(model=MODEL, input="Say hello in French.")
print("responses:", response.output_text)
with client.responses.stream(model=MODEL, input="Say hello in German.") as events:
    for event in events:
        if event.type == "response.output_text.delta":
            print(event.delta, end="", flush=True)
    print()
