"""docs/openapi.yaml is a valid OpenAPI 3.1 document, and what the test-hosted gateway really
answers conforms to it.

Each live case sends one request and validates the answer with openapi-core (status documented
for the operation, required headers present, body matching the schema). SSE bodies are split
into events and every `data:` payload is checked against the event schemas named in the
media type's `x-sse-data`. A bounded, deterministic sweep of malformed bodies (every documented
top-level field set to values of every JSON type) checks that the gateway answers only
documented statuses, whatever it is sent.
"""

from __future__ import annotations

import copy
import http.client
import json
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import start_gateway, stop_gateway

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "docs" / "openapi.yaml"
ADMIN_KEY = "sk-admin-test-for-the-openapi-suite-0123456789"


@pytest.fixture(scope="session")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


@pytest.fixture(scope="session")
def gateway_admin(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("gateway-admin"), f"admin_api_key={ADMIN_KEY}")
    yield gw
    stop_gateway(gw)


# --- the document itself ----------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate_spec(spec)


# The literal arms of `route` in router.rs: `"/path" => (Route::X, "METHODS")`, or several
# paths joined by `|` before one `=>` (the dashboard's files), however rustfmt lays them out.
ROUTER_ARM = re.compile(r'((?:"/[^"]*"\s*\|\s*)*"/[^"]*")\s*=>\s*\(Route::(\w+),\s*"([A-Z, ]+)"\)')


def test_every_route_of_the_router_is_documented(spec):
    router = (REPO / "gateway-core" / "src" / "router.rs").read_text()
    router = router[: router.index("#[cfg(test)]")]
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "head", "post", "put", "delete", "patch"}
    }
    arms = {
        path: allow
        for paths, _route, allow in ROUTER_ARM.findall(router)
        for path in re.findall(r'"(/[^"]*)"', paths)
    }
    expected = {
        "/healthz": "GET, HEAD",
        "/v1/models": "GET",
        "/v1/chat/completions": "POST",
        "/v1/responses": "POST",
        "/v1/responses/compact": "POST",
        "/v1/alpha/search": "POST",
        "/v1/messages": "POST",
        "/v1/messages/count_tokens": "POST",
        "/v1/images/generations": "POST",
        "/v1/images/edits": "POST",
        "/api/hello": "GET, HEAD",
        "/admin/token": "GET, PUT, DELETE",
        "/admin/keys": "GET, POST",
        "/admin/usage": "GET",
        "/admin/accounts": "GET",
        "/admin/status": "GET",
        # One arm: `"/dashboard" | "/dashboard/" | "/dashboard/app.js" | … => (Route::Dashboard, …)`.
        "/dashboard": "GET, HEAD",
        "/dashboard/": "GET, HEAD",
        "/dashboard/app.js": "GET, HEAD",
        "/dashboard/app.css": "GET, HEAD",
        "/dashboard/format.js": "GET, HEAD",
        "/dashboard/icon.svg": "GET, HEAD",
    }
    # Every literal arm is listed here (a new one fails until it is), and each says what it says.
    assert arms == expected, (arms, expected)
    for path, allow in expected.items():
        for method in allow.split(", "):
            assert (path, method) in documented, (path, method)
    # Matched by prefix under "/admin/keys/" (a path ending in "/rotate" takes POST, any other
    # DELETE), so not a literal arm of the router; documented as two templated paths.
    for path, method in [("/admin/keys/{name}", "DELETE"), ("/admin/keys/{name}/rotate", "POST")]:
        assert (path, method) in documented, (path, method)
    assert len(documented) == 35


def test_every_error_code_in_error_rs_is_documented():
    # Every code is one arm of a `code`/`as_str` match in error.rs (upstream and OAuth codes are
    # enums there too), so the set is read from one file.
    error_rs = (REPO / "gateway-core" / "src" / "error.rs").read_text()
    codes = set(re.findall(r'=> "([a-z_]+)"', error_rs[: error_rs.index("#[cfg(test)]")]))
    for expected in ("invalid_request", "upstream_unavailable", "oauth_refresh_failed", "upstream_forbidden", "usage_limit_reached"):
        assert expected in codes, expected
    text = SPEC_PATH.read_text()
    missing = sorted(c for c in codes if c not in text)
    assert not missing, f"codes not in docs/openapi.yaml: {missing}"


