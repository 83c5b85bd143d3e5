#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Change settings at run time; only the fields sent change. Unknown fields are refused (400).
curl -sS -X PATCH "$SANDBOX_URL/__sandbox/settings" -H 'content-type: application/json' \
  -d '{"googleAccessTokenTtlSeconds": 60, "binanceTimestampWindowMs": 5000}'
