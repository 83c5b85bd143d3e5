#!/usr/bin/env bash
# Liveness, readiness and metrics, as a load balancer or Prometheus reads them.
set -euo pipefail
LEADSCALENDAR_URL="${LEADSCALENDAR_URL:-http://localhost:3000}"

curl -sS "$LEADSCALENDAR_URL/healthz"; echo
curl -sS "$LEADSCALENDAR_URL/readyz"; echo
curl -sS "$LEADSCALENDAR_URL/metrics" | grep '^leadscalendar_http_request_duration_seconds_count' | head -n 3
