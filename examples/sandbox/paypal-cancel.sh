#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The buyer cancels at PayPal (answers the cancel redirect URL).
ORDER_ID="${ORDER_ID:?set ORDER_ID to a PayPal order id}"
curl -sS -X POST "$SANDBOX_URL/__sandbox/paypal/orders/$ORDER_ID/cancel"
