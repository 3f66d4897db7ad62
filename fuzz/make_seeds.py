#!/usr/bin/env python3
"""Writes the starting corpus for each fuzz target into fuzz/seeds/<target>/.

Seeds come from the golden stream fixtures and the JSON literals of gateway-core's table tests,
framed in each target's input format (see fuzz/src/lib.rs). `fuzz/run.sh` fuzzes from these
seeds plus the checked-in corpus, then minimises into fuzz/corpus/<target>/.
"""
import base64
import hashlib
import json
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = sorted(p.name for p in (ROOT / "testing/fixtures/stream").iterdir() if p.is_dir())
OUT = ROOT / "fuzz/seeds"


def write(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def json_literals(path):
    """Raw-string literals of a Rust test file that parse as JSON objects."""
    text = (ROOT / path).read_text()
    found = []
    for m in re.finditer(r'r#"(.*?)"#', text, re.S):
        s = m.group(1)
        try:
            if isinstance(json.loads(s), dict):
                found.append(s.encode())
        except ValueError:
            pass
    return found


def main():
    for i, case in enumerate(FIXTURES):
        sse = (ROOT / f"testing/fixtures/stream/{case}/upstream.sse").read_bytes()
        # sse_decode: [cap][count][lengths][stream]
        write("sse_decode", bytes([255, 3, 0, 6, 63]) + sse)
        write("sse_decode", bytes([40, 1, 200]) + sse[:1500])
        # chat_stream, fixture mode: [2*i][piece lengths...]
        write("chat_stream", bytes([2 * i, 0, 5, 17, 90]))
        # chat_stream, raw mode: [odd][count][lengths][stream]
        write("chat_stream", bytes([1, 2, 3, 40]) + sse)
    crlf = b"event: a\r\ndata: x\r\n\r\n: c\r\rdata:y\rdata: z\n\ndata\n\n"
    write("sse_decode", bytes([255, 1, 0]) + crlf)
    write("sse_decode", bytes([0, 0]) + crlf)
    for body in json_literals("gateway-core/src/translate/request_tests.rs"):
        write("chat_request", body)
    write("chat_request", json.dumps({
        "model": "gpt-5.4", "stream": True, "stream_options": {"include_usage": True},
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                                         {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
        "tool_choice": "auto", "reasoning_effort": "high", "response_format": {"type": "json_object"},
    }).encode())
    for body in json_literals("gateway-core/src/translate/responses_request_tests.rs"):
        write("responses_request", body)
    for payload in [b'{"exp":1700000000,"email":"a@b.c","https://api.openai.com/auth":{"chatgpt_account_id":"acc","chatgpt_plan_type":"plus"}}',
                    b'{"exp":1.7e9,"https://api.openai.com/profile":{"email":"x@y.z"}}', b'[]', b'{"exp":"soon"}']:
        write("jwt_claims", payload)
        write("jwt_claims", b"e30." + base64.urlsafe_b64encode(payload).rstrip(b"=") + b".sig")
    record = {"version": 1, "access_token": "eyJ.e30.x", "refresh_token": "rt", "account_id": "acc",
              "email": "a@b.c", "plan_type": "plus", "expires_at": 1700003600, "last_refresh": 1700000000,
              "last_failure": {"kind": "transient", "code": "network", "at": 1700000100, "attempts": 2}}
    now = struct.pack("<q", 1_700_000_000)
    write("token_record", now + struct.pack("<H", 200) + json.dumps(record).encode())
    write("token_record", now + struct.pack("<H", 200) + b'{"access_token":"at","refresh_token":"rt","id_token":"e30.e30.s","expires_in":"3600"}')
    write("token_record", now + struct.pack("<H", 400) + b'{"error":"invalid_grant","error_description":"Refresh token reused"}')
    write("token_record", now + struct.pack("<H", 401) + b'{"error":{"code":"refresh_token_expired","message":"x"}}')


if __name__ == "__main__":
    main()
