#!/usr/bin/env bash
# Every API error is an RFC 9457 problem document with a requestId; the same id is in the
# X-Request-Id response header and on every log line of the request.
set -euo pipefail
LEADSCALENDAR_URL="${LEADSCALENDAR_URL:-http://localhost:3000}"

# Not signed in: 401 unauthorized. We send our own request id (letters, digits, . _ : -).
curl -sS -i "$LEADSCALENDAR_URL/api/v1/me" -H 'x-request-id: docs-example-1'
