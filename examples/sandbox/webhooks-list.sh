#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Every webhook delivery: body, target URL, state and each attempt (status, headers, answer).
curl -sS "$SANDBOX_URL/__sandbox/webhooks"
