#!/usr/bin/env bash
# Soak: 64 concurrent chat streams for 60 s through the gateway .wasm in the test host, against
# the fake Codex backend on 127.0.0.1 (testing/test-host/tests/soak.rs, `soak_64_streams_60s`).
# Passes when no stream failed, every stream was complete and correct, and the process RSS in
# the last 10 s is not above the first 10 s (within 4 MiB). Prints the counts and RSS figures.
#
#   bench/soak.sh
#
# The 10 s variant (`soak_short`) runs in the normal suite: `cargo test -p test-host --test soak`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p test-host --test soak -- --ignored --exact soak_64_streams_60s --nocapture
