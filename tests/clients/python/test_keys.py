"""A client key made with the real `login-cli keys create`, used with the official `openai` SDK:
its model list, its request limit, usage read back with `login-cli usage`, and revocation."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import openai
import pytest

from conftest import REPO, start_gateway, stop_gateway
from helpers import client

ADMIN_KEY = "sk-admin-for-the-keys-suite-0123456789abcdef"
LOGIN_CLI = Path(os.environ.get("LOGIN_CLI_BIN", REPO / "target" / "debug" / "login-cli"))


@pytest.fixture(scope="module")
def gateway_keys(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("gateway-keys"), f"admin_api_key={ADMIN_KEY}")
    yield gw
    stop_gateway(gw)


def login_cli(gateway, tmp_path, *args: str) -> subprocess.CompletedProcess:
    if not LOGIN_CLI.is_file():
        pytest.fail(f"{LOGIN_CLI} not found: build it with `cargo build -p login-cli`")
    command = [str(LOGIN_CLI), "--workdir", str(tmp_path), *args, "--url", gateway.gateway_url]
    env = {**os.environ, "CODEX_GATEWAY_ADMIN_KEY": ADMIN_KEY}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_a_key_made_with_login_cli_works_in_the_sdk_within_its_limits(gateway_keys, tmp_path):
    made = login_cli(
        gateway_keys, tmp_path, "keys", "create", "sdk-user", "--models", "gpt-5.4*", "--limit", "requests=2/day"
    )
    assert made.returncode == 0, made.stderr
    key = next(line for line in made.stdout.splitlines() if line.startswith("sk-cgw-"))
    sdk = client(gateway_keys, api_key=key)

    answer = sdk.chat.completions.create(model="gpt-5.4", messages=[{"role": "user", "content": "Hi"}])
    assert answer.choices[0].message.content
    with pytest.raises(openai.PermissionDeniedError) as denied:
        sdk.chat.completions.create(model="gpt-6-sol", messages=[{"role": "user", "content": "Hi"}])
    assert denied.value.body["code"] == "model_not_allowed"

    streamed = sdk.chat.completions.create(
        model="gpt-5.4", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    with pytest.raises(openai.RateLimitError) as limited:
        sdk.chat.completions.create(model="gpt-5.4", messages=[{"role": "user", "content": "Hi"}])
    assert limited.value.body["code"] == "key_limit_reached"
    assert int(limited.value.response.headers["retry-after"]) > 0

    usage = login_cli(gateway_keys, tmp_path, "usage", "--key", "sdk-user", "--group-by", "model", "--json")
    assert usage.returncode == 0, usage.stderr
    report = json.loads(usage.stdout)
    assert [(r["group"], r["requests"]) for r in report["rows"]] == [("gpt-5.4", 2)]

    revoked = login_cli(gateway_keys, tmp_path, "keys", "revoke", "sdk-user")
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(openai.AuthenticationError) as refused:
        sdk.models.list()
    assert "revoked" in refused.value.body["message"]
