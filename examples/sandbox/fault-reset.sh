#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The next two Binance order queries have their connection dropped (ECONNRESET).
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "binance", "operation": "order.query", "fault": "reset", "count": 2}'
