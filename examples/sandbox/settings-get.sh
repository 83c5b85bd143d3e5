#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

curl -sS "$SANDBOX_URL/__sandbox/settings"
