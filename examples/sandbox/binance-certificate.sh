#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The RSA certificate Binance Pay notifications are signed with (also at POST /binancepay/openapi/certificates).
curl -sS "$SANDBOX_URL/__sandbox/binance/certificate"
