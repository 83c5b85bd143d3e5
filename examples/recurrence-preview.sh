#!/usr/bin/env bash
# The same preview with curl: every second Friday, all day, in Europe/Paris.
set -euo pipefail
LEADSCALENDAR_URL="${LEADSCALENDAR_URL:-http://localhost:3000}"

curl -sS -X POST "$LEADSCALENDAR_URL/api/v1/recurrence/preview" \
  -H 'content-type: application/json' \
  -d '{
    "start": "2026-01-02",
    "end": "2026-01-03",
    "allDay": true,
    "timeZone": "Europe/Paris",
    "recurrence": ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "EXDATE;VALUE=DATE:20260116"],
    "count": 3
  }'
