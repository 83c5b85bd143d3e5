#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Back to a clean sandbox: faults cleared, deliveries forgotten, emulators reset.
curl -sS -X POST "$SANDBOX_URL/__sandbox/reset"
