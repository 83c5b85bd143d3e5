#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Create a test user (201), or get the existing one (200), with its own primary calendar.
curl -sS -X POST "$SANDBOX_URL/__sandbox/google/users" -H 'content-type: application/json' \
  -d '{"email": "lin.tester@example.com", "name": "Lin Tester", "timeZone": "Asia/Tokyo"}'
