#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# One order, by prepayId or merchantTradeNo.
ORDER_REF="${ORDER_REF:?set ORDER_REF to a prepayId or merchantTradeNo}"
curl -sS "$SANDBOX_URL/__sandbox/binance/orders/$ORDER_REF"
