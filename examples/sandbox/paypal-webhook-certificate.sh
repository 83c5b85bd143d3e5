#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The certificate PayPal webhooks are signed with (its URL is in PAYPAL-CERT-URL).
curl -sS "$SANDBOX_URL/__sandbox/paypal/webhook-certificate"
