#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The "revoked Google grant" fault: the user removed the app's access in their Google account.
# The next refresh answers invalid_grant; LeadsCalendar then waits for a reconnect.
curl -sS -X POST "$SANDBOX_URL/__sandbox/google/users/ada.tester@example.com/revoke" \
  -H 'content-type: application/json' -d '{}'
