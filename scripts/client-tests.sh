#!/usr/bin/env bash
# Real-client and contract tests against the test-hosted gateway (target/debug/test-host):
#   - tests/clients/python: the official `openai` and `anthropic` Python SDKs (pytest)
#   - tests/openapi:        docs/openapi.yaml validated, live answers checked against it (pytest)
#   - tests/dashboard:      the dashboard in Debian's headless Chromium, driven by Playwright
#                           (pytest; installs chromium when missing), and its formatting code
#                           (node --test)
#   - tests/agents:         the Codex CLI, OpenCode and Claude Code, run against it (pytest driving
#                           the real binaries, pinned in tests/agents/package.json, about 1.2 GB)
#   - tests/clients/node:   the Vercel AI SDK, `ai` + `@ai-sdk/openai`, and `@anthropic-ai/sdk`
#                           (node --test)
#   - docs/examples:        check.sh runs the documented examples against a test host (full runs
#                           only: it needs both the venv and node_modules)
#
# Installs what it needs: a venv under target/ from the pinned requirements files, `npm ci`
# from the committed package-lock.json, and the agents at their pinned versions (their
# platform binaries are optional dependencies pinned by those versions, so no lockfile).
# All are skipped on re-runs while their inputs are unchanged. With CLIENT_TESTS_DROP_AGENTS=1
# (CI sets it) the agents are removed once their tests ran, to spare the disk. Exits non-zero
# when anything fails, or when a runner ran no test. When `spin` is on PATH (or $SPIN names it),
# a full run also runs the Python SDK and agent suites with `spin up` serving the same build,
# and the WASIp3 build (tests/conftest.py, CLIENT_TESTS_RUNTIME=spin, CLIENT_TESTS_BUILD=p3);
# otherwise it says that part was skipped.
#
# Usage: scripts/client-tests.sh [--python-only | --node-only] [extra pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

run_python=1
run_node=1
case "${1:-}" in
  --python-only) run_python=1; run_node=0; shift ;;
  --node-only) run_python=0; run_node=1; shift ;;
esac

VENV="$ROOT/target/client-tests-venv"
PY_REQS=(tests/clients/python/requirements.txt tests/openapi/requirements.txt tests/dashboard/requirements.txt)
NODE_DIR="$ROOT/tests/clients/node"
AGENTS_DIR="$ROOT/tests/agents"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "client-tests: '$1' is required but not installed" >&2; exit 2; }
}
digest() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- dependencies (idempotent: redone only when the pinned inputs change) ----------------------
if [ "$run_python" = 1 ]; then
  need python3
  # The dashboard's browser test drives Debian's Chromium (Playwright never downloads one).
  if ! command -v chromium >/dev/null; then
    echo "client-tests: installing Debian's chromium for the dashboard's browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  stamp="$(digest "${PY_REQS[@]}") $(python3 --version 2>&1)"
  if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "client-tests: installing Python requirements into ${VENV#"$ROOT"/}"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      $(printf -- '-r %s ' "${PY_REQS[@]}")
    echo "$stamp" >"$VENV/.requirements-stamp"
  fi
fi


