"""The coding agents users run, against the test-hosted gateway and the fake backend:
the Codex CLI (`codex exec`, Responses), OpenCode (`opencode run`, through `@ai-sdk/openai`
on Responses and `@ai-sdk/openai-compatible` on Chat Completions) and Claude Code (`claude -p`,
Anthropic Messages).

Each run gets a throw-away home and config and talks only to 127.0.0.1 (OpenCode installs its
provider package from the npm registry into that home). The fake plays an agent for the model
`gpt-5.4@agent`: it asks for `echo agent-ok` through the agent's own shell tool, then answers
with the output it got back; it compacts remotely as the Codex backend does.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

BIN = Path(__file__).resolve().parent / "node_modules" / ".bin"
TIMEOUT_SECS = 120


def agent(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: scripts/client-tests.sh installs tests/agents (npm install)")
    return path


def isolated_env(home: Path, gateway) -> dict[str, str]:
    strip = ("OPENAI_", "CODEX_", "OPENCODE_", "ANTHROPIC_", "CLAUDE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(strip)}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
        CODEX_HOME=str(home / ".codex"),
        CODEX_GATEWAY_API_KEY=gateway.api_key,
        OPENCODE_DISABLE_AUTOUPDATE="1",
        OPENCODE_DISABLE_MODELS_FETCH="1",
        NO_COLOR="1",
    )
    return env


def run(args: list[str], home: Path, cwd: Path, gateway, **extra_env: str) -> subprocess.CompletedProcess:
    env = isolated_env(home, gateway)
    env["PWD"] = str(cwd)  # OpenCode takes its project directory (and config) from PWD
    env.update(extra_env)
    # No stdin: `claude -p` reads a piped stdin to its end before it starts.
    done = subprocess.run(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=TIMEOUT_SECS)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def posts(gateway) -> list[dict]:
    return [r for r in gateway.upstream_requests() if r["method"] == "POST"]


def inputs(request: dict) -> list[dict]:
    return json.loads(request["body"]).get("input", [])


def codex(gateway, tmp_path: Path, model: str, provider_name: str = "codex-gateway", extra: str = "") -> str:
    home, work = tmp_path / "home", tmp_path / "work"
    (home / ".codex").mkdir(parents=True)
    work.mkdir()
    (home / ".codex" / "config.toml").write_text(
        f'model = "{model}"\nmodel_provider = "gateway"\n{extra}\n'
        f'[model_providers.gateway]\nname = "{provider_name}"\nbase_url = "{gateway.base_url}"\n'
        'env_key = "CODEX_GATEWAY_API_KEY"\nwire_api = "responses"\n'
    )
    args = [str(agent("codex")), "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox"]
    return run(args + ["Run echo agent-ok"], home, work, gateway).stdout


def opencode(gateway, tmp_path: Path, package: str) -> list[dict]:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    config = {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            "codex-gateway": {
                "npm": package,
                "name": "codex-gateway",
                "options": {"baseURL": gateway.base_url, "apiKey": "{env:CODEX_GATEWAY_API_KEY}"},
                "models": {"gpt-5.4@agent": {"name": "agent", "tool_call": True,
                                             "limit": {"context": 272000, "output": 128000}}},
            }
        },
        "model": "codex-gateway/gpt-5.4@agent",
        # Session titles too: OpenCode's own default for them is a hosted model.
        "small_model": "codex-gateway/gpt-5.4@agent",
        "permission": {"bash": "allow", "edit": "allow"},
    }
    (work / "opencode.json").write_text(json.dumps(config))
    out = run([str(agent("opencode")), "run", "--format", "json", "Run echo agent-ok"], home, work, gateway).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_codex_plain_turn(gateway, tmp_path):
    gateway.clear_upstream_requests()
    out = codex(gateway, tmp_path, "gpt-5.4")
    assert "Hello, world!" in out, out
    seen = posts(gateway)[-1]
    assert seen["headers"]["originator"] == "codex_exec"
    assert seen["headers"]["user-agent"].startswith("codex_exec/")
    assert "remote_compaction_v2" in seen["headers"]["x-codex-beta-features"]
    assert seen["headers"]["session-id"] == json.loads(seen["body"])["prompt_cache_key"]


def test_codex_shell_tool_round_trip(gateway, tmp_path):
    gateway.clear_upstream_requests()
    out = codex(gateway, tmp_path, "gpt-5.4@agent")
    assert "The command printed:" in out and "agent-ok" in out, out
    turns = posts(gateway)
    call = [i for i in inputs(turns[-1]) if i.get("type") == "function_call"]
    result = [i for i in inputs(turns[-1]) if i.get("type") == "function_call_output"]
    assert call and call[0]["name"] == "exec_command", turns[-1]["body"][-2000:]
    assert result and "agent-ok" in json.dumps(result[0]["output"])


def test_codex_remote_compaction_carries_on(gateway, tmp_path):
    gateway.clear_upstream_requests()
    out = codex(gateway, tmp_path, "gpt-5.4@agent", provider_name="OpenAI", extra="model_auto_compact_token_limit = 5")
    assert "The command printed:" in out and "agent-ok" in out, out
    turns = posts(gateway)
    triggers = [t for t in turns if inputs(t) and inputs(t)[-1].get("type") == "compaction_trigger"]
    assert triggers, [[i.get("type") for i in inputs(t)] for t in turns]
    assert "remote_compaction_v2" in triggers[0]["headers"]["x-codex-beta-features"]
    after = turns[turns.index(triggers[0]) + 1]
    assert any(i.get("type") == "compaction" for i in inputs(after)), "the compacted history is used"


@pytest.mark.parametrize(
    ("package", "route"),
    [("@ai-sdk/openai", "/v1/responses"), ("@ai-sdk/openai-compatible", "/v1/chat/completions")],
)
def test_opencode_shell_tool_round_trip(gateway, tmp_path, package, route):
    gateway.clear_upstream_requests()
    logged = len(gateway.log_path.read_bytes())
    events = opencode(gateway, tmp_path, package)
    tools = [e["part"] for e in events if e.get("type") == "tool_use"]
    texts = [e["part"].get("text", "") for e in events if e.get("type") == "text"]
    assert tools and tools[0]["tool"] == "bash", events
    assert "agent-ok" in tools[0]["state"]["output"]
    assert any("The command printed: agent-ok" in t for t in texts), events
    assert route in gateway.log_path.read_bytes()[logged:].decode(errors="replace"), "this run's route"
    result = [i for t in posts(gateway) for i in inputs(t) if i.get("type") == "function_call_output"]
    assert result and "agent-ok" in json.dumps(result[-1]["output"])


@pytest.mark.parametrize("key_var", ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"])
def test_claude_code_bash_round_trip(gateway, tmp_path, key_var):
    """Claude Code on the gateway's Anthropic Messages API (`ANTHROPIC_BASE_URL`), its key as a
    bearer token or as `x-api-key`: it runs the fake's `Bash` call and reports the output."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    gateway.clear_upstream_requests()
    logged = len(gateway.log_path.read_bytes())
    args = [str(agent("claude")), "-p", "Run echo agent-ok", "--allowedTools", "Bash", "--output-format", "json"]
    env = {
        "ANTHROPIC_BASE_URL": gateway.gateway_url,
        key_var: gateway.api_key,
        "ANTHROPIC_MODEL": "gpt-5.4@agent",
        "ANTHROPIC_SMALL_FAST_MODEL": "gpt-5.4@agent",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "gpt-5.4@agent",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    out = run(args, home, work, gateway, **env).stdout
    assert "agent-ok" in out, out
    result = json.loads(out)
    assert result["is_error"] is False and "The command printed: agent-ok" in result["result"], result
    assert "/v1/messages" in gateway.log_path.read_bytes()[logged:].decode(errors="replace"), "this run's route"
    turns = posts(gateway)
    items = [i for t in turns for i in inputs(t)]
    calls = [i for i in items if i.get("type") == "function_call"]
    outputs = [i for i in items if i.get("type") == "function_call_output"]
    assert any(c["name"] == "Bash" for c in calls), [t["body"][-2000:] for t in turns]
    assert any("agent-ok" in json.dumps(o["output"]) for o in outputs), outputs
    systems = [i for i in items if i.get("role") == "system"]
    assert not systems, "Claude Code's system messages go upstream as developer messages"


def test_codex_with_the_gateway_catalog_has_real_model_metadata(gateway, tmp_path):
    """`login-cli codex-config` writes the provider block and `model_catalog_json`; with them
    the CLI stops falling back to generic metadata."""
    repo = Path(__file__).resolve().parents[2]
    login_cli = Path(os.environ.get("LOGIN_CLI_BIN", repo / "target" / "debug" / "login-cli"))
    assert login_cli.is_file(), f"{login_cli} is missing (scripts/client-tests.sh builds it)"
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    codex_home = home / ".codex"
    env = isolated_env(home, gateway)
    written = subprocess.run(
        [str(login_cli), "--workdir", str(tmp_path), "codex-config", "--url", gateway.gateway_url,
         "--out", str(codex_home)],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert written.returncode == 0, written.stderr
    args = [str(agent("codex")), "exec", "--skip-git-repo-check", "Say hello"]
    done = run(args, home, work, gateway)
    assert "Hello, world!" in done.stdout, done.stdout
    assert "Model metadata" not in done.stderr, done.stderr

    # The same without the catalog: the warning this replaces.
    plain = tmp_path / "plain"
    (plain / "home" / ".codex").mkdir(parents=True)
    (plain / "work").mkdir()
    (plain / "home" / ".codex" / "config.toml").write_text(
        f'model = "gpt-5.4"\nmodel_provider = "gateway"\n[model_providers.gateway]\nname = "codex-gateway"\n'
        f'base_url = "{gateway.base_url}"\nenv_key = "CODEX_GATEWAY_API_KEY"\nwire_api = "responses"\n'
    )
    fallback = run(args, plain / "home", plain / "work", gateway)
    assert "Model metadata for `gpt-5.4` not found" in fallback.stderr, fallback.stderr


def test_codex_standalone_web_search_goes_through_the_gateway(gateway, tmp_path):
    """A Responses Lite model with `web_search = "live"`: the CLI sends its tools in the lite
    shape, runs the model's `web.run` call through `POST {base}/alpha/search`, which the gateway
    relays to the backend's standalone search, and hands the result back to the model."""
    import urllib.request

    request = urllib.request.Request(
        gateway.base_url + "/models?client_version=0.171.0",
        headers={"Authorization": f"Bearer {gateway.api_key}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        catalog = json.load(answer)
    entry = next(m for m in catalog["models"] if m["slug"] == "gpt-6-sol")
    assert entry["use_responses_lite"] is True
    entry = dict(entry, slug="gpt-6-sol@search", supports_search_tool=True)
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps({"models": [entry]}))

    gateway.clear_upstream_requests()
    home, work = tmp_path / "home", tmp_path / "work"
    (home / ".codex").mkdir(parents=True)
    work.mkdir()
    (home / ".codex" / "config.toml").write_text(
        f'model = "gpt-6-sol@search"\nmodel_provider = "gateway"\nweb_search = "live"\n'
        f'model_catalog_json = "{catalog_file}"\ncheck_for_update_on_startup = false\n'
        f'[model_providers.gateway]\nname = "codex-gateway"\nbase_url = "{gateway.base_url}"\n'
        'env_key = "CODEX_GATEWAY_API_KEY"\nwire_api = "responses"\nsupports_websockets = false\n'
        "supports_standalone_web_search = true\n"
    )
    args = [str(agent("codex")), "exec", "--skip-git-repo-check", "Search the web for codex gateway"]
    out = run(args, home, work, gateway).stdout
    assert "The search found:" in out and "search-ok: 3 results for codex gateway" in out, out
    seen = gateway.upstream_requests()
    searches = [r for r in seen if r["path"].endswith("/codex/alpha/search")]
    assert searches, [r["path"] for r in seen]
    assert json.loads(searches[0]["body"])["commands"]["search_query"][0]["q"] == "codex gateway"
    turns = [r for r in posts(gateway) if r["path"].endswith("/codex/responses")]
    assert turns[0]["headers"].get("x-openai-internal-codex-responses-lite") == "true"
    assert inputs(turns[0])[0]["type"] == "additional_tools", "the lite shape reached the backend"
