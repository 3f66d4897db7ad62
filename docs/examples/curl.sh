#!/usr/bin/env bash
# Every curl example from the docs, in one script.
#   export CODEX_GATEWAY_API_KEY=sk-choose-a-long-random-key
#   ./docs/examples/curl.sh                 # against http://127.0.0.1:3000
#   GATEWAY=https://gateway.example ./docs/examples/curl.sh
set -euo pipefail
GATEWAY="${GATEWAY:-http://127.0.0.1:3000}"
KEY="${CODEX_GATEWAY_API_KEY:?set CODEX_GATEWAY_API_KEY}"
MODEL="${CODEX_GATEWAY_MODEL:-gpt-5.3-codex}"

echo "== health (no key)"
curl -sS "$GATEWAY/healthz"

echo "== models"
curl -sS "$GATEWAY/v1/models" -H "Authorization: Bearer $KEY"

echo "== chat completion"
curl -sS "$GATEWAY/v1/chat/completions" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{"model":"'"$MODEL"'","messages":[{"role":"user","content":"Reply with exactly: hello"}]}'

echo "== chat completion, streamed (-N: print events as they arrive)"
curl -sS -N "$GATEWAY/v1/chat/completions" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{"model":"'"$MODEL"'","stream":true,"stream_options":{"include_usage":true},
       "messages":[{"role":"user","content":"Count from 1 to 5."}]}'

echo "== responses"
curl -sS "$GATEWAY/v1/responses" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{"model":"'"$MODEL"'","input":"Say hello in French."}'

echo "== responses, streamed"
curl -sS -N "$GATEWAY/v1/responses" \
  -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" \
  -d '{"model":"'"$MODEL"'","stream":true,"input":"Say hello in German."}'

echo "== headers: request id and ignored parameters"
curl -sS -D - -o /dev/null "$GATEWAY/v1/chat/completions" \
  -H "Authorization: Bearer $KEY" \
  -H "X-Request-ID: docs-example-1" \
  -d '{"model":"'"$MODEL"'","temperature":0.2,"max_tokens":50,"messages":[{"role":"user","content":"hi"}]}'
