#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The next PayPal webhook is signed with a key the receiver cannot trust: it must be refused.
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "paypal", "operation": "*", "fault": "webhook_forge"}'
