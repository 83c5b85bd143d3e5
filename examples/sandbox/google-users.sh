#!/usr/bin/env bash
set -euo pipefail
SANDBOX_URL="${SANDBOX_URL:-http://127.0.0.1:4010}"

# The emulated Google's test users (ada.tester@example.com and grace.tester@example.com at start).
curl -sS "$SANDBOX_URL/__sandbox/google/users"
