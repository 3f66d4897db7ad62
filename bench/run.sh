#!/usr/bin/env bash
# Reproduces every figure in docs/en/performance.md with one command:
#
#   bench/run.sh            full run (~10 min after the builds)
#   bench/run.sh --quick    short runs, to check the script itself
#
# With `spin` on PATH (or $SPIN naming it) the macro benchmarks run on Spin itself, the runtime
# users run (bench/spin_bench.py): the shipped spin.toml, with a trivial Spin forwarder
# (testing/spin-floor) and the upstream itself as floors measured in the same run, and a
# gateway-free component (testing/spin-events) for Spin's own event pacing; then the WASIp3
# build (spin-p3.toml) beside the WASI 0.2 one, with both forwarder floors and, when GO_SEED
# names its binary, the original Go gateway (bench/spin_p3.py). Without Spin it says
# so and falls back to the test host (steps 2-5 below), which stands in for Spin.
#
# What the test-host fallback does, in order:
#   1. Installs the load generators if missing: wrk (Debian package) and oha (crates.io, for
#      fixed-rate load with latency correction; needs cmake, also from Debian).
#   2. Builds the release test host (`cargo build --release -p test-host`), which also builds
#      the gateway .wasm exactly as shipped (release, wasm32-wasip2).
#   3. Micro benchmarks: `cargo bench -p gateway-core --bench translate` (criterion).
#   4. Instantiation: `cargo bench -p test-host --bench instantiate` (fresh Store +
#      instantiate per request, as the host does).
#   5. Macro benchmarks (bench/bench.py): starts a fake Codex backend process and a gateway
#      process (both the release test host), then on loopback, side by side, client -> backend
#      and client -> gateway -> backend: latency at fixed rates (oha), max throughput (wrk),
#      time to first byte of streams, RSS per in-flight stream and over a stream's length.
#   6. Writes bench/results/<date>.md (+ .json) with the machine, the method and the figures.
#
# Builds use $CARGO_TARGET_DIR (default target/). Everything runs on 127.0.0.1 and stops by
# itself. The machine is assumed to be otherwise idle; the load average is recorded.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
[ "${1:-}" = "--quick" ] && quick=(--quick)
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_DIR=$target_dir
date=$(date -u +%Y-%m-%d)
out=bench/results/$date.md
work=$(mktemp -d)

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
if ! command -v oha >/dev/null; then
  command -v cmake >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake; }
  cargo install oha --locked
fi

spin_bin=${SPIN:-$(command -v spin || true)}
if [ -n "$spin_bin" ]; then
  echo "== build (gateway, floor and events components as spin build does; release test host for the fake backend)"
  cargo build --target wasm32-wasip2 --release -p gateway-component -p spin-floor -p spin-events \
    -p gateway-component-p3 -p spin-floor-p3
  cargo build --release -p test-host
  echo "== micro benchmarks (criterion)"
  rm -rf "$target_dir/criterion"
  cargo bench -p gateway-core --bench translate 2>&1 | grep -E "^[a-z_]+/|time:|thrpt:" || true
  echo "== macro benchmarks on Spin ($("$spin_bin" --version))"
  SPIN=$spin_bin python3 bench/spin_bench.py --out "bench/results/$date-spin.md" "${quick[@]}"
  echo "== client keys and usage counting on Spin, SQLite and Redis (bench/spin_keys.py)"
  command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
  SPIN=$spin_bin python3 bench/spin_keys.py --out "bench/results/$date-spin-keys.md" "${quick[@]}"
  echo "== the WASIp3 build beside the WASI 0.2 one, their floors and (GO_SEED=<binary>) the Go seed"
  [ -n "${GO_SEED:-}" ] || echo "   GO_SEED unset: the Go seed is left out (docs/en/performance.md says how to build it)"
  SPIN=$spin_bin python3 bench/spin_p3.py --out "bench/results/$date-spin-p3.md" "${quick[@]}"
  echo "== done: bench/results/$date-spin.md, bench/results/$date-spin-keys.md, bench/results/$date-spin-p3.md"
  exit 0
fi
echo "== no spin on PATH and \$SPIN unset: measuring on the test host instead of Spin"

echo "== build (release test host + gateway .wasm)"
cargo build --release -p test-host

echo "== micro benchmarks (criterion)"
rm -rf "$target_dir/criterion"
cargo bench -p gateway-core --bench translate 2>&1 | tee "$work/criterion.txt" | grep -E "^[a-z_]+/|time:|thrpt:" || true

echo "== instantiation"
iterations=5000
[ ${#quick[@]} -gt 0 ] && iterations=500
cargo bench -p test-host --bench instantiate -- "$iterations" | tail -n 1 | tee "$work/instantiate.json"

echo "== macro benchmarks"
python3 bench/bench.py --out "$out" --instantiate "$work/instantiate.json" "${quick[@]}"
echo "== done: $out"
