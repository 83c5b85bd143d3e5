// Read the provider sandbox's state: settings, faults (active and fired), webhook deliveries and
// each emulator's snapshot (Google users and events, PayPal orders, Binance orders).
// Run: SANDBOX_URL=http://127.0.0.1:4010 node examples/sandbox-state.mjs
const sandbox = process.env.SANDBOX_URL ?? 'http://127.0.0.1:4010';

const res = await fetch(`${sandbox}/__sandbox/state`);
const state = await res.json();

console.log(`sandbox at ${state.baseUrl}`);
console.log(`PayPal webhooks go to ${state.settings.paypalWebhookUrl ?? '(nowhere)'}`);
console.log(`Binance webhooks go to ${state.settings.binanceWebhookUrl ?? '(nowhere)'}`);
console.log(`active faults: ${state.faults.length}, fired so far: ${state.firedFaults.length}`);
console.log(`webhook deliveries: ${state.webhooks.length}`);
console.log(`providers: ${['google', 'paypal', 'binance'].filter((p) => p in state).join(', ')}`);
