#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Forget every PayPal access token: the next API call answers 401 until the client fetches a new one.
curl -sS -X POST "$SANDBOX_URL/__sandbox/paypal/tokens/expire"
