#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The next Binance PAY_SUCCESS notification leaves 10 s late.
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "binance", "operation": "PAY_SUCCESS", "fault": "webhook_delay", "ms": 10000}'
