#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Wait until every delivery so far is delivered, failed or dropped, then list them.
curl -sS -X POST "$SANDBOX_URL/__sandbox/webhooks/idle"