if [ "$run_node" = 1 ]; then
  need node
  need npm
  stamp="$(digest "$NODE_DIR/package-lock.json") $(node --version)"
  if [ "$(cat "$NODE_DIR/node_modules/.ci-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "client-tests: npm ci in tests/clients/node"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$stamp" >"$NODE_DIR/node_modules/.ci-stamp"
  fi
fi

# --- the gateway under test (build.rs also builds the .wasm) -----------------------------------
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
# The same package and target selection as scripts/test.sh's `cargo test`, so the binary comes
# from that build: `cargo build -p test-host` alone unifies fewer features (no login-cli, no
# dev-dependencies) and would compile tokio, hyper-util and wasmtime-wasi a second time.
cargo test --quiet --workspace --exclude gateway-component --exclude gateway-component-p3 --exclude spin-floor --exclude spin-floor-p3 --exclude spin-events --no-run
export TEST_HOST_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/test-host"
export LOGIN_CLI_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/login-cli"

# --- the coding agents, installed last (about 1.2 GB; CI drops them, whatever happens) --------
if [ "$run_python" = 1 ]; then
  need node
  need npm
  if [ "${CLIENT_TESTS_DROP_AGENTS:-0}" = 1 ]; then
    agents_cache="$ROOT/target/agents-npm-cache"
    trap 'rm -rf "$AGENTS_DIR/node_modules" "$agents_cache"' EXIT
  fi
  stamp="$(digest "$AGENTS_DIR/package.json") $(node --version)"
  if [ "$(cat "$AGENTS_DIR/node_modules/.install-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "client-tests: npm install in tests/agents (the Codex CLI, OpenCode and Claude Code)"
    rm -rf "$AGENTS_DIR/node_modules"
    (cd "$AGENTS_DIR" && npm install --no-package-lock --no-audit --no-fund --loglevel=error \
      ${agents_cache:+--cache "$agents_cache"})
    echo "$stamp" >"$AGENTS_DIR/node_modules/.install-stamp"
  fi
fi

# --- run -----------------------------------------------------------------------------------------
failed=()

if [ "$run_python" = 1 ]; then
  # pytest exits 5 when it collected no test: any non-zero code is a failure here.
  if ! (cd tests && "$VENV/bin/python" -m pytest "$@"); then
    failed+=("pytest")
  fi
  # The SDK and agent suites again with `spin up` serving the same build, when Spin is here.
  spin_bin=${SPIN:-$(command -v spin || true)}
  if [ -n "$spin_bin" ] && [ "$#" -eq 0 ]; then
    for build in p2 p3; do
      echo "client-tests: the SDK and agent suites on Spin ($("$spin_bin" --version)), $build build"
      if ! (cd tests && CLIENT_TESTS_RUNTIME=spin CLIENT_TESTS_BUILD=$build SPIN=$spin_bin "$VENV/bin/python" -m pytest agents clients/python); then
        failed+=("pytest on Spin ($build build)")
      fi
    done
  elif [ -z "$spin_bin" ]; then
    echo "client-tests: SKIPPED the SDK and agent suites on Spin: no spin on PATH and \$SPIN is unset"
  fi
  if [ "${CLIENT_TESTS_DROP_AGENTS:-0}" = 1 ]; then
    rm -rf "$AGENTS_DIR/node_modules" "$agents_cache"
  fi
fi

if [ "$run_node" = 1 ]; then
  log="$ROOT/target/client-tests-node.log"
  if ! (cd "$NODE_DIR" && node --test --test-concurrency=1 test/*.test.mjs "$ROOT"/tests/dashboard/*.test.mjs 2>&1 | tee "$log"); then
    failed+=("node --test")
  elif ! grep -Eq '^(# |ℹ )tests [1-9]' "$log"; then
    echo "client-tests: node --test ran no test" >&2
    failed+=("node --test (no tests)")
  fi
fi

if [ "$run_python" = 1 ] && [ "$run_node" = 1 ]; then
  # The documented examples (curl, openai Python SDK, AI SDK) against their own test host.
  examples="$ROOT/target/client-tests-examples"
  rm -rf "$examples" && mkdir -p "$examples"
  "$TEST_HOST_BIN" --fakes --seed-token --kv "$examples/kv.db" >"$examples/host.json" 2>"$examples/host.log" &
  host_pid=$!
  trap 'kill "$host_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do
    grep -q '}$' "$examples/host.json" || ! kill -0 "$host_pid" 2>/dev/null && break
    sleep 0.1
  done
  # The one JSON line test-host prints once it listens: the gateway URL and its key.
  read -r gateway_url api_key <<<"$("$VENV/bin/python" -c '
import json, sys
line = json.loads(open(sys.argv[1]).readline())
print(line["gateway_url"], line["api_key"])' "$examples/host.json" 2>/dev/null || true)" || true
  log="$ROOT/target/client-tests-examples.log"
  if [ -z "${gateway_url:-}" ]; then
    echo "client-tests: the test host for docs/examples did not start (see ${examples#"$ROOT"/}/host.log)" >&2
    failed+=("docs/examples (no test host)")
  elif ! PATH="$VENV/bin:$PATH" GATEWAY="$gateway_url" CODEX_GATEWAY_API_KEY="$api_key" \
      EXAMPLES_NODE_DIR="$NODE_DIR" docs/examples/check.sh 2>&1 | tee "$log"; then
    failed+=("docs/examples/check.sh")
  elif ! grep -q '^ran python_client.py' "$log" || ! grep -q '^ran ai_sdk.mjs' "$log"; then
    echo "client-tests: docs/examples/check.sh skipped an SDK example" >&2
    failed+=("docs/examples/check.sh (skipped)")
  fi
  kill "$host_pid" 2>/dev/null || true
  wait "$host_pid" 2>/dev/null || true
  trap - EXIT
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "client-tests: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "client-tests: all passed"
