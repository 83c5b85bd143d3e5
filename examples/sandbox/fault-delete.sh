#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Remove one rule by the id the POST answered (404 {"error":"not_found"} if there is none).
FAULT_ID="${FAULT_ID:-fault_1}"
curl -sS -X DELETE "$SANDBOX_URL/__sandbox/faults/$FAULT_ID"
