#!/usr/bin/env bash
# The whole test suite:
#   1. cargo: gateway-core unit/golden/fuzz-corpus tests, kv-sqlite, login-cli (real binary
#      against fake OAuth), and the end-to-end suite through the built .wasm (the test host's
#      build.rs builds the component for wasm32-wasip2);
#   2. the same end-to-end scenarios on Spin itself, served from the shipped spin.toml, when
#      `spin` is on PATH (or $SPIN names it): once on Spin's SQLite store and, when redis-server
#      is installed, once on Spin's Redis store. Scenarios only the test host can stage (a
#      failing variables provider, two host processes, a files mount) say so and pass;
#   3. real clients and the API contract (scripts/client-tests.sh): the official `openai`
#      Python SDK, the Vercel AI SDK, the Codex CLI and OpenCode (a plain turn, a shell-tool
#      round trip, a remote compaction), and docs/openapi.yaml checked against live answers.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo test --workspace --exclude gateway-component --exclude spin-floor --exclude spin-events

spin_bin=${SPIN:-$(command -v spin || true)}
if [ -n "$spin_bin" ]; then
  echo "test.sh: e2e scenarios on Spin ($("$spin_bin" --version)), SQLite key-value store"
  E2E_RUNTIME=spin SPIN=$spin_bin cargo test -p test-host --test e2e
  if command -v redis-server >/dev/null; then
    echo "test.sh: e2e scenarios on Spin, Redis key-value store"
    E2E_RUNTIME=spin E2E_KV=redis SPIN=$spin_bin cargo test -p test-host --test e2e
  else
    echo "test.sh: SKIPPED the Spin + Redis e2e run: redis-server is not installed"
  fi
else
  echo "test.sh: SKIPPED the e2e run on Spin: no spin on PATH and \$SPIN is unset (the scenarios ran on the test host only)"
fi

./scripts/client-tests.sh
