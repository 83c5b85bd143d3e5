#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The buyer approves an order without the HTML page; funding: ok | declined | pending | denied.
ORDER_ID="${ORDER_ID:?set ORDER_ID to a PayPal order id}"
curl -sS -X POST "$SANDBOX_URL/__sandbox/paypal/orders/$ORDER_ID/approve" -H 'content-type: application/json' \
  -d "{\"funding\": \"${FUNDING:-ok}\"}"
