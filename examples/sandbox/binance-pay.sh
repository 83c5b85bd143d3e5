#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The payer pays (a "decline" fault on checkout.pay makes it fail). payCurrency is optional.
ORDER_REF="${ORDER_REF:?set ORDER_REF to a prepayId or merchantTradeNo}"
curl -sS -X POST "$SANDBOX_URL/__sandbox/binance/orders/$ORDER_REF/pay" -H 'content-type: application/json' \
  -d '{"payCurrency": "USDT"}'
