#!/usr/bin/env bash
# The whole test suite:
#   1. cargo: gateway-core unit/golden/fuzz-corpus tests, kv-sqlite, login-cli (real binary
#      against fake OAuth), and the end-to-end suite through the built .wasm (the test host's
#      build.rs builds the component for wasm32-wasip2);
#   2. real clients and the API contract (scripts/client-tests.sh): the official `openai`
#      Python SDK, the Vercel AI SDK, and docs/openapi.yaml checked against live answers.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo test --workspace --exclude gateway-component
./scripts/client-tests.sh
