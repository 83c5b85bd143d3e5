#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The next PayPal capture is declined by the bank (INSTRUMENT_DECLINED).
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "paypal", "operation": "orders.capture", "fault": "decline"}'
