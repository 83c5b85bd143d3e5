#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# PayPal takes a completed capture back (a chargeback the payer won): PAYMENT.CAPTURE.REVERSED follows.
CAPTURE_ID="${CAPTURE_ID:?set CAPTURE_ID to a COMPLETED PayPal capture id}"
curl -sS -X POST "$SANDBOX_URL/__sandbox/paypal/captures/$CAPTURE_ID/reverse"
