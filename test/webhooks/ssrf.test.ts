import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { after, before, describe, it } from 'node:test';
import { createWebhookSender, forbiddenRange } from '../../src/providers/webhooks/sender.ts';
import { Receiver } from './support.ts';

/**
 * Where webhooks may go. Live mode refuses, before any byte is sent, http URLs and every address
 * that is not public unicast — literal, or what a host name resolves to — and connects only to
 * the address it checked. Sandbox mode delivers to loopback (receivers under test).
 */

/** A resolver that answers `addresses` for every name, as a hostile DNS server would. */
function resolverTo(...addresses: string[]) {
  return ((_host: string, _opts: unknown, cb: (err: Error | null, addrs: LookupAddress[]) => void) => {
    cb(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as never;
}

describe('webhook delivery addresses (SSRF)', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(() => receiver?.close());

  const live = (lookup?: ReturnType<typeof resolverTo>) => createWebhookSender({ mode: 'live', timeoutMs: 2000, userAgent: 'test', ...(lookup ? { lookup } : {}) });
  const request = (url: string) => ({ url, body: '{}', headers: {} });

  it('classifies addresses: only public unicast may be reached', () => {
    for (const [address, range] of [
      ['127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'linkLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['224.0.0.1', 'multicast'],
      ['0.0.0.0', 'unspecified'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['fc00::1', 'uniqueLocal'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:10.0.0.1', 'private'],
    ] as const)
      assert.equal(forbiddenRange(address), range, address);
    assert.equal(forbiddenRange('93.184.216.34'), null);
    assert.equal(forbiddenRange('2606:2800:220:1:248:1893:25c8:1946'), null);
  });

  it('refuses in live mode: http, loopback, private, link-local and IPv6 loopback URLs', async () => {
    const sender = live();
    for (const [url, why] of [
      [receiver.url, /only https/],
      ['https://127.0.0.1/hooks', /loopback/],
      ['https://10.0.0.5/hooks', /private/],
      ['https://169.254.169.254/latest/meta-data', /linkLocal/],
      ['https://[::1]/hooks', /loopback/],
      ['https://localhost/hooks', /localhost/],
      ['https://user:pass@example.com/hooks', /user name or password/],
    ] as const) {
      assert.match(sender.refusal(url) ?? '', why, url);
      const attempt = await sender.send(request(url));
      assert.equal(attempt.statusCode, null);
      assert.match(attempt.error ?? '', why);
    }
    assert.equal(receiver.received.length, 0, 'nothing reached the receiver');
  });

  it('refuses a host name that resolves to loopback, or to any forbidden address among public ones', async () => {
    for (const addresses of [['127.0.0.1'], ['93.184.216.34', '10.0.0.1'], ['::1']]) {
      const sender = live(resolverTo(...addresses));
      assert.equal(sender.refusal('https://hooks.example.com/in'), null, 'the name itself is fine');
      const attempt = await sender.send(request(`https://hooks.example.com:${new URL(receiver.url).port}/in`));
      assert.equal(attempt.statusCode, null);
      assert.match(attempt.error ?? '', /hooks\.example\.com resolves to .* which webhooks may not reach/, addresses.join());
    }
    assert.equal(receiver.received.length, 0);
  });

  it('resolves once per attempt, inside the socket’s own lookup: the address checked is the address connected to (no DNS rebinding)', async () => {
    let calls = 0;
    // First answer public (a check elsewhere would pass), then loopback for the connection.
    const rebinding = ((_h: string, _o: unknown, cb: (e: Error | null, a: LookupAddress[]) => void) =>
      cb(null, [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }])) as never;
    const sender = live(rebinding);
    const attempt = await sender.send(request(`https://rebind.example.com:${new URL(receiver.url).port}/in`));
    assert.equal(calls, 1, 'resolved once, by the connection itself');
    // The one resolution gave a public address, which is where the socket went (and nothing listens
    // for us there in this offline test); the receiver on loopback was never reached.
    assert.equal(attempt.statusCode, null);
    assert.equal(receiver.received.length, 0);
  });

  it('delivers to loopback over http in sandbox mode, and does not follow redirects', async () => {
    const sandbox = createWebhookSender({ mode: 'sandbox', timeoutMs: 2000, userAgent: 'test' });
    const ok = await sandbox.send(request(receiver.url));
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.responseExcerpt, 'ok 1');
    receiver.script = [200, 302];
    const redirected = await sandbox.send(request(receiver.url));
    assert.equal(redirected.statusCode, 302);
    assert.match(redirected.error ?? '', /redirects are not followed/);
    assert.equal(receiver.received.length, 2);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const sender = createWebhookSender({ mode: 'sandbox', timeoutMs: 300, userAgent: 'test' });
      const a = await sender.send(request(`http://127.0.0.1:${(silent.address() as { port: number }).port}/`));
      assert.equal(a.statusCode, null);
      assert.match(a.error ?? '', /no answer within 300 ms/);
      assert.ok(a.durationMs >= 290 && a.durationMs < 2000, `${a.durationMs} ms`);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
