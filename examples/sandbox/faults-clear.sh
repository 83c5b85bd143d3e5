#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Remove every rule (fired faults stay listed until /__sandbox/reset).
curl -sS -X DELETE "$SANDBOX_URL/__sandbox/faults"
