#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The next PayPal webhook is held until the following one overtakes it (or 5 s pass).
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "paypal", "operation": "*", "fault": "webhook_reorder"}'
