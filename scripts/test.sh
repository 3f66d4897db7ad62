#!/usr/bin/env bash
# The whole test suite: unit tests, the end-to-end suite through the built .wasm (the test host
# builds it), and the real-client tests when Python/Node are available.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo test --workspace --exclude gateway-component
