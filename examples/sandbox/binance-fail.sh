#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The payment fails at Binance (the order goes to ERROR), with an optional reason.
ORDER_REF="${ORDER_REF:?set ORDER_REF to a prepayId or merchantTradeNo}"
curl -sS -X POST "$SANDBOX_URL/__sandbox/binance/orders/$ORDER_REF/fail" -H 'content-type: application/json' \
  -d '{"reason": "insufficient balance"}'
