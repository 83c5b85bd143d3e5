// Switch a fault on in the provider sandbox: the next Google Calendar insert answers
// 429 rateLimitExceeded with Retry-After: 2, as Google does under load.
// Run: SANDBOX_URL=http://127.0.0.1:4010 node examples/sandbox-fault.mjs
const sandbox = process.env.SANDBOX_URL ?? 'http://127.0.0.1:4010';

async function control(method, path, body) {
  const res = await fetch(`${sandbox}/__sandbox${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const rule = await control('POST', '/faults', {
  provider: 'google',
  operation: 'calendar.events.insert', // or '*' for every Google operation
  fault: 'http_error',
  status: 429,
  reason: 'rateLimitExceeded',
  retryAfterSeconds: 2,
  count: 1, // fires once; null = until cleared
});
console.log(`fault ${rule.id} armed: ${rule.provider} ${rule.operation} → ${rule.fault} ${rule.status}`);

const { faults } = await control('GET', '/faults');
console.log(`active faults: ${faults.map((f) => f.id).join(', ')}`);

// Remove it again (DELETE /__sandbox/faults clears them all).
await control('DELETE', `/faults/${rule.id}`);
console.log(`fault ${rule.id} removed`);
