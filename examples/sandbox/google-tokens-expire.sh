#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Expire the live access tokens of one user (or of everyone without "email"): forces a refresh.
curl -sS -X POST "$SANDBOX_URL/__sandbox/google/tokens/expire" -H 'content-type: application/json' \
  -d '{"email": "ada.tester@example.com"}'
