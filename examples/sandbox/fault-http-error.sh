#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The next Calendar insert answers 403 quotaExceeded (Google's daily quota), with Retry-After.
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "google", "operation": "calendar.events.insert", "fault": "http_error", "status": 403, "reason": "quotaExceeded", "retryAfterSeconds": 60}'
