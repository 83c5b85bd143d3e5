#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Settle a PENDING capture (funding "pending"): complete or deny. 409 if it is not PENDING.
CAPTURE_ID="${CAPTURE_ID:?set CAPTURE_ID to a PayPal capture id}"
curl -sS -X POST "$SANDBOX_URL/__sandbox/paypal/captures/$CAPTURE_ID/resolve" -H 'content-type: application/json' \
  -d '{"outcome": "complete"}'
