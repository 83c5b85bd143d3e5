// Preview the next occurrences of a recurring event, DST-correct in its time zone.
// POST /api/v1/recurrence/preview needs no sign-in (it is rate-limited: 60 a minute per client).
// Run: LEADSCALENDAR_URL=http://localhost:3000 node examples/recurrence-preview.mjs
const base = process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000';

const res = await fetch(`${base}/api/v1/recurrence/preview`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    start: '2026-03-02T09:00', // local wall-clock time, no offset
    end: '2026-03-02T10:00',
    timeZone: 'America/New_York', // an IANA name
    recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3'],
    count: 5,
  }),
});
const body = await res.json();
if (!res.ok) {
  // Errors are RFC 9457 problem documents; quote requestId when asking for help.
  console.error(`${body.status} ${body.kind}: ${body.detail} (requestId ${body.requestId})`);
  process.exit(1);
}
for (const o of body.occurrences) console.log(`${o.start} → ${o.end}  (${o.startUtc})`);
// 2026-03-02T09:00:00-05:00 → 2026-03-02T10:00:00-05:00  (2026-03-02T14:00:00Z)
// 2026-03-09T09:00:00-04:00 → 2026-03-09T10:00:00-04:00  (2026-03-09T13:00:00Z)   ← after the DST change
// 2026-03-16T09:00:00-04:00 → 2026-03-16T10:00:00-04:00  (2026-03-16T13:00:00Z)
