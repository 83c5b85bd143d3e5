#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The next PayPal PAYMENT.CAPTURE.COMPLETED webhook is delivered three times (two extra copies).
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "paypal", "operation": "PAYMENT.CAPTURE.COMPLETED", "fault": "webhook_duplicate", "copies": 2}'
