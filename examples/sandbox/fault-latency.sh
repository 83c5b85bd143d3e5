#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# Every Google operation answers 1.5 s late, until cleared (count: null).
curl -sS -X POST "$SANDBOX_URL/__sandbox/faults" -H 'content-type: application/json' \
  -d '{"provider": "google", "operation": "*", "fault": "latency", "ms": 1500, "count": null}'
