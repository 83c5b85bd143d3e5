#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Accept another merchant key pair besides the default one (apiKey: letters and digits).
curl -sS -X POST "$SANDBOX_URL/__sandbox/binance/api-keys" -H 'content-type: application/json' \
  -d '{"apiKey": "mytestmerchantkey", "secretKey": "mytestmerchantsecret"}'
