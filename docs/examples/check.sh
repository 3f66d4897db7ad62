#!/usr/bin/env bash
# Checks the example files the docs reference.
#   docs/examples/check.sh                       # syntax of every example (no network)
#   GATEWAY=http://127.0.0.1:3000 CODEX_GATEWAY_API_KEY=… docs/examples/check.sh
#                                                # also runs curl.sh, python_client.py when the `openai`
#                                                # package imports, and the .mjs examples when
#                                                # EXAMPLES_NODE_DIR names a directory whose node_modules
#                                                # has openai, ai, @ai-sdk/openai and zod (ES modules
#                                                # ignore NODE_PATH, so they are run from a copy there)
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import glob, json, tomllib
try:
    import yaml  # PyYAML
except ImportError:
    yaml = None
for f in sorted(glob.glob("**/*.json", recursive=True)):
    json.load(open(f)); print("ok json", f)
for f in sorted(glob.glob("**/*.toml", recursive=True)):
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

if [[ -n "${GATEWAY:-}" && -n "${CODEX_GATEWAY_API_KEY:-}" ]]; then
  ./curl.sh > /dev/null && echo "ran curl.sh"
  export CODEX_GATEWAY_BASE_URL="$GATEWAY/v1"
  if python3 -c 'import openai' 2>/dev/null; then
    python3 python_client.py > /dev/null && echo "ran python_client.py"
  fi
  if [[ -n "${EXAMPLES_NODE_DIR:-}" ]]; then
    for f in node_client.mjs ai_sdk.mjs; do
      cp "$f" "$EXAMPLES_NODE_DIR/.docs-example-$f"
      (cd "$EXAMPLES_NODE_DIR" && node ".docs-example-$f" > /dev/null) && echo "ran $f"
      rm -f "$EXAMPLES_NODE_DIR/.docs-example-$f"
    done
  fi
fi
