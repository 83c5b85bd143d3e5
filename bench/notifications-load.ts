/**
 * A load process for the provider notification routes: autocannon, cycling through distinct,
 * validly signed notifications prepared by bench/run.ts (a notification sent twice is stored once,
 * so each request must be a new one for the figure to count durable writes). Reads its input as
 * JSON on stdin; prints autocannon's result as JSON.
 */
import autocannon from 'autocannon';
import { fromAutocannon } from './support.ts';

interface Input {
  url: string;
  path: string;
  seconds: number;
  connections: number;
  notifications: { headers: Record<string, string>; body: string }[];
}

let text = '';
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text) as Input;
let next = 0;
const result = await autocannon({
  url: input.url,
  connections: input.connections,
  duration: input.seconds,
  requests: [
    {
      method: 'POST',
      path: input.path,
      setupRequest: (req) => {
        const n = input.notifications[next++ % input.notifications.length]!;
        return { ...req, headers: { 'content-type': 'application/json', ...n.headers }, body: n.body };
      },
    },
  ],
});
process.stdout.write(JSON.stringify({ ...fromAutocannon(result), sent: next, distinct: input.notifications.length }));
