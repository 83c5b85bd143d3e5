#!/usr/bin/env bash
# A local time inside a DST gap does not exist: it is refused with a 400 problem naming the field.
# 2026-03-08T02:30 never happens in America/New_York (clocks jump from 02:00 to 03:00).
set -euo pipefail
LEADSCALENDAR_URL="${LEADSCALENDAR_URL:-http://localhost:3000}"

curl -sS -X POST "$LEADSCALENDAR_URL/api/v1/recurrence/preview" \
  -H 'content-type: application/json' \
  -d '{"start": "2026-03-08T02:30", "timeZone": "America/New_York", "count": 1}'
