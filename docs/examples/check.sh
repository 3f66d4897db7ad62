#!/usr/bin/env bash
# Checks the example files the docs reference.
#   docs/examples/check.sh                       # syntax of every example (no network)
#   GATEWAY=http://127.0.0.1:3000 CODEX_GATEWAY_API_KEY=… docs/examples/check.sh
#                                                # also runs curl.sh, python_client.py when the `openai`
#                                                # package imports, and the .mjs examples when
#                                                # EXAMPLES_NODE_DIR names a directory whose node_modules
#                                                # has the packages they import (openai; ai, @ai-sdk/openai
#                                                # and zod); an example whose packages are missing there is
#                                                # skipped. ES modules ignore NODE_PATH, so they are run
#                                                # from a copy in that directory. Exits 1 if any run fails.
# scripts/client-tests.sh runs it against the test host.
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import glob, json
try:
    import tomllib  # Python 3.11+
except ImportError:
    tomllib = None
try:
    import yaml  # PyYAML
except ImportError:
    yaml = None
for f in sorted(glob.glob("**/*.json", recursive=True)):
    json.load(open(f)); print("ok json", f)
for f in sorted(glob.glob("**/*.toml", recursive=True)):
    if tomllib is None:
        print("skipped toml (Python < 3.11)", f)
        continue
    tomllib.load(open(f, "rb")); print("ok toml", f)
for f in sorted(glob.glob("**/*.yaml", recursive=True)):
    if yaml is None:
        print("skipped yaml (no PyYAML)", f)
        continue
    list(yaml.safe_load_all(open(f))); print("ok yaml", f)
PY
python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' python_client.py && echo "ok python python_client.py"
for f in *.mjs; do node --check "$f" && echo "ok node $f"; done
bash -n curl.sh && echo "ok bash curl.sh"
sh -n systemd/healthcheck && echo "ok sh systemd/healthcheck"
if command -v systemd-analyze >/dev/null; then
  # `verify` exits 0 on parse warnings, so any output fails. It also checks that ExecStart's
  # binary exists; Spin need not be installed where this runs.
  units=$(mktemp -d)
  cp systemd/*.service systemd/*.timer "$units/"
  out=$(cd "$units" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1 | grep -v "/usr/local/bin/spin" || true)
  rm -rf "$units"
  if [[ -n "$out" ]]; then echo "FAILED systemd units: $out" >&2; exit 1; fi
  echo "ok systemd units (systemd-analyze verify)"
else
  echo "skipped systemd units (no systemd-analyze)"
fi

# Runs below count failures instead of stopping (a failing `cmd && echo` would not stop `set -e`).
failures=0
ran() { echo "ran $1"; }
failed() { echo "FAILED $1" >&2; failures=$((failures + 1)); }

if [[ -n "${GATEWAY:-}" && -n "${CODEX_GATEWAY_API_KEY:-}" ]]; then
  if ./curl.sh > /dev/null; then ran curl.sh; else failed curl.sh; fi
  export CODEX_GATEWAY_BASE_URL="$GATEWAY/v1"
  if python3 -c 'import openai' 2>/dev/null; then
    if python3 python_client.py > /dev/null; then ran python_client.py; else failed python_client.py; fi
  else
    echo "skipped python_client.py (the openai package does not import)"
  fi
  if [[ -n "${EXAMPLES_NODE_DIR:-}" ]]; then
    for f in node_client.mjs ai_sdk.mjs; do
      # The packages the example imports must be installed there, or it is skipped.
      missing=""
      for pkg in $(sed -nE 's/^import .* from "([^".][^"]*)";$/\1/p' "$f"); do
        [[ -d "$EXAMPLES_NODE_DIR/node_modules/$pkg" ]] || missing+=" $pkg"
      done
      if [[ -n "$missing" ]]; then
        echo "skipped $f (not in $EXAMPLES_NODE_DIR/node_modules:$missing)"
        continue
      fi
      cp "$f" "$EXAMPLES_NODE_DIR/.docs-example-$f"
      if (cd "$EXAMPLES_NODE_DIR" && node ".docs-example-$f" > /dev/null); then ran "$f"; else failed "$f"; fi
      rm -f "$EXAMPLES_NODE_DIR/.docs-example-$f"
    done
  fi
fi
exit $((failures > 0))