def _media_examples(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            body = op.get("requestBody", {}).get("content", {})
            for mt, media in body.items():
                yield f"{method} {path} request {mt}", media
            for status, res in op.get("responses", {}).items():
                res = _deref(spec, res)
                for mt, media in res.get("content", {}).items():
                    yield f"{method} {path} {status} {mt}", media


def _deref(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_examples_match_their_schemas(spec):
    registry = _registry(spec)
    checked = 0
    for name, media in _media_examples(spec):
        examples = []
        if "example" in media:
            examples.append(media["example"])
        examples += [e["value"] for e in media.get("examples", {}).values()]
        for example in examples:
            if isinstance(example, str) and "x-sse-data" in media["schema"]:
                for payload in _sse_payloads(example.encode()):
                    _validate(registry, media["schema"]["x-sse-data"], payload, name)
            else:
                _validate(registry, media["schema"], example, name)
            checked += 1
    assert checked >= 8


# --- helpers for the live checks ---------------------------------------------------------------


def _registry(spec) -> Registry:
    return Registry().with_resource("urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012))


def _validate(registry, schema, instance, where=""):
    schema = json.loads(json.dumps(schema).replace('"#/', '"urn:spec#/'))
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    errors = sorted(validator.iter_errors(instance), key=lambda e: e.path)
    assert not errors, f"{where}: {instance!r:.300}\n" + "\n".join(e.message for e in errors[:5])


def _sse_payloads(body: bytes):
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
        if not data:
            continue
        text = "\n".join(data)
        yield text if text == "[DONE]" else json.loads(text)


class Oversize:
    """A body announced as larger than the default `max_body_bytes` (16 MiB) and never sent:
    the gateway must refuse it from `Content-Length` alone, before reading."""

    length = 16 * 1024 * 1024 + 1


OVERSIZE = Oversize()


class Checker:
    """Sends requests to one gateway and checks the answers against the document."""

    def __init__(self, spec: dict, gateway):
        self.gateway = gateway
        live = copy.deepcopy(spec)
        live["servers"] = [{"url": gateway.gateway_url}]
        self.api = OpenAPI.from_dict(live)
        self.spec = spec
        self.registry = _registry(spec)
        self.seen: set[tuple[str, str, int]] = set()

    def send(self, method, path, body=None, headers=None, key="default"):
        headers = dict(headers or {})
        if key == "default":
            key = self.gateway.api_key
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if body is not None and not isinstance(body, (bytes, Oversize)):
            body = json.dumps(body).encode()
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        url = urlsplit(self.gateway.gateway_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            if isinstance(body, Oversize):
                conn.putrequest(method, path)
                for name, value in {**headers, "Content-Length": str(body.length), "Expect": "100-continue"}.items():
                    conn.putheader(name, value)
                conn.endheaders()
            else:
                conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, data
        finally:
            conn.close()

    def check(self, method, path, body=None, headers=None, key="default", expect=None):
        """Send, then validate status, headers and body against the operation."""
        status, res_headers, data = self.send(method, path, body, headers, key)
        where = f"{method} {path} -> {status}: {data[:300]!r}"
        if expect is not None:
            assert status == expect, where
        assert res_headers.get("x-request-id"), where
        content_type = res_headers.get("content-type", "")
        bare_path, _, query = path.partition("?")
        request = MockRequest(
            self.gateway.gateway_url,
            method,
            bare_path,
            args=dict(p.split("=", 1) for p in query.split("&") if "=" in p),
            headers={k: v for k, v in (headers or {}).items()},
            data=body if isinstance(body, bytes) else (json.dumps(body).encode() if isinstance(body, dict) else None),
        )
        # openapi-core hands unknown media types over undecoded; SSE, the dashboard's scripts and
        # style sheet (text/*) and its SVG icon are UTF-8 text, checked as strings.
        payload = data.decode() if content_type.startswith(("text/", "image/svg+xml")) else data
        response = MockResponse(payload, status_code=status, headers=res_headers, content_type=content_type)
        self.api.validate_response(request, response)
        if content_type.startswith("text/event-stream"):
            self._check_sse(method, path, status, data, where)
        if status >= 400 and method != "HEAD":
            envelope = json.loads(data)
            assert envelope["error"]["type"] == "gateway_error", where
        self.seen.add((method, path, status))
        return status, res_headers, data

    def _check_sse(self, method, path, status, data, where):
        op = self.spec["paths"][path.partition("?")[0]][method.lower()]
        schema = op["responses"][str(status)]["content"]["text/event-stream"]["schema"]["x-sse-data"]
        payloads = list(_sse_payloads(data))
        assert payloads, where
        for payload in payloads:
            _validate(self.registry, schema, payload, where)

    def check_undocumented(self, method, path, component, expect, key="default"):
        """404/405 on paths or methods outside the document: checked against the component."""
        status, res_headers, data = self.send(method, path, key=key)
        assert status == expect, (method, path, status, data)
        res = self.spec["components"]["responses"][component]
        for name, header in res.get("headers", {}).items():
            header = _deref(self.spec, header)
            if header.get("required"):
                assert name in res_headers, (name, res_headers)
        _validate(self.registry, res["content"]["application/json"]["schema"], json.loads(data), component)
        return res_headers


@pytest.fixture(scope="module")
def checker(spec, gateway):
    return Checker(spec, gateway)


@pytest.fixture(scope="module")
def admin_checker(spec, gateway_admin):
    return Checker(spec, gateway_admin)


def chat(case="text", **extra):
    return {"model": f"gpt-5.4@{case}", "messages": [{"role": "user", "content": "Hi"}], **extra}


def responses(case="text", **extra):
    return {"model": f"gpt-5.4@{case}", "input": "Hi", **extra}


STREAM_CASES = [
    "text",
    "usage_cached_reasoning",
    "reasoning_summary",
    "tool_calls_parallel",
    "tool_call_args_in_done",
    "incomplete_max_output_tokens",
    "incomplete_content_filter",
    "unknown_event_type",
    "completed_empty_output",
]
FAILURE_CASES = {  # non-stream status of each failing fixture
    "failed_usage_limit": 429,
    "error_event": 503,
    "truncated_mid_event": 502,
    "eof_without_terminal": 502,
}
STATUS_CASES = {400: 400, 401: 401, 404: 404, 429: 429, 500: 502, 503: 502}


# --- live: health and models -------------------------------------------------------------------


def test_healthz(checker):
    _, _, data = checker.check("GET", "/healthz", key=None, expect=200)
    assert json.loads(data)["token"]["present"] is True
    checker.check("HEAD", "/healthz", key=None, expect=200)


def test_models(checker):
    checker.check("GET", "/v1/models", expect=200)
    checker.check("GET", "/v1/models?limit=2", expect=200)
    _, _, data = checker.check("GET", "/v1/models?client_version=0.171.0", expect=200)
    codex = json.loads(data)
    assert codex["models"] and "object" not in codex, codex
    _, headers, _ = checker.check("GET", "/v1/models", key=None, expect=401)
    assert headers["www-authenticate"] == "Bearer"
    checker.check("GET", "/v1/models", key="sk-wrong", expect=401)


def test_request_id_is_echoed(checker):
    _, headers, _ = checker.check("GET", "/healthz", key=None, headers={"X-Request-ID": "conf-1"}, expect=200)
    assert headers["x-request-id"] == "conf-1"


# --- live: chat completions --------------------------------------------------------------------


@pytest.mark.parametrize("case", STREAM_CASES)
def test_chat_cases(checker, case):
    checker.check("POST", "/v1/chat/completions", chat(case), expect=200)
    checker.check("POST", "/v1/chat/completions", chat(case, stream=True), expect=200)
    checker.check(
        "POST", "/v1/chat/completions", chat(case, stream=True, stream_options={"include_usage": True}), expect=200
    )


@pytest.mark.parametrize(("case", "status"), FAILURE_CASES.items())
def test_chat_failures(checker, case, status):
    checker.check("POST", "/v1/chat/completions", chat(case), expect=status)
    # Failing before any output: the real status; after output: 200 with an error event.
    streamed, _, _ = checker.check("POST", "/v1/chat/completions", chat(case, stream=True))
    assert streamed in (status, 200)


@pytest.mark.parametrize(("upstream", "status"), STATUS_CASES.items())
def test_chat_upstream_statuses(checker, upstream, status):
    _, headers, _ = checker.check("POST", "/v1/chat/completions", chat(f"status-{upstream}"), expect=status)
    if status == 429:
        assert headers["retry-after"] == "120"


def test_chat_ignored_params_header(checker):
    _, headers, _ = checker.check("POST", "/v1/chat/completions", chat(temperature=1, max_tokens=5), expect=200)
    assert headers["x-codex-gateway-ignored-params"] == "temperature, max_tokens"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1,2]",
        b'{"model":',
        {"messages": [{"role": "user", "content": "x"}]},
        {"model": "gpt-5.4"},
        chat(n=3),
        chat(modalities=["text", "audio"]),
        chat(audio={"voice": "alloy"}),
        chat(reasoning_effort="bogus"),
        chat(verbosity="loud"),
        chat(response_format={"type": "xml"}),
        chat(response_format={"type": "json_schema"}),
        {"model": "gpt-5.4", "messages": [{"role": "system", "content": "only system"}]},
        {"model": "gpt-5.4", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
        {"model": "gpt-5.4", "messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]},
    ],
    ids=lambda b: (b if isinstance(b, bytes) else json.dumps(b))[:40],
)
def test_chat_bad_requests(checker, body):
    checker.check("POST", "/v1/chat/completions", body, expect=400)


def test_chat_payload_too_large(checker):
    checker.check("POST", "/v1/chat/completions", OVERSIZE, expect=413)


# --- live: responses ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", STREAM_CASES)
def test_responses_cases(checker, case):
    checker.check("POST", "/v1/responses", responses(case), expect=200)
    checker.check("POST", "/v1/responses", responses(case, stream=True), expect=200)


@pytest.mark.parametrize(("case", "status"), FAILURE_CASES.items())
def test_responses_failures(checker, case, status):
    checker.check("POST", "/v1/responses", responses(case), expect=status)
    checker.check("POST", "/v1/responses", responses(case, stream=True), expect=200)


@pytest.mark.parametrize(("upstream", "status"), STATUS_CASES.items())
def test_responses_upstream_statuses(checker, upstream, status):
    checker.check("POST", "/v1/responses", responses(f"status-{upstream}"), expect=status)
    checker.check("POST", "/v1/responses", responses(f"status-{upstream}", stream=True), expect=status)


@pytest.mark.parametrize(
    "body",
    [b"", b"nope", b"[]", b'"text"', responses(stream="yes"), responses(reasoning={"effort": "low"}, include="all")],
    ids=lambda b: (b if isinstance(b, bytes) else json.dumps(b))[:40],
)
def test_responses_bad_requests(checker, body):
    checker.check("POST", "/v1/responses", body, expect=400)


def test_responses_payload_too_large(checker):
    checker.check("POST", "/v1/responses", OVERSIZE, expect=413)


def compact(model="gpt-5.4"):
    return {"model": model, "instructions": "Compact.", "input": [{"type": "message", "role": "user", "content": "hi"}]}


def test_responses_compact(checker):
    checker.check("POST", "/v1/responses/compact", compact(), expect=200)
    checker.check("POST", "/v1/responses/compact", compact("gpt-5.4@status-429"), expect=429)
    checker.check("POST", "/v1/responses/compact", compact("gpt-5.4@status-400"), expect=400)
    checker.check("POST", "/v1/responses/compact", b"[]", expect=400)
    checker.check("POST", "/v1/responses/compact", OVERSIZE, expect=413)


def test_alpha_search(checker):
    search = {"id": "t1", "model": "gpt-6-sol", "input": [], "commands": {"search_query": [{"q": "codex"}]},
              "settings": {"external_web_access": True}, "max_output_tokens": 100}
    checker.check("POST", "/v1/alpha/search", search, expect=200)
    checker.check("POST", "/v1/alpha/search", {"model": "m"}, expect=400)
    checker.check("POST", "/v1/alpha/search", b"[]", expect=400)
    checker.check("POST", "/v1/alpha/search", OVERSIZE, expect=413)


# --- live: routing, headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/v1/models", "GET"),
        ("GET", "/v1/chat/completions", "POST"),
        ("PUT", "/v1/responses", "POST"),
        ("POST", "/healthz", "GET, HEAD"),
    ],
)
def test_method_not_allowed(checker, method, path, allow):
    headers = checker.check_undocumented(method, path, "MethodNotAllowed", 405)
    assert headers["allow"] == allow


def test_admin_method_not_allowed(checker, admin_checker):
    # Without an admin key the route does not exist at all; with one, other methods are 405.
    checker.check_undocumented("POST", "/admin/token", "NotFound", 404)
    headers = admin_checker.check_undocumented("POST", "/admin/token", "MethodNotAllowed", 405, key=ADMIN_KEY)
    assert headers["allow"] == "GET, PUT, DELETE"
    for method, path, allow in [
        ("PUT", "/admin/keys", "GET, POST"),
        ("GET", "/admin/keys/someone", "DELETE"),
        ("GET", "/admin/keys/someone/rotate", "POST"),
        ("POST", "/admin/usage", "GET"),
        ("POST", "/admin/accounts", "GET"),
        ("DELETE", "/admin/status", "GET"),
        ("POST", "/dashboard", "GET, HEAD"),
        ("PUT", "/dashboard/app.js", "GET, HEAD"),
    ]:
        checker.check_undocumented(method, path, "NotFound", 404)
        headers = admin_checker.check_undocumented(method, path, "MethodNotAllowed", 405, key=ADMIN_KEY)
        assert headers["allow"] == allow, (method, path)


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/models/", "/v1/completions", "/v1/embeddings"])
def test_unknown_paths(checker, path):
    checker.check_undocumented("GET", path, "NotFound", 404)


def test_headers_too_large(checker):
    # Over 64 KiB in a few fields: past the gateway's limit, within the host server's. (More
    # than 100 fields never reach the gateway: hyper, in the test host as in Spin, refuses
    # them itself with a bare 431.)
    headers = {f"x-filler-{i}": "v" * 8000 for i in range(9)}
    checker.check("GET", "/v1/models", headers=headers, expect=431)
    checker.check("POST", "/v1/chat/completions", chat(), headers=headers, expect=431)


# --- live: /admin/token ------------------------------------------------------------------------


def test_admin_disabled_without_key(checker):
    for method in ("GET", "DELETE"):
        checker.check(method, "/admin/token", expect=404)
    checker.check("PUT", "/admin/token", {"version": 1}, expect=404)
    checker.check("GET", "/admin/keys", expect=404)
    checker.check("POST", "/admin/keys", {"name": "alice"}, expect=404)
    checker.check("DELETE", "/admin/keys/alice", expect=404)
    checker.check("POST", "/admin/keys/alice/rotate", expect=404)
    checker.check("GET", "/admin/usage", expect=404)
    checker.check("GET", "/admin/accounts", expect=404)
    checker.check("GET", "/admin/status", expect=404)
    for path in ("/dashboard", "/dashboard/", "/dashboard/app.js"):
        checker.check("GET", path, key=None, expect=404)


# --- live: client keys and usage ---------------------------------------------------------------


def test_client_keys_and_usage(admin_checker):
    c = admin_checker
    spec = {"name": "conformance", "models": ["gpt-5.4*"], "limits": ["requests=1/day"], "expires_in": "30d"}
    _, _, data = c.check("POST", "/admin/keys", spec, key=ADMIN_KEY, expect=201)
    made = json.loads(data)
    key = made["key"]
    assert key.startswith("sk-cgw-") and made["hint"] == "sk-cgw-…" + key[-4:], made
    assert made["status"] == "active" and made["limits"][0]["max"] == 1, made
    c.check("POST", "/admin/keys", spec, key=ADMIN_KEY, expect=400)  # the name is taken
    c.check("POST", "/admin/keys", {"name": "x", "limits": ["requests=5/hour"]}, key=ADMIN_KEY, expect=400)
    c.check("POST", "/admin/keys", {"name": "x", "colour": "red"}, key=ADMIN_KEY, expect=400)
    _, _, data = c.check("GET", "/admin/keys", key=ADMIN_KEY, expect=200)
    assert key not in data.decode(), "a list never shows a key"
    assert [k["name"] for k in json.loads(data)["keys"]] == ["conformance"]

    # A model outside its list: refused before the body goes anywhere, and not counted.
    _, _, data = c.check("POST", "/v1/chat/completions", {**chat(), "model": "gpt-6-sol"}, key=key, expect=403)
    assert json.loads(data)["error"]["code"] == "model_not_allowed"
    # Admitted and counted (a 503 once test_admin_token_lifecycle has removed this gateway's
    # token: admitted and counted all the same).
    status, _, _ = c.check("POST", "/v1/chat/completions", chat(), key=key)
    assert status in (200, 503), status
    _, headers, data = c.check("POST", "/v1/chat/completions", chat(), key=key, expect=429)
    assert json.loads(data)["error"]["code"] == "key_limit_reached"
    assert 1 <= int(headers["retry-after"]) <= 86400, headers

    # Usage is written once the answer is out: give it a moment.
    for _ in range(50):
        _, _, data = c.check("GET", "/admin/usage?key=conformance&group_by=model", key=ADMIN_KEY, expect=200)
        rows = [(r["group"], r["requests"]) for r in json.loads(data)["rows"]]
        if rows:
            break
        time.sleep(0.1)
    assert rows == [("gpt-5.4@text", 1)], rows
    c.check("GET", "/admin/usage?group_by=day", key=ADMIN_KEY, expect=200)
    c.check("GET", "/admin/usage?from=2026-01-01&to=2026-01-07&group_by=key", key=ADMIN_KEY, expect=200)
    _, _, data = c.check("GET", "/admin/usage?group_by=week", key=ADMIN_KEY, expect=400)
    assert json.loads(data)["error"]["param"] == "group_by"
    c.check("GET", "/admin/usage?from=2026-12-08&to=2026-12-01", key=ADMIN_KEY, expect=400)

    _, _, data = c.check("POST", "/admin/keys/conformance/rotate", key=ADMIN_KEY, expect=200)
    rotated = json.loads(data)["key"]
    assert rotated != key and rotated.startswith("sk-cgw-")
    c.check("POST", "/v1/chat/completions", chat(), key=key, expect=401)  # the old secret stops
    c.check("POST", "/v1/chat/completions", chat(), key=rotated, expect=429)  # the window stays

    _, _, data = c.check("DELETE", "/admin/keys/conformance", key=ADMIN_KEY, expect=200)
    assert json.loads(data)["status"] == "revoked"
    _, _, data = c.check("GET", "/v1/models", key=rotated, expect=401)
    assert "revoked" in json.loads(data)["error"]["message"]
    c.check("DELETE", "/admin/keys/nobody", key=ADMIN_KEY, expect=400)
    c.check("POST", "/admin/keys/nobody/rotate", key=ADMIN_KEY, expect=400)

    # The admin routes take the admin key only: not the downstream key, not a client key.
    c.check("GET", "/admin/keys", expect=401)
    c.check("POST", "/admin/keys", {"name": "y"}, expect=401)
    c.check("GET", "/admin/usage", expect=401)
    c.check("GET", "/admin/usage", key=rotated, expect=401)
    c.check("GET", "/admin/keys", key=None, expect=401)


def test_admin_token_lifecycle(admin_checker):
    c = admin_checker
    _, _, data = c.check("GET", "/admin/token", key=ADMIN_KEY, expect=200)
    assert json.loads(data)["present"] is True
    c.check("GET", "/admin/token", expect=401)  # the downstream key is not the admin key
    c.check("GET", "/admin/token", key=None, expect=401)
    c.check("PUT", "/admin/token", b"not json", key=ADMIN_KEY, expect=400)
    c.check("PUT", "/admin/token", {"version": 9}, key=ADMIN_KEY, expect=400)
    c.check("PUT", "/admin/token", {"version": 1, "access_token": "x" * 70000, "refresh_token": "r", "last_refresh": 1},
            key=ADMIN_KEY, expect=413)
    record = {
        "version": 1,
        "access_token": "eyJ.fake.token",
        "refresh_token": "rt-pushed",
        "plan_type": "pro",
        "expires_at": 4102444800,
        "last_refresh": 1700000000,
    }
    _, _, data = c.check("PUT", "/admin/token", record, key=ADMIN_KEY, expect=200)
    health = json.loads(data)
    assert health["plan_type"] == "pro" and health["expires_at"] == 4102444800
    assert "eyJ" not in data.decode() and "rt-pushed" not in data.decode()
    _, _, data = c.check("DELETE", "/admin/token", key=ADMIN_KEY, expect=200)
    assert json.loads(data)["present"] is False
    _, _, data = c.check("GET", "/healthz", key=None, expect=200)
    assert json.loads(data)["token"]["needs_login"] is True
    # No token any more: the gateway says so with a documented 503.
    c.check("POST", "/v1/chat/completions", chat(), key=c.gateway.api_key, expect=503)
    c.check("POST", "/v1/responses", responses(), key=c.gateway.api_key, expect=503)
    c.check("GET", "/v1/models", key=c.gateway.api_key, expect=200)


# --- live: the dashboard and the admin routes it reads -----------------------------------------

DASHBOARD_FILES = {
    "/dashboard": "text/html",
    "/dashboard/": "text/html",
    "/dashboard/app.js": "text/javascript",
    "/dashboard/format.js": "text/javascript",
    "/dashboard/app.css": "text/css",
    "/dashboard/icon.svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


def test_dashboard_files(admin_checker):
    c = admin_checker
    for path, kind in DASHBOARD_FILES.items():
        # No key: the files hold no data; the page asks for the admin key itself.
        _, headers, data = c.check("GET", path, key=None, expect=200)
        assert headers["content-type"].startswith(kind), (path, headers)
        assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, (path, headers)
        assert data and b"https://" not in data, path
        _, head_headers, head_data = c.check("HEAD", path, key=None, expect=200)
        assert head_data == b"" and head_headers["content-type"] == headers["content-type"], path
    _, _, page = c.check("GET", "/dashboard", key=None, expect=200)
    for asset in ("/dashboard/app.js", "/dashboard/app.css"):
        assert asset.encode() in page, asset
    c.check_undocumented("GET", "/dashboard/other.js", "NotFound", 404, key=None)


def test_admin_accounts_status_and_grouped_usage(admin_checker):
    c = admin_checker
    _, headers, data = c.check("GET", "/admin/accounts", key=ADMIN_KEY, expect=200)
    assert headers["cache-control"] == "no-store" and headers["x-frame-options"] == "DENY", headers
    accounts = json.loads(data)["accounts"]
    assert [a["name"] for a in accounts] == ["default"], accounts  # no account index here
    for account in accounts:
        # The login command appears exactly when the account needs a login.
        assert ("fix" in account) == account["token"]["needs_login"], account

    _, _, data = c.check("GET", "/admin/status", key=ADMIN_KEY, expect=200)
    status = json.loads(data)
    assert status["mode"] == "codex_oauth" and status["store"] == "ok", status
    assert isinstance(status["client_keys"], int), status
    assert status["settings"]["usage_tracking"] == "on", status
    for secret in ("downstream_api_key", "upstream_api_key", "admin_api_key"):
        assert secret not in status["settings"], secret
    assert ADMIN_KEY not in data.decode() and c.gateway.api_key not in data.decode()

    _, _, data = c.check("GET", "/admin/usage?group_by=day,model", key=ADMIN_KEY, expect=200)
    report = json.loads(data)
    assert report["group_by"] == "day,model", report
    for row in report["rows"]:
        assert "key" not in row and row["group"] == f"{row['day']} / {row['model']}", row
    assert set(report["total"]) >= {"group", "requests"} and "day" not in report["total"], report
    _, _, data = c.check("GET", "/admin/usage?group_by=key,model", key=ADMIN_KEY, expect=200)
    for row in json.loads(data)["rows"]:
        assert "day" not in row and row["group"] == f"{row['key']} / {row['model']}", row
    _, _, data = c.check("GET", "/admin/usage?group_by=day,week", key=ADMIN_KEY, expect=400)
    assert json.loads(data)["error"]["param"] == "group_by"

    # The admin key only: not the downstream key, not no key.
    for path in ("/admin/accounts", "/admin/status", "/admin/usage?group_by=day,model"):
        c.check("GET", path, expect=401)
        c.check("GET", path, key=None, expect=401)


# --- sweep: malformed bodies -------------------------------------------------------------------

JSON_VALUES = [None, True, 0, -1, 1.5, "x", "", [], [1], {}, {"a": 1}]


def _mutations(base: dict, fields: list[str]):
    for name in fields:
        for value in JSON_VALUES:
            yield name, {**base, name: value}


def _fields(spec, schema_name) -> list[str]:
    return list(spec["components"]["schemas"][schema_name]["properties"])


def test_sweep_chat_fields(checker, spec):
    """Every documented chat field × values of every JSON type: only documented answers."""
    statuses = set()
    for _name, body in _mutations(chat(), _fields(spec, "ChatCompletionRequest")):
        status, _, _ = checker.check("POST", "/v1/chat/completions", body)
        statuses.add(status)
    assert statuses <= {200, 400}, statuses


def test_sweep_chat_messages(checker):
    statuses = set()
    message_fields = ["role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal"]
    for name in message_fields:
        for value in JSON_VALUES:
            body = chat()
            body["messages"] = [{"role": "user", "content": "Hi", name: value}]
            status, _, _ = checker.check("POST", "/v1/chat/completions", body)
            statuses.add(status)
    for value in JSON_VALUES:
        status, _, _ = checker.check("POST", "/v1/chat/completions", {**chat(), "messages": [value]})
        statuses.add(status)
    assert statuses <= {200, 400}, statuses


def test_sweep_responses_fields(checker, spec):
    statuses = set()
    for _name, body in _mutations(responses(), _fields(spec, "ResponsesRequest")):
        status, _, _ = checker.check("POST", "/v1/responses", body)
        statuses.add(status)
    assert statuses <= {200, 400}, statuses


# --- live: images --------------------------------------------------------------------------------

SOURCE_PNG = (REPO / "testing" / "fixtures" / "images" / "source.png").read_bytes()


def image_form(**fields) -> tuple[bytes, str]:
    """A multipart edit: the text `fields` and the source PNG as `image` (and `mask`)."""
    boundary = "cgw-openapi-form"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name in ("image", "mask"):
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"\r\nContent-Type: image/png\r\n\r\n'
        parts.append(head.encode() + SOURCE_PNG + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_image_generations(checker):
    route = "/v1/images/generations"
    checker.check("POST", route, {"prompt": "an otter", "n": 2, "size": "1024x1024"}, expect=200)
    checker.check("POST", route, {"prompt": "a fox", "stream": True, "partial_images": 2}, expect=200)
    checker.check("POST", route, {"prompt": "an otter", "response_format": "url"}, expect=400)
    checker.check("POST", route, {"prompt": "[refuse] an otter"}, expect=422)
    checker.check("POST", route, {"prompt": "an otter"}, key=None, expect=401)


def test_image_edits(checker):
    route = "/v1/images/edits"
    body, content_type = image_form(prompt="a hat", n="1")
    checker.check("POST", route, body, headers={"Content-Type": content_type}, expect=200)
    body, content_type = image_form(prompt="a hat", stream="true", partial_images="1")
    checker.check("POST", route, body, headers={"Content-Type": content_type}, expect=200)
    checker.check("POST", route, b"--x\r\nbroken", headers={"Content-Type": content_type}, expect=400)
