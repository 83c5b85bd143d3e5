#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Every event on the user's calendars, as Google stores it.
curl -sS "$SANDBOX_URL/__sandbox/google/users/ada.tester@example.com/events"
