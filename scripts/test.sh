#!/usr/bin/env bash
# The whole test suite:
#   1. cargo: gateway-core unit/golden/fuzz-corpus tests, kv-sqlite, login-cli (real binary
#      against fake OAuth), and the end-to-end suite through the built .wasm (the test host's
#      build.rs builds the component for wasm32-wasip2);
#   2. the same end-to-end scenarios on Spin itself, served from the shipped spin.toml and
#      spin-p3.toml (the WASIp3 build, which only Spin 4 serves), when `spin` is on PATH (or
#      $SPIN names it): each on Spin's SQLite store and, when redis-server is installed, on
#      Spin's Redis store. Scenarios only the test host can stage (a failing variables
#      provider, two host processes, a files mount) say so and pass;
#   3. real clients and the API contract (scripts/client-tests.sh): the official `openai`
#      Python SDK, the Vercel AI SDK, the Codex CLI and OpenCode (a plain turn, a shell-tool
#      round trip, a remote compaction), and docs/openapi.yaml checked against live answers.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo test --workspace --exclude gateway-component --exclude gateway-component-p3 \
  --exclude spin-floor --exclude spin-floor-p3 --exclude spin-events

spin_bin=${SPIN:-$(command -v spin || true)}
if [ -n "$spin_bin" ]; then
  for build in p2 p3; do
    echo "test.sh: e2e scenarios on Spin ($("$spin_bin" --version)), $build build, SQLite key-value store"
    E2E_RUNTIME=spin E2E_BUILD=$build SPIN=$spin_bin cargo test -p test-host --test e2e
    if command -v redis-server >/dev/null; then
      echo "test.sh: e2e scenarios on Spin, $build build, Redis key-value store"
      E2E_RUNTIME=spin E2E_BUILD=$build E2E_KV=redis SPIN=$spin_bin cargo test -p test-host --test e2e
    else
      echo "test.sh: SKIPPED the Spin + Redis e2e run ($build build): redis-server is not installed"
    fi
  done
else
  echo "test.sh: SKIPPED the e2e runs on Spin (both builds): no spin on PATH and \$SPIN is unset (the scenarios ran on the test host only, and the WASIp3 build only compiled)"
fi

./scripts/client-tests.sh
