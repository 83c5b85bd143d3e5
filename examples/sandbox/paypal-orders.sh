#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Every PayPal order, as GET /v2/checkout/orders/{id} would show it.
curl -sS "$SANDBOX_URL/__sandbox/paypal/orders"
